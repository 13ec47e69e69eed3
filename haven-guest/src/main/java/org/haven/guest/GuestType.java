package org.haven.guest;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestException;

/**
 * What differs between guest types (VMs, containers), in the spirit of PVE's {@code PVE::AbstractConfig}
 * plug-in methods. Everything else (locks, pending changes, unused volumes, protection, destroy and purge,
 * the snapshot tree, clone and template, the VMID registry) is written once in this module against this
 * interface.
 */
public interface GuestType {

    // ---- names ------------------------------------------------------------------------------------

    /** The config directory below {@code nodes/<node>/}: {@code qemu-server}, {@code lxc}. */
    String configDir();

    /** The type word of {@code .vmlist} and {@code /cluster/resources}: {@code qemu}, {@code lxc}. */
    String typeWord();

    /** The word in messages: {@code VM}, {@code CT}. */
    String guestWord();

    /** The prefix of HA resource ids ({@code vm:100}, {@code ct:100}). */
    String haPrefix();

    // ---- volumes ----------------------------------------------------------------------------------

    /** Which config keys hold volumes, and their property-string format. */
    VolumeKeys volumeKeys();

    // ---- config -------------------------------------------------------------------------------------

    /** A config value as the API's JSON has it (numbers for integer options). */
    default Object typed(String key, String value) { return value; }

    // ---- runtime ----------------------------------------------------------------------------------

    boolean isRunning(int vmid);

    /** Start the guest (its config is already in place). */
    void start(int vmid, Consumer<String> log);

    /** Hard stop. */
    void stop(int vmid, Duration timeout, Consumer<String> log);

    /** Clean shutdown; on timeout stops when {@code forceStop}, else fails. */
    void shutdown(int vmid, Duration timeout, boolean forceStop, Consumer<String> log);

    /** PVE's status object ({@code status}, {@code pid}, {@code uptime}, …). */
    Map<String, Object> status(int vmid, boolean full);

    /** Remove what the runtime keeps of a destroyed guest (sockets, pid files, …). */
    default void cleanupFiles(int vmid) {}

    // ---- snapshots --------------------------------------------------------------------------------

    /**
     * Whether a running guest takes its volume snapshots itself (QEMU's internal qcow2 snapshots through QMP)
     * instead of the storage taking them.
     */
    default boolean snapshotsWhileRunning() { return false; }

    /** Snapshot volume {@code key} of the running guest (only when {@link #snapshotsWhileRunning()}). */
    default void snapshotRunningVolume(int vmid, String key, String volid, String snapname) {
        throw new GuestException(500, "snapshot feature is not available");
    }

    /** Delete snapshot {@code snapname} of volume {@code key} of the running guest (only when {@link #snapshotsWhileRunning()}). */
    default void deleteRunningVolumeSnapshot(int vmid, String key, String volid, String snapname) {
        throw new GuestException(500, "snapshot feature is not available");
    }

    /** Quiesce the guest's file systems before its volumes are snapshotted (PVE's {@code __snapshot_freeze}). */
    default void freeze(int vmid, Consumer<String> log) {}

    /** Undo {@link #freeze}. */
    default void thaw(int vmid, Consumer<String> log) {}

    /** Whether the guest can save its running state (RAM) with a snapshot. */
    default boolean savesState() { return false; }

    /**
     * Save the running state together with volume snapshots {@code snapname} of {@code disks} (key → volid);
     * returns the new state volume.
     */
    default String saveState(int vmid, String snapname, GuestConfig cfg, Map<String, String> disks, Consumer<String> log) {
        throw new GuestException(500, "saving the state is not supported for " + guestWord() + " " + vmid);
    }

    /** Start the guest from a saved state volume (rollback of a snapshot with state). */
    default void startFromState(int vmid, String snapname, String stateVolid, Consumer<String> log) {
        throw new GuestException(500, "restoring a saved state is not supported for " + guestWord() + " " + vmid);
    }

    // ---- clone ----------------------------------------------------------------------------------------

    /**
     * Adjust a clone's config, copied from {@code from} of guest {@code vmid}: the new name
     * ({@code name} may be null), fresh unique ids and MAC addresses.
     */
    void prepareClone(GuestConfig clone, GuestConfig.Section from, int vmid, String name);

    /** The storage content its volumes count as: {@code images} for VM disks, {@code rootdir} for containers. */
    default org.haven.storage.ContentType volumeContent() { return org.haven.storage.ContentType.IMAGES; }

    /** Copy the content of {@code srcVolid} (at snapshot {@code snapname}, may be null) into the new {@code dstVolid}. */
    void copyVolume(String srcVolid, String dstVolid, String snapname, Consumer<String> log);

    // ---- consoles and backup ------------------------------------------------------------------------

    /** The console kinds the guest offers ({@code vnc}, {@code term}, …), as its API exposes them. */
    default List<String> consoles() { return List.of(); }

