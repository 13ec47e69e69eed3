package org.haven.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.haven.core.format.ConfigDigest;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RawResult;
import org.haven.api.SpecMethods;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * External metric servers ({@code status.cfg}, {@code /cluster/metrics/…}) and the node's metric sender: every
 * interval the node collects its statistics, keeps them for {@code /cluster/metrics/export}, publishes the newest on
 * the status plane for the other nodes' exports, and sends them to every enabled server of {@code status.cfg}.
 */
public final class MetricsModule implements ApiModule {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsModule.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String LOCK = "file-status_cfg";
    /** The API method behind {@code GET /api2/prometheus/metrics} (beyond PVE). */
    public static final String PROMETHEUS_PATH = "/cluster/metrics/prometheus";
    static final String STATUS_KEY = "metrics";
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("id", "The ID of the entry."), Map.entry("type", "Plugin type."),
            Map.entry("server", "Server DNS name or IP address."), Map.entry("port", "Server network port."),
            Map.entry("disable", "Flag to disable the plugin."), Map.entry("mtu", "MTU for metrics transmission over UDP."),
            Map.entry("path", "Root Graphite path (e.g. proxmox.mycluster.mykey)."),
            Map.entry("proto", "Protocol to send Graphite data: TCP or UDP (default)."),
            Map.entry("timeout", "Graphite TCP socket timeout in seconds (default 1)."),
            Map.entry("influxdbproto", "Protocol to send InfluxDB data."),
            Map.entry("organization", "The InfluxDB organization (HTTP v2 API only)."),
            Map.entry("bucket", "The InfluxDB bucket/db (HTTP v2 API only)."),
            Map.entry("token", "The InfluxDB access token (HTTP v2 API only); 'user:password' for the v2 compatibility API."),
            Map.entry("max-body-size", "InfluxDB max-body-size in bytes; requests are batched up to this size."),
            Map.entry("api-path-prefix", "A path prefix inserted between '<host>:<port>/' and '/api2/' (e.g. behind a reverse proxy)."),
            Map.entry("verify-certificate", "Set to 0 to disable certificate verification for https endpoints."),
            Map.entry("delete", "A list of settings you want to delete."),
            Map.entry("digest", "Prevent changes if current configuration file has a different digest."),
            Map.entry("history", "Also return historic values (all kept ones unless start-time is set)."),
            Map.entry("local-only", "Only return metrics of this node instead of the whole cluster."),
            Map.entry("start-time", "Only include metrics with a timestamp > start-time."));
    private static final SpecMethods SPEC = SpecMethods.load(MetricsModule.class, "metrics-api.json", DESCRIPTIONS);

    static {
        Formats.register("graphite-path", v -> {
            if (!v.matches("([a-zA-Z0-9\\-_]+\\.)*[a-zA-Z0-9\\-_]+"))
                throw new Formats.FormatException("value does not look like a valid graphite path");
        });
    }

    private final Function<NodeContext, MetricsSource> sourceFactory;
    private final Duration interval;
    private final MetricSender sender;
    private final ExportMetrics export = new ExportMetrics();
    private NodeContext ctx;
    private MetricsSource source;
    private volatile Thread loop;

    /** A module collecting with the source {@code sourceFactory} builds for the node, sending every {@code interval}. */
    public MetricsModule(Function<NodeContext, MetricsSource> sourceFactory, Duration interval, MetricSender sender) {
        this.sourceFactory = sourceFactory;
        this.interval = interval;
        this.sender = sender;
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        this.source = sourceFactory.apply(ctx);
        SPEC.add(reg, "GET", "/cluster/metrics", "Metrics index.",
                (p, rc) -> List.of(Map.of("name", "server"), Map.of("name", "export")));
        SPEC.add(reg, "GET", "/cluster/metrics/server", "List configured metric servers.", (p, rc) -> list());
        SPEC.add(reg, "GET", "/cluster/metrics/server/{id}", "Read metric server configuration.", (p, rc) -> read(p.str("id")));
        SPEC.add(reg, "POST", "/cluster/metrics/server/{id}", "Create a new external metric server config.", (p, rc) -> create(p));
        SPEC.add(reg, "PUT", "/cluster/metrics/server/{id}", "Update metric server configuration.", (p, rc) -> update(p));
        SPEC.add(reg, "DELETE", "/cluster/metrics/server/{id}", "Remove metric server.", (p, rc) -> delete(p.str("id")));
        SPEC.add(reg, "GET", "/cluster/metrics/export", "Retrieve metrics of the cluster.",
                (p, rc) -> Map.of("data", export(p.bool("local-only", false), p.bool("history", false), p.lng("start-time", 0))));
        reg.add(ApiMethod.get(PROMETHEUS_PATH).name("prometheus")
                .description("The newest metrics of the cluster in Prometheus' text format (served at /api2/prometheus/metrics).")
                .permissions(Permission.perm("/", "Sys.Audit"))
                .returns(Schema.string())
                .handler((p, rc) -> new RawResult(PrometheusFormat.CONTENT_TYPE,
                        PrometheusFormat.exposition(export(false, false, 0)).getBytes(StandardCharsets.UTF_8), null))
                .build());
    }

    @Override
    public void start(NodeContext ctx) {
        Thread t = Thread.ofVirtual().name("metrics").unstarted(() -> {
            while (loop == Thread.currentThread()) {
                try {
                    tick();
                } catch (RuntimeException e) {
                    LOG.debug("collecting metrics failed: {}", e.toString());
                }
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        loop = t;
        t.start();
    }

    @Override
    public void stop() {
        Thread t = loop;
        loop = null;
        if (t != null) t.interrupt();
    }

    /** One round: collect, keep for the export, publish, and send to every enabled server. */
    void tick() {
        Snapshot s = source.collect(ctx.clock().epochSeconds());
        export.record(s);
        try {
            byte[] latest = JSON.writeValueAsBytes(ExportMetrics.of(s).stream().map(ExportMetrics.Metric::toMap).toList());
            ctx.cfs().setNodeStatus(STATUS_KEY, latest);
        } catch (UnsupportedOperationException e) {
            // a cluster file system without a status plane: the export stays local
        }
        for (MetricServer server : servers()) {
            if (server.disable()) continue;
            try {
                sender.send(server, s);
            } catch (IOException | RuntimeException e) {
                LOG.warn("metric server {}: {}", server.id(), e.getMessage());
            }
        }
    }

    List<MetricServer> servers() {
        return StatusConfig.servers(StatusConfig.parse(text()), id -> token(ctx.cfs(), id).orElse(null));
    }

    // ---- API ---------------------------------------------------------------------------------------------

    private String text() { return ctx.cfs().readString(StatusConfig.FILE).orElse(""); }

    static String tokenPath(String id) { return "priv/metricserver/" + id + ".pw"; }

    static Optional<String> token(ClusterFs cfs, String id) { return cfs.readString(tokenPath(id)).map(String::strip); }

    private List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (SectionConfig.Section s : StatusConfig.parse(text()).sections()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", s.id());
            e.put("disable", s.get("disable").map(v -> v.equals("1") ? 1 : 0).orElse(0));
            s.get("port").ifPresent(v -> e.put("port", typed("port", v)));
            e.put("server", s.get("server").orElse(null));
            e.put("type", s.type());
            out.add(e);
        }
        out.sort((a, b) -> ((String) a.get("id")).compareTo((String) b.get("id")));
        return out;
    }

    private Map<String, Object> read(String id) {
        String text = text();
        SectionConfig.Section s = StatusConfig.section(StatusConfig.parse(text), id);
        Map<String, Object> out = new TreeMap<>();
        s.properties().forEach((k, v) -> out.put(k, typed(k, v)));
        out.put("type", s.type());
        out.put("digest", digest(text));
        return out;
    }

    private static Object typed(String key, String v) {
        if (!List.of("port", "mtu", "timeout", "max-body-size", "disable", "verify-certificate").contains(key)) return v;
        try {
            return Long.parseLong(v.isEmpty() ? "1" : v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    private static final List<String> NOT_OPTIONS = List.of("id", "type", "delete", "digest");

    private static Map<String, String> values(Params p) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : p.asMap().entrySet()) {
            if (e.getValue() == null || NOT_OPTIONS.contains(e.getKey())) continue;
            Object v = e.getValue();
            out.put(e.getKey(), org.haven.core.schema.Validator.text(v));
        }
        return out;
    }

    private Object create(Params p) {
        String id = p.str("id");
        Map<String, String> values = values(p);
        return locked(() -> {
            SectionConfig.Document doc = StatusConfig.parse(text());
            StatusConfig.create(doc, id, p.str("type"), values);
            setToken(id, values.get("token"), true);
            SectionConfig.Section s = StatusConfig.section(doc, id);
            testConnection(MetricServer.of(s, values.get("token")), () -> setToken(id, null, true));
            ctx.cfs().writeString(StatusConfig.FILE, StatusConfig.write(doc));
            return null;
        });
    }

    private Object update(Params p) {
        String id = p.str("id");
        Map<String, String> values = values(p);
        List<String> delete = p.opt("delete").map(d -> List.of(d.split("[,;\\s]+"))).orElse(List.of())
                .stream().filter(k -> !k.isEmpty()).toList();
        return locked(() -> {
            String text = text();
            ConfigDigest.check(p.str("digest", null), text);
            SectionConfig.Document doc = StatusConfig.parse(text);
            StatusConfig.update(doc, id, values, delete);
            if (values.containsKey("token")) setToken(id, values.get("token"), true);
            else if (delete.contains("token")) setToken(id, null, true);
            SectionConfig.Section s = StatusConfig.section(doc, id);
            testConnection(MetricServer.of(s, token(ctx.cfs(), id).orElse(null)), () -> { });
            ctx.cfs().writeString(StatusConfig.FILE, StatusConfig.write(doc));
            return null;
        });
    }

    private Object delete(String id) {
        return locked(() -> {
            SectionConfig.Document doc = StatusConfig.parse(text());
            StatusConfig.section(doc, id);
            setToken(id, null, true);
            doc.remove(id);
            ctx.cfs().writeString(StatusConfig.FILE, StatusConfig.write(doc));
            return null;
        });
    }

    /** PVE tests an enabled server before saving it; on failure {@code undo} runs and the error is the request's. */
    private void testConnection(MetricServer s, Runnable undo) {
        if (s.disable()) return;
        try {
            sender.testConnection(s);
        } catch (IOException e) {
            undo.run();
            throw new IllegalStateException(e.getMessage());
        }
    }

    /** Writes the token of {@code id} to {@code priv/metricserver/<id>.pw}, or removes it when {@code remove} and there is none. */
    private void setToken(String id, String token, boolean remove) {
        ClusterFs cfs = ctx.cfs();
        if (token != null) {
            cfs.mkdirs("priv/metricserver");
            cfs.writeString(tokenPath(id), token);
        } else if (remove) {
            cfs.delete(tokenPath(id));
        }
    }

    private <T> T locked(java.util.function.Supplier<T> body) { return ctx.cfs().withLock(LOCK, Duration.ofSeconds(10), body); }

    static String digest(String text) {
        return ConfigDigest.of(text);
    }

    /** This node's kept metrics, and unless {@code localOnly} the newest ones every other member published. */
    List<Map<String, Object>> export(boolean localOnly, boolean history, long startTime) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ExportMetrics.Metric m : export.read(history, startTime)) out.add(m.toMap());
        if (!localOnly) {
            for (String node : members()) {
                if (node.equals(ctx.nodeName())) continue;
                try {
                    Optional<byte[]> data = ctx.cfs().nodeStatus(node, STATUS_KEY);
                    if (data.isEmpty()) continue;
                    for (JsonNode m : JSON.readTree(data.get())) {
                        if (m.path("timestamp").asLong() <= startTime) continue;
                        out.add(Map.of("id", m.path("id").asString(), "metric", m.path("metric").asString(),
                                "timestamp", m.path("timestamp").asLong(), "type", m.path("type").asString(),
                                "value", m.path("value").asDouble()));
                    }
                } catch (UnsupportedOperationException | tools.jackson.core.JacksonException e) {
                    // no status plane, or a value this node cannot read
                }
            }
            out.sort((a, b) -> Long.compare((Long) a.get("timestamp"), (Long) b.get("timestamp")));
        }
        return out;
    }

    private List<String> members() {
        List<String> out = new ArrayList<>();
        try {
            JsonNode m = JSON.readTree(ctx.cfs().readString(".members").orElse("{}"));
            for (Map.Entry<String, JsonNode> e : m.path("nodelist").properties()) out.add(e.getKey());
        } catch (RuntimeException e) {
            // no member list: this node alone
        }
        return out;
    }
}
