package org.haven.storage.spi;

/** Operations whose availability depends on storage type, format and volume state (PVE's {@code volume_has_feature}). */
public enum Feature {
    SNAPSHOT, CLONE, TEMPLATE, COPY, SPARSEINIT, SNAPSHOT_ROLLBACK_TO_OLDER, RENAME;

    public String id() {
        return switch (this) {
            case SNAPSHOT -> "snapshot";
            case CLONE -> "clone";
            case TEMPLATE -> "template";
            case COPY -> "copy";
            case SPARSEINIT -> "sparseinit";
            case SNAPSHOT_ROLLBACK_TO_OLDER -> "rollback";
            case RENAME -> "rename";
        };
    }
}
