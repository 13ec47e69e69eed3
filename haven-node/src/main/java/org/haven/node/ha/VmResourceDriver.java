package org.haven.node.ha;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.haven.core.HaltPoint;
import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.BandwidthLimit;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.ha.HaException;
import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.qemu.QemuService;
import org.haven.qemu.run.VmManager;

/**
 * The HA resource agent for {@code vm:<vmid>} (PVE's {@code PVE::HA::Resources::PVEVM}): start and shutdown
 * through the VM module's {@link VmManager}, migration and relocation through the VM's own migration. The node's watchdog finds the guests' processes
 * by itself when it resets the node (see {@link org.haven.ha.env.NodeProcesses}).
 */
final class VmResourceDriver implements ClusterHaEnv.ResourceDriver {
    private static final System.Logger LOG = System.getLogger("pve-ha-lrm");

    private final Supplier<QemuService> qemu;
    private final HaMigration migration;
    private final HaRecovery recovery;
    private final String node;

    VmResourceDriver(Supplier<QemuService> qemu, HaMigration migration, HaRecovery recovery, String node) {
        this.qemu = qemu;
        this.migration = migration;
        this.recovery = recovery;
        this.node = node;
    }

    private static int vmid(Sid sid) {
        if (!sid.type().equals("vm")) throw new HaException("resource type '" + sid.type() + "' is not supported on this node");
        return Integer.parseInt(sid.name());
    }

    private VmManager vms() { return qemu.get().vms(); }

    private static Consumer<String> log(int vmid) {
        return line -> LOG.log(System.Logger.Level.INFO, "VM " + vmid + ": " + line);
    }

    @Override
    public boolean isRunning(Sid sid) {
        if (!sid.type().equals("vm")) return false;
        return vms().isRunning(vmid(sid));
    }

    @Override
    public void start(Sid sid) {
        int vmid = vmid(sid);
        try {
            if (!vms().isRunning(vmid)) {
                var cfg = vms().store().load(vmid);
                long memMb = memoryMb(cfg.get("memory").orElse(null));
                vms().start(vmid, new VmManager.StartOptions(false, false, Duration.ofSeconds(Math.max(30, memMb / 1024))), log(vmid));
                HaltPoint.reach("ha-start:after");
            }
        } catch (GuestException e) {
            throw new HaException(e.getMessage(), e);
        }
    }

    static long memoryMb(String memory) {
        if (memory == null || memory.isBlank()) return 512;
        String v = memory;
        for (String part : memory.split(",")) {
            if (part.startsWith("current=")) v = part.substring(8);
            else if (!part.contains("=")) v = part;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 512;
        }
    }

    @Override
    public void shutdown(Sid sid, Integer timeout) {
        int vmid = vmid(sid);
        try {
            if (!vms().isRunning(vmid)) return;
            if (timeout != null && timeout == 0) {
                vms().stop(vmid, false, Duration.ofSeconds(5), log(vmid));
            } else {
                // PVE's agent: shutdown with forceStop so the guest is down afterwards
                vms().shutdown(vmid, false, Duration.ofSeconds(timeout == null ? 60 : timeout), true, log(vmid));
            }
        } catch (GuestException e) {
            throw new HaException(e.getMessage(), e);
        }
    }

    /**
     * PVE's agent: {@code online} (ha-manager migrate) live-migrates a running guest, with its local disks
     * mirrored; relocation ({@code online} false) shuts a running guest down first. Then the VM's own migration
     * runs ({@link HaMigration}; offline for a stopped guest: local volumes are copied to the target). Local
     * devices do not stop it (PVE's agent passes {@code force}: the admin made the nodes alike).
     */
    @Override
    public boolean migrate(Sid sid, String target, boolean online) {
        int vmid = vmid(sid);
        if (target.equals(node)) return true;
        boolean running = vms().isRunning(vmid);
        if (running && !online) {
            LOG.log(System.Logger.Level.INFO, "stopping service " + sid + " (relocate)");
            try {
                shutdown(sid, null);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "VM " + vmid + ": shutdown for relocation failed - " + e.getMessage());
                return false;
            }
            if (vms().isRunning(vmid)) return false;
            LOG.log(System.Logger.Level.INFO, "service status " + sid + " stopped");
            running = false;
        }
        var opts = new GuestMigrate.Options(target, running, true, true, null, null, null,
                MigrationChecks.StorageMap.IDENTITY, BandwidthLimit.Rights.ROOT);
        try {
            return migration.run("qmigrate", qemu.get().migrator(), vmid, opts, "VM");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "VM " + vmid + ": migration to '" + target + "' failed - " + e.getMessage());
            return false;
        }
    }

    @Override
    public org.haven.ha.HaEnv.RecoveryCheck recoveryCheck(Sid sid, String fencedNode, String target) {
        return recovery.check(qemu.get().guests(), vmid(sid), fencedNode, target);
    }
}
