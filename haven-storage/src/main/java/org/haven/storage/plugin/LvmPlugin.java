package org.haven.storage.plugin;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StoragePlugin;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.VolumeName;
import org.haven.storage.volume.VolumeNames;

/** LVM: each image is a logical volume {@code vm-<vmid>-<name>} in the volume group, tagged {@code pve-vm-<vmid>}. */
public class LvmPlugin implements StoragePlugin {
    protected final PluginContext ctx;
    protected final CommandRunner run;
    private final StorageType type;

    public LvmPlugin(PluginContext ctx) { this(ctx, StorageType.LVM); }

    protected LvmPlugin(PluginContext ctx, StorageType type) {
        this.ctx = ctx;
        this.run = ctx.runner();
        this.type = type;
    }

    @Override public StorageType type() { return type; }

    @Override public VolumeName parseVolname(String volname) { return VolumeNames.parseLvm(volname); }

    protected static String vg(StorageEntry s) { return s.require("vgname"); }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        return "/dev/" + vg(s) + "/" + vn.name();
    }

    @Override
    public void activateStorage(StorageEntry s) {
        if (Lvm.vgs(run).containsKey(vg(s))) return;
        // a VG on a freshly logged-in LUN may not be known yet
        run.run(List.of("vgscan", "--ignorelockingfailure", "--mknodes"));
        if (!Lvm.vgs(run).containsKey(vg(s))) throw new StorageException("volume group '" + vg(s) + "' not found");
    }

    @Override
    public void activateVolume(StorageEntry s, String volname, String snap) {
        run.check(List.of("lvchange", "-aly", vg(s) + "/" + parseVolname(volname).name()));
    }

    @Override
    public void deactivateVolume(StorageEntry s, String volname, String snap) {
        run.check(List.of("lvchange", "-aln", vg(s) + "/" + parseVolname(volname).name()));
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        Lvm.Vg vg = Lvm.vgs(run).get(vg(s));
        if (vg == null) return StorageStatus.INACTIVE;
        return new StorageStatus(vg.size(), vg.size() - vg.free(), vg.free(), true);
    }

    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        if (content != null && !content.isEmpty() && !content.contains(ContentType.IMAGES) && !content.contains(ContentType.ROOTDIR))
            return out;
        Pattern p = Pattern.compile("(vm|base)-(\\d{1,9})-\\S+");
        for (Lvm.Lv lv : Lvm.lvs(run, vg(s)).values()) {
            Matcher m = p.matcher(lv.name());
            if (!m.matches() || lv.isThinPool()) continue;
            int owner = Integer.parseInt(m.group(2));
            if (vmid != null && vmid != owner) continue;
            if (s.flag("tagged_only", false) && !lv.tags().contains("pve-vm-" + owner)) continue;
            out.add(new VolumeInfo(s.id() + ":" + lv.name(), ContentType.IMAGES, "raw", lv.size(), usedOf(lv), owner,
                    null, lv.ctime(), false, null));
        }
        return out;
    }

    protected long usedOf(Lvm.Lv lv) { return lv.size(); }

    protected String findFreeDiskname(StorageEntry s, int vmid) {
        Set<Integer> used = new HashSet<>();
        Pattern p = Pattern.compile("vm-" + vmid + "-disk-(\\d{1,9})");
        for (String name : Lvm.lvs(run, vg(s)).keySet()) {
            Matcher m = p.matcher(name);
            if (m.matches()) used.add(Integer.parseInt(m.group(1)));
        }
        for (int i = 0; i < 1000; i++) if (!used.contains(i)) return VolumeNames.diskName(vmid, i, "raw", false);
        throw new StorageException("unable to allocate an image name for VM " + vmid + " in storage '" + s.id() + "'");
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt != null && !fmt.equals("raw")) throw new StorageException("unsupported format '" + fmt + "'");
        if (name != null && !name.startsWith("vm-" + vmid + "-"))
            throw new StorageException("illegal name '" + name + "' - should be 'vm-" + vmid + "-*'");
        if (name != null) VolumeNames.checkLvmName(name);
        Lvm.Vg vg = Lvm.vgs(run).get(vg(s));
        if (vg == null) throw new StorageException("no such volume group '" + vg(s) + "'");
        if (vg.free() < size) throw new StorageException("not enough free space (" + Sizes.kib(vg.free()) + " < " + Sizes.kib(size) + ")");
        if (name == null) name = findFreeDiskname(s, vmid);
        run.check(List.of("lvcreate", "-aly", "-Wy", "--yes", "--size", Sizes.kib(size) + "k", "--name", name,
                "--addtag", "pve-vm-" + vmid, vg(s)));
        return name;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!Lvm.lvs(run, vg(s)).containsKey(vn.name())) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        if (s.flag("saferemove", false)) {
            // zero the data before giving the extents back, as PVE does for shared LVM
            List<String> cmd = new ArrayList<>(List.of("blkdiscard", "--zeroout", path(s, volname, null)));
            run.check(cmd);
        }
        run.check(List.of("lvremove", "-f", vg(s) + "/" + vn.name()));
    }

    @Override
    public long size(StorageEntry s, String volname) {
        Lvm.Lv lv = Lvm.lvs(run, vg(s)).get(parseVolname(volname).name());
        if (lv == null) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        return lv.size();
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        run.check(List.of("lvextend", "-L", Sizes.kib(size) + "k", vg(s) + "/" + parseVolname(volname).name()));
    }

    @Override
    public String rename(StorageEntry s, String volname, int targetVmid, String targetName) {
        VolumeName vn = parseVolname(volname);
        if (targetName == null) targetName = findFreeDiskname(s, targetVmid);
        if (Lvm.lvs(run, vg(s)).containsKey(targetName)) throw new StorageException("target volume '" + targetName + "' already exists");
        run.check(List.of("lvrename", vg(s), vn.name(), targetName));
        return targetName;
    }

    @Override
    public List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        if (snap != null || baseSnap != null || withSnapshots) return List.of();
        return List.of(ExportFormat.RAW_SIZE);
    }

    @Override
    public List<ExportFormat> importFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        return exportFormats(s, volname, snap, baseSnap, withSnapshots);
    }

    @Override
    public void exportVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                             boolean withSnapshots, OutputStream out) {
        if (format != ExportFormat.RAW_SIZE || withSnapshots || baseSnap != null)
            throw new StorageException("volume export format " + format + " not available for " + type.id());
        long size = size(s, volname);
        Sizes.writeHeader(out, size);
        DirPlugin.flush(out);
        List<String> cmd = List.of("dd", "if=" + path(s, volname, snap), "bs=64k", "status=none");
        CommandRunner.Result r = run.stream(cmd, Map.of(), null, out);
        if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
    }

    @Override
    public String importVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                               boolean withSnapshots, boolean allowRename, InputStream in) {
        if (format != ExportFormat.RAW_SIZE || withSnapshots || baseSnap != null)
            throw new StorageException("volume import format '" + format + "' not available for " + type.id());
        VolumeName vn = parseVolname(volname);
        String name = vn.name();
        if (Lvm.lvs(run, vg(s)).containsKey(name)) {
            if (!allowRename) throw new StorageException("volume " + vg(s) + "/" + name + " already exists");
            name = null;
        }
        long size = Sizes.readHeader(in);
        String alloc = alloc(s, vn.vmid(), "raw", name, size);
        try {
            // no conv=sparse: a new logical volume may hold old data, so zeros must be written
            List<String> cmd = List.of("dd", "of=" + path(s, alloc, null), "bs=64k", "status=none");
            CommandRunner.Result r = run.stream(cmd, Map.of(), in, null);
            if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
        } catch (RuntimeException e) {
            try { free(s, alloc); } catch (RuntimeException ignored) { }
            throw e;
        }
        return alloc;
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        String key = snap != null ? "snap" : vn.isBase() ? "base" : "current";
        return switch (feature) {
            case COPY -> !key.equals("snap");
            case RENAME -> key.equals("current");
            default -> false;
        };
    }
}
