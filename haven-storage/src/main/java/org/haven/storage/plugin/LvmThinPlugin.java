package org.haven.storage.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.volume.VolumeName;

/**
 * LVM-thin: thin volumes in a thin pool; snapshots are thin snapshots {@code snap_<volume>_<snap>}, templates are
 * read-only {@code base-} volumes, linked clones are writable thin snapshots of them.
 */
public class LvmThinPlugin extends LvmPlugin {

    public LvmThinPlugin(PluginContext ctx) { super(ctx, StorageType.LVMTHIN); }

    static String pool(StorageEntry s) { return s.require("thinpool"); }

    static String snapName(String name, String snap) { return "snap_" + name + "_" + snap; }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        String name = parseVolname(volname).name();
        return "/dev/" + vg(s) + "/" + (snap == null ? name : snapName(name, snap));
    }

    @Override
    public void activateStorage(StorageEntry s) {
        super.activateStorage(s);
        Lvm.Lv pool = Lvm.lvs(run, vg(s)).get(pool(s));
        if (pool == null || !pool.isThinPool())
            throw new StorageException("no such thin pool '" + vg(s) + "/" + pool(s) + "'");
    }

    @Override
    public void activateVolume(StorageEntry s, String volname, String snap) {
        String name = parseVolname(volname).name();
        String lv = snap == null ? name : snapName(name, snap);
        run.check(List.of("lvchange", "-ay", "-K", vg(s) + "/" + lv));
    }

    @Override
    public void deactivateVolume(StorageEntry s, String volname, String snap) {
        String name = parseVolname(volname).name();
        String lv = snap == null ? name : snapName(name, snap);
        run.check(List.of("lvchange", "-an", vg(s) + "/" + lv));
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        Map<String, Lvm.Lv> lvs;
        try {
            lvs = Lvm.lvs(run, vg(s));
        } catch (RuntimeException e) {
            return StorageStatus.INACTIVE;
        }
        Lvm.Lv pool = lvs.get(pool(s));
        if (pool == null) return StorageStatus.INACTIVE;
        long used = (long) (pool.size() * pool.dataPercent() / 100.0);
        return new StorageStatus(pool.size(), used, pool.size() - used, true);
    }

    @Override
    protected long usedOf(Lvm.Lv lv) { return (long) (lv.size() * lv.dataPercent() / 100.0); }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt != null && !fmt.equals("raw")) throw new StorageException("unsupported format '" + fmt + "'");
        if (name != null && !name.startsWith("vm-" + vmid + "-"))
            throw new StorageException("illegal name '" + name + "' - should be 'vm-" + vmid + "-*'");
        if (name == null) name = findFreeDiskname(s, vmid);
        run.check(List.of("lvcreate", "-aly", "-V", Sizes.kib(size) + "k", "--name", name, "--thinpool", vg(s) + "/" + pool(s)));
        return name;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        Map<String, Lvm.Lv> lvs = Lvm.lvs(run, vg(s));
        if (!lvs.containsKey(vn.name())) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        String prefix = "snap_" + vn.name() + "_";
        for (String lv : lvs.keySet()) if (lv.startsWith(prefix)) run.check(List.of("lvremove", "-f", vg(s) + "/" + lv));
        run.check(List.of("lvremove", "-f", vg(s) + "/" + vn.name()));
    }

    @Override
    public List<String> snapshots(StorageEntry s, String volname) {
        String prefix = "snap_" + parseVolname(volname).name() + "_";
        List<String> out = new ArrayList<>();
        for (String lv : Lvm.lvs(run, vg(s)).keySet()) if (lv.startsWith(prefix)) out.add(lv.substring(prefix.length()));
        return out;
    }

    @Override
    public void snapshot(StorageEntry s, String volname, String snap) {
        String name = parseVolname(volname).name();
        run.check(List.of("lvcreate", "-n", snapName(name, snap), "-pr", "-s", vg(s) + "/" + name));
    }

    @Override
    public void rollback(StorageEntry s, String volname, String snap) {
        String name = parseVolname(volname).name();
        run.check(List.of("lvremove", "-f", vg(s) + "/" + name));
        run.check(List.of("lvcreate", "-kn", "-n", name, "-s", vg(s) + "/" + snapName(name, snap)));
    }

    @Override
    public void deleteSnapshot(StorageEntry s, String volname, String snap, boolean running) {
        run.check(List.of("lvremove", "-f", vg(s) + "/" + snapName(parseVolname(volname).name(), snap)));
    }

    @Override
    public String createBase(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (vn.isBase()) throw new StorageException("create_base not possible with base image");
        for (String snap : snapshots(s, volname))
            throw new StorageException("unable to create base volume - found snapshot '" + snapName(vn.name(), snap) + "'");
        String newName = vn.name().replaceFirst("^vm-", "base-");
        run.check(List.of("lvrename", vg(s), vn.name(), newName));
        // inactive, read-only and skipped on activation; failing to set the flags is not fatal (as PVE)
        run.run(List.of("lvchange", "-an", "-pr", "-ky", vg(s) + "/" + newName));
        return newName;
    }

    @Override
    public String cloneImage(StorageEntry s, String volname, int vmid, String snap) {
        VolumeName vn = parseVolname(volname);
        String source;
        if (snap != null) {
            source = snapName(vn.name(), snap);
        } else {
            if (!vn.isBase()) throw new StorageException("clone_image only works on base images");
            source = vn.name();
        }
        String name = findFreeDiskname(s, vmid);
        run.check(List.of("lvcreate", "-n", name, "-prw", "-kn", "-s", vg(s) + "/" + source));
        return name;
    }

    @Override
    public List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        if (baseSnap != null || withSnapshots) return List.of();
        return List.of(ExportFormat.RAW_SIZE);
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        String key = snap != null ? "snap" : vn.isBase() ? "base" : "current";
        return switch (feature) {
            case SNAPSHOT -> key.equals("current") || key.equals("snap");
            case CLONE -> key.equals("base") || key.equals("snap");
            case TEMPLATE -> key.equals("current");
            case COPY -> true;
            case SPARSEINIT -> !key.equals("snap");
            case RENAME -> key.equals("current");
            case SNAPSHOT_ROLLBACK_TO_OLDER -> true;
        };
    }
}
