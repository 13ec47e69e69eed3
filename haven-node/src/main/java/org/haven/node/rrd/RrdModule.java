package org.haven.node.rrd;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.cfs.StatusFiles;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.node.HostStats;
import org.haven.node.Periodic;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.spi.StorageStatus;

/**
 * Node statistics as pvestatd and pmxcfs keep them: every 10 s this node broadcasts its sample line
 * ({@code pve2-node/<node>:uptime:sublevel:ctime:loadavg:maxcpu:cpu:iowait:memtotal:memused:swaptotal:swapused:roottotal:rootused:netin:netout})
 * on the cfs status plane, where it shows in {@code .rrd}; every node records the lines of all nodes in its
 * {@link RrdStore}, which {@code GET /nodes/{node}/rrddata} reads. Each active storage of the node gets its line
 * {@code pve2-storage/<node>/<storage>:ctime:total:used} too ({@code GET /nodes/{node}/storage/{storage}/rrddata}),
 * and each VM its {@code pve2.3-vm/<vmid>} line ({@code GET /nodes/{node}/qemu/{vmid}/rrddata}).
 */
public final class RrdModule implements ApiModule {
    static final java.time.Duration INTERVAL = java.time.Duration.ofSeconds(10);
    /** Physical NICs, whose traffic PVE counts as the node's (PVE::Network's PHYSICAL_NIC_RE). */
    static final Pattern PHYSICAL_NIC = org.haven.metrics.ExportMetrics.PHYSICAL_NIC;

    private final StorageManager storage;
    private final Supplier<List<Map<String, Object>>> vms;
    private NodeContext ctx;
    private RrdStore store;
    private final HostStats stats = new HostStats();
    private Periodic collector;

    /** Statistics of the host, of the storages of {@code storage} and of the VMs {@code vms} lists (as {@code qm list}). */
    public RrdModule(StorageManager storage, Supplier<List<Map<String, Object>>> vms) {
        this.storage = storage;
        this.vms = vms;
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        this.store = new RrdStore(ctx.dataDir().resolve("rrd"));
        reg.add(rrddata(ApiMethod.get("/nodes/{node}/rrddata").description("Read node RRD statistics")
                .permissions(Permission.perm("/nodes/{node}", "Sys.Audit")), p -> "pve2-node/" + p.str("node")));
        reg.add(rrddata(ApiMethod.get("/nodes/{node}/qemu/{vmid}/rrddata").description("Read VM RRD statistics")
                .param("vmid", StandardOptions.vmid())
                .permissions(Permission.perm("/vms/{vmid}", "VM.Audit")), p -> "pve2.3-vm/" + p.integer("vmid")));
        reg.add(rrddata(ApiMethod.get("/nodes/{node}/lxc/{vmid}/rrddata").description("Read VM RRD statistics")
                .param("vmid", StandardOptions.vmid())
                .permissions(Permission.perm("/vms/{vmid}", "VM.Audit")), p -> "pve2.3-vm/" + p.integer("vmid")));
        reg.add(rrddata(ApiMethod.get("/nodes/{node}/storage/{storage}/rrddata").description("Read storage RRD statistics.")
                .param("storage", Schema.string().format("pve-storage-id").typetext("<storage ID>").description("The storage identifier."))
                .proxyto("node")
                .permissions(Permission.permAny("/storage/{storage}", "Datastore.Audit", "Datastore.AllocateSpace")),
                p -> "pve2-storage/" + p.str("node") + "/" + p.str("storage")));
    }

    /** PVE's rrddata method on {@code b}: {@code timeframe} and {@code cf} over the database {@code key(params)}. */
    private ApiMethod rrddata(ApiMethod.Builder b, java.util.function.Function<Params, String> key) {
        return b.name("rrddata").param("node", StandardOptions.node())
                .param("timeframe", Schema.string().enumValues("hour", "day", "week", "month", "year")
                        .description("Specify the time frame you are interested in."))
                .param("cf", Schema.string().enumValues("AVERAGE", "MAX").optional().description("The RRD consolidation function"))
                .protect()
                .returns(Schema.array(Schema.object()))
                .handler((p, rc) -> store.rrddata(key.apply(p), p.str("timeframe"), p.str("cf", null), ctx.clock().epochSeconds()))
                .build();
    }

