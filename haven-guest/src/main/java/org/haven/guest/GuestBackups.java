package org.haven.guest;

import java.util.function.Consumer;

/**
 * The backup module as the guest types see it (the backup module, handed to the guest types by the daemon): a guest type's module
 * {@linkplain #register registers} its guests so that {@code vzdump} can back them up, and its create method
 * hands a restore ({@code archive=}) to {@link #restore}.
 */
public interface GuestBackups {

    /** Makes the guests of one type known to the backup module. */
    void register(GuestService guests);

    /**
     * Restores {@code archive} (a backup volume id or an absolute path) as guest {@code vmid}, inside the caller's
     * task. A corrupt archive is refused before anything is written; what a failed restore allocated is freed.
     */
    void restore(GuestService guests, String archive, int vmid, RestoreOptions options, Consumer<String> log);

    /**
     * {@code storage}: where all disks go (null: the storages the archive names, for containers {@code local});
     * {@code unique}: new MAC addresses; {@code force}: replace an existing guest; {@code config}: options given
     * with the restore, which take the place of the archived ones ({@code rootfs}/{@code mpN}: the mount points to
     * create instead of the archived ones); {@code bwlimit}: the requested limit in KiB/s (null for none), resolved
     * with the storages' and the datacenter's {@code restore} limits and the caller's {@code rights} by PVE's rules.
     */
    record RestoreOptions(String storage, boolean unique, boolean force, java.util.Map<String, String> config, Long bwlimit,
                          org.haven.guest.migrate.BandwidthLimit.Rights rights) {
        public RestoreOptions {
            config = config == null ? java.util.Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(config));
            if (rights == null) rights = org.haven.guest.migrate.BandwidthLimit.Rights.ROOT;
        }

        public RestoreOptions(String storage, boolean unique, boolean force, java.util.Map<String, String> config) {
            this(storage, unique, force, config, null, null);
        }

        public RestoreOptions(String storage, boolean unique, boolean force) { this(storage, unique, force, java.util.Map.of()); }
    }
}
