package org.haven.node.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /nodes/{node}/netstat}: the traffic of the guests' network devices ({@code tap<vmid>i<n>} of VMs,
 * {@code veth<vmid>i<n>} of containers) from {@code /proc/net/dev}, counted from the guest's side as PVE does
 * ({@code in} is what the host sent to the device).
 */
public final class NetStat {
    private NetStat() {}

    private static final Pattern GUEST_DEV = Pattern.compile("(?:tap|veth)([1-9]\\d*)i(\\d+)");

    public static List<Map<String, Object>> parse(String procNetDev) {
        Map<String, String[]> devs = new TreeMap<>();
        for (String line : procNetDev.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || line.contains("|")) continue;
            devs.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim().split("\\s+"));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, String[]> e : devs.entrySet()) {
            Matcher m = GUEST_DEV.matcher(e.getKey());
            if (!m.matches() || e.getValue().length < 9) continue;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("vmid", m.group(1));
            row.put("dev", "net" + m.group(2));
            row.put("in", e.getValue()[8]);
            row.put("out", e.getValue()[0]);
            out.add(row);
        }
        return out;
    }
}
