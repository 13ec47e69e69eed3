package org.haven.web;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the web UI for GET and HEAD: {@code /} (also with PVE's console query such as
 * {@code /?console=kvm&novnc=1&vmid=100&node=n1}) and the files below it. Requests for {@code /api2/…} and
 * paths that are no UI file are left to the next handler. Answers carry the content type, a strong ETag
 * ({@code 304} on a matching {@code If-None-Match}), the cache policy of {@link StaticFiles} and, when the
 * client accepts it, a gzip body.
 */
public final class WebUiHandler extends Handler.Abstract.NonBlocking {
    private final StaticFiles files;

    public WebUiHandler(StaticFiles files) { this.files = files; }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) return false;
        String path = Request.getPathInContext(request);
        if (path.startsWith("/api2/") || path.equals("/api2")) return false;
        Optional<StaticFiles.Entry> found = files.lookup(path);
        if (found.isEmpty()) return false;
        StaticFiles.Entry e = found.get();
        var h = response.getHeaders();
        h.put(HttpHeader.ETAG, e.etag());
        h.put(HttpHeader.CACHE_CONTROL, e.cacheControl());
        h.put("X-Content-Type-Options", "nosniff");
        if (e.path().equals("/index.html")) {
            h.put("X-Frame-Options", "SAMEORIGIN");
            h.put("Referrer-Policy", "same-origin");
        }
        if (e.gzip() != null) h.put(HttpHeader.VARY, "Accept-Encoding");
        String inm = request.getHeaders().get(HttpHeader.IF_NONE_MATCH);
        if (inm != null && matches(inm, e.etag())) {
            response.setStatus(HttpStatus.NOT_MODIFIED_304);
            response.write(true, null, callback);
            return true;
        }
        byte[] body = e.body();
        if (e.gzip() != null && acceptsGzip(request.getHeaders().get(HttpHeader.ACCEPT_ENCODING))) {
            body = e.gzip();
            h.put(HttpHeader.CONTENT_ENCODING, "gzip");
        }
        response.setStatus(HttpStatus.OK_200);
        h.put(HttpHeader.CONTENT_TYPE, e.contentType());
        h.put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, head ? null : ByteBuffer.wrap(body), callback);
        return true;
    }

    static boolean matches(String ifNoneMatch, String etag) {
        for (String t : ifNoneMatch.split(",")) {
            t = t.trim();
            if (t.startsWith("W/")) t = t.substring(2);
            if (t.equals("*") || t.equals(etag)) return true;
        }
        return false;
    }

    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) return false;
        for (String part : acceptEncoding.split(",")) {
            String[] kv = part.trim().split(";");
            if (!kv[0].trim().equalsIgnoreCase("gzip")) continue;
            for (int i = 1; i < kv.length; i++) {
                String p = kv[i].trim();
                if (p.startsWith("q=")) {
                    try { return Double.parseDouble(p.substring(2)) > 0; } catch (NumberFormatException ex) { return false; }
                }
            }
            return true;
        }
        return false;
    }
}
