package org.haven.guest.migrate;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import tools.jackson.databind.json.JsonMapper;

/**
 * A node-to-node operation outside PVE's API tree (PVE runs these as commands over SSH): {@code PUT <path>?<query>}
 * with a request body, for root@pam only (ticket cookie and CSRF token, as the other nodes send them; the node's own
 * commands ask over the daemon's root-only Unix socket). Answers
 * {@code {"data":"<result>"}}, or the error with its status. {@link HttpsClusterApi#stream} is the calling side.
 */
public abstract class PeerHandler extends Handler.Abstract {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String path;
    private final Supplier<Optional<Credentials>> access;

    /** What the handler needs from access control: the user of a ticket (throws when invalid) and CSRF checks. */
    public interface Credentials {
        String verifyTicket(String ticket);
        boolean verifyCsrfToken(String user, String token);
    }

    /** A refusal of the operation with an HTTP status. */
    public static final class Refused extends RuntimeException {
        final int status;
        public Refused(int status, String message) { super(message); this.status = status; }
    }

    protected PeerHandler(String path, Supplier<Optional<Credentials>> access) {
        this.path = path;
        this.access = access;
    }

    /** Carries out the operation; the result is the answer's {@code data}. */
    protected abstract String serve(Fields query, InputStream body);

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!path.equals(Request.getPathInContext(request))) return false;
        if (!request.getMethod().equals("PUT")) return reply(response, callback, 501, null, "Method '" + request.getMethod() + "' not implemented");
        if (overUnixSocket(request)) {
            // the daemon's root-only Unix socket: the node's own commands (pvesr), as root, as the API takes them
            return run(request, response, callback);
        }
        Optional<Credentials> ac = access.get();
        String user = null;
        String ticket = cookie(request);
        if (ac.isPresent() && ticket != null) {
            try {
                user = ac.get().verifyTicket(ticket);
            } catch (RuntimeException e) {
                user = null;
            }
        }
        if (user == null) return reply(response, callback, 401, null, "No ticket");
        String csrf = request.getHeaders().get("CSRFPreventionToken");
        if (csrf == null || !ac.get().verifyCsrfToken(user, csrf)) return reply(response, callback, 401, null, "Permission denied - invalid csrf token");
        if (!user.equals("root@pam")) return reply(response, callback, 403, null, "Permission check failed (root only)");
        return run(request, response, callback);
    }

    private boolean run(Request request, Response response, Callback callback) throws Exception {
        try (InputStream in = Content.Source.asInputStream(request)) {
            return reply(response, callback, 200, serve(Request.extractQueryParameters(request), in), null);
        } catch (Refused e) {
            return reply(response, callback, e.status, null, e.getMessage());
        } catch (RuntimeException e) {
            return reply(response, callback, 500, null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Whether the request came over a Unix socket (the daemon's, which only root can open). */
    private static boolean overUnixSocket(Request request) {
        var meta = request.getConnectionMetaData();
        return meta.getLocalSocketAddress() instanceof java.net.UnixDomainSocketAddress
                || meta.getRemoteSocketAddress() instanceof java.net.UnixDomainSocketAddress;
    }

    private static String cookie(Request request) {
        for (var f : request.getHeaders()) {
            if (!f.is("Cookie")) continue;
            for (String c : f.getValue().split(";")) {
                String kv = c.trim();
                if (kv.startsWith("PVEAuthCookie=")) return java.net.URLDecoder.decode(kv.substring("PVEAuthCookie=".length()), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static boolean reply(Response response, Callback callback, int status, Object data, String message) {
        var env = JSON.createObjectNode();
        if (data == null) env.putNull("data"); else env.put("data", String.valueOf(data));
        if (message != null) env.put("message", message);
        response.setStatus(status);
        org.haven.api.server.HttpApiServer.setReason(response, message);
        response.getHeaders().put("Content-Type", "application/json;charset=UTF-8");
        // a refusal comes before the upload was read: the connection cannot carry another request
        response.getHeaders().put("Connection", "close");
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsString(env).getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }
}
