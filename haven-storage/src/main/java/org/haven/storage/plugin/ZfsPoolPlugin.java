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

/**
 * Local ZFS pool: VM images are zvols {@code <pool>/vm-<vmid>-disk-<n>}, container volumes are datasets
 * {@code subvol-…} with a refquota; snapshots are ZFS snapshots, templates get a {@code @__base__} snapshot and
 * linked clones are {@code zfs clone}s of it ({@code base-100-disk-0/vm-101-disk-0}). Subclasses may run the zfs
 * commands elsewhere (ZFS over iSCSI runs them over ssh) by overriding {@link #zfsCommand}.
 */
public class ZfsPoolPlugin implements StoragePlugin {
    protected final PluginContext ctx;
    protected final CommandRunner run;
    private final StorageType type;

    public ZfsPoolPlugin(PluginContext ctx) { this(ctx, StorageType.ZFSPOOL); }

    protected ZfsPoolPlugin(PluginContext ctx, StorageType type) {
        this.ctx = ctx;
        this.run = ctx.runner();
        this.type = type;
    }

    @Override public StorageType type() { return type; }

    @Override public VolumeName parseVolname(String volname) { return VolumeNames.parseZfs(volname); }

    protected static String pool(StorageEntry s) { return s.require("pool"); }

    /** The command that runs {@code zfs <args>} for this storage. */
    protected List<String> zfsCommand(StorageEntry s, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("zfs");
        cmd.addAll(args);
        return cmd;
    }

    protected String zfs(StorageEntry s, String... args) {
        return run.check(zfsCommand(s, List.of(args)));
    }

    protected String mountpoint(StorageEntry s) {
        return s.get("mountpoint").orElse("/" + pool(s));
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        if ("subvol".equals(vn.format())) {
            String p = mountpoint(s) + "/" + vn.name();
            return snap == null ? p : p + "/.zfs/snapshot/" + snap;
        }
        return "/dev/zvol/" + pool(s) + "/" + vn.name() + (snap == null ? "" : "@" + snap);
    }

    @Override
    public void activateStorage(StorageEntry s) {
        CommandRunner.Result r = run.run(zfsCommand(s, List.of("get", "-o", "value", "-Hp", "available", pool(s))));
        if (r.ok()) return;
        String p = pool(s);
        String zpool = p.contains("/") ? p.substring(0, p.indexOf('/')) : p;
        run.check(List.of("zpool", "import", "-d", "/dev/disk/by-id/", "-o", "cachefile=none", zpool));
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        CommandRunner.Result r = run.run(zfsCommand(s, List.of("get", "-o", "value", "-Hp", "available,used", pool(s))));
        if (!r.ok()) return StorageStatus.INACTIVE;
        String[] l = r.stdout().trim().split("\\s+");
        if (l.length < 2) return StorageStatus.INACTIVE;
        long avail = Long.parseLong(l[0]);
        long used = Long.parseLong(l[1]);
        return new StorageStatus(avail + used, used, avail, true);
    }

    /** One line of {@code zfs list -o name,volsize,origin,type,refquota -t volume,filesystem -d1 -Hp <pool>}. */
    record ZfsEntry(String name, long volsize, String origin, String kind, long refquota) {}

