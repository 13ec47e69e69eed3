package org.haven.qemu;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.haven.core.time.Clock;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;
import org.haven.qemu.run.StorageVolumes;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.Feature;
import tools.jackson.databind.JsonNode;

/**
 * VM snapshots as PVE's AbstractConfig does them: the config is copied into a {@code [snapname]} section
 * (with {@code snaptime}, {@code parent}, {@code vmstate}), the disks get storage snapshots (qcow2 internal
 * snapshots through QMP while the VM runs), rollback restores config and disks, delete removes both.
 * With RAM ({@code vmstate}), the state goes into a {@code vm-<vmid>-state-<snap>} qcow2 volume through QEMU's
 * {@code snapshot-save} job, and rollback resumes the guest from it with {@code snapshot-load}.
 */
public final class QemuSnapshots {

    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);

    private final QemuService service;
    private final VmManager vms;
    private final GuestConfigStore store;
    private final Clock clock;

    public QemuSnapshots(QemuService service, Clock clock) {
        this.service = service;
        this.vms = service.vms();
        this.store = service.store();
        this.clock = clock;
    }

    private StorageManager storage() {
        if (vms.volumes() instanceof StorageVolumes sv) return sv.storage();
        throw new GuestException(500, "snapshot feature is not available");
    }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    /** The snapshot list as PVE returns it: every snapshot plus {@code current} ("You are here!"). */
    public List<Map<String, Object>> list(int vmid) {
        GuestConfig cfg = store.load(vmid);
        List<Map<String, Object>> out = new ArrayList<>();
        for (var e : cfg.snapshots().entrySet()) {
            GuestConfig.Section s = e.getValue();
            LinkedHashMap<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            m.put("description", s.description() == null ? "" : s.description());
            s.get("snaptime").ifPresent(t -> m.put("snaptime", Long.parseLong(t)));
            s.get("parent").ifPresent(p -> m.put("parent", p));
            m.put("vmstate", s.has("vmstate") ? 1 : 0);
            out.add(m);
        }
        LinkedHashMap<String, Object> cur = new LinkedHashMap<>();
        cur.put("name", "current");
        cur.put("digest", cfg.digest());
        cur.put("running", vms.isRunning(vmid) ? 1 : 0);
        cur.put("description", "You are here!");
        cfg.get("parent").ifPresent(p -> cur.put("parent", p));
        out.add(cur);
        return out;
    }

    /** Disk keys with their volume ids, for the given section (cdroms and none excluded). */
    private static LinkedHashMap<String, String> disks(GuestConfig.Section s) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        for (var e : s.values().entrySet()) {
            if (!QemuOptions.isDisk(e.getKey())) continue;
            Map<String, String> d = QemuOptions.props(e.getKey(), e.getValue());
            String f = d.get("file");
            if (f == null || f.equals("none") || f.equals("cdrom") || "cdrom".equals(d.get("media"))) continue;
            out.put(e.getKey(), f);
        }
        return out;
    }

    /** Create snapshot {@code name}, with the RAM state when {@code vmstate} and the VM runs. */
    public void create(int vmid, String name, boolean vmstate, String description, Consumer<String> log) {
        if (name.equals("current") || !GuestConfig.SNAPSHOT_NAME.matcher(name).matches())
            throw new GuestException(500, "invalid snapshot name '" + name + "'");
        boolean running = vms.isRunning(vmid);
        boolean withState = vmstate && running;
        // phase 1: lock and record the snapshot as being prepared
        GuestConfig cfg = store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            store.checkLock(c);
            if (c.snapshots().containsKey(name)) throw new GuestException(500, "snapshot name '" + name + "' already used");
            for (var e : disks(c.current()).entrySet()) {
                String volid = e.getValue();
                if (volid.startsWith("/") || !storage().hasFeature(Feature.SNAPSHOT, volid, null, running))
                    throw new GuestException(500, "snapshot feature is not available");
            }
            GuestConfig.Section snap = new GuestConfig.Section();
            c.current().values().forEach((k, v) -> {
                if (!k.equals("lock") && !k.equals("snapstate") && !k.equals("snaptime") && !k.equals("vmstate")) snap.set(k, v);
            });
            if (description != null) snap.description(description);
            snap.set("snapstate", "prepare");
            snap.set("snaptime", Long.toString(clock.epochSeconds()));
            c.snapshots().put(name, snap);
            c.set("lock", "snapshot");
            store.write(vmid, c);
            return c;
        });
        String stateVolid = null;
        try {
            LinkedHashMap<String, String> disks = disks(cfg.current());
            if (withState) {
                stateVolid = saveWithState(vmid, name, cfg, disks, log);
            } else if (running) {
                try (QmpClient q = vms.qmp(vmid)) {
                    for (var e : disks.entrySet()) {
                        log(log, "snapshotting '" + e.getKey() + "' (" + e.getValue() + ")");
                        q.execute("blockdev-snapshot-internal-sync", Map.of("device", "drive-" + e.getKey(), "name", name), JOB_TIMEOUT);
                    }
                }
            } else {
                for (var e : disks.entrySet()) {
                    log(log, "snapshotting '" + e.getKey() + "' (" + e.getValue() + ")");
                    storage().snapshot(e.getValue(), name);
                }
            }
        } catch (RuntimeException e) {
            // undo: remove the half-made snapshot from config and disks
            String sv = stateVolid;
            store.locked(vmid, () -> {
                GuestConfig c = store.load(vmid);
                c.snapshots().remove(name);
                c.remove("lock");
                store.write(vmid, c);
                return null;
            });
            for (String volid : disks(cfg.current()).values()) {
                try { if (!running) storage().deleteSnapshot(volid, name, false); } catch (RuntimeException ignored) { }
            }
            if (sv != null) try { storage().free(sv); } catch (RuntimeException ignored) { }
            throw e instanceof QmpException q ? new GuestException(500, "VM " + vmid + " qmp command '" + q.command() + "' failed - " + q.getMessage()) : e;
        }
        String sv = stateVolid;
        store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            GuestConfig.Section snap = c.snapshots().get(name);
            snap.remove("snapstate");
            if (sv != null) snap.set("vmstate", sv);
            if (sv != null) c.get("runningmachine").ifPresent(m -> snap.set("runningmachine", m));
            c.set("parent", name);
            c.remove("lock");
            store.write(vmid, c);
            return null;
        });
    }

    /** Save RAM and disks with QEMU's snapshot-save job into a new state volume; returns its volid. */
    private String saveWithState(int vmid, String name, GuestConfig cfg, Map<String, String> disks, Consumer<String> log) {
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

    /** Run a QMP job to its end; throws with the job's error. */
    private static void runJob(QmpClient q, String command, Map<String, ?> args) {
        String id = (String) args.get("job-id");
        q.execute(command, args, Duration.ofSeconds(30));
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

    /** Roll back to {@code name}: the VM is stopped, disks and config restored; with RAM the guest resumes where it was. */
    public void rollback(int vmid, String name, boolean start, Consumer<String> log) {
        GuestConfig cfg = store.load(vmid);
        store.checkLock(cfg);
        GuestConfig.Section snap = cfg.snapshots().get(name);
        if (snap == null) throw new GuestException(500, "snapshot '" + name + "' does not exist");
        if (snap.has("snapstate")) throw new GuestException(500, "unable to rollback to incomplete snapshot (snapstate = " + snap.getOrNull("snapstate") + ")");
        if (vms.isRunning(vmid)) {
            log(log, "stopping VM " + vmid);
            vms.stop(vmid, false, Duration.ofSeconds(10), log);
        }
        store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            c.set("lock", "rollback");
            store.write(vmid, c);
            return null;
        });
        try {
            for (var e : disks(snap).entrySet()) {
                log(log, "rollback '" + e.getKey() + "' to snapshot '" + name + "'");
                storage().rollback(e.getValue(), name);
            }
        } catch (RuntimeException e) {
            store.locked(vmid, () -> { GuestConfig c = store.load(vmid); store.write(vmid, c); return null; });
            throw e;
        }
        String vmstate = snap.getOrNull("vmstate");
        store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            GuestConfig.Section s = c.snapshots().get(name);
            c.current().values().clear();
            s.values().forEach((k, v) -> {
                if (!k.equals("snaptime") && !k.equals("vmstate") && !k.equals("snapstate") && !k.equals("runningmachine")) c.set(k, v);
            });
            c.current().description(s.description());
            c.set("parent", name);
            c.pending().values().clear();
            store.write(vmid, c);
            return null;
        });
        if (vmstate != null) {
            resumeFromState(vmid, name, vmstate, log);
        } else if (start) {
            vms.start(vmid, VmManager.StartOptions.DEFAULT, log);
        }
    }

    /** Start paused, load RAM and device state from the state volume, continue. */
    private void resumeFromState(int vmid, String name, String stateVolid, Consumer<String> log) {
        log(log, "starting VM " + vmid + " from the saved state of snapshot '" + name + "'");
        vms.start(vmid, new VmManager.StartOptions(false, true, Duration.ofSeconds(60)), log);
        try (QmpClient q = vms.qmp(vmid)) {
            String stateNode = attachStateVolume(q, stateVolid);
            GuestConfig cfg = store.load(vmid);
            List<String> nodes = new ArrayList<>(nodeNames(q, disks(cfg.current()).keySet()).values());
            nodes.add(stateNode);
            runJob(q, "snapshot-load", Map.of("job-id", "snapshot-load-" + name, "tag", name, "vmstate", stateNode, "devices", nodes));
            q.execute("blockdev-del", Map.of("node-name", stateNode), Duration.ofSeconds(30));
            q.execute("cont", null, Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            vms.stop(vmid, true, Duration.ofSeconds(10), log);
            throw e instanceof QmpException q ? new GuestException(500, "VM " + vmid + " qmp command '" + q.command() + "' failed - " + q.getMessage()) : e;
        }
    }

    /** Delete snapshot {@code name} from disks and config; children are re-parented. */
    public void delete(int vmid, String name, boolean force, Consumer<String> log) {
        GuestConfig cfg = store.load(vmid);
        if (!force) store.checkLock(cfg);
        GuestConfig.Section snap = cfg.snapshots().get(name);
        if (snap == null) throw new GuestException(500, "snapshot '" + name + "' does not exist");
        boolean running = vms.isRunning(vmid);
        LinkedHashMap<String, String> snapDisks = disks(snap);
        LinkedHashMap<String, String> currentDisks = disks(cfg.current());
        for (var e : snapDisks.entrySet()) {
            try {
                if (running && e.getValue().equals(currentDisks.get(e.getKey()))) {
                    try (QmpClient q = vms.qmp(vmid)) {
                        q.execute("blockdev-snapshot-delete-internal-sync", Map.of("device", "drive-" + e.getKey(), "name", name), JOB_TIMEOUT);
                    }
                } else {
                    storage().deleteSnapshot(e.getValue(), name, running);
                }
            } catch (RuntimeException ex) {
                if (!force) throw ex instanceof QmpException q ? new GuestException(500, q.getMessage()) : ex;
                log(log, "WARN: " + ex.getMessage());
            }
        }
        String vmstate = snap.getOrNull("vmstate");
        if (vmstate != null) {
            try { storage().free(vmstate); } catch (RuntimeException ex) { log(log, "WARN: " + ex.getMessage()); }
        }
        store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            GuestConfig.Section s = c.snapshots().remove(name);
            String parent = s == null ? null : s.getOrNull("parent");
            for (GuestConfig.Section other : c.snapshots().values()) {
                if (name.equals(other.getOrNull("parent"))) {
                    if (parent == null) other.remove("parent"); else other.set("parent", parent);
                }
            }
            if (name.equals(c.get("parent").orElse(null))) {
                if (parent == null) c.remove("parent"); else c.set("parent", parent);
            }
            store.write(vmid, c);
            return null;
        });
    }

    /** Update a snapshot's description. */
    public void setDescription(int vmid, String name, String description) {
        store.locked(vmid, () -> {
            GuestConfig c = store.load(vmid);
            GuestConfig.Section s = c.snapshots().get(name);
            if (s == null) throw new GuestException(500, "snapshot '" + name + "' does not exist");
            s.description(description);
            store.write(vmid, c);
            return null;
        });
    }

    public Map<String, Object> config(int vmid, String name) { return service.config(vmid, true, name); }
}
