package org.haven.node.api;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.ClusterResourceProvider;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Json;
import org.haven.api.task.TaskManager;
import org.haven.core.Upid;
import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.node.Certificates;
import org.haven.node.HostStats;
import org.haven.node.Version;
import tools.jackson.databind.JsonNode;

/**
 * Node and cluster level methods: {@code /version}, {@code /nodes}, {@code /nodes/{node}} (index, status,
 * version, time, tasks, certificates/info) and {@code /cluster} (index, status, resources, nextid, tasks).
 */
public final class NodeApi implements ApiModule {
    private NodeContext ctx;
    private final ApiTree tree;
    private final HostStats stats = new HostStats();

    static {
        Formats.register("pve-task-status-type", v -> {
            if (!List.of("ok", "error", "warning", "unknown").contains(v))
                throw new Formats.FormatException("value '" + v + "' does not have a value in the enumeration 'ok, error, warning, unknown'");
        });
    }

    /** The node's methods; {@code tree} (the node's methods and resources) answers index and resource listings. */
    public NodeApi(ApiTree tree) { this.tree = tree; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        Schema node = StandardOptions.node();
        Schema indexReturns = Schema.array(Schema.object()).attr("links", List.of(Map.of("href", "{name}", "rel", "child")));

        reg.add(ApiMethod.get("/version").name("version")
                .description("API version details, including some parts of the global datacenter config.")
                .returns(Schema.object()
                        .property("release", Schema.string().description("The current Proxmox VE point release in `x.y` format."))
                        .property("repoid", Schema.string().pattern("[0-9a-fA-F]{8,64}").description("The short git revision from which this version was build."))
                        .property("version", Schema.string().description("The full pve-manager package version of this node."))
                        .property("console", Schema.string().enumValues("applet", "vv", "html5", "xtermjs").optional().description("The default console viewer to use.")))
                .permissions(Permission.all())
                .handler((p, rc) -> version(true)).build());

        reg.add(ApiMethod.get("/nodes").name("index").description("Cluster node index.")
                .returns(Schema.array(Schema.object()
                        .property("node", StandardOptions.node())
                        .property("status", Schema.string().enumValues("unknown", "online", "offline").description("Node status."))
                        .property("cpu", Schema.number().optional().description("CPU utilization."))
                        .property("maxcpu", Schema.integer().optional().description("Number of available CPUs."))
                        .property("mem", Schema.integer().optional().description("Used memory in bytes."))
                        .property("maxmem", Schema.integer().optional().description("Number of available memory in bytes."))
                        .property("uptime", Schema.integer().optional().description("Node uptime in seconds."))
                        .property("ssl_fingerprint", Schema.string().optional().description("The SSL fingerprint for the node certificate.")))
                        .attr("links", List.of(Map.of("href", "{node}", "rel", "child"))))
                .permissions(Permission.all())
                .handler((p, rc) -> nodes(rc)).build());

        reg.add(ApiMethod.get("/nodes/{node}").name("index").description("Node index.")
                .param("node", node.copy()).returns(indexReturns.copy())
                .permissions(Permission.all())
                .handler((p, rc) -> names("/nodes/{node}")).build());

        reg.add(ApiMethod.get("/nodes/{node}/status").name("status").description("Read node status")
                .param("node", node.copy()).proxyto("node")
                .returns(Schema.object().additionalProperties(true)
                        .property("cpu", Schema.number().description("The current cpu usage."))
                        .property("loadavg", Schema.array(Schema.string()).description("An array of load avg for 1, 5 and 15 minutes respectively."))
                        .property("memory", Schema.object().property("free", Schema.integer()).property("total", Schema.integer()).property("used", Schema.integer()))
                        .property("uptime", Schema.integer())
                        .property("kversion", Schema.string().description("The extended kernel version string."))
                        .property("pveversion", Schema.string().description("The PVE version string.")))
                .permissions(Permission.perm("/nodes/{node}", "Sys.Audit"))
                .handler((p, rc) -> status()).build());

        reg.add(ApiMethod.get("/nodes/{node}/version").name("version").description("API version details")
                .param("node", node.copy()).proxyto("node")
                .returns(Schema.object()
                        .property("release", Schema.string().description("The current installed Proxmox VE Release"))
                        .property("repoid", Schema.string().description("The short git commit hash ID from which this version was build"))
                        .property("version", Schema.string().description("The current installed pve-manager package version")))
                .permissions(Permission.all())
                .handler((p, rc) -> version(false)).build());

        reg.add(ApiMethod.get("/nodes/{node}/time").name("time").description("Read server time and time zone settings.")
                .param("node", node.copy()).proxyto("node")
                .returns(Schema.object().additionalProperties(false)
                        .property("localtime", Schema.integer().minimum(1297163644).description("Seconds since 1970-01-01 00:00:00 (local time)"))
                        .property("time", Schema.integer().minimum(1297163644).description("Seconds since 1970-01-01 00:00:00 UTC."))
                        .property("timezone", Schema.string().description("Time zone")))
                .permissions(Permission.perm("/nodes/{node}", "Sys.Audit"))
                .handler((p, rc) -> time()).build());

        reg.add(ApiMethod.put("/nodes/{node}/time").name("set_timezone").description("Set time zone.")
                .param("node", node.copy()).proxyto("node").protect()
                .param("timezone", Schema.string().description("Time zone. The file '/usr/share/zoneinfo/zone.tab' contains the list of valid names."))
                .returns(Schema.nullType())
                .permissions(Permission.perm("/nodes/{node}", "Sys.Modify"))
                .handler((p, rc) -> {
                    setTimezone(p.str("timezone"));
                    return null;
                }).build());

        reg.add(ApiMethod.post("/nodes/{node}/status").name("node_cmd")
                .description("Reboot or shutdown a node.")
                .param("node", node.copy()).proxyto("node").protect()
                .param("command", Schema.string().enumValues("reboot", "shutdown").description("Specify the command."))
                .returns(Schema.nullType())
                .permissions(Permission.perm("/nodes/{node}", "Sys.PowerMgmt"))
                .handler((p, rc) -> {
                    powerCommand(p.str("command"));
                    return null;
                }).build());

        reg.add(ApiMethod.get("/nodes/{node}/certificates").name("index").description("Node index.")
                .param("node", node.copy()).returns(indexReturns.copy())
                .permissions(Permission.all())
                .handler((p, rc) -> names("/nodes/{node}/certificates")).build());

        reg.add(ApiMethod.get("/nodes/{node}/certificates/info").name("info").description("Get information about node's certificates.")
                .param("node", node.copy()).proxyto("node")
                .returns(Schema.array(Schema.object()
                        .property("filename", Schema.string().optional())
                        .property("fingerprint", Schema.string().optional().description("Certificate SHA 256 fingerprint."))
                        .property("issuer", Schema.string().optional().description("Certificate issuer name."))
                        .property("notafter", Schema.integer().optional().description("Certificate's notAfter timestamp (UNIX epoch)."))
                        .property("notbefore", Schema.integer().optional().description("Certificate's notBefore timestamp (UNIX epoch)."))
                        .property("pem", Schema.string().optional().description("Certificate in PEM format"))
                        .property("public-key-bits", Schema.integer().optional().description("Certificate's public key size"))
                        .property("public-key-type", Schema.string().optional().description("Certificate's public key algorithm"))
                        .property("san", Schema.array(Schema.string()).optional().description("List of Certificate's SubjectAlternativeName entries."))
                        .property("subject", Schema.string().optional().description("Certificate subject name."))))
                .permissions(Permission.all())
                .handler((p, rc) -> certInfo()).build());

        reg.add(ApiMethod.post("/nodes/{node}/certificates/updatecerts").name("updatecerts")
                .description("Create the node certificate when it is missing or not signed by the cluster CA (Haven; pvecm updatecerts).")
                .param("node", node.copy()).proxyto("node").protect()
                .param("force", Schema.bool().optional().attr("default", 0).description("Force generation of new SSL certificate."))
                .returns(Schema.nullType())
                .permissions(Permission.perm("/nodes/{node}", "Sys.Modify"))
                .handler((p, rc) -> {
                    Certificates.update(ctx.cfs(), ctx.nodeName(), org.haven.node.Havend.localIps(), p.bool("force", false));
                    return null;
                }).build());

        registerTasks(reg, node);

        reg.add(ApiMethod.get("/cluster").name("index").description("Cluster index.")
                .returns(indexReturns.copy()).permissions(Permission.all())
                .handler((p, rc) -> names("/cluster")).build());

        reg.add(ApiMethod.get("/cluster/status").name("get_status").description("Get cluster status information.")
                .protect()
                .returns(Schema.array(Schema.object()
                        .property("id", Schema.string()).property("name", Schema.string())
                        .property("type", Schema.string().enumValues("cluster", "node").description("Indicates the type, either cluster or node."))
                        .property("ip", Schema.string().optional().description("[node] IP of the resolved nodename."))
                        .property("local", Schema.bool().optional().description("[node] Indicates if this is the responding node."))
                        .property("nodeid", Schema.integer().optional().description("[node] ID of the node from the corosync configuration."))
                        .property("online", Schema.bool().optional().description("[node] Indicates if the node is online or offline."))
                        .property("nodes", Schema.integer().optional().description("[cluster] Nodes count, including offline nodes."))
                        .property("quorate", Schema.bool().optional().description("[cluster] Indicates if there is a majority of nodes online to make decisions"))
                        .property("version", Schema.integer().optional().description("[cluster] Current version of the corosync configuration file."))))
                .permissions(Permission.perm("/", "Sys.Audit"))
                .handler((p, rc) -> clusterStatus()).build());

        reg.add(ApiMethod.get("/cluster/resources").name("resources").description("Resources index (cluster wide).")
                .param("type", Schema.string().enumValues("vm", "storage", "node", "sdn").optional().description("Resource type."))
                .returns(Schema.array(Schema.object()
                        .property("id", Schema.string().description("Resource id."))
                        .property("type", Schema.string().enumValues("node", "storage", "pool", "qemu", "lxc", "openvz", "sdn").description("Resource type."))
                        .property("node", Schema.string().optional().description("Node the resource is on (node, storage, qemu, lxc)."))
                        .property("status", Schema.string().optional().description("Status, depending on the resource type."))
                        .property("cgroup-mode", Schema.integer().optional().description("cgroup version of the node (node)."))
                        .property("content", Schema.string().format("pve-storage-content-list").optional().description("Content types the storage allows (storage)."))
                        .property("cpu", Schema.number().minimum(0).optional().description("CPU usage (node, qemu, lxc)."))
                        .property("disk", Schema.integer().minimum(0).optional().description("Used disk space in bytes (storage, node; root image for guests)."))
                        .property("diskread", Schema.integer().optional().description("Bytes read by the guest from its disks since start (qemu, lxc)."))
                        .property("diskwrite", Schema.integer().optional().description("Bytes written by the guest to its disks since start (qemu, lxc)."))
                        .property("hastate", Schema.string().optional().description("HA service state (qemu, lxc)."))
                        .property("level", Schema.string().optional().description("Support level (node)."))
                        .property("lock", Schema.string().optional().description("Lock held on the guest config (qemu, lxc)."))
                        .property("maxcpu", Schema.number().minimum(0).optional().description("Number of CPUs (node, qemu, lxc)."))
                        .property("maxdisk", Schema.integer().minimum(0).optional().description("Size of the storage or root disk in bytes."))
                        .property("maxmem", Schema.integer().minimum(0).optional().description("Memory in bytes (node, qemu, lxc)."))
                        .property("mem", Schema.integer().minimum(0).optional().description("Used memory in bytes (node, qemu, lxc)."))
                        .property("name", Schema.string().optional().description("Guest name (qemu, lxc)."))
                        .property("netin", Schema.integer().optional().description("Bytes received by the guest (qemu, lxc)."))
                        .property("netout", Schema.integer().optional().description("Bytes sent by the guest (qemu, lxc)."))
                        .property("plugintype", Schema.string().optional().description("Storage type (storage)."))
                        .property("pool", Schema.string().optional().description("Pool the resource belongs to."))
                        .property("storage", Schema.string().optional().description("Storage id (storage)."))
                        .property("tags", Schema.string().optional().description("Guest tags (qemu, lxc)."))
                        .property("template", Schema.bool().optional().description("Whether the guest is a template (qemu, lxc)."))
                        .property("uptime", Schema.integer().minimum(0).optional().description("Uptime in seconds (node, qemu, lxc)."))
                        .property("vmid", Schema.integer().optional().description("Guest id (qemu, lxc)."))))
                .permissions(Permission.all())
                .handler((p, rc) -> resources(p, rc)).build());

        reg.add(ApiMethod.get("/cluster/nextid").name("nextid").description("Get next free VMID. Pass a VMID to assert that its free (at time of check).")
                .param("vmid", StandardOptions.vmid().optional())
                .returns(Schema.integer().description("The next free VMID."))
                .permissions(Permission.all())
                .handler((p, rc) -> nextid(p)).build());

        reg.add(ApiMethod.get("/cluster/tasks").name("tasks").description("List recent tasks (cluster wide).")
                .returns(Schema.array(Schema.object().property("upid", Schema.string())))
                .permissions(Permission.all())
                .handler((p, rc) -> clusterTasks(rc)).build());

        reg.addResources(this::nodeResources);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private List<Map<String, Object>> names(String path) {
        ApiTree.Match m = tree.lookup(path);
        List<Map<String, Object>> out = new ArrayList<>();
        if (m == null) return out;
        for (ApiTree.Node c : m.node().children()) if (!c.isParam()) out.add(Map.of("name", c.segment()));
        return out;
    }

    private org.haven.core.format.DatacenterConfig datacenter() {
        return org.haven.core.format.DatacenterConfig.parse(ctx.cfs().readString("datacenter.cfg").orElse(null));
    }

    private Map<String, Object> version(boolean withConsole) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("release", Version.RELEASE);
        m.put("repoid", Version.repoid());
        m.put("version", Version.VERSION);
        if (withConsole) {
            Object console = datacenter().toJson().get("console");
            if (console != null) m.put("console", console);
        }
        return m;
    }

