package org.haven.guest.console;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
import org.haven.api.RequestContext;
import org.haven.api.server.HttpExtensions;

/**
 * Console sessions: a type's {@code POST /vncproxy} and {@code POST /termproxy} hand out a ticket and a
 * port number through {@link #open}; the client then opens the websocket
 * {@code GET /nodes/<node>/<type>/<vmid>/vncwebsocket?port=…&vncticket=…} (PVEAuthCookie required), which
 * {@link #websocketHandler} serves before the API router and bridges ({@link ConsoleBridge}) to the guest's
 * VNC or terminal socket. The node's own shell ({@link #node}) uses {@code GET /nodes/<node>/vncwebsocket}
 * with tickets for {@code /nodes/<node>}.
 */
public final class ConsoleSessions {

    private static final long TICKET_MAX_AGE = 40;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A console session handed out by vncproxy/termproxy, waiting for its websocket. */
    record Pending(String authPath, ConsoleBridge.Mode mode, Path socket, String ticket, String user, long expires, CountDownLatch closed) {}

    /** What console sessions need from access control (PVE's {@code PVEVNC} tickets and the login cookie). */
    public interface Tickets {
        /** A {@code PVEVNC} ticket of {@code user} for {@code path}. */
        String create(String user, String path);
        /** The user of a valid {@code PVEVNC} ticket for {@code path}. */
        Optional<String> verify(String ticket, String path, long maxAgeSeconds);
        /** The user of a {@code PVEAuthCookie} value; throws when it is not valid. */
        String verifyCookie(String cookie);
    }

    private final String typeWord;
    private final Supplier<Optional<Tickets>> tickets;
    private final Map<Integer, Pending> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> localTickets = new ConcurrentHashMap<>();
    private final AtomicInteger ports = new AtomicInteger(5900);

    /**
     * @param typeWord the guest type's API path word ({@code qemu}, {@code lxc}); null for the node's shell
     * @param tickets  access control, when the node has it (else tickets are kept in memory)
     */
    public ConsoleSessions(String typeWord, Supplier<Optional<Tickets>> tickets) {
        this.typeWord = typeWord;
        this.tickets = tickets;
    }

    /** The sessions of the node's shell: websocket {@code /nodes/<node>/vncwebsocket}, tickets for {@code /nodes/<node>}. */
    public static ConsoleSessions node(Supplier<Optional<Tickets>> tickets) { return new ConsoleSessions(null, tickets); }

    private Optional<Tickets> access() { return tickets.get(); }

    /** A console ticket of {@code user} for guest {@code vmid}. */
    public String issueTicket(String user, int vmid) { return issueTicket(user, "/vms/" + vmid); }

    /** A console ticket of {@code user} for the ACL path {@code authPath}. */
    public String issueTicket(String user, String authPath) {
        Optional<Tickets> ac = access();
        if (ac.isPresent()) return ac.get().create(user, authPath);
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        String t = "PVEVNC:" + Long.toHexString(System.currentTimeMillis() / 1000).toUpperCase() + "::" + HexFormat.of().formatHex(b);
        localTickets.put(t, user);
        return t;
    }

    /** The user a console ticket for {@code authPath} belongs to, if valid. */
    Optional<String> verifyTicket(String ticket, String authPath) {
        Optional<Tickets> ac = access();
        if (ac.isPresent()) return ac.get().verify(ticket, authPath, TICKET_MAX_AGE);
        return Optional.ofNullable(localTickets.get(ticket));
    }

    /**
     * Hand out a console session for guest {@code vmid}: the websocket with {@code ticket} (from
     * {@link #issueTicket}) is bridged to {@code socket}; the task of type {@code vncproxy}/{@code termproxy}
     * lives as long as the connection. Returns PVE's answer ({@code user}, {@code ticket}, {@code port},
     * {@code upid}, {@code cert}).
     */
    public LinkedHashMap<String, Object> open(RequestContext rc, int vmid, ConsoleBridge.Mode mode, Path socket, String ticket) {
        return open(rc, "/vms/" + vmid, mode == ConsoleBridge.Mode.VNC ? "vncproxy" : "termproxy", Integer.toString(vmid), mode, socket, ticket);
    }

    /**
     * Hand out a console session for the ACL path {@code authPath} (the ticket's), bridged to {@code socket},
     * with a task of {@code taskType} and {@code taskId} that lives as long as the connection.
     */
    public LinkedHashMap<String, Object> open(RequestContext rc, String authPath, String taskType, String taskId,
                                              ConsoleBridge.Mode mode, Path socket, String ticket) {
        String user = rc.authid();
        int port = 5900 + Math.floorMod(ports.getAndIncrement() - 5900, 100);
        CountDownLatch closed = new CountDownLatch(1);
        Pending pend = new Pending(authPath, mode, socket, ticket, user, System.currentTimeMillis() + TICKET_MAX_AGE * 1000, closed);
        sessions.put(port, pend);
        String upid = rc.startTask(taskType, taskId, log -> {
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
        // PVE hands out the cluster's CA, which a VNC client over TLS verifies the node with
        out.put("cert", rc.node().cfs().readString("pve-root-ca.pem").orElse(""));
        return out;
    }

    /** The raw handler that upgrades {@code /vncwebsocket} requests. */
    public Handler websocketHandler() {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                if (!path.endsWith("/vncwebsocket") || !path.startsWith("/api2/json/nodes/")) return false;
                String[] parts = path.split("/");
                // /api2/json/nodes/<node>/<type>/<vmid>/vncwebsocket, or /api2/json/nodes/<node>/vncwebsocket for the node
                if (typeWord == null ? parts.length != 6 : parts.length != 8 || !parts[5].equals(typeWord)) return false;
                String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
                if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) return false;
                String authPath;
                if (typeWord == null) {
                    authPath = "/nodes/" + parts[4];
                } else {
                    try {
                        authPath = "/vms/" + Integer.parseInt(parts[6]);
                    } catch (RuntimeException e) {
                        return reject(response, callback, 400, "invalid vmid");
                    }
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
                if (pend == null || !pend.authPath().equals(authPath) || !pend.ticket().equals(ticket) || System.currentTimeMillis() > pend.expires())
                    return reject(response, callback, 401, "invalid ticket");
                Optional<String> ticketUser = verifyTicket(ticket, authPath);
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
                        return t.equals(pend.ticket()) && verifyTicket(t, authPath).isPresent();
                    }, pend.closed()::countDown);
                }, request, response, callback);
            }
        };
    }

    private Optional<String> cookieUser(Request request) {
        Optional<Tickets> ac = access();
        if (ac.isEmpty()) return Optional.empty();
        for (var f : request.getHeaders()) {
            if (!f.is("Cookie")) continue;
            for (String c : f.getValue().split(";")) {
                String kv = c.trim();
                if (kv.startsWith("PVEAuthCookie=")) {
                    String v = java.net.URLDecoder.decode(kv.substring("PVEAuthCookie=".length()), java.nio.charset.StandardCharsets.UTF_8);
                    try {
                        return Optional.of(ac.get().verifyCookie(v));
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
    public void install(HttpExtensions http) { http.add(websocketHandler()); }
}
