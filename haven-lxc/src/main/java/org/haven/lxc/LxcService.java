package org.haven.lxc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.haven.core.schema.ParamException;
import org.haven.core.time.Clock;
import org.haven.guest.GuestPurge;
import org.haven.guest.volume.StorageVolumes;
import org.haven.lxc.run.HostProbe;
import org.haven.lxc.run.Lxc;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.CommandRunner;
import org.haven.guest.GuestService;
import org.haven.guest.GuestVolumes;
import org.haven.guest.clone.GuestClone;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.config.MacAddress;
import org.haven.guest.snapshot.GuestSnapshots;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.LxcOptions;
import org.haven.lxc.config.MountPoint;
import org.haven.lxc.config.Net;
import org.haven.lxc.run.CtRuntime;
import org.haven.lxc.run.CtVolumes;
import org.haven.lxc.setup.ContainerSetup;
import org.haven.lxc.template.Templates;

/**
 * Container operations of PVE's {@code API2::LXC}: list, create from a template, config changes with pending
 * values, start (applying pending changes first), stop, shutdown, destroy, snapshots, clones and templates. The
 * config-only parts are the guest framework's ({@link GuestService}, {@link GuestSnapshots}, {@link GuestClone}).
 */
public final class LxcService {
    /** Options a running container takes at once; the rest waits in the pending section for the next start. */
    static final Set<String> LIVE = Set.of("description", "onboot", "protection", "startup", "tags", "lock", "hookscript", "cmode");

    private final LxcGuestType type;
    private final CtRuntime runtime;
    private final GuestConfigStore store;
    private final GuestService guests;
    private final GuestSnapshots snapshots;
    private final GuestClone clones;
    private final SplittableRandom random = new SplittableRandom();

    public LxcService(LxcGuestType type, GuestService guests, GuestSnapshots snapshots) {
        this.type = type;
        this.runtime = type.runtime();
        this.store = guests.store();
        this.guests = guests;
        this.snapshots = snapshots;
        this.clones = new GuestClone(guests);
    }

    /** The service over {@code store} with containers under {@code lxcpath} and volumes on {@code sm}'s storages. */
    public static LxcService create(GuestConfigStore store, StorageManager sm, Path lxcpath, Clock clock, List<GuestPurge> purges) {
        CommandRunner run = sm.runner();
        CtRuntime runtime = new CtRuntime(store, new Lxc(lxcpath, run), new CtVolumes(sm, run), HostProbe.probe());
        LxcGuestType type = new LxcGuestType(runtime);
        GuestService guests = new GuestService(type, store, new StorageVolumes(sm), purges);
        LxcService service = new LxcService(type, guests, new GuestSnapshots(guests, clock));
        service.removeStaleRuntime(null);
        return service;
    }

    /**
     * Removes the runtime directories (and what is left mounted there) of containers that run elsewhere now: their
     * config is on another node (HA recovered them while this node was fenced, or they moved while it was down) and
     * they do not run here. Directories of containers whose config is nowhere are left alone. Returns the VMIDs
     * cleaned up.
     */
    public List<Integer> removeStaleRuntime(Consumer<String> log) {
        List<Integer> out = new ArrayList<>();
        java.nio.file.Path lxcpath = runtime.lxc().lxcpath();
        if (!java.nio.file.Files.isDirectory(lxcpath)) return out;
        List<Integer> vmids;
        try (var dirs = java.nio.file.Files.list(lxcpath)) {
            vmids = dirs.map(d -> d.getFileName().toString()).filter(n -> n.matches("[1-9]\\d{2,8}")).map(Integer::valueOf).sorted().toList();
        } catch (java.io.IOException e) {
            return out;
        }
        for (int vmid : vmids) {
            String owner = store.owner(vmid).orElse(null);
            if (owner == null || owner.equals(store.localNode()) || type.isRunning(vmid)) continue;
            try {
                runtime.cleanup(vmid);
                out.add(vmid);
                log(log, "removed runtime directory of CT " + vmid + " (now on node '" + owner + "')");
            } catch (RuntimeException e) {
                log(log, "unable to remove runtime directory of CT " + vmid + " - " + e.getMessage());
            }
        }
        return out;
    }

