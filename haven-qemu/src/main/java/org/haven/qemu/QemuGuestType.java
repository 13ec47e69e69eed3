package org.haven.qemu;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.haven.guest.GuestType;
import org.haven.guest.GuestVolumes;
import org.haven.guest.VolumeKeys;
import org.haven.guest.clone.GuestClone;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.config.QemuVolumeKeys;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageManager;
import tools.jackson.databind.JsonNode;

/**
 * The VM as a {@link GuestType}: {@code qemu-server} configs, drives as volumes, QEMU processes as the runtime.
 * Snapshots of a running VM are qcow2 internal snapshots through QMP; with RAM ({@code vmstate}) the state goes
 * into a {@code vm-<vmid>-state-<snap>} qcow2 volume through QEMU's {@code snapshot-save} job, and a rollback
 * resumes the guest from it with {@code snapshot-load}. Clones get a fresh SMBIOS uuid, vmgenid and MACs,
 * and full clones copy with {@code qemu-img convert}.
 */
public final class QemuGuestType implements GuestType {

    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);

    private final VmManager vms;
    private final GuestConfigStore store;

    public QemuGuestType(VmManager vms) {
        this.vms = vms;
        this.store = vms.store();
    }

    @Override public String configDir() { return "qemu-server"; }
    @Override public String typeWord() { return "qemu"; }
    @Override public String guestWord() { return "VM"; }
    @Override public String haPrefix() { return "vm"; }
    @Override public VolumeKeys volumeKeys() { return QemuVolumeKeys.INSTANCE; }
    @Override public List<String> consoles() { return List.of("vnc", "term"); }

    /** Values as PVE's JSON has them: integers and numbers as numbers, the rest as strings. */
    @Override public Object typed(String key, String value) {
        var s = QemuOptions.option(key);
        if (s == null) {
            if (key.equals("snaptime")) try { return Long.parseLong(value); } catch (NumberFormatException e) { return value; }
            return value;
        }
        try {
            switch (s.type()) {
                case "integer": return Long.parseLong(value);
                case "boolean": return Long.parseLong(value);
                case "number": {
                    double d = Double.parseDouble(value);
                    return d == Math.rint(d) ? (Object) (long) d : (Object) d;
                }
                default: return value;
            }
        } catch (NumberFormatException e) {
            return value;
        }
    }

    // ---- runtime ----------------------------------------------------------------------------------

    @Override public boolean isRunning(int vmid) { return vms.isRunning(vmid); }

    @Override public void start(int vmid, Consumer<String> log) { vms.start(vmid, VmManager.StartOptions.DEFAULT, log); }

    @Override public void stop(int vmid, Duration timeout, Consumer<String> log) { vms.stop(vmid, false, timeout, log); }

    @Override public void shutdown(int vmid, Duration timeout, boolean forceStop, Consumer<String> log) {
        vms.shutdown(vmid, false, timeout, forceStop, log);
    }

    @Override public Map<String, Object> status(int vmid, boolean full) { return vms.status(vmid, full); }

    @Override public void cleanupFiles(int vmid) { vms.cleanupFiles(vmid); }

    // ---- snapshots --------------------------------------------------------------------------------

    private StorageManager storage() {
        if (vms.volumes() instanceof StorageVolumes sv) return sv.storage();
        throw new GuestException(500, "snapshot feature is not available");
    }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    private static GuestException qmpFailed(int vmid, QmpException q) {
        return new GuestException(500, "VM " + vmid + " qmp command '" + q.command() + "' failed - " + q.getMessage());
    }

    @Override public boolean snapshotsWhileRunning() { return true; }

    @Override public void snapshotRunningVolume(int vmid, String key, String volid, String snapname) {
        try (QmpClient q = vms.qmp(vmid)) {
            q.execute("blockdev-snapshot-internal-sync", Map.of("device", "drive-" + key, "name", snapname), JOB_TIMEOUT);
        } catch (QmpException e) {
            throw qmpFailed(vmid, e);
        }
    }

    @Override public void deleteRunningVolumeSnapshot(int vmid, String key, String volid, String snapname) {
        try (QmpClient q = vms.qmp(vmid)) {
            q.execute("blockdev-snapshot-delete-internal-sync", Map.of("device", "drive-" + key, "name", snapname), JOB_TIMEOUT);
        } catch (QmpException e) {
            throw new GuestException(500, e.getMessage());
        }
    }

    @Override public boolean savesState() { return true; }

    /** Save RAM and disks with QEMU's snapshot-save job into a new state volume; returns its volid. */
    @Override public String saveState(int vmid, String name, GuestConfig cfg, Map<String, String> disks, Consumer<String> log) {
        String memory = QemuOptions.props("memory", cfg.get("memory").orElse("512")).getOrDefault("current", "512");
        long size = (Long.parseLong(memory) * 2 + 512) << 20;
        String target = cfg.get("vmstatestorage").orElse(null);
        if (target == null) {
            String first = disks.values().stream().filter(v -> !v.startsWith("/")).findFirst()
                    .orElseThrow(() -> new GuestException(500, "no storage for the VM state"));
            target = first.substring(0, first.indexOf(':'));
        }
        String stateVolid = storage().alloc(target, vmid, "qcow2", "vm-" + vmid + "-state-" + name + ".qcow2", size);
        log(log, "saving VM state and RAM using storage '" + target + "'");
        try (QmpClient q = vms.qmp(vmid)) {
            String stateNode = attachStateVolume(q, stateVolid);
            List<String> nodes = new ArrayList<>(nodeNames(q, disks.keySet()).values());
            nodes.add(stateNode);
            runJob(q, "snapshot-save", Map.of("job-id", "snapshot-save-" + name, "tag", name, "vmstate", stateNode, "devices", nodes));
            q.execute("blockdev-del", Map.of("node-name", stateNode), Duration.ofSeconds(30));
        } catch (QmpException e) {
            throw qmpFailed(vmid, e);
        }
        return stateVolid;
    }

    private String attachStateVolume(QmpClient q, String volid) {
        String path = storage().path(volid);
        String node = "vmstate-" + Integer.toHexString(volid.hashCode());
        Map<String, Object> file = Map.of("driver", "file", "filename", path);
        q.execute("blockdev-add", Map.of("driver", "qcow2", "node-name", node, "file", file), Duration.ofSeconds(30));
        return node;
    }

    /** Drive key → block node name of the running VM. */
    private static Map<String, String> nodeNames(QmpClient q, java.util.Collection<String> keys) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode blocks = q.execute("query-block", null, Duration.ofSeconds(10));
        for (String k : keys) {
            for (JsonNode b : blocks) {
                if (b.path("device").asString().equals("drive-" + k) && b.has("inserted"))
                    out.put(k, b.path("inserted").path("node-name").asString());
            }
        }
        return out;
    }

    /**
     * Point-in-time copies for a backup of the running VM: a raw target file per disk, and one QMP
     * {@code transaction} of {@code blockdev-backup} jobs ({@code sync=full}), so all disks are copied as they were
     * at the same moment while the guest runs (copy-before-write). With the agent enabled, the guest's file systems
     * are frozen around the transaction.
     */
    private Map<String, java.nio.file.Path> backupJobs(int vmid, GuestConfig cfg, Map<String, String> disks, Map<String, Long> sizes,
                                                       java.nio.file.Path tmpdir, Consumer<String> log) {
        Map<String, java.nio.file.Path> files = new LinkedHashMap<>();
        List<String> nodes = new ArrayList<>();
        List<String> jobs = new ArrayList<>();
        boolean ok = false;
        try (QmpClient q = vms.qmp(vmid)) {
            try {
                String tag = Long.toHexString(System.nanoTime());
                List<Map<String, Object>> actions = new ArrayList<>();
                for (String key : disks.keySet()) {
                    java.nio.file.Path f = tmpdir.resolve("vzdump-" + vmid + "-" + key + "-" + tag + ".raw");
                    try (java.io.RandomAccessFile r = new java.io.RandomAccessFile(f.toFile(), "rw")) {
                        r.setLength(sizes.get(key));
                    }
                    files.put(key, f);
                    String node = "vzdump-" + key;
                    q.execute("blockdev-add", Map.of("driver", "raw", "node-name", node, "file", Map.of("driver", "file", "filename", f.toString())), Duration.ofSeconds(30));
                    nodes.add(node);
                    actions.add(Map.of("type", "blockdev-backup", "data", Map.of("device", "drive-" + key, "target", node, "sync", "full",
                            "job-id", node, "auto-dismiss", false)));
                }
                boolean agent = "1".equals(QemuOptions.props("agent", cfg.get("agent").orElse("0")).getOrDefault("enabled", "0"));
                if (agent) fsfreeze(vmid, "freeze", log);
                try {
                    q.execute("transaction", Map.of("actions", actions), Duration.ofSeconds(30));
                    jobs.addAll(nodes);
                } finally {
                    if (agent) fsfreeze(vmid, "thaw", log);
                }
                log(log, "started backup jobs for " + String.join(", ", disks.keySet()));
                for (String j : new ArrayList<>(jobs)) {
                    awaitJob(q, "blockdev-backup", j);
                    jobs.remove(j);
                }
                ok = true;
            } catch (java.io.IOException e) {
                throw new GuestException(500, "unable to create the backup target - " + e.getMessage());
            } catch (QmpException e) {
                throw qmpFailed(vmid, e);
            } finally {
                for (String j : jobs) {
                    try { q.execute("job-cancel", Map.of("id", j), Duration.ofSeconds(10)); } catch (QmpException e) { /* gone already */ }
                    try { awaitJob(q, "job-cancel", j); } catch (QmpException e) { /* cancelled */ }
                }
                for (String n : nodes) {
                    try { q.execute("blockdev-del", Map.of("node-name", n), Duration.ofSeconds(30)); } catch (QmpException e) { log(log, "unable to remove " + n + " - " + e.getMessage()); }
                }
                if (!ok) for (java.nio.file.Path f : files.values()) f.toFile().delete();
            }
        }
        return files;
    }

    /** {@code guest-fsfreeze-freeze} / {@code -thaw} through the agent; a failure is logged, as PVE's vzdump does. */
    private void fsfreeze(int vmid, String op, Consumer<String> log) {
        log(log, "issuing guest-agent 'fs-" + op + "' command");
        try {
            vms.agentCommand(vmid, "guest-fsfreeze-" + op, null, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            log(log, "unable to " + op + " guest fs - " + e.getMessage());
        }
    }

    /** Run a QMP job to its end; throws with the job's error. */
    private static void runJob(QmpClient q, String command, Map<String, ?> args) {
        q.execute(command, args, Duration.ofSeconds(30));
        awaitJob(q, command, (String) args.get("job-id"));
    }

    /** Wait for job {@code id} to conclude and dismiss it; throws with the job's error. */
    private static void awaitJob(QmpClient q, String command, String id) {
        long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode jobs = q.execute("query-jobs", null, Duration.ofSeconds(10));
            for (JsonNode j : jobs) {
                if (!j.path("id").asString().equals(id)) continue;
                String status = j.path("status").asString();
                if (status.equals("concluded") || status.equals("null")) {
                    String err = j.path("error").asString("");
                    q.execute("job-dismiss", Map.of("id", id), Duration.ofSeconds(10));
                    if (!err.isEmpty()) throw new QmpException(command, err);
                    return;
                }
            }
            try { Thread.sleep(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new QmpException(command, "interrupted"); }
        }
        throw new QmpException(command, "got timeout");
    }

    /** Start paused, load RAM and device state from the state volume, continue. */
    @Override public void startFromState(int vmid, String name, String stateVolid, Consumer<String> log) {
        log(log, "starting VM " + vmid + " from the saved state of snapshot '" + name + "'");
        vms.start(vmid, new VmManager.StartOptions(false, true, Duration.ofSeconds(60)), log);
        try (QmpClient q = vms.qmp(vmid)) {
            String stateNode = attachStateVolume(q, stateVolid);
            GuestConfig cfg = store.load(vmid);
            List<String> nodes = new ArrayList<>(nodeNames(q, GuestVolumes.disks(QemuVolumeKeys.INSTANCE, cfg.current()).keySet()).values());
            nodes.add(stateNode);
            runJob(q, "snapshot-load", Map.of("job-id", "snapshot-load-" + name, "tag", name, "vmstate", stateNode, "devices", nodes));
            q.execute("blockdev-del", Map.of("node-name", stateNode), Duration.ofSeconds(30));
            q.execute("cont", null, Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            vms.stop(vmid, true, Duration.ofSeconds(10), log);
            throw e instanceof QmpException q ? qmpFailed(vmid, q) : e;
        }
    }

    // ---- clone ----------------------------------------------------------------------------------------

    /** The clone is named {@code Copy-of-VM-<name>}, gets a new SMBIOS uuid and vmgenid, and new MAC addresses. */
    @Override public void prepareClone(GuestConfig cfg, GuestConfig.Section from, int vmid, String name) {
        String srcName = from.getOrNull("name");
        cfg.set("name", name != null ? name : srcName == null ? "Copy-of-VM-" + vmid : "Copy-of-VM-" + srcName);
        cfg.set("smbios1", newSmbios(from.getOrNull("smbios1")));
        if (cfg.current().has("vmgenid")) cfg.set("vmgenid", UUID.randomUUID().toString());
        newMacs(cfg);
    }

    /** A new random MAC address on every nic. */
    private static void newMacs(GuestConfig cfg) {
        for (int i = 0; i < 32; i++) {
            String k = "net" + i;
            if (!cfg.current().has(k)) continue;
            LinkedHashMap<String, String> n = QemuOptions.props(k, cfg.get(k).orElseThrow());
            n.put("macaddr", GuestClone.randomMac());
            cfg.set(k, QemuOptions.print(k, n));
        }
    }

    /** {@code qemu-img convert}, from the snapshot's state of a qcow2 image when {@code snapname} is given. */
    @Override public void copyVolume(String srcVolid, String dstVolid, String snapname, Consumer<String> log) {
        var src = vms.volumes().resolve(srcVolid);
        var dst = vms.volumes().resolve(dstVolid);
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "convert", "-p", "-n", "-f", src.format(), "-O", dst.format()));
        if (snapname != null && "qcow2".equals(src.format())) cmd.addAll(List.of("-l", "snapshot.name=" + snapname));
        cmd.add(src.path());
        cmd.add(dst.path());
        Proc.Result r = Proc.run(cmd, Duration.ofHours(6));
        if (!r.ok()) throw new GuestException(500, "clone failed: " + r.output().trim());
    }

    /** A new smbios1 value: the same fields with a fresh uuid. */
    static String newSmbios(String old) {
        LinkedHashMap<String, String> m = old == null ? new LinkedHashMap<>() : QemuOptions.props("smbios1", old);
        m.put("uuid", UUID.randomUUID().toString());
        return QemuOptions.print("smbios1", m);
    }

    // ---- backup ---------------------------------------------------------------------------------------

    /** PVE's drive order ({@code valid_drive_names}): ide, sata, scsi, virtio, then efidisk and tpmstate; other keys last. */
    static int driveOrder(String key) {
        List<String> order = List.of("ide", "sata", "scsi", "virtio", "efidisk", "tpmstate");
        int i = order.indexOf(key.replaceAll("\\d+$", ""));
        return i < 0 ? order.size() : i;
    }

    /** The index of a drive key ({@code 2} of {@code scsi2}), 0 for other keys. */
    static int driveIndex(String key) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^[a-z]+(\\d{1,4})$").matcher(key);
        return m.matches() ? Integer.parseInt(m.group(1)) : 0;
    }

    /**
     * vzdump's VM hooks: {@code suspend} pauses the VM (QMP {@code stop} drains and flushes its I/O) while the
     * backup reads the disks and resumes it afterwards; {@code stop} is done by the backup module with
     * {@link #shutdown}. The backup includes every disk except CD-ROMs, {@code none} and {@code backup=0}.
     */
    @Override public java.util.Optional<Backup> backup() {
        return java.util.Optional.of(new Backup() {
            @Override public void prepare(int vmid, String mode, Consumer<String> log) {
                if (mode.equals("suspend") && vms.isRunning(vmid)) {
                    log(log, "suspending guest");
                    vms.suspend(vmid, true);
                }
            }

            @Override public void release(int vmid, String mode, Consumer<String> log) {
                if (mode.equals("suspend") && vms.isRunning(vmid)) {
                    log(log, "resuming VM again");
                    vms.resume(vmid, true);
                }
            }

            @Override public Map<String, String> volumes(GuestConfig cfg) {
                Map<String, String> out = new LinkedHashMap<>();
                for (BackupVolume v : backupVolumes(cfg)) if (v.included()) out.put(v.key(), v.name());
                return out;
            }

            /**
             * PVE's {@code get_backup_volumes}: every disk but CD-ROMs and {@code none}, excluded with {@code backup=0}
             * ({@code backup=no}), an EFI disk also without OVMF ({@code efidisk but no OMVF BIOS}, PVE's words).
             */
            @Override public java.util.List<BackupVolume> backupVolumes(GuestConfig cfg) {
                java.util.List<BackupVolume> out = new java.util.ArrayList<>();
                java.util.Map<String, String> byOrder = new java.util.TreeMap<>(java.util.Comparator.comparingInt(QemuGuestType::driveOrder)
                        .thenComparingInt(QemuGuestType::driveIndex).thenComparing(k -> k));
                byOrder.putAll(cfg.current().values());
                for (var e : byOrder.entrySet()) {
                    String k = e.getKey();
                    if (!QemuVolumeKeys.INSTANCE.isVolumeKey(k) || k.startsWith("unused")) continue;
                    Map<String, String> d = QemuVolumeKeys.INSTANCE.parse(k, e.getValue());
                    String file = d.get("file");
                    if (file == null || file.equals("none") || QemuVolumeKeys.INSTANCE.isMedia(d)) continue;
                    if (k.startsWith("efidisk") && !cfg.get("bios").map("ovmf"::equals).orElse(false))
                        out.add(new BackupVolume(k, file, false, "efidisk but no OMVF BIOS"));
                    else if ("0".equals(d.get("backup"))) out.add(new BackupVolume(k, file, false, "backup=no"));
                    else out.add(new BackupVolume(k, file, true, "backup=yes"));
                }
                return out;
            }

            @Override public void makeUnique(GuestConfig cfg) { newMacs(cfg); }

            @Override public Map<String, java.nio.file.Path> pointInTimeCopies(int vmid, GuestConfig cfg, Map<String, String> disks,
                                                                               Map<String, Long> sizes, java.nio.file.Path tmpdir, Consumer<String> log) {
                return backupJobs(vmid, cfg, disks, sizes, tmpdir, log);
            }
        });
    }
}
