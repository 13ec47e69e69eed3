package org.haven.qemu.console;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.haven.access.AccessControl;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.NodeContext;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.server.HttpExtensions;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.config.GuestConfig;
import org.haven.qemu.QemuService;

/**
 * VM consoles: {@code POST /vncproxy} and {@code POST /termproxy} hand out a ticket and a port number; the
 * client then opens the websocket {@code GET /vncwebsocket?port=…&vncticket=…} (PVEAuthCookie required),
 * which this module serves before the API router and bridges to the VM's VNC or serial socket.
 */
public final class ConsoleApi {

    private static final String VMS = "/vms/{vmid}";
    private static final long TICKET_MAX_AGE = 40;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A console session handed out by vncproxy/termproxy, waiting for its websocket. */
    record Pending(int vmid, ConsoleBridge.Mode mode, Path socket, String ticket, String user, long expires, CountDownLatch closed) {}

    private final Supplier<QemuService> service;
    private final NodeContext ctx;
    private final Map<Integer, Pending> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> localTickets = new ConcurrentHashMap<>();
    private final AtomicInteger ports = new AtomicInteger(5900);

    public ConsoleApi(Supplier<QemuService> service, NodeContext ctx) {
        this.service = service;
        this.ctx = ctx;
    }

    private Optional<AccessControl> access() { return ctx.findService(AccessControl.class); }

    String issueTicket(String user, int vmid) {
        Optional<AccessControl> ac = access();
        if (ac.isPresent()) return ac.get().createTicket("PVEVNC", user, "/vms/" + vmid);
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        String t = "PVEVNC:" + Long.toHexString(System.currentTimeMillis() / 1000).toUpperCase() + "::" + HexFormat.of().formatHex(b);
        localTickets.put(t, user);
        return t;
    }

    /** The user a console ticket for {@code vmid} belongs to, if valid. */
    Optional<String> verifyTicket(String ticket, int vmid) {
        Optional<AccessControl> ac = access();
        if (ac.isPresent()) return ac.get().verifyTicket("PVEVNC", ticket, "/vms/" + vmid, TICKET_MAX_AGE).map(v -> v.data());
        return Optional.ofNullable(localTickets.get(ticket));
    }

