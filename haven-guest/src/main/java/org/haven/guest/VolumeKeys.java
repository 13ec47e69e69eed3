package org.haven.guest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The volume keys of a guest type. A guest config names its volumes in "drive-like" keys whose values are
 * property strings ({@code scsi0: local:100/vm-100-disk-0.qcow2,size=4G} for VMs,
 * {@code mp0: local:subvol-100-disk-1,mp=/mnt} for containers), plus {@code unusedN: <volid>} for detached
 * volumes, which is the same in every type.
 */
public interface VolumeKeys {

    /** Whether {@code key} is a drive-like key holding a volume (not counting {@code unusedN}). */
    boolean isVolumeKey(String key);

    /** The property map of a drive-like value; the volume sits under {@link #volumeProperty()}. */
    LinkedHashMap<String, String> parse(String key, String value);

    /** The canonical value of a drive-like key. */
    String print(String key, Map<String, String> props);

    /** The property that names the volume: {@code file} for VMs, {@code volume} for containers. */
    default String volumeProperty() { return "file"; }

    /** Whether a drive-like value is removable media (a CD-ROM): not snapshotted, cloned or converted to a base volume. */
    default boolean isMedia(Map<String, String> props) { return false; }

    /**
     * Whether deleting {@code key} keeps its volume as {@code unusedN} (PVE does for disks and mount points);
     * false for volumes that belong to the key alone (a VM's EFI vars and TPM state), which are freed.
     */
    default boolean keepsUnusedOnDelete(String key) { return true; }

    /** The volume named by a drive-like value, or null. */
    default String volume(String key, String value) { return parse(key, value).get(volumeProperty()); }

    /** PVE's refusal of a host path (no storage volume) added to a replicated guest of this type. */
    default String pathNotReplicable() { return "cannot add non-managed/pass-through volume to a replicated VM"; }
}
