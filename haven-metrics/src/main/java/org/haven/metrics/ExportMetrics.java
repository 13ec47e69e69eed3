package org.haven.metrics;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The metrics of {@code GET /cluster/metrics/export}, named as PVE's pull-metric cache names them: objects
 * {@code node/<node>}, {@code qemu/<vmid>}, {@code lxc/<vmid>} and {@code storage/<node>/<storage>}, with gauges
 * ({@code cpu_current}, {@code mem_used}, …) and derived counters ({@code net_in}, {@code disk_read}, …). Keeps the
 * last {@link #KEEP} samples of this node for {@code history}.
 */
public final class ExportMetrics {
    /** Samples kept: 30 minutes at pvestatd's 10 s interval. */
    public static final int KEEP = 180;
    /** Physical NICs, whose traffic counts as the node's (PVE's PHYSICAL_NIC_RE). */
    public static final Pattern PHYSICAL_NIC = Pattern.compile("(?:eth\\d+|en[^:.]+|ib[^:.]+)");

    /** One exported value. */
    public record Metric(String id, String metric, long timestamp, String type, double value) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("id", id);
            m.put("metric", metric);
            m.put("timestamp", timestamp);
            m.put("type", type);
            m.put("value", value);
            return m;
        }
    }

    private final Deque<List<Metric>> history = new ArrayDeque<>();

    /** Records the metrics of {@code s}, dropping the oldest sample beyond {@link #KEEP}. */
    public synchronized void record(Snapshot s) {
        history.addLast(of(s));
        while (history.size() > KEEP) history.removeFirst();
    }

    /** The newest sample, or with {@code history} every kept one newer than {@code startTime}; sorted by timestamp. */
    public synchronized List<Metric> read(boolean withHistory, long startTime) {
        List<Metric> out = new ArrayList<>();
        if (!withHistory) {
            if (!history.isEmpty()) out.addAll(history.getLast());
        } else {
            for (List<Metric> sample : history) for (Metric m : sample) if (m.timestamp() > startTime) out.add(m);
        }
        out.sort(Comparator.comparingLong(Metric::timestamp));
        return out;
    }

    /** The metrics of one snapshot. */
    public static List<Metric> of(Snapshot s) {
        List<Metric> out = new ArrayList<>();
        long t = s.ctime();
        String id = "node/" + s.node();
        Map<String, Object> d = s.nodeData();
        add(out, id, t, "gauge", "uptime", d.get("uptime"));
        double in = 0, outBytes = 0;
        for (Map.Entry<String, Object> nic : map(d.get("nics")).entrySet()) {
            if (!PHYSICAL_NIC.matcher(nic.getKey()).matches()) continue;
            in += num(map(nic.getValue()).get("receive"));
            outBytes += num(map(nic.getValue()).get("transmit"));
        }
        add(out, id, t, "derive", "net_in", in);
        add(out, id, t, "derive", "net_out", outBytes);
        Map<String, Object> cpu = map(d.get("cpustat"));
        add(out, id, t, "gauge", "cpu_avg1", cpu.get("avg1"));
        add(out, id, t, "gauge", "cpu_avg5", cpu.get("avg5"));
        add(out, id, t, "gauge", "cpu_avg15", cpu.get("avg15"));
        add(out, id, t, "gauge", "cpu_max", cpu.get("cpus"));
        add(out, id, t, "gauge", "cpu_current", cpu.get("cpu"));
        add(out, id, t, "gauge", "cpu_iowait", cpu.get("wait"));
        Map<String, Object> mem = map(d.get("memory"));
        add(out, id, t, "gauge", "mem_total", mem.get("memtotal"));
        add(out, id, t, "gauge", "mem_used", mem.get("memused"));
        add(out, id, t, "gauge", "swap_total", mem.get("swaptotal"));
        add(out, id, t, "gauge", "swap_used", mem.get("swapused"));
        Map<String, Object> blockstat = map(d.get("blockstat"));
        if (!blockstat.isEmpty()) {
            double read = 0, written = 0;
            for (Object dev : blockstat.values()) {
                read += num(map(dev).get("read_sectors")) * 512;
                written += num(map(dev).get("write_sectors")) * 512;
            }
            add(out, id, t, "derive", "disk_read", read);
            add(out, id, t, "derive", "disk_write", written);
        }
        for (Snapshot.Guest g : s.guests()) {
            String gid = g.type() + "/" + g.vmid();
            Map<String, Object> v = g.data();
            add(out, gid, t, "gauge", "uptime", v.get("uptime"));
            add(out, gid, t, "gauge", "cpu_max", v.get("cpus"));
            add(out, gid, t, "gauge", "cpu_current", v.get("cpu"));
            add(out, gid, t, "gauge", "mem_total", v.get("maxmem"));
            add(out, gid, t, "gauge", "mem_used", v.get("mem"));
            add(out, gid, t, "gauge", "disk_total", v.get("maxdisk"));
            add(out, gid, t, "gauge", "disk_used", v.get("disk"));
            add(out, gid, t, "derive", "disk_read", v.get("diskread"));
            add(out, gid, t, "derive", "disk_write", v.get("diskwrite"));
            add(out, gid, t, "derive", "net_in", v.get("netin"));
            add(out, gid, t, "derive", "net_out", v.get("netout"));
        }
        for (Snapshot.Storage st : s.storages()) {
            String sid = "storage/" + s.node() + "/" + st.id();
            add(out, sid, t, "gauge", "disk_total", st.data().get("total"));
            add(out, sid, t, "gauge", "disk_used", st.data().get("used"));
        }
        return out;
    }

    private static void add(List<Metric> out, String id, long t, String type, String metric, Object value) {
        if (value == null) return;
        double v = num(value);
        if (!Double.isNaN(v)) out.add(new Metric(id, metric, t, type, v));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) { return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(); }

    private static double num(Object o) {
        if (o instanceof Number n) return n.doubleValue();
        if (o instanceof String s && Values.numeric(s)) return Double.parseDouble(s);
        return o == null ? 0 : Double.NaN;
    }
}
