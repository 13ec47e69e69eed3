package org.haven.node.ha;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.BandwidthLimit;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.ha.HaException;
import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.lxc.LxcService;

/**
 * The HA resource agent for {@code ct:<vmid>} (PVE's {@code PVE::HA::Resources::PVECT}): start (pending changes
 * applied), shutdown, and relocation through the container's own migration.
 */
final class CtResourceDriver implements ClusterHaEnv.ResourceDriver {
    private static final System.Logger LOG = System.getLogger("pve-ha-lrm");

    private final Supplier<LxcService> lxc;
    private final HaMigration migration;
    private final HaRecovery recovery;
    private final String node;

    CtResourceDriver(Supplier<LxcService> lxc, HaMigration migration, HaRecovery recovery, String node) {
        this.lxc = lxc;
        this.migration = migration;
        this.recovery = recovery;
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

    /** How long a running container may take to shut down for a restart migration (pct migrate's default). */
    static final Duration RESTART_TIMEOUT = Duration.ofSeconds(180);

    /**
     * PVE's agent: a container cannot move while it runs, so migration and relocation are the container's own
     * migration ({@link HaMigration}): offline for a stopped container (local volumes copied to the target), restart
     * mode for a running one (shut down here, moved, started on the target).
     */
    @Override
    public boolean migrate(Sid sid, String target, boolean online) {
        int vmid = vmid(sid);
        if (target.equals(node)) return true;
        boolean running = lxc.get().type().isRunning(vmid);
        var opts = new GuestMigrate.Options(target, false, false, false, null, null, null, MigrationChecks.StorageMap.IDENTITY,
                BandwidthLimit.Rights.ROOT, running ? RESTART_TIMEOUT : null);
        try {
            return migration.run("vzmigrate", lxc.get().migrator(), vmid, opts, "CT");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "CT " + vmid + ": migration to '" + target + "' failed - " + e.getMessage());
            return false;
        }
    }

    @Override
    public org.haven.ha.HaEnv.RecoveryCheck recoveryCheck(Sid sid, String fencedNode, String target) {
        return recovery.check(lxc.get().guests(), vmid(sid), fencedNode, target);
    }
}
