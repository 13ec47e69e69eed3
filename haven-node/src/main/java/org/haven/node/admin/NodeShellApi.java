package org.haven.node.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.NodeContext;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.server.HttpExtensions;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.console.ConsoleBridge;
import org.haven.guest.console.ConsoleSessions;
import org.haven.guest.console.PtyShell;
import org.haven.guest.console.VncTerminal;

/**
 * The node's shell as PVE serves it: {@code POST /nodes/{node}/termproxy} (xterm.js) and
 * {@code POST /nodes/{node}/vncshell} (noVNC) hand out a {@code PVEVNC} ticket for {@code /nodes/{node}} and a port,
 * and {@code GET /nodes/{node}/vncwebsocket} bridges the websocket to the user's {@link ShellCommand}: on a
 * pseudo-terminal with PVE's termproxy protocol, or on a {@link VncTerminal} (PVE's {@code vncterm}) whose VNC
 * password is the ticket. {@code POST /nodes/{node}/spiceshell} needs PVE's {@code spiceterm}, which Haven does not
 * have: it is refused with a message saying so.
 */
final class NodeShellApi {
    private static final String NODE = "/nodes/{node}";
    private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(40);

    private final NodeContext ctx;
    private final ConsoleSessions sessions;

    NodeShellApi(NodeContext ctx, Optional<ConsoleSessions.Tickets> tickets) {
        this.ctx = ctx;
        this.sessions = ConsoleSessions.node(() -> tickets);
    }

    private static Schema cmd() {
        return Schema.string().optional().enumValues("ceph_install", "upgrade", "login").defaultValue("login")
                .description("Run specific command or default to login (requires 'root@pam')");
    }

    private static Schema cmdOpts() {
        return Schema.string().optional().defaultValue("").requires("cmd").description("Add parameters to a command. Encoded as null terminated strings.");
    }

