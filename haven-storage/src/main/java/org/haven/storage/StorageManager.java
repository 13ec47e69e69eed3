package org.haven.storage;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.haven.core.cfs.ClusterFs;
import org.haven.storage.config.StorageConfig;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.plugin.DirPlugin;
import org.haven.storage.prune.PruneOptions;
import org.haven.storage.prune.Pruner;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.StoragePlugin;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.VolumeId;
import org.haven.storage.volume.VolumeName;
import org.haven.storage.volume.VolumeNames;

/**
 * The storage service of a node (PVE's {@code PVE::Storage}): reads {@code storage.cfg} from the cluster file
 * system, checks that a storage is enabled and available on this node, and dispatches volume operations to the
 * type's plugin. Volume IDs are {@code <storage>:<volname>}; sizes are bytes.
 *
 * <p>Used by the storage API and by the guest modules: {@link #path}, {@link #alloc}, {@link #free},
 * {@link #activateVolumes}, {@link #size}, {@link #resize}, snapshots, {@link #createBase}, {@link #cloneImage}.
 */
public final class StorageManager {
    /** Path of the configuration in the cluster file system. */
    public static final String CONFIG_PATH = "storage.cfg";
    /** The default root of the {@code local} storage in system mode. */
    public static final Path SYSTEM_LOCAL_PATH = Path.of("/var/lib/vz");

    private final ClusterFs cfs;
    private final String nodeName;
    private final Path localPath;
    private final PluginRegistry plugins;
    private final CommandRunner runner;
    private final Map<String, ReentrantLock> localLocks = new ConcurrentHashMap<>();
    private volatile ZoneId zone = ZoneId.systemDefault();

    /** System-mode manager: {@code local} at /var/lib/vz, tools run as child processes. */
    public StorageManager(ClusterFs cfs, String nodeName) {
        this(cfs, nodeName, SYSTEM_LOCAL_PATH, new ProcessCommandRunner());
    }

    /**
     * @param localPath directory of the {@code local} storage ({@code <data-dir>/vz} in embedded mode)
     * @param runner    how external tools are run
     */
    public StorageManager(ClusterFs cfs, String nodeName, Path localPath, CommandRunner runner) {
        this(cfs, nodeName, localPath, runner, PluginContext.SYSTEM_CEPH_CONF);
    }

    /** @param cephConf the node's local {@code ceph.conf} of the cluster's own Ceph ({@link #cephEtc}) */
    public StorageManager(ClusterFs cfs, String nodeName, Path localPath, CommandRunner runner, Path cephConf) {
        this.cfs = cfs;
        this.nodeName = nodeName;
        this.localPath = localPath;
        this.runner = runner;
        PluginContext ctx = new PluginContext(runner, nodeName, this::secret, cephConf);
        this.plugins = new PluginRegistry(ctx);
    }

    /** The directory of the node's Ceph configuration: {@code /etc/ceph}, or {@code <data-dir>/ceph/etc} embedded. */
    public static Path cephEtc(boolean embedded, Path dataDir) {
        return embedded ? dataDir.resolve("ceph").resolve("etc") : PluginContext.SYSTEM_CEPH_CONF.getParent();
    }

    public String nodeName() { return nodeName; }

    public Path localPath() { return localPath; }

    public PluginRegistry plugins() { return plugins; }

    /** The command runner the plugins use. */
    public CommandRunner runner() { return runner; }

    /** Discovery of storages (scan API, {@code pvesm *scan}). */
    public Scanner scanner() { return new Scanner(runner); }

    /** Time zone for backup file times (prune, listings); the system zone by default. */
    public void setZone(ZoneId zone) {
        this.zone = zone;
        for (var t : org.haven.storage.config.StorageType.values()) {
            try {
                if (plugins.get(t) instanceof DirPlugin d) d.setZone(zone);
            } catch (StorageException ignored) { }
        }
    }

    // ---- configuration ------------------------------------------------------------------------------------------

    /** The current configuration (parsed fresh from the cluster file system). */
    public StorageConfig config() {
        return StorageConfig.parse(cfs.readString(CONFIG_PATH).orElse(""), localPath.toString());
    }

