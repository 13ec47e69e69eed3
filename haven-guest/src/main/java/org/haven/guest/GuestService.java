package org.haven.guest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.volume.VolumeAccess;

/**
 * Config operations every guest type shares, as PVE's {@code AbstractConfig} and the guest API code do them:
 * the config and pending views, applying pending changes (deleted volumes become {@code unusedN}, deleted
 * unused volumes are freed), volume ownership, protection, destroy with purge, and the guest's HA entry.
 */
public final class GuestService {

    private final GuestType type;
    private final VolumeKeys keys;
    private final GuestConfigStore store;
    private final VolumeAccess volumes;
    private final List<GuestPurge> purges;
    private final String word;

    /** @param purges what else a destroy with {@code purge} cleans (replication and backup jobs, …) */
    public GuestService(GuestType type, GuestConfigStore store, VolumeAccess volumes, List<GuestPurge> purges) {
        this.type = type;
        this.keys = type.volumeKeys();
        this.store = store;
        this.volumes = volumes;
        this.purges = List.copyOf(purges);
        this.word = type.guestWord();
    }

    public GuestType type() { return type; }
    public GuestConfigStore store() { return store; }
    public VolumeAccess volumes() { return volumes; }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    // ---- read ---------------------------------------------------------------------------------------

    /** GET config: the current values, or with pending values applied ({@code current=false}, PVE's default). */
    public Map<String, Object> config(int vmid, boolean current, String snapshot) {
        GuestConfig cfg = store.load(vmid);
        GuestConfig.Section s;
        if (snapshot != null) {
            s = cfg.snapshots().get(snapshot);
            if (s == null) throw new GuestException(500, "snapshot '" + snapshot + "' does not exist");
        } else {
            s = cfg.current();
        }
        TreeMap<String, Object> out = new TreeMap<>();
        s.values().forEach((k, v) -> out.put(k, type.typed(k, v)));
        if (s.description() != null) out.put("description", s.description());
        if (snapshot == null && !current) {
            cfg.pending().values().forEach((k, v) -> { if (!k.equals("delete")) out.put(k, type.typed(k, v)); });
            if (cfg.pending().description() != null) out.put("description", cfg.pending().description());
            for (String d : cfg.pendingDeletes().keySet()) out.remove(d);
        }
        out.put("digest", cfg.digest());
        return out;
    }

    /** GET pending: every key with its current {@code value}, {@code pending} value and {@code delete} flag (1, or 2 when forced). */
    public List<Map<String, Object>> pending(int vmid) {
        GuestConfig cfg = store.load(vmid);
        TreeMap<String, Map<String, Object>> out = new TreeMap<>();
        cfg.current().values().forEach((k, v) -> entry(out, k).put("value", type.typed(k, v)));
        if (cfg.current().description() != null) entry(out, "description").put("value", cfg.current().description());
        cfg.pending().values().forEach((k, v) -> { if (!k.equals("delete")) entry(out, k).put("pending", type.typed(k, v)); });
        if (cfg.pending().description() != null) entry(out, "description").put("pending", cfg.pending().description());
        cfg.pendingDeletes().forEach((k, force) -> entry(out, k).put("delete", force ? 2 : 1));
        return new ArrayList<>(out.values());
    }

    private static Map<String, Object> entry(TreeMap<String, Map<String, Object>> m, String k) {
        return m.computeIfAbsent(k, x -> {
            LinkedHashMap<String, Object> e = new LinkedHashMap<>();
            e.put("key", x);
            return e;
        });
    }

    // ---- pending ----------------------------------------------------------------------------------------

