package org.haven.node;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.haven.access.AccessControl;
import org.haven.api.ClusterNodes;
import org.haven.api.HttpMethod;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.Json;
import org.haven.api.server.NodeProxy;
import org.haven.core.cfs.ClusterFs;
import tools.jackson.databind.JsonNode;

/**
 * PVE's proxyto: forwards a request for another node to that node's HTTPS API, which must present one of that
 * node's own certificates (see {@link ClusterNodes}).
 * The caller's ticket (with its CSRF token) or API token is passed on; calls from the local socket (root)
 * get a fresh root@pam ticket signed with the cluster key. The node's address comes from
 * {@code nodes/<node>/haven-endpoint} ({@code host:port}, written by each daemon) or from {@code .members}
 * with port 8006. Connection failures answer 595, as pveproxy does.
 */
public final class HttpsNodeProxy implements NodeProxy, AutoCloseable {
    private final ClusterFs cfs;
    private final AccessControl ac;
    private final Map<String, HttpClient> clients = new java.util.HashMap<>();

    public HttpsNodeProxy(ClusterFs cfs, AccessControl ac) {
        this.cfs = cfs;
        this.ac = ac;
    }

    /** One client per target node, each accepting only that node's certificates. */
    private synchronized HttpClient client(String node) throws Exception {
        HttpClient c = clients.get(node);
        if (c != null) return c;
        SslContextFactory.Client ssl = new SslContextFactory.Client();
        ssl.setSslContext(ClusterNodes.pinnedTls(cfs, node));
        ssl.setEndpointIdentificationAlgorithm(null);
        ClientConnector cc = new ClientConnector();
        cc.setSslContextFactory(ssl);
        c = new HttpClient(new HttpClientTransportOverHTTP(cc));
        c.setConnectTimeout(10_000);
        c.start();
        clients.put(node, c);
        return c;
    }

    Optional<String> endpoint(String node) { return ClusterNodes.endpoint(cfs, node); }

    @Override
    public ApiResponse forward(String node, ApiRequest req, String authid) {
        Optional<String> ep = endpoint(node);
        if (ep.isEmpty()) return ApiResponse.error(500, "no such cluster node '" + node + "'");
        try {
            String q = encode(req.params());
            String url = "https://" + ep.get() + "/api2/json" + req.path();
            boolean body = req.method() == HttpMethod.POST || req.method() == HttpMethod.PUT;
            Request r = client(node).newRequest(body || q.isEmpty() ? url : url + "?" + q).method(req.method().name()).timeout(600, TimeUnit.SECONDS);
            if (body) r.body(new StringRequestContent("application/x-www-form-urlencoded", q));
            String ticket = req.ticket();
            String csrf = req.csrfToken();
            if (req.authorization() != null && req.authorization().startsWith("PVEAPIToken")) {
                r.headers(h -> h.put("Authorization", req.authorization()));
            } else {
                if (ticket == null || req.local()) {
                    ticket = ac.createTicket(authid);
                    csrf = ac.csrfToken(authid);
                }
                String t = URLEncoder.encode(ticket, StandardCharsets.UTF_8);
                String c = csrf;
                r.headers(h -> {
                    h.put("Cookie", "PVEAuthCookie=" + t);
                    if (c != null) h.put("CSRFPreventionToken", c);
                });
            }
            ContentResponse res = r.send();
            JsonNode env = Json.MAPPER.readTree(res.getContentAsString());
            Map<String, String> errors = null;
            if (env.has("errors") && env.get("errors").isObject()) {
                errors = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : env.get("errors").properties()) errors.put(e.getKey(), e.getValue().asString());
            }
            Map<String, Object> attrs = null;
            for (Map.Entry<String, JsonNode> e : env.properties()) {
                if (List.of("data", "errors", "message").contains(e.getKey())) continue;
                if (attrs == null) attrs = new LinkedHashMap<>();
                attrs.put(e.getKey(), Json.MAPPER.convertValue(e.getValue(), Object.class));
            }
            String msg = env.has("message") ? env.get("message").asString().strip() : null;
            Object data = env.has("data") ? Json.MAPPER.convertValue(env.get("data"), Object.class) : null;
            return new ApiResponse(res.getStatus(), data, errors, msg, attrs);
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            return ApiResponse.error(595, "Errors during connection establishment, proxy handshake: " + c.getMessage());
        }
    }

    private static String encode(Map<String, Object> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Object> e : params.entrySet()) {
            List<?> vals = e.getValue() instanceof List<?> l ? l : List.of(String.valueOf(e.getValue()));
            for (Object v : vals) {
                if (!sb.isEmpty()) sb.append('&');
                sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    @Override
    public synchronized void close() throws Exception {
        for (HttpClient c : clients.values()) c.stop();
        clients.clear();
    }
}
