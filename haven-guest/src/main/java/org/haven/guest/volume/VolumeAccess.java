package org.haven.guest.volume;

/**
 * What guest code needs from storage: turn a volume id into a path and format, make volumes usable,
 * allocate and free them. {@link #PATHS_ONLY} accepts absolute paths only; {@link StorageVolumes} is the
 * implementation over haven-storage.
 */
public interface VolumeAccess extends VolumeResolver {

    /** Make the volumes usable on this node (activate LVs, …). */
    default void activate(java.util.Collection<String> volids) {}

    /** Allocate an image for {@code vmid} on {@code storage}; {@code format} null = the storage's default. */
    default String alloc(String storage, int vmid, String format, long sizeBytes) {
        throw new IllegalArgumentException("storage '" + storage + "' does not exist");
    }

    /** Free a volume. */
    default void free(String volid) {
        throw new IllegalArgumentException("unable to free '" + volid + "'");
    }

    /** The VMID owning a volume, or null (absolute paths, ISO images, …). */
    default Integer owner(String volid) { return null; }

    /** Size in bytes. */
    default long size(String volid) { return 0; }

    /** Grow a volume to {@code sizeBytes}. */
    default void resize(String volid, long sizeBytes, boolean running) {
        throw new IllegalArgumentException("unable to resize '" + volid + "'");
    }

    /** Whether a storage volume (not an absolute path) supports {@code feature} (PVE's {@code volume_has_feature}). */
    default boolean hasFeature(org.haven.storage.spi.Feature feature, String volid, String snap, boolean running) { return false; }

    VolumeAccess PATHS_ONLY = volid -> {
        if (volid.startsWith("/")) {
            String fmt = volid.endsWith(".qcow2") ? "qcow2" : volid.endsWith(".vmdk") ? "vmdk" : "raw";
            return new Volume(volid, fmt);
        }
        int i = volid.indexOf(':');
        String storage = i < 0 ? volid : volid.substring(0, i);
        throw new IllegalArgumentException("storage '" + storage + "' does not exist");
    };
}