    /** Apply pending changes of a stopped guest: deleted disks become unused volumes, deleted unused volumes are freed. */
    public void applyPending(int vmid, GuestConfig cfg, Consumer<String> log) {
        for (var e : cfg.pendingDeletes().entrySet()) {
            String key = e.getKey();
            String old = cfg.current().getOrNull(key);
            if (old == null) continue;
            if (key.startsWith("unused")) {
                String volid = GuestVolumes.unusedVolume(old);
                if (isOwnedBy(volid, vmid) && !referencedElsewhere(cfg, key, volid)) {
                    log(log, "removing unused disk '" + volid + "'");
                    volumes.free(volid);
                }
            } else if (keys.isVolumeKey(key)) {
                Map<String, String> d = keys.parse(key, old);
                String file = d.get(keys.volumeProperty());
                if (file != null && !keys.isMedia(d) && !file.equals("none") && isOwnedBy(file, vmid)) {
                    if (!keys.keepsUnusedOnDelete(key) || e.getValue()) {
                        if (!referencedElsewhere(cfg, key, file)) volumes.free(file);
                    } else {
                        cfg.current().remove(key);
                        GuestVolumes.addUnused(cfg, file);
                    }
                }
            }
            cfg.current().remove(key);
        }
        // replaced disks: the old volume becomes unused
        for (var e : new TreeMap<>(cfg.pending().values()).entrySet()) {
            String key = e.getKey();
            if (!keys.isVolumeKey(key) || !keys.keepsUnusedOnDelete(key)) continue;
            String old = cfg.current().getOrNull(key);
            if (old == null) continue;
            String oldFile = keys.volume(key, old);
            String newFile = keys.volume(key, e.getValue());
            if (oldFile != null && !oldFile.equals(newFile) && isOwnedBy(oldFile, vmid)) {
                cfg.current().remove(key);
                GuestVolumes.addUnused(cfg, oldFile);
            }
        }
        applyPendingKeys(cfg);
    }

    /**
     * Apply the pending values and deletes of {@code keys} (and a pending description) at once, as PVE does for
     * options that take effect without a restart; the rest stays pending.
     */
    public static void applyNow(GuestConfig cfg, Set<String> keys) {
        for (String k : new ArrayList<>(cfg.pending().values().keySet())) {
            if (keys.contains(k)) {
                cfg.current().set(k, cfg.pending().getOrNull(k));
                cfg.pending().remove(k);
            }
        }
        if (cfg.pending().description() != null) {
            cfg.current().description(cfg.pending().description());
            cfg.pending().description(null);
        }
        var deletes = cfg.pendingDeletes();
        for (String k : new ArrayList<>(deletes.keySet())) {
            if (keys.contains(k)) {
                cfg.current().remove(k);
                deletes.remove(k);
            }
        }
        cfg.setPendingDeletes(deletes);
    }

    /** Move pending values into the config (deleted volumes become unused). */
    public void applyPendingKeys(GuestConfig cfg) {
        GuestVolumes.applyPending(keys, cfg);
    }

    /** Whether {@code volid} is a volume owned by guest {@code vmid} (not a path, ISO or another guest's volume). */
    public boolean isOwnedBy(String volid, int vmid) {
        if (volid == null || volid.startsWith("/") || volid.equals("none") || volid.equals("cdrom")) return false;
        Integer owner = volumes.owner(volid);
        return owner != null && owner == vmid;
    }

    private boolean referencedElsewhere(GuestConfig cfg, String exceptKey, String volid) {
        for (var e : cfg.current().values().entrySet()) {
            if (e.getKey().equals(exceptKey)) continue;
            if (volid.equals(GuestVolumes.volumeOf(keys, e.getKey(), e.getValue()))) return true;
        }
        for (GuestConfig.Section s : cfg.snapshots().values()) {
            for (var e : s.values().entrySet()) {
                if (!keys.isVolumeKey(e.getKey())) continue;
                if (volid.equals(keys.volume(e.getKey(), e.getValue()))) return true;
            }
        }
        return false;
    }
    // ---- destroy -------------------------------------------------------------------------------------

    /** Destroy a stopped guest: free every volume it owns and remove its config. */
    public void destroy(int vmid, boolean skiplock, Consumer<String> log) {
        destroy(vmid, skiplock, false, log);
    }

