package org.haven.qemu;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.StorageVolumes;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.Feature;

/** Templates ({@code qm template}) and clones ({@code qm clone}, linked or {@code --full}). */
public final class QemuClone {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final QemuService service;
    private final VmManager vms;
    private final GuestConfigStore store;

    public QemuClone(QemuService service) {
        this.service = service;
        this.vms = service.vms();
        this.store = service.store();
    }

    private StorageManager storage() {
        if (vms.volumes() instanceof StorageVolumes sv) return sv.storage();
        throw new GuestException(500, "clone feature is not available");
    }

    private static void log(Consumer<String> log, String s) { if (log != null) log.accept(s); }

    /** Disk keys (no cdroms) with their parsed drive properties. */
    private static LinkedHashMap<String, LinkedHashMap<String, String>> disks(Map<String, String> conf) {
        LinkedHashMap<String, LinkedHashMap<String, String>> out = new LinkedHashMap<>();
        for (var e : conf.entrySet()) {
            if (!QemuOptions.isDisk(e.getKey())) continue;
            LinkedHashMap<String, String> d = QemuOptions.props(e.getKey(), e.getValue());
            String f = d.get("file");
            if (f == null || f.equals("none") || f.equals("cdrom") || "cdrom".equals(d.get("media"))) continue;
            out.put(e.getKey(), d);
        }
        return out;
    }

    /** Convert a stopped VM into a template: its disks become base volumes. */
    public void template(int vmid, Consumer<String> log) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            if (cfg.isTemplate()) throw new GuestException(500, "VM " + vmid + " is already a template");
            if (vms.isRunning(vmid)) throw new GuestException(500, "you can't convert a running VM to a template");
            if (!cfg.snapshots().isEmpty()) throw new GuestException(500, "you can't convert a VM to template if VM has snapshots");
            var disks = disks(cfg.current().values());
            for (var e : disks.entrySet()) {
                String volid = e.getValue().get("file");
                if (volid.startsWith("/") || !storage().hasFeature(Feature.TEMPLATE, volid, null, false))
                    throw new GuestException(500, "template feature is not available for '" + e.getKey() + "'");
            }
            for (var e : disks.entrySet()) {
                LinkedHashMap<String, String> d = e.getValue();
                String base = storage().createBase(d.get("file"));
                log(log, e.getKey() + ": converted to base volume '" + base + "'");
                d.put("file", base);
                cfg.set(e.getKey(), QemuOptions.print(e.getKey(), d));
            }
            cfg.set("template", "1");
            store.write(vmid, cfg);
            return null;
        });
    }

    /**
     * Clone {@code vmid} to {@code newid}. Linked clones ({@code full=false}) need a template; full clones copy
     * every disk with qemu-img (the source must not run). {@code target} may name another storage for full clones.
     */
    public void clone(int vmid, int newid, String name, String description, boolean full, String targetStorage,
                      String format, String snapname, Consumer<String> log) {
        GuestConfig src = store.load(vmid);
        boolean template = src.isTemplate();
        if (!template && !full) throw new GuestException(500, "parameter 'full' must be set to clone a VM that is not a template (linked clones need a template)");
        if (store.owner(newid).isPresent()) throw new GuestException(500, "unable to create VM " + newid + ": config file already exists");
        if (full && !template && vms.isRunning(vmid)) throw new GuestException(500, "cloning a running VM is not supported - shut it down first");
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
            String srcName = from.getOrNull("name");
            cfg.set("name", name != null ? name : srcName == null ? "Copy-of-VM-" + vmid : "Copy-of-VM-" + srcName);
            cfg.set("smbios1", newSmbios(from.getOrNull("smbios1")));
            if (cfg.current().has("vmgenid")) cfg.set("vmgenid", UUID.randomUUID().toString());
            for (int i = 0; i < 32; i++) {
                String k = "net" + i;
                if (!cfg.current().has(k)) continue;
                LinkedHashMap<String, String> n = QemuOptions.props(k, cfg.get(k).orElseThrow());
                n.put("macaddr", randomMac());
                cfg.set(k, QemuOptions.print(k, n));
            }
            for (var e : disks(from.values()).entrySet()) {
                String key = e.getKey();
                LinkedHashMap<String, String> d = e.getValue();
                String volid = d.get("file");
                String newVol;
                if (!full) {
                    newVol = storage().cloneImage(volid, newid, snapname);
                    log(log, "create linked clone of drive " + key + " (" + volid + ")");
                } else {
                    newVol = fullCopy(volid, newid, targetStorage, format, snapname, log, key);
                }
                created.add(newVol);
                d.put("file", newVol);
                if (full && format != null) d.remove("format");
                cfg.set(key, QemuOptions.print(key, d));
            }
            store.write(newid, cfg);
        } catch (RuntimeException e) {
            for (String v : created) try { storage().free(v); } catch (RuntimeException ignored) { }
            store.destroy(newid);
            throw e;
        }
    }

    private String fullCopy(String volid, int newid, String targetStorage, String format, String snapname, Consumer<String> log, String key) {
        StorageManager sm = storage();
        String storageId = targetStorage != null ? targetStorage : volid.substring(0, volid.indexOf(':'));
        var src = vms.volumes().resolve(volid);
        String fmt = format != null ? format : src.format();
        long size = sm.size(volid);
        String newVol = sm.alloc(storageId, newid, fmt, null, size);
        log(log, "create full clone of drive " + key + " (" + volid + ")");
        var dst = vms.volumes().resolve(newVol);
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "convert", "-p", "-n", "-f", src.format(), "-O", dst.format()));
        if (snapname != null && "qcow2".equals(src.format())) cmd.addAll(List.of("-l", "snapshot.name=" + snapname));
        cmd.add(src.path());
        cmd.add(dst.path());
        Proc.Result r = Proc.run(cmd, Duration.ofHours(6));
        if (!r.ok()) {
            try { sm.free(newVol); } catch (RuntimeException ignored) { }
            throw new GuestException(500, "clone failed: " + r.output().trim());
        }
        return newVol;
    }

    /** A new smbios1 value: the same fields with a fresh uuid. */
    static String newSmbios(String old) {
        LinkedHashMap<String, String> m = old == null ? new LinkedHashMap<>() : QemuOptions.props("smbios1", old);
        m.put("uuid", UUID.randomUUID().toString());
        return QemuOptions.print("smbios1", m);
    }

    /** A random unicast MAC with Proxmox's prefix BC:24:11, as PVE generates them. */
    public static String randomMac() {
        return org.haven.guest.config.MacAddress.random(org.haven.guest.config.MacAddress.DEFAULT_PREFIX, RANDOM);
    }
}
