package org.haven.node.rrd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.haven.api.NodeContext;
import org.haven.metrics.MetricsSource;
import org.haven.metrics.Snapshot;
import org.haven.node.HostStats;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.spi.StorageStatus;

/**
 * The statistics this node reports to metric servers, in pvestatd's shape: {@code uptime}, {@code cpustat}
 * (usage, I/O wait, CPU count, load averages, {@code /proc/stat} counters), {@code memory} and {@code nics}
 * of the host; the status of each VM; total, used and available bytes of each active storage.
 */
public final class NodeMetricsSource implements MetricsSource {
    private static final List<String> CPU_FIELDS = List.of("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice");

    private final NodeContext ctx;
    private final StorageManager storage;
    private final Supplier<List<Map<String, Object>>> vms;
    private final HostStats stats = new HostStats();

    /** The figures of the host, of the storages of {@code storage} and of the VMs {@code vms} lists (as {@code qm list}). */
    public NodeMetricsSource(NodeContext ctx, StorageManager storage, Supplier<List<Map<String, Object>>> vms) {
        this.ctx = ctx;
        this.storage = storage;
        this.vms = vms;
    }

    @Override
    public Snapshot collect(long ctime) {
        return new Snapshot(ctime, ctx.nodeName(), nodeData(), guests(), storages());
    }

    private Map<String, Object> nodeData() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("uptime", HostStats.uptime());
        Map<String, Object> cpu = new LinkedHashMap<>();
        double[] usage = stats.cpu();
        cpu.put("cpu", usage[0]);
        cpu.put("wait", usage[1]);
        cpu.put("cpus", HostStats.cpuinfo().get("cpus"));
        List<String> load = HostStats.loadavg();
        cpu.put("avg1", load.get(0));
        cpu.put("avg5", load.get(1));
        cpu.put("avg15", load.get(2));
        String[] f = HostStats.read("/proc/stat", "").split("\n")[0].trim().split("\\s+");
        for (int i = 0; i < CPU_FIELDS.size() && i + 1 < f.length; i++) cpu.put(CPU_FIELDS.get(i), f[i + 1]);
        d.put("cpustat", cpu);
        Map<String, Long> mem = HostStats.meminfo();
        long total = mem.getOrDefault("MemTotal", 0L), free = mem.getOrDefault("MemAvailable", mem.getOrDefault("MemFree", 0L));
        long swapTotal = mem.getOrDefault("SwapTotal", 0L), swapFree = mem.getOrDefault("SwapFree", 0L);
        d.put("memory", Map.of("memtotal", total, "memfree", free, "memused", total - free, "memshared", mem.getOrDefault("Shmem", 0L),
                "swaptotal", swapTotal, "swapfree", swapFree, "swapused", swapTotal - swapFree));
        d.put("nics", nics(HostStats.read("/proc/net/dev", "")));
        return d;
    }

    /** {@code receive}/{@code transmit} bytes and packets per device of a {@code /proc/net/dev} text. */
    static Map<String, Object> nics(String procNetDev) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String l : procNetDev.split("\n")) {
            int colon = l.indexOf(':');
            if (colon < 0) continue;
            String[] f = l.substring(colon + 1).trim().split("\\s+");
            if (f.length < 10) continue;
            try {
                out.put(l.substring(0, colon).strip(), Map.of("receive", Long.parseLong(f[0]), "receive_packets", Long.parseLong(f[1]),
                        "transmit", Long.parseLong(f[8]), "transmit_packets", Long.parseLong(f[9])));
            } catch (NumberFormatException ignored) {
                // a malformed line is left out
            }
        }
        return out;
    }

    private List<Snapshot.Guest> guests() {
        List<Snapshot.Guest> out = new ArrayList<>();
        for (Map<String, Object> d : vms.get()) {
            Map<String, Object> data = new LinkedHashMap<>(d);
            data.values().removeIf(v -> v == null);
            out.add(new Snapshot.Guest("qemu", ((Number) d.get("vmid")).intValue(), data));
        }
        return out;
    }

    private List<Snapshot.Storage> storages() {
        List<Snapshot.Storage> out = new ArrayList<>();
        for (StorageEntry e : storage.config().entries()) {
            if (e.disabled() || !e.availableOn(ctx.nodeName())) continue;
            StorageStatus st = storage.status(e.id());
            if (!st.active()) continue;
            out.add(new Snapshot.Storage(e.id(), Map.of("total", st.total(), "used", st.used(), "avail", st.avail(),
                    "active", 1, "enabled", 1, "shared", e.shared() ? 1 : 0, "type", e.type().id())));
        }
        return out;
    }
}
