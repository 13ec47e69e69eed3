package org.haven.api.server;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.haven.api.HttpMethod;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Serves the API over HTTPS ({@code /api2/json/…}, {@code /api2/extjs/…}, {@code /api2/openapi.json}) and
 * the same API over HTTP/1.1 on a root-only Unix socket, where the caller is {@code root@pam}. Jetty core
 * handlers; blocking work runs on virtual threads. Other paths go to an optional fallback handler (the
 * web UI).
 */
public final class HttpApiServer implements AutoCloseable {

    /**
     * {@code accessLog}: file for one line per API request (PVE's pveproxy access.log format), or null.
     * {@code uploadDir}: where files of {@code multipart/form-data} requests are received ({@code pveupload-<hex>}).
     */
    public record Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket, Path accessLog,
                         Path uploadDir) {
        public Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket, Path accessLog) {
            this(bindAddress, httpsPort, keyStore, keyStorePassword, unixSocket, accessLog, Path.of(System.getProperty("java.io.tmpdir")));
        }
        public Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket) {
            this(bindAddress, httpsPort, keyStore, keyStorePassword, unixSocket, null);
        }
    }

    /** The parameter through which a received upload reaches the API method, as with PVE's pveproxy. */
    static final String UPLOAD_PARAM = "tmpfilename";

    private final Dispatcher dispatcher;
    private final Config config;
    private final Supplier<JsonNode> openapi;
    private final Server server;
    private Connector unixConnector;
    private ServerConnector httpsConnector;
    private SslContextFactory.Server sslContext;
    private volatile Handler fallback;
    private volatile HttpExtensions extensions;
    private AccessLog accessLog;

    public HttpApiServer(Dispatcher dispatcher, Config config, Supplier<JsonNode> openapi) {
        this.dispatcher = dispatcher;
        this.config = config;
        this.openapi = openapi;
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("api");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        this.server = new Server(pool);
    }

    /** Raw handlers consulted before the API router. */
    public void setExtensions(HttpExtensions ext) { this.extensions = ext; }

    /** Handler for requests outside {@code /api2} (the web UI); set before {@link #start()}. */
    public void setFallback(Handler h) { this.fallback = h; }

    public void start() throws Exception {
        if (config.httpsPort() >= 0 && config.keyStore() != null) {
            HttpConfiguration hc = new HttpConfiguration();
            hc.setSendServerVersion(false);
            hc.setUriCompliance(org.eclipse.jetty.http.UriCompliance.DEFAULT.with("haven", org.eclipse.jetty.http.UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR)); // volume IDs arrive as local%3A100%2Fvm-100-disk-0.raw
            SecureRequestCustomizer src = new SecureRequestCustomizer();
            src.setSniHostCheck(false);
            src.setSniRequired(false);
            hc.addCustomizer(src);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(config.keyStore());
            ssl.setKeyStorePassword(config.keyStorePassword());
            ssl.setSniRequired(false);
            sslContext = ssl;
            httpsConnector = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(hc));
            httpsConnector.setHost(config.bindAddress());
            httpsConnector.setPort(config.httpsPort());
            httpsConnector.setReuseAddress(true);
            server.addConnector(httpsConnector);
        }
        if (config.unixSocket() != null) {
            Path sock = config.unixSocket();
            Files.createDirectories(sock.getParent());
            Files.deleteIfExists(sock);
            HttpConfiguration hc = new HttpConfiguration();
            hc.setSendServerVersion(false);
            UnixDomainServerConnector u = new UnixDomainServerConnector(server, 1, 1, new HttpConnectionFactory(hc));
            u.setUnixDomainPath(sock);
            unixConnector = u;
            server.addConnector(u);
        }
        HttpExtensions ext = extensions;
        if (ext != null) for (Handler h : ext.handlers()) { h.setServer(server); server.addBean(h); }
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return HttpApiServer.this.handle(request, response, callback);
            }
        });
        server.setStopTimeout(3000);
        if (config.accessLog() != null) accessLog = new AccessLog(config.accessLog());
        server.start();
        if (config.unixSocket() != null)
            Files.setPosixFilePermissions(config.unixSocket(), PosixFilePermissions.fromString("rw-------"));
    }

    /** The bound HTTPS port (useful with port 0). */
    public int httpsPort() { return httpsConnector == null ? -1 : httpsConnector.getLocalPort(); }

    /** Serves a new certificate and key (e.g. after joining a cluster) to new TLS connections. */
    public void reloadKeyStore(KeyStore keyStore, String password) throws Exception {
        SslContextFactory.Server ssl = sslContext;
        if (ssl == null) return;
        ssl.reload(f -> {
            f.setKeyStore(keyStore);
            f.setKeyStorePassword(password);
        });
    }

    @Override
    public void close() throws Exception {
        server.stop();
        if (accessLog != null) accessLog.close();
        if (config.unixSocket() != null) Files.deleteIfExists(config.unixSocket());
    }

    private boolean handle(Request request, Response response, Callback callback) throws Exception {
        HttpExtensions ext = extensions;
        if (ext != null) for (Handler h : ext.handlers()) if (h.handle(request, response, callback)) return true;
        String path = Request.getPathInContext(request);
        boolean json = path.startsWith("/api2/json/") || path.equals("/api2/json");
        boolean extjs = path.startsWith("/api2/extjs/") || path.equals("/api2/extjs");
        if (path.equals("/api2/openapi.json")) {
            send(response, callback, 200, Json.MAPPER.writeValueAsBytes(openapi.get()));
            return true;
        }
        if (path.equals("/api2/haven/node")) {
            send(response, callback, 200, Json.MAPPER.writeValueAsBytes(Map.of("data", dispatcher.nodeName())));
            return true;
        }
        if (path.equals("/api2/haven/schema")) {
            Map<String, Object> q = new LinkedHashMap<>();
            if (request.getHttpURI().getQuery() != null) parseForm(request.getHttpURI().getQuery(), q);
            JsonNode node = SchemaExport.describe(dispatcher.tree(), String.valueOf(q.getOrDefault("path", "/")));
            send(response, callback, node == null ? 404 : 200, Json.MAPPER.writeValueAsBytes(Map.of("data", node == null ? "" : node)));
            return true;
        }
        if (!json && !extjs) {
            Handler fb = fallback;
            if (fb != null) return fb.handle(request, response, callback);
            send(response, callback, 404, Json.MAPPER.writeValueAsBytes(Map.of("data", (Object) "")));
            return true;
        }
        String apiPath = path.substring(json ? "/api2/json".length() : "/api2/extjs".length());
        if (apiPath.isEmpty()) apiPath = "/";
        HttpMethod method;
        try {
            method = HttpMethod.valueOf(request.getMethod());
        } catch (IllegalArgumentException e) {
            send(response, callback, 501, Json.MAPPER.writeValueAsBytes(Map.of("data", (Object) "")));
            return true;
        }
        boolean local = request.getConnectionMetaData().getConnector() == unixConnector;
        Map<String, Object> params = new LinkedHashMap<>();
        String q = request.getHttpURI().getQuery();
        if (q != null) parseForm(q, params);
        Path upload = null;
        String ct = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (method == HttpMethod.POST && ct != null && ct.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            params.remove(UPLOAD_PARAM);
            try {
                upload = receiveMultipart(request, ct, params);
            } catch (Exception e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
                send(response, callback, 400, Json.MAPPER.writeValueAsBytes(Map.of("data", "", "message", "unable to parse upload - " + cause.getMessage() + "\n")));
                return true;
            }
        } else if (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.DELETE) {
            String body = Content.Source.asString(request, StandardCharsets.UTF_8);
            if (body != null && !body.isEmpty()) {
                if (ct != null && ct.startsWith("application/json")) {
                    JsonNode n = Json.MAPPER.readTree(body);
                    if (n instanceof ObjectNode o)
                        for (Map.Entry<String, JsonNode> e : o.properties()) params.put(e.getKey(), jsonValue(e.getValue()));
                } else parseForm(body, params);
            }
        }
        // only the server itself names a received upload file, except for root on the local socket
        if (upload == null && !local) params.remove(UPLOAD_PARAM);
        String ticket = cookie(request, "PVEAuthCookie");
        String remote = local ? "unix" : Request.getRemoteAddr(request);
        ApiRequest ar = new ApiRequest(method, apiPath, params, ticket, request.getHeaders().get("CSRFPreventionToken"),
                request.getHeaders().get(HttpHeader.AUTHORIZATION), local, remote);
        ApiResponse res = null;
        try {
            res = dispatcher.handle(ar);
        } finally {
            // on success the method owns the received file (its task removes it); otherwise nobody would
            if (upload != null && (res == null || res.status() != 200)) Files.deleteIfExists(upload);
        }
        byte[] out;
        int status;
        if (res.status() == 200 && res.data() instanceof org.haven.api.RawResult raw) {
            out = raw.body();
            status = 200;
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, raw.contentType());
            if (raw.filename() != null)
                response.getHeaders().put("Content-Disposition", "attachment; filename=\"" + raw.filename().replace("\"", "") + "\"");
            response.write(true, ByteBuffer.wrap(out), callback);
        } else {
            out = json ? formatJson(res) : formatExtjs(res);
            status = extjs ? 200 : res.status();
            send(response, callback, status, out);
        }
        if (accessLog != null) accessLog.log(remote, res.authid(), request.getMethod(), request.getHttpURI().getPathQuery(),
                request.getConnectionMetaData().getProtocol(), status, out.length);
        return true;
    }

    /**
     * Reads a {@code multipart/form-data} body: plain fields become parameters; the file part is stored as
     * {@code <uploadDir>/pveupload-<hex>}, its field is set to the client's file name and {@link #UPLOAD_PARAM}
     * to the stored path, as pveproxy does for PVE's upload methods. Returns the stored file, or null.
     */
    private Path receiveMultipart(Request request, String contentType, Map<String, Object> params) throws Exception {
        String boundary = org.eclipse.jetty.http.MultiPart.extractBoundary(contentType);
        if (boundary == null) throw new IllegalArgumentException("missing boundary");
        Path dir = config.uploadDir();
        Files.createDirectories(dir);
        var parser = new org.eclipse.jetty.http.MultiPartFormData.Parser(boundary);
        parser.setFilesDirectory(dir);
        parser.setMaxMemoryFileSize(64 * 1024);
        parser.setMaxParts(64);
        Path stored = null;
        try (var parts = parser.parse(request).get()) {
            for (org.eclipse.jetty.http.MultiPart.Part part : parts) {
                String name = part.getName();
                if (name == null) continue;
                if (part.getFileName() == null) {
                    if (!name.equals(UPLOAD_PARAM)) params.put(name, part.getContentAsString(StandardCharsets.UTF_8));
                    continue;
                }
                if (stored != null) throw new IllegalArgumentException("more than one file in upload");
                stored = dir.resolve("pveupload-" + java.util.HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16)));
                part.writeTo(stored);
                params.put(name, part.getFileName());
                params.put(UPLOAD_PARAM, stored.toString());
            }
        } catch (Exception e) {
            if (stored != null) Files.deleteIfExists(stored);
            throw e;
        }
        return stored;
    }

    static byte[] formatJson(ApiResponse res) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", res.data());
        if (res.attributes() != null) res.attributes().forEach(m::putIfAbsent);
        if (res.errors() != null && !res.errors().isEmpty()) m.put("errors", res.errors());
        if (res.status() != 200 && res.message() != null) m.put("message", res.message() + "\n");
        return Json.RESPONSE.writeValueAsBytes(m);
    }

    static byte[] formatExtjs(ApiResponse res) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", res.data());
        if (res.attributes() != null) res.attributes().forEach(m::putIfAbsent);
        m.put("success", res.status() == 200 ? 1 : 0);
        if (res.status() != 200) {
            m.put("status", res.status());
            if (res.message() != null) m.put("message", res.message() + "\n");
            if (res.errors() != null && !res.errors().isEmpty()) m.put("errors", res.errors());
        }
        return Json.RESPONSE.writeValueAsBytes(m);
    }

    private static void send(Response response, Callback callback, int status, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=UTF-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "max-age=0");
        response.getHeaders().put(HttpHeader.PRAGMA, "no-cache");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private static Object jsonValue(JsonNode n) {
        if (n.isArray()) { List<Object> l = new ArrayList<>(); for (JsonNode x : n) l.add(jsonValue(x)); return l; }
        if (n.isObject()) return Json.MAPPER.convertValue(n, Map.class);
        if (n.isNull()) return null;
        if (n.isBoolean()) return n.asBoolean();
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isNumber()) return n.asDouble();
        return n.asString();
    }

    @SuppressWarnings("unchecked")
    static void parseForm(String text, Map<String, Object> out) {
        for (String part : text.split("&")) {
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            Object prev = out.get(k);
            if (prev == null) out.put(k, v);
            else if (prev instanceof List<?> l) ((List<Object>) l).add(v);
            else { List<Object> l = new ArrayList<>(); l.add(prev); l.add(v); out.put(k, l); }
        }
    }

    static String cookie(Request request, String name) {
        for (HttpField f : request.getHeaders()) {
            if (!f.is("Cookie")) continue;
            for (String c : f.getValue().split(";")) {
                c = c.trim();
                if (c.startsWith(name + "=")) return percentDecode(c.substring(name.length() + 1));
            }
        }
        return null;
    }

    /** Percent-decoding that keeps '+' (tickets are base64). */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) return s;
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                try { out[n++] = (byte) Integer.parseInt(s.substring(i + 1, i + 3), 16); i += 2; continue; }
                catch (NumberFormatException e) { n--; }
            }
            out[n++] = (byte) c;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

}