    @Override
    public void start(NodeContext ctx) {
        collector = Periodic.start("rrd-collector", INTERVAL, () -> {
            long now = ctx.clock().epochSeconds();
            StringBuilder lines = new StringBuilder(nodeLine(now)).append('\n');
            for (String l : storageLines(now)) lines.append(l).append('\n');
            for (String l : guestLines(now)) lines.append(l).append('\n');
            ctx.cfs().setNodeStatus(StatusFiles.RRD_KEY, lines.toString().getBytes(StandardCharsets.UTF_8));
            for (String line : ctx.cfs().readString(".rrd").orElse("").split("\n")) if (!line.isBlank()) store.update(line);
        });
    }

    @Override
    public void stop() {
        if (collector != null) collector.close();
        collector = null;
    }

    /** This node's sample line at {@code now}. */
    String nodeLine(long now) {
        Map<String, Long> mem = HostStats.meminfo();
        long memTotal = mem.getOrDefault("MemTotal", 0L);
        long memUsed = memTotal - mem.getOrDefault("MemAvailable", mem.getOrDefault("MemFree", 0L));
        long swapTotal = mem.getOrDefault("SwapTotal", 0L);
        long swapUsed = swapTotal - mem.getOrDefault("SwapFree", 0L);
        Map<String, Long> root = HostStats.fs(Path.of("/"));
        double[] cpu = stats.cpu();
        long[] net = netTotals(HostStats.read("/proc/net/dev", ""));
        int cpus = ((Number) HostStats.cpuinfo().get("cpus")).intValue();
        return String.format(Locale.ROOT, "pve2-node/%s:%d:0:%d:%s:%d:%.6f:%.6f:%d:%d:%d:%d:%d:%d:%d:%d", ctx.nodeName(),
                HostStats.uptime(), now, HostStats.loadavg().get(0), cpus, cpu[0], cpu[1], memTotal, memUsed,
                swapTotal, swapUsed, root.get("total"), root.get("used"), net[0], net[1]);
    }

    /** {@code pve2-storage/<node>/<storage>:ctime:total:used} of every active storage of this node. */
    List<String> storageLines(long now) {
        List<String> out = new ArrayList<>();
        for (StorageEntry e : storage.config().entries()) {
            if (e.disabled() || !e.availableOn(ctx.nodeName())) continue;
            StorageStatus st = storage.status(e.id());
            if (st.active()) out.add("pve2-storage/" + ctx.nodeName() + "/" + e.id() + ":" + now + ":" + st.total() + ":" + st.used());
        }
        return out;
    }

    /**
     * {@code pve2.3-vm/<vmid>:uptime:name:status:template:ctime:maxcpu:cpu:maxmem:mem:maxdisk:disk:netin:netout:diskread:diskwrite}
     * of every VM of this node, as pvestatd sends them.
     */
    List<String> guestLines(long now) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> d : vms.get()) out.add(guestLine(d, now));
        return out;
    }

    static String guestLine(Map<String, Object> d, long now) {
        StringBuilder sb = new StringBuilder("pve2.3-vm/").append(d.get("vmid"));
        sb.append(':').append(num(d.get("uptime"))).append(':').append(String.valueOf(d.getOrDefault("name", "")).replace(':', '_'))
                .append(':').append(d.getOrDefault("status", "unknown")).append(':').append(num(d.get("template"))).append(':').append(now);
        for (String k : List.of("cpus", "cpu", "maxmem", "mem", "maxdisk", "disk", "netin", "netout", "diskread", "diskwrite")) {
            sb.append(':').append(num(d.get(k)));
        }
        return sb.toString();
    }

    private static String num(Object v) {
        if (v instanceof Double x) return String.format(Locale.ROOT, "%.6f", x);
        if (v instanceof Float x) return String.format(Locale.ROOT, "%.6f", x);
        if (v instanceof Number n) return Long.toString(n.longValue());
        return v == null ? "0" : v.toString();
    }

    /** Received and transmitted bytes of the physical NICs in a {@code /proc/net/dev} text. */
    static long[] netTotals(String procNetDev) {
        long in = 0, out = 0;
        for (Map.Entry<String, Object> e : NodeMetricsSource.nics(procNetDev).entrySet()) {
            if (!PHYSICAL_NIC.matcher(e.getKey()).matches()) continue;
            Map<?, ?> nic = (Map<?, ?>) e.getValue();
            in += (Long) nic.get("receive");
            out += (Long) nic.get("transmit");
        }
        return new long[] {in, out};
    }

    RrdStore store() { return store; }
}
