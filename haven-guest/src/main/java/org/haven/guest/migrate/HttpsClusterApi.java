package org.haven.guest.migrate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

import org.haven.api.ClusterNodes;
import org.haven.core.cfs.ClusterFs;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link ClusterApi} over the nodes' HTTPS APIs, as the daemon's own proxying does: the node's address comes from
 * {@code nodes/<node>/haven-endpoint} ({@code host:port}) or from {@code .members} with port 8006, only the
 * node's own certificates ({@code pveproxy-ssl.pem}, {@code pve-ssl.pem}) are trusted, and calls carry a ticket for
 * the caller signed with the cluster's key. Connection failures answer 595, as pveproxy does.
 */
public final class HttpsClusterApi implements ClusterApi {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A ticket and CSRF token for the user the calls run as. */
    public record Credentials(String ticket, String csrf) {}

    private final ClusterFs cfs;
    private final java.util.function.Supplier<Credentials> credentials;

    public HttpsClusterApi(ClusterFs cfs, java.util.function.Supplier<Credentials> credentials) {
        this.cfs = cfs;
        this.credentials = credentials;
    }

    /** Host and port of {@code node}'s API. */
    Optional<String> endpoint(String node) { return ClusterNodes.endpoint(cfs, node); }

    @Override
    public String address(String node) {
        return endpoint(node).map(HttpsClusterApi::hostOf).orElse(null);
    }

    public static String hostOf(String endpoint) {
        if (endpoint.startsWith("[")) return endpoint.substring(1, endpoint.indexOf(']'));
        int i = endpoint.lastIndexOf(':');
        return i < 0 ? endpoint : endpoint.substring(0, i);
    }

    /** TLS that accepts only {@code node}'s own certificates (see {@link ClusterNodes#pinnedTls}). */
    private SSLContext ssl(String node) { return ClusterNodes.pinnedTls(cfs, node); }

    @Override
    public boolean reachable(String node) {
        try {
            call("GET", "/nodes/" + node + "/version", Map.of());
            return true;
        } catch (CallException e) {
            return e.status() != 595;
        }
    }

    @Override
    public JsonNode call(String node, String method, String path, Map<String, ?> params) {
        Optional<String> ep = endpoint(node);
        if (ep.isEmpty()) throw new CallException(500, "no such cluster node '" + node + "'", null);
        String query = encode(params);
        boolean body = method.equals("POST") || method.equals("PUT");
        HttpURLConnection c = null;
        int status;
        String text;
        try {
            URI uri = URI.create("https://" + ep.get() + "/api2/json" + path + (!body && !query.isEmpty() ? "?" + query : ""));
            HttpsURLConnection h = (HttpsURLConnection) uri.toURL().openConnection();
            c = h;
            h.setSSLSocketFactory(ssl(node).getSocketFactory());
            // trust is the node's pinned certificate; it names the node, not the address used here
            h.setHostnameVerifier((host, session) -> true);
            h.setConnectTimeout(10_000);
            h.setReadTimeout(600_000);
            h.setRequestMethod(method);
            Credentials cr = credentials.get();
            h.setRequestProperty("Cookie", "PVEAuthCookie=" + URLEncoder.encode(cr.ticket(), StandardCharsets.UTF_8));
            if (!method.equals("GET")) h.setRequestProperty("CSRFPreventionToken", cr.csrf());
            if (body) {
                h.setDoOutput(true);
                h.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
                try (OutputStream o = h.getOutputStream()) { o.write(query.getBytes(StandardCharsets.UTF_8)); }
            }
            status = h.getResponseCode();
            InputStream in = status >= 400 ? h.getErrorStream() : h.getInputStream();
            text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            Throwable t = e.getCause() != null ? e.getCause() : e;
            throw new CallException(595, "Errors during connection establishment, proxy handshake: " + t.getMessage(), null);
        } finally {
            if (c != null) c.disconnect();
        }
        JsonNode env;
        try {
            env = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (RuntimeException e) {
            throw new CallException(status, "unparsable answer from node '" + node + "'", null);
        }
        if (status / 100 != 2) {
            Map<String, String> errors = null;
            if (env.path("errors").isObject()) {
                errors = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : env.get("errors").properties()) errors.put(e.getKey(), e.getValue().asString().strip());
            }
            String msg = env.path("message").asString("").strip();
            throw new CallException(status, msg.isEmpty() ? "HTTP status " + status : msg, errors);
        }
        return env.path("data");
    }

    public static String encode(Map<String, ?> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, ?> e : params.entrySet()) {
            if (e.getValue() == null) continue;
            List<?> vals = e.getValue() instanceof List<?> l ? l : List.of(e.getValue());
            for (Object v : vals) {
                if (!sb.isEmpty()) sb.append('&');
                Object val = v instanceof Boolean b ? (b ? 1 : 0) : v;
                sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(String.valueOf(val), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    @Override
    public String stream(String node, String path, Map<String, ?> params, java.util.function.Consumer<OutputStream> writer) {
        Optional<String> ep = endpoint(node);
        if (ep.isEmpty()) throw new CallException(500, "no such cluster node '" + node + "'", null);
        String query = encode(params);
        HttpsURLConnection h = null;
        int status;
        String text;
        try {
            h = (HttpsURLConnection) URI.create("https://" + ep.get() + path + "?" + query).toURL().openConnection();
            h.setSSLSocketFactory(ssl(node).getSocketFactory());
            h.setHostnameVerifier((host, session) -> true);
            h.setConnectTimeout(10_000);
            h.setReadTimeout(0);
            h.setRequestMethod("PUT");
            Credentials cr = credentials.get();
            h.setRequestProperty("Cookie", "PVEAuthCookie=" + URLEncoder.encode(cr.ticket(), StandardCharsets.UTF_8));
            h.setRequestProperty("CSRFPreventionToken", cr.csrf());
            h.setRequestProperty("Content-Type", "application/octet-stream");
            h.setDoOutput(true);
            h.setChunkedStreamingMode(1 << 16);
            OutputStream o = h.getOutputStream();
            try {
                writer.accept(o);
            } catch (RuntimeException e) {
                // drop the connection so that the receiver sees a broken stream, not a short one
                h.disconnect();
                throw e;
            }
            o.close();
            status = h.getResponseCode();
            InputStream in = status >= 400 ? h.getErrorStream() : h.getInputStream();
            text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CallException(595, "volume transfer to node '" + node + "' failed: " + e.getMessage(), null);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CallException(595, "volume transfer to node '" + node + "' failed: " + e.getMessage(), null);
        } finally {
            if (h != null) h.disconnect();
        }
        JsonNode env;
        try {
            env = JSON.readTree(text);
        } catch (RuntimeException e) {
            throw new CallException(status, "unparsable answer from node '" + node + "'", null);
        }
        if (status / 100 != 2) throw new CallException(status, env.path("message").asString("HTTP status " + status), null);
        return env.path("data").asString();
    }

    /** Credentials from a ticket factory (the daemon's access control) for {@code user}. */
    public static java.util.function.Supplier<Credentials> credentials(Function<String, String> ticket, Function<String, String> csrf, String user) {
        return () -> new Credentials(ticket.apply(user), csrf.apply(user));
    }
}