    protected List<ZfsEntry> listDatasets(StorageEntry s) {
        String out = zfs(s, "list", "-o", "name,volsize,origin,type,refquota", "-t", "volume,filesystem", "-d1", "-Hp", pool(s));
        List<ZfsEntry> l = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.split("\t");
            if (f.length < 5) continue;
            String name = f[0].substring(f[0].lastIndexOf('/') + 1);
            if (f[0].equals(pool(s))) continue;
            l.add(new ZfsEntry(name, f[1].equals("-") ? 0 : Long.parseLong(f[1]), f[2], f[3], f[4].equals("-") ? 0 : Long.parseLong(f[4])));
        }
        return l;
    }

    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        Pattern p = Pattern.compile("(vm|base|subvol|basevol)-(\\d{1,9})-\\S+");
        for (ZfsEntry e : listDatasets(s)) {
            Matcher m = p.matcher(e.name());
            if (!m.matches()) continue;
            int owner = Integer.parseInt(m.group(2));
            if (vmid != null && owner != vmid) continue;
            boolean fs = e.kind().equals("filesystem");
            ContentType ct = fs ? ContentType.ROOTDIR : ContentType.IMAGES;
            if (content != null && !content.isEmpty() && !content.contains(ct)) continue;
            String volname = e.name();
            String parent = null;
            if (!e.origin().equals("-")) {
                Matcher o = Pattern.compile(".*/(\\S+)@__base__").matcher(e.origin());
                if (o.matches()) {
                    parent = o.group(1);
                    volname = parent + "/" + e.name();
                }
            }
            long size = fs ? e.refquota() : e.volsize();
            out.add(new VolumeInfo(s.id() + ":" + volname, ct, fs ? "subvol" : "raw", size, -1, owner, parent, 0, false, null));
        }
        return out;
    }

    protected String findFreeDiskname(StorageEntry s, int vmid, String fmt) {
        Set<Integer> used = new HashSet<>();
        String prefix = "subvol".equals(fmt) ? "subvol" : "vm";
        Pattern p = Pattern.compile(prefix + "-" + vmid + "-disk-(\\d{1,9})");
        for (ZfsEntry e : listDatasets(s)) {
            Matcher m = p.matcher(e.name());
            if (m.matches()) used.add(Integer.parseInt(m.group(1)));
        }
        for (int i = 0; i < 1000; i++) if (!used.contains(i)) return VolumeNames.diskName(vmid, i, fmt, false);
        throw new StorageException("unable to allocate an image name for VM " + vmid + " in storage '" + s.id() + "'");
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt == null) fmt = "raw";
        String prefix = fmt.equals("subvol") ? "subvol" : "vm";
        if (name != null && !name.matches(prefix + "-" + vmid + "-\\S+"))
            throw new StorageException("illegal name '" + name + "' - should be '" + prefix + "-" + vmid + "-*'");
        if (name == null) name = findFreeDiskname(s, vmid, fmt);
        if (fmt.equals("raw")) {
            List<String> args = new ArrayList<>(List.of("create"));
            if (s.flag("sparse", false)) args.add("-s");
            s.get("blocksize").ifPresent(b -> { args.add("-b"); args.add(b); });
            args.addAll(List.of("-V", Sizes.kib(size) + "k", pool(s) + "/" + name));
            run.check(zfsCommand(s, args));
        } else if (fmt.equals("subvol")) {
            String quota = size > 0 ? Sizes.kib(size) + "k" : "none";
            zfs(s, "create", "-o", "acltype=posixacl", "-o", "xattr=sa", "-o", "refquota=" + quota, pool(s) + "/" + name);
        } else {
            throw new StorageException("unsupported format '" + fmt + "'");
        }
        return name;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        zfs(s, "destroy", "-r", pool(s) + "/" + vn.name());
    }

    @Override
    public long size(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        String prop = "subvol".equals(vn.format()) ? "refquota" : "volsize";
        String v = zfs(s, "get", "-Hp", "-o", "value", prop, pool(s) + "/" + vn.name()).trim();
        return v.equals("-") || v.equals("none") ? 0 : Long.parseLong(v);
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        VolumeName vn = parseVolname(volname);
        String prop = "subvol".equals(vn.format()) ? "refquota" : "volsize";
        long k = Sizes.kib(size);
        if (prop.equals("volsize")) {
            long bs = 8;
            k = ((k + bs - 1) / bs) * bs; // volsize must be a multiple of the volblocksize
        }
        zfs(s, "set", prop + "=" + k + "k", pool(s) + "/" + vn.name());
    }

    @Override
    public void snapshot(StorageEntry s, String volname, String snap) {
        zfs(s, "snapshot", pool(s) + "/" + parseVolname(volname).name() + "@" + snap);
    }

    @Override
    public void rollback(StorageEntry s, String volname, String snap) {
        zfs(s, "rollback", "-r", pool(s) + "/" + parseVolname(volname).name() + "@" + snap);
    }

    @Override
    public void deleteSnapshot(StorageEntry s, String volname, String snap, boolean running) {
        zfs(s, "destroy", pool(s) + "/" + parseVolname(volname).name() + "@" + snap);
    }

    @Override
    public List<String> snapshots(StorageEntry s, String volname) {
        String ds = pool(s) + "/" + parseVolname(volname).name();
        String out = zfs(s, "list", "-H", "-r", "-t", "snapshot", "-o", "name", "-s", "creation", ds);
        List<String> l = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith(ds + "@")) l.add(line.substring(ds.length() + 1));
        }
        l.remove("__base__");
        return l;
    }

    @Override
    public String createBase(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (vn.isBase()) throw new StorageException("create_base not possible with base image");
        String newName = vn.name().replaceFirst("^vm-", "base-").replaceFirst("^subvol-", "basevol-");
        String newVolname = vn.isLinkedClone() ? vn.baseName() + "/" + newName : newName;
        zfs(s, "rename", pool(s) + "/" + vn.name(), pool(s) + "/" + newName);
        zfs(s, "set", "readonly=on", pool(s) + "/" + newName);
        zfs(s, "snapshot", pool(s) + "/" + newName + "@__base__");
        return newVolname;
    }

    @Override
    public String cloneImage(StorageEntry s, String volname, int vmid, String snap) {
        VolumeName vn = parseVolname(volname);
        if (snap == null) {
            if (!vn.isBase()) throw new StorageException("clone_image only works on base images");
            snap = "__base__";
        }
        String fmt = vn.format();
        String name = findFreeDiskname(s, vmid, fmt);
        List<String> args = new ArrayList<>(List.of("clone", pool(s) + "/" + vn.name() + "@" + snap, pool(s) + "/" + name));
        if ("subvol".equals(fmt)) {
            String q = zfs(s, "get", "-Ho", "value", "refquota", pool(s) + "/" + vn.name()).trim();
            args.add(1, "-o");
            args.add(2, "refquota=" + q);
        }
        run.check(zfsCommand(s, args));
        return vn.name() + "/" + name;
    }

    @Override
    public String rename(StorageEntry s, String volname, int targetVmid, String targetName) {
        VolumeName vn = parseVolname(volname);
        if (targetName == null) targetName = findFreeDiskname(s, targetVmid, vn.format());
        zfs(s, "rename", pool(s) + "/" + vn.name(), pool(s) + "/" + targetName);
        return vn.isLinkedClone() ? vn.baseName() + "/" + targetName : targetName;
    }

    @Override
    public List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        VolumeName vn = parseVolname(volname);
        List<ExportFormat> out = new ArrayList<>(List.of(ExportFormat.ZFS));
        if (snap == null && baseSnap == null && !withSnapshots && "raw".equals(vn.format())) out.add(ExportFormat.RAW_SIZE);
        return out;
    }

    @Override
    public List<ExportFormat> importFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        return exportFormats(s, volname, snap, baseSnap, withSnapshots);
    }

    @Override
    public void exportVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                             boolean withSnapshots, OutputStream out) {
        VolumeName vn = parseVolname(volname);
        String ds = pool(s) + "/" + vn.name();
        List<String> cmd;
        if (format == ExportFormat.ZFS) {
            if (snap == null) throw new StorageException("zfs send requires a snapshot");
            List<String> args = new ArrayList<>(List.of("send", "-Rpv"));
            if (!withSnapshots) args.set(1, "-pv");
            if (baseSnap != null) { args.add("-I"); args.add(baseSnap); }
            args.add("--");
            args.add(ds + "@" + snap);
            cmd = zfsCommand(s, args);
        } else if (format == ExportFormat.RAW_SIZE && "raw".equals(vn.format())) {
            Sizes.writeHeader(out, size(s, volname));
            DirPlugin.flush(out);
            cmd = List.of("dd", "if=" + path(s, volname, snap), "bs=64k", "status=none");
        } else {
            throw new StorageException("volume export format " + format + " not available for " + type.id());
        }
        CommandRunner.Result r = run.stream(cmd, Map.of(), null, out);
        if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
    }

    @Override
    public String importVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                               boolean withSnapshots, boolean allowRename, InputStream in) {
        VolumeName vn = parseVolname(volname);
        String name = vn.name();
        boolean exists = run.run(zfsCommand(s, List.of("list", "-H", "-o", "name", pool(s) + "/" + name))).ok();
        if (format == ExportFormat.ZFS) {
            if (baseSnap == null && exists) {
                if (!allowRename) throw new StorageException("volume '" + pool(s) + "/" + name + "' already exists");
                name = findFreeDiskname(s, vn.vmid(), vn.format());
            }
            List<String> cmd = zfsCommand(s, List.of("recv", "-F", "--", pool(s) + "/" + name));
            CommandRunner.Result r = run.stream(cmd, Map.of(), in, null);
            if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
            return name;
        }
        if (format == ExportFormat.RAW_SIZE) {
            if (exists) {
                if (!allowRename) throw new StorageException("volume '" + pool(s) + "/" + name + "' already exists");
                name = null;
            }
            long size = Sizes.readHeader(in);
            String alloc = alloc(s, vn.vmid(), "raw", name, size);
            List<String> cmd = List.of("dd", "of=" + path(s, alloc, null), "conv=sparse", "bs=64k", "status=none");
            CommandRunner.Result r = run.stream(cmd, Map.of(), in, null);
            if (!r.ok()) {
                free(s, alloc);
                throw new org.haven.storage.spi.CommandFailedException(cmd, r);
            }
            return alloc;
        }
        throw new StorageException("volume import format '" + format + "' not available for " + type.id());
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        String key = snap != null ? "snap" : vn.isBase() ? "base" : "current";
        return switch (feature) {
            case SNAPSHOT -> key.equals("current");
            case CLONE -> key.equals("base");
            case TEMPLATE -> key.equals("current");
            case COPY -> true;
            case SPARSEINIT -> !key.equals("snap");
            case RENAME -> key.equals("current");
            case SNAPSHOT_ROLLBACK_TO_OLDER -> false;
        };
    }
}
