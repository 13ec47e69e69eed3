package org.haven.cfs.api;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.haven.core.format.ConfigDigest;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.cfs.ClusterService;
import org.haven.cfs.CorosyncConf;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code /cluster/config…} and {@code /cluster/status}: cluster creation, join, node removal and the
 * cluster's membership as PVE's API shows them ({@code /cluster/status} is served by haven-node from
 * {@code .members}; {@link #status} computes the same from corosync.conf for callers that want it). Haven extensions: {@code cfsport} on {@code addnode} (the
 * joiner's replication port), the {@code cfs_*} members of its result, and
 * {@code POST /cluster/config/expected} (what {@code pvecm expected} calls).
 */
public final class ClusterConfigApi implements ApiModule {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String NOT_IN_CLUSTER = "Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?";

    private static Schema link() {
        return Schema.string().optional()
                .description("Address and priority information of a single corosync link. (up to 8 links supported; link0..link7)")
                .typetext("[address=]<IP> [,priority=<integer>]");
    }

    private static void links(ApiMethod.Builder b) {
        for (int i = 0; i < 8; i++) b.param("link" + i, link());
    }

    /** The address part of a {@code link<n>} property string. */
    static String linkAddress(String link) {
        if (link == null) return null;
        for (String part : link.split(",")) {
            String p = part.strip();
            if (p.startsWith("address=")) return p.substring(8);
            if (!p.contains("=")) return p;
        }
        return null;
    }

    /** The replicated cluster file system, when the node runs one (with a cfs port). */
    private static Optional<ClusterService> service(NodeContext ctx) {
        return ctx.cfs() instanceof ClusterService cs ? Optional.of(cs) : Optional.empty();
    }

    private static ClusterService requireService(NodeContext ctx) {
        return service(ctx).orElseThrow(() -> new ApiException(500,
                "the cluster file system of this node runs in local mode (start havend with a cfs port to use clustering)"));
    }

    private static CorosyncConf corosync(ClusterFs cfs) {
        return cfs.readString("corosync.conf").map(CorosyncConf::parse).orElseThrow(() -> new ApiException(500, NOT_IN_CLUSTER));
    }

    /** SHA-256 fingerprint of a PEM certificate, PVE style ({@code AB:CD:…}). */
    static String fingerprint(String pem) {
        try {
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            return fingerprint(c);
        } catch (Exception e) {
            return "";
        }
    }

    static String fingerprint(X509Certificate c) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        Permission audit = Permission.perm("/", "Sys.Audit");

        reg.add(ApiMethod.get("/cluster/config").name("index").description("Directory index.")
                .permissions(audit)
                .returns(Schema.array(Schema.object()))
                .handler((p, rc) -> List.of(Map.of("name", "apiversion"), Map.of("name", "join"), Map.of("name", "nodes"),
                        Map.of("name", "qdevice"), Map.of("name", "totem")))
                .build());

        ApiMethod.Builder create = ApiMethod.post("/cluster/config").name("create")
                .description("Generate new cluster configuration. If no links given, default to local IP address as link0.")
                .param("clustername", Schema.string().format("pve-node").maxLength(15).description("The name of the cluster."))
                .param("nodeid", Schema.integer().minimum(1).optional().description("Node id for this node."))
                .param("votes", Schema.integer().minimum(1).optional().description("Number of votes for this node."))
                .returns(Schema.string()).protect();
        links(create);
        reg.add(create.handler((p, rc) -> {
            ClusterService cs = requireService(rc.node());
            String name = p.str("clustername");
            return rc.startTask("clustercreate", name, log -> {
                log.log("Writing corosync key to /etc/corosync/authkey");
                cs.createCluster(name, linkAddress(p.str("link0", null)), p.has("nodeid") ? p.integer("nodeid") : null,
                        p.has("votes") ? p.integer("votes") : null);
                log.log("Writing corosync config to /etc/pve/corosync.conf");
                log.log("Restart corosync and cluster filesystem");
            });
        }).build());

        reg.add(ApiMethod.get("/cluster/config/apiversion").name("join_api_version")
                .description("Return the version of the cluster join API available on this node.")
                .permissions(audit).returns(Schema.integer().minimum(0))
                .handler((p, rc) -> 1).build());

        reg.add(ApiMethod.get("/cluster/config/nodes").name("nodes").description("Corosync node list.")
                .permissions(audit).returns(Schema.array(Schema.object().property("node", Schema.string())))
                .handler((p, rc) -> {
                    CorosyncConf conf = corosync(rc.node().cfs());
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (CorosyncConf.Block nl : conf.root().blocks("nodelist")) {
                        for (CorosyncConf.Block n : nl.blocks("node")) {
                            Map<String, Object> m = new TreeMap<>();
                            for (CorosyncConf.Item i : n.items) if (i instanceof CorosyncConf.Value v) m.put(v.key(), v.value());
                            m.put("node", n.get("name").or(() -> n.get("ring0_addr")).orElse(""));
                            out.add(m);
                        }
                    }
                    out.sort((a, b) -> a.get("node").toString().compareTo(b.get("node").toString()));
                    return out;
                }).build());

        ApiMethod.Builder add = ApiMethod.post("/cluster/config/nodes/{node}").name("addnode")
                .description("Adds a node to the cluster configuration. This call is for internal use.")
                .param("node", StandardOptions.node())
                .param("apiversion", Schema.integer().optional().description("The JOIN_API_VERSION of the new node."))
                .param("force", Schema.bool().optional().description("Do not throw error if node already exists."))
                .param("new_node_ip", Schema.string().format("ip").optional().description("IP Address of node to add. Used as fallback if no links are given."))
                .param("nodeid", Schema.integer().minimum(1).optional().description("Node id for this node."))
                .param("votes", Schema.integer().minimum(0).optional().description("Number of votes for this node"))
                .param("cfsport", Schema.integer().minimum(1).maximum(65535).optional()
                        .description("Port of the new node's cluster file system replication (Haven)."))
                .returns(Schema.object().property("corosync_authkey", Schema.string()).property("corosync_conf", Schema.string())
                        .property("warnings", Schema.array(Schema.string())))
                .protect();
        links(add);
        reg.add(add.handler((p, rc) -> {
            ClusterService cs = requireService(rc.node());
            String addr = linkAddress(p.str("link0", null));
            if (addr == null) addr = p.str("new_node_ip", null);
            if (addr == null) throw ApiException.param("link0", "no address given for the new node");
            ClusterService.JoinGrant g = cs.addNode(p.str("node"), p.has("nodeid") ? p.integer("nodeid") : null, addr,
                    p.integer("cfsport", CorosyncConf.DEFAULT_CFS_PORT), p.has("votes") ? p.integer("votes") : null, p.bool("force", false));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("corosync_authkey", "");
            out.put("corosync_conf", g.corosyncConf());
            out.put("warnings", List.of());
            out.put("cfs_group", g.groupId().toString());
            out.put("cfs_generation", g.generation());
            out.put("nodeid", g.nodeId());
            return out;
        }).build());

        reg.add(ApiMethod.delete("/cluster/config/nodes/{node}").name("delnode")
                .description("Removes a node from the cluster configuration.")
                .param("node", StandardOptions.node()).returns(Schema.nullType()).protect()
                .handler((p, rc) -> {
                    requireService(rc.node()).delNode(p.str("node"));
                    return null;
                }).build());

        reg.add(ApiMethod.get("/cluster/config/join").name("join_info")
                .description("Get information needed to join this cluster over the connected node.")
                .param("node", StandardOptions.node().optional().description("The node for which the joinee gets the nodeinfo. "))
                .permissions(audit).returns(Schema.object())
                .handler((p, rc) -> joinInfo(rc.node(), p)).build());

        ApiMethod.Builder join = ApiMethod.post("/cluster/config/join").name("join")
                .description("Joins this node into an existing cluster. If no links are given, default to IP resolved by node's hostname on single link (fallback fails for clusters with multiple links).")
                .param("fingerprint", Schema.string().pattern("([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}")
                        .description("Certificate SHA 256 fingerprint."))
                .param("force", Schema.bool().optional().description("Do not throw error if node already exists."))
                .param("hostname", Schema.string().description("Hostname (or IP) of an existing cluster member."))
                .param("nodeid", Schema.integer().minimum(1).optional().description("Node id for this node."))
                .param("password", Schema.string().maxLength(128).description("Superuser (root) password of peer node."))
                .param("votes", Schema.integer().minimum(0).optional().description("Number of votes for this node"))
                .returns(Schema.string()).protect();
        links(join);
        reg.add(join.handler((p, rc) -> {
            ClusterService cs = requireService(rc.node());
            cs.assertJoinable();
            return rc.startTask("clusterjoin", "", log -> {
                log.log("Establishing API connection with host '" + p.str("hostname") + "'");
                Map<String, Object> grant = JoinClient.requestJoin(p, cs, rc.node().nodeName());
                log.log("Request addition of this node");
                log.log("Join request OK, finishing setup locally");
                cs.join(new ClusterService.JoinGrant((String) grant.get("corosync_conf"), UUID.fromString((String) grant.get("cfs_group")),
                        ((Number) grant.get("cfs_generation")).longValue(), ((Number) grant.get("nodeid")).intValue()));
                log.log("successfully added node '" + rc.node().nodeName() + "' to cluster.");
            });
        }).build());

        reg.add(ApiMethod.get("/cluster/config/totem").name("totem").description("Get corosync totem protocol settings.")
                .permissions(audit).returns(Schema.object())
                .handler((p, rc) -> {
                    CorosyncConf conf = corosync(rc.node().cfs());
                    return conf.root().block("totem").map(ClusterConfigApi::blockToMap).orElse(Map.of());
                }).build());

        reg.add(ApiMethod.get("/cluster/config/qdevice").name("status").description("Get QDevice status")
                .permissions(audit).returns(Schema.object()).protect()
                .handler((p, rc) -> {
                    Optional<org.haven.cfs.CfsNode> w = rc.node().cfs().readString("corosync.conf").map(CorosyncConf::parse)
                            .flatMap(CorosyncConf::witness);
                    if (w.isEmpty()) return Map.of();
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("Algorithm", "Fifty-Fifty split");
                    m.put("QNetd host", w.get().host() + ":" + w.get().port());
                    m.put("State", service(rc.node()).map(s -> s.replica().raftPeers().contains(CorosyncConf.WITNESS)).orElse(false)
                            ? "Connected" : "Disconnected");
                    m.put("Tie-breaker", "Node with lowest node ID");
                    return m;
                }).build());

        reg.add(ApiMethod.post("/cluster/config/qdevice").name("qdevice_setup")
                .description("Add a witness (started with havend --witness) as the external vote of the cluster (Haven; pvecm qdevice setup).")
                .param("address", Schema.string().description("Address of the witness."))
                .param("port", Schema.integer().minimum(1).maximum(65535).optional().description("Replication port of the witness."))
                .returns(Schema.nullType()).protect()
                .handler((p, rc) -> {
                    requireService(rc.node()).qdeviceSetup(p.str("address"), p.integer("port", CorosyncConf.DEFAULT_CFS_PORT));
                    return null;
                }).build());

        reg.add(ApiMethod.delete("/cluster/config/qdevice").name("qdevice_remove")
                .description("Remove the witness (Haven; pvecm qdevice remove).")
                .returns(Schema.nullType()).protect()
                .handler((p, rc) -> {
                    requireService(rc.node()).qdeviceRemove();
                    return null;
                }).build());

        reg.add(ApiMethod.get("/cluster/log").name("log").description("Read cluster log")
                .param("max", Schema.integer().minimum(1).optional().description("Maximum number of entries."))
                .permissions(Permission.perm("/", "Sys.Syslog"))
                .returns(Schema.array(Schema.object()))
                .handler((p, rc) -> {
                    JsonNode log = JSON.readTree(rc.node().cfs().readString(".clusterlog").orElse("{\"data\":[]}"));
                    List<JsonNode> out = new ArrayList<>();
                    int max = p.integer("max", 50);
                    for (JsonNode e : log.path("data")) {
                        if (out.size() >= max) break;
                        out.add(e);
                    }
                    return out;
                }).build());

        reg.add(ApiMethod.post("/cluster/config/expected").name("expected")
                .description("Tell the cluster file system the expected number of votes; on a node without quorum this forces a new configuration (Haven; pvecm expected).")
                .param("expected", Schema.integer().minimum(1).description("Expected votes."))
                .returns(Schema.bool()).protect()
                .handler((p, rc) -> requireService(rc.node()).expected(p.integer("expected"))).build());

    }

    static Map<String, Object> blockToMap(CorosyncConf.Block b) {
        Map<String, Object> m = new TreeMap<>();
        for (CorosyncConf.Item i : b.items) {
            switch (i) {
                case CorosyncConf.Value v -> m.put(v.key(), v.value());
                case CorosyncConf.Block c -> {
                    if (c.name.equals("interface")) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> ifs = (Map<String, Object>) m.computeIfAbsent("interface", k -> new TreeMap<>());
                        ifs.put(c.get("linknumber").or(() -> c.get("ringnumber")).orElse("0"), blockToMap(c));
                    } else {
                        m.put(c.name, blockToMap(c));
                    }
                }
                case CorosyncConf.Comment c -> { }
            }
        }
        return m;
    }

    private static Map<String, Object> joinInfo(NodeContext ctx, Params p) {
        ClusterFs cfs = ctx.cfs();
        CorosyncConf conf = corosync(cfs);
        String preferred = p.str("node", ctx.nodeName());
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (CorosyncConf.Node n : conf.nodes()) {
            Map<String, Object> m = new TreeMap<>();
            m.put("name", n.name());
            m.put("nodeid", Integer.toString(n.nodeId()));
            m.put("quorum_votes", Integer.toString(n.votes()));
            if (n.ring0Addr() != null) {
                m.put("ring0_addr", n.ring0Addr());
                m.put("pve_addr", n.ring0Addr());
            }
            m.put("pve_fp", cfs.readString("nodes/" + n.name() + "/pve-ssl.pem").map(ClusterConfigApi::fingerprint).orElse(""));
            nodes.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config_digest", sha1(cfs.readString("corosync.conf").orElse("")));
        out.put("nodelist", nodes);
        out.put("preferred_node", preferred);
        out.put("totem", conf.root().block("totem").map(ClusterConfigApi::blockToMap).orElse(Map.of()));
        return out;
    }

    static String sha1(String s) {
        return ConfigDigest.of(s);
    }

    static List<Map<String, Object>> status(NodeContext ctx) {
        ClusterFs cfs = ctx.cfs();
        Optional<CorosyncConf> conf = cfs.readString("corosync.conf").map(CorosyncConf::parse);
        Set<String> online = service(ctx).map(s -> s.replica().onlineNodes()).orElse(Set.of(ctx.nodeName()));
        List<Map<String, Object>> out = new ArrayList<>();
        if (conf.isEmpty()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("type", "node");
            n.put("id", "node/" + ctx.nodeName());
            n.put("name", ctx.nodeName());
            n.put("nodeid", 0);
            n.put("ip", service(ctx).map(s -> s.replica().config().self().host()).orElse("127.0.0.1"));
            n.put("local", 1);
            n.put("online", 1);
            n.put("level", "");
            out.add(n);
            return out;
        }
        CorosyncConf c = conf.get();
        Map<String, Object> cl = new LinkedHashMap<>();
        cl.put("type", "cluster");
        cl.put("id", "cluster");
        cl.put("name", c.clusterName());
        cl.put("nodes", c.nodes().size());
        cl.put("quorate", cfs.isQuorate() ? 1 : 0);
        cl.put("version", c.configVersion());
        out.add(cl);
        for (CorosyncConf.Node n : c.nodes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "node");
            m.put("id", "node/" + n.name());
            m.put("name", n.name());
            m.put("nodeid", n.nodeId());
            m.put("ip", n.ring0Addr());
            m.put("local", n.name().equals(ctx.nodeName()) ? 1 : 0);
            m.put("online", online.contains(n.name()) ? 1 : 0);
            m.put("level", "");
            out.add(m);
        }
        return out;
    }

    /** The joiner's side of the join: asks an existing member (verified by fingerprint) to add this node. */
    /** {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port} as {@code host:port} (PVE's API port 8006 by default). */
    static String hostPort(String host) {
        if (host.contains(":") && !host.startsWith("[") && host.indexOf(':') == host.lastIndexOf(':')) return host;
        if (host.startsWith("[") && host.contains("]:")) return host;
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":8006";
    }

    /**
     * The SHA-256 fingerprint of the certificate {@code host}'s API presents, read without trusting it (for
     * {@code pvecm add} without {@code --fingerprint}, which asks the user to confirm it).
     */
    public static String peerFingerprint(String host) throws Exception {
        String hp = hostPort(host);
        int colon = hp.lastIndexOf(':');
        String h = hp.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(hp.substring(colon + 1));
        SSLContext ssl = SSLContext.getInstance("TLS");
        X509Certificate[][] seen = new X509Certificate[1][];
        ssl.init(null, new TrustManager[] {new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }

            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { seen[0] = chain; }

            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, new SecureRandom());
        try (javax.net.ssl.SSLSocket sock = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket()) {
            sock.connect(new java.net.InetSocketAddress(h, port), 10_000);
            sock.setSoTimeout(10_000);
            sock.startHandshake();
        }
        if (seen[0] == null || seen[0].length == 0) throw new IllegalStateException("no certificate from '" + host + "'");
        return fingerprint(seen[0][0]);
    }

    static final class JoinClient {
        private JoinClient() {}

        static Map<String, Object> requestJoin(Params p, ClusterService cs, String nodeName) throws Exception {
            String host = p.str("hostname");
            String hostPort = hostPort(host);
            String fp = p.str("fingerprint").toUpperCase();
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
                    try {
                        if (chain.length == 0 || !fingerprint(chain[0]).equals(fp)) {
                            throw new java.security.cert.CertificateException("Certificate fingerprint does not match " + fp);
                        }
                    } catch (java.security.cert.CertificateException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new java.security.cert.CertificateException(e);
                    }
                }

                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, new SecureRandom());
            javax.net.ssl.SSLParameters params = new javax.net.ssl.SSLParameters();
            params.setEndpointIdentificationAlgorithm(null);
            HttpClient http = HttpClient.newBuilder().sslContext(ssl).sslParameters(params).connectTimeout(Duration.ofSeconds(10)).build();
            String base = "https://" + hostPort + "/api2/json";
            JsonNode ticket = call(http, HttpRequest.newBuilder(URI.create(base + "/access/ticket"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("username", "root@pam", "password", p.str("password"))))).build());
            String t = ticket.path("ticket").asString("");
            String csrf = ticket.path("CSRFPreventionToken").asString("");
            if (t.isEmpty()) throw new IllegalStateException("authentication with '" + host + "' failed");
            Map<String, Object> form = new LinkedHashMap<>();
            form.put("apiversion", 1);
            var self = cs.replica().config().self();
            form.put("link0", p.str("link0", self.host()));
            form.put("new_node_ip", self.host());
            form.put("cfsport", self.port());
            if (p.has("nodeid")) form.put("nodeid", p.integer("nodeid"));
            if (p.has("votes")) form.put("votes", p.integer("votes"));
            if (p.bool("force", false)) form.put("force", 1);
            JsonNode res = call(http, HttpRequest.newBuilder(URI.create(base + "/cluster/config/nodes/" + nodeName))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Cookie", "PVEAuthCookie=" + URLEncoder.encode(t, StandardCharsets.UTF_8))
                    .header("CSRFPreventionToken", csrf)
                    .POST(HttpRequest.BodyPublishers.ofString(form(form))).build());
            @SuppressWarnings("unchecked")
            Map<String, Object> out = JSON.convertValue(res, Map.class);
            return out;
        }

        private static JsonNode call(HttpClient http, HttpRequest req) throws Exception {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            JsonNode env = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                String msg = env.path("message").asString("");
                if (env.has("errors")) msg = msg + " " + env.get("errors");
                throw new IllegalStateException(msg.isBlank() ? "HTTP " + r.statusCode() : msg.strip());
            }
            return env.path("data");
        }

        private static String form(Map<String, ?> m) {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, ?> e : m.entrySet()) {
                if (!sb.isEmpty()) sb.append('&');
                sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                  .append(URLEncoder.encode(String.valueOf(e.getValue()), StandardCharsets.UTF_8));
            }
            return sb.toString();
        }
    }
}