    public List<ApiMethod> methods() {
        String vm = "/nodes/{node}/qemu/{vmid}";
        Schema vmid = StandardOptions.vmid();
        return List.of(
                ApiMethod.post(vm + "/vncproxy").name("vncproxy").description("Creates a TCP VNC proxy connections.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .param("websocket", Schema.bool().optional().description("Prepare for websocket upgrade (only required when using serial terminal, otherwise upgrade is always possible)."))
                        .param("generate-password", Schema.bool().optional().defaultValue(0).description("Generates a random password to be used as ticket instead of the API ticket."))
                        .returns(Schema.object().property("ticket", Schema.string()).property("port", Schema.integer()))
                        .permissions(Permission.perm(VMS, "VM.Console"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> proxy(rc, p.integer("vmid"), ConsoleBridge.Mode.VNC, p.bool("generate-password", false), null))
                        .build(),
                ApiMethod.post(vm + "/termproxy").name("termproxy").description("Creates a TCP proxy connections.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .param("serial", Schema.string().optional().enumValues("serial0", "serial1", "serial2", "serial3").description("opens a serial terminal (defaults to display)"))
                        .returns(Schema.object().property("ticket", Schema.string()).property("port", Schema.integer()))
                        .permissions(Permission.perm(VMS, "VM.Console"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> proxy(rc, p.integer("vmid"), ConsoleBridge.Mode.TERM, false, p.str("serial", null)))
                        .build(),
                ApiMethod.get(vm + "/vncwebsocket").name("vncwebsocket").description("Opens a websocket for VNC traffic.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .param("port", Schema.integer().minimum(5900).maximum(5999).description("Port number returned by previous vncproxy call."))
                        .param("vncticket", Schema.string().maxLength(512).description("Ticket from previous call to vncproxy."))
                        .returns(Schema.object().property("port", Schema.string()))
                        .permissions(Permission.perm(VMS, "VM.Console"))
                        .proxyto("node")
                        .handler((p, rc) -> { throw new ApiException(400, "websocket upgrade required"); })
                        .build());
    }

    private Object proxy(RequestContext rc, int vmid, ConsoleBridge.Mode mode, boolean generatePassword, String serial) {
        QemuService s = service.get();
        GuestConfig cfg = s.store().load(vmid);
        if (!s.vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " not running");
        Path socket;
        if (mode == ConsoleBridge.Mode.TERM) {
            String port = serial;
            if (port == null) {
                String vga = cfg.get("vga").orElse("");
                port = vga.startsWith("serial") ? vga.substring(0, 7) : null;
            }
            if (port == null) throw ApiException.error("no serial terminal configured");
            if (!"socket".equals(cfg.get(port).orElse(null))) throw ApiException.error("serial device '" + port + "' is not a socket");
            socket = s.vms().paths().serial(vmid, port.charAt(6) - '0');
        } else {
            socket = s.vms().paths().vnc(vmid);
        }
        String user = rc.authid();
        String ticket = issueTicket(user, vmid);
        String password = null;
        if (mode == ConsoleBridge.Mode.VNC) {
            password = ticket;
            if (generatePassword) {
                byte[] b = new byte[6];
                RANDOM.nextBytes(b);
                password = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
            }
            s.vms().qmpCommand(vmid, "set_password", Map.of("protocol", "vnc", "password", password), Duration.ofSeconds(5));
        }
        int port = 5900 + Math.floorMod(ports.getAndIncrement() - 5900, 100);
        CountDownLatch closed = new CountDownLatch(1);
        Pending pend = new Pending(vmid, mode, socket, ticket, user, System.currentTimeMillis() + TICKET_MAX_AGE * 1000, closed);
        sessions.put(port, pend);
        String upid = rc.startTask(mode == ConsoleBridge.Mode.VNC ? "vncproxy" : "termproxy", Integer.toString(vmid), log -> {
            // the task lives as long as the console connection
            if (!closed.await(TICKET_MAX_AGE, TimeUnit.SECONDS)) {
                if (sessions.remove(port, pend)) throw new IllegalStateException("connection timed out");
            }
            closed.await();
        });
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        out.put("user", user);
        out.put("ticket", ticket);
        out.put("port", port);
        out.put("upid", upid);
        out.put("cert", "");
        if (generatePassword) out.put("password", password);
        return out;
    }

    /** The raw handler that upgrades {@code /vncwebsocket} requests. */
    public Handler websocketHandler() {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                if (!path.endsWith("/vncwebsocket") || !path.startsWith("/api2/json/nodes/") || !path.contains("/qemu/")) return false;
                String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
                if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) return false;
                String[] parts = path.split("/");
                // /api2/json/nodes/<node>/qemu/<vmid>/vncwebsocket
                int vmid;
                try {
                    vmid = Integer.parseInt(parts[6]);
                } catch (RuntimeException e) {
                    return reject(response, callback, 400, "invalid vmid");
                }
                Fields q = Request.extractQueryParameters(request);
                String ticket = q.getValue("vncticket");
                String portS = q.getValue("port");
                if (ticket == null || portS == null) return reject(response, callback, 400, "missing port or vncticket");
                Optional<String> cookieUser = cookieUser(request);
                if (access().isPresent() && cookieUser.isEmpty()) return reject(response, callback, 401, "No ticket");
                int port;
                try { port = Integer.parseInt(portS); } catch (NumberFormatException e) { return reject(response, callback, 400, "invalid port"); }
                Pending pend = sessions.get(port);
                if (pend == null || pend.vmid() != vmid || !pend.ticket().equals(ticket) || System.currentTimeMillis() > pend.expires())
                    return reject(response, callback, 401, "invalid ticket");
                Optional<String> ticketUser = verifyTicket(ticket, vmid);
                if (ticketUser.isEmpty() || (cookieUser.isPresent() && !ticketUser.get().equals(cookieUser.get())))
                    return reject(response, callback, 401, "invalid ticket");
                sessions.remove(port);
                ServerWebSocketContainer container = ServerWebSocketContainer.ensure(request.getConnectionMetaData().getConnector().getServer());
                if (!container.isStarted()) container.start();
                container.setIdleTimeout(Duration.ofHours(12));
                return container.upgrade((req, resp, cb) -> {
                    if (req.getSubProtocols().contains("binary")) resp.setAcceptedSubProtocol("binary");
                    return new ConsoleBridge(pend.socket(), pend.mode(), line -> {
                        int c = line.indexOf(':');
                        if (c < 0) return false;
                        String t = line.substring(c + 1);
                        return t.equals(pend.ticket()) && verifyTicket(t, vmid).isPresent();
                    }, pend.closed()::countDown);
                }, request, response, callback);
            }
        };
    }

    private Optional<String> cookieUser(Request request) {
        Optional<AccessControl> ac = access();
        if (ac.isEmpty()) return Optional.empty();
        for (var f : request.getHeaders()) {
            if (!f.is("Cookie")) continue;
            for (String c : f.getValue().split(";")) {
                String kv = c.trim();
                if (kv.startsWith("PVEAuthCookie=")) {
                    String v = java.net.URLDecoder.decode(kv.substring("PVEAuthCookie=".length()), java.nio.charset.StandardCharsets.UTF_8);
                    try {
                        return Optional.of(ac.get().verifyTicket(v));
                    } catch (RuntimeException e) {
                        return Optional.empty();
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static boolean reject(Response response, Callback callback, int status, String message) {
        response.setStatus(status);
        org.haven.api.server.HttpApiServer.setReason(response, message);
        response.getHeaders().put("Content-Type", "application/json;charset=UTF-8");
        response.write(true, java.nio.ByteBuffer.wrap(("{\"data\":null,\"message\":\"" + message + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8)), callback);
        return true;
    }

    /** Register the raw websocket handler with the daemon's HTTP server. */
    public void install(NodeContext ctx) {
        ctx.findService(HttpExtensions.class).ifPresent(ext -> ext.add(websocketHandler()));
    }
}
