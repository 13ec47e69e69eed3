package org.haven.qemu.api;

import java.util.Collection;
import java.util.Map;

import org.haven.api.ApiException;
import org.haven.api.RequestContext;
import org.haven.guest.access.OptionAccess;
import org.haven.guest.config.GuestConfig;
import org.haven.qemu.config.QemuOptions;
import org.haven.guest.volume.StorageVolumes;
import org.haven.guest.volume.VolumeAccess;
import org.haven.storage.StorageException;
import org.haven.storage.volume.VolumeId;
import org.haven.storage.volume.VolumeIdCheck;
import org.haven.storage.volume.VolumeName;

/**
 * The caller-dependent checks of a VM config change, run by the API before anything is written: the
 * per-option privileges and root-only options of {@link OptionAccess#QEMU}, with volume names checked by
 * {@link VolumeIdCheck} against the node's storage.
 */
record QemuConfigAccess(RequestContext rc, VolumeAccess volumes, int vmid, GuestConfig cfg) implements OptionAccess.Context {

    /** Check options to set on VM {@code vmid} and keys to delete or revert in {@code cfg} (null on create). */
    static void check(RequestContext rc, VolumeAccess volumes, int vmid, Map<String, String> set, Collection<String> removed, GuestConfig cfg) {
        OptionAccess.check(OptionAccess.QEMU, new QemuConfigAccess(rc, volumes, vmid, cfg), set, removed);
    }

    /** {@code qm disk import}: the source, and a new volume on {@code storage}. */
    static void checkImport(RequestContext rc, VolumeAccess volumes, int vmid, String source, String storage) {
        QemuConfigAccess a = new QemuConfigAccess(rc, volumes, vmid, null);
        a.importSource("source", source);
        a.allocate("storage", storage);
    }

    /**
     * Clone to {@code newid}: {@code VM.Allocate} on the new guest, and for every disk of the copied config
     * {@code Datastore.AllocateSpace} on the storage it lands on ({@code storage}, else its own); CD-ROMs
     * are attached as they are, so they need read access (PVE's check_storage_access_clone).
     */
    static void checkClone(RequestContext rc, VolumeAccess volumes, int newid, Map<String, String> source, String storage) {
        if (!rc.hasPermission("/vms/" + newid, false, "VM.Allocate")) throw ApiException.forbidden("/vms/" + newid + ", VM.Allocate");
        QemuConfigAccess a = new QemuConfigAccess(rc, volumes, newid, null);
        for (var e : source.entrySet()) {
            if (!QemuOptions.isDisk(e.getKey())) continue;
            Map<String, String> d = QemuOptions.props(e.getKey(), e.getValue());
            String file = d.get("file");
            if (file == null || file.equals("none") || file.equals("cdrom")) continue;
            if ("cdrom".equals(d.get("media"))) {
                a.volume(e.getKey(), file);
            } else if (storage != null) {
                a.allocate(e.getKey(), storage);
            } else if (VolumeId.isVolumeId(file)) {
                a.allocate(e.getKey(), VolumeId.parse(file).storage());
            }
        }
    }

    @Override public String authid() { return rc.authid(); }

    @Override public String guestPath() { return "/vms/" + vmid; }

    @Override public String current(String key) {
        if (cfg == null) return null;
        return cfg.pending().has(key) ? cfg.pending().getOrNull(key) : cfg.current().getOrNull(key);
    }

    @Override public boolean has(String path, boolean any, String... privs) { return rc.hasPermission(path, any, privs); }

    @Override public Map<String, String> props(String key, String value) {
        return QemuOptions.format(key) == null ? Map.of() : QemuOptions.props(key, value);
    }

    @Override public void volume(String key, String volid) {
        VolumeIdCheck.checkAccess(key, authid(), this::has, this::parse, vmid, volid);
    }

    @Override public void importSource(String key, String source) {
        VolumeIdCheck.checkImportSource(key, authid(), this::has, this::parse, vmid, source);
    }

    @Override public void allocate(String key, String storage) {
        VolumeIdCheck.checkAllocate(authid(), this::has, storage);
    }

    private VolumeName parse(String volid) {
        if (!(volumes instanceof StorageVolumes sv)) throw new StorageException("unable to parse volume ID '" + volid + "'");
        return sv.storage().parseVolname(volid);
    }
}
