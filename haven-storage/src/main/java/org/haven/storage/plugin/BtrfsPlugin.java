package org.haven.storage.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.FileLayout;
import org.haven.storage.volume.VolumeName;
import org.haven.storage.volume.VolumeNames;

/**
 * BTRFS: a directory storage whose images are subvolumes. A raw image {@code <vmid>/vm-<vmid>-disk-<n>.raw} is the
 * subvolume {@code images/<vmid>/vm-<vmid>-disk-<n>} holding {@code disk.raw}; a container volume
 * {@code …subvol} is the subvolume itself. Snapshots are read-only subvolumes {@code <name>@<snap>}, clones are
 * writable snapshots, and the {@code btrfs} transfer format is {@code btrfs send}/{@code receive}.
 */
public class BtrfsPlugin extends DirPlugin {

    public BtrfsPlugin(PluginContext ctx) { super(ctx, StorageType.BTRFS); }

    @Override
    public VolumeName parseVolname(String volname) { return VolumeNames.parseBtrfs(volname); }

    /** The subvolume of an image (without the snapshot suffix). */
    public Path subvol(StorageEntry s, VolumeName vn) {
        String n = vn.name();
        return imageDir(s, vn.vmid()).resolve(n.substring(0, n.lastIndexOf('.')));
    }

    private Path snapPath(Path subvol, String snap) {
        return subvol.resolveSibling(subvol.getFileName() + "@" + snap);
    }

    private boolean isImage(VolumeName vn) {
        return vn.vtype() == ContentType.IMAGES && vn.vmid() != null && vn.format() != null
                && (vn.format().equals("raw") || vn.format().equals("subvol"));
    }

