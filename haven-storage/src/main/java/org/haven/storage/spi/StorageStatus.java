package org.haven.storage.spi;

/** Capacity of a storage in bytes; {@code active} false when it could not be activated/queried. */
public record StorageStatus(long total, long used, long avail, boolean active) {
    public static final StorageStatus INACTIVE = new StorageStatus(0, 0, 0, false);
}
