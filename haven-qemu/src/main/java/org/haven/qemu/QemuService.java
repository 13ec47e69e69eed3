package org.haven.qemu;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.core.schema.ParamException;
import org.haven.core.time.Clock;
import org.haven.guest.GuestPurge;
import org.haven.guest.GuestService;
import org.haven.guest.GuestVolumes;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.config.MacAddress;
import org.haven.guest.volume.VolumeAccess;
import org.haven.qemu.cmd.CommandBuilder;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;

/**
 * VM configuration operations behind the API: create, update (directly when stopped, as pending changes
 * when running), delete options, revert, pending view, destroy, and the VM list. Disk options in PVE's
 * allocation syntax ({@code scsi0: local:32}) allocate new volumes; a failed create leaves nothing behind.
 */
public final class QemuService {

    /** {@code storage:size-in-GiB} — a new disk to allocate. */
    private static final Pattern NEW_DISK = Pattern.compile("^([a-zA-Z][a-zA-Z0-9\\-_.]*[a-zA-Z0-9]):(\\d+(?:\\.\\d+)?)$");

    /** Options PVE applies at once even while the VM runs. */
    static final Set<String> FAST_PLUG = Set.of("lock", "name", "onboot", "shares", "startup", "description",
            "protection", "vmstatestorage", "hookscript", "tags");

    private final VmManager vms;
    private final GuestConfigStore store;
    private final VolumeAccess volumes;
    private final Clock clock;
    private final QemuGuestType type;
    private final GuestService guests;

    public QemuService(VmManager vms, Clock clock) {
        this(vms, clock, List.of());
    }

    /** @param purges what a destroy with {@code purge} cleans besides the HA resources */
    public QemuService(VmManager vms, Clock clock, List<GuestPurge> purges) {
        this.vms = vms;
        this.store = vms.store();
        this.volumes = vms.volumes();
        this.clock = clock;
        this.type = new QemuGuestType(vms);
        this.guests = new GuestService(type, store, volumes, purges);
        vms.setPendingApplier((vmid, cfg) -> guests.applyPending(vmid, cfg, null));
        vms.setPreStart(this::prepareCloudInit);
    }

    /**
     * Write the cloud-init NoCloud ISO into the VM's cloud-init drive, if it has one, and record the options it was
     * made from in the config's {@code [special:cloudinit]} section (what {@code GET …/cloudinit} compares with).
     */
    public void prepareCloudInit(int vmid, Map<String, String> conf) {
        boolean written = false;
        for (var e : conf.entrySet()) {
            if (!org.haven.qemu.config.CloudInit.isCloudInitDrive(e.getKey(), conf)) continue;
            String volid = QemuOptions.props(e.getKey(), e.getValue()).get("file");
            var vol = volumes.resolve(volid);
            java.nio.file.Path tmp = null;
            try {
                tmp = java.nio.file.Files.createTempDirectory("haven-cloudinit");
                List<String> cmd = new ArrayList<>(List.of("genisoimage", "-quiet", "-o", tmp.resolve("cidata.iso").toString(),
                        "-volid", "cidata", "-rational-rock", "-joliet", "-input-charset", "utf-8"));
                for (var f : org.haven.qemu.config.CloudInit.files(vmid, conf, null).entrySet()) {
                    java.nio.file.Path p = tmp.resolve(f.getKey());
                    java.nio.file.Files.writeString(p, f.getValue());
                    cmd.add(p.toString());
                }
                Proc.Result r = Proc.run(cmd, Duration.ofSeconds(60));
                if (!r.ok()) throw new GuestException(500, "unable to generate the cloud-init image: " + r.output().trim());
                r = Proc.run(List.of("qemu-img", "convert", "-n", "-f", "raw", "-O", vol.format(), tmp.resolve("cidata.iso").toString(), vol.path()),
                        Duration.ofSeconds(60));
                if (!r.ok()) throw new GuestException(500, "unable to write the cloud-init drive: " + r.output().trim());
                written = true;
            } catch (java.io.IOException ex) {
                throw new GuestException(500, "unable to generate the cloud-init image: " + ex.getMessage());
            } finally {
                if (tmp != null) try (var w = java.nio.file.Files.walk(tmp)) {
                    w.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (java.io.IOException ignored) { }
            }
        }
        if (written) {
            var made = org.haven.qemu.config.CloudInit.options(conf);
            store.update(vmid, cfg -> {
                var section = new org.haven.guest.config.GuestConfig.Section();
                made.forEach(section::set);
                cfg.special().put("cloudinit", section);
                return null;
            });
        }
    }

    public VmManager vms() { return vms; }
    public GuestConfigStore store() { return store; }
    /** The VM's guest type, for the guest framework. */
    public QemuGuestType type() { return type; }
    /** The shared config operations (pending, destroy, HA entry) for VMs. */
    public GuestService guests() { return guests; }

    private volatile org.haven.guest.migrate.GuestMigrate migrator;

    private volatile java.util.function.Supplier<java.util.Optional<org.haven.guest.migrate.GuestReplication>> replication = java.util.Optional::empty;

    /** Storage replication on this node (looked up when used: its module may start later). */
    public void setReplication(java.util.function.Supplier<java.util.Optional<org.haven.guest.migrate.GuestReplication>> r) { this.replication = r; }

    /** Migration between nodes (set where the node's cluster API is available). */
    public void setMigrator(org.haven.guest.migrate.GuestMigrate m) { this.migrator = m; }

    public org.haven.guest.migrate.GuestMigrate migrator() {
        var m = migrator;
        if (m == null) throw new GuestException(500, "migration is not available on this node");
        return m;
    }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    // ---- read ---------------------------------------------------------------------------------------

    /** GET config: the current values, or with pending values applied ({@code current=false}, PVE's default). */
    public Map<String, Object> config(int vmid, boolean current, String snapshot) { return guests.config(vmid, current, snapshot); }


    /** The VM list of this node (PVE's vmlist). */
    public List<Map<String, Object>> list(boolean full) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (var e : store.list().entrySet()) {
            if (!e.getValue().equals(store.localNode())) continue;
            try {
                out.add(vms.status(e.getKey(), full));
            } catch (RuntimeException ex) {
                // a config that vanished or cannot be parsed is left out, as PVE does
            }
        }
        return out;
    }

