package org.haven.node.admin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.haven.api.ApiException;
import org.haven.api.ApiRegistry;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.SpecMethods;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.Dispatcher;
import org.haven.core.cfs.ClusterFs;
import org.haven.storage.spi.CommandRunner;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The node's remaining host methods with PVE's behaviour: {@code report} (pvereport), {@code wakeonlan},
 * {@code execute} (a batch of API calls on this node), {@code query-url-metadata} and {@code subscription}
 * (Haven has no subscription service: a node has no key, as a PVE node without one).
 */
final class NodeToolsApi {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SpecMethods SPEC = SpecMethods.load(NodeToolsApi.class, "node-host.json", Map.of(
            "node", "The cluster node name.",
            "commands", "JSON array of the calls to make, each an object with 'method', 'path' and 'args'.",
            "url", "The URL to ask for.",
            "verify-certificates", "Verify the server's TLS certificate.",
            "key", "The subscription key.",
            "force", "Check the subscription even when the last check was recent."));
    private static final String N = "/nodes/{node}";
    static final String NO_SUBSCRIPTION = "Haven has no subscription service: there is no subscription key to set";

    private final NodeContext ctx;
    private final Host host;
    private final Apt apt;
    private final CommandRunner runner;
    private final Supplier<Dispatcher> dispatcher;

    /** {@code dispatcher}: the node's API, which {@code execute} and the report call. */
    NodeToolsApi(NodeContext ctx, Host host, Apt apt, CommandRunner runner, Supplier<Dispatcher> dispatcher) {
        this.ctx = ctx;
        this.host = host;
        this.apt = apt;
        this.runner = runner;
        this.dispatcher = dispatcher;
    }

