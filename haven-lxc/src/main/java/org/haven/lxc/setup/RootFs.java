package org.haven.lxc.setup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * A container's root file system seen as the container sees it: every path is resolved as inside a chroot (an
 * absolute symlink target starts at the rootfs, {@code ..} stops at it), so no read or write ever leaves the
 * rootfs. A write replaces the file (write to a temporary file, then rename), so a symlink at the written path is
 * replaced, never followed. A file {@code DIR/NAME} is left alone when {@code DIR/.pve-ignore.NAME} exists, as PVE
 * does.
 */
final class RootFs {
    private static final int MAX_LINKS = 40;
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final Path root;

    RootFs(Path rootfs) throws IOException {
        this.root = rootfs.toRealPath();
    }

    Path root() { return root; }

    /**
     * The host path of container path {@code ctPath}. Symlinks in the directories on the way are followed inside
     * the rootfs; the last component is followed too when {@code followLast}.
     */
    Path resolve(String ctPath, boolean followLast) throws IOException {
        Deque<String> todo = new ArrayDeque<>(components(ctPath));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pop();
            if (c.equals("..")) {
                if (!done.isEmpty()) done.remove(done.size() - 1);
                continue;
            }
            Path candidate = join(done).resolve(c);
            boolean last = todo.isEmpty();
            if (Files.isSymbolicLink(candidate) && (!last || followLast)) {
                if (++links > MAX_LINKS) throw new FileSystemException(ctPath, null, "too many levels of symbolic links");
                String target = Files.readSymbolicLink(candidate).toString();
                if (target.startsWith("/")) done.clear();
                List<String> t = components(target);
                for (int i = t.size() - 1; i >= 0; i--) todo.push(t.get(i));
                continue;
            }
            done.add(c);
        }
        return join(done);
    }

    private Path join(List<String> parts) {
        Path p = root;
        for (String s : parts) p = p.resolve(s);
        return p;
    }

    private static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) if (!s.isEmpty() && !s.equals(".")) out.add(s);
        return out;
    }

    boolean exists(String ctPath) throws IOException {
        return Files.exists(resolve(ctPath, true), NOFOLLOW);
    }

    boolean isFile(String ctPath) throws IOException {
        return Files.isRegularFile(resolve(ctPath, true), NOFOLLOW);
    }

    boolean isDirectory(String ctPath) throws IOException {
        return Files.isDirectory(resolve(ctPath, true), NOFOLLOW);
    }

    boolean isSymlink(String ctPath) throws IOException {
        return Files.isSymbolicLink(resolve(ctPath, false));
    }

    /** The contents of a regular file, or null when there is none. */
    String read(String ctPath) throws IOException {
        Path p = resolve(ctPath, true);
        if (!Files.isRegularFile(p, NOFOLLOW)) return null;
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }

    /** The first line of a file (without the line end), or null. */
    String firstLine(String ctPath) throws IOException {
        String s = read(ctPath);
        if (s == null) return null;
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Target of a symlink, or null. */
    String readLink(String ctPath) throws IOException {
        Path p = resolve(ctPath, false);
        return Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString() : null;
    }

    /** True when PVE's {@code .pve-ignore.NAME} marker beside the file exists. */
    boolean ignored(String ctPath) throws IOException {
        int slash = ctPath.lastIndexOf('/');
        String dir = slash <= 0 ? "/" : ctPath.substring(0, slash);
        return exists(dir + "/.pve-ignore." + ctPath.substring(slash + 1));
    }

    /**
     * Replaces the file's contents. An existing file keeps its owner and mode; a new one gets {@code mode} and the
     * owner of its directory (so files in an unprivileged container's rootfs stay owned by its mapped root).
     */
    void write(String ctPath, String data, int mode) throws IOException {
        if (ignored(ctPath)) return;
        Path target = resolve(ctPath, false);
        Path dir = target.getParent();
        if (Files.isDirectory(target, NOFOLLOW)) throw new FileSystemException(ctPath, null, "is a directory");
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp." + ProcessHandle.current().pid());
        try {
            Files.write(tmp, data.getBytes(StandardCharsets.UTF_8));
            boolean old = Files.isRegularFile(target, NOFOLLOW);
            Path like = old ? target : dir;
            Files.setPosixFilePermissions(tmp, old ? Files.getPosixFilePermissions(target, NOFOLLOW) : permissions(mode));
            copyOwner(like, tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Applies a PVE-managed section ({@link ManagedSection}) to a file. */
    void modify(String ctPath, String data, ManagedSection.Placement placement, boolean deleteWhenEmpty, int mode) throws IOException {
        if (ignored(ctPath)) return;
        String old = read(ctPath);
        String updated = ManagedSection.apply(old, data, placement);
        if (updated == null) {
            if (old != null && deleteWhenEmpty) unlink(ctPath);
            else if (old != null) write(ctPath, "", mode);
        } else if (!updated.equals(old)) {
            write(ctPath, updated, mode);
        }
    }

    /** Creates the directory and its missing parents (owned like their parent). */
    void makePath(String ctPath, int mode) throws IOException {
        String prefix = "";
        for (String c : components(ctPath)) {
            prefix += "/" + c;
            Path p = resolve(prefix, true);
            if (Files.isDirectory(p, NOFOLLOW)) continue;
            Files.createDirectory(p);
            Files.setPosixFilePermissions(p, permissions(mode));
            copyOwner(p.getParent(), p);
        }
    }

    /** Creates symlink {@code ctPath → target} unless something exists there or its directory is missing. */
    void symlink(String target, String ctPath) throws IOException {
        if (ignored(ctPath)) return;
        Path link = resolve(ctPath, false);
        if (Files.exists(link, NOFOLLOW) || !Files.isDirectory(link.getParent(), NOFOLLOW)) return;
        Files.createSymbolicLink(link, Path.of(target));
        copyOwner(link.getParent(), link);
    }

    /** Replaces whatever is at {@code ctPath} by a symlink to {@code target}. */
    void replaceBySymlink(String target, String ctPath) throws IOException {
        if (ignored(ctPath)) return;
        Path link = resolve(ctPath, false);
        Path tmp = link.getParent().resolve("." + link.getFileName() + ".tmp." + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, Path.of(target));
            copyOwner(link.getParent(), tmp);
            Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    void unlink(String ctPath) throws IOException {
        if (ignored(ctPath)) return;
        Path p = resolve(ctPath, false);
        if (!Files.isDirectory(p, NOFOLLOW)) Files.deleteIfExists(p);
    }

    /** Names in a directory (empty when it does not exist), sorted. */
    List<String> list(String ctPath) throws IOException {
        Path p = resolve(ctPath, true);
        if (!Files.isDirectory(p, NOFOLLOW)) return List.of();
        try (var s = Files.list(p)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    /** Sets owner and group of {@code target} to those of {@code like}, when they differ. */
    private static void copyOwner(Path like, Path target) throws IOException {
        Object uid = Files.getAttribute(like, "unix:uid", NOFOLLOW);
        Object gid = Files.getAttribute(like, "unix:gid", NOFOLLOW);
        if (!uid.equals(Files.getAttribute(target, "unix:uid", NOFOLLOW))) Files.setAttribute(target, "unix:uid", uid, NOFOLLOW);
        if (!gid.equals(Files.getAttribute(target, "unix:gid", NOFOLLOW))) Files.setAttribute(target, "unix:gid", gid, NOFOLLOW);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder sb = new StringBuilder();
        String rwx = "rwx";
        for (int i = 8; i >= 0; i--) sb.append((mode & (1 << i)) != 0 ? rwx.charAt(2 - i % 3) : '-');
        return PosixFilePermissions.fromString(sb.toString());
    }
}
