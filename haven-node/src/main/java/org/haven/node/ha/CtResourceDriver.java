package org.haven.node.ha;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.haven.core.cfs.ClusterFs;
import org.haven.guest.config.GuestException;
import org.haven.ha.HaException;
import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.lxc.LxcService;

/**
 * The HA resource agent for {@code ct:<vmid>} (PVE's {@code PVE::HA::Resources::PVECT}): start (pending changes
 * applied), shutdown, and relocation: a container cannot move while it runs, so a migration shuts it down first
 * and moves its config to the target, where the manager starts it again.
 */
final class CtResourceDriver implements ClusterHaEnv.ResourceDriver {
    private static final System.Logger LOG = System.getLogger("pve-ha-lrm");

    private final Supplier<LxcService> lxc;
    private final ClusterFs cfs;
    private final String node;

    CtResourceDriver(Supplier<LxcService> lxc, ClusterFs cfs, String node) {
        this.lxc = lxc;
        this.cfs = cfs;
        this.node = node;
    }

    private static int vmid(Sid sid) {
        if (!sid.type().equals("ct")) throw new HaException("resource type '" + sid.type() + "' is not supported on this node");
        return Integer.parseInt(sid.name());
    }

    private static Consumer<String> log(int vmid) {
        return line -> LOG.log(System.Logger.Level.INFO, "CT " + vmid + ": " + line);
    }

    @Override public boolean isRunning(Sid sid) { return sid.type().equals("ct") && lxc.get().type().isRunning(vmid(sid)); }

    @Override
    public void start(Sid sid) {
        int vmid = vmid(sid);
        try {
            if (!lxc.get().type().isRunning(vmid)) lxc.get().start(vmid, log(vmid));
        } catch (GuestException e) {
            throw new HaException(e.getMessage(), e);
        }
    }

    @Override
    public void shutdown(Sid sid, Integer timeout) {
        int vmid = vmid(sid);
        try {
            if (!lxc.get().type().isRunning(vmid)) return;
            if (timeout != null && timeout == 0) lxc.get().stop(vmid, log(vmid));
            else lxc.get().shutdown(vmid, timeout == null ? 60 : timeout, true, log(vmid));
        } catch (GuestException e) {
            throw new HaException(e.getMessage(), e);
        }
    }

    @Override
    public boolean migrate(Sid sid, String target, boolean online) {
        int vmid = vmid(sid);
        if (target.equals(node)) return true;
        try {
            shutdown(sid, null);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "CT " + vmid + ": shutdown for relocation failed - " + e.getMessage());
            return false;
        }
        if (lxc.get().type().isRunning(vmid)) return false;
        var store = lxc.get().store();
        try {
            return store.locked(vmid, () -> {
                String from = store.path(node, vmid);
                String to = store.path(target, vmid);
                if (cfs.stat(from).isEmpty()) return cfs.stat(to).isPresent();
                cfs.mkdirs("nodes/" + target + "/" + store.dir());
                cfs.rename(from, to);
                lxc.get().runtime().cleanup(vmid);
                LOG.log(System.Logger.Level.INFO, "CT " + vmid + ": config moved to node '" + target + "'");
                return true;
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "CT " + vmid + ": migration to '" + target + "' failed - " + e.getMessage());
            return false;
        }
    }
}
