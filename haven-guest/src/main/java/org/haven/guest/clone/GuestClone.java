package org.haven.guest.clone;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;

import org.haven.guest.GuestService;
import org.haven.guest.GuestType;
import org.haven.guest.GuestVolumes;
import org.haven.guest.VolumeKeys;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.volume.StorageVolumes;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.Feature;

/**
 * Templates ({@code qm template}, {@code pct template}) and clones (linked or full) for every guest type. The
 * {@link GuestType} adjusts the clone's config (name, unique ids, MAC addresses) and copies volume content.
 */
public final class GuestClone {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final GuestService service;
    private final GuestType type;
    private final VolumeKeys keys;
    private final GuestConfigStore store;
    private final String word;

    public GuestClone(GuestService service) {
        this.service = service;
        this.type = service.type();
        this.keys = type.volumeKeys();
        this.store = service.store();
        this.word = type.guestWord();
    }

    private StorageManager storage() {
        if (service.volumes() instanceof StorageVolumes sv) return sv.storage();
        throw new GuestException(500, "clone feature is not available");
    }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    /** Convert a stopped guest into a template: its volumes become base volumes. */
    public void template(int vmid, Consumer<String> log) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            if (cfg.isTemplate()) throw new GuestException(500, word + " " + vmid + " is already a template");
            if (type.isRunning(vmid)) throw new GuestException(500, "you can't convert a running " + word + " to a template");
            if (!cfg.snapshots().isEmpty()) throw new GuestException(500, "you can't convert a " + word + " to template if " + word + " has snapshots");
            var disks = GuestVolumes.diskProps(keys, cfg.current().values());
            for (var e : disks.entrySet()) {
                String volid = e.getValue().get(keys.volumeProperty());
                if (volid.startsWith("/") || !storage().hasFeature(Feature.TEMPLATE, volid, null, false))
                    throw new GuestException(500, "template feature is not available for '" + e.getKey() + "'");
            }
            for (var e : disks.entrySet()) {
                LinkedHashMap<String, String> d = e.getValue();
                String base = storage().createBase(d.get(keys.volumeProperty()));
                log(log, e.getKey() + ": converted to base volume '" + base + "'");
                d.put(keys.volumeProperty(), base);
                cfg.set(e.getKey(), keys.print(e.getKey(), d));
            }
            cfg.set("template", "1");
            store.write(vmid, cfg);
            return null;
        });
    }

    /**
     * Clone {@code vmid} to {@code newid}. Linked clones ({@code full=false}) need a template; full clones copy
     * every volume through the guest type (the source must not run). {@code target} may name another storage for full clones.
     */
    public void clone(int vmid, int newid, String name, String description, boolean full, String targetStorage,
                      String format, String snapname, Consumer<String> log) {
        clone(vmid, newid, name, description, full, targetStorage, format, snapname, null, log);
    }

    /**
     * PVE's checks of a clone to node {@code targetNode} (null or this node: none): the node is a cluster member and
     * every volume of the clone ({@code vmid}'s, or its snapshot's, on {@code targetStorage} when given) is on shared
     * storage, since the new guest's config moves there and its volumes must be reachable from it.
     */
    public void checkTargetNode(int vmid, String snapname, String targetStorage, String targetNode) {
        if (targetNode == null || targetNode.equals(store.localNode())) return;
        if (!org.haven.guest.migrate.GuestMigrate.members(store.cfs()).containsKey(targetNode))
            throw new GuestException(500, "no such cluster node '" + targetNode + "'");
        GuestConfig src = store.load(vmid);
        GuestConfig.Section from = snapname == null ? src.current() : src.snapshots().get(snapname);
        if (from == null) throw new GuestException(500, "snapshot '" + snapname + "' does not exist");
        for (var d : GuestVolumes.diskProps(keys, from.values()).values()) {
            String volid = d.get(keys.volumeProperty());
            if (volid == null || volid.startsWith("/") || volid.indexOf(':') < 0) continue;
            String storageId = targetStorage != null ? targetStorage : volid.substring(0, volid.indexOf(':'));
            if (!storage().storage(storageId).shared())
                throw new GuestException(500, type.typeWord().equals("lxc") ? "Can't clone to other node - VM uses local storage"
                        : "can't clone VM to node '" + targetNode + "' (VM uses local storage)");
        }
    }

    /**
     * {@link #clone(int, int, String, String, boolean, String, String, String, Consumer) clone}, the new guest's
     * config then moved to node {@code targetNode} (PVE's {@code target}; shared storage only, see
     * {@link #checkTargetNode}) with its volumes deactivated here.
     */
    public void clone(int vmid, int newid, String name, String description, boolean full, String targetStorage,
                      String format, String snapname, String targetNode, Consumer<String> log) {
        String target = targetNode == null || targetNode.equals(store.localNode()) ? null : targetNode;
        checkTargetNode(vmid, snapname, targetStorage, target);
        GuestConfig src = store.load(vmid);
        boolean template = src.isTemplate();
        if (!template && !full) throw new GuestException(500, "parameter 'full' must be set to clone a " + word + " that is not a template (linked clones need a template)");
        store.checkUnused(newid);
        if (full && !template && type.isRunning(vmid)) throw new GuestException(500, "cloning a running " + word + " is not supported - shut it down first");
        GuestConfig.Section from = snapname == null ? src.current() : src.snapshots().get(snapname);
        if (from == null) throw new GuestException(500, "snapshot '" + snapname + "' does not exist");
        if (!full && targetStorage != null) throw new GuestException(500, "storage migration is only possible for full clones");

        store.create(newid, new GuestConfig().set("lock", "clone"));
        List<String> created = new ArrayList<>();
        try {
            GuestConfig cfg = new GuestConfig();
            from.values().forEach((k, v) -> {
                if (k.equals("lock") || k.equals("template") || k.equals("parent") || k.equals("snaptime") || k.equals("vmstate")
                        || k.equals("snapstate") || k.equals("runningmachine") || k.startsWith("unused")) return;
                cfg.set(k, v);
            });
            cfg.current().description(description != null ? description : from.description());
            type.prepareClone(cfg, from, vmid, name);
            for (var e : GuestVolumes.diskProps(keys, from.values()).entrySet()) {
                String key = e.getKey();
                LinkedHashMap<String, String> d = e.getValue();
                String volid = d.get(keys.volumeProperty());
                String newVol;
                if (!full) {
                    newVol = storage().cloneImage(volid, newid, snapname);
                    log(log, "create linked clone of drive " + key + " (" + volid + ")");
                } else {
                    newVol = fullCopy(volid, newid, targetStorage, format, snapname, log, key);
                }
                created.add(newVol);
                d.put(keys.volumeProperty(), newVol);
                if (full && format != null) d.remove("format");
                cfg.set(key, keys.print(key, d));
            }
            store.write(newid, cfg);
            if (target != null) {
                storage().deactivateVolumes(created);
                store.cfs().mkdirs("nodes/" + target + "/" + store.dir());
                store.cfs().rename(store.path(store.localNode(), newid), store.path(target, newid));
                log(log, "moved " + word + " " + newid + " to node '" + target + "'");
            }
        } catch (RuntimeException e) {
            for (String v : created) try { storage().free(v); } catch (RuntimeException ignored) { }
            store.destroy(newid);
            throw e;
        }
    }

    private String fullCopy(String volid, int newid, String targetStorage, String format, String snapname, Consumer<String> log, String key) {
        StorageManager sm = storage();
        String storageId = targetStorage != null ? targetStorage : volid.substring(0, volid.indexOf(':'));
        String fmt = format != null ? format : service.volumes().resolve(volid).format();
        long size = sm.size(volid);
        String newVol = sm.alloc(storageId, newid, fmt, null, size, type.volumeContent());
        log(log, "create full clone of drive " + key + " (" + volid + ")");
        try {
            type.copyVolume(volid, newVol, snapname, log);
        } catch (RuntimeException e) {
            try { sm.free(newVol); } catch (RuntimeException ignored) { }
            throw e;
        }
        return newVol;
    }

    /** A random unicast MAC with Proxmox's prefix BC:24:11, as PVE generates them. */
    public static String randomMac() {
        return org.haven.guest.config.MacAddress.random(org.haven.guest.config.MacAddress.DEFAULT_PREFIX, RANDOM);
    }
}
