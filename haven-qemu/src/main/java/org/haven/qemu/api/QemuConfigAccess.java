package org.haven.qemu.api;

import java.util.Collection;
import java.util.Map;

import org.haven.api.ApiException;
import org.haven.api.RequestContext;
import org.haven.guest.access.OptionAccess;
import org.haven.guest.access.RequestOptionAccess;
import org.haven.guest.config.GuestConfig;
import org.haven.qemu.config.QemuOptions;
import org.haven.guest.volume.VolumeAccess;
import org.haven.storage.volume.VolumeId;

/**
 * The caller-dependent checks of a VM config change, run by the API before anything is written: the
 * per-option privileges and root-only options of {@link OptionAccess#QEMU}, through the guest framework's
 * {@link RequestOptionAccess}.
 */
final class QemuConfigAccess {
    private QemuConfigAccess() {}

    private static RequestOptionAccess of(RequestContext rc, VolumeAccess volumes, int vmid, GuestConfig cfg) {
        return new RequestOptionAccess(rc, volumes, vmid, cfg,
                (key, value) -> QemuOptions.format(key) == null ? Map.of() : QemuOptions.props(key, value));
    }

    /** Check options to set on VM {@code vmid} and keys to delete or revert in {@code cfg} (null on create). */
    static void check(RequestContext rc, VolumeAccess volumes, int vmid, Map<String, String> set, Collection<String> removed, GuestConfig cfg) {
        OptionAccess.check(OptionAccess.QEMU, of(rc, volumes, vmid, cfg), set, removed);
    }

    /** {@code qm disk import}: the source, and a new volume on {@code storage}. */
    static void checkImport(RequestContext rc, VolumeAccess volumes, int vmid, String source, String storage) {
        RequestOptionAccess a = of(rc, volumes, vmid, null);
        a.importSource("source", source);
        a.allocate("storage", storage);
    }

    /**
     * Clone to {@code newid}: {@code VM.Allocate} on the new guest, and for every disk of the copied config
     * {@code Datastore.AllocateSpace} on the storage it lands on ({@code storage}, else its own); CD-ROMs
     * are attached as they are, so they need read access (PVE's check_storage_access_clone).
     */
    static void checkClone(RequestContext rc, VolumeAccess volumes, int newid, Map<String, String> source, String storage) {
        rc.requirePermission("/vms/" + newid, "VM.Allocate");
        RequestOptionAccess a = of(rc, volumes, newid, null);
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
}