    @Override
    public Path filePath(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) return super.filePath(s, volname);
        Path sv = subvol(s, vn);
        return vn.format().equals("raw") ? sv.resolve("disk.raw") : sv;
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn) || snap == null) return filePath(s, volname).toString();
        Path sp = snapPath(subvol(s, vn), snap);
        return (vn.format().equals("raw") ? sp.resolve("disk.raw") : sp).toString();
    }

    private void btrfs(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("btrfs");
        cmd.addAll(List.of(args));
        run.check(cmd);
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt == null) fmt = s.format();
        if (!fmt.equals("raw") && !fmt.equals("subvol")) throw new StorageException("unsupported format '" + fmt + "'");
        Path dir = imageDir(s, vmid);
        mkdirs(dir);
        if (name == null || name.isEmpty()) name = findFreeDiskname(s, vmid, fmt, true);
        VolumeName vn = parseVolname(vmid + "/" + name);
        if (!fmt.equals(vn.format()))
            throw new StorageException("illegal name '" + name + "' - wrong extension for format ('" + vn.format() + " != '" + fmt + "')");
        Path sv = subvol(s, vn);
        if (Files.exists(sv)) throw new StorageException("disk image '" + sv + "' already exists");
        btrfs("subvolume", "create", "--", sv.toString());
        try {
            if (fmt.equals("raw")) {
                if (s.flag("nocow", false)) run.check(List.of("chattr", "+C", sv.toString()));
                String pre = preallocationOption(s, "raw");
                run.check(List.of("qemu-img", "create", "-o", pre, "-f", "raw", sv.resolve("disk.raw").toString(), Sizes.kib(size) + "K"));
            } else if (size > 0) {
                btrfs("qgroup", "limit", Sizes.kib(size) + "k", sv.toString());
            }
        } catch (RuntimeException e) {
            run.run(List.of("btrfs", "subvolume", "delete", "--", sv.toString()));
            throw e;
        }
        return vmid + "/" + name;
    }

    /** Snapshot names of an image, sorted by name. */
    @Override
    public List<String> snapshots(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) return List.of();
        Path sv = subvol(s, vn);
        String prefix = sv.getFileName() + "@";
        List<String> out = new ArrayList<>();
        try (Stream<Path> l = Files.list(sv.getParent())) {
            l.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted()
                    .forEach(n -> out.add(n.substring(prefix.length())));
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) { super.free(s, volname); return; }
        Path sv = subvol(s, vn);
        if (!Files.exists(sv)) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        for (String snap : snapshots(s, volname)) btrfs("subvolume", "delete", "--", snapPath(sv, snap).toString());
        if (vn.isBase()) btrfs("property", "set", "-ts", sv.toString(), "ro", "false");
        btrfs("subvolume", "delete", "--", sv.toString());
    }

    @Override
    public long size(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (isImage(vn) && vn.format().equals("subvol")) {
            if (!Files.isDirectory(subvol(s, vn))) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
            return 0;
        }
        return super.size(s, volname);
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        VolumeName vn = parseVolname(volname);
        if (isImage(vn) && vn.format().equals("subvol")) {
            btrfs("qgroup", "limit", Sizes.kib(size) + "k", subvol(s, vn).toString());
            return;
        }
        super.resize(s, volname, size, running);
    }

    @Override
    public void snapshot(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("can't snapshot this image format");
        Path sv = subvol(s, vn);
        btrfs("subvolume", "snapshot", "-r", "--", sv.toString(), snapPath(sv, snap).toString());
    }

    @Override
    public void rollback(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("can't snapshot this image format");
        Path sv = subvol(s, vn);
        Path sp = snapPath(sv, snap);
        if (!Files.isDirectory(sp)) throw new StorageException("snapshot '" + snap + "' does not exist");
        Path tmp = sv.resolveSibling(sv.getFileName() + ".tmp." + ProcessHandle.current().pid());
        try {
            Files.move(sv, tmp);
        } catch (IOException e) {
            throw new StorageException("failed to rename '" + sv + "' to '" + tmp + "' - " + e.getMessage(), e);
        }
        try {
            btrfs("subvolume", "snapshot", "--", sp.toString(), sv.toString());
        } catch (RuntimeException e) {
            try { Files.move(tmp, sv); } catch (IOException ignored) { }
            throw e;
        }
        run.run(List.of("btrfs", "subvolume", "delete", "--", tmp.toString()));
    }

    @Override
    public void deleteSnapshot(StorageEntry s, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("can't snapshot this image format");
        btrfs("subvolume", "delete", "--", snapPath(subvol(s, vn), snap).toString());
    }

    @Override
    public String createBase(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("create_base not possible with types other than images");
        if (vn.isBase()) throw new StorageException("create_base not possible with base image");
        Path sv = subvol(s, vn);
        String newName = vn.name().replaceFirst("^(vm|subvol)-", "base-");
        String newVolname = vn.vmid() + "/" + newName;
        Path nsv = subvol(s, parseVolname(newVolname));
        if (Files.exists(nsv)) throw new StorageException("file '" + nsv + "' already exists");
        try {
            Files.move(sv, nsv);
        } catch (IOException e) {
            throw new StorageException("rename '" + sv + "' to '" + nsv + "' failed - " + e.getMessage(), e);
        }
        btrfs("property", "set", "-ts", nsv.toString(), "ro", "true");
        return newVolname;
    }

    @Override
    public String cloneImage(StorageEntry s, String volname, int vmid, String snap) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("clone_image on wrong vtype '" + vn.vtype() + "'");
        Path src = snap == null ? subvol(s, vn) : snapPath(subvol(s, vn), snap);
        if (snap == null && !vn.isBase()) throw new StorageException("clone_image only works on base images");
        String fmt = vn.format();
        mkdirs(imageDir(s, vmid));
        String name = findFreeDiskname(s, vmid, fmt, true);
        String newVol = vmid + "/" + name;
        btrfs("subvolume", "snapshot", "--", src.toString(), subvol(s, parseVolname(newVol)).toString());
        return newVol;
    }

    @Override
    public String rename(StorageEntry s, String volname, int targetVmid, String targetName) {
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("rename is only possible for images");
        if (targetName == null) targetName = findFreeDiskname(s, targetVmid, vn.format(), true);
        mkdirs(imageDir(s, targetVmid));
        String newVol = targetVmid + "/" + targetName;
        Path from = subvol(s, vn);
        Path to = subvol(s, parseVolname(newVol));
        if (Files.exists(to)) throw new StorageException("target volume '" + targetName + "' already exists");
        try {
            for (String snap : snapshots(s, volname)) Files.move(snapPath(from, snap), snapPath(to, snap));
            Files.move(from, to);
        } catch (IOException e) {
            throw new StorageException("rename '" + from + "' to '" + to + "' failed - " + e.getMessage(), e);
        }
        return newVol;
    }

    @Override
    protected List<VolumeInfo> listImages(StorageEntry s, Integer vmid, Set<ContentType> want) {
        List<VolumeInfo> out = new ArrayList<>();
        Path images = FileLayout.subdir(base(s), ContentType.IMAGES, s.contentDirs());
        if (!Files.isDirectory(images)) return out;
        try (Stream<Path> dirs = Files.list(images)) {
            for (Path d : dirs.sorted().toList()) {
                String owner = d.getFileName().toString();
                if (!owner.matches("\\d{1,9}")) continue;
                if (vmid != null && vmid != Integer.parseInt(owner)) continue;
                try (Stream<Path> l = Files.list(d)) {
                    for (Path sv : l.sorted().toList()) {
                        String n = sv.getFileName().toString();
                        if (!n.matches("(vm|base|subvol)-" + owner + "-[^/@\\s.]+") || !Files.isDirectory(sv)) continue;
                        boolean raw = Files.exists(sv.resolve("disk.raw"));
                        ContentType ct = raw ? ContentType.IMAGES : ContentType.ROOTDIR;
                        if (!want.contains(ct)) continue;
                        String volname = owner + "/" + n + (raw ? ".raw" : ".subvol");
                        long size = 0;
                        long used = 0;
                        if (raw) {
                            ImageInfo info = imageInfo(sv.resolve("disk.raw"));
                            size = info.size();
                            used = info.used();
                        }
                        out.add(new VolumeInfo(s.id() + ":" + volname, ct, raw ? "raw" : "subvol", size, used,
                                Integer.valueOf(owner), null, Files.getLastModifiedTime(sv).toMillis() / 1000, false, null));
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageException("unable to list images on '" + s.id() + "' - " + e.getMessage(), e);
        }
        return out;
    }

    private static java.util.Set<String> listNames(Path dir) {
        try (Stream<Path> l = Files.list(dir)) {
            return new java.util.TreeSet<>(l.map(p -> p.getFileName().toString()).toList());
        } catch (IOException e) {
            throw new StorageException("unable to list '" + dir + "' - " + e.getMessage(), e);
        }
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        String key = snap != null ? "snap" : vn.isBase() ? "base" : "current";
        String f = vn.format();
        Set<String> ok = switch (feature) {
            case SNAPSHOT -> key.equals("base") ? Set.of() : Set.of("raw", "subvol");
            case CLONE -> key.equals("base") ? Set.of("raw", "subvol") : Set.of("raw");
            case TEMPLATE -> key.equals("current") ? Set.of("raw", "subvol") : Set.of();
            case COPY -> Set.of("raw", "subvol");
            case SPARSEINIT -> key.equals("snap") ? Set.of() : Set.of("raw");
            case RENAME -> key.equals("current") ? Set.of("raw", "subvol") : Set.of();
            case SNAPSHOT_ROLLBACK_TO_OLDER -> Set.of("raw", "subvol");
        };
        return f != null && ok.contains(f);
    }

    // ---- btrfs send/receive -----------------------------------------------------------------------------------------

    @Override
    public List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        VolumeName vn = parseVolname(volname);
        List<ExportFormat> out = new ArrayList<>();
        if (isImage(vn) && snap != null) out.add(ExportFormat.BTRFS);
        if (baseSnap == null) out.addAll(super.exportFormats(s, volname, snap, null, withSnapshots));
        return out;
    }

    @Override
    public List<ExportFormat> importFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        VolumeName vn = parseVolname(volname);
        List<ExportFormat> out = new ArrayList<>();
        if (isImage(vn)) out.add(ExportFormat.BTRFS);
        if (baseSnap == null && snap == null) out.addAll(super.exportFormats(s, volname, null, null, withSnapshots));
        return out;
    }

    @Override
    public void exportVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                             boolean withSnapshots, OutputStream out) {
        if (format != ExportFormat.BTRFS) {
            super.exportVolume(s, volname, format, snap, baseSnap, withSnapshots, out);
            return;
        }
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("volume export format btrfs not available for " + volname);
        if (snap == null) throw new StorageException("btrfs-sending volumes requires snapshots");
        Path sv = subvol(s, vn);
        List<String> snaps = new ArrayList<>();
        if (withSnapshots) {
            for (String x : snapshots(s, volname)) {
                snaps.add(x);
                if (x.equals(snap)) break;
            }
            if (!snaps.contains(snap)) throw new StorageException("snapshot '" + snap + "' does not exist");
        } else {
            snaps.add(snap);
        }
        List<String> cmd = new ArrayList<>(List.of("btrfs", "-q", "send", "-e"));
        if (baseSnap != null) { cmd.add("-p"); cmd.add(snapPath(sv, baseSnap).toString()); }
        cmd.add("--");
        for (String x : snaps) cmd.add(snapPath(sv, x).toString());
        stream(cmd, null, out);
    }

    @Override
    public String importVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                               boolean withSnapshots, boolean allowRename, InputStream in) {
        if (format != ExportFormat.BTRFS) return super.importVolume(s, volname, format, snap, baseSnap, withSnapshots, allowRename, in);
        VolumeName vn = parseVolname(volname);
        if (!isImage(vn)) throw new StorageException("btrfs import is only possible for images");
        if (snap == null) throw new StorageException("btrfs-receiving volumes requires snapshots");
        String target = volname;
        Path sv = subvol(s, vn);
        if (baseSnap == null && Files.exists(sv)) {
            if (!allowRename) throw new StorageException("volume '" + volname + "' already exists");
            target = vn.vmid() + "/" + findFreeDiskname(s, vn.vmid(), vn.format(), true);
            sv = subvol(s, parseVolname(target));
        }
        Path dir = imageDir(s, vn.vmid());
        mkdirs(dir);
        // Receive straight into the image directory: read-only subvolumes cannot move to another directory, and
        // keeping them in place keeps their received UUIDs, which later incremental streams need.
        java.util.Set<String> before = listNames(dir);
        try {
            stream(List.of("btrfs", "-q", "receive", "-e", "--", dir.toString()), in, null);
        } catch (RuntimeException e) {
            for (String n : listNames(dir)) {
                if (!before.contains(n)) run.run(List.of("btrfs", "subvolume", "delete", "--", dir.resolve(n).toString()));
            }
            throw e;
        }
        try {
            for (String n : listNames(dir)) {
                if (before.contains(n)) continue;
                int at = n.lastIndexOf('@');
                if (at < 0) throw new StorageException("unexpected subvolume '" + n + "' in btrfs stream");
                Path dest = snapPath(sv, n.substring(at + 1));
                if (!dest.getFileName().toString().equals(n)) {
                    if (Files.exists(dest)) throw new StorageException("snapshot '" + dest + "' already exists");
                    Files.move(dir.resolve(n), dest);
                }
            }
            Path last = snapPath(sv, snap);
            if (!Files.isDirectory(last)) throw new StorageException("btrfs stream did not contain snapshot '" + snap + "'");
            if (Files.exists(sv)) btrfs("subvolume", "delete", "--", sv.toString());
            btrfs("subvolume", "snapshot", "--", last.toString(), sv.toString());
        } catch (IOException e) {
            throw new StorageException("btrfs receive failed - " + e.getMessage(), e);
        }
        return target;
    }
}
