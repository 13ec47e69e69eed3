package org.haven.storage.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
import org.haven.storage.volume.FileLayout;
import org.haven.storage.volume.VolumeName;
import org.haven.storage.volume.VolumeNames;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Directory storage (PVE's base {@code Plugin.pm} behaviour): images under {@code images/<vmid>/} as raw, qcow2 or
 * vmdk files made with {@code qemu-img}, container subvolumes as directories, qcow2 internal snapshots, templates as
 * read-only {@code base-} files and linked clones as qcow2 overlays with a relative backing file.
 * Subclasses for network file systems add mounting.
 */
public class DirPlugin implements StoragePlugin {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final List<String> TAR_FLAGS = List.of("--totals", "--sparse", "--numeric-owner", "--acls", "--xattrs",
            "--xattrs-include=user.*", "--xattrs-include=security.capability", "--warning=no-file-ignored",
            "--warning=no-xattr-write");
    private static final Pattern IMAGE_FILE = Pattern.compile("((base|vm|subvol)-(\\d+)-\\S+)\\.(raw|qcow2|vmdk|subvol)");

    protected final PluginContext ctx;
    protected final CommandRunner run;
    private final StorageType type;
    protected ZoneId zone = ZoneId.systemDefault();

    public DirPlugin(PluginContext ctx) { this(ctx, StorageType.DIR); }

    protected DirPlugin(PluginContext ctx, StorageType type) {
        this.ctx = ctx;
        this.run = ctx.runner();
        this.type = type;
    }

    @Override public StorageType type() { return type; }

    /** Time zone used for backup times in file names (the node's local time, as PVE). */
    public void setZone(ZoneId zone) { this.zone = zone; }

    @Override
    public VolumeName parseVolname(String volname) { return VolumeNames.parseDir(volname); }

    /** Base directory of the storage on this node. */
    protected Path base(StorageEntry s) { return Path.of(s.require("path")); }

    public Path filePath(StorageEntry s, String volname) {
        return FileLayout.path(base(s), parseVolname(volname), s.contentDirs());
    }

    protected Path imageDir(StorageEntry s, int vmid) {
        return FileLayout.subdir(base(s), ContentType.IMAGES, s.contentDirs()).resolve(String.valueOf(vmid));
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        return filePath(s, volname).toString();
    }

    // ---- activation -----------------------------------------------------------------------------------------

    @Override
    public void activateStorage(StorageEntry s) {
        Path p = base(s);
        checkMountpoint(s, p);
        if (!Files.isDirectory(p)) {
            boolean mk = s.flag("create-base-path", s.flag("mkdir", true));
            if (!mk) throw new StorageException("unable to activate storage '" + s.id() + "' - directory '" + p + "' does not exist");
            mkdirs(p);
        }
        if (s.flag("create-subdirs", s.flag("mkdir", true))) createSubdirs(s, p);
    }

    protected void checkMountpoint(StorageEntry s, Path p) {
        String im = s.get("is_mountpoint").orElse(null);
        if (im == null) return;
        Boolean b = org.haven.storage.config.PropertyDef.parseBoolean(im);
        Path mp = b == null ? Path.of(im) : (b ? p : null);
        if (mp == null) return;
        if (!isMounted(mp))
            throw new StorageException("unable to activate storage '" + s.id() + "' - directory is expected to be a mount point but is not mounted: '" + mp + "'");
    }

    protected static boolean isMounted(Path mp) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1 && f[1].replace("\\040", " ").equals(mp.toString())) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    protected void createSubdirs(StorageEntry s, Path base) {
        for (ContentType c : s.content()) {
            if (c == ContentType.NONE) continue;
            mkdirs(FileLayout.subdir(base, c, s.contentDirs()));
        }
    }

    static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new StorageException("unable to create directory '" + p + "' - " + e.getMessage(), e);
        }
    }

    // ---- status -------------------------------------------------------------------------------------------------

    @Override
    public StorageStatus status(StorageEntry s) {
        Path p = base(s);
        if (!Files.isDirectory(p)) return StorageStatus.INACTIVE;
        try {
            FileStore fs = Files.getFileStore(p);
            long total = fs.getTotalSpace();
            long free = fs.getUnallocatedSpace();
            long avail = fs.getUsableSpace();
            return new StorageStatus(total, total - free, avail, true);
        } catch (IOException e) {
            return StorageStatus.INACTIVE;
        }
    }

    // ---- listing ------------------------------------------------------------------------------------------------

    /** Image information from {@code qemu-img info}: virtual size, allocated bytes, format, backing file. */
    public record ImageInfo(long size, long used, String format, String backing) {}

    public ImageInfo imageInfo(Path file) {
        if (Files.isDirectory(file)) return new ImageInfo(0, 0, "subvol", null);
        CommandRunner.Result r = run.run(List.of("qemu-img", "info", "--output=json", file.toString()));
        if (!r.ok()) throw new StorageException("could not parse qemu-img info output for '" + file + "' - " + r.stderr().strip());
        JsonNode n = JSON.readTree(r.stdout());
        String backing = n.has("backing-filename") ? n.get("backing-filename").asString() : null;
        return new ImageInfo(n.path("virtual-size").asLong(), n.path("actual-size").asLong(), n.path("format").asString(), backing);
    }

    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        Set<ContentType> want = content == null || content.isEmpty() ? s.content() : content;
        for (ContentType c : want) {
            if (!s.content().contains(c)) continue;
            switch (c) {
                // images and container volumes live in one directory: listed once, also on a storage for containers only
                case IMAGES, ROOTDIR -> {
                    if (c == ContentType.IMAGES || !want.contains(ContentType.IMAGES) || !s.content().contains(ContentType.IMAGES))
                        out.addAll(listImages(s, vmid, want));
                }
                case ISO -> { if (vmid == null) out.addAll(listFiles(s, c, "iso/", Pattern.compile("[^/]+" + VolumeNames.ISO_EXT))); }
                case VZTMPL -> { if (vmid == null) out.addAll(listFiles(s, c, "vztmpl/", Pattern.compile("[^/]+" + VolumeNames.VZTMPL_EXT))); }
                case SNIPPETS -> { if (vmid == null) out.addAll(listFiles(s, c, "snippets/", Pattern.compile("[^/]+"))); }
                case IMPORT -> { if (vmid == null) out.addAll(listFiles(s, c, "import/", Pattern.compile("[^/]+" + VolumeNames.IMPORT_EXT))); }
                case BACKUP -> out.addAll(listBackups(s, vmid));
                default -> { }
            }
        }
        out.sort(Comparator.comparing(VolumeInfo::volid));
        return out;
    }

    protected List<VolumeInfo> listImages(StorageEntry s, Integer vmid, Set<ContentType> want) {
        List<VolumeInfo> out = new ArrayList<>();
        Path images = FileLayout.subdir(base(s), ContentType.IMAGES, s.contentDirs());
        if (!Files.isDirectory(images)) return out;
        try (Stream<Path> dirs = Files.list(images)) {
            for (Path d : dirs.sorted().toList()) {
                String owner = d.getFileName().toString();
                if (!owner.matches("\\d{1,9}") || !Files.isDirectory(d)) continue;
                int ownerId = Integer.parseInt(owner);
                if (vmid != null && vmid != ownerId) continue;
                try (Stream<Path> files = Files.list(d)) {
                    for (Path f : files.sorted().toList()) {
                        String name = f.getFileName().toString();
                        Matcher m = IMAGE_FILE.matcher(name);
                        if (!m.matches()) continue;
                        String fmt = m.group(4);
                        ContentType ct = fmt.equals("subvol") ? ContentType.ROOTDIR : ContentType.IMAGES;
                        if (!want.contains(ct)) continue;
                        ImageInfo info;
                        try { info = imageInfo(f); } catch (RuntimeException e) { continue; }
                        String volname = owner + "/" + name;
                        String parent = null;
                        if (info.backing() != null) {
                            Matcher b = Pattern.compile("\\.\\./(\\d+)/([^/]+)").matcher(info.backing());
                            if (b.matches()) {
                                volname = b.group(1) + "/" + b.group(2) + "/" + volname;
                                parent = b.group(2);
                            }
                        }
                        out.add(new VolumeInfo(s.id() + ":" + volname, ct, fmt, info.size(), info.used(), ownerId, parent,
                                mtime(f), false, null));
                    }
                }
            }
        } catch (IOException e) {
            throw new StorageException("unable to list images on '" + s.id() + "' - " + e.getMessage(), e);
        }
        return out;
    }

    private List<VolumeInfo> listFiles(StorageEntry s, ContentType c, String prefix, Pattern name) {
        List<VolumeInfo> out = new ArrayList<>();
        Path dir = FileLayout.subdir(base(s), c, s.contentDirs());
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (!Files.isRegularFile(f) || !name.matcher(n).matches()) continue;
                long size = Files.size(f);
                out.add(new VolumeInfo(s.id() + ":" + prefix + n, c, formatOf(c, n), size, size, null, null, mtime(f), false, null));
            }
        } catch (IOException e) {
            throw new StorageException("unable to list '" + dir + "' - " + e.getMessage(), e);
        }
        return out;
    }

    private static String formatOf(ContentType c, String n) {
        return switch (c) {
            case ISO -> "iso";
            case VZTMPL -> "t" + n.substring(n.lastIndexOf('.') + 1); // tgz, txz, tzst, tbz2 as PVE
            case SNIPPETS -> "snippet";
            case IMPORT -> n.substring(n.lastIndexOf('.') + 1);
            default -> "raw";
        };
    }

    protected List<VolumeInfo> listBackups(StorageEntry s, Integer vmid) {
        List<VolumeInfo> out = new ArrayList<>();
        Path dir = FileLayout.subdir(base(s), ContentType.BACKUP, s.contentDirs());
        if (!Files.isDirectory(dir)) return out;
        Pattern p = Pattern.compile("[^/]+" + VolumeNames.BACKUP_EXT);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (!Files.isRegularFile(f) || !p.matcher(n).matches()) continue;
                VolumeNames.BackupFileInfo info = VolumeNames.parseBackupName(n);
                Integer owner = info == null ? null : info.vmid();
                if (owner == null) {
                    VolumeName vn = VolumeNames.parseDir("backup/" + n);
                    owner = vn.vmid();
                }
                if (vmid != null && !vmid.equals(owner)) continue;
                long ctime = info != null ? info.time().atZone(zone).toEpochSecond() : mtime(f);
                String fmt = n.replaceFirst("^.*?\\.(tgz|tar|vma)", "$1");
                String notes = readNotes(f);
                out.add(new VolumeInfo(s.id() + ":backup/" + n, ContentType.BACKUP, fmt, Files.size(f), Files.size(f), owner,
                        null, ctime, Files.exists(protectedMarker(f)), notes));
            }
        } catch (IOException e) {
            throw new StorageException("unable to list '" + dir + "' - " + e.getMessage(), e);
        }
        return out;
    }

    private static long mtime(Path f) {
        try {
            return Files.getLastModifiedTime(f).toMillis() / 1000;
        } catch (IOException e) {
            return 0;
        }
    }

    static Path protectedMarker(Path f) { return f.resolveSibling(f.getFileName() + ".protected"); }

    static Path notesFile(Path f) { return f.resolveSibling(f.getFileName() + ".notes"); }

    static String readNotes(Path f) {
        Path n = notesFile(f);
        try {
            return Files.exists(n) ? Files.readString(n) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Attributes of backups and other files: notes and the protected flag (sidecar files, as PVE). */
    public boolean isProtected(StorageEntry s, String volname) { return Files.exists(protectedMarker(filePath(s, volname))); }

    public String notes(StorageEntry s, String volname) { return readNotes(filePath(s, volname)); }

    public void setProtected(StorageEntry s, String volname, boolean p) {
        Path f = filePath(s, volname);
        if (!Files.exists(f)) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        try {
            if (p) { if (!Files.exists(protectedMarker(f))) Files.createFile(protectedMarker(f)); }
            else Files.deleteIfExists(protectedMarker(f));
        } catch (IOException e) {
            throw new StorageException("unable to set protection - " + e.getMessage(), e);
        }
    }

    public void setNotes(StorageEntry s, String volname, String notes) {
        Path f = filePath(s, volname);
        if (!Files.exists(f)) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        try {
            if (notes == null || notes.isEmpty()) Files.deleteIfExists(notesFile(f));
            else Files.writeString(notesFile(f), notes);
        } catch (IOException e) {
            throw new StorageException("unable to write notes - " + e.getMessage(), e);
        }
    }

    // ---- allocation ---------------------------------------------------------------------------------------------

    protected String findFreeDiskname(StorageEntry s, int vmid, String fmt, boolean addSuffix) {
        Set<Integer> used = new HashSet<>();
        String prefix = "subvol".equals(fmt) ? "subvol" : "vm";
        Pattern p = Pattern.compile(prefix + "-" + vmid + "-disk-(\\d{1,9})(\\..*)?");
        Path dir = imageDir(s, vmid);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                files.forEach(f -> {
                    Matcher m = p.matcher(f.getFileName().toString());
                    if (m.matches()) used.add(Integer.parseInt(m.group(1)));
                });
            } catch (IOException e) {
                throw new StorageException(e.getMessage(), e);
            }
        }
        for (int i = 0; i < 1000; i++) if (!used.contains(i)) return VolumeNames.diskName(vmid, i, fmt, addSuffix);
        throw new StorageException("unable to allocate an image name for VM " + vmid + " in storage '" + s.id() + "'");
    }

    /** {@code -o preallocation=…} option for qemu-img create, or null. */
    static String preallocationOption(StorageEntry s, String fmt) {
        String p = s.get("preallocation").orElse(null);
        if (fmt.equals("qcow2")) {
            if (p == null) p = "metadata";
            return "preallocation=" + p;
        }
        if (fmt.equals("raw")) {
            if (p == null || p.equals("metadata")) p = "off";
            return "preallocation=" + p;
        }
        return null;
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt == null) fmt = s.format();
        if (!type.formats().contains(fmt)) throw new StorageException("unsupported format '" + fmt + "'");
        Path dir = imageDir(s, vmid);
        mkdirs(dir);
        if (name == null || name.isEmpty()) name = findFreeDiskname(s, vmid, fmt, true);
        String[] parsed = VolumeNames.parseNameDir(name);
        if (!parsed[1].equals(fmt))
            throw new StorageException("illegal name '" + name + "' - wrong extension for format ('" + parsed[1] + " != '" + fmt + "')");
        Path path = dir.resolve(name);
        if (Files.exists(path)) throw new StorageException("disk image '" + path + "' already exists");
        if (fmt.equals("subvol")) {
            if (size != 0) throw new StorageException("storage does not support subvol quotas");
            try {
                Files.createDirectory(path);
            } catch (IOException e) {
                throw new StorageException("unable to create subvol '" + path + "' - " + e.getMessage(), e);
            }
        } else {
            List<String> cmd = new ArrayList<>(List.of("qemu-img", "create"));
            String pre = preallocationOption(s, fmt);
            if (pre != null) { cmd.add("-o"); cmd.add(pre); }
            cmd.addAll(List.of("-f", fmt, path.toString(), Sizes.kib(size) + "K"));
            CommandRunner.Result r = run.run(cmd, Map.of(), null);
            if (!r.ok()) {
                try { Files.deleteIfExists(path); } catch (IOException ignored) { }
                throw new StorageException("unable to create image: " + r.stderr().strip());
            }
        }
        return vmid + "/" + name;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        Path path = filePath(s, volname);
        if (!Files.exists(path)) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        if (vn.isBase()) run.run(List.of("chattr", "-i", path.toString()));
        try {
            if ("subvol".equals(vn.format())) {
                deleteTree(path);
            } else {
                Files.delete(path);
                Files.deleteIfExists(notesFile(path));
                Files.deleteIfExists(protectedMarker(path));
            }
        } catch (IOException e) {
            throw new StorageException("unable to delete '" + path + "' - " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> w = Files.walk(p)) {
            for (Path x : w.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }

    @Override
    public long size(StorageEntry s, String volname) {
        Path p = filePath(s, volname);
        if (!Files.exists(p)) throw new StorageException("volume '" + s.id() + ":" + volname + "' does not exist");
        return imageInfo(p).size();
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        VolumeName vn = parseVolname(volname);
        if (!"raw".equals(vn.format()) && !"qcow2".equals(vn.format()))
            throw new StorageException("can't resize this image format");
        if (running) return; // QEMU resizes a running disk itself (block_resize)
        run.check(List.of("qemu-img", "resize", "-f", vn.format(), filePath(s, volname).toString(), String.valueOf(size)));
    }

    // ---- snapshots (qcow2 internal) -----------------------------------------------------------------------------

    private Path qcow2(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!"qcow2".equals(vn.format())) throw new StorageException("can't snapshot this image format");
        return filePath(s, volname);
    }

    @Override
    public void snapshot(StorageEntry s, String volname, String snap) {
        run.check(List.of("qemu-img", "snapshot", "-c", snap, qcow2(s, volname).toString()));
    }

    @Override
    public void rollback(StorageEntry s, String volname, String snap) {
        run.check(List.of("qemu-img", "snapshot", "-a", snap, qcow2(s, volname).toString()));
    }

    @Override
    public void deleteSnapshot(StorageEntry s, String volname, String snap, boolean running) {
        if (running) return; // QEMU deletes internal snapshots of a running disk itself
        run.check(List.of("qemu-img", "snapshot", "-d", snap, qcow2(s, volname).toString()));
    }

    @Override
    public List<String> snapshots(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (!"qcow2".equals(vn.format())) return List.of();
        String out = run.check(List.of("qemu-img", "snapshot", "-l", filePath(s, volname).toString()));
        List<String> names = new ArrayList<>();
        boolean table = false;
        for (String line : out.split("\n")) {
            if (line.startsWith("ID")) { table = true; continue; }
            if (!table || line.isBlank()) continue;
            String[] f = line.trim().split("\\s+");
            if (f.length > 1) names.add(f[1]);
        }
        return names;
    }

    // ---- templates and clones -----------------------------------------------------------------------------------

    @Override
    public String createBase(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (vn.vtype() != ContentType.IMAGES) throw new StorageException("create_base not possible with types other than images");
        if (vn.isBase()) throw new StorageException("create_base not possible with base image");
        Path path = filePath(s, volname);
        ImageInfo info = imageInfo(path);
        if (vn.isLinkedClone() && (info.backing() == null || !info.backing().equals("../" + vn.baseVmid() + "/" + vn.baseName())))
            throw new StorageException("volname '" + volname + "' contains wrong information about parent");
        String newName = vn.name().replaceFirst("^vm-", "base-");
        String newVolname = vn.isLinkedClone() ? vn.baseVmid() + "/" + vn.baseName() + "/" + vn.vmid() + "/" + newName
                : vn.vmid() + "/" + newName;
        Path newPath = filePath(s, newVolname);
        if (Files.exists(newPath)) throw new StorageException("file '" + newPath + "' already exists");
        try {
            Files.move(path, newPath);
            if (!Files.isDirectory(newPath)) Files.setPosixFilePermissions(newPath, PosixFilePermissions.fromString("r--r--r--"));
        } catch (IOException e) {
            throw new StorageException("rename '" + path + "' to '" + newPath + "' failed - " + e.getMessage(), e);
        }
        run.run(List.of("chattr", "+i", newPath.toString())); // best effort, as PVE
        return newVolname;
    }

    @Override
    public String cloneImage(StorageEntry s, String volname, int vmid, String snap) {
        VolumeName vn = parseVolname(volname);
        if (vn.vtype() != ContentType.IMAGES) throw new StorageException("clone_image on wrong vtype '" + vn.vtype() + "'");
        if (snap != null) throw new StorageException("this storage type does not support clone_image on snapshot");
        if ("subvol".equals(vn.format())) throw new StorageException("this storage type does not support clone_image on subvolumes");
        if (!vn.isBase()) throw new StorageException("clone_image only works on base images");
        Path dir = imageDir(s, vmid);
        mkdirs(dir);
        String name = findFreeDiskname(s, vmid, "qcow2", true);
        String newVol = vn.vmid() + "/" + vn.name() + "/" + vmid + "/" + name;
        Path path = dir.resolve(name);
        run.check(List.of("qemu-img", "create", "-b", "../" + vn.vmid() + "/" + vn.name(), "-F", vn.format(), "-f", "qcow2",
                path.toString()));
        return newVol;
    }

    @Override
    public String rename(StorageEntry s, String volname, int targetVmid, String targetName) {
        VolumeName vn = parseVolname(volname);
        if (vn.vtype() != ContentType.IMAGES) throw new StorageException("rename is only possible for images");
        if (targetName == null) targetName = findFreeDiskname(s, targetVmid, vn.format(), true);
        Path dir = imageDir(s, targetVmid);
        mkdirs(dir);
        Path oldPath = filePath(s, volname);
        Path newPath = dir.resolve(targetName);
        if (Files.exists(newPath)) throw new StorageException("target volume '" + targetName + "' already exists");
        try {
            Files.move(oldPath, newPath);
        } catch (IOException e) {
            throw new StorageException("rename '" + oldPath + "' to '" + newPath + "' failed - " + e.getMessage(), e);
        }
        String base = vn.isLinkedClone() ? vn.baseVmid() + "/" + vn.baseName() + "/" : "";
        return base + targetVmid + "/" + targetName;
    }

    // ---- export / import ----------------------------------------------------------------------------------------

    @Override
    public List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        if (snap != null || baseSnap != null) return List.of();
        String fmt = parseVolname(volname).format();
        if (withSnapshots) {
            if ("qcow2".equals(fmt)) return List.of(ExportFormat.QCOW2_SIZE);
            if ("vmdk".equals(fmt)) return List.of(ExportFormat.VMDK_SIZE);
            return List.of();
        }
        if ("subvol".equals(fmt)) return List.of(ExportFormat.TAR_SIZE);
        return List.of(ExportFormat.RAW_SIZE);
    }

    @Override
    public List<ExportFormat> importFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        return exportFormats(s, volname, snap, baseSnap, withSnapshots);
    }

    @Override
    public void exportVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                             boolean withSnapshots, OutputStream out) {
        if (snap != null || baseSnap != null) throw exportUnsupported(format);
        Path file = filePath(s, volname);
        ImageInfo info = imageInfo(file);
        switch (format) {
            case RAW_SIZE -> {
                if (withSnapshots || info.format().equals("subvol")) throw exportUnsupported(format);
                Sizes.writeHeader(out, info.size());
                flush(out);
                if (info.format().equals("raw")) {
                    stream(List.of("dd", "if=" + file, "bs=64k", "status=none"), null, out);
                } else {
                    // qemu-img cannot write raw data to a pipe: convert into a sparse temporary file next to the image
                    Path tmp = file.resolveSibling(".export-" + java.util.UUID.randomUUID() + ".raw");
                    try {
                        run.check(List.of("qemu-img", "convert", "-f", info.format(), "-O", "raw", file.toString(), tmp.toString()));
                        stream(List.of("dd", "if=" + tmp, "bs=64k", "status=none"), null, out);
                    } finally {
                        try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
                    }
                }
            }
            case QCOW2_SIZE, VMDK_SIZE -> {
                String data = format == ExportFormat.QCOW2_SIZE ? "qcow2" : "vmdk";
                if (!withSnapshots || !info.format().equals(data)) throw exportUnsupported(format);
                Sizes.writeHeader(out, info.size());
                flush(out);
                stream(List.of("dd", "if=" + file, "bs=64k", "status=none"), null, out);
            }
            case TAR_SIZE -> {
                if (!info.format().equals("subvol")) throw exportUnsupported(format);
                Sizes.writeHeader(out, info.size());
                flush(out);
                List<String> cmd = new ArrayList<>(List.of("tar"));
                cmd.addAll(TAR_FLAGS);
                cmd.addAll(List.of("-cf", "-", "-C", file.toString(), "."));
                stream(cmd, null, out);
            }
            default -> throw exportUnsupported(format);
        }
    }

    private StorageException exportUnsupported(ExportFormat f) {
        return new StorageException("volume export format " + f + " not available for " + type.id());
    }

    static void flush(OutputStream out) {
        try { out.flush(); } catch (IOException e) { throw new StorageException(e.getMessage(), e); }
    }

    protected void stream(List<String> cmd, InputStream in, OutputStream out) {
        CommandRunner.Result r = run.stream(cmd, Map.of(), in, out);
        if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
    }

    @Override
    public String importVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                               boolean withSnapshots, boolean allowRename, InputStream in) {
        String data = switch (format) {
            case RAW_SIZE -> "raw";
            case QCOW2_SIZE -> "qcow2";
            case VMDK_SIZE -> "vmdk";
            case TAR_SIZE -> "tar";
            default -> throw new StorageException("volume import format '" + format + "' not available for " + type.id());
        };
        if (!withSnapshots && (data.equals("qcow2") || data.equals("vmdk")))
            throw new StorageException("format " + format + " cannot be imported without snapshots");
        if (withSnapshots && (data.equals("raw") || data.equals("tar")))
            throw new StorageException("format " + format + " cannot be imported with snapshots");
        VolumeName vn = parseVolname(volname);
        String fileFormat = vn.format();
        if (!data.equals(fileFormat) && !(data.equals("tar") && "subvol".equals(fileFormat)))
            throw new StorageException("cannot import format " + format + " into a file of format " + fileFormat);
        String name = vn.name();
        if (Files.exists(filePath(s, volname))) {
            if (!allowRename) throw new StorageException("file '" + filePath(s, volname) + "' already exists");
            name = null;
        }
        long size = Sizes.readHeader(in);
        String alloc = alloc(s, vn.vmid(), fileFormat, name, data.equals("tar") ? 0 : size);
        try {
            Path file = filePath(s, alloc);
            if (data.equals("tar")) {
                List<String> cmd = new ArrayList<>(List.of("tar"));
                cmd.addAll(TAR_FLAGS);
                cmd.addAll(List.of("-C", file.toString(), "-xf", "-"));
                stream(cmd, in, null);
            } else {
                stream(List.of("dd", "of=" + file, "conv=sparse", "bs=64k", "status=none"), in, null);
            }
        } catch (RuntimeException e) {
            try { free(s, alloc); } catch (RuntimeException ignored) { }
            throw e;
        }
        return alloc;
    }

    // ---- features -----------------------------------------------------------------------------------------------

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        String key = snap != null ? "snap" : vn.isBase() ? "base" : "current";
        String f = vn.format();
        Set<String> all = Set.of("qcow2", "raw", "vmdk");
        Set<String> ok = switch (feature) {
            case SNAPSHOT -> key.equals("base") ? Set.of() : Set.of("qcow2");
            case CLONE -> key.equals("base") ? all : Set.of();
            case TEMPLATE -> key.equals("current") ? Set.of("qcow2", "raw", "vmdk", "subvol") : Set.of();
            case COPY -> key.equals("snap") ? Set.of("qcow2") : all;
            case SPARSEINIT -> key.equals("snap") ? Set.of() : all;
            case RENAME -> key.equals("current") ? all : Set.of();
            case SNAPSHOT_ROLLBACK_TO_OLDER -> Set.of("qcow2");
        };
        return f != null && ok.contains(f);
    }
}
