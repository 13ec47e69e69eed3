package org.haven.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Graphite's plaintext protocol as PVE's Graphite plugin writes it: one {@code <path> <value> <ctime>} line per
 * numeric value, the path being {@code <root>.nodes.<node>.<key>…}, {@code <root>.qemu.<vmid>.<key>},
 * {@code <root>.lxc.<vmid>.<key>} or {@code <root>.storages.<node>.<storage>.<key>}; nested maps add a level per
 * key, dots in keys become '-', keys are sorted, and state values ({@code template}, {@code pid}, {@code agent},
 * {@code serial}) and non-numbers are left out.
 */
public final class GraphiteFormat {
    private static final Set<String> SKIPPED = Set.of("template", "pid", "agent", "serial");
    private static final Pattern NUMBER = Pattern.compile("[+-]?[0-9]*\\.?[0-9]+");

    private GraphiteFormat() {}

    /** Every line of {@code s} below root path {@code root}. */
    public static List<String> lines(String root, Snapshot s) {
        List<String> out = new ArrayList<>();
        assemble(out, root + ".nodes." + s.node(), s.nodeData(), s.ctime());
        for (Snapshot.Guest g : s.guests()) assemble(out, root + "." + g.type() + "." + g.vmid(), g.data(), s.ctime());
        for (Snapshot.Storage st : s.storages()) assemble(out, root + ".storages." + s.node() + "." + st.id(), st.data(), s.ctime());
        return out;
    }

    static void assemble(List<String> out, String path, Map<String, ?> data, long ctime) {
        for (Map.Entry<String, ?> e : new TreeMap<>(data).entrySet()) {
            Object v = e.getValue();
            if (v == null) continue;
            String key = e.getKey().replace('.', '-');
            String p = path + "." + key;
            if (v instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked") Map<String, ?> sub = (Map<String, ?>) m;
                assemble(out, p, sub, ctime);
                continue;
            }
            if (SKIPPED.contains(key)) continue;
            String text = v instanceof String str ? str : Values.number(v);
            if (text != null && NUMBER.matcher(text).matches()) out.add(p + " " + text + " " + ctime + "\n");
        }
    }
}
