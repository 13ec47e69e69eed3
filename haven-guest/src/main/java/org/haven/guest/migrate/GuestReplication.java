package org.haven.guest.migrate;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Storage replication as the guest framework sees it (published by the replication module): a guest migrated to the
 * target of one of its replication jobs gets that job run first, so that only the last delta is sent and its
 * replicated volumes need no copy; afterwards the jobs' direction is switched to the new node. A replicated guest
 * refuses volumes that cannot be replicated.
 */
public interface GuestReplication {

    /**
     * Runs the replication job of {@code vmid} to {@code target}, if there is one, and returns the volumes it
     * replicated (empty without a job). Throws when the run fails.
     */
    Set<String> syncBeforeMigration(int vmid, String target, Consumer<String> log);

    /** After the guest moved from {@code source} to {@code target}: its jobs now run on {@code target}, the one to {@code target} goes back to {@code source}. */
    void afterMigration(int vmid, String source, String target, Consumer<String> log);

    /**
     * Refuses (with PVE's message) a volume ({@code storage:volname}, a new disk {@code storage:size} or a path) that
     * guest {@code vmid} cannot replicate when it has replication jobs; volumes marked {@code replicate=0} and media
     * are not to be checked.
     */
    void checkVolume(int vmid, String volume);
}
