package org.haven.storage.volume;

import java.util.function.Function;
import org.haven.api.ApiException;
import org.haven.core.schema.ParamException;
import org.haven.storage.ContentType;

/**
 * The one check of volume IDs and paths a caller names (disks, import sources, snippets, storage content):
 * no {@code ..} path segment for anybody (400), absolute paths for {@code root@pam} only, and PVE's
 * {@code check_volume_access} for everything else. Pure: privileges and volume names come in as functions.
 */
public final class VolumeIdCheck {
    private VolumeIdCheck() {}

    public static final String ROOT = "root@pam";
    public static final String ARBITRARY_PATHS = "Only root can pass arbitrary filesystem paths.";

    /** The caller's privileges, as {@code RequestContext.hasPermission}: all (or, with {@code any}, one) of {@code privs} on {@code path}. */
    @FunctionalInterface
    public interface Privileges {
        boolean has(String path, boolean any, String... privs);
    }

    /** Refuse a {@code ..} segment in a volume name or path, for every caller (400 on {@code param}). */
    public static void checkSegments(String param, String volidOrPath) {
        String path = VolumeId.isVolumeId(volidOrPath) ? VolumeId.parse(volidOrPath).volname() : volidOrPath;
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..")) throw ParamException.of(param, "invalid volume '" + volidOrPath + "' - path component '..' is not allowed");
        }
    }

    /**
     * PVE's {@code check_volume_access} for {@code authid} using the volume on behalf of guest {@code vmid}
     * (null: no guest). Root passes; an absolute path is root's only (403 {@value #ARBITRARY_PATHS}); ISO
     * images, templates and import sources need {@code Datastore.Audit} or {@code Datastore.AllocateSpace} on
     * the storage; the guest's own volumes pass; backups of another guest need {@code Datastore.AllocateSpace}
     * plus {@code VM.Backup} on it; images of another guest need {@code Datastore.Audit} plus
     * {@code VM.Config.Disk} on it; everything else (snippets, unowned images) needs {@code Datastore.Allocate}.
     */
    public static void checkAccess(String param, String authid, Privileges privs, Function<String, VolumeName> parse,
                                   Integer vmid, String volid) {
        checkSegments(param, volid);
        if (ROOT.equals(authid)) return;
        if (!VolumeId.isVolumeId(volid)) throw new ApiException(403, ARBITRARY_PATHS);
        String storage = "/storage/" + VolumeId.parse(volid).storage();
        VolumeName vn = parse.apply(volid);
        ContentType vtype = vn.vtype();
        Integer owner = vn.vmid();
        if (vtype == ContentType.ISO || vtype == ContentType.VZTMPL || vtype == ContentType.IMPORT) {
            require(privs, storage, true, "Datastore.AllocateSpace", "Datastore.Audit");
        } else if (owner != null && owner.equals(vmid)) {
            return;
        } else if (vtype == ContentType.BACKUP && owner != null) {
            require(privs, storage, false, "Datastore.AllocateSpace");
            require(privs, "/vms/" + owner, false, "VM.Backup");
        } else if ((vtype == ContentType.IMAGES || vtype == ContentType.ROOTDIR) && owner != null) {
            require(privs, storage, false, "Datastore.Audit");
            require(privs, "/vms/" + owner, false, "VM.Config.Disk");
        } else {
            require(privs, storage, false, "Datastore.Allocate");
        }
    }

    /** {@link #checkAccess} as a yes/no answer (for filtering lists). */
    public static boolean mayAccess(String authid, Privileges privs, Function<String, VolumeName> parse, Integer vmid, String volid) {
        try {
            checkAccess("volume", authid, privs, parse, vmid, volid);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The source of a disk import ({@code import-from}, {@code qm disk import}): an image or import volume,
     * where a guest's image needs {@code VM.Clone} on that guest; anything else as {@link #checkAccess}.
     */
    public static void checkImportSource(String param, String authid, Privileges privs, Function<String, VolumeName> parse,
                                         Integer vmid, String source) {
        checkSegments(param, source);
        if (VolumeId.isVolumeId(source)) {
            VolumeName vn = parse.apply(source);
            if (vn.vtype() != ContentType.IMAGES && vn.vtype() != ContentType.IMPORT)
                throw ParamException.of(param, source + " has wrong type '" + vn.vtype().id() + "' - needs to be 'images' or 'import'");
            if (vn.vmid() != null) {
                if (!ROOT.equals(authid)) require(privs, "/vms/" + vn.vmid(), false, "VM.Clone");
                return;
            }
        }
        checkAccess(param, authid, privs, parse, vmid, source);
    }

    /** A new volume on {@code storage} needs {@code Datastore.AllocateSpace} there. */
    public static void checkAllocate(String authid, Privileges privs, String storage) {
        if (!ROOT.equals(authid)) require(privs, "/storage/" + storage, false, "Datastore.AllocateSpace");
    }

    private static void require(Privileges privs, String path, boolean any, String... wanted) {
        if (!privs.has(path, any, wanted)) throw ApiException.forbidden(path + ", " + String.join(any ? "|" : ", ", wanted));
    }
}
