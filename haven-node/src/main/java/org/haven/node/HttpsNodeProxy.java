package org.haven.node;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.haven.access.AccessControl;
import org.haven.api.HttpMethod;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.Json;
import org.haven.api.server.NodeProxy;
import org.haven.core.cfs.ClusterFs;
import tools.jackson.databind.JsonNode;

/**
 * PVE's proxyto: forwards a request for another node to that node's HTTPS API, which must present one of that
 * node's own certificates (pinned by fingerprint, see {@link PinnedNodeTrust}).
 * The caller's ticket (with its CSRF token) or API token is passed on; calls from the local socket (root)
 * get a fresh root@pam ticket signed with the cluster key. The node's address comes from
 * {@code nodes/<node>/haven-endpoint} ({@code host:port}, written by each daemon) or from {@code .members}
 * with port 8006. Connection failures answer 595, as pveproxy does.
 */
public final class HttpsNodeProxy implements NodeProxy, AutoCloseable {
    private final ClusterFs cfs;
    private final AccessControl ac;
    private HttpClient client;

    public HttpsNodeProxy(ClusterFs cfs, AccessControl ac) {
        this.cfs = cfs;
        this.ac = ac;
    }

    public static String endpointPath(String node) { return "nodes/" + node + "/haven-endpoint"; }

    private synchronized HttpClient client() throws Exception {
        if (client != null) return client;
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new javax.net.ssl.TrustManager[] {new PinnedNodeTrust()}, new java.security.SecureRandom());
        SslContextFactory.Client ssl = new SslContextFactory.Client();
        ssl.setSslContext(tls);
        ssl.setEndpointIdentificationAlgorithm(null);
        ClientConnector cc = new ClientConnector();
        cc.setSslContextFactory(ssl);
        HttpClient c = new HttpClient(new HttpClientTransportOverHTTP(cc));
        c.setConnectTimeout(10_000);
        c.start();
        client = c;
        return c;
    }

    /** Which node each endpoint ({@code host:port}) was last resolved for; the pinning checks against it. */
    private final Map<String, String> endpointNodes = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The certificate fingerprints {@code node} may present, as PVE caches them: those of its
     * {@code pveproxy-ssl.pem} (a custom certificate) and {@code pve-ssl.pem} (issued by the cluster CA).
     */
    List<String> expectedFingerprints(String node) {
        List<String> out = new java.util.ArrayList<>();
        for (String f : List.of("nodes/" + node + "/pveproxy-ssl.pem", Certificates.nodeCertPath(node))) {
            cfs.readString(f).ifPresent(pem -> {
                try {
                    out.add(Certificates.fingerprint(Certificates.readCert(pem)));
                } catch (Exception ignored) {
                    // an unreadable certificate pins nothing
                }
            });
        }
        return out;
    }

    /**
     * Accepts a node's server certificate only when its fingerprint is one of that node's certificates in
     * the cluster file system, so one node cannot stand in for another even with a certificate of the CA.
     */
    private final class PinnedNodeTrust extends javax.net.ssl.X509ExtendedTrustManager {
        private void check(X509Certificate[] chain, String host, int port) throws java.security.cert.CertificateException {
            if (chain == null || chain.length == 0) throw new java.security.cert.CertificateException("no server certificate");
            String h = host != null && host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
            String node = endpointNodes.get(h + ":" + port);
            if (node == null) throw new java.security.cert.CertificateException("no cluster node at " + h + ":" + port);
            String fp;
            try {
                fp = Certificates.fingerprint(chain[0]);
            } catch (Exception e) {
                throw new java.security.cert.CertificateException(e);
            }
            if (!expectedFingerprints(node).contains(fp)) {
                throw new java.security.cert.CertificateException("certificate fingerprint " + fp + " is not one of node '" + node + "'");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            check(chain, engine.getPeerHost(), engine.getPeerPort());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            java.net.InetSocketAddress a = (java.net.InetSocketAddress) socket.getRemoteSocketAddress();
            check(chain, a.getHostString(), a.getPort());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the peer of a certificate is needed to pin it");
        }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) { }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) { }

        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }

        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    Optional<String> endpoint(String node) {
        Optional<String> e = cfs.readString(endpointPath(node)).map(String::strip).filter(s -> !s.isEmpty());
        if (e.isPresent()) return e;
        Optional<String> members = cfs.readString(".members");
        if (members.isEmpty()) return Optional.empty();
        try {
            JsonNode n = Json.MAPPER.readTree(members.get()).path("nodelist").get(node);
            if (n == null || n.path("ip").asString("").isEmpty()) return Optional.empty();
            String ip = n.path("ip").asString();
            return Optional.of((ip.contains(":") ? "[" + ip + "]" : ip) + ":8006");
        } catch (RuntimeException ex) {
            return Optional.empty();
        }
    }

    @Override
    public ApiResponse forward(String node, ApiRequest req, String authid) {
        Optional<String> ep = endpoint(node);
        if (ep.isEmpty()) return ApiResponse.error(500, "no such cluster node '" + node + "'");
        endpointNodes.put(ep.get(), node);
        try {
            String q = encode(req.params());
            String url = "https://" + ep.get() + "/api2/json" + req.path();
            boolean body = req.method() == HttpMethod.POST || req.method() == HttpMethod.PUT;
            Request r = client().newRequest(body || q.isEmpty() ? url : url + "?" + q).method(req.method().name()).timeout(600, TimeUnit.SECONDS);
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
    public void close() throws Exception {
        if (client != null) client.stop();
    }
}
