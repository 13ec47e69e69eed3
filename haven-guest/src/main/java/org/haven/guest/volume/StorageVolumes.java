package org.haven.guest.volume;

import java.util.Collection;
import java.util.List;

import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.volume.VolumeName;

/** {@link VolumeAccess} over haven-storage's {@link StorageManager}. Absolute paths pass through. */
public final class StorageVolumes implements VolumeAccess {
    private final StorageManager sm;

    public StorageVolumes(StorageManager sm) { this.sm = sm; }

    public StorageManager storage() { return sm; }

    @Override public Volume resolve(String volid) {
        if (volid.startsWith("/")) return PATHS_ONLY.resolve(volid);
        try {
            VolumeName vn = sm.parseVolname(volid);
            return new Volume(sm.path(volid), vn.format() == null ? "raw" : vn.format());
        } catch (StorageException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @Override public boolean hasFeature(org.haven.storage.spi.Feature feature, String volid, String snap, boolean running) {
        return !volid.startsWith("/") && sm.hasFeature(feature, volid, snap, running);
    }

    @Override public void activate(Collection<String> volids) {
        List<String> vols = volids.stream().filter(v -> !v.startsWith("/")).toList();
        if (!vols.isEmpty()) sm.activateVolumes(vols);
    }

    @Override public String alloc(String storage, int vmid, String format, long sizeBytes) {
        return sm.alloc(storage, vmid, format, null, sizeBytes);
    }

    @Override public void free(String volid) {
        if (!volid.startsWith("/")) sm.free(volid);
    }

    @Override public Integer owner(String volid) {
        if (volid.startsWith("/")) return null;
        try {
            return sm.owner(volid).orElse(null);
        } catch (StorageException e) {
            return null;
        }
    }

    @Override public long size(String volid) {
        return volid.startsWith("/") ? 0 : sm.size(volid);
    }

    @Override public void resize(String volid, long sizeBytes, boolean running) {
        sm.resize(volid, sizeBytes, running);
    }
}
