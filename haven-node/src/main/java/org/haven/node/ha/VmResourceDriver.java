package org.haven.node.ha;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.haven.core.HaltPoint;
import org.haven.core.cfs.ClusterFs;
import org.haven.guest.config.GuestException;
import org.haven.ha.HaException;
import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.qemu.QemuService;
import org.haven.qemu.run.VmManager;

/**
 * The HA resource agent for {@code vm:<vmid>} (PVE's {@code PVE::HA::Resources::PVEVM}): start, shutdown and
 * offline relocation through the VM module's {@link VmManager}. The node's watchdog finds the guests' processes
 * by itself when it resets the node (see {@link org.haven.ha.env.NodeProcesses}).
 */
final class VmResourceDriver implements ClusterHaEnv.ResourceDriver {
    private static final System.Logger LOG = System.getLogger("pve-ha-lrm");

    private final Supplier<QemuService> qemu;
    private final ClusterFs cfs;
    private final String node;

    VmResourceDriver(Supplier<QemuService> qemu, ClusterFs cfs, String node) {
        this.qemu = qemu;
        this.cfs = cfs;
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
     * PVE's agent: {@code online} (ha-manager migrate) live-migrates a running guest with the VM module's
     * {@link org.haven.guest.migrate.GuestMigrate} (the guest keeps running here when that fails); relocation
     * ({@code online} false) shuts a running guest down and moves its config to {@code target}. A stopped guest's
     * config just moves (its disks must be on shared storage).
     */
    private boolean configOn(int vmid, String node) {
        return cfs.stat("nodes/" + node + "/qemu-server/" + vmid + ".conf").isPresent();
    }

    @Override
    public boolean migrate(Sid sid, String target, boolean online) {
        int vmid = vmid(sid);
        if (target.equals(node)) return true;
        if (vms().isRunning(vmid)) {
            if (online) {
                try {
                    var migrate = qemu.get().migrator();
                    var opts = org.haven.guest.migrate.GuestMigrate.Options.online(target);
                    var tasks = qemu.get().tasks();
                    if (tasks.isEmpty()) {
                        migrate.migrate(vmid, opts, log(vmid));
                        return true;
                    }
                    // as PVE's agent: the migration counts as done when the config moved, also when the task failed
                    // afterwards (the target could not resume the guest): the target owns the guest from then on, and a
                    // target that died is fenced before the guest is recovered elsewhere
                    // as PVE's agent: a qmigrate task of root@pam, so the migration shows in the node's task list
                    String upid = tasks.get().start("qmigrate", Integer.toString(vmid), "root@pam", l -> migrate.migrate(vmid, opts, l::log));
                    var info = tasks.get().await(upid, Duration.ofHours(24).toMillis());
                    if (info != null && "OK".equals(info.status())) return true;
                    LOG.log(System.Logger.Level.WARNING, "VM " + vmid + ": online migration to '" + target + "' failed - "
                            + (info == null ? "no task status" : info.status()) + " (" + upid + ")");
                    return configOn(vmid, target);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "VM " + vmid + ": online migration to '" + target + "' failed - " + e.getMessage());
                    return configOn(vmid, target);
                }
            }
            // relocate: PVE's agent shuts the guest down here, then moves it offline
            LOG.log(System.Logger.Level.INFO, "stopping service " + sid + " (relocate)");
            try {
                shutdown(sid, null);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "VM " + vmid + ": shutdown for relocation failed - " + e.getMessage());
                return false;
            }
            if (vms().isRunning(vmid)) return false;
            LOG.log(System.Logger.Level.INFO, "service status " + sid + " stopped");
        }
        String from = "nodes/" + node + "/qemu-server/" + vmid + ".conf";
        String to = "nodes/" + target + "/qemu-server/" + vmid + ".conf";
        try {
            return vms().store().locked(vmid, () -> {
                if (cfs.stat(from).isEmpty()) return cfs.stat(to).isPresent();
                cfs.mkdirs("nodes/" + target + "/qemu-server");
                cfs.rename(from, to);
                LOG.log(System.Logger.Level.INFO, "VM " + vmid + ": config moved to node '" + target + "'");
                return true;
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "VM " + vmid + ": migration to '" + target + "' failed - " + e.getMessage());
            return false;
        }
    }
}
