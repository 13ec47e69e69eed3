package org.haven.ha;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HA group: member nodes with priorities, {@code restricted} and {@code nofailback}.
 *
 * @param nodes node name to priority (0 when not given)
 */
public record Group(String id, Map<String, Integer> nodes, boolean restricted, boolean nofailback, String comment) {

    /** Parses the {@code nodes} property, {@code node1:2,node2,node3:1}. */
    public static Map<String, Integer> parseNodes(String list) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (list == null) return out;
        for (String entry : list.split("[,;\\s]+")) {
            if (entry.isEmpty()) continue;
            int i = entry.lastIndexOf(':');
            if (i > 0 && entry.substring(i + 1).matches("\\d+")) {
                out.put(entry.substring(0, i), Integer.parseInt(entry.substring(i + 1)));
            } else {
                out.put(entry, 0);
            }
        }
        return out;
    }
}
