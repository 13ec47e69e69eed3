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

/**
 * The node's shell as PVE serves it to xterm.js: {@code POST /nodes/{node}/termproxy} hands out a
 * {@code PVEVNC} ticket for {@code /nodes/{node}} and a port, and {@code GET /nodes/{node}/vncwebsocket}
 * bridges the websocket (PVE's termproxy protocol) to the user's {@link ShellCommand} on a terminal.
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
                            LinkedHashMap<String, Object> out = open(rc, p.str("node"), p.str("cmd", null), p.str("cmd-opts", null));
                            out.remove("cert");
                            return out;
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

    private LinkedHashMap<String, Object> open(RequestContext rc, String node, String cmd, String cmdOpts) {
        String user = rc.authid();
        if (cmd != null && !cmd.equals("login") && !"root@pam".equals(user))
            throw ApiException.forbidden("only root@pam can run '" + cmd + "'");
        List<String> argv = ShellCommand.of(user, cmd, cmdOpts, ctx.embedded(), loginShell());
        String authPath = "/nodes/" + node;
        String ticket = sessions.issueTicket(user, authPath);
        Path socket = ctx.runDir().resolve("nodeshell-" + Long.toHexString(System.nanoTime()) + ".sock");
        try {
            PtyShell.listen(socket, argv, Path.of(System.getProperty("user.home", "/")),
                    Map.of("TERM", "xterm-256color", "LANG", "C.UTF-8"), ACCEPT_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("unable to start the shell: " + e.getMessage(), e);
        }
        return sessions.open(rc, authPath, "vncshell", "", ConsoleBridge.Mode.TERM, socket, ticket);
    }

    /** The daemon user's login shell (embedded mode). */
    private static String loginShell() {
        String sh = System.getenv("SHELL");
        if (sh != null && !sh.isBlank() && java.nio.file.Files.isExecutable(Path.of(sh))) return sh;
        return java.nio.file.Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
    }

    void install(HttpExtensions http) { sessions.install(http); }
}
