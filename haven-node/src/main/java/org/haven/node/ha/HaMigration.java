package org.haven.node.ha;

import java.time.Duration;

import org.haven.api.task.TaskManager;
import org.haven.core.cfs.ClusterFs;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.migrate.GuestMigrate;

/**
 * How the HA agents move a guest, as PVE's agents call the guest's own {@code migrate_vm}: the framework's migration
 * ({@link GuestMigrate}, the code path of {@code qm migrate} and {@code pct migrate}: local volumes copied over the
 * node-to-node channel, a replicated guest sending only the last delta) runs as a task of {@code root@pam}, so it
 * shows in the node's task list with its log, and the agent waits for it. The guest has moved when its config left
 * this node (PVE: "check if vm really moved"), also when the task failed afterwards: the target owns the guest from
 * then on.
 */
final class HaMigration {
    private static final System.Logger LOG = System.getLogger("pve-ha-lrm");

    private final TaskManager tasks;
    private final ClusterFs cfs;
    private final String node;

    HaMigration(TaskManager tasks, ClusterFs cfs, String node) {
        this.tasks = tasks;
        this.cfs = cfs;
        this.node = node;
    }

    /**
     * Runs {@code migrate} for guest {@code vmid} as task {@code taskType} ({@code qmigrate}, {@code vzmigrate});
     * true when the guest's config is no longer on this node afterwards.
     */
    boolean run(String taskType, GuestMigrate migrate, int vmid, GuestMigrate.Options options, String word) {
        GuestConfigStore store = migrate.store();
        String config = store.path(node, vmid);
        try {
            String upid = tasks.start(taskType, Integer.toString(vmid), "root@pam", l -> migrate.migrate(vmid, options, l::log));
            TaskManager.TaskInfo info = tasks.await(upid, Duration.ofHours(24).toMillis());
            if (info == null || !"OK".equals(info.status())) {
                LOG.log(System.Logger.Level.WARNING, word + " " + vmid + ": migration to '" + options.target() + "' failed - "
                        + (info == null ? "no task status" : info.status()) + " (" + upid + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, word + " " + vmid + ": migration to '" + options.target() + "' failed - " + GuestMigrate.message(e));
        }
        return cfs.stat(config).isEmpty();
    }
}