    /** Destroy; with {@code purge} the guest also leaves the HA resources and what the purge ports clean (replication and backup jobs, …). */
    public void destroy(int vmid, boolean skiplock, boolean purge, Consumer<String> log) {
        if (!purge && haResource(vmid).isPresent())
            throw new GuestException(500, "unable to remove " + word + " " + vmid + " - used in HA resources and purge parameter not set.");
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            if (!skiplock) store.checkLock(cfg);
            if ("1".equals(cfg.get("protection").orElse("0")))
                throw new GuestException(500, "can't remove " + word + " " + vmid + " - protection mode enabled");
            if (type.isRunning(vmid)) throw new GuestException(500, word + " " + vmid + " is running - destroy failed");
            Set<String> vols = new LinkedHashSet<>();
            List<GuestConfig.Section> sections = new ArrayList<>();
            sections.add(cfg.current());
            sections.add(cfg.pending());
            sections.addAll(cfg.snapshots().values());
            for (GuestConfig.Section s : sections) {
                for (var e : s.values().entrySet()) {
                    String k = e.getKey();
                    String f = GuestVolumes.volumeOf(keys, k, e.getValue());
                    if (f != null) {
                        if (isOwnedBy(f, vmid)) vols.add(f);
                    } else if (k.equals("vmstate") && isOwnedBy(e.getValue(), vmid)) {
                        vols.add(e.getValue());
                    }
                }
            }
            // base volumes of a template still used by linked clones keep the whole VM
            for (String v : vols) {
                if (v.contains("/base-") || v.contains(":base-")) {
                    try {
                        volumes.free(v);
                        log(log, "Removing image: " + v);
                    } catch (RuntimeException e) {
                        throw new GuestException(500, e.getMessage());
                    }
                }
            }
            for (String v : vols) {
                if (v.contains("/base-") || v.contains(":base-")) continue;
                try {
                    volumes.free(v);
                    log(log, "Removing image: " + v);
                } catch (RuntimeException e) {
                    log(log, "WARN: unable to free '" + v + "' - " + e.getMessage());
                }
            }
            store.destroy(vmid);
            type.cleanupFiles(vmid);
            if (purge) {
                log(log, "purging " + word + " " + vmid + " from related configurations..");
                purgeHa(vmid, log);
                for (GuestPurge p : purges) p.purge(type, vmid, log);
            }
            return null;
        });
    }
    // ---- HA --------------------------------------------------------------------------------------------

    public static final String HA_RESOURCES = "ha/resources.cfg";

    /** The guest's entry in {@code ha/resources.cfg} ({@code vm: <vmid>}, {@code ct: <vmid>}), if it is HA-managed. */
    public java.util.Optional<Map<String, String>> haResource(int vmid) {
        try {
            var text = store.cfs().readString(HA_RESOURCES);
            if (text.isEmpty()) return java.util.Optional.empty();
            var doc = org.haven.core.format.SectionConfig.parse(text.get());
            for (var sec : doc.sections()) {
                if (isHaResource(sec, vmid))
                    return java.util.Optional.of(sec.properties());
            }
        } catch (RuntimeException e) {
            // an unreadable HA config means: not managed as far as this view goes
        }
        return java.util.Optional.empty();
    }

    /** PVE's {@code ha} status object: {@code managed} 0/1 and the requested state. */
    public Map<String, Object> haStatus(int vmid) {
        var r = haResource(vmid);
        if (r.isEmpty()) return Map.of("managed", 0);
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("managed", 1);
        m.put("state", r.get().getOrDefault("state", "started"));
        if (r.get().get("group") != null) m.put("group", r.get().get("group"));
        return m;
    }

    private boolean isHaResource(org.haven.core.format.SectionConfig.Section sec, int vmid) {
        String prefix = type.haPrefix();
        return (sec.type().equals(prefix) && sec.id().equals(Integer.toString(vmid))) || sec.id().equals(prefix + ":" + vmid);
    }

    /** Remove the guest from {@code ha/resources.cfg} (destroy with purge). */
    private void purgeHa(int vmid, Consumer<String> log) {
        store.cfs().withLock("file-ha_resources_cfg", Duration.ofSeconds(10), () -> {
            var text = store.cfs().readString(HA_RESOURCES);
            if (text.isEmpty()) return null;
            var doc = org.haven.core.format.SectionConfig.parse(text.get());
            boolean removed = doc.sections().removeIf(sec -> isHaResource(sec, vmid));
            if (removed) {
                store.cfs().writeString(HA_RESOURCES, org.haven.core.format.SectionConfig.write(doc));
                log(log, "removed " + word + " " + vmid + " from the HA resources");
            }
            return null;
        });
    }
}
