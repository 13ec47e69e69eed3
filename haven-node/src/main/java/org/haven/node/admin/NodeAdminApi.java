package org.haven.node.admin;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.server.Dispatcher;
import org.haven.api.server.HttpExtensions;
import org.haven.guest.console.ConsoleSessions;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ProcessCommandRunner;

/**
 * The node as a host (PVE's {@code API2::Nodes} administration methods): the node's shell, its logs, DNS,
 * hosts, services, configuration and hardware, its packages (APT), report, wake-on-LAN, batch calls
 * ({@code execute}), URL metadata and subscription status.
 */
public final class NodeAdminApi implements ApiModule {
    private final HttpExtensions http;
    private final Optional<ConsoleSessions.Tickets> tickets;
    private final Supplier<Dispatcher> dispatcher;

    /** The shell's websocket is served by {@code http} with the node's console {@code tickets}; batch calls go to {@code dispatcher}. */
    public NodeAdminApi(HttpExtensions http, Optional<ConsoleSessions.Tickets> tickets, Supplier<Dispatcher> dispatcher) {
        this.http = http;
        this.tickets = tickets;
        this.dispatcher = dispatcher;
    }

    @Override public String name() { return "node-admin"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        NodeShellApi shell = new NodeShellApi(ctx, tickets);
        reg.addAll(shell.methods());
        shell.install(http);
        Host host = Host.of(ctx);
        new HostApi(ctx, host).register(reg);
        CommandRunner runner = new ProcessCommandRunner();
        Apt apt = new Apt(ctx.embedded() ? ctx.dataDir().resolve("host") : Path.of("/"), runner);
        new AptApi(ctx, apt, runner).register(reg);
        new NodeToolsApi(ctx, host, apt, runner, dispatcher).register(reg);
        new org.haven.node.mapping.MappingApi(ctx, host).register(reg);
        org.haven.node.acme.AcmeApi.of(ctx).register(reg);
    }
}
