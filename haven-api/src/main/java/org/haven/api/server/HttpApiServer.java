package org.haven.api.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.security.KeyStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.haven.api.ApiException;
import org.haven.api.HttpMethod;
import org.haven.api.RawResult;
import org.haven.core.schema.ParamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Serves the API over HTTPS ({@code /api2/json/…}, {@code /api2/extjs/…}, {@code /api2/openapi.json}) and
 * the same API over HTTP/1.1 on a root-only Unix socket, where the caller is {@code root@pam}. Jetty core
 * handlers; blocking work runs on virtual threads. Other paths go to an optional fallback handler (the
 * web UI).
 */
public final class HttpApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApiServer.class);

    /**
     * {@code accessLog}: file for one line per API request (PVE's pveproxy access.log format), or null.
     * {@code uploadDir}: where files of {@code multipart/form-data} requests are received ({@code pveupload-<hex>}).
     * {@code authFailureDelay}: how long after its arrival a request that fails authentication gets its 401
     * (PVE: {@link #AUTH_FAILURE_DELAY}); the wait holds no thread.
     * {@code maxBody}: the largest request body read for parameters (uploads are not bounded by it).
     */
    public record Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket, Path accessLog,
                         Path uploadDir, Duration authFailureDelay, int maxBody) {
        public Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket, Path accessLog,
                      Path uploadDir) {
            this(bindAddress, httpsPort, keyStore, keyStorePassword, unixSocket, accessLog, uploadDir, AUTH_FAILURE_DELAY, MAX_BODY);
        }
        public Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket, Path accessLog) {
            this(bindAddress, httpsPort, keyStore, keyStorePassword, unixSocket, accessLog, Path.of(System.getProperty("java.io.tmpdir")));
        }
        public Config(String bindAddress, int httpsPort, KeyStore keyStore, String keyStorePassword, Path unixSocket) {
            this(bindAddress, httpsPort, keyStore, keyStorePassword, unixSocket, null);
        }

        public Config withAuthFailureDelay(Duration d) {
            return new Config(bindAddress, httpsPort, keyStore, keyStorePassword, unixSocket, accessLog, uploadDir, d, maxBody);
        }
    }

    /** PVE delays every failed authentication (bad ticket, bad token, wrong password) to 3 seconds. */
    public static final Duration AUTH_FAILURE_DELAY = Duration.ofSeconds(3);

    /** The default bound of a parameter body (PVE's own limit is 64 KiB). */
    public static final int MAX_BODY = 1 << 20;

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
        server.setErrorHandler(new ErrorAnswer());
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

    /** Endpoints outside the method tree, for authenticated callers (the CLI asks them over the Unix socket). */
    private static final String OPENAPI = "/api2/openapi.json", NODE_NAME = "/api2/haven/node", SCHEMA = "/api2/haven/schema",
            PROMETHEUS = "/api2/prometheus/metrics";

    /** One HTTP exchange of the API: what is needed to answer it. */
    private static final class Exchange {
        final Request request;
        final DelayedRefusal response;
        final Callback callback;
        final boolean extjs;
        /** The request body was read to its end, so the connection can carry the next request. */
        boolean bodyConsumed;
        Path upload;

        Exchange(Request request, DelayedRefusal response, Callback callback, boolean extjs) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.extjs = extjs;
        }
    }

    /**
     * A response whose 401 leaves no sooner than {@link Config#authFailureDelay()} after the request arrived,
     * as with PVE, whoever answers (an API method, the login, a console or migration handler). The wait is
     * scheduled on the server's scheduler and holds no thread.
     */
    private final class DelayedRefusal extends Response.Wrapper {
        private final long arrived = System.nanoTime();
        private boolean written;
        /** The answer refuses authentication whatever its status (the extjs format answers 200). */
        boolean refusal;

        DelayedRefusal(Request request, Response wrapped) { super(request, wrapped); }

        @Override
        public void write(boolean last, ByteBuffer content, Callback callback) {
            long wait = !written && (refusal || getStatus() == 401) ? config.authFailureDelay().toNanos() - (System.nanoTime() - arrived) : 0;
            written = true;
            if (wait > 0) server.getScheduler().schedule(() -> super.write(last, content, callback), wait, TimeUnit.NANOSECONDS);
            else super.write(last, content, callback);
        }
    }

    private boolean handle(Request request, Response original, Callback callback) throws Exception {
        DelayedRefusal response = new DelayedRefusal(request, original);
        HttpExtensions ext = extensions;
        if (ext != null) for (Handler h : ext.handlers()) if (h.handle(request, response, callback)) return true;
        String path = Request.getPathInContext(request);
        boolean json = path.startsWith("/api2/json/") || path.equals("/api2/json");
        boolean extjs = path.startsWith("/api2/extjs/") || path.equals("/api2/extjs");
        boolean extra = path.equals(OPENAPI) || path.equals(NODE_NAME) || path.equals(SCHEMA);
        // Prometheus scrapes GET /api2/prometheus/metrics (beyond PVE): the method /cluster/metrics/prometheus
        boolean prometheus = path.equals(PROMETHEUS);
        if (!json && !extjs && !extra && !prometheus) {
            Handler fb = fallback;
            if (fb != null) return fb.handle(request, response, callback);
            send(response, callback, 404, null, Json.MAPPER.writeValueAsBytes(Map.of("data", (Object) "")));
            return true;
        }
        Exchange x = new Exchange(request, response, callback, extjs);
        ApiResponse res;
        try {
            res = extra ? serveExtra(x, path) : prometheus ? serveApi(x, "/cluster/metrics/prometheus")
                    : serveApi(x, path.substring(json ? "/api2/json".length() : "/api2/extjs".length()));
        } catch (Throwable e) {
            LOG.error("{} {}: {}", request.getMethod(), path, e.toString(), e);
            res = ApiResponse.error(500, Dispatcher.INTERNAL_ERROR);
        } finally {
            // on success the method owns the received file (its task removes it); otherwise nobody would
            if (x.upload != null) {
                try { Files.deleteIfExists(x.upload); } catch (java.io.IOException e) { LOG.warn("unable to remove {}: {}", x.upload, e.getMessage()); }
            }
        }
        answer(x, res);
        return true;
    }

    private ApiRequest credentials(Exchange x, HttpMethod method, String apiPath) {
        Request request = x.request;
        boolean local = request.getConnectionMetaData().getConnector() == unixConnector;
        return new ApiRequest(method, apiPath, Map.of(), cookie(request, "PVEAuthCookie"), request.getHeaders().get("CSRFPreventionToken"),
                request.getHeaders().get(HttpHeader.AUTHORIZATION), local, local ? "unix" : Request.getRemoteAddr(request));
    }

    /**
     * The OpenAPI document, the node's name and one path's schema: like every API method, only for an
     * authenticated caller (the CLI reads the latter two over the Unix socket, where the caller is root).
     */
    private ApiResponse serveExtra(Exchange x, String path) {
        if (!"GET".equals(x.request.getMethod())) return ApiResponse.error(501, "Method '" + x.request.getMethod() + " " + path + "' not implemented");
        ApiRequest who = credentials(x, HttpMethod.GET, path);
        String authid = null;
        try {
            authid = dispatcher.authenticate(who, false);
            ApiResponse res = switch (path) {
                case OPENAPI -> ApiResponse.ok(new RawResult("application/json;charset=UTF-8", Json.MAPPER.writeValueAsBytes(openapi.get()), null));
                case NODE_NAME -> ApiResponse.ok(dispatcher.nodeName());
                default -> {
                    Map<String, Object> q = new LinkedHashMap<>();
                    String query = x.request.getHttpURI().getQuery();
                    if (query != null) RequestDecoder.parseForm(query, q);
                    JsonNode node = SchemaExport.describe(dispatcher.tree(), String.valueOf(q.getOrDefault("path", "/")));
                    yield node == null ? new ApiResponse(404, "", null, null) : ApiResponse.ok(node);
                }
            };
            return res.withAuthid(authid);
        } catch (ParamException | ApiException e) {
            return dispatcher.failure(who, e).withAuthid(authid);
        }
    }

    /**
     * Authenticates from the request line and headers first; then decodes the query and reads the body
     * (bounded), strictly, and runs the method. Every malformed input is a 400.
     */
    private ApiResponse serveApi(Exchange x, String apiPath) throws Exception {
        if (apiPath.isEmpty()) apiPath = "/";
        Request request = x.request;
        HttpMethod method;
        try {
            method = HttpMethod.valueOf(request.getMethod());
        } catch (IllegalArgumentException e) {
            return ApiResponse.error(501, "Method '" + request.getMethod() + " /api2/json" + apiPath + "' not implemented");
        }
        ApiRequest head = credentials(x, method, apiPath);
        Dispatcher.Admission admission = dispatcher.admit(head);
        if (admission.answer() != null) return admission.answer();
        Map<String, Object> params = new LinkedHashMap<>();
        try {
            String q = request.getHttpURI().getQuery();
            if (q != null) RequestDecoder.parseForm(q, params);
            readBody(x, method, params);
        } catch (ParamException | ApiException e) {
            return dispatcher.failure(head, e).withAuthid(admission.authid());
        }
        // only the server itself names a received upload file, except for root on the local socket
        if (x.upload == null && !head.local()) params.remove(UPLOAD_PARAM);
        ApiResponse res = dispatcher.handle(admission, params);
        if (res.status() == 200) x.upload = null;
        return res;
    }

    /** Adds the parameters of the body of a POST, PUT or DELETE: a form, a JSON object or a multipart upload. */
    private void readBody(Exchange x, HttpMethod method, Map<String, Object> params) throws Exception {
        if (method != HttpMethod.POST && method != HttpMethod.PUT && method != HttpMethod.DELETE) return;
        Request request = x.request;
        String ct = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String type = ct == null ? "" : ct.toLowerCase(java.util.Locale.ROOT);
        if (method == HttpMethod.POST && type.startsWith("multipart/form-data")) {
            params.remove(UPLOAD_PARAM);
            try {
                x.upload = receiveMultipart(request, ct, params);
            } catch (Exception e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
                String why = cause.getMessage() == null || Dispatcher.mentionsJava(cause.getMessage()) ? "malformed multipart body" : cause.getMessage();
                throw new ApiException(400, "unable to parse upload - " + why);
            }
            x.bodyConsumed = true;
            return;
        }
        int max = config.maxBody();
        if (request.getLength() > max) throw new ApiException(413, "request entity too large");
        byte[] body = Content.Source.asInputStream(request).readNBytes(max + 1);
        if (body.length > max) throw new ApiException(413, "request entity too large");
        x.bodyConsumed = true;
        if (body.length == 0) return;
        if (type.startsWith("application/json")) RequestDecoder.parseJson(body, params);
        else RequestDecoder.parseFormBody(body, params);
    }

    /**
     * Writes the answer. An answer given without reading the whole request body says {@code Connection: close},
     * because the connection cannot carry another request after it.
     */
    private void answer(Exchange x, ApiResponse res) {
        DelayedRefusal response = x.response;
        if (!x.bodyConsumed && announcesBody(x.request)) response.getHeaders().put(HttpHeader.CONNECTION, "close");
        byte[] out;
        int status;
        if (res.status() == 200 && res.data() instanceof RawResult raw) {
            out = raw.body();
            status = 200;
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, raw.contentType());
            if (raw.filename() != null)
                response.getHeaders().put("Content-Disposition", "attachment; filename=\"" + raw.filename().replace("\"", "") + "\"");
            response.write(true, ByteBuffer.wrap(out), x.callback);
        } else {
            out = x.extjs ? formatExtjs(res) : formatJson(res);
            status = x.extjs ? 200 : res.status();
            // the extjs format carries the status in the body: its 200 for a 401 is a refusal too
            if (res.status() == 401) x.response.refusal = true;
            send(response, x.callback, status, res.message(), out);
        }
        AccessLog log = accessLog;
        if (log != null) log.log(remote(x.request), res.authid(), x.request.getMethod(), x.request.getHttpURI().getPathQuery(),
                x.request.getConnectionMetaData().getProtocol(), status, out.length);
    }

    private String remote(Request request) {
        return request.getConnectionMetaData().getConnector() == unixConnector ? "unix" : Request.getRemoteAddr(request);
    }

    private static boolean announcesBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
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

    /**
     * The answers Jetty gives itself (a request it cannot parse, a URI or headers too long, a failure outside
     * the handlers): PVE's JSON envelope with the status text and no exception details, and
     * {@code Connection: close}, since Jetty closes the connection after them (a 404 for a path no handler
     * serves leaves the connection usable).
     */
    static final class ErrorAnswer extends ErrorHandler {
        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONNECTION, "close");
            fields.put(HttpHeader.CONTENT_TYPE, "application/json;charset=UTF-8");
            return ByteBuffer.wrap(formatJson(ApiResponse.error(status, message(status, reason))));
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = request.getAttribute(ERROR_STATUS) instanceof Integer i ? i : 500;
            Object reason = request.getAttribute(ERROR_MESSAGE);
            if (status != HttpStatus.NOT_FOUND_404) response.getHeaders().put(HttpHeader.CONNECTION, "close");
            String text = message(status, reason == null ? null : reason.toString());
            send(response, callback, status, text, formatJson(ApiResponse.error(status, text)));
            return true;
        }

        private static String message(int status, String reason) {
            String text = HttpStatus.getMessage(status);
            return reason == null || reason.isBlank() || reason.equals(text) || Dispatcher.mentionsJava(reason) ? text : text + " - " + reason;
        }
    }

    /**
     * The reason phrase of an answer's status line: as with PVE, the first line of an error's message
     * (clients such as proxmoxer show it as the error), without control characters. Null (Jetty's standard
     * phrase) for a success or when there is no such text.
     */
    static String reason(int status, String message) {
        if (status < 400 || message == null) return null;
        int nl = message.indexOf('\n');
        String line = (nl < 0 ? message : message.substring(0, nl)).replaceAll("[\\p{Cntrl}\\p{Zl}\\p{Zp}]", "").strip();
        return line.isEmpty() ? null : line;
    }

    /**
     * Makes the HTTP/1 status line of an error answer carry its message as the reason phrase, as PVE's
     * does (see {@link #reason}); call after setting the status, before writing. HTTP/2 has no reason phrase.
     */
    public static void setReason(Response response, String message) {
        String reason = reason(response.getStatus(), message);
        if (reason == null) return;
        response.getRequest().addHttpStreamWrapper(stream -> new HttpStream.Wrapper(stream) {
            @Override
            public void send(MetaData.Request request, MetaData.Response meta, boolean last, ByteBuffer content, Callback callback) {
                if (meta != null && meta.getReason() == null && meta.getHttpVersion().getVersion() < 20)
                    meta = new MetaData.Response(meta.getStatus(), reason, meta.getHttpVersion(), meta.getHttpFields(), meta.getContentLength(),
                            meta.getTrailersSupplier());
                super.send(request, meta, last, content, callback);
            }
        });
    }

    private static void send(Response response, Callback callback, int status, String message, byte[] body) {
        response.setStatus(status);
        setReason(response, message);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=UTF-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "max-age=0");
        response.getHeaders().put(HttpHeader.PRAGMA, "no-cache");
        response.write(true, ByteBuffer.wrap(body), callback);
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
