package org.haven.guest.migrate;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Storage replication as the guest framework sees it (the replication module, handed to the guest types by the daemon): a guest migrated to the
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

    /** A guest's replica on a node: the replication job that keeps it there and the volumes it holds. */
    record Replica(String job, Set<String> volumes) {}

    /** The replica of guest {@code vmid} on {@code node} (kept by a replication job of the guest to that node), if any. */
    java.util.Optional<Replica> replica(int vmid, String node);

    /**
     * Refuses (with PVE's message) a volume ({@code storage:volname}, a new disk {@code storage:size} or a path) that
     * guest {@code vmid} cannot replicate when it has replication jobs; volumes marked {@code replicate=0} and media
     * are not to be checked.
     */
    void checkVolume(int vmid, String volume);

    /**
     * PVE's check when disk or mount point {@code key} = {@code value} is added to guest {@code vmid}: a replicated
     * guest refuses a volume it cannot replicate ({@link #checkVolume}); media, {@code none} and volumes marked
     * {@code replicate=0} are not checked.
     *
     * @throws org.haven.guest.config.GuestException with PVE's message
     */
    static void checkNewVolume(java.util.Optional<GuestReplication> replication, org.haven.guest.VolumeKeys keys, int vmid, String key, String value) {
        if (replication.isEmpty() || !keys.isVolumeKey(key)) return;
        java.util.Map<String, String> d;
        try {
            d = keys.parse(key, value);
        } catch (IllegalArgumentException e) {
            return; // the option check reports it
        }
        String volume = d.get(keys.volumeProperty());
        if (volume == null || volume.equals("none") || volume.equals("cdrom") || keys.isMedia(d) || "0".equals(d.get("replicate"))) return;
        try {
            replication.get().checkVolume(vmid, volume);
        } catch (IllegalArgumentException e) {
            // a host path is refused in the words of the guest type
            throw new org.haven.guest.config.GuestException(500, volume.indexOf(':') < 0 ? keys.pathNotReplicable() : e.getMessage());
        }
    }
}
