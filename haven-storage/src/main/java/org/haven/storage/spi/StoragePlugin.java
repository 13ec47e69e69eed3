package org.haven.storage.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Set;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.volume.VolumeName;

/**
 * One storage type. Every method gets the storage's configuration entry; volumes are given by volume name (the
 * part after {@code <storage>:}). Sizes are in bytes. Operations a type does not support fail with PVE's
 * message (e.g. "storage does not support snapshots" or "not implemented").
 */
public interface StoragePlugin {

    StorageType type();

    /** Parse a volume name of this type ({@code parse_volname}). */
    VolumeName parseVolname(String volname);

    /**
     * Path (or URI for user-space drivers such as {@code iscsi://…}, {@code rbd:…}, {@code gluster://…}) QEMU opens
     * for the volume, or for its snapshot {@code snap} where snapshots are separate devices; null snap = current.
     */
    String path(StorageEntry s, String volname, String snap);

    default void activateStorage(StorageEntry s) {}
    default void deactivateStorage(StorageEntry s) {}
    default void activateVolume(StorageEntry s, String volname, String snap) {}
    default void deactivateVolume(StorageEntry s, String volname, String snap) {}

    StorageStatus status(StorageEntry s);

    /** Volumes on the storage, optionally only those of {@code vmid} and only of the given content types. */
    List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content);

    /**
     * Allocate an image for {@code vmid}. {@code name} null = next free {@code vm-<vmid>-disk-<n>}.
     * Returns the new volume name.
     */
    String alloc(StorageEntry s, int vmid, String format, String name, long size);

    void free(StorageEntry s, String volname);

    /** Current size in bytes of a volume. */
    long size(StorageEntry s, String volname);

    void resize(StorageEntry s, String volname, long size, boolean running);

    default void snapshot(StorageEntry s, String volname, String snap) { throw unsupported("snapshot"); }
    default void rollback(StorageEntry s, String volname, String snap) { throw unsupported("snapshot rollback"); }
    default void deleteSnapshot(StorageEntry s, String volname, String snap, boolean running) { throw unsupported("snapshot delete"); }
    /** Snapshots of a volume, oldest first (empty when the type has none). */
    default List<String> snapshots(StorageEntry s, String volname) { return List.of(); }

    /** Turn a VM image into a read-only base volume of a template; returns the new volume name. */
    default String createBase(StorageEntry s, String volname) { throw unsupported("templates"); }

    /** Linked clone of a base volume (or snapshot {@code snap}) for {@code vmid}; returns the new volume name. */
    default String cloneImage(StorageEntry s, String volname, int vmid, String snap) { throw unsupported("linked clones"); }

    /** Rename a volume, possibly to another owner; {@code targetName} null = next free name. Returns the new name. */
    default String rename(StorageEntry s, String volname, int targetVmid, String targetName) { throw unsupported("rename"); }

    /** Export formats offered for a volume (best first); empty = cannot export. */
    default List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) { return List.of(); }

    /** Import formats accepted for a new volume (best first). */
    default List<ExportFormat> importFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) { return List.of(); }

    default void exportVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                              boolean withSnapshots, OutputStream out) { throw unsupported("export"); }

    /**
     * Import a stream into volume {@code volname}. When the name exists and {@code allowRename}, a free name is
     * chosen. Returns the volume name written.
     */
    default String importVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                                boolean withSnapshots, boolean allowRename, InputStream in) { throw unsupported("import"); }

    /** Whether {@code feature} is available for the volume (in state {@code snap}/current, running or not). */
    boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running);

    static StorageException unsupported(String what) {
        return new StorageException(what + " is not supported by this storage type");
    }
}
