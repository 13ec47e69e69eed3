package org.haven.node.ha;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.Handler;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.server.ApiTree;
import org.haven.guest.migrate.GuestReplication;
import org.haven.ha.ManagerStatus;
import org.haven.ha.api.HaApi;
import org.haven.ha.api.HaResources;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.lxc.LxcService;
import org.haven.qemu.QemuService;

/**
 * Ties guests to the HA manager on a node: makes the resource agents by type ({@link #drivers}, {@link GuestResourceDrivers};
 * {@code vm:} is {@link VmResourceDriver}, {@code ct:} is {@link CtResourceDriver}), with which the HA module runs the node's CRM and LRM, and routes {@code qm start|stop|shutdown} of an
 * HA-managed guest (and {@code pct start|stop|shutdown} of a container) through HA as PVE does (guide §14.3): start sets the requested state to {@code started}
 * (task {@code hastart}); stop and shutdown queue the CRM command {@code stop <sid> <timeout>} (task
 * {@code hastop}), which stops the guest and sets its requested state to {@code stopped}.
 */
public final class HaGuestModule implements ApiModule {
    private static final System.Logger LOG = System.getLogger("haven.ha");
    static final String VM_STATUS = "/nodes/{node}/qemu/{vmid}/status/";
    static final String CT_STATUS = "/nodes/{node}/lxc/{vmid}/status/";

    private final ApiTree tree;
    private final HaApi ha;

    /** Routes the power methods of {@code tree} through the HA resources of {@code ha}. */
    public HaGuestModule(ApiTree tree, HaApi ha) {
        this.tree = tree;
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

    @Override public String name() { return "ha-guests"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {}

    @Override
    public void start(NodeContext ctx) {
        HaResources resources = ha.resources();
        for (String[] type : List.of(new String[] {VM_STATUS, "vm", "VM"}, new String[] {CT_STATUS, "ct", "CT"})) {
            for (String action : List.of("start", "stop", "shutdown")) {
                var hit = tree.lookup(type[0] + action);
                ApiMethod old = hit == null ? null : hit.node().methods().get(HttpMethod.POST);
                if (old == null || !hit.node().path().equals(type[0] + action)) {
                    LOG.log(System.Logger.Level.WARNING, "no POST " + type[0] + action + ": " + action + " not routed through HA");
                    continue;
                }
                tree.replace(wrap(old, action, resources, type[1], type[2], this::protectIncoming));
            }
        }
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

    static ApiMethod wrap(ApiMethod m, String action, HaResources ha, IncomingGuard incoming) { return wrap(m, action, ha, "vm", "VM", incoming); }

    /**
     * {@code m} routed through HA for guests of HA type {@code prefix} ({@code vm}, {@code ct}; {@code word} for the
     * log). {@code incoming} guards the start of an HA-managed guest as the target of a migration: its process may
     * only start once the node's watchdog covers it, so the node resets itself with it when its daemon dies.
     */
    static ApiMethod wrap(ApiMethod m, String action, HaResources ha, String prefix, String word, IncomingGuard incoming) {
        Handler inner = m.handler();
        Handler h = (p, rc) -> {
            int vmid = p.integer("vmid");
            String sid = prefix + ":" + vmid;
            if (!ha.isManaged(sid)) return inner.handle(p, rc);
            if (p.has("migratedfrom") || p.has("stateuri")) {
                if (action.equals("start") && !incoming.protect(sid)) {
                    throw org.haven.api.ApiException.error("unable to start " + word + " " + vmid + " for the incoming migration - "
                        + "the HA agent of this node holds no agent lock and watchdog for '" + sid + "'");
                }
                return inner.handle(p, rc);
            }
            return switch (action) {
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
            };
        };
        return new ApiMethod(m.path(), m.method(), m.name(), m.description(), m.parameters(), m.returns(), m.permissions(),
            m.proxyto(), m.protect(), m.allowtoken(), h);
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