    List<ApiMethod> methods() {
        return List.of(
                ApiMethod.post(NODE + "/termproxy").name("termproxy").description("Creates a VNC Shell proxy.")
                        .param("node", StandardOptions.node()).param("cmd", cmd()).param("cmd-opts", cmdOpts())
                        .returns(Schema.object().additionalProperties(false).property("port", Schema.integer()).property("ticket", Schema.string())
                                .property("upid", Schema.string()).property("user", Schema.string()))
                        .permissions(Permission.perm(NODE, "Sys.Console")).protect()
                        .handler((p, rc) -> {
                            LinkedHashMap<String, Object> out = open(rc, p.str("node"), p.str("cmd", null), p.str("cmd-opts", null), ConsoleBridge.Mode.TERM,
                                    (socket, argv, ticket) -> PtyShell.listen(socket, argv, home(), Map.of("TERM", "xterm-256color", "LANG", "C.UTF-8"), ACCEPT_TIMEOUT));
                            out.remove("cert");
                            return out;
                        })
                        .build(),
                ApiMethod.post(NODE + "/vncshell").name("vncshell").description("Creates a VNC Shell proxy.")
                        .param("node", StandardOptions.node()).param("cmd", cmd()).param("cmd-opts", cmdOpts())
                        .param("websocket", Schema.bool().optional().description("use websocket instead of standard vnc."))
                        .param("width", Schema.integer().optional().minimum(16).maximum(4096).description("sets the width of the console in pixels."))
                        .param("height", Schema.integer().optional().minimum(16).maximum(2160).description("sets the height of the console in pixels."))
                        .returns(Schema.object().additionalProperties(false).property("cert", Schema.string()).property("port", Schema.integer())
                                .property("ticket", Schema.string()).property("upid", Schema.string()).property("user", Schema.string()))
                        .permissions(Permission.perm(NODE, "Sys.Console")).protect()
                        .handler((p, rc) -> {
                            int[] size = VncTerminal.terminalSize(p.has("width") ? p.integer("width") : null, p.has("height") ? p.integer("height") : null);
                            return open(rc, p.str("node"), p.str("cmd", null), p.str("cmd-opts", null), ConsoleBridge.Mode.VNC,
                                    (socket, argv, ticket) -> VncTerminal.listen(socket, argv, home(), Map.of("TERM", "linux", "LANG", "C.UTF-8"),
                                            ACCEPT_TIMEOUT, ticket, size[0], size[1]));
                        })
                        .build(),
                ApiMethod.post(NODE + "/spiceshell").name("spiceshell").description("Creates a SPICE shell.")
                        .param("node", StandardOptions.node()).param("cmd", cmd()).param("cmd-opts", cmdOpts())
                        .param("proxy", Schema.string().optional().format("address").description("SPICE proxy server. This can be used by the client to specify the proxy server. All nodes in a cluster runs 'spiceproxy', so it is up to the client to choose one. By default, we return the node where the VM is currently running. As reasonable setting is to use same node you use to connect to the API (This is window.location.hostname for the JS GUI)."))
                        .returns(Schema.object().additionalProperties(true).description("Returned values can be directly passed to the 'remote-viewer' application.")
                                .property("host", Schema.string()).property("password", Schema.string()).property("proxy", Schema.string())
                                .property("tls-port", Schema.integer()).property("type", Schema.string()))
                        .permissions(Permission.perm(NODE, "Sys.Console"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> {
                            checkCommand(rc.authid(), p.str("cmd", null));
                            throw new ApiException(501, "the node's SPICE shell needs 'spiceterm', which is not available - use the VNC shell (vncshell) or the xterm.js shell (termproxy)");
                        })
                        .build(),
                ApiMethod.get(NODE + "/vncwebsocket").name("vncwebsocket").description("Opens a websocket for VNC traffic.")
                        .param("node", StandardOptions.node())
                        .param("port", Schema.integer().minimum(5900).maximum(5999).description("Port number returned by previous vncproxy call."))
                        .param("vncticket", Schema.string().maxLength(512).description("Ticket from previous call to vncproxy."))
                        .returns(Schema.object().property("port", Schema.string()))
                        .permissions(Permission.perm(NODE, "Sys.Console").withDescription("You also need to pass a valid ticket (vncticket)."))
                        .handler((p, rc) -> { throw new ApiException(400, "websocket upgrade required"); })
                        .build());
    }

    /** Starts the shell {@code argv} listening on {@code socket} for the connection that brings {@code ticket}. */
    @FunctionalInterface
    private interface Listener {
        void listen(Path socket, List<String> argv, String ticket) throws IOException;
    }

    /** Only {@code root@pam} may run another command than the login shell. */
    private static void checkCommand(String user, String cmd) {
        if (cmd != null && !cmd.equals("login") && !"root@pam".equals(user))
            throw ApiException.forbidden("only root@pam can run '" + cmd + "'");
    }

    /** Starts the user's shell with {@code listener} and hands out the {@code vncshell} session bridged to it in {@code mode}. */
    private LinkedHashMap<String, Object> open(RequestContext rc, String node, String cmd, String cmdOpts, ConsoleBridge.Mode mode, Listener listener) {
        String user = rc.authid();
        checkCommand(user, cmd);
        List<String> argv = ShellCommand.of(user, cmd, cmdOpts, ctx.embedded(), loginShell());
        String authPath = "/nodes/" + node;
        String ticket = sessions.issueTicket(user, authPath);
        Path socket = ctx.runDir().resolve("nodeshell-" + Long.toHexString(System.nanoTime()) + ".sock");
        try {
            listener.listen(socket, argv, ticket);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start the shell: " + e.getMessage(), e);
        }
        return sessions.open(rc, authPath, "vncshell", "", mode, socket, ticket);
    }

    private static Path home() { return Path.of(System.getProperty("user.home", "/")); }

    /** The daemon user's login shell (embedded mode). */
    private static String loginShell() {
        String sh = System.getenv("SHELL");
        if (sh != null && !sh.isBlank() && java.nio.file.Files.isExecutable(Path.of(sh))) return sh;
        return java.nio.file.Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
    }

    void install(HttpExtensions http) { sessions.install(http); }
}