    /**
     * Change the configuration under the cluster-wide lock and write it back. {@code digest}, when given, must
     * match the current file's digest (PVE's optimistic locking).
     */
    public <T> T modifyConfig(String digest, Function<StorageConfig, T> change) {
        return cfs.withLock("file-storage_cfg", Duration.ofSeconds(10), () -> {
            StorageConfig cfg = config();
            if (digest != null && !digest.isEmpty() && !digest.equals(cfg.digest()))
                throw new StorageException("detected modified configuration - file changed by other user? Try again.");
            T result = change.apply(cfg);
            cfs.writeString(CONFIG_PATH, cfg.write());
            return result;
        });
    }

    /** Storage {@code id}; fails when it does not exist. */
    public StorageEntry storage(String id) { return config().require(id); }

    /** Storage {@code id}; fails when it does not exist, is disabled or is not available on this node. */
    public StorageEntry enabledStorage(String id) { return checkEnabled(config(), id); }

    public StorageEntry checkEnabled(StorageConfig cfg, String id) {
        StorageEntry s = cfg.require(id);
        if (s.disabled()) throw new StorageException("storage '" + id + "' is disabled");
        if (!s.availableOn(nodeName)) throw new StorageException("storage '" + id + "' is not available on node '" + nodeName + "'");
        return s;
    }

    public StoragePlugin plugin(StorageEntry s) { return plugins.get(s.type()); }

    /** Secrets kept under priv/: password, keyring, encryption-key, master-pubkey. */
    public Optional<String> secret(String storeid, String kind) {
        return cfs.readString(secretPath(storeid, kind)).map(v -> {
            if (!kind.equals("password")) return v;
            // PVE keeps CIFS passwords as "password=<pw>" (a mount credentials file) and PBS passwords as one line
            String line = v.endsWith("\n") ? v.substring(0, v.length() - 1) : v;
            return line.startsWith("password=") ? line.substring("password=".length()) : line;
        });
    }

    public static String secretPath(String storeid, String kind) {
        return switch (kind) {
            case "keyring" -> "priv/ceph/" + storeid + ".keyring";
            case "encryption-key" -> "priv/storage/" + storeid + ".enc";
            case "master-pubkey" -> "priv/storage/" + storeid + ".master.pem";
            default -> "priv/storage/" + storeid + ".pw";
        };
    }

    /** Store (or with a null value remove) the secrets returned by {@link StorageConfig#create}/{@link StorageConfig#update}. */
    public void storeSecrets(String storeid, Map<String, String> secrets) {
        for (var e : secrets.entrySet()) {
            String p = secretPath(storeid, e.getKey());
            if (e.getValue() == null) {
                cfs.delete(p);
            } else {
                cfs.mkdirs(p.substring(0, p.lastIndexOf('/')));
                String v = e.getValue();
                if (e.getKey().equals("password")) {
                    boolean cifs = config().get(storeid).map(x -> x.type() == org.haven.storage.config.StorageType.CIFS).orElse(false);
                    v = (cifs ? "password=" : "") + v + "\n";
                }
                cfs.writeString(p, v);
            }
        }
    }

    // ---- volume IDs ---------------------------------------------------------------------------------------------

    public VolumeName parseVolname(String volid) {
        VolumeId v = VolumeId.parse(volid);
        return plugin(storage(v.storage())).parseVolname(v.volname());
    }

    /** Owner VMID of a volume, if it has one. */
    public Optional<Integer> owner(String volid) {
        return parseVolname(volid).owner();
    }

    /** Path QEMU/LXC open for the volume (PVE's {@code PVE::Storage::path}). */
    public String path(String volid) { return path(volid, null); }

