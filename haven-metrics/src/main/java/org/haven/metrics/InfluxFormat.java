package org.haven.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * InfluxDB's line protocol as PVE's InfluxDB plugin writes it. Top-level values of an object go to measurement
 * {@code system}, each nested map to a measurement named after its key (one more level becomes the tag
 * {@code instance}, deeper levels are flattened into fields). Tags: {@code object=nodes,host=<node>},
 * {@code object=qemu|lxc,vmid=<vmid>,nodename=<node>,host=<name>},
 * {@code object=storages,nodename=<node>,host=<storage>,type=<type>}. Numbers are written as they are, other
 * values quoted ({@code name} always), NaN and infinity left out; the time is in nanoseconds.
 */
public final class InfluxFormat {
    private InfluxFormat() {}

    public static List<String> lines(Snapshot s) {
        List<String> out = new ArrayList<>();
        long ns = s.ctime() * 1_000_000_000L;
        payload(out, s.nodeData(), ns, "object=nodes,host=" + s.node(), null, null);
        for (Snapshot.Guest g : s.guests()) {
            String tags = "object=" + g.type() + ",vmid=" + g.vmid() + ",nodename=" + s.node();
            Object name = g.data().get("name");
            if (name != null && !name.toString().isEmpty()) tags += ",host=" + name;
            payload(out, g.data(), ns, escape(tags), null, null);
        }
        for (Snapshot.Storage st : s.storages()) {
            String tags = "object=storages,nodename=" + s.node() + ",host=" + st.id();
            Object type = st.data().get("type");
            if (type != null && !type.toString().isEmpty()) tags += ",type=" + type;
            payload(out, st.data(), ns, escape(tags), null, null);
        }
        return out;
    }

    /** PVE escapes white space in the tag set. */
    private static String escape(String tags) { return tags.replaceAll("\\s", "\\\\ "); }

    private static void payload(List<String> out, Map<String, ?> data, long ns, String tags, String measurement, String instance) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, ?> e : new TreeMap<>(data).entrySet()) {
            Object v = e.getValue();
            if (v == null) continue;
            if (v instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked") Map<String, ?> sub = (Map<String, ?>) m;
                if (measurement == null) payload(out, sub, ns, tags, e.getKey(), null);
                else if (instance == null) payload(out, sub, ns, tags, measurement, e.getKey());
                else flatten(values, sub);
            } else {
                String p = value(v, e.getKey().equals("name"));
                if (p != null) values.add(e.getKey() + "=" + p);
            }
        }
        if (values.isEmpty()) return;
        String tagSet = instance != null ? tags + ",instance=" + instance : tags;
        out.add((measurement != null ? measurement : "system") + "," + tagSet + " " + String.join(",", values) + " " + ns + "\n");
    }

    /** PVE's {@code get_recursive_values}: the scalars of a map and of its sub-maps, by their own keys. */
    private static void flatten(List<String> values, Map<String, ?> m) {
        for (Map.Entry<String, ?> e : new TreeMap<>(m).entrySet()) {
            if (e.getValue() instanceof Map<?, ?> sub) {
                @SuppressWarnings("unchecked") Map<String, ?> s = (Map<String, ?>) sub;
                flatten(values, s);
            } else if (e.getValue() != null) {
                String p = value(e.getValue(), false);
                if (p != null) values.add(e.getKey() + "=" + p);
            }
        }
    }

    /** PVE's {@code prepare_value}: a number as it is, anything else (or a forced value) quoted; empty strings are left out. */
    static String value(Object v, boolean quote) {
        if (v instanceof String s && s.isEmpty()) return null;
        if (!quote) {
            if (v instanceof Number || v instanceof Boolean) return Values.number(v);
            String s = v.toString();
            if (Values.numeric(s)) return s;
            if (s.equalsIgnoreCase("nan") || s.matches("(?i)[+-]?inf(inity)?")) return null;
        }
        return "\"" + v.toString().replace("\"", "\\\"") + "\"";
    }
}