    // ---- create ---------------------------------------------------------------------------------------

    /**
     * Create a VM from options (PVE's create_vm without archive). New disks are allocated; on any failure
     * the allocated volumes are freed and the config removed.
     */
    public void create(int vmid, Map<String, String> options, Consumer<String> log) {
        Map<String, String> opts = new LinkedHashMap<>(options);
        String description = opts.remove("description");
        LinkedHashMap<String, String> checked = driveOrder(QemuOptions.checkAll(opts));
        generateMacs(checked);
        store.checkUnused(vmid);
        List<String> allocated = new ArrayList<>();
        GuestConfig placeholder = new GuestConfig().set("lock", "create");
        store.create(vmid, placeholder);
        try {
            store.locked(vmid, () -> {
                GuestConfig cfg = new GuestConfig();
                if (description != null) cfg.current().description(description);
                for (var e : checked.entrySet()) {
                    String v = e.getValue();
                    if (QemuOptions.isDisk(e.getKey())) v = allocateIfNew(vmid, e.getKey(), v, allocated, log);
                    cfg.set(e.getKey(), v);
                }
                if (!cfg.current().has("smbios1")) cfg.set("smbios1", "uuid=" + UUID.randomUUID());
                if (!cfg.current().has("vmgenid") || "1".equals(cfg.get("vmgenid").orElse(""))) cfg.set("vmgenid", UUID.randomUUID().toString());
                if ("0".equals(cfg.get("vmgenid").orElse(""))) cfg.remove("vmgenid");
                cfg.set("meta", "creation-qemu=7.2.0,ctime=" + clock.epochSeconds());
                // check that the result can be started at all
                vms.command(vmid, cfg.current().values());
                store.write(vmid, cfg);
                return null;
            });
        } catch (RuntimeException e) {
            for (String volid : allocated) {
                try { volumes.free(volid); } catch (RuntimeException ignored) { }
            }
            store.destroy(vmid);
            throw e;
        }
    }

    /**
     * Gives every NIC being set without a MAC address a generated one, as PVE does on create and update
     * (with the {@code mac_prefix} of {@code datacenter.cfg}).
     */
    private void generateMacs(Map<String, String> options) {
        String prefix = null;
        for (var e : options.entrySet()) {
            if (!QemuOptions.isNet(e.getKey())) continue;
            LinkedHashMap<String, String> nic = QemuOptions.props(e.getKey(), e.getValue());
            if (nic.get("macaddr") != null) continue;
            if (prefix == null) prefix = MacAddress.prefix(store.cfs().readString("datacenter.cfg").orElse(null));
            nic.put("macaddr", MacAddress.random(prefix, MAC_RANDOM));
            e.setValue(QemuOptions.print(e.getKey(), nic));
        }
    }

    private static final java.security.SecureRandom MAC_RANDOM = new java.security.SecureRandom();

