package org.haven.lxc.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.guest.config.GuestException;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.MountPoint;
import org.haven.lxc.gen.IdMap;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.spi.CommandRunner;

/**
 * Container volumes on storage, as PVE's {@code create_disks} and {@code mountpoint_mount} handle them: a new
 * volume ({@code STORAGE:SIZE_IN_GiB}) is a subvolume on storages that have them ({@code btrfs}, {@code zfspool};
 * on a directory storage with size 0) and otherwise a raw image formatted with ext4; a raw image is mounted
 * through a loop device, a subvolume and a bind mount point are bind-mounted, a device is mounted directly.
 */
public final class CtVolumes {
    /** {@code STORAGE:SIZE} of a volume to allocate. */
    public static final Pattern NEW_VOLUME = Pattern.compile("^([a-zA-Z][\\w\\-.]*):(\\d+(?:\\.\\d+)?)$");
    private static final Set<String> SUBVOL_TYPES = Set.of("btrfs", "zfspool");

    private final StorageManager sm;
    private final CommandRunner run;

    public CtVolumes(StorageManager sm, CommandRunner run) {
        this.sm = sm;
        this.run = run;
    }

    public StorageManager storage() { return sm; }

    /** Whether a mount point value asks for a new volume ({@code local:8}). */
    public static boolean isNewVolume(String volume) { return volume != null && NEW_VOLUME.matcher(volume).matches(); }

    /** The size of a new volume {@code STORAGE:SIZE_IN_GiB} in bytes, rounded down to whole MiB as PVE does. */
    public static long bytes(String spec) {
        Matcher m = NEW_VOLUME.matcher(spec);
        if (!m.matches()) throw new GuestException(500, "unable to parse volume '" + spec + "'");
        return (long) (Double.parseDouble(m.group(2)) * 1024) * 1024 * 1024;
    }

    /**
     * Allocate and format a new volume for {@code spec} ({@code STORAGE:SIZE}); its root directory is owned by the
     * container's root ({@code owner}'s host ids: an ext4 image gets them from {@code mkfs}, a subvolume by
     * {@code chown}). Returns the volid.
     */
    public String allocate(int vmid, String spec, IdMap owner) {
        long bytes = bytes(spec);
        StorageEntry s = sm.enabledStorage(spec.substring(0, spec.indexOf(':')));
        boolean subvol = SUBVOL_TYPES.contains(s.type().id()) || bytes == 0;
        String volid = sm.alloc(s.id(), vmid, subvol ? "subvol" : "raw", null, subvol && !SUBVOL_TYPES.contains(s.type().id()) ? 0 : bytes,
                org.haven.storage.ContentType.ROOTDIR);
        try {
            String path = sm.path(volid);
            if (!subvol) check(List.of("mkfs.ext4", "-q", "-F", "-E", "root_owner=" + owner.rootUid() + ":" + owner.rootGid(), path));
            else if (!owner.isEmpty() && Files.isDirectory(Path.of(path))) chown(Path.of(path), owner);
        } catch (RuntimeException e) {
            sm.free(volid);
            throw e;
        }
        return volid;
    }

