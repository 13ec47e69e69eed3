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
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ExportFormat;
import tools.jackson.databind.json.JsonMapper;

/**
 * The receiving end of a disk copied by an offline migration (PVE pipes {@code pvesm export} into
 * {@code pvesm import} over SSH): {@code PUT /haven/migration/import-volume?volume=<volid>&format=<fmt>&with-snapshots=0|1}
 * with the export stream as body, for root@pam only (ticket cookie and CSRF token, as the other nodes send them).
 * Answers {@code {"data":"<volid written>"}}; a name already taken on this node gets the next free one.
 */
public final class VolumeImportHandler extends Handler.Abstract {
    public static final String PATH = "/haven/migration/import-volume";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Supplier<Optional<StorageManager>> storage;
    private final Supplier<Optional<Credentials>> access;

    /** What the handler needs from access control: the user of a ticket (throws when invalid) and CSRF checks. */
    public interface Credentials {
        String verifyTicket(String ticket);
        boolean verifyCsrfToken(String user, String token);
    }

    public VolumeImportHandler(Supplier<Optional<StorageManager>> storage, Supplier<Optional<Credentials>> access) {
        this.storage = storage;
        this.access = access;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!PATH.equals(Request.getPathInContext(request))) return false;
        if (!request.getMethod().equals("PUT")) return reply(response, callback, 501, null, "Method '" + request.getMethod() + "' not implemented");
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
        Fields q = Request.extractQueryParameters(request);
        String volume = q.getValue("volume");
        Optional<ExportFormat> format = ExportFormat.of(String.valueOf(q.getValue("format")));
        boolean withSnapshots = "1".equals(q.getValue("with-snapshots"));
        if (volume == null || format.isEmpty()) return reply(response, callback, 400, null, "volume and format are required");
        Optional<StorageManager> sm = storage.get();
        if (sm.isEmpty()) return reply(response, callback, 500, null, "no storage on this node");
        try (InputStream in = Content.Source.asInputStream(request)) {
            String written = sm.get().importVolume(volume, format.get(), null, null, withSnapshots, true, in);
            return reply(response, callback, 200, written, null);
        } catch (RuntimeException e) {
            return reply(response, callback, 500, null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
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
