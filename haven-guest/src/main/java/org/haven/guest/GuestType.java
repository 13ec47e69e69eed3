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
    }

    /** The type's backup hooks, when it can be backed up. */
    default java.util.Optional<Backup> backup() { return java.util.Optional.empty(); }
}