    /** Give {@code dir} to the container's root ({@code owner}'s host ids). */
    public static void chown(Path dir, IdMap owner) {
        try {
            Files.setAttribute(dir, "unix:uid", (int) owner.rootUid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(dir, "unix:gid", (int) owner.rootGid(), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new GuestException(500, "unable to chown " + dir + ": " + e.getMessage());
        }
    }

    /**
     * After the volume grew: an ext4 image gets its file system grown, through its loop device while mounted; offline
     * a failing {@code e2fsck} or {@code resize2fs} is logged as PVE's warning.
     */
    public void growFilesystem(String volid, boolean mounted, java.util.function.Consumer<String> warn) {
        String path = sm.path(volid);
        if (Files.isDirectory(Path.of(path))) return;
        if (mounted) {
            String loop = run.run(List.of("losetup", "-j", path)).stdout().lines().findFirst().map(l -> l.substring(0, l.indexOf(':'))).orElse(null);
            if (loop == null) throw new GuestException(500, "internal error: CT running but mount point not attached to a loop device");
            check(List.of("losetup", "--set-capacity", loop));
            check(List.of("resize2fs", loop));
            return;
        }
        try {
            CommandRunner.Result fsck = run.run(List.of("e2fsck", "-f", "-y", path));
            if (fsck.exitCode() > 1) throw new GuestException(500, "command 'e2fsck -f -y " + path + "' failed: exit code " + fsck.exitCode());
            check(List.of("resize2fs", path));
        } catch (GuestException e) {
            warn.accept("Failed to update the container's filesystem: " + e.getMessage());
        }
    }

    /**
     * Copy the files of {@code from}'s volume to {@code to}'s (both mounted below {@code work} for the while): two
     * images block by block, otherwise file by file with {@code cp -a}.
     */
    public void copy(MountPoint from, MountPoint to, Path work) {
        String src = sm.path(from.volume()), dst = sm.path(to.volume());
        if (!Files.isDirectory(Path.of(src)) && !Files.isDirectory(Path.of(dst))) {
            check(List.of("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src, dst));
            return;
        }
        Path a = work.resolve("from"), b = work.resolve("to");
        try {
            mount(from, a);
            mount(to, b);
            check(List.of("cp", "-a", "--sparse=always", a + "/.", b.toString()));
        } finally {
            umount(work);
        }
    }

    /** Mount {@code mp}'s volume at {@code target} (created when missing). */
    public void mount(MountPoint mp, Path target) { mount(mp, target, null); }

    /** Mount {@code mp}'s volume, or its storage snapshot {@code snap} read-only, at {@code target} (created when missing). */
    public void mount(MountPoint mp, Path target, String snap) {
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new GuestException(500, "unable to create " + target + ": " + e.getMessage());
        }
        String opts = mp.mountOptions();
        switch (mp.kind()) {
            case BIND -> check(List.of("mount", "--bind", mp.volume(), target.toString()));
            case DEVICE -> check(mountCmd(opts, mp.volume(), target));
            case VOLUME -> {
                sm.activateVolumes(List.of(mp.volume()), snap);
                String path = sm.path(mp.volume(), snap);
                if (Files.isDirectory(Path.of(path))) check(snap == null ? List.of("mount", "--bind", path, target.toString())
                        : List.of("mount", "--bind", "-o", "ro", path, target.toString()));
                else check(mountCmd(snap == null ? (opts.isEmpty() ? "loop" : "loop," + opts) : "loop,ro,noload", path, target));
            }
        }
    }

    /**
     * Mount {@code mps} (rootfs first, parents before children) as the container sees them: the rootfs at
     * {@code root}, each other one at its path below it ({@code snap}: their storage snapshots, read-only). A path
     * that leads through a symbolic link is refused. What was mounted is unmounted again when a later mount fails;
     * {@link #umount} of {@code root} undoes the whole tree.
     */
    public void mountTree(List<MountPoint> mps, Path root, String snap) {
        try {
            for (MountPoint m : mps) mount(m, m.key().equals("rootfs") ? root : below(root, m.mp()), snap);
        } catch (RuntimeException e) {
            umount(root);
            throw e;
        }
    }

    /** The directory {@code path} below {@code root}, created when missing, never through a symbolic link. */
    static Path below(Path root, String path) {
        Path p = root;
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) throw new GuestException(500, "invalid mount path '" + path + "'");
            p = p.resolve(part);
            if (Files.isSymbolicLink(p)) throw new GuestException(500, "mount path '" + path + "' leads through a symbolic link");
            try {
                if (!Files.isDirectory(p)) Files.createDirectory(p);
            } catch (IOException e) {
                throw new GuestException(500, "unable to create " + p + ": " + e.getMessage());
            }
        }
        return p;
    }

    private static List<String> mountCmd(String opts, String src, Path target) {
        List<String> c = new ArrayList<>(List.of("mount"));
        if (!opts.isEmpty()) c.addAll(List.of("-o", opts));
        c.add(src);
        c.add(target.toString());
        return c;
    }

    /**
     * Mount the rootfs at {@code rootfs} and the mount points at their own directory below {@code mpBase}; returns
     * key → host directory. What was mounted is unmounted again when a later mount fails.
     */
    public Map<String, String> mountAll(CtConfig c, Path rootfs, Path mpBase) {
        TreeMap<String, String> out = new TreeMap<>();
        List<Path> done = new ArrayList<>();
        try {
            for (MountPoint m : c.mountsInOrder()) {
                Path target = m.key().equals("rootfs") ? rootfs : mpBase.resolve(m.key());
                mount(m, target);
                done.add(target);
                out.put(m.key(), target.toString());
            }
        } catch (RuntimeException e) {
            for (int i = done.size() - 1; i >= 0; i--) umount(done.get(i));
            throw e;
        }
        return out;
    }

    /** Unmount whatever is mounted at {@code target} or below it (lazily, so a busy mount does not stay). */
    public void umount(Path target) {
        for (String mnt : mountsBelow(target).reversed()) run.run(List.of("umount", "-l", mnt));
    }

    /** The mount points at or below {@code dir}, in mount order. */
    List<String> mountsBelow(Path dir) {
        List<String> out = new ArrayList<>();
        String d = dir.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length < 2) continue;
                String mnt = f[1].replace("\\040", " ");
                if (mnt.equals(d) || mnt.startsWith(d + "/")) out.add(mnt);
            }
        } catch (IOException e) {
            throw new GuestException(500, "unable to read the mount table: " + e.getMessage());
        }
        return out;
    }

    private void check(List<String> c) {
        CommandRunner.Result r = run.run(c);
        if (!r.ok()) throw new GuestException(500, "command '" + String.join(" ", c) + "' failed: " + r.stderr().strip());
    }
}
