package org.haven.node.admin;

import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;

/**
 * The node as a host (PVE's {@code API2::Nodes} administration methods): the node's shell, its logs, DNS,
 * hosts, services, configuration and hardware.
 */
public final class NodeAdminApi implements ApiModule {
    @Override public String name() { return "node-admin"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        NodeShellApi shell = new NodeShellApi(ctx);
        reg.addAll(shell.methods());
        shell.install();
        new HostApi(ctx, Host.of(ctx)).register(reg);
        new org.haven.node.mapping.MappingApi(ctx, Host.of(ctx)).register(reg);
        org.haven.node.acme.AcmeApi.of(ctx).register(reg);
    }
}