    void register(ApiRegistry reg) {
        SPEC.add(reg, "POST", N + "/wakeonlan", "Try to wake a node via 'wake on LAN' network packet.", (p, rc) -> wake(p.str("node")));
        SPEC.add(reg, "GET", N + "/subscription", "Read subscription info.", (p, rc) -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("status", "notfound");
            out.put("message", "There is no subscription key");
            if (rc.hasPermission("/nodes/" + p.str("node"), true, "Sys.Audit")) {
                out.put("serverid", serverId());
                out.put("sockets", sockets());
            }
            return out;
        });
        SPEC.add(reg, "POST", N + "/subscription", "Update subscription info.", (p, rc) -> null);
        SPEC.add(reg, "PUT", N + "/subscription", "Set subscription key.", (p, rc) -> { throw ApiException.error(NO_SUBSCRIPTION); });
        SPEC.add(reg, "DELETE", N + "/subscription", "Delete subscription key of this node.", (p, rc) -> null);
        SPEC.add(reg, "POST", N + "/execute", "Execute multiple commands in order, root only.", (p, rc) -> execute(p.str("node"), p.str("commands")));
        SPEC.add(reg, "GET", N + "/query-url-metadata", "Query metadata of an URL: file size, file name and mime type.",
                (p, rc) -> urlMetadata(p.str("url"), p.bool("verify-certificates", true)));
        SPEC.add(reg, "GET", N + "/report", "Gather various system information about a node", (p, rc) -> report(p.str("node")));
    }

    // ---- wake-on-LAN -------------------------------------------------------------------------------------------------

    private String wake(String node) {
        String value = NodeConfig.parse(ctx.cfs().readString("nodes/" + node + "/config").orElse("")).get("wakeonlan");
        if (value == null) throw ApiException.error("No wake on LAN MAC address defined for '" + node + "'!");
        if (node.equals("localhost") || node.equals(ctx.nodeName())) throw ApiException.error(node + " is local node, cannot wake my self!");
        if (ctx.cfs().stat("nodes/" + node).isEmpty()) throw ApiException.error("no such cluster node '" + node + "'");
        Map<String, String> wol = WakeOnLan.settings(value);
        try {
            WakeOnLan.send(wol.get("mac"), wol.get("bind-interface"), wol.get("broadcast-address"));
        } catch (IOException | IllegalArgumentException e) {
            throw ApiException.error("Unable to send packet: " + e.getMessage());
        }
        return wol.get("mac");
    }

    // ---- subscription -----------------------------------------------------------------------------------------------

    /** PVE's server ID: MD5 of the SSH host RSA key (the machine ID where there is none), upper-case hex. */
    private String serverId() {
        for (Path p : List.of(host.root().resolve("etc/ssh/ssh_host_rsa_key.pub"), host.root().resolve("etc/machine-id"))) {
            try {
                byte[] data = Files.readAllBytes(p);
                return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("MD5").digest(data));
            } catch (IOException e) {
                // next
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return HexFormat.of().withUpperCase().formatHex(ctx.nodeName().getBytes(StandardCharsets.UTF_8));
    }

    /** The number of CPU sockets ({@code physical id}s in /proc/cpuinfo), at least 1. */
    private int sockets() {
        try {
            TreeSet<String> ids = new TreeSet<>();
            for (String line : Files.readAllLines(host.proc("cpuinfo"), StandardCharsets.UTF_8))
                if (line.startsWith("physical id")) ids.add(line.substring(line.indexOf(':') + 1).strip());
            return Math.max(1, ids.size());
        } catch (IOException e) {
            return 1;
        }
    }

    // ---- execute ------------------------------------------------------------------------------------------------------

    /**
     * PVE's {@code execute}: each command's {@code method}, {@code path} (below {@code nodes/<node>/}) and
     * {@code args} run in order as root; each gives {@code status} and {@code data}, or {@code status},
     * {@code message} and {@code errors} when it failed. A failing command does not stop the others.
     */
    private List<Map<String, Object>> execute(String node, String commands) {
        JsonNode cmds;
        try {
            cmds = JSON.readTree(commands);
        } catch (RuntimeException e) {
            throw org.haven.core.schema.ParamException.of("commands", "invalid JSON");
        }
        if (!cmds.isArray()) throw org.haven.core.schema.ParamException.of("commands", "value must be a JSON array");
        Dispatcher dispatcher = this.dispatcher.get();
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode c : cmds) {
            String method = c.path("method").asString("");
            String path = c.path("path").asString("");
            Map<String, Object> res = new LinkedHashMap<>();
            if (!method.matches("GET|POST|PUT|DELETE")) {
                res.put("status", 500);
                res.put("message", method + " " + path + ": unsupported method\n");
                out.add(res);
                continue;
            }
            Map<String, Object> args = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> a : c.path("args").properties())
                args.put(a.getKey(), a.getValue().isArray() ? JSON.convertValue(a.getValue(), List.class) : a.getValue().isString() ? a.getValue().asString() : a.getValue().toString());
            ApiResponse r = dispatcher.handle(new ApiRequest(HttpMethod.valueOf(method), "/nodes/" + node + "/" + path.replaceFirst("^/+", ""), args,
                    null, null, null, true, "unix"));
            res.put("status", r.status());
            if (r.status() == 200) {
                res.put("data", r.data());
            } else {
                res.put("message", r.message());
                if (r.errors() != null && !r.errors().isEmpty()) res.put("errors", r.errors());
            }
            out.add(res);
        }
        return out;
    }

    // ---- query-url-metadata ------------------------------------------------------------------------------------------

    private Map<String, Object> urlMetadata(String url, boolean verify) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw org.haven.core.schema.ParamException.of("url", "invalid URL");
        }
        if (!List.of("http", "https", "ftp").contains(String.valueOf(uri.getScheme()))) throw org.haven.core.schema.ParamException.of("url", "invalid URL");
        HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30));
        String proxy = AptApi.httpProxy(ctx.cfs());
        if (proxy != null) {
            URI p = URI.create(proxy);
            b.proxy(java.net.ProxySelector.of(new java.net.InetSocketAddress(p.getHost(), p.getPort() < 0 ? 80 : p.getPort())));
        }
        if (!verify) b.sslContext(trustAll());
        try (HttpClient client = b.build()) {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.discarding());
            var h = r.headers();
            return UrlMetadata.of(url, r.statusCode(), null, h.firstValue("Content-Length").orElse(null),
                    h.firstValue("Content-Disposition").orElse(null), h.firstValue("Content-Type").orElse(null));
        } catch (IOException e) {
            throw ApiException.error("invalid server response: '" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + "'");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.error("interrupted");
        } catch (IllegalArgumentException e) {
            throw ApiException.error(e.getMessage());
        }
    }

    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.TrustManager[] tm = {new javax.net.ssl.X509TrustManager() {
                @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
            }};
            javax.net.ssl.SSLContext s = javax.net.ssl.SSLContext.getInstance("TLS");
            s.init(null, tm, new java.security.SecureRandom());
            return s;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- report ---------------------------------------------------------------------------------------------------------

    private String report(String node) {
        ClusterFs cfs = ctx.cfs();
        List<String> guests = new ArrayList<>();
        for (String dir : List.of("qemu-server", "lxc")) {
            String base = "nodes/" + node + "/" + dir;
            for (ClusterFs.Entry e : cfs.list(base).stream().sorted((a, b) -> a.name().compareTo(b.name())).toList())
                if (e.name().endsWith(".conf")) guests.add(base + "/" + e.name());
        }
        List<String> aptFiles = apt.repositoryFiles().stream().map(apt::display).toList();
        Dispatcher dispatcher = this.dispatcher.get();
        return NodeReport.render(NodeReport.plan(node, guests, aptFiles), item -> switch (item.kind()) {
            case COMMAND -> {
                try {
                    CommandRunner.Result r = runner.run(item.args());
                    yield (r.stdout() + r.stderr()).stripTrailing();
                } catch (RuntimeException e) {
                    yield "unable to run: " + e.getMessage();
                }
            }
            case HOST_FILE -> {
                String path = item.args().getFirst();
                if (path.startsWith("/etc/apt/")) {
                    try {
                        yield Files.readString(apt.root().resolve(path.substring(1)), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        yield "unable to read: " + e.getMessage();
                    }
                }
                yield host.readEtc(path.substring("/etc/".length()));
            }
            case CFS_FILE -> cfs.readString(item.args().getFirst()).orElse("");
            case API -> dispatcher == null ? "" : apiText(dispatcher, item);
        });
    }

    private static String apiText(Dispatcher dispatcher, NodeReport.Item item) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 1; i + 1 < item.args().size(); i += 2) params.put(item.args().get(i), item.args().get(i + 1));
        ApiResponse r = dispatcher.handle(new ApiRequest(HttpMethod.GET, item.args().getFirst(), params, null, null, null, true, "unix"));
        if (r.status() != 200) return r.message();
        JsonNode data = JSON.valueToTree(r.data());
        StringBuilder b = new StringBuilder();
        if (item.heading().startsWith("pveversion")) {
            for (JsonNode v : data) {
                b.append(v.path("Package").asString()).append(": ");
                b.append(v.has("Version") ? v.path("Version").asString() : "not correctly installed");
                if (v.has("RunningKernel")) b.append(" (running kernel: ").append(v.path("RunningKernel").asString())
                        .append(", running version: ").append(v.path("ManagerVersion").asString()).append(')');
                b.append('\n');
            }
            return b.toString();
        }
        for (JsonNode e : data.isArray() ? data : List.of(data)) {
            for (Map.Entry<String, JsonNode> f : e.properties()) b.append(f.getKey()).append(": ").append(f.getValue().isString() ? f.getValue().asString() : f.getValue().toString()).append('\n');
            b.append('\n');
        }
        return b.toString().stripTrailing();
    }
}
