package org.haven.lxc.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.NodeContext;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.server.HttpExtensions;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.console.ConsoleBridge;
import org.haven.guest.console.ConsoleSessions;
import org.haven.guest.console.PtyShell;
import org.haven.guest.console.VncTerminal;
import org.haven.lxc.LxcService;

/**
 * Container consoles as PVE serves them: {@code POST termproxy} runs the container's console command (by its
 * {@code cmode}: {@code lxc-console} on a tty, on {@code /dev/console}, or an {@code lxc-attach} shell) on a terminal
 * and hands out a {@code PVEVNC} ticket and port; the guest framework's {@link ConsoleSessions} serves
 * {@code GET vncwebsocket} with PVE's termproxy protocol for xterm.js. {@code POST vncproxy} runs the same command
 * on a VNC terminal ({@link VncTerminal}, PVE's {@code vncterm}) for noVNC, bridged by the same websocket. The SPICE
 * console ({@code spiceproxy}) needs PVE's {@code spiceterm}, which this node does not have: it is refused.
 */
final class LxcConsoleApi {
    private static final String VMS = "/vms/{vmid}";
    private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(40);

    private final Supplier<LxcService> service;
    private final Supplier<NodeContext> ctx;
    private final ConsoleSessions sessions;

    LxcConsoleApi(Supplier<LxcService> service, Supplier<NodeContext> ctx, Optional<ConsoleSessions.Tickets> tickets) {
        this.service = service;
        this.ctx = ctx;
        this.sessions = new ConsoleSessions("lxc", () -> tickets);
    }

    /** Serve the console websockets with the node's HTTP server. */
    void install(HttpExtensions http) { sessions.install(http); }

    /**
     * PVE's {@code get_console_command}: {@code tty} (the default) attaches to a tty, {@code console} to
     * {@code /dev/console} ({@code -t 0}), {@code shell} runs a shell in the container; {@code escape} null for
     * none.
     */
    static List<String> consoleCommand(Path lxcpath, int vmid, String cmode, String escape) {
        List<String> cmd = new ArrayList<>();
        String id = Integer.toString(vmid);
        switch (cmode == null ? "tty" : cmode) {
            case "console" -> cmd.addAll(List.of("lxc-console", "-P", lxcpath.toString(), "-n", id, "-t", "0"));
            case "tty" -> cmd.addAll(List.of("lxc-console", "-P", lxcpath.toString(), "-n", id));
            case "shell" -> {
                return List.of("lxc-attach", "-P", lxcpath.toString(), "--clear-env", "-n", id);
            }
            default -> throw new IllegalArgumentException("unknown console mode '" + cmode + "'");
        }
        if (escape != null) cmd.addAll(List.of("-e", escape));
        return cmd;
    }

