package org.haven.node.ha;

import java.util.Optional;
import java.util.function.Supplier;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.guest.api.HaRequests;
import org.haven.guest.migrate.GuestReplication;
import org.haven.ha.ManagerStatus;
import org.haven.ha.api.HaApi;
import org.haven.ha.api.HaResources;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.lxc.LxcService;
import org.haven.qemu.QemuService;

/**
 * Ties guests to the HA manager on a node: makes the resource agents by type ({@link #drivers}, {@link GuestResourceDrivers};
 * {@code vm:} is {@link VmResourceDriver}, {@code ct:} is {@link CtResourceDriver}), with which the HA module runs the node's
 * CRM and LRM, and answers the power methods of VMs and containers ({@link HaRequests}): {@code qm start|stop|shutdown} of an
 * HA-managed guest (and {@code pct start|stop|shutdown} of a container) go through HA as PVE does (guide §14.3): start sets
 * the requested state to {@code started} (task {@code hastart}); stop and shutdown queue the CRM command
 * {@code stop <sid> <timeout>} (task {@code hastop}), which stops the guest and sets its requested state to {@code stopped}.
 */
public final class HaGuestModule implements HaRequests {
    private final HaApi ha;

    /** Routes power requests of HA-managed guests through the HA resources of {@code ha}. */
    public HaGuestModule(HaApi ha) {
        this.ha = ha;
    }

    /**
     * The resource agents of the node's guests, by HA type: {@code vm} over {@code qemu}, {@code ct} over {@code lxc};
     * a recovered guest comes back from its replica when {@code replication} has one.
     */
    public static ClusterHaEnv.ResourceDriver drivers(NodeContext ctx, Supplier<QemuService> qemu, Supplier<LxcService> lxc,
            Optional<GuestReplication> replication) {
        HaMigration migration = new HaMigration(ctx.tasks(), ctx.cfs(), ctx.nodeName());
        HaRecovery recovery = new HaRecovery(() -> replication);
        return new GuestResourceDrivers(java.util.Map.of(
            "vm", new VmResourceDriver(qemu, migration, recovery, ctx.nodeName()),
            "ct", new CtResourceDriver(lxc, migration, recovery, ctx.nodeName())));
    }

    @Override
    public Optional<String> request(String haType, String action, Params p, RequestContext rc) throws Exception {
        return request(action, p, rc, ha.resources(), haType, haType.equals("ct") ? "CT" : "VM", this::protectIncoming);
    }

    /** Waits until the node's LRM holds its agent lock and watchdog for an incoming guest; false when it could not. */
    interface IncomingGuard {
        boolean protect(String sid) throws InterruptedException;
    }

    /** How long the target of a migration waits for its LRM (one round of an idle LRM, and the lock request). */
    static final long INCOMING_WAIT_MS = 60_000;

    private boolean protectIncoming(String sid) throws InterruptedException {
        var services = ha.services();
        return services.isPresent() && services.get().lrm().protectIncoming(sid, INCOMING_WAIT_MS);
    }

    /**
     * Power action {@code action} on a guest of HA type {@code prefix} ({@code vm}, {@code ct}; {@code word} for the
     * log): the UPID of the HA request, or empty when the method acts itself. {@code incoming} guards the start of an
     * HA-managed guest as the target of a migration: its process may only start once the node's watchdog covers it, so
     * the node resets itself with it when its daemon dies.
     */
    static Optional<String> request(String action, Params p, RequestContext rc, HaResources ha, String prefix, String word,
            IncomingGuard incoming) throws Exception {
        int vmid = p.integer("vmid");
        String sid = prefix + ":" + vmid;
        if (!ha.isManaged(sid)) return Optional.empty();
        if (p.has("migratedfrom") || p.has("stateuri")) {
            if (action.equals("start") && !incoming.protect(sid)) {
                throw org.haven.api.ApiException.error("unable to start " + word + " " + vmid + " for the incoming migration - "
                    + "the HA agent of this node holds no agent lock and watchdog for '" + sid + "'");
            }
            return Optional.empty();
        }
        return Optional.of(switch (action) {
            case "start" -> rc.startTask("hastart", Integer.toString(vmid), log -> {
                log.log("Requesting HA start for " + word + " " + vmid);
                ha.setRequestedState(sid, "started");
            });
            default -> {
                // PVE: stop is a hard stop (timeout 0); shutdown passes its timeout (default 60)
                long timeout = action.equals("stop") ? 0 : p.lng("timeout", 60);
                yield rc.startTask("hastop", Integer.toString(vmid), log -> {
                    log.log("Requesting HA stop for " + word + " " + vmid);
                    requestStop(ha, sid, timeout);
                });
            }
        });
    }

    /** {@code ha-manager crm-command stop <sid> <timeout>}; a service the manager does not know yet just gets state stopped. */
    static void requestStop(HaResources ha, String sid, long timeout) {
        ManagerStatus ms = ha.managerStatus();
        if (ms.serviceStatus.containsKey(sid)) {
            ha.queueCrmCommand("stop " + sid + " " + timeout);
        } else {
            ha.setRequestedState(sid, "stopped");
        }
    }

}