    public LxcGuestType type() { return type; }
    public CtRuntime runtime() { return runtime; }
    public GuestConfigStore store() { return store; }
    public GuestService guests() { return guests; }
    public GuestSnapshots snapshots() { return snapshots; }
    public GuestClone clones() { return clones; }

    private volatile java.util.function.Supplier<org.haven.guest.migrate.GuestMigrate> migrator = () -> {
        throw new GuestException(500, "migration is not available on this node");
    };

    /** Migration between nodes (set where the node's cluster API is available). */
    public void setMigrator(java.util.function.Supplier<org.haven.guest.migrate.GuestMigrate> m) { this.migrator = m; }

    public org.haven.guest.migrate.GuestMigrate migrator() { return migrator.get(); }

    private volatile java.util.function.Supplier<java.util.Optional<org.haven.guest.migrate.GuestReplication>> replication = java.util.Optional::empty;

    /** Storage replication on this node (looked up when used: its module may start later). */
    public void setReplication(java.util.function.Supplier<java.util.Optional<org.haven.guest.migrate.GuestReplication>> r) { this.replication = r; }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    /** The containers of this node with their status. */
    public List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (var e : store.list().entrySet()) {
            if (!e.getValue().equals(store.localNode())) continue;
            try {
                out.add(runtime.status(e.getKey()));
            } catch (RuntimeException ex) {
                // a config that vanished or cannot be parsed is left out, as PVE does
            }
        }
        return out;
    }

    // ---- create -------------------------------------------------------------------------------------------

    /** What {@code create} takes besides config options. */
    public record CreateOptions(Path ostemplate, String storage, String password, String sshKeys) {}

    /**
     * PVE's create_vm without restore: allocate {@code rootfs} (default {@code <storage>:4}) and new mount point
     * volumes, unpack the template, detect the ostype, run the setup. On any failure the volumes are freed and the
     * config (with its {@code create} lock) removed.
     */
    public void create(int vmid, Map<String, String> options, CreateOptions co, Consumer<String> log) {
        Map<String, String> opts = new LinkedHashMap<>(options);
        opts.putIfAbsent("rootfs", co.storage() + ":4");
        String description = opts.remove("description");
        LinkedHashMap<String, String> checked = LxcOptions.checkAll(opts);
        generateMacs(checked);
        store.checkUnused(vmid);
        store.create(vmid, new GuestConfig().set("lock", "create"));
        List<String> allocated = new ArrayList<>();
        try {
            store.locked(vmid, () -> {
                GuestConfig cfg = new GuestConfig();
                if (description != null) cfg.current().description(description);
                checked.forEach(cfg::set);
                allocateNew(vmid, cfg, checked.keySet(), allocated, log);
                cfg.current().values().putIfAbsent("arch", "amd64");
                cfg.current().values().putIfAbsent("hostname", "CT" + vmid);
                CtConfig c = CtConfig.of(cfg.current());
                runtime.withMounted(vmid, c, root -> {
                    log(log, "extracting archive '" + co.ostemplate() + "'");
                    Templates.unpack(runtime.lxc().runner(), co.ostemplate(), root, runtime.idMap(c).usernsexec());
                    String detected = Templates.detectOstype(root);
                    if (!cfg.current().has("ostype")) cfg.set("ostype", detected);
                    log(log, "Detected container architecture: " + cfg.get("arch").orElse("amd64"));
                    CtRuntime.setup(CtConfig.of(cfg.current()), root, new ContainerSetup.Options(co.password(), co.sshKeys(), false));
                    return null;
                });
                store.write(vmid, cfg);
                return null;
            });
        } catch (RuntimeException e) {
            log(log, "unable to create CT " + vmid + " - " + e.getMessage());
            for (String volid : allocated) {
                try {
                    runtime.volumes().storage().free(volid);
                } catch (RuntimeException ignored) {
                    // already gone
                }
            }
            store.destroy(vmid);
            runtime.cleanup(vmid);
            throw e;
        }
    }

    /** Allocates the volumes of {@code keys} given as {@code STORAGE:SIZE}, writing the new volid into the value. */
    private void allocateNew(int vmid, GuestConfig cfg, Set<String> keys, List<String> allocated, Consumer<String> log) {
        for (String k : new ArrayList<>(keys)) {
            if (!LxcOptions.isMountKey(k)) continue;
            MountPoint mp = MountPoint.parse(k, cfg.current().has(k) ? cfg.get(k).orElseThrow() : cfg.pending().getOrNull(k));
            if (!CtVolumes.isNewVolume(mp.volume())) continue;
            String volid = runtime.volumes().allocate(vmid, mp.volume(), runtime.idMap(CtConfig.of(cfg.current())));
            allocated.add(volid);
            String size = GuestVolumes.formatSize(CtVolumes.bytes(mp.volume()));
            String value = mp.withVolume(volid).with("size", size).print();
            if (cfg.current().has(k)) cfg.set(k, value); else cfg.pending().set(k, value);
            log(log, "allocated " + k + " volume '" + volid + "'");
        }
    }

    /** Every interface without {@code hwaddr} gets one with the cluster's MAC prefix. */
    private void generateMacs(Map<String, String> options) {
        String prefix = MacAddress.prefix(store.cfs().readString("datacenter.cfg").orElse(null));
        for (var e : options.entrySet()) {
            if (LxcOptions.isNet(e.getKey())) e.setValue(Net.parse(e.getKey(), e.getValue()).withDefaults(prefix, random).print());
        }
    }

    // ---- update -------------------------------------------------------------------------------------------

    /**
     * PVE's update_pct_config: a stopped container gets the changes at once; a running one gets {@link #LIVE}
     * options at once and the rest as pending changes, applied at its next start.
     */
    public void update(int vmid, Map<String, String> set, List<String> delete, List<String> revert, String digest, Consumer<String> log) {
        Map<String, String> opts = new LinkedHashMap<>(set);
        String description = opts.remove("description");
        LinkedHashMap<String, String> checked = LxcOptions.checkAll(opts);
        for (var e : checked.entrySet())
            org.haven.guest.migrate.GuestReplication.checkNewVolume(replication.get(), type.volumeKeys(), vmid, e.getKey(), e.getValue());
        generateMacs(checked);
        Map<String, String> errors = new TreeMap<>();
        Set<String> deletes = new LinkedHashSet<>(delete);
        for (String d : deletes) {
            if (checked.containsKey(d) || (d.equals("description") && description != null))
                errors.put("delete", "cannot set and delete '" + d + "' at the same time");
            else if (LxcOptions.option(d) == null && !d.startsWith("lxc."))
                errors.put("delete", "invalid configuration ID '" + d + "'");
            else if (d.equals("rootfs"))
                errors.put("delete", "unable to delete required option 'rootfs'");
        }
        for (String r : revert) {
            if (checked.containsKey(r) || deletes.contains(r)) errors.put("revert", "cannot revert and set/delete '" + r + "' at the same time");
        }
        if (!errors.isEmpty()) throw new ParamException(errors);
        // the files of a container belong to the ids of its map: it stays as it was created (PVE's read-only option)
        if (checked.containsKey("unprivileged") || deletes.contains("unprivileged"))
            throw new GuestException(500, "unable to modify read-only option: 'unprivileged'");
        List<String> allocated = new ArrayList<>();
        try {
            store.locked(vmid, () -> {
                GuestConfig cfg = store.load(vmid);
                GuestConfigStore.assertDigest(cfg, digest);
                store.checkLock(cfg);
                for (String r : revert) {
                    cfg.pending().remove(r);
                    cfg.removePendingDelete(r);
                }
                for (String d : deletes) cfg.addPendingDelete(d, false);
                for (var e : checked.entrySet()) {
                    cfg.removePendingDelete(e.getKey());
                    cfg.pending().set(e.getKey(), e.getValue());
                }
                if (description != null) cfg.pending().description(description);
                allocateNew(vmid, cfg, checked.keySet(), allocated, log);
                if (type.isRunning(vmid)) GuestService.applyNow(cfg, LIVE);
                else guests.applyPending(vmid, cfg, log);
                store.write(vmid, cfg);
                return null;
            });
        } catch (RuntimeException e) {
            for (String volid : allocated) {
                try {
                    runtime.volumes().storage().free(volid);
                } catch (RuntimeException ignored) {
                    // already gone
                }
            }
            throw e;
        }
    }

    /**
     * Grow a volume mount point ({@code size} absolute or {@code +N}) as PVE does: the storage grows the volume, the
     * config gets the new size, then an ext4 image gets its file system grown with {@code resize2fs} (online through
     * its loop device while the container runs, which fails the task when the kernel refuses; offline after
     * {@code e2fsck}, where a failure is only a warning).
     */
    public void resize(int vmid, String disk, String size, String digest, Consumer<String> log, Consumer<String> warn) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            GuestConfigStore.assertDigest(cfg, digest);
            store.checkLock(cfg);
            String value = cfg.get(disk).orElseThrow(() -> new GuestException(500, "no such mount point '" + disk + "'"));
            MountPoint mp = MountPoint.parse(disk, value);
            if (mp.kind() != MountPoint.Kind.VOLUME) throw new GuestException(500, "unable to resize '" + disk + "' - not a storage volume");
            var sm = runtime.volumes().storage();
            long current = sm.size(mp.volume());
            long target = GuestVolumes.targetSize(current, size);
            if (target == current) {
                log(log, "disk is already " + GuestVolumes.formatSize(target));
                return null;
            }
            log(log, "resizing " + disk + " (" + mp.volume() + ") from " + GuestVolumes.formatSize(current) + " to " + GuestVolumes.formatSize(target));
            sm.resize(mp.volume(), target, false); // the storage grows the volume itself even while the container runs
            cfg.set(disk, mp.with("size", GuestVolumes.formatSize(target)).print());
            store.write(vmid, cfg);
            runtime.volumes().growFilesystem(mp.volume(), type.isRunning(vmid), warn);
            return null;
        });
    }

    /**
     * PVE's {@code move_volume} to another storage for a stopped container: the config is locked {@code disk}, a new
     * volume is made there as {@code create} makes one (subvolume or ext4 image), the files are copied, and the config
     * names the new volume; the old one becomes {@code unusedN} or is freed with {@code delete}.
     */
    public void moveVolume(int vmid, String key, String storage, boolean delete, String digest, Consumer<String> log) {
        MountPoint mp = store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            GuestConfigStore.assertDigest(cfg, digest);
            store.checkLock(cfg);
            if (type.isRunning(vmid)) throw new GuestException(500, "cannot move volumes of a running container");
            String value = cfg.get(key).orElseThrow(() -> new GuestException(500, "no such mount point '" + key + "'"));
            if (key.startsWith("unused")) throw new GuestException(500, "cannot move unused volume '" + key + "' to a storage");
            MountPoint m = MountPoint.parse(key, value);
            if (m.kind() != MountPoint.Kind.VOLUME) throw new GuestException(500, "cannot move volumes of type " + m.kind().name().toLowerCase());
            if (m.volume().startsWith(storage + ":")) throw new GuestException(500, "you can't move to the same storage");
            if (delete && cfg.snapshots().values().stream().anyMatch(snap -> snap.values().containsValue(value)))
                throw new GuestException(500, "you can't move a volume with snapshots and delete the source");
            store.write(vmid, cfg.set("lock", "disk"));
            return m;
        });
        try {
            var volumes = runtime.volumes();
            long mib = volumes.storage().size(mp.volume()) >> 20;
            String newVol = volumes.allocate(vmid, storage + ":" + (mib / 1024.0), runtime.idMap(CtConfig.of(store.load(vmid).current())));
            log(log, "moving " + key + " (" + mp.volume() + ") to " + newVol);
            try {
                volumes.copy(mp, mp.withVolume(newVol), runtime.lxc().dir(vmid).resolve("move"));
            } catch (RuntimeException e) {
                volumes.storage().free(newVol);
                throw e;
            }
            store.locked(vmid, () -> {
                GuestConfig cfg = store.load(vmid);
                cfg.set(key, mp.withVolume(newVol).print());
                if (!delete) GuestVolumes.addUnused(cfg, mp.volume());
                store.write(vmid, cfg);
                return null;
            });
            if (delete) {
                try {
                    volumes.storage().free(mp.volume());
                } catch (RuntimeException e) {
                    log(log, "WARN: unable to free '" + mp.volume() + "' - " + e.getMessage());
                }
            }
        } finally {
            removeLock(vmid, "disk");
        }
    }

    /**
     * PVE's checks of {@code move_volume} to another container ({@code target-vmid}): both on this node and not
     * locked or templates, the digests as given, the source key holding a storage volume that no snapshot uses and
     * whose storage can rename it, the target key free, and the source stopped unless the volume is unused. Returns
     * the source mount point.
     */
    public MountPoint checkReassign(int vmid, String key, int targetVmid, String targetKey, String digest, String targetDigest) {
        if (key.equals("rootfs") || targetKey.equals("rootfs")) throw new GuestException(500, "Cannot move to/from 'rootfs'");
        if (key.startsWith("unused") && !targetKey.startsWith("unused"))
            throw new GuestException(500, "Moving an unused volume to a used one is not possible");
        String node = store.owner(vmid).orElse(null), targetNode = store.owner(targetVmid).orElse(null);
        if (!java.util.Objects.equals(node, targetNode))
            throw new GuestException(500, "Both containers need to be on the same node (" + node + ") (" + targetNode + ")");
        GuestConfig src = store.load(vmid), dst = store.load(targetVmid);
        store.checkLock(src);
        store.checkLock(dst);
        if (src.isTemplate() || dst.isTemplate()) throw new GuestException(500, "Can't move volumes from or to template CT");
        try {
            GuestConfigStore.assertDigest(src, digest);
        } catch (GuestException e) {
            throw new GuestException(500, "Container " + vmid + ": " + e.getMessage());
        }
        try {
            GuestConfigStore.assertDigest(dst, targetDigest);
        } catch (GuestException e) {
            throw new GuestException(500, "Container " + targetVmid + ": " + e.getMessage());
        }
        String value = src.get(key).orElseThrow(() -> new GuestException(500, "volume '" + key + "' for container '" + vmid + "' does not exist"));
        if (dst.get(targetKey).isPresent()) throw new GuestException(500, "Target volume key '" + targetKey + "' is already in use for container '" + targetVmid + "'");
        MountPoint mp = key.startsWith("unused") ? new MountPoint(key, Map.of("volume", value)) : MountPoint.parse(key, value);
        if (mp.kind() != MountPoint.Kind.VOLUME) throw new GuestException(500, "Cannot move a bindmount or device mount to another container");
        if (src.snapshots().values().stream().anyMatch(snap -> snap.values().values().stream()
                .anyMatch(v -> v.equals(mp.volume()) || v.startsWith(mp.volume() + ","))))
            throw new GuestException(500, "Cannot move volume used by a snapshot to another container");
        if (!runtime.volumes().storage().hasFeature(org.haven.storage.spi.Feature.RENAME, mp.volume(), null, false))
            throw new GuestException(500, "Storage does not support moving of this disk to another container");
        if (!key.startsWith("unused") && type.isRunning(vmid))
            throw new GuestException(500, "Cannot move in-use volume while the source CT is running - detach or shutdown first");
        return mp;
    }

    /**
     * {@code move_volume} to another container: under both config locks (checked again by {@link #checkReassign}),
     * the volume is renamed for {@code targetVmid}, leaves the source config and becomes {@code targetKey} of the
     * target (an {@code unusedN} as the bare volume; a mount point with the source's options, pending while the
     * target runs).
     */
    public void reassignVolume(int vmid, String key, int targetVmid, String targetKey, String digest, String targetDigest, Consumer<String> log) {
        store.locked(vmid, () -> store.locked(targetVmid, () -> {
            MountPoint mp = checkReassign(vmid, key, targetVmid, targetKey, digest, targetDigest);
            log(log, "moving volume '" + key + "' from container '" + vmid + "' to '" + targetVmid + "'");
            String newVolid = runtime.volumes().storage().rename(mp.volume(), targetVmid, null);
            log(log, "renamed volume '" + mp.volume() + "' to '" + newVolid + "'");
            GuestConfig src = store.load(vmid);
            src.remove(key);
            log(log, "removing volume '" + key + "' from container '" + vmid + "' config");
            store.write(vmid, src);
            GuestConfig dst = store.load(targetVmid);
            if (targetKey.startsWith("unused")) {
                dst.set(targetKey, newVolid);
            } else {
                String value = new MountPoint(targetKey, mp.props()).withVolume(newVolid).print();
                if (type.isRunning(targetVmid)) dst.pending().set(targetKey, value);
                else dst.set(targetKey, value);
            }
            store.write(targetVmid, dst);
            log(log, "target container '" + targetVmid + "' updated with '" + targetKey + "'");
            return null;
        }));
    }

    // ---- node-local tools (pct unlock, mount, unmount, df, fstrim, fsck, rescan, cpusets) ---------------------

    /** PVE's remove_lock: {@code lock} (any lock when null) leaves the config, with PVE's message when it is not there. */
    public void removeLock(int vmid, String lock) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            String has = cfg.lock().orElse(null);
            if (has == null) throw new GuestException(500, "no lock found trying to remove " + (lock == null ? "any " : "'" + lock + "' ") + "lock");
            if (lock != null && !lock.equals(has)) throw new GuestException(500, "found lock '" + has + "' trying to remove '" + lock + "' lock");
            store.write(vmid, cfg.remove("lock"));
            return null;
        });
    }

    /** {@code pct mount}: the stopped container's volumes mounted below its directory, the config locked {@code mounted}; returns the rootfs directory. */
    public Path mount(int vmid) {
        return store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            if (type.isRunning(vmid)) throw new GuestException(500, "CT " + vmid + " is running");
            store.write(vmid, cfg.set("lock", "mounted"));
            try {
                return runtime.mountAll(vmid, CtConfig.of(cfg.current()));
            } catch (RuntimeException e) {
                store.write(vmid, store.load(vmid).remove("lock"));
                throw e;
            }
        });
    }

    /** {@code pct unmount}: the volumes unmounted, the {@code mounted} lock removed. */
    public void unmount(int vmid) {
        store.locked(vmid, () -> {
            if (type.isRunning(vmid)) throw new GuestException(500, "CT " + vmid + " is running");
            runtime.volumes().umount(runtime.lxc().dir(vmid));
            return null;
        });
        removeLock(vmid, "mounted");
    }

    /** {@code pct df}: size, use and free space of every mount point, the stopped container's mounted for the while. */
    public List<Map<String, Object>> df(int vmid) {
        return onMounted(vmid, null, (c, root) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (MountPoint m : c.mountsInOrder()) {
                Path host = m.key().equals("rootfs") ? root : runtime.lxc().mountDir(vmid, m.key());
                try {
                    java.nio.file.FileStore fs = java.nio.file.Files.getFileStore(host);
                    long total = fs.getTotalSpace();
                    out.add(new LinkedHashMap<>(Map.of("mp", m.key(), "volume", m.volume(), "path", m.mp(), "total", total,
                            "used", total - fs.getUnallocatedSpace(), "avail", fs.getUsableSpace())));
                } catch (java.io.IOException e) {
                    throw new GuestException(500, "df of " + m.key() + " failed: " + e.getMessage());
                }
            }
            return out;
        });
    }

    /**
     * {@code pct fstrim}: {@code fstrim -v} of the rootfs and the storage-backed mount points (not with
     * {@code ignoreMountpoints}); a stopped container is locked {@code fstrim} and mounted for the while. Returns
     * fstrim's lines.
     */
    public List<String> fstrim(int vmid, boolean ignoreMountpoints) {
        return onMounted(vmid, "fstrim", (c, root) -> {
            List<String> out = new ArrayList<>();
            for (MountPoint m : c.mountsInOrder()) {
                if (m.kind() != MountPoint.Kind.VOLUME || ignoreMountpoints && !m.key().equals("rootfs")) continue;
                Path host = m.key().equals("rootfs") ? root : runtime.lxc().mountDir(vmid, m.key());
                CommandRunner.Result r = runtime.lxc().runner().run(List.of("fstrim", "-v", host.toString()));
                out.add(r.ok() ? r.stdout().strip() : "WARN: fstrim of " + m.key() + " failed: " + r.stderr().strip());
            }
            return out;
        });
    }

    /**
     * {@code body} over the container's mounted volumes: a running container's mounts as they are, a stopped one's
     * mounted for the while (its config locked {@code lock} meanwhile when not null).
     */
    private <T> T onMounted(int vmid, String lock, java.util.function.BiFunction<CtConfig, Path, T> body) {
        CtConfig c = CtConfig.of(store.load(vmid).current());
        if (type.isRunning(vmid)) return body.apply(c, runtime.lxc().rootfs(vmid));
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            if (lock != null) store.write(vmid, cfg.set("lock", lock));
            return null;
        });
        try {
            return runtime.withMounted(vmid, c, root -> body.apply(c, root));
        } finally {
            if (lock != null) removeLock(vmid, lock);
        }
    }

    /** {@code pct fsck}: {@code fsck -a} of a stopped container's raw volume or device; returns its output. */
    public String fsck(int vmid, String device, boolean force) {
        return store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            String value = cfg.get(device).orElseThrow(() -> new GuestException(500, "cannot run command on non-existing mount point " + device));
            MountPoint mp = MountPoint.parse(device, value);
            if (type.isRunning(vmid)) throw new GuestException(500, "cannot run command on active container");
            String path;
            if (mp.kind() == MountPoint.Kind.VOLUME) {
                var sm = runtime.volumes().storage();
                String format = sm.parseVolname(mp.volume()).format();
                if (!"raw".equals(format)) throw new GuestException(500, "unable to run fsck for '" + mp.volume() + "' (format == " + format + ")");
                sm.activateVolumes(List.of(mp.volume()));
                path = sm.path(mp.volume());
            } else if (mp.kind() == MountPoint.Kind.DEVICE) {
                path = mp.volume();
            } else {
                throw new GuestException(500, "path '" + mp.volume() + "' does not point to a block device");
            }
            List<String> cmd = new ArrayList<>(List.of("fsck", "-a"));
            if (force) cmd.add("-f");
            cmd.add(path);
            CommandRunner.Result r = runtime.lxc().runner().run(cmd);
            if (r.exitCode() > 1) throw new GuestException(500, "command '" + String.join(" ", cmd) + "' failed: exit code " + r.exitCode() + "\n" + r.stdout().strip());
            return r.stdout();
        });
    }

    /** {@code pct rescan}: unreferenced volumes become {@code unusedN}, mount point sizes follow the storage. */
    public List<String> rescan(Integer onlyVmid, boolean dryrun) { return org.haven.guest.GuestRescan.rescan(guests, onlyVmid, dryrun); }

    /** The CPUs of each running container of this node (the effective cpuset of its cgroup, v1 or v2). */
    public TreeMap<Integer, java.util.SortedSet<Integer>> cpusets() {
        TreeMap<Integer, java.util.SortedSet<Integer>> out = new TreeMap<>();
        for (var e : store.list().entrySet()) {
            if (!e.getValue().equals(store.localNode())) continue;
            int vmid = e.getKey();
            String cpus = runtime.lxc().cgroup(vmid, runtime.host().cgroupVersion() == 2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
            if (cpus != null && !cpus.isBlank()) out.put(vmid, org.haven.lxc.run.CpuSets.parse(cpus));
        }
        return out;
    }

    // ---- power --------------------------------------------------------------------------------------------

    /** Start: pending changes are applied first (PVE's vm_start), the config lock is checked. */
    public void start(int vmid, Consumer<String> log) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            if (type.isRunning(vmid)) throw new GuestException(500, "CT " + vmid + " already running");
            if (!cfg.pending().isEmpty()) {
                guests.applyPending(vmid, cfg, log);
                store.write(vmid, cfg);
            }
            type.start(vmid, log);
            return null;
        });
    }

    public void stop(int vmid, Consumer<String> log) {
        checkRunning(vmid);
        type.stop(vmid, java.time.Duration.ZERO, log);
    }

    public void shutdown(int vmid, long timeoutSeconds, boolean forceStop, Consumer<String> log) {
        checkRunning(vmid);
        type.shutdown(vmid, java.time.Duration.ofSeconds(timeoutSeconds), forceStop, log);
    }

    public void suspend(int vmid) {
        checkRunning(vmid);
        runtime.lxc().freeze(vmid);
    }

    public void resume(int vmid) {
        checkRunning(vmid);
        runtime.lxc().unfreeze(vmid);
    }

    /** PVE's refusal to destroy a running container. */
    public void checkNotRunning(int vmid) {
        if (type.isRunning(vmid)) throw new GuestException(500, "unable to destroy CT " + vmid + " - container is running");
    }

    public void checkRunning(int vmid) {
        if (!type.isRunning(vmid)) throw new GuestException(500, "CT " + vmid + " not running");
    }

    /** Destroy a stopped container with its volumes; protection and HA membership are refused with PVE's messages. */
    public void destroy(int vmid, boolean purge, Consumer<String> log) {
        checkNotRunning(vmid);
        guests.destroy(vmid, false, purge, log);
    }
}