    private Map<String, Object> status() {
        Map<String, Object> m = new TreeMap<>();
        double[] cpu = stats.cpu();
        Map<String, Long> mem = HostStats.meminfo();
        long total = mem.getOrDefault("MemTotal", 0L);
        long avail = mem.getOrDefault("MemAvailable", mem.getOrDefault("MemFree", 0L));
        m.put("cpu", cpu[0]);
        m.put("wait", cpu[1]);
        m.put("loadavg", HostStats.loadavg());
        m.put("memory", ordered("free", avail, "total", total, "used", total - avail, "available", avail));
        long st = mem.getOrDefault("SwapTotal", 0L);
        long sf = mem.getOrDefault("SwapFree", 0L);
        m.put("swap", ordered("free", sf, "total", st, "used", st - sf));
        m.put("rootfs", HostStats.fs(java.nio.file.Path.of("/")));
        m.put("uptime", HostStats.uptime());
        m.put("idle", 0);
        m.put("ksm", Map.of("shared", 0));
        String rel = HostStats.read("/proc/sys/kernel/osrelease", "unknown");
        String ver = HostStats.read("/proc/sys/kernel/version", "");
        m.put("kversion", "Linux " + rel + " " + ver);
        m.put("current-kernel", ordered("machine", System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch"),
                "release", rel, "sysname", "Linux", "version", ver));
        m.put("cpuinfo", HostStats.cpuinfo());
        m.put("pveversion", "pve-manager/" + Version.VERSION + "/" + Version.repoid());
        boolean efi = java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/firmware/efi"));
        m.put("boot-info", efi ? Map.of("mode", "efi", "secureboot", 0) : Map.of("mode", "legacy-bios"));
        return m;
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static final java.nio.file.Path ZONEINFO = java.nio.file.Path.of("/usr/share/zoneinfo");

    /** PVE's set_timezone: {@code /etc/timezone} and the {@code /etc/localtime} link, for a zone that exists. */
    static void setTimezone(String tz) {
        java.nio.file.Path zone = ZONEINFO.resolve(tz).normalize();
        if (tz.isEmpty() || tz.startsWith("/") || !zone.startsWith(ZONEINFO) || !java.nio.file.Files.isRegularFile(zone)) {
            throw ApiException.param("timezone", "invalid time zone '" + tz + "'");
        }
        try {
            java.nio.file.Path etc = java.nio.file.Path.of("/etc");
            java.nio.file.Path tmp = etc.resolve(".timezone.tmp");
            java.nio.file.Files.writeString(tmp, tz + "\n");
            java.nio.file.Files.move(tmp, etc.resolve("timezone"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            java.nio.file.Path link = etc.resolve(".localtime.tmp");
            java.nio.file.Files.deleteIfExists(link);
            java.nio.file.Files.createSymbolicLink(link, zone);
            java.nio.file.Files.move(link, etc.resolve("localtime"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new ApiException(500, "unable to set time zone - " + e.getMessage());
        }
    }

    /**
     * Reboots or powers off the host two seconds after answering, as PVE does. A node in embedded mode
     * ({@code --data-dir}) is not the host's installation and refuses.
     */
    private void powerCommand(String command) {
        if (ctx.embedded()) {
            throw new ApiException(501, "command '" + command + "' is not available for a node in embedded mode (--data-dir)");
        }
        String systemctl = command.equals("reboot") ? "reboot" : "poweroff";
        Thread.ofVirtual().name("node-" + systemctl).start(() -> {
            try {
                Thread.sleep(2000);
                new ProcessBuilder("systemctl", systemctl).inheritIO().start();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(NodeApi.class).error("{} failed: {}", systemctl, e.toString());
            }
        });
    }

    private Map<String, Object> time() {
        String tz = HostStats.read("/etc/timezone", ZoneId.systemDefault().getId());
        ZoneId zone;
        try {
            zone = ZoneId.of(tz);
        } catch (java.time.DateTimeException e) {
            zone = ZoneId.systemDefault();
        }
        long now = ctx.clock().epochSeconds();
        ZonedDateTime z = ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(now), zone);
        return ordered("localtime", now + z.getOffset().getTotalSeconds(), "time", now, "timezone", tz);
    }

    private List<Map<String, Object>> certInfo() throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        String node = ctx.nodeName();
        Optional<String> ca = ctx.cfs().readString(Certificates.CA_PEM);
        if (ca.isPresent()) out.add(Certificates.info("pve-root-ca.pem", ca.get()));
        Optional<String> ssl = ctx.cfs().readString(Certificates.nodeCertPath(node));
        if (ssl.isPresent()) out.add(Certificates.info("pve-ssl.pem", ssl.get()));
        Optional<String> custom = ctx.cfs().readString(Certificates.customCertPath(node));
        if (custom.isPresent()) out.add(Certificates.info("pveproxy-ssl.pem", custom.get()));
        return out;
    }

    /** Members from the cfs status file {@code .members}; a standalone node when there is none. */
    record Member(String name, int nodeid, boolean online, String ip) {}

    record Membership(String clusterName, int configVersion, boolean quorate, List<Member> members) {}

    Membership membership() {
        Optional<String> raw = ctx.cfs().readString(".members");
        List<Member> out = new ArrayList<>();
        String cluster = null;
        int version = 0;
        boolean quorate = ctx.cfs().isQuorate();
        if (raw.isPresent() && !raw.get().isBlank()) {
            try {
                JsonNode n = Json.MAPPER.readTree(raw.get());
                JsonNode c = n.get("cluster");
                if (c != null && c.has("name")) {
                    cluster = c.get("name").asString();
                    version = c.path("version").asInt(0);
                    quorate = c.path("quorate").asInt(quorate ? 1 : 0) == 1;
                }
                JsonNode list = n.get("nodelist");
                if (list != null) for (Map.Entry<String, JsonNode> e : list.properties())
                    out.add(new Member(e.getKey(), e.getValue().path("id").asInt(0), e.getValue().path("online").asInt(0) == 1,
                            e.getValue().path("ip").asString("")));
            } catch (RuntimeException e) {
                out.clear();
            }
        }
        if (out.stream().noneMatch(m -> m.name().equals(ctx.nodeName())))
            out.add(new Member(ctx.nodeName(), 0, true, localIp()));
        out.sort(Comparator.comparing(Member::name));
        return new Membership(cluster, version, quorate, out);
    }

    static String localIp() {
        try {
            return java.net.InetAddress.getLocalHost().getHostAddress();
        } catch (Exception e) {
            return "127.0.0.1";
        }
    }

    private List<Map<String, Object>> clusterStatus() {
        Membership ms = membership();
        List<Map<String, Object>> out = new ArrayList<>();
        if (ms.clusterName() != null) {
            out.add(ordered("id", "cluster", "name", ms.clusterName(), "nodes", ms.members().size(),
                    "quorate", ms.quorate() ? 1 : 0, "type", "cluster", "version", ms.configVersion()));
        }
        for (Member m : ms.members()) {
            Map<String, Object> e = ordered("id", "node/" + m.name(), "ip", m.ip(), "level", "",
                    "local", m.name().equals(ctx.nodeName()) ? 1 : 0, "name", m.name(), "nodeid", m.nodeid(),
                    "online", m.name().equals(ctx.nodeName()) || m.online() ? 1 : 0, "type", "node");
            out.add(e);
        }
        return out;
    }

    private volatile Map<String, Object> cachedNodeEntry;
    private volatile long cachedNodeEntryAt;

    /** The local node's figures, sampled at most once a second (PVE serves the status daemon's cached figures). */
    private Map<String, Object> localNodeEntry() {
        long now = System.currentTimeMillis();
        Map<String, Object> c = cachedNodeEntry;
        if (c == null || now - cachedNodeEntryAt > 1000) {
            c = sampleNodeEntry();
            cachedNodeEntry = c;
            cachedNodeEntryAt = now;
        }
        return new TreeMap<>(c);
    }

    private Map<String, Object> sampleNodeEntry() {
        Map<String, Object> e = new TreeMap<>();
        Map<String, Long> mem = HostStats.meminfo();
        long total = mem.getOrDefault("MemTotal", 0L);
        long avail = mem.getOrDefault("MemAvailable", 0L);
        Map<String, Long> disk = HostStats.fs(java.nio.file.Path.of("/"));
        e.put("cpu", stats.cpu()[0]);
        e.put("maxcpu", Runtime.getRuntime().availableProcessors());
        e.put("mem", total - avail);
        e.put("maxmem", total);
        e.put("disk", disk.get("used"));
        e.put("maxdisk", disk.get("total"));
        e.put("uptime", HostStats.uptime());
        e.put("level", "");
        e.put("cgroup-mode", 2);
        return e;
    }

    private List<Map<String, Object>> nodeResources(RequestContext rc) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Member m : membership().members()) {
            if (!rc.hasPermission("/nodes/" + m.name(), true, "Sys.Audit", "Sys.Modify", "Sys.Console", "Sys.PowerMgmt", "Sys.Syslog")
                    && !rc.hasPermission("/", true, "Sys.Audit")) continue;
            boolean audit = rc.hasPermission("/nodes/" + m.name(), false, "Sys.Audit");
            Map<String, Object> e = m.name().equals(ctx.nodeName()) && audit ? localNodeEntry() : new TreeMap<>();
            e.put("id", "node/" + m.name());
            e.put("type", "node");
            e.put("node", m.name());
            e.put("status", m.name().equals(ctx.nodeName()) || m.online() ? "online" : "offline");
            out.add(e);
        }
        return out;
    }

    private List<Map<String, Object>> nodes(RequestContext rc) {
        List<Map<String, Object>> out = new ArrayList<>();
        String fp = null;
        try {
            Optional<String> pem = ctx.cfs().readString(Certificates.nodeCertPath(ctx.nodeName()));
            if (pem.isPresent()) fp = Certificates.fingerprint(Certificates.readCert(pem.get()));
        } catch (Exception ignored) { }
        for (Member m : membership().members()) {
            boolean local = m.name().equals(ctx.nodeName());
            // PVE's extract_node_stats leaves the figures out for callers without Sys.Audit on the node
            boolean audit = rc.hasPermission("/nodes/" + m.name(), false, "Sys.Audit");
            Map<String, Object> e = local && audit ? localNodeEntry() : new TreeMap<>();
            e.remove("cgroup-mode");
            e.put("id", "node/" + m.name());
            e.put("type", "node");
            e.put("node", m.name());
            e.put("status", local || m.online() ? "online" : "offline");
            if (local && fp != null) e.put("ssl_fingerprint", fp);
            out.add(e);
        }
        return out;
    }

    private List<Map<String, Object>> resources(Params p, RequestContext rc) {
        String type = p.str("type", null);
        List<Map<String, Object>> all = new ArrayList<>();
        for (ClusterResourceProvider prov : tree.resourceProviders()) {
            List<Map<String, Object>> r = prov.resources(rc);
            if (r != null) all.addAll(r);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> e : all) {
            String t = String.valueOf(e.get("type"));
            if (type != null) {
                boolean match = switch (type) {
                    case "vm" -> t.equals("qemu") || t.equals("lxc") || t.equals("openvz");
                    default -> t.equals(type);
                };
                if (!match) continue;
            }
            out.add(e);
        }
        out.sort(Comparator.comparing(e -> String.valueOf(e.get("id"))));
        return out;
    }

    private Object nextid(Params p) {
        java.util.Set<Long> used = new java.util.HashSet<>();
        Optional<String> vmlist = ctx.cfs().readString(".vmlist");
        if (vmlist.isPresent() && !vmlist.get().isBlank()) {
            try {
                JsonNode ids = Json.MAPPER.readTree(vmlist.get()).get("ids");
                if (ids != null) for (Map.Entry<String, JsonNode> e : ids.properties()) used.add(Long.parseLong(e.getKey()));
            } catch (RuntimeException ignored) { }
        }
        for (int vmid : new org.haven.guest.config.VmidRegistry(ctx.cfs()).used()) used.add((long) vmid);
        if (p.has("vmid")) {
            long v = p.lng("vmid");
            if (used.contains(v)) throw ApiException.param("vmid", "VM " + v + " already exists");
            return v;
        }
        var range = datacenter().nextIds();
        long lower = range.lower(), upper = range.upper();
        for (long i = lower; i < upper; i++) if (!used.contains(i)) return i;
        throw ApiException.error("unable to get any free VMID in range [" + lower + ", " + upper + "]");
    }

    // ---- tasks --------------------------------------------------------------------------------------

    private void registerTasks(ApiRegistry reg, Schema node) {
        Schema taskItem = Schema.object()
                .property("upid", Schema.string()).property("node", Schema.string()).property("pid", Schema.integer())
                .property("pstart", Schema.integer()).property("starttime", Schema.integer()).property("type", Schema.string())
                .property("id", Schema.string()).property("user", Schema.string())
                .property("endtime", Schema.integer().optional()).property("status", Schema.string().optional());

        reg.add(ApiMethod.get("/nodes/{node}/tasks").name("node_tasks").description("Read task list for one node (finished tasks).")
                .param("node", node.copy())
                .param("start", Schema.integer().minimum(0).defaultValue(0).optional().description("List tasks beginning from this offset."))
                .param("limit", Schema.integer().minimum(0).defaultValue(50).optional().description("Only list this amount of tasks."))
                .param("userfilter", Schema.string().optional().description("Only list tasks from this user."))
                .param("typefilter", Schema.string().optional().description("Only list tasks of this type (e.g., vzstart, vzdump)."))
                .param("vmid", StandardOptions.vmid().optional().description("Only list tasks for this VM."))
                .param("errors", Schema.bool().defaultValue(0).optional().description("Only list tasks with a status of ERROR."))
                .param("since", Schema.integer().optional().description("Only list tasks since this UNIX epoch."))
                .param("until", Schema.integer().optional().description("Only list tasks until this UNIX epoch."))
                .param("source", Schema.string().enumValues("archive", "active", "all").defaultValue("archive").optional().description("List archived, active or all tasks."))
                .param("statusfilter", Schema.string().format("pve-task-status-type-list").optional().description("List of Task States that should be returned."))
                .returns(Schema.array(taskItem).attr("links", List.of(Map.of("href", "{upid}", "rel", "child"))))
                .permissions(Permission.all("List task associated with the current user, or all task the user has 'Sys.Audit' permissions on /nodes/<node> (the <node> the task runs on)."))
                .proxyto("node")
                .handler(this::nodeTasks).build());

        reg.add(ApiMethod.get("/nodes/{node}/tasks/{upid}").name("upid_index").description("")
                .param("node", node.copy()).param("upid", StandardOptions.upid())
                .returns(Schema.array(Schema.object()).attr("links", List.of(Map.of("href", "{name}", "rel", "child"))))
                .permissions(Permission.all())
                .handler((p, rc) -> {
                    checkUpid(p);
                    return List.of(Map.of("name", "log"), Map.of("name", "status"));
                }).build());

        reg.add(ApiMethod.delete("/nodes/{node}/tasks/{upid}").name("stop_task").description("Stop a task.")
                .param("node", node.copy()).param("upid", StandardOptions.upid())
                .permissions(Permission.all("The user needs 'Sys.Modify' permissions on '/nodes/<node>' if they aren't the owner of the task."))
                .proxyto("node").protect()
                .handler((p, rc) -> {
                    TaskManager.TaskInfo t = task(p, rc, "Sys.Modify");
                    ctx.tasks().stop(t.upid());
                    return null;
                }).build());

        reg.add(ApiMethod.get("/nodes/{node}/tasks/{upid}/status").name("read_task_status").description("Read task status.")
                .param("node", node.copy()).param("upid", StandardOptions.upid())
                .returns(Schema.object()
                        .property("exitstatus", Schema.string().optional()).property("id", Schema.string()).property("node", Schema.string())
                        .property("pid", Schema.integer()).property("pstart", Schema.integer()).property("starttime", Schema.integer())
                        .property("status", Schema.string().enumValues("running", "stopped")).property("type", Schema.string())
                        .property("upid", Schema.string()).property("user", Schema.string()))
                .permissions(Permission.all("The user needs 'Sys.Audit' permissions on '/nodes/<node>' if they are not the owner of the task."))
                .proxyto("node").protect()
                .handler((p, rc) -> {
                    TaskManager.TaskInfo t = task(p, rc, "Sys.Audit");
                    Map<String, Object> m = taskEntry(t);
                    m.remove("endtime");
                    m.put("status", t.running() ? "running" : "stopped");
                    if (!t.running()) m.put("exitstatus", t.status());
                    return new TreeMap<>(m);
                }).build());

        reg.add(ApiMethod.get("/nodes/{node}/tasks/{upid}/log").name("read_task_log").description("Read task log.")
                .param("node", node.copy()).param("upid", StandardOptions.upid())
                .param("start", Schema.integer().minimum(0).defaultValue(0).optional().description("Start at this line when reading the tasklog"))
                .param("limit", Schema.integer().minimum(0).defaultValue(50).optional().description("The amount of lines to read from the tasklog."))
                .param("download", Schema.bool().optional().description("Whether the tasklog file should be downloaded. This parameter can't be used in conjunction with other parameters"))
                .returns(Schema.array(Schema.object().property("n", Schema.integer().description("Line number")).property("t", Schema.string().description("Line text"))))
                .permissions(Permission.all("The user needs 'Sys.Audit' permissions on '/nodes/<node>' if they aren't the owner of the task."))
                .proxyto("node").protect()
                .handler((p, rc) -> {
                    TaskManager.TaskInfo t = task(p, rc, "Sys.Audit");
                    if (p.bool("download", false)) {
                        if (p.has("start") || p.has("limit"))
                            throw ApiException.param("download", "Parameter 'download' cannot be used with other parameters");
                        TaskManager.LogPage all = ctx.tasks().log(t.upid(), 0, 0);
                        StringBuilder sb = new StringBuilder();
                        for (String l : all.lines()) sb.append(l).append('\n');
                        return org.haven.api.RawResult.text(sb.toString(), t.upid() + ".log");
                    }
                    int start = p.integer("start", 0);
                    int limit = p.has("limit") ? p.integer("limit") : 50;
                    TaskManager.LogPage page = ctx.tasks().log(t.upid(), start, limit);
                    List<Map<String, Object>> out = new ArrayList<>();
                    int n = start;
                    for (String l : page.lines()) out.add(ordered("n", ++n, "t", l));
                    if (out.isEmpty() && page.total() == 0 && t.running()) out.add(ordered("n", 0, "t", "no content"));
                    rc.setResultAttribute("total", page.total());
                    return out;
                }).build());
    }

    /** The {@code upid} parameter, refused (400) unless it is a UPID. */
    private static String checkUpid(Params p) {
        String upid = p.str("upid");
        if (!Upid.isValid(upid)) throw ApiException.param("upid", "unable to parse worker upid '" + upid + "'");
        return upid;
    }

    private TaskManager.TaskInfo task(Params p, RequestContext rc, String priv) {
        String upid = checkUpid(p);
        TaskManager.TaskInfo t = ctx.tasks().info(upid).orElseThrow(() -> ApiException.param("upid", "no such task"));
        if (!isOwner(rc, t.user())) rc.requirePermission("/nodes/" + p.str("node"), priv);
        return t;
    }

    private static boolean isOwner(RequestContext rc, String taskUser) {
        return rc.authid().equals(taskUser) || (!rc.isToken() && taskUser.startsWith(rc.userid() + "!"));
    }

    private static Map<String, Object> taskEntry(TaskManager.TaskInfo t) {
        return ClusterTaskList.entry(t);
    }

    private static String statusClass(String status) {
        if (status == null) return "running";
        if (status.equals("OK")) return "ok";
        if (status.startsWith("WARNINGS")) return "warning";
        if (status.equals("unexpected status")) return "unknown";
        return "error";
    }

    private Object nodeTasks(Params p, RequestContext rc) {
        boolean audit = rc.hasPermission("/nodes/" + p.str("node"), false, "Sys.Audit");
        String source = p.str("source", "archive");
        List<String> statuses = p.has("statusfilter") ? Formats.splitList(p.str("statusfilter").toLowerCase(Locale.ROOT)) : null;
        List<Map<String, Object>> matched = new ArrayList<>();
        for (TaskManager.TaskInfo t : ctx.tasks().list()) {
            if (source.equals("archive") && t.running()) continue;
            if (source.equals("active") && !t.running()) continue;
            if (!audit && !isOwner(rc, t.user())) continue;
            if (p.has("userfilter") && !t.user().contains(p.str("userfilter"))) continue;
            if (p.has("typefilter") && !t.type().contains(p.str("typefilter"))) continue;
            if (p.has("vmid") && !t.id().equals(String.valueOf(p.lng("vmid")))) continue;
            if (p.bool("errors", false) && (t.running() || t.status().equals("OK"))) continue;
            if (p.has("since") && t.starttime() < p.lng("since")) continue;
            if (p.has("until") && t.starttime() > p.lng("until")) continue;
            if (statuses != null && !statuses.contains(statusClass(t.status()))) continue;
            matched.add(taskEntry(t));
        }
        int start = p.integer("start", 0);
        int limit = p.integer("limit", 50);
        rc.setResultAttribute("total", matched.size());
        int from = Math.min(start, matched.size());
        int to = limit == 0 ? matched.size() : Math.min(matched.size(), from + limit);
        return new ArrayList<>(matched.subList(from, to));
    }

    private List<Map<String, Object>> clusterTasks(RequestContext rc) {
        List<String> nodes = membership().members().stream().map(Member::name).toList();
        List<TaskManager.TaskInfo> all = ClusterTaskList.merge(nodes, ctx.nodeName(), ctx.tasks().list(),
                n -> ctx.cfs().nodeStatus(n, ClusterTaskList.KEY));
        Map<String, Boolean> audit = new TreeMap<>();
        List<Map<String, Object>> out = new ArrayList<>();
        for (TaskManager.TaskInfo t : all) {
            boolean may = audit.computeIfAbsent(t.node(), n -> rc.hasPermission("/nodes/" + n, false, "Sys.Audit"));
            if (!may && !isOwner(rc, t.user())) continue;
            Map<String, Object> e = taskEntry(t);
            e.put("saved", t.running() ? "0" : "1");
            out.add(e);
        }
        return out;
    }

    // ---- publishing this node's task list -----------------------------------------------------------

    private org.haven.node.Periodic publisher;

    /** Publishes the task list to the cfs status plane whenever it changed (checked every two seconds). */
    @Override
    public void start(NodeContext ctx) {
        this.ctx = ctx;
        byte[][] last = {null};
        publisher = org.haven.node.Periodic.start("tasklist-publisher", java.time.Duration.ofSeconds(2), () -> {
            byte[] now = ClusterTaskList.encode(ctx.tasks().list());
            if (java.util.Arrays.equals(now, last[0])) return;
            last[0] = null;
            ctx.cfs().setNodeStatus(ClusterTaskList.KEY, now);
            last[0] = now;
        });
    }

    @Override
    public void stop() {
        if (publisher != null) publisher.close();
        publisher = null;
    }
}
