package org.haven.guest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.volume.StorageVolumes;
import org.haven.storage.ContentType;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.VolumeInfo;

/**
 * PVE's {@code qm rescan} and {@code pct rescan} for any guest type: volumes of the type's content on the enabled
 * storages of this node, owned by one of its guests but not referenced in its config (nor in a pending value or a
 * snapshot), become {@code unusedN}; volume sizes in the config are updated from the storage.
 */
public final class GuestRescan {
    private GuestRescan() {}

    /** Rescan every local guest of {@code guests}' type, or only {@code onlyVmid}; returns the log lines. */
    public static List<String> rescan(GuestService guests, Integer onlyVmid, boolean dryrun) {
        List<String> out = new ArrayList<>();
        if (!(guests.volumes() instanceof StorageVolumes sv)) return out;
        StorageManager sm = sv.storage();
        GuestConfigStore store = guests.store();
        VolumeKeys keys = guests.type().volumeKeys();
        String word = guests.type().guestWord();
        var content = guests.type().volumeContent();
        TreeMap<Integer, List<VolumeInfo>> byGuest = new TreeMap<>();
        for (var entry : sm.config().entries()) {
            if (entry.disabled() || !entry.availableOn(store.localNode()) || !entry.content().contains(content)) continue;
            try {
                // images and subvolumes both: a VMID owns the volumes of one guest only
                for (VolumeInfo vi : sm.list(entry.id(), onlyVmid, Set.of(ContentType.IMAGES, ContentType.ROOTDIR)))
                    if (vi.vmid() != null) byGuest.computeIfAbsent(vi.vmid(), k -> new ArrayList<>()).add(vi);
            } catch (RuntimeException e) {
                out.add("storage '" + entry.id() + "': " + e.getMessage());
            }
        }
        out.add("rescan volumes...");
        for (var e : store.list().entrySet()) {
            int vmid = e.getKey();
            if (!e.getValue().equals(store.localNode()) || (onlyVmid != null && onlyVmid != vmid)) continue;
            List<VolumeInfo> vols = byGuest.getOrDefault(vmid, List.of());
            store.locked(vmid, () -> {
                GuestConfig cfg = store.load(vmid);
                boolean changed = false;
                Set<String> referenced = new HashSet<>();
                List<GuestConfig.Section> sections = new ArrayList<>(List.of(cfg.current(), cfg.pending()));
                sections.addAll(cfg.snapshots().values());
                for (GuestConfig.Section sec : sections) {
                    for (var kv : sec.values().entrySet()) {
                        String v = kv.getKey().equals("vmstate") ? kv.getValue() : GuestVolumes.volumeOf(keys, kv.getKey(), kv.getValue());
                        if (v != null) referenced.add(v);
                    }
                }
                for (VolumeInfo vi : vols) {
                    if (referenced.contains(vi.volid()) || vi.volid().contains("-state-")) continue;
                    String key = GuestVolumes.addUnused(cfg, vi.volid());
                    out.add(word + " " + vmid + ": add unreferenced volume '" + vi.volid() + "' as '" + key + "' to config");
                    changed = true;
                }
                for (var kv : GuestVolumes.diskProps(keys, new TreeMap<>(cfg.current().values())).entrySet()) {
                    LinkedHashMap<String, String> d = kv.getValue();
                    for (VolumeInfo vi : vols) {
                        if (!vi.volid().equals(d.get(keys.volumeProperty())) || vi.size() <= 0) continue;
                        String size = GuestVolumes.formatSize(vi.size());
                        if (size.equals(d.get("size"))) continue;
                        out.add(word + " " + vmid + " (" + kv.getKey() + "): size of disk '" + vi.volid() + "' updated from "
                                + d.getOrDefault("size", "0") + " to " + size);
                        d.put("size", size);
                        cfg.set(kv.getKey(), keys.print(kv.getKey(), d));
                        changed = true;
                    }
                }
                if (changed && !dryrun) store.write(vmid, cfg);
                return null;
            });
        }
        return out;
    }
}