    List<ApiMethod> methods() {
        Schema vmid = StandardOptions.vmid();
        return List.of(
                ApiMethod.post(LxcApi.CT + "/termproxy").name("termproxy").description("Creates a TCP proxy connection.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .returns(Schema.object().additionalProperties(false).property("port", Schema.integer()).property("ticket", Schema.string())
                                .property("upid", Schema.string()).property("user", Schema.string()))
                        .permissions(Permission.perm(VMS, "VM.Console"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> termproxy(rc, p.integer("vmid")))
                        .build(),
                ApiMethod.post(LxcApi.CT + "/vncproxy").name("vncproxy").description("Creates a TCP VNC proxy connections.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .param("websocket", Schema.bool().optional().description("use websocket instead of standard VNC."))
                        .param("width", Schema.integer().optional().minimum(16).maximum(4096).description("sets the width of the console in pixels."))
                        .param("height", Schema.integer().optional().minimum(16).maximum(2160).description("sets the height of the console in pixels."))
                        .returns(Schema.object().additionalProperties(false).property("cert", Schema.string()).property("port", Schema.integer())
                                .property("ticket", Schema.string()).property("upid", Schema.string()).property("user", Schema.string()))
                        .permissions(Permission.perm(VMS, "VM.Console"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> vncproxy(rc, p.integer("vmid"), p.has("width") ? p.integer("width") : null,
                                p.has("height") ? p.integer("height") : null))
                        .build(),
                ApiMethod.get(LxcApi.CT + "/vncwebsocket").name("vncwebsocket").description("Opens a weksocket for VNC traffic.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .param("port", Schema.integer().minimum(5900).maximum(5999).description("Port number returned by previous vncproxy call."))
                        .param("vncticket", Schema.string().maxLength(512).description("Ticket from previous call to vncproxy."))
                        .returns(Schema.object().property("port", Schema.string()))
                        .permissions(Permission.perm(VMS, "VM.Console").withDescription("You also need to pass a valid ticket (vncticket)."))
                        .handler((p, rc) -> { throw new ApiException(400, "websocket upgrade required"); })
                        .build(),
                ApiMethod.post(LxcApi.CT + "/spiceproxy").name("spiceproxy").description("Returns a SPICE configuration to connect to the CT.")
                        .param("node", StandardOptions.node()).param("vmid", vmid)
                        .param("proxy", Schema.string().optional().format("address").description("SPICE proxy server. This can be used by the client to specify the proxy server. All nodes in a cluster runs 'spiceproxy', so it is up to the client to choose one. By default, we return the node where the VM is currently running."))
                        .returns(Schema.object().additionalProperties(true).property("host", Schema.string()).property("password", Schema.string())
                                .property("proxy", Schema.string()).property("tls-port", Schema.integer()).property("type", Schema.string()))
                        .permissions(Permission.perm(VMS, "VM.Console"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> {
                            service.get().store().load(p.integer("vmid"));
                            throw new ApiException(501, "the SPICE console of containers needs 'spiceterm', which is not available - use the xterm.js console (termproxy)");
                        })
                        .build());
    }

    /** The console command of a running container. */
    private List<String> console(int vmid) {
        LxcService ct = service.get();
        GuestConfig cfg = ct.store().load(vmid);
        if (!ct.type().isRunning(vmid)) throw ApiException.error("CT " + vmid + " not running");
        return consoleCommand(ct.runtime().lxc().lxcpath(), vmid, cfg.get("cmode").orElse(null), null);
    }

    private Path socket(int vmid) {
        return ctx.get().runDir().resolve("lxc-console-" + vmid + "-" + Long.toHexString(System.nanoTime()) + ".sock");
    }

    private Map<String, Object> termproxy(RequestContext rc, int vmid) {
        List<String> argv = console(vmid);
        String ticket = sessions.issueTicket(rc.authid(), vmid);
        Path socket = socket(vmid);
        try {
            PtyShell.listen(socket, argv, Path.of("/"), Map.of("TERM", "xterm-256color", "LANG", "C.UTF-8"), ACCEPT_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start the console: " + e.getMessage(), e);
        }
        LinkedHashMap<String, Object> out = sessions.open(rc, vmid, ConsoleBridge.Mode.TERM, socket, ticket);
        out.remove("cert");
        return out;
    }

    /**
     * PVE's container {@code vncproxy}: the console command on a VNC terminal ({@code vncterm}) of {@code width} x
     * {@code height} pixels, which the client reaches through {@code vncwebsocket} and logs in to with the ticket as
     * VNC password.
     */
    private Map<String, Object> vncproxy(RequestContext rc, int vmid, Integer width, Integer height) {
        List<String> argv = console(vmid);
        String ticket = sessions.issueTicket(rc.authid(), vmid);
        Path socket = socket(vmid);
        int[] size = VncTerminal.terminalSize(width, height);
        try {
            VncTerminal.listen(socket, argv, Path.of("/"), Map.of("TERM", "linux", "LANG", "C.UTF-8"), ACCEPT_TIMEOUT, ticket, size[0], size[1]);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start the console: " + e.getMessage(), e);
        }
        return sessions.open(rc, vmid, ConsoleBridge.Mode.VNC, socket, ticket);
    }
}