    public String path(String volid, String snap) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = storage(v.storage());
        return plugin(s).path(s, v.volname(), snap);
    }

    // ---- locking --------------------------------------------------------------------------------------------------

    private <T> T locked(StorageEntry s, Supplier<T> body) {
        if (s.shared()) return cfs.withLock("storage-" + s.id(), Duration.ofSeconds(60), body);
        ReentrantLock l = localLocks.computeIfAbsent(s.id(), k -> new ReentrantLock());
        l.lock();
        try {
            return body.get();
        } finally {
            l.unlock();
        }
    }

    // ---- activation -----------------------------------------------------------------------------------------------

    /**
     * Activate a storage on this node; a storage with a {@code base} volume (LVM on an iSCSI LUN) first activates
     * the storage of that volume and the volume itself, as PVE does.
     */
    public void activate(StorageEntry s) {
        activate(config(), s, new java.util.HashSet<>());
    }

    private void activate(StorageConfig cfg, StorageEntry s, Set<String> seen) {
        if (!seen.add(s.id())) throw new StorageException("storage '" + s.id() + "' - loop in base volume definitions");
        String base = s.get("base").orElse(null);
        if (base != null && !base.isEmpty()) {
            VolumeId b = VolumeId.parse(base);
            StorageEntry bs = checkEnabled(cfg, b.storage());
            activate(cfg, bs, seen);
            plugin(bs).activateVolume(bs, b.volname(), null);
        }
        plugin(s).activateStorage(s);
    }

    public void activateStorage(String id) {
        StorageEntry s = enabledStorage(id);
        activate(s);
    }

    /** Activate the storages and volumes (before a guest starts or a volume is accessed). */
    public void activateVolumes(Collection<String> volids) { activateVolumes(volids, null); }

    public void activateVolumes(Collection<String> volids, String snap) {
        StorageConfig cfg = config();
        Set<String> active = new java.util.HashSet<>();
        for (String volid : volids) {
            VolumeId v = VolumeId.parse(volid);
            StorageEntry s = checkEnabled(cfg, v.storage());
            if (active.add(s.id())) activate(s);
            plugin(s).activateVolume(s, v.volname(), snap);
        }
    }

    public void deactivateVolumes(Collection<String> volids) {
        StorageConfig cfg = config();
        List<String> errors = new ArrayList<>();
        for (String volid : volids) {
            VolumeId v = VolumeId.parse(volid);
            StorageEntry s = cfg.require(v.storage());
            try {
                plugin(s).deactivateVolume(s, v.volname(), null);
            } catch (RuntimeException e) {
                errors.add(volid);
            }
        }
        if (!errors.isEmpty()) throw new StorageException("volume deactivation failed: " + String.join(" ", errors));
    }

    // ---- status and listing -----------------------------------------------------------------------------------------

    /** Capacity of a storage; inactive (zeros) when it cannot be activated. */
    public StorageStatus status(String id) {
        StorageEntry s = storage(id);
        if (s.disabled() || !s.availableOn(nodeName)) return StorageStatus.INACTIVE;
        try {
            activate(s);
            return plugin(s).status(s);
        } catch (RuntimeException e) {
            return StorageStatus.INACTIVE;
        }
    }

    /** Content of a storage, with protection and notes for backups. */
    public List<VolumeInfo> list(String id, Integer vmid, Set<ContentType> content) {
        StorageEntry s = enabledStorage(id);
        StoragePlugin p = plugin(s);
        activate(s);
        return p.list(s, vmid, content);
    }

    /**
     * Images and container volumes of guest {@code vmid} on every enabled storage of this node that holds such
     * content (PVE's {@code vdisk_list} for one VMID); storages that cannot be activated are skipped. Shared
     * storages are listed once.
     */
    public List<VolumeInfo> imagesOf(int vmid) {
        List<VolumeInfo> out = new ArrayList<>();
        for (StorageEntry s : config().entries()) {
            if (s.disabled() || !s.availableOn(nodeName)) continue;
            if (!s.content().contains(ContentType.IMAGES) && !s.content().contains(ContentType.ROOTDIR)) continue;
            try {
                activate(s);
                out.addAll(plugin(s).list(s, vmid, Set.of(ContentType.IMAGES, ContentType.ROOTDIR)));
            } catch (StorageException e) {
                // an unreachable storage does not hide the others
            }
        }
        return out;
    }

    // ---- allocation ---------------------------------------------------------------------------------------------------

    /**
     * Allocate an image (PVE's {@code vdisk_alloc}). {@code format} null = the storage's default, {@code name}
     * null or empty = next free {@code vm-<vmid>-disk-<n>}. Returns the volume ID.
     */
    public String alloc(String storeid, int vmid, String format, String name, long sizeBytes) {
        return alloc(storeid, vmid, format, name, sizeBytes, null);
    }

    /**
     * {@link #alloc(String, int, String, String, long)} for a given use: {@code ROOTDIR} for a container volume (a
     * subvolume or an image), {@code IMAGES} for a VM disk; null picks by format ({@code subvol} is a container's).
     */
    public String alloc(String storeid, int vmid, String format, String name, long sizeBytes, ContentType use) {
        StorageEntry s = enabledStorage(storeid);
        if (vmid <= 0) throw new StorageException("no VMID specified");
        if (name != null && !name.isEmpty()) VolumeNames.checkOwnedName(name, vmid);
        String fmt = format == null || format.isEmpty() ? s.format() : format;
        ContentType needed = use != null ? use : "subvol".equals(fmt) ? ContentType.ROOTDIR : ContentType.IMAGES;
        if (!s.content().contains(needed) && !(needed == ContentType.ROOTDIR && s.content().contains(ContentType.IMAGES)))
            throw new StorageException("storage '" + storeid + "' does not support content-type '" + needed + "'");
        if (!s.type().formats().contains(fmt)) throw new StorageException("unsupported format '" + fmt + "'");
        StoragePlugin p = plugin(s);
        activate(s);
        String volname = locked(s, () -> p.alloc(s, vmid, fmt, name == null || name.isEmpty() ? null : name, sizeBytes));
        return s.id() + ":" + volname;
    }

    /** Free a volume (PVE's {@code vdisk_free}); base volumes still used by linked clones cannot be freed. */
    public void free(String volid) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        StoragePlugin p = plugin(s);
        activate(s);
        if (p instanceof DirPlugin d && vnSafe(p, v.volname()) && d.isProtected(s, v.volname()))
            throw new StorageException("volume '" + volid + "' is protected");
        locked(s, () -> {
            VolumeName vn = p.parseVolname(v.volname());
            if (vn.isBase()) {
                for (VolumeInfo info : p.list(s, null, Set.of(ContentType.IMAGES, ContentType.ROOTDIR))) {
                    VolumeName other;
                    try {
                        other = p.parseVolname(VolumeId.parse(info.volid()).volname());
                    } catch (StorageException e) {
                        continue;
                    }
                    if (other.isLinkedClone() && vn.name().equals(other.baseName()) && vn.vmid().equals(other.baseVmid()))
                        throw new StorageException("base volume '" + v.volname() + "' is still in use by linked clones");
                }
            }
            p.free(s, v.volname());
            return null;
        });
    }

    private static boolean vnSafe(StoragePlugin p, String volname) {
        try {
            p.parseVolname(volname);
            return true;
        } catch (StorageException e) {
            return false;
        }
    }

    /**
     * The guest whose configuration (in any node's {@code qemu-server/} or {@code lxc/} directory, snapshots
     * included) references {@code volid}, if any. A volume of a storage that is not shared belongs to this node: only
     * this node's guests can reference it (another node's guest with the same volume ID uses its own copy).
     */
    public Optional<Integer> referencedBy(String volid) {
        boolean shared = config().get(VolumeId.parse(volid).storage()).map(StorageEntry::shared).orElse(true);
        for (ClusterFs.Entry node : cfs.list("nodes")) {
            if (!node.directory() || (!shared && !node.name().equals(nodeName))) continue;
            for (String kind : List.of("qemu-server", "lxc")) {
                String dir = "nodes/" + node.name() + "/" + kind;
                for (ClusterFs.Entry f : cfs.list(dir)) {
                    if (!f.name().matches("\\d+\\.conf")) continue;
                    String text = cfs.readString(dir + "/" + f.name()).orElse("");
                    for (String line : text.split("\n")) {
                        int colon = line.indexOf(':');
                        if (colon < 0 || line.startsWith("#")) continue;
                        for (String token : line.substring(colon + 1).trim().split("[,=\\s]+")) {
                            if (token.equals(volid)) return Optional.of(Integer.parseInt(f.name().substring(0, f.name().length() - 5)));
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    public long size(String volid) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        activate(s);
        return plugin(s).size(s, v.volname());
    }

    public void resize(String volid, long sizeBytes, boolean running) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        activate(s);
        locked(s, () -> { plugin(s).resize(s, v.volname(), sizeBytes, running); return null; });
    }

    // ---- snapshots, templates, clones ---------------------------------------------------------------------------------

    public void snapshot(String volid, String snap) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        plugin(s).snapshot(s, v.volname(), snap);
    }

    public void rollback(String volid, String snap) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        plugin(s).rollback(s, v.volname(), snap);
    }

    public void deleteSnapshot(String volid, String snap, boolean running) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        plugin(s).deleteSnapshot(s, v.volname(), snap, running);
    }

    public List<String> snapshots(String volid) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        return plugin(s).snapshots(s, v.volname());
    }

    /** Convert an image to a template base volume; returns the new volume ID. */
    public String createBase(String volid) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        return s.id() + ":" + locked(s, () -> plugin(s).createBase(s, v.volname()));
    }

    /** Linked clone of a base volume for {@code vmid}; returns the new volume ID. */
    public String cloneImage(String volid, int vmid, String snap) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        activate(s);
        return s.id() + ":" + locked(s, () -> plugin(s).cloneImage(s, v.volname(), vmid, snap));
    }

    /** Rename a volume (e.g. reassign to another guest); {@code targetName} null = next free name. */
    public String rename(String volid, int targetVmid, String targetName) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        return s.id() + ":" + locked(s, () -> plugin(s).rename(s, v.volname(), targetVmid, targetName));
    }

    public boolean hasFeature(Feature feature, String volid, String snap, boolean running) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = storage(v.storage());
        try {
            return plugin(s).hasFeature(s, feature, v.volname(), snap, running);
        } catch (StorageException e) {
            return false;
        }
    }

    // ---- export / import ---------------------------------------------------------------------------------------------

    public List<ExportFormat> exportFormats(String volid, String snap, String baseSnap, boolean withSnapshots) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        return plugin(s).exportFormats(s, v.volname(), snap, baseSnap, withSnapshots);
    }

    public List<ExportFormat> importFormats(String volid, String snap, String baseSnap, boolean withSnapshots) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        return plugin(s).importFormats(s, v.volname(), snap, baseSnap, withSnapshots);
    }

    public void exportVolume(String volid, ExportFormat format, String snap, String baseSnap, boolean withSnapshots, OutputStream out) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        activate(s);
        plugin(s).activateVolume(s, v.volname(), snap);
        plugin(s).exportVolume(s, v.volname(), format, snap, baseSnap, withSnapshots, out);
    }

    /** Import into volume {@code volid} (its name gives owner and format); returns the volume ID written. */
    public String importVolume(String volid, ExportFormat format, String snap, String baseSnap, boolean withSnapshots,
                               boolean allowRename, InputStream in) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        activate(s);
        return s.id() + ":" + locked(s, () -> plugin(s).importVolume(s, v.volname(), format, snap, baseSnap, withSnapshots, allowRename, in));
    }

    /**
     * Copy a volume to storage {@code targetStorage} for guest {@code targetVmid} through the export/import streams
     * (the first format both sides support), e.g. to move a stopped guest's disk between storages of this node.
     * The copy gets the next free {@code vm-<vmid>-disk-<n>} name (raw data on the target). Returns its volume ID.
     */
    public String copyVolume(String srcVolid, String targetStorage, int targetVmid) {
        StorageEntry t = enabledStorage(targetStorage);
        String name = "vm-" + targetVmid + "-disk-0";
        String volname = switch (t.type()) {
            case DIR, NFS, CIFS, GLUSTERFS, BTRFS -> targetVmid + "/" + name + ".raw";
            default -> name;
        };
        return copyVolume(srcVolid, t.id() + ":" + volname, true);
    }

    /** Copy a volume to the volume ID {@code targetVolid} (another name is chosen when it exists and {@code allowRename}). */
    public String copyVolume(String srcVolid, String targetVolid, boolean allowRename) {
        List<ExportFormat> out = exportFormats(srcVolid, null, null, false);
        List<ExportFormat> in = importFormats(targetVolid, null, null, false);
        ExportFormat format = out.stream().filter(in::contains).findFirst().orElseThrow(() -> new StorageException(
                "no common transfer format for '" + srcVolid + "' (" + out + ") and '" + targetVolid + "' (" + in + ")"));
        java.io.PipedInputStream pin = new java.io.PipedInputStream(1 << 20);
        java.io.PipedOutputStream pout;
        try {
            pout = new java.io.PipedOutputStream(pin);
        } catch (java.io.IOException e) {
            throw new StorageException(e.getMessage(), e);
        }
        java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread exporter = Thread.ofVirtual().start(() -> {
            try (java.io.OutputStream o = pout) {
                exportVolume(srcVolid, format, null, null, false, o);
            } catch (RuntimeException e) {
                failure.set(e);
            } catch (java.io.IOException e) {
                failure.set(new StorageException("export of '" + srcVolid + "' failed - " + e.getMessage(), e));
            }
        });
        String result;
        try {
            result = importVolume(targetVolid, format, null, null, false, allowRename, pin);
        } catch (RuntimeException e) {
            try { pin.close(); } catch (java.io.IOException ignored) { }
            joinQuietly(exporter);
            throw failure.get() != null ? failure.get() : e;
        }
        joinQuietly(exporter);
        if (failure.get() != null) {
            try { free(result); } catch (RuntimeException ignored) { }
            throw failure.get();
        }
        return result;
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- backups -----------------------------------------------------------------------------------------------------

    /** One entry of a prune result, as PVE's {@code prunebackups} returns it. */
    public record PruneEntry(String volid, long ctime, String mark, String type, Integer vmid) {}

    /**
     * Apply retention to the backups of a storage (PVE's {@code prune_backups}). {@code keep} null = the storage's
     * {@code prune-backups}. {@code type} (qemu/lxc) and {@code vmid} restrict the backups considered. With
     * {@code dryRun} nothing is deleted.
     */
    public List<PruneEntry> pruneBackups(String storeid, PruneOptions keep, String type, Integer vmid, boolean dryRun) {
        StorageEntry s = enabledStorage(storeid);
        if (!s.content().contains(ContentType.BACKUP))
            throw new StorageException("storage '" + storeid + "' does not support backups");
        PruneOptions opts = keep != null ? keep : PruneOptions.of(s.pruneBackups());
        List<VolumeInfo> backups = list(storeid, vmid, Set.of(ContentType.BACKUP));
        List<Pruner.GroupedBackup> grouped = new ArrayList<>();
        Map<String, String[]> meta = new LinkedHashMap<>();
        for (VolumeInfo b : backups) {
            String fn = b.volid().substring(b.volid().indexOf(":backup/") + 8);
            VolumeNames.BackupFileInfo info = VolumeNames.parseBackupName(fn);
            String vtype = info == null ? null : ("openvz".equals(info.vmtype()) ? "lxc" : info.vmtype());
            if (type != null && !type.equals(vtype)) continue;
            String group = info == null ? null : vtype + "/" + info.vmid();
            grouped.add(new Pruner.GroupedBackup(group, new Pruner.Backup(b.volid(), b.ctime(), b.isProtected())));
            meta.put(b.volid(), new String[] {vtype, b.vmid() == null ? null : String.valueOf(b.vmid()), String.valueOf(b.ctime())});
        }
        Map<String, Pruner.Mark> marks = Pruner.mark(grouped, opts, zone);
        List<PruneEntry> out = new ArrayList<>();
        for (var e : new TreeMap<>(marks).entrySet()) {
            String[] m = meta.get(e.getKey());
            out.add(new PruneEntry(e.getKey(), Long.parseLong(m[2]), e.getValue().id(), m[0], m[1] == null ? null : Integer.valueOf(m[1])));
        }
        if (!dryRun) {
            for (PruneEntry e : out) if (e.mark().equals("remove")) free(e.volid());
        }
        return out;
    }

    /** Set or clear the protected flag / notes of a backup or other file volume. */
    public void updateAttributes(String volid, Boolean isProtected, String notes) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        if (!(plugin(s) instanceof DirPlugin d)) throw new StorageException("attributes are not supported on storage '" + s.id() + "'");
        if (isProtected != null) d.setProtected(s, v.volname(), isProtected);
        if (notes != null) d.setNotes(s, v.volname(), notes);
    }

    /** Protected flag and notes of a file volume (false/null on other storages). */
    public VolumeInfo attributes(String volid) {
        VolumeId v = VolumeId.parse(volid);
        StorageEntry s = enabledStorage(v.storage());
        StoragePlugin p = plugin(s);
        VolumeName vn = p.parseVolname(v.volname());
        boolean prot = false;
        String notes = null;
        if (p instanceof DirPlugin d) {
            prot = d.isProtected(s, v.volname());
            notes = d.notes(s, v.volname());
        }
        long size = p.size(s, v.volname());
        return new VolumeInfo(volid, vn.vtype(), vn.format(), size, -1, vn.vmid(), vn.baseName(), 0, prot, notes);
    }
}