    /**
     * Backup hooks (PVE's vzdump plugin interface): prepare the guest for a backup in {@code mode}
     * ({@code stop}, {@code suspend}, {@code snapshot}) and release it afterwards. The backup module drives them.
     */
    interface Backup {
        void prepare(int vmid, String mode, Consumer<String> log);
        void release(int vmid, String mode, Consumer<String> log);
        /** The volumes (key → volid) a backup includes. */
        Map<String, String> volumes(GuestConfig cfg);
        /** Give a restored config new identities where a copy must not share them (MAC addresses), as {@code --unique}. */
        default void makeUnique(GuestConfig cfg) {}
        /**
         * Snapshot mode of a running guest: copies of {@code disks} (key → volid, sizes in bytes) as they were at one
         * moment, taken while the guest keeps running (its file systems frozen for that moment when it has an agent),
         * as raw files in {@code tmpdir} (key → file). The caller reads and deletes them.
         */
        default Map<String, java.nio.file.Path> pointInTimeCopies(int vmid, GuestConfig cfg, Map<String, String> disks, Map<String, Long> sizes,
                                                                  java.nio.file.Path tmpdir, Consumer<String> log) {
            throw new GuestException(500, "snapshot mode is not available");
        }

        /** What the type's archives hold: images of its volumes (VMA) or its file tree (tar). */
        default ArchiveKind archiveKind() { return ArchiveKind.VMA; }

        /**
         * Every volume of the config with whether a backup includes it and why (PVE's {@code get_backup_volumes}:
         * {@code backup=yes}/{@code backup=no} for VM disks; {@code rootfs}, {@code enabled}, {@code disabled},
         * {@code not a volume} for container mount points).
         */
        default List<BackupVolume> backupVolumes(GuestConfig cfg) {
            return volumes(cfg).entrySet().stream().map(e -> new BackupVolume(e.getKey(), e.getValue(), true, "backup=yes")).toList();
        }

        /** Tar archives: whether snapshot mode can be used for {@code cfg} (every included volume can take a storage snapshot). */
        default boolean canSnapshot(GuestConfig cfg) { return false; }

        /**
         * Tar archives: the guest's files as of one moment for {@code mode} ({@code stop}: the guest is stopped and
         * its volumes are mounted; {@code suspend}: a copy in {@code tmpdir}, finished while the guest is frozen;
         * {@code snapshot}: storage snapshots of its volumes, mounted). Closing the tree releases what it holds.
         */
        default FileTree files(int vmid, GuestConfig cfg, String mode, java.nio.file.Path tmpdir, Consumer<String> log) {
            throw new GuestException(500, "file archives are not available for this guest type");
        }

        /**
         * Tar archives: the new guest {@code vmid} for a restore of {@code archived} with {@code options}: its
         * volumes allocated and mounted as one tree to unpack the archive into, and its config.
         */
        default RestoreTarget restoreTarget(int vmid, GuestConfig archived, GuestBackups.RestoreOptions options, Consumer<String> log) {
            throw new GuestException(500, "file archives are not available for this guest type");
        }
    }

    /** The two archive formats of vzdump. */
    enum ArchiveKind { VMA, TAR }

    /** A volume of a guest and whether a backup includes it ({@code key}: config key, {@code name}: volume). */
    record BackupVolume(String key, String name, boolean included, String reason) {}

    /**
     * A guest's file tree to archive: {@code root} is the guest's {@code /}, {@code sources} the paths below it to
     * archive ({@code ./} and {@code ./<mount path>} of included mount points), {@code excludes} the paths that
     * must stay out (mount points not backed up), {@code release} undoes what building the tree did; {@code userns}
     * is the command prefix that runs {@code tar} in the guest's user namespace (an unprivileged container's
     * {@code lxc-usernsexec …}, so the archive holds the ids the guest sees), empty for none.
     */
    record FileTree(java.nio.file.Path root, List<String> sources, List<String> excludes, Runnable release, List<String> userns) implements AutoCloseable {
        public FileTree(java.nio.file.Path root, List<String> sources, List<String> excludes, Runnable release) {
            this(root, sources, excludes, release, List.of());
        }

        @Override public void close() { release.run(); }
    }

    /**
     * A restore's target: the new guest's volumes mounted as one tree at {@code root()}, and the config it gets.
     * {@link #unmount} releases the mounts; {@link #free} frees the volumes the restore allocated (after a failure).
     */
    interface RestoreTarget {
        java.nio.file.Path root();
        GuestConfig config();
        void unmount();
        void free(Consumer<String> log);

        /** The command prefix that runs {@code tar} in the new guest's user namespace (as {@link FileTree#userns}). */
        default List<String> userns() { return List.of(); }
    }

    /** The type's backup hooks, when it can be backed up. */
    default java.util.Optional<Backup> backup() { return java.util.Optional.empty(); }
}
