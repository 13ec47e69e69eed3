/**
 * Storage for Haven: PVE's {@code storage.cfg}, volumes and storage plugins.
 *
 * <h2>For other modules</h2>
 * The daemon makes one {@link org.haven.storage.StorageManager} per node
 * ({@code StorageApi.storageManager(ctx)}) and hands it to the modules that take one. Volume IDs are {@code <storage>:<volname>}; sizes are bytes.
 * <ul>
 * <li>{@code path(volid)} / {@code path(volid, snap)}: what QEMU or LXC opens (a file, a block device or an
 * {@code iscsi://}, {@code rbd:}, {@code gluster://} URL);</li>
 * <li>{@code parseVolname(volid)} ({@link org.haven.storage.volume.VolumeName}: content type, owner, format, base and
 * linked-clone parent), {@code owner(volid)};</li>
 * <li>{@code alloc(storage, vmid, format, name, bytes)} → volid, {@code free(volid)}, {@code size}, {@code resize};</li>
 * <li>{@code activateVolumes(volids)} before a guest starts, {@code deactivateVolumes};</li>
 * <li>{@code snapshot}/{@code rollback}/{@code deleteSnapshot}/{@code snapshots}, {@code createBase} (templates),
 * {@code cloneImage} (linked clones), {@code rename}, {@code hasFeature};</li>
 * <li>{@code exportFormats}/{@code importFormats}/{@code exportVolume}/{@code importVolume} streams and
 * {@code copyVolume} between storages; {@code list}, {@code status}, {@code pruneBackups}.</li>
 * </ul>
 * Failures are {@link org.haven.storage.StorageException}s with PVE's messages.
 *
 * <h2>Layout</h2>
 * {@code config} parses and writes {@code storage.cfg} (per-type schemas in
 * {@link org.haven.storage.config.StorageType}); {@code volume} holds the volume-name grammars and the file layout;
 * {@code prune} the retention logic; {@code spi} the plugin interface and the command-runner seam; {@code plugin}
 * one plugin per storage type; {@code api} the REST methods; {@code cli} the {@code pvesm} tool.
 */
package org.haven.storage;
