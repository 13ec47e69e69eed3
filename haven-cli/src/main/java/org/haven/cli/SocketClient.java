package org.haven.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A minimal HTTP/1.1 client of the daemon's root-only Unix socket (one request per connection). */
public final class SocketClient implements ApiClient {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private final Path socket;

    public SocketClient(Path socket) { this.socket = socket; }

    public Path socket() { return socket; }

    /** Raw response. */
    public record Response(int status, String reason, byte[] body) {}

    public Response request(String method, String target, String contentType, byte[] body) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new ApiCallException(500, "unable to connect to the local daemon at " + socket + ": " + e.getMessage()
                        + " (is havend running? set HAVEN_DATA_DIR to its data directory)", null);
            }
            StringBuilder h = new StringBuilder();
            h.append(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
            if (body != null) h.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length).append("\r\n");
            h.append("\r\n");
            ch.write(ByteBuffer.wrap(h.toString().getBytes(StandardCharsets.UTF_8)));
            if (body != null) ch.write(ByteBuffer.wrap(body));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(65536);
            while (ch.read(buf) >= 0) {
                buf.flip();
                out.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            return parse(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Response parse(byte[] raw) {
        int sep = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (sep < 0) throw new ApiCallException(500, "malformed response from daemon", null);
        String head = new String(raw, 0, sep, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        int code = Integer.parseInt(status[1]);
        boolean chunked = false;
        for (String l : lines) if (l.toLowerCase().startsWith("transfer-encoding:") && l.toLowerCase().contains("chunked")) chunked = true;
        byte[] body = java.util.Arrays.copyOfRange(raw, sep + 4, raw.length);
        if (chunked) body = dechunk(body);
        return new Response(code, status.length > 2 ? status[2] : "", body);
    }

    private static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int eol = indexOf(java.util.Arrays.copyOfRange(b, i, b.length), "\r\n".getBytes(StandardCharsets.US_ASCII));
            if (eol < 0) break;
            String len = new String(b, i, eol, StandardCharsets.US_ASCII).split(";")[0].trim();
            int n = Integer.parseInt(len, 16);
            i += eol + 2;
            if (n == 0) break;
            out.write(b, i, n);
            i += n + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] a, byte[] p) {
        outer:
        for (int i = 0; i + p.length <= a.length; i++) {
            for (int j = 0; j < p.length; j++) if (a[i + j] != p[j]) continue outer;
            return i;
        }
        return -1;
    }

    static String encode(Map<String, ?> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, ?> e : params.entrySet()) {
            Object v = e.getValue();
            if (v == null) continue;
            List<?> vals = v instanceof List<?> l ? l : List.of(v);
            for (Object x : vals) {
                if (!sb.isEmpty()) sb.append('&');
                sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                  .append(URLEncoder.encode(x instanceof Boolean bo ? (bo ? "1" : "0") : String.valueOf(x), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    static String encodePath(String path) {
        StringBuilder sb = new StringBuilder();
        for (String seg : path.split("/", -1)) {
            if (!sb.isEmpty() || path.startsWith("/")) sb.append('/');
            sb.append(URLEncoder.encode(seg, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        String r = sb.toString().replaceAll("^/+", "/");
        return r.isEmpty() ? "/" : r;
    }

    /** The full JSON envelope of a call (data plus attributes like total). */
    public JsonNode callEnvelope(HttpMethod method, String path, Map<String, ?> params) {
        String q = encode(params);
        String target = "/api2/json" + encodePath(path);
        Response r;
        if (method == HttpMethod.POST || method == HttpMethod.PUT) {
            r = request(method.name(), target, "application/x-www-form-urlencoded", q.getBytes(StandardCharsets.UTF_8));
        } else {
            r = request(method.name(), q.isEmpty() ? target : target + "?" + q, null, null);
        }
        JsonNode env;
        try {
            env = JSON.readTree(r.body());
        } catch (RuntimeException e) {
            throw new ApiCallException(r.status(), r.reason(), null);
        }
        if (r.status() != 200) {
            Map<String, String> errors = new LinkedHashMap<>();
            JsonNode err = env.get("errors");
            if (err != null && err.isObject()) for (Map.Entry<String, JsonNode> e : err.properties()) errors.put(e.getKey(), e.getValue().asString());
            String msg = env.has("message") ? env.get("message").asString().strip() : r.reason();
            throw new ApiCallException(r.status(), msg, errors);
        }
        return env;
    }

    @Override
    public JsonNode call(HttpMethod method, String path, Map<String, ?> params) {
        JsonNode d = callEnvelope(method, path, params).get("data");
        return d == null ? JSON.nullNode() : d;
    }

    @Override
    public String peer(String path, Map<String, ?> query, byte[] body) {
        String q = encode(query);
        Response r = request("PUT", q.isEmpty() ? path : path + "?" + q, "application/octet-stream", body);
        JsonNode env;
        try {
            env = JSON.readTree(r.body());
        } catch (RuntimeException e) {
            throw new ApiCallException(r.status(), r.reason(), null);
        }
        if (r.status() != 200) throw new ApiCallException(r.status(), env.has("message") ? env.get("message").asString().strip() : r.reason(), null);
        return env.path("data").isNull() ? "" : env.path("data").asString();
    }

    /** The schema node of a path (see {@code SchemaExport.describe}); null when the path is unknown. */
    public JsonNode describe(String path) {
        Response r = request("GET", "/api2/haven/schema?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8), null, null);
        if (r.status() == 404) return null;
        if (r.status() != 200) throw new ApiCallException(r.status(), r.reason(), null);
        return JSON.readTree(r.body()).get("data");
    }
}