    /** Options sorted as PVE walks them: other keys sorted, then drives in PVE's drive order (ide, sata, scsi, virtio, efidisk0, tpmstate0). */
    static LinkedHashMap<String, String> driveOrder(Map<String, String> in) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        new TreeMap<>(in).forEach((k, v) -> { if (!QemuOptions.isDisk(k)) out.put(k, v); });
        for (String bus : QemuOptions.DISK_BUSES) {
            for (int i = 0; i < QemuOptions.COUNTS.get(bus); i++) if (in.containsKey(bus + i)) out.put(bus + i, in.get(bus + i));
        }
        for (String k : List.of("efidisk0", "tpmstate0")) if (in.containsKey(k)) out.put(k, in.get(k));
        return out;
    }

    /** Allocate a disk given as {@code storage:GiB}; returns the drive string with the new volume and size. */
    String allocateIfNew(int vmid, String key, String value, List<String> allocated, Consumer<String> log) {
        LinkedHashMap<String, String> d = QemuOptions.props(key, value);
        String file = d.get("file");
        org.haven.guest.migrate.GuestReplication.checkNewVolume(replication.get(), type.volumeKeys(), vmid, key, value);
        if (file != null && file.endsWith(":cloudinit") && QemuOptions.isBusDrive(key)) {
            String storage = file.substring(0, file.length() - ":cloudinit".length());
            String volid;
            try {
                volid = allocCloudInit(storage, vmid);
            } catch (RuntimeException e) {
                throw ParamException.of(key, e.getMessage());
            }
            allocated.add(volid);
            log(log, key + ": successfully created disk '" + volid + ",media=cdrom'");
            d.put("file", volid);
            d.put("media", "cdrom");
            return QemuOptions.print(key, d);
        }
        Matcher m = file == null ? null : NEW_DISK.matcher(file);
        if (m == null || !m.matches()) {
            if (file != null && !file.startsWith("/") && !file.equals("none") && !file.equals("cdrom")) {
                try {
                    volumes.resolve(file);
                } catch (IllegalArgumentException e) {
                    throw ParamException.of(key, e.getMessage());
                }
            }
            return value;
        }
        String storage = m.group(1);
        long size;
        String format = d.remove("format");
        String importFrom = d.remove("import-from");
        if (importFrom != null) {
            if (Double.parseDouble(m.group(2)) != 0) throw ParamException.of(key, "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>");
            return importDisk(vmid, key, d, storage, format, importFrom, allocated, log);
        }
        if (key.equals("efidisk0")) {
            boolean fourMeg = "4m".equals(d.getOrDefault("efitype", "2m"));
            size = fourMeg ? 540672 : 131072;
        } else if (key.equals("tpmstate0")) {
            size = 4L << 20;
            format = "raw";
        } else {
            size = (long) (Double.parseDouble(m.group(2)) * (1L << 30));
        }
        String volid;
        try {
            volid = volumes.alloc(storage, vmid, format, size);
        } catch (RuntimeException e) {
            throw ParamException.of(key, e.getMessage());
        }
        allocated.add(volid);
        log(log, key + ": successfully created disk '" + volid + "," + printSizeProp(size) + "'");
        if (key.equals("efidisk0")) initEfiVars(volid, "4m".equals(d.getOrDefault("efitype", "2m")));
        d.put("file", volid);
        d.put("size", formatSize(size));
        return QemuOptions.print(key, d);
    }

    /** A 4 MiB {@code vm-<vmid>-cloudinit} volume (with the format's extension on file-based storages). */
    private String allocCloudInit(String storage, int vmid) {
        if (vms.volumes() instanceof org.haven.guest.volume.StorageVolumes sv) {
            var entry = sv.storage().enabledStorage(storage);
            String fmt = entry.format();
            String name = "vm-" + vmid + "-cloudinit" + (entry.path().isPresent() || "dir".equals(entry.type().id()) ? "." + fmt : "");
            return sv.storage().alloc(storage, vmid, fmt, name, 4L << 20);
        }
        return volumes.alloc(storage, vmid, null, 4L << 20);
    }

    /** Allocate a volume the size of {@code source} and copy the image into it (PVE's import-from). */
    private String importDisk(int vmid, String key, LinkedHashMap<String, String> d, String storage, String format, String source,
                              List<String> allocated, Consumer<String> log) {
        org.haven.guest.volume.Volume src;
        try {
            src = source.startsWith("/") ? new org.haven.guest.volume.Volume(source, null) : volumes.resolve(source);
        } catch (IllegalArgumentException e) {
            throw ParamException.of(key, e.getMessage());
        }
        if (!java.nio.file.Files.exists(java.nio.file.Path.of(src.path()))) throw ParamException.of(key, "source '" + source + "' does not exist");
        Proc.Result info = Proc.run(List.of("qemu-img", "info", "--output=json", src.path()), Duration.ofSeconds(60));
        if (!info.ok()) throw new GuestException(500, "unable to read '" + source + "': " + info.output().trim());
        var json = tools.jackson.databind.json.JsonMapper.builder().build().readTree(info.output());
        long size = json.path("virtual-size").asLong();
        String srcFormat = json.path("format").asString("raw");
        String volid;
        try {
            volid = volumes.alloc(storage, vmid, format, size);
        } catch (RuntimeException e) {
            throw ParamException.of(key, e.getMessage());
        }
        allocated.add(volid);
        var dst = volumes.resolve(volid);
        log(log, "importing disk '" + source + "' to VM " + vmid + " ...");
        Proc.Result r = Proc.run(List.of("qemu-img", "convert", "-p", "-n", "-f", srcFormat, "-O", dst.format(), src.path(), dst.path()), Duration.ofHours(6));
        if (!r.ok()) throw new GuestException(500, "import failed: " + r.output().trim());
        log(log, "Successfully imported disk as '" + key + ":" + volid + "'");
        d.put("file", volid);
        d.put("size", formatSize(size));
        return QemuOptions.print(key, d);
    }

    private static String printSizeProp(long size) { return "size=" + formatSize(size); }

    private void initEfiVars(String volid, boolean fourMeg) {
        var v = volumes.resolve(volid);
        String template = vms.host().ovmfVars(fourMeg);
        Proc.Result r = Proc.run(List.of("qemu-img", "convert", "-n", "-f", "raw", "-O", v.format(), template, v.path()), Duration.ofSeconds(60));
        if (!r.ok()) throw new GuestException(500, "unable to initialize EFI vars disk: " + r.output().trim());
    }

    /** PVE's format_size: the largest unit that divides the size exactly. */
    public static String formatSize(long bytes) { return GuestVolumes.formatSize(bytes); }

    // ---- update -----------------------------------------------------------------------------------------

    /**
     * Change options (PVE's update_vm): values to set, keys to delete, pending changes to revert. Stopped
     * VMs get the changes at once; running ones get {@link #FAST_PLUG} options at once and the rest as
     * pending changes (applied at the next start).
     */
    public void update(int vmid, Map<String, String> set, List<String> delete, List<String> revert, String digest,
                       boolean skiplock, boolean force, Consumer<String> log) {
        Map<String, String> opts = new LinkedHashMap<>(set);
        String description = opts.remove("description");
        LinkedHashMap<String, String> checked = driveOrder(QemuOptions.checkAll(opts));
        generateMacs(checked);
        Map<String, String> errors = new TreeMap<>();
        Set<String> deletes = new LinkedHashSet<>(delete);
        for (String d : deletes) {
            if (checked.containsKey(d) || (d.equals("description") && description != null))
                errors.put("delete", "cannot set and delete '" + d + "' at the same time");
            else if (QemuOptions.option(d) == null && !QemuOptions.INTERNAL_KEYS.contains(d))
                errors.put("delete", "invalid configuration ID '" + d + "'");
        }
        for (String r : revert) {
            if (checked.containsKey(r) || deletes.contains(r)) errors.put("revert", "cannot revert and set/delete '" + r + "' at the same time");
        }
        if (!errors.isEmpty()) throw new ParamException(errors);
        List<String> allocated = new ArrayList<>();
        try {
            store.locked(vmid, () -> {
                GuestConfig cfg = store.load(vmid);
                GuestConfigStore.assertDigest(cfg, digest);
                if (!skiplock) store.checkLock(cfg);
                for (String r : revert) {
                    cfg.pending().remove(r);
                    cfg.removePendingDelete(r);
                }
                for (String d : deletes) {
                    if (d.equals("template") && cfg.isTemplate()) throw ParamException.of("delete", "unable to delete parameter 'template' - template is not allowed to be removed");
                    cfg.addPendingDelete(d, force);
                }
                for (var e : checked.entrySet()) {
                    String v = e.getValue();
                    if (QemuOptions.isDisk(e.getKey())) v = allocateIfNew(vmid, e.getKey(), v, allocated, log);
                    cfg.removePendingDelete(e.getKey());
                    cfg.pending().set(e.getKey(), v);
                }
                if (description != null) cfg.pending().description(description);
                boolean running = vms.isRunning(vmid);
                if (!running) {
                    guests.applyPending(vmid, cfg, log);
                } else {
                    applyFastPlug(cfg);
                    hotplugPending(vmid, cfg, log);
                }
                // the result must still be startable
                GuestConfig merged = cfg.copy();
                guests.applyPendingKeys(merged);
                vms.command(vmid, merged.current().values());
                store.write(vmid, cfg);
                return null;
            });
        } catch (RuntimeException e) {
            for (String volid : allocated) {
                try { volumes.free(volid); } catch (RuntimeException ignored) { }
            }
            throw e;
        }
    }

    /** Plug new nics/disks and unplug deleted ones where the {@code hotplug} option allows; the rest stays pending. */
    private void hotplugPending(int vmid, GuestConfig cfg, Consumer<String> log) {
        var features = org.haven.qemu.run.Hotplug.features(cfg.current().getOrNull("hotplug"));
        var hp = new org.haven.qemu.run.Hotplug(vms);
        var deletes = cfg.pendingDeletes();
        for (String key : new ArrayList<>(deletes.keySet())) {
            if (!org.haven.qemu.run.Hotplug.pluggable(key, features) || !cfg.current().has(key)) continue;
            try {
                hp.unplug(vmid, key, Duration.ofSeconds(10));
                String old = cfg.current().getOrNull(key);
                cfg.current().remove(key);
                if (QemuOptions.isBusDrive(key)) {
                    String file = QemuOptions.props(key, old).get("file");
                    if (guests.isOwnedBy(file, vmid)) GuestVolumes.addUnused(cfg, file);
                }
                deletes.remove(key);
                log(log, "hot-unplugged " + key);
            } catch (GuestException e) {
                log(log, e.getMessage());
            }
        }
        cfg.setPendingDeletes(deletes);
        for (String key : new ArrayList<>(cfg.pending().values().keySet())) {
            if (!org.haven.qemu.run.Hotplug.pluggable(key, features) || cfg.current().has(key)) continue;
            TreeMap<String, String> merged = new TreeMap<>(cfg.current().values());
            merged.put(key, cfg.pending().getOrNull(key));
            try {
                hp.plug(vmid, key, merged);
                cfg.current().set(key, cfg.pending().getOrNull(key));
                cfg.pending().remove(key);
                log(log, "hot-plugged " + key);
            } catch (GuestException e) {
                log(log, e.getMessage());
            }
        }
    }

    private static void applyFastPlug(GuestConfig cfg) { GuestService.applyNow(cfg, FAST_PLUG); }

    // ---- disk operations ------------------------------------------------------------------------------

    /** Grow a disk: {@code size} absolute ({@code 10G}) or relative ({@code +1G}); running VMs see it at once. */
    public void resize(int vmid, String disk, String size, String digest, boolean skiplock, Consumer<String> log) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            GuestConfigStore.assertDigest(cfg, digest);
            if (!skiplock) store.checkLock(cfg);
            String value = cfg.get(disk).orElseThrow(() -> new GuestException(500, "disk '" + disk + "' does not exist"));
            LinkedHashMap<String, String> d = QemuOptions.props(disk, value);
            if ("cdrom".equals(d.get("media"))) throw new GuestException(500, "you can't resize a cdrom");
            String volid = d.get("file");
            if (volid.startsWith("/")) throw new GuestException(500, "you can't resize a disk given by path");
            long current = volumes.size(volid);
            long target = GuestVolumes.targetSize(current, size);
            if (target == current) { log(log, "disk is already " + formatSize(target)); return null; }
            log(log, "resizing " + disk + " (" + volid + ") from " + formatSize(current) + " to " + formatSize(target));
            boolean running = vms.isRunning(vmid);
            String format = volumes.resolve(volid).format();
            if (!running || !"qcow2".equals(format)) volumes.resize(volid, target, running);
            if (running) vms.qmpCommand(vmid, "block_resize", Map.of("device", "drive-" + disk, "size", target), Duration.ofSeconds(60));
            d.put("size", formatSize(target));
            cfg.set(disk, QemuOptions.print(disk, d));
            store.write(vmid, cfg);
            return null;
        });
    }

    /**
     * Move a disk to another storage (and format): copied with qemu-img when the VM is stopped, mirrored with
     * QEMU's drive-mirror while it runs. The source becomes an unused volume unless {@code delete}.
     */
    public void moveDisk(int vmid, String disk, String targetStorage, String format, boolean delete, String digest, Consumer<String> log) {
        GuestConfig cfg = store.load(vmid);
        GuestConfigStore.assertDigest(cfg, digest);
        store.checkLock(cfg);
        String value = cfg.get(disk).orElseThrow(() -> new GuestException(500, "disk '" + disk + "' does not exist"));
        LinkedHashMap<String, String> d = QemuOptions.props(disk, value);
        String volid = d.get("file");
        if ("cdrom".equals(d.get("media"))) throw new GuestException(500, "you can't move a cdrom");
        if (volid.startsWith("/")) throw new GuestException(500, "you can't move a disk given by path");
        var src = volumes.resolve(volid);
        String fmt = format != null ? format : src.format();
        String storage = volid.substring(0, volid.indexOf(':'));
        if (storage.equals(targetStorage) && fmt.equals(src.format())) throw new GuestException(500, "you can't move to the same storage with same format");
        String newVol = null;
        try {
            long size = volumes.size(volid);
            newVol = volumes.alloc(targetStorage, vmid, fmt, size);
            var dst = volumes.resolve(newVol);
            log(log, "moving " + disk + " (" + volid + ") to " + newVol);
            if (vms.isRunning(vmid)) {
                mirror(vmid, disk, dst.path(), dst.format(), log);
            } else {
                Proc.Result r = Proc.run(List.of("qemu-img", "convert", "-p", "-n", "-f", src.format(), "-O", dst.format(), src.path(), dst.path()),
                        Duration.ofHours(6));
                if (!r.ok()) throw new GuestException(500, "storage migration failed: " + r.output().trim());
            }
        } catch (RuntimeException e) {
            if (newVol != null) try { volumes.free(newVol); } catch (RuntimeException ignored) { }
            throw e;
        }
        String moved = newVol;
        store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            LinkedHashMap<String, String> nd = QemuOptions.props(disk, c.get(disk).orElseThrow());
            nd.remove("format");
            String old = nd.get("file");
            nd.put("file", old);
            if (!volid.equals(nd.get("file"))) throw new GuestException(500, "disk '" + disk + "' changed during the move");
            nd.put("file", moved);
            c.set(disk, QemuOptions.print(disk, nd));
            if (!delete) GuestVolumes.addUnused(c, volid);
            store.write(vmid, c);
            return null;
        });
        if (delete) {
            try { volumes.free(volid); } catch (RuntimeException e) { log(log, "WARN: unable to free '" + volid + "' - " + e.getMessage()); }
        }
    }

    /**
     * PVE's checks of {@code move_disk} to another VM ({@code target-vmid}, {@code qm disk move --target-vmid}):
     * both VMs on this node, neither locked nor a template, the digests as given, the source key holding a
     * storage volume (no CD drive) that nothing else of the source uses, on a storage that can rename it, the
     * target key free, and the source stopped unless the disk is unused. Returns the drive as the target key
     * will hold it (volume not yet renamed).
     */
    public LinkedHashMap<String, String> checkReassign(int vmid, String disk, int targetVmid, String targetDisk, String digest, String targetDigest) {
        String node = store.owner(vmid).orElseThrow(() -> new GuestException(500, "could not find VM " + vmid));
        String targetNode = store.owner(targetVmid).orElseThrow(() -> new GuestException(500, "could not find target VM " + targetVmid));
        if (!node.equals(targetNode)) throw new GuestException(500, "Both VMs need to be on the same node (" + node + " != " + targetNode + ")");
        GuestConfig src = store.load(vmid), dst = store.load(targetVmid);
        store.checkLock(src);
        store.checkLock(dst);
        if (src.isTemplate() || dst.isTemplate()) throw new GuestException(500, "Can't move disks from or to template VMs");
        assertDigest(vmid, src, digest);
        assertDigest(targetVmid, dst, targetDigest);
        String value = src.get(disk).orElseThrow(() -> new GuestException(500, "Disk '" + disk + "' for VM '" + vmid + "' does not exist"));
        if (dst.get(targetDisk).isPresent()) throw new GuestException(500, "Target disk key '" + targetDisk + "' is already in use for VM '" + targetVmid + "'");
        LinkedHashMap<String, String> drive = QemuOptions.props(disk, value);
        String volid = drive.get("file");
        if (volid == null || volid.isEmpty()) throw new GuestException(500, "disk '" + disk + "' has no associated volume");
        if ("cdrom".equals(drive.get("media")) || volid.equals("cdrom") || volid.equals("none"))
            throw new GuestException(500, "CD drive contents can't be moved to another VM");
        if (volid.startsWith("/") || volid.indexOf(':') < 0) throw new GuestException(500, "Volume '" + volid + "' not managed by PVE");
        if (GuestVolumes.volumeInUse(type.volumeKeys(), src, disk, volid)) throw new GuestException(500, "Can't move disk used by a snapshot to another VM");
        if (!storage().hasFeature(org.haven.storage.spi.Feature.RENAME, volid, null, false))
            throw new GuestException(500, "Storage does not support moving of this disk to another VM");
        if (!disk.startsWith("unused") && vms.isRunning(vmid))
            throw new GuestException(500, "Cannot move disk to another VM while the source VM is running - detach first");
        return targetDisk.startsWith("unused") ? QemuOptions.props(targetDisk, volid) : QemuOptions.props(targetDisk, value);
    }

    private static void assertDigest(int vmid, GuestConfig cfg, String digest) {
        try {
            GuestConfigStore.assertDigest(cfg, digest);
        } catch (GuestException e) {
            throw new GuestException(500, "VM " + vmid + ": " + e.getMessage());
        }
    }

    private org.haven.storage.StorageManager storage() {
        if (volumes instanceof org.haven.guest.volume.StorageVolumes sv) return sv.storage();
        throw new GuestException(500, "Storage does not support moving of this disk to another VM");
    }

    /**
     * {@code move_disk} to another VM: under both config locks (checked again by {@link #checkReassign}) the
     * volume is renamed for {@code targetVmid} and leaves the source config (and its boot order); the target gets
     * it as {@code targetDisk}: an {@code unusedN} at once, a drive through {@link #update} (pending or hotplugged
     * while the target runs), as PVE does.
     */
    public void reassignDisk(int vmid, String disk, int targetVmid, String targetDisk, String digest, String targetDigest, Consumer<String> log) {
        store.locked(vmid, () -> store.locked(targetVmid, () -> {
            LinkedHashMap<String, String> drive = checkReassign(vmid, disk, targetVmid, targetDisk, digest, targetDigest);
            log(log, "moving disk '" + disk + "' from VM '" + vmid + "' to '" + targetVmid + "'");
            String newVolid = storage().rename(drive.get("file"), targetVmid, null);
            drive.put("file", newVolid);
            GuestConfig src = store.load(vmid);
            String boot = src.current().getOrNull("boot");
            if (boot != null && boot.startsWith("order=")) {
                List<String> order = new ArrayList<>(List.of(boot.substring("order=".length()).split(";")));
                if (order.remove(disk)) {
                    log(log, "removing disk '" + disk + "' from boot order config");
                    order.removeIf(String::isEmpty);
                    if (order.isEmpty()) src.remove("boot");
                    else src.set("boot", "order=" + String.join(";", order));
                }
            }
            src.remove(disk);
            log(log, "removing disk '" + disk + "' from VM '" + vmid + "' config");
            store.write(vmid, src);
            String value = QemuOptions.print(targetDisk, drive);
            if (targetDisk.startsWith("unused")) {
                GuestConfig dst = store.load(targetVmid);
                dst.set(targetDisk, value);
                store.write(targetVmid, dst);
            } else {
                update(targetVmid, Map.of(targetDisk, value), List.of(), List.of(), targetDigest, false, false, log);
            }
            log(log, "target VM '" + targetVmid + "' updated with '" + targetDisk + "'");
            return null;
        }));
    }

    private void mirror(int vmid, String disk, String path, String format, Consumer<String> log) {
        String job = "mirror-" + disk;
        try (var q = vms.qmp(vmid)) {
            q.execute("drive-mirror", Map.of("job-id", job, "device", "drive-" + disk, "target", path, "format", format,
                    "mode", "existing", "sync", "full"), Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofHours(6).toNanos();
            while (true) {
                boolean ready = false, found = false;
                for (var j : q.execute("query-block-jobs", null, Duration.ofSeconds(10))) {
                    if (!j.path("device").asString().equals(job)) continue;
                    found = true;
                    ready = j.path("ready").asBoolean();
                    log(log, "drive-" + disk + ": transferred " + j.path("offset").asLong() + " of " + j.path("len").asLong() + " bytes");
                }
                if (!found) throw new GuestException(500, "mirroring of " + disk + " failed");
                if (ready) break;
                if (System.nanoTime() > deadline) throw new GuestException(500, "mirroring of " + disk + " timed out");
                try { Thread.sleep(200); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new GuestException(500, "interrupted"); }
            }
            q.execute("block-job-complete", Map.of("device", job), Duration.ofSeconds(30));
            for (int i = 0; i < 600; i++) {
                boolean found = false;
                for (var j : q.execute("query-block-jobs", null, Duration.ofSeconds(10))) if (j.path("device").asString().equals(job)) found = true;
                if (!found) return;
                try { Thread.sleep(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new GuestException(500, "interrupted"); }
            }
            throw new GuestException(500, "mirror job of " + disk + " did not complete");
        } catch (org.haven.qemu.qmp.QmpException e) {
            throw new GuestException(500, "VM " + vmid + " qmp command '" + e.command() + "' failed - " + e.getMessage());
        }
    }

    /** Unlink disks (PVE's unlink): like deleting them, {@code force} frees the volumes instead of keeping them unused. */
    public void unlink(int vmid, List<String> ids, boolean force, Consumer<String> log) {
        update(vmid, Map.of(), ids, List.of(), null, false, force, log);
    }

    /**
     * Suspend to disk (hibernate): the VM state goes into a new {@code vm-<vmid>-state-suspend-<date>} volume, the
     * VM stops, and the config keeps {@code vmstate} and {@code lock: suspended} until the next start resumes it.
     */
    /** Where a hibernated VM's state goes: {@code given}, else {@code vmstatestorage}, else the storage of its first disk (null: none). */
    public static String stateStorage(GuestConfig cfg, String given) {
        if (given != null) return given;
        String target = cfg.get("vmstatestorage").orElse(null);
        if (target != null) return target;
        for (var e : driveOrder(cfg.current().values()).entrySet()) {
            if (!QemuOptions.isDisk(e.getKey())) continue;
            String f = QemuOptions.props(e.getKey(), e.getValue()).get("file");
            if (f != null && f.indexOf(':') > 0 && !f.startsWith("/")) return f.substring(0, f.indexOf(':'));
        }
        return null;
    }

    public void hibernate(int vmid, String stateStorage, boolean skiplock, Consumer<String> log) {
        GuestConfig cfg = store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            if (!skiplock) store.checkLock(c);
            if (!vms.isRunning(vmid)) throw new GuestException(500, "VM " + vmid + " not running");
            c.set("lock", "suspending");
            store.write(vmid, c);
            return c;
        });
        String volid = null;
        try {
            String target = stateStorage(cfg, stateStorage);
            if (target == null) throw new GuestException(500, "no storage for the VM state - set 'vmstatestorage' or pass 'statestorage'");
            String memory = QemuOptions.props("memory", cfg.get("memory").orElse("512")).getOrDefault("current", "512");
            long size = (Long.parseLong(memory) * 2 + 512) << 20;
            String date = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(java.time.ZoneOffset.UTC)
                    .format(java.time.Instant.ofEpochSecond(clock.epochSeconds()));
            volid = vms.volumes() instanceof org.haven.guest.volume.StorageVolumes sv
                    ? sv.storage().alloc(target, vmid, "raw", "vm-" + vmid + "-state-suspend-" + date + ".raw", size)
                    : volumes.alloc(target, vmid, "raw", size);
            String machine = vms.machineType(vmid, cfg.current().values());
            log(log, "suspending VM " + vmid + " to '" + volid + "'");
            vms.saveStateAndStop(vmid, volumes.resolve(volid).path(), log);
            String sv = volid;
            store.locked(vmid, () -> {
                GuestConfig c = store.load(vmid);
                c.set("vmstate", sv);
                c.set("runningmachine", machine);
                c.set("lock", "suspended");
                store.write(vmid, c);
                return null;
            });
        } catch (RuntimeException e) {
            if (volid != null) try { volumes.free(volid); } catch (RuntimeException ignored) { }
            store.locked(vmid, () -> { GuestConfig c = store.load(vmid); c.remove("lock"); store.write(vmid, c); return null; });
            throw e;
        }
    }

    /** {@code qm monitor}: one human monitor command. */
    public String monitor(int vmid, String command) {
        var r = vms.qmpCommand(vmid, "human-monitor-command", Map.of("command-line", command), Duration.ofSeconds(30));
        return r == null ? "" : r.asString("");
    }

    /**
     * {@code qm disk import}: copy an image into a new volume on {@code storage}; it is attached as
     * {@code targetDisk} when given, else added as the next {@code unusedN}. Returns the config key.
     */
    public String importDisk(int vmid, String source, String storage, String format, String targetDisk, Consumer<String> log) {
        if (targetDisk != null) {
            if (!QemuOptions.isDisk(targetDisk)) throw ParamException.of("target-disk", "invalid disk key '" + targetDisk + "'");
            String spec = storage + ":0,import-from=" + source + (format != null ? ",format=" + format : "");
            update(vmid, Map.of(targetDisk, spec), List.of(), List.of(), null, false, false, log);
            return targetDisk;
        }
        List<String> allocated = new ArrayList<>();
        try {
            return store.locked(vmid, () -> {
                GuestConfig cfg = store.load(vmid);
                store.checkLock(cfg);
                LinkedHashMap<String, String> d = new LinkedHashMap<>();
                String drive = importDisk(vmid, "scsi0", d, storage, format, source, allocated, log);
                String volid = QemuOptions.props("scsi0", drive).get("file");
                String key = GuestVolumes.addUnused(cfg, volid);
                store.write(vmid, cfg);
                log(log, "unused disk '" + volid + "' added as '" + key + "'");
                return key;
            });
        } catch (RuntimeException e) {
            for (String v : allocated) try { volumes.free(v); } catch (RuntimeException ignored) { }
            throw e;
        }
    }

    /** What PVE's importovf reads from an OVF manifest: name, cores, memory (MiB) and disk image paths in order. */
    public record Ovf(String name, int cores, long memoryMb, List<String> disks) {}

    /** Parse an OVF descriptor (DMTF CIM resource types 3 = CPU, 4 = memory, 17 = disk). */
    public static Ovf parseOvf(java.nio.file.Path manifest) {
        try {
            var f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            var doc = f.newDocumentBuilder().parse(manifest.toFile());
            Map<String, String> files = new LinkedHashMap<>();
            var fileNodes = doc.getElementsByTagNameNS("*", "File");
            for (int i = 0; i < fileNodes.getLength(); i++) {
                var e = (org.w3c.dom.Element) fileNodes.item(i);
                files.put(attr(e, "id"), attr(e, "href"));
            }
            Map<String, String> diskFiles = new LinkedHashMap<>();
            var diskNodes = doc.getElementsByTagNameNS("*", "Disk");
            for (int i = 0; i < diskNodes.getLength(); i++) {
                var e = (org.w3c.dom.Element) diskNodes.item(i);
                diskFiles.put(attr(e, "diskId"), files.get(attr(e, "fileRef")));
            }
            String name = null;
            var vs = doc.getElementsByTagNameNS("*", "VirtualSystem");
            if (vs.getLength() > 0) {
                var names = ((org.w3c.dom.Element) vs.item(0)).getElementsByTagNameNS("*", "Name");
                name = names.getLength() > 0 ? names.item(0).getTextContent().trim() : attr((org.w3c.dom.Element) vs.item(0), "id");
            }
            int cores = 1;
            long memory = 512;
            List<String> disks = new ArrayList<>();
            var items = doc.getElementsByTagNameNS("*", "Item");
            for (int i = 0; i < items.getLength(); i++) {
                var item = (org.w3c.dom.Element) items.item(i);
                String type = child(item, "ResourceType");
                if (type == null) continue;
                switch (type.trim()) {
                    case "3" -> cores = Integer.parseInt(child(item, "VirtualQuantity").trim());
                    case "4" -> {
                        long q = Long.parseLong(child(item, "VirtualQuantity").trim());
                        String units = child(item, "AllocationUnits");
                        memory = units != null && units.contains("2^30") ? q * 1024 : q;
                    }
                    case "17" -> {
                        String host = child(item, "HostResource");
                        if (host == null) continue;
                        String id = host.trim().replaceFirst("^ovf:/disk/", "").replaceFirst("^/disk/", "");
                        String href = diskFiles.get(id);
                        if (href != null) disks.add(manifest.resolveSibling(href).toString());
                    }
                    default -> { }
                }
            }
            if (name != null) name = name.replaceAll("[^a-zA-Z0-9\\-.]", "-");
            return new Ovf(name, cores, memory, disks);
        } catch (Exception e) {
            throw new GuestException(500, "unable to parse OVF manifest '" + manifest + "': " + e.getMessage());
        }
    }

    private static String attr(org.w3c.dom.Element e, String local) {
        var a = e.getAttributes();
        for (int i = 0; i < a.getLength(); i++) {
            var n = a.item(i);
            String ln = n.getLocalName() != null ? n.getLocalName() : n.getNodeName();
            if (ln.equals(local) || ln.endsWith(":" + local)) return n.getNodeValue();
        }
        return null;
    }

    private static String child(org.w3c.dom.Element e, String local) {
        var l = e.getElementsByTagNameNS("*", local);
        return l.getLength() == 0 ? null : l.item(0).getTextContent();
    }

    /** {@code qm importovf}: create a VM from an OVF manifest, its disks imported as scsi0, scsi1, … into {@code storage}. */
    public Ovf importOvf(int vmid, java.nio.file.Path manifest, String storage, String format, boolean dryrun, Consumer<String> log) {
        Ovf ovf = parseOvf(manifest);
        if (dryrun) return ovf;
        LinkedHashMap<String, String> opts = new LinkedHashMap<>();
        if (ovf.name() != null && !ovf.name().isEmpty()) opts.put("name", ovf.name());
        opts.put("cores", Integer.toString(ovf.cores()));
        opts.put("memory", Long.toString(ovf.memoryMb()));
        for (int i = 0; i < ovf.disks().size(); i++) {
            opts.put("scsi" + i, storage + ":0,import-from=" + ovf.disks().get(i) + (format != null ? ",format=" + format : ""));
        }
        create(vmid, opts, log);
        return ovf;
    }

    // ---- rescan -------------------------------------------------------------------------------------------

    /**
     * PVE's {@code qm rescan}: volumes on enabled storages owned by a VM of this node but not referenced in its
     * config become {@code unusedN}; disk sizes in the config are updated from the storage. Returns log lines.
     */
    public List<String> rescan(Integer onlyVmid, boolean dryrun) { return org.haven.guest.GuestRescan.rescan(guests, onlyVmid, dryrun); }

    /** {@code qm showcmd}. */
    public String showcmd(int vmid, boolean pretty, String snapshot) {
        GuestConfig cfg = store.load(vmid);
        Map<String, String> conf = snapshot == null ? cfg.current().values() : cfg.snapshots().get(snapshot).values();
        try {
            var c = vms.command(vmid, conf);
            return pretty ? c.pretty() : c.toShell();
        } catch (CommandBuilder.ConfigError e) {
            throw new GuestException(500, e.getMessage());
        }
    }
}
