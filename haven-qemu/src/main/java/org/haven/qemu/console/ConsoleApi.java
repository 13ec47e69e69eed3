package org.haven.qemu.console;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.haven.access.AccessControl;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.server.HttpExtensions;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.console.ConsoleBridge;
import org.haven.guest.console.ConsoleSessions;
import org.haven.qemu.QemuService;

/**
 * VM consoles: {@code POST /vncproxy} and {@code POST /termproxy} pick the VM's VNC or serial socket (and set the
 * VNC password through QMP); the guest framework's {@link ConsoleSessions} hands out the ticket and port and
 * serves the websocket {@code GET /vncwebsocket?port=…&vncticket=…}.
 */
public final class ConsoleApi {

    private static final String VMS = "/vms/{vmid}";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Supplier<QemuService> service;
    private final ConsoleSessions sessions;

    /** {@code tickets}: the node's console tickets; without them the consoles hand out tickets of their own. */
    public ConsoleApi(Supplier<QemuService> service, Optional<ConsoleSessions.Tickets> tickets) {
        this.service = service;
        this.sessions = new ConsoleSessions("qemu", () -> tickets);
    }

    /** PVE's {@code PVEVNC} tickets and the login cookie, from the node's access control. */
    public static ConsoleSessions.Tickets tickets(AccessControl ac) {
        return new ConsoleSessions.Tickets() {
            @Override public String create(String user, String path) { return ac.createTicket("PVEVNC", user, path); }
            @Override public Optional<String> verify(String ticket, String path, long maxAge) {
                return ac.verifyTicket("PVEVNC", ticket, path, maxAge).map(v -> v.data());
            }
            @Override public String verifyCookie(String cookie) { return ac.verifyTicket(cookie); }
        };
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
        String ticket = sessions.issueTicket(rc.authid(), vmid);
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
        LinkedHashMap<String, Object> out = sessions.open(rc, vmid, mode, socket, ticket);
        if (generatePassword) out.put("password", password);
        return out;
    }

    /** Register the raw websocket handler with the daemon's HTTP server. */
    public void install(HttpExtensions http) { sessions.install(http); }
}
