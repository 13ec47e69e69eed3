package org.haven.guest.snapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.haven.core.time.Clock;
import org.haven.guest.GuestService;
import org.haven.guest.GuestType;
import org.haven.guest.GuestVolumes;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.volume.StorageVolumes;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.Feature;

/**
 * The snapshot tree as PVE's AbstractConfig does it, for every guest type: the config is copied into a
 * {@code [snapname]} section (with {@code snaptime}, {@code parent}, {@code vmstate}), the volumes get storage
 * snapshots, rollback restores config and volumes, delete removes both and re-parents the children. The
 * {@link GuestType} takes what differs: snapshots a running guest takes itself (QEMU's internal qcow2
 * snapshots), freeze/thaw around storage snapshots of a running guest, and the saved state ({@code vmstate})
 * with which a rollback resumes the guest where it was.
 */
public final class GuestSnapshots {

    private final GuestService service;
    private final GuestType type;
    private final GuestConfigStore store;
    private final Clock clock;

    public GuestSnapshots(GuestService service, Clock clock) {
        this.service = service;
        this.type = service.type();
        this.store = service.store();
        this.clock = clock;
    }

    private StorageManager storage() {
        if (service.volumes() instanceof StorageVolumes sv) return sv.storage();
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
        cur.put("running", type.isRunning(vmid) ? 1 : 0);
        cur.put("description", "You are here!");
        cfg.get("parent").ifPresent(p -> cur.put("parent", p));
        out.add(cur);
        return out;
    }

    /** Volume keys with their volume ids, for the given section (media and none excluded). */
    private LinkedHashMap<String, String> disks(GuestConfig.Section s) {
        return GuestVolumes.disks(type.volumeKeys(), s);
    }

    /** Create snapshot {@code name}, with the saved state (RAM) when {@code vmstate} and the guest runs. */
    public void create(int vmid, String name, boolean vmstate, String description, Consumer<String> log) {
        if (name.equals("current") || !GuestConfig.SNAPSHOT_NAME.matcher(name).matches())
            throw new GuestException(500, "invalid snapshot name '" + name + "'");
        boolean running = type.isRunning(vmid);
        boolean withState = vmstate && running && type.savesState();
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
                stateVolid = type.saveState(vmid, name, cfg, disks, log);
            } else if (running && type.snapshotsWhileRunning()) {
                for (var e : disks.entrySet()) {
                    log(log, "snapshotting '" + e.getKey() + "' (" + e.getValue() + ")");
                    type.snapshotRunningVolume(vmid, e.getKey(), e.getValue(), name);
                }
            } else {
                if (running) type.freeze(vmid, log);
                try {
                    for (var e : disks.entrySet()) {
                        log(log, "snapshotting '" + e.getKey() + "' (" + e.getValue() + ")");
                        storage().snapshot(e.getValue(), name);
                    }
                } finally {
                    if (running) type.thaw(vmid, log);
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
                try { if (!running || !type.snapshotsWhileRunning()) storage().deleteSnapshot(volid, name, false); } catch (RuntimeException ignored) { }
            }
            if (sv != null) try { storage().free(sv); } catch (RuntimeException ignored) { }
            throw e;
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

    /** Roll back to {@code name}: the guest is stopped, volumes and config restored; with a saved state the guest resumes where it was. */
    public void rollback(int vmid, String name, boolean start, Consumer<String> log) {
        GuestConfig cfg = store.load(vmid);
        store.checkLock(cfg);
        GuestConfig.Section snap = cfg.snapshots().get(name);
        if (snap == null) throw new GuestException(500, "snapshot '" + name + "' does not exist");
        if (snap.has("snapstate")) throw new GuestException(500, "unable to rollback to incomplete snapshot (snapstate = " + snap.getOrNull("snapstate") + ")");
        if (type.isRunning(vmid)) {
            log(log, "stopping " + type.guestWord() + " " + vmid);
            type.stop(vmid, Duration.ofSeconds(10), log);
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
            type.startFromState(vmid, name, vmstate, log);
        } else if (start) {
            type.start(vmid, log);
        }
    }

    /** Delete snapshot {@code name} from disks and config; children are re-parented. */
    public void delete(int vmid, String name, boolean force, Consumer<String> log) {
        GuestConfig cfg = store.load(vmid);
        if (!force) store.checkLock(cfg);
        GuestConfig.Section snap = cfg.snapshots().get(name);
        if (snap == null) throw new GuestException(500, "snapshot '" + name + "' does not exist");
        boolean running = type.isRunning(vmid);
        LinkedHashMap<String, String> snapDisks = disks(snap);
        LinkedHashMap<String, String> currentDisks = disks(cfg.current());
        for (var e : snapDisks.entrySet()) {
            try {
                if (running && type.snapshotsWhileRunning() && e.getValue().equals(currentDisks.get(e.getKey()))) {
                    type.deleteRunningVolumeSnapshot(vmid, e.getKey(), e.getValue(), name);
                } else {
                    storage().deleteSnapshot(e.getValue(), name, running && type.snapshotsWhileRunning());
                }
            } catch (RuntimeException ex) {
                if (!force) throw ex;
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
