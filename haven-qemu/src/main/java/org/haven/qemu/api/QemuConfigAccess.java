package org.haven.qemu.api;

import java.util.Collection;
import java.util.Map;

import org.haven.api.RequestContext;
import org.haven.guest.access.OptionAccess;
import org.haven.guest.config.GuestConfig;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.run.StorageVolumes;
import org.haven.qemu.run.VolumeAccess;
import org.haven.storage.StorageException;
import org.haven.storage.volume.VolumeIdCheck;
import org.haven.storage.volume.VolumeName;

/**
 * The caller-dependent checks of a VM config change, run by the API before anything is written: the
 * per-option privileges and root-only options of {@link OptionAccess#QEMU}, with volume names checked by
 * {@link VolumeIdCheck} against the node's storage.
 */
record QemuConfigAccess(RequestContext rc, VolumeAccess volumes, int vmid) implements OptionAccess.Context {

    /** Check options to set on VM {@code vmid} and keys to delete or revert in {@code cfg} (null on create). */
    static void check(RequestContext rc, VolumeAccess volumes, int vmid, Map<String, String> set, Collection<String> removed, GuestConfig cfg) {
        Map<String, String> old = OptionAccess.oldValues(removed,
                k -> cfg.pending().has(k) ? cfg.pending().getOrNull(k) : cfg.current().getOrNull(k));
        OptionAccess.check(OptionAccess.QEMU, new QemuConfigAccess(rc, volumes, vmid), set, old);
    }

    /** {@code qm disk import}: the source, and a new volume on {@code storage}. */
    static void checkImport(RequestContext rc, VolumeAccess volumes, int vmid, String source, String storage) {
        QemuConfigAccess a = new QemuConfigAccess(rc, volumes, vmid);
        a.importSource("source", source);
        a.allocate("storage", storage);
    }

    @Override public String authid() { return rc.authid(); }

    @Override public String guestPath() { return "/vms/" + vmid; }

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
