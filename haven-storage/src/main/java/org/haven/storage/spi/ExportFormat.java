package org.haven.storage.spi;

import java.util.Arrays;
import java.util.Optional;

/**
 * Volume transfer formats of {@code pvesm export/import}. The {@code +size} formats start with the volume size
 * as an unsigned 64-bit little-endian integer followed by the data (raw bytes, qcow2/vmdk file, tar stream).
 */
public enum ExportFormat {
    RAW_SIZE("raw+size"), QCOW2_SIZE("qcow2+size"), VMDK_SIZE("vmdk+size"), TAR_SIZE("tar+size"),
    BTRFS("btrfs"), ZFS("zfs");

    private final String id;

    ExportFormat(String id) { this.id = id; }

    public String id() { return id; }

    public static Optional<ExportFormat> of(String id) {
        return Arrays.stream(values()).filter(f -> f.id.equals(id)).findFirst();
    }

    @Override public String toString() { return id; }
}
