package org.haven.node.replication;

import java.util.ArrayList;
import java.util.List;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.guest.GuestService;
import org.haven.lxc.LxcService;
import org.haven.qemu.QemuService;
import org.haven.replication.ReplicationService;

/** Hands the node's guests (VMs and containers, once their modules have started) to storage replication. */
public final class ReplicationGuestsModule implements ApiModule {
    @Override public String name() { return "replication-guests"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        ctx.publish(ReplicationService.Guests.class, () -> {
            List<GuestService> out = new ArrayList<>();
            ctx.findService(QemuService.class).ifPresent(q -> out.add(q.guests()));
            ctx.findService(LxcService.class).ifPresent(l -> out.add(l.guests()));
            return out;
        });
    }
}
