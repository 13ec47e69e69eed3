package org.haven.cfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;

/**
 * Single-node cluster file system kept in a plain directory (the counterpart of {@code pmxcfs -l}).
 * Always quorate. Writes are atomic (temp file + rename), guest VMIDs are unique across
 * {@code nodes/*&#47;qemu-server|lxc|openvz}, {@code priv/} directories are 0700 and their files 0600,
 * other files 0640. Locks are in-process leases with pmxcfs's 120 s lifetime. Listeners are called
 * synchronously in the writing thread after the change, with the normalised path
 * ({@code nodes/<node>/…}, never a virtual link).
 * <p>
 * Per-file versions are kept in memory: every change takes the next tree version; files that were
 * not changed since this instance was opened report the version they had at open time (their rank
 * in mtime order).
 */
public final class LocalClusterFs implements ClusterFs {
    /** PVE's default wait for {@code cfs_lock}: 10 s. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(10);

    private static final Set<PosixFilePermission> DIR_PUBLIC = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> DIR_PRIVATE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_PUBLIC = PosixFilePermissions.fromString("rw-r-----");
    private static final Set<PosixFilePermission> FILE_PRIVATE = PosixFilePermissions.fromString("rw-------");
    private static final String TMP_PREFIX = ".tmp.";

    private final Path root;
    private final String nodeName;
    private final Clock clock;
    private final LockedCommands lockedCommands;
    private final CfsLimits limits;
    private final long startTime;

    /** Serialises all mutations and guards the indexes below. */
    private final ReentrantLock mutex = new ReentrantLock();
    private final AtomicLong treeVersion = new AtomicLong();
    private final Map<String, Long> versions = new HashMap<>();
    private final TreeMap<Integer, CfsPath.GuestConfig> vmids = new TreeMap<>();
    private long vmlistVersion = 1;
    private long totalSize;
    private long inodes;

    private final LockTable locks = new LockTable(name -> LockTable.haLockLifetimeMillis(name,
        LockTable.isHaLock(name) ? readString(LockTable.HA_TIMING_FILE).orElse(null) : null));
    private final Object lockMonitor = new Object();
    private static final Object NODE_OWNER = new Object();

    private final List<Watch> watches = new CopyOnWriteArrayList<>();

    private record Watch(String prefix, Consumer<String> listener) {}

    public LocalClusterFs(Path root, String nodeName) {
        this(root, nodeName, Clock.SYSTEM, CfsLimits.PVE);
    }

    public LocalClusterFs(Path root, String nodeName, Clock clock, CfsLimits limits) {
        if (nodeName == null || nodeName.isEmpty() || nodeName.contains("/")) throw new IllegalArgumentException("bad node name");
        this.root = root.toAbsolutePath().normalize();
        this.nodeName = nodeName;
        this.clock = clock;
        this.lockedCommands = new LockedCommands(clock);
        this.limits = limits;
        this.startTime = clock.epochSeconds();
        try {
            Files.createDirectories(this.root);
            scan();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open cluster file system at " + this.root, e);
        }
        for (String d : List.of("priv", "priv/lock", "nodes", "nodes/" + nodeName, "nodes/" + nodeName + "/qemu-server",
                "nodes/" + nodeName + "/lxc", "nodes/" + nodeName + "/priv")) {
            mkdirs(d);
        }
    }

    /** Directory that backs the tree. */
    public Path root() { return root; }

    public CfsLimits limits() { return limits; }

    private void scan() throws IOException {
        List<Map.Entry<String, Long>> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.equals(root)) continue;
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (CfsPath.name(rel).startsWith(TMP_PREFIX)) { Files.deleteIfExists(p); continue; }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                inodes++;
                if (a.isRegularFile()) {
                    totalSize += a.size();
                    files.add(Map.entry(rel, a.lastModifiedTime().toMillis()));
                    CfsPath.guestConfig(rel).ifPresent(g -> vmids.putIfAbsent(g.vmid(), g));
                }
            }
        }
        files.sort(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
        for (Map.Entry<String, Long> f : files) versions.put(f.getKey(), treeVersion.incrementAndGet());
    }

    @Override public String nodeName() { return nodeName; }

    private String norm(String path) { return CfsPath.resolve(path, nodeName); }

    private Path file(String norm) { return norm.isEmpty() ? root : root.resolve(norm); }

    private static CfsException err(String what, String path, String reason) {
        return new CfsException(what + " '" + CfsPath.display(path) + "' - " + reason);
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<byte[]> read(String path) {
        String p = norm(path);
        if (CfsPath.isStatusFile(p)) return Optional.of(statusFile(p).getBytes(StandardCharsets.UTF_8));
        Path f = file(p);
        try {
            return Optional.of(Files.readAllBytes(f));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (Files.isDirectory(f)) return Optional.empty();
            throw new CfsException("unable to read '" + CfsPath.display(p) + "' - " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Entry> stat(String path) {
        String p = norm(path);
        if (CfsPath.isStatusFile(p)) {
            return Optional.of(new Entry(p, false, statusFile(p).length(), clock.epochSeconds(), 0));
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file(p), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return Optional.of(entry(p.isEmpty() ? "" : CfsPath.name(p), p, a));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CfsException("unable to stat '" + CfsPath.display(p) + "' - " + e.getMessage(), e);
        }
    }

    private Entry entry(String name, String p, BasicFileAttributes a) {
        Long v;
        mutex.lock();
        try { v = versions.get(p); } finally { mutex.unlock(); }
        return new Entry(name, a.isDirectory(), a.isDirectory() ? 0 : a.size(),
                a.lastModifiedTime().toMillis() / 1000, v == null ? 0 : v);
    }

    @Override
    public List<Entry> list(String dir) {
        String p = norm(dir);
        Path d = file(p);
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) return List.of();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(d)) {
            for (Path c : (Iterable<Path>) s::iterator) {
                String name = c.getFileName().toString();
                if (name.startsWith(TMP_PREFIX)) continue;
                try {
                    BasicFileAttributes a = Files.readAttributes(c, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    out.add(entry(name, p.isEmpty() ? name : p + "/" + name, a));
                } catch (NoSuchFileException gone) {
                    // removed while listing
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CfsException("unable to list '" + CfsPath.display(p) + "' - " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(Entry::name));
        return out;
    }

    // ---------------------------------------------------------------- writes

    @Override
    public void write(String path, byte[] data) { put(path, data, false); }

    @Override
    public void create(String path, byte[] data) { put(path, data, true); }

    private void put(String path, byte[] data, boolean exclusive) {
        String p = norm(path);
        String what = exclusive ? "unable to create file" : "unable to write file";
        checkWritable(what, p);
        if (data.length > limits.maxFileSize()) throw err(what, p, "File too large");
        mutex.lock();
        try {
            Path f = file(p);
            Path dir = f.getParent();
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw err(what, p, "No such file or directory");
            long oldSize = 0;
            boolean exists = false;
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isDirectory()) throw err(what, p, "Is a directory");
                exists = true;
                oldSize = a.size();
            } catch (NoSuchFileException e) {
                // new file
            } catch (IOException e) {
                throw err(what, p, e.getMessage());
            }
            if (exists && exclusive) throw err(what, p, "File exists");
            Optional<CfsPath.GuestConfig> guest = CfsPath.guestConfig(p);
            if (!exists && guest.isPresent() && vmids.containsKey(guest.get().vmid())) throw err(what, p, "File exists");
            if (totalSize - oldSize + data.length > limits.maxTotalSize()) throw err(what, p, "No space left on device");
            if (!exists && inodes + 1 > limits.maxInodes()) throw err(what, p, "No space left on device");
            Path tmp = dir.resolve(TMP_PREFIX + CfsPath.name(p) + "." + ProcessHandle.current().pid());
            try {
                Files.write(tmp, data);
                Files.setPosixFilePermissions(tmp, CfsPath.isPrivate(p) ? FILE_PRIVATE : FILE_PUBLIC);
                Files.setLastModifiedTime(tmp, FileTime.fromMillis(clock.epochMillis()));
                move(tmp, f);
            } catch (IOException e) {
                try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
                throw err(what, p, e.getMessage());
            }
            totalSize += data.length - oldSize;
            if (!exists) inodes++;
            versions.put(p, treeVersion.incrementAndGet());
            if (guest.isPresent()) { vmids.put(guest.get().vmid(), guest.get()); vmlistVersion++; }
        } finally {
            mutex.unlock();
        }
        notifyWatches(p);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void checkWritable(String what, String p) {
        lockedCommands.checkTime();
        if (!isQuorate()) throw new CfsException("cluster not ready - no quorum?");
        if (p.isEmpty()) throw err(what, p, "Is a directory");
        if (CfsPath.isStatusFile(p) || (!p.contains("/") && CfsPath.LINKS.contains(p))) throw err(what, p, "Permission denied");
        if (CfsPath.name(p).startsWith(TMP_PREFIX)) throw err(what, p, "Permission denied");
    }

    @Override
    public boolean delete(String path) {
        String p = norm(path);
        checkWritable("unable to delete", p);
        mutex.lock();
        try {
            Path f = file(p);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException e) {
                throw err("unable to delete", p, e.getMessage());
            }
            try {
                Files.delete(f);
            } catch (DirectoryNotEmptyException e) {
                throw err("unable to delete", p, "Directory not empty");
            } catch (IOException e) {
                throw err("unable to delete", p, e.getMessage());
            }
            inodes--;
            if (!a.isDirectory()) totalSize -= a.size();
            versions.remove(p);
            treeVersion.incrementAndGet();
            CfsPath.guestConfig(p).ifPresent(g -> { vmids.remove(g.vmid(), g); vmlistVersion++; });
        } finally {
            mutex.unlock();
        }
        notifyWatches(p);
        return true;
    }

    @Override
    public void mkdirs(String path) {
        String p = norm(path);
        if (p.isEmpty()) return;
        List<String> created = new ArrayList<>();
        mutex.lock();
        try {
            String cur = "";
            for (String comp : p.split("/")) {
                cur = cur.isEmpty() ? comp : cur + "/" + comp;
                Path d = file(cur);
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) continue;
                checkWritable("unable to create directory", cur);
                if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) throw err("unable to create directory", cur, "File exists");
                if (inodes + 1 > limits.maxInodes()) throw err("unable to create directory", cur, "No space left on device");
                try {
                    Files.createDirectory(d);
                    Files.setPosixFilePermissions(d, CfsPath.isPrivate(cur) ? DIR_PRIVATE : DIR_PUBLIC);
                    Files.setLastModifiedTime(d, FileTime.fromMillis(clock.epochMillis()));
                } catch (FileAlreadyExistsException e) {
                    continue;
                } catch (IOException e) {
                    throw err("unable to create directory", cur, e.getMessage());
                }
                inodes++;
                versions.put(cur, treeVersion.incrementAndGet());
                created.add(cur);
            }
        } finally {
            mutex.unlock();
        }
        created.forEach(this::notifyWatches);
    }

    @Override
    public void rename(String from, String to) {
        String src = norm(from);
        String dst = norm(to);
        checkWritable("unable to rename", src);
        checkWritable("unable to rename", dst);
        mutex.lock();
        try {
            Path s = file(src);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(s, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                throw err("unable to rename", src, "No such file or directory");
            }
            if (Files.isDirectory(file(dst), LinkOption.NOFOLLOW_LINKS) && !a.isDirectory()) {
                dst = dst + "/" + CfsPath.name(src);
            }
            if (dst.equals(src)) return;
            if (CfsPath.isUnder(dst, src)) throw err("unable to rename", src, "Invalid argument");
            Path d = file(dst);
            if (!Files.isDirectory(d.getParent(), LinkOption.NOFOLLOW_LINKS)) throw err("unable to rename", dst, "No such file or directory");
            if (a.isDirectory()) {
                try (Stream<Path> c = Files.list(s)) {
                    if (c.findAny().isPresent()) throw err("unable to rename", src, "Directory not empty");
                } catch (IOException e) {
                    throw err("unable to rename", src, e.getMessage());
                }
                if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) throw err("unable to rename", dst, "File exists");
            }
            long replacedSize = -1;
            try {
                BasicFileAttributes t = Files.readAttributes(d, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (t.isDirectory()) throw err("unable to rename", dst, "Is a directory");
                replacedSize = t.size();
            } catch (NoSuchFileException e) {
                // target free
            } catch (IOException e) {
                throw err("unable to rename", dst, e.getMessage());
            }
            Optional<CfsPath.GuestConfig> srcGuest = CfsPath.guestConfig(src);
            Optional<CfsPath.GuestConfig> dstGuest = CfsPath.guestConfig(dst);
            if (dstGuest.isPresent() && replacedSize < 0) {
                CfsPath.GuestConfig owner = vmids.get(dstGuest.get().vmid());
                if (owner != null && !(srcGuest.isPresent() && srcGuest.get().equals(owner))) {
                    throw err("unable to rename", dst, "File exists");
                }
            }
            try {
                move(s, d);
                Files.setLastModifiedTime(d, FileTime.fromMillis(clock.epochMillis()));
                if (!a.isDirectory()) Files.setPosixFilePermissions(d, CfsPath.isPrivate(dst) ? FILE_PRIVATE : FILE_PUBLIC);
                else Files.setPosixFilePermissions(d, CfsPath.isPrivate(dst) ? DIR_PRIVATE : DIR_PUBLIC);
            } catch (IOException e) {
                throw err("unable to rename", src, e.getMessage());
            }
            if (replacedSize >= 0) { totalSize -= replacedSize; inodes--; }
            versions.remove(src);
            versions.put(dst, treeVersion.incrementAndGet());
            if (srcGuest.isPresent()) { vmids.remove(srcGuest.get().vmid(), srcGuest.get()); vmlistVersion++; }
            if (dstGuest.isPresent()) { vmids.put(dstGuest.get().vmid(), dstGuest.get()); vmlistVersion++; }
        } finally {
            mutex.unlock();
        }
        notifyWatches(src);
        notifyWatches(dst);
    }

    // ---------------------------------------------------------------- quorum, locks, watches

    @Override public boolean isQuorate() { return true; }

    @Override
    public <T> T withLock(String name, Duration timeout, Supplier<T> body) {
        if (timeout == null || timeout.isZero() || timeout.isNegative()) timeout = DEFAULT_LOCK_TIMEOUT;
        Thread me = Thread.currentThread();
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lockMonitor) {
            while (!locks.tryAcquire(name, me, clock.epochMillis(), true)) {
                if (!isQuorate()) throw new CfsException("cfs-lock '" + name + "' error: no quorum!");
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new CfsException("cfs-lock '" + name + "' error: got lock request timeout");
                try {
                    lockMonitor.wait(Math.max(1, Math.min(left / 1_000_000, 1000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CfsException("cfs-lock '" + name + "' error: interrupted", e);
                }
            }
        }
        try {
            return lockedCommands.run(name, body);
        } finally {
            synchronized (lockMonitor) {
                locks.release(name, me, false);
                lockMonitor.notifyAll();
            }
        }
    }

    @Override
    public boolean tryLock(String name) {
        synchronized (lockMonitor) {
            return locks.tryAcquire(name, NODE_OWNER, clock.epochMillis(), false);
        }
    }

    @Override
    public void unlock(String name) {
        synchronized (lockMonitor) {
            if (locks.release(name, NODE_OWNER, true)) lockMonitor.notifyAll();
        }
    }

    @Override
    public AutoCloseable watch(String prefix, Consumer<String> listener) {
        Watch w = new Watch(norm(prefix), listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    private void notifyWatches(String p) {
        for (Watch w : watches) {
            if (!p.isEmpty() && !CfsPath.isUnder(p, w.prefix())) continue;
            try {
                w.listener().accept(p);
            } catch (RuntimeException e) {
                System.getLogger(LocalClusterFs.class.getName()).log(System.Logger.Level.WARNING, "cfs watcher failed for " + p, e);
            }
        }
    }

    // ---------------------------------------------------------------- config.db

    /**
     * Writes the tree as a pmxcfs {@code config.db}. Inodes and versions are assigned in path order (this
     * implementation keeps no inode numbers); writer is 0.
     */
    public void exportDb(Path db) {
        mutex.lock();
        try {
            MemTree t = new MemTree(new CfsLimits(Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4));
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.sorted().toList()) {
                    if (p.equals(root)) continue;
                    String rel = root.relativize(p).toString().replace('\\', '/');
                    if (CfsPath.name(rel).startsWith(TMP_PREFIX)) continue;
                    long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) t.mkdirs(rel, 0, mtime);
                    else t.write(rel, Files.readAllBytes(p), false, 0, mtime);
                }
            }
            ConfigDb.write(db, t.rows());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            mutex.unlock();
        }
    }

    /**
     * Replaces the whole tree with the contents of a pmxcfs {@code config.db} (files keep their mtimes).
     * Watchers are told about the root ("") afterwards.
     */
    public void importDb(Path db) {
        MemTree t = ConfigDb.load(db, limits);
        mutex.lock();
        try {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) if (!p.equals(root)) Files.delete(p);
            }
            versions.clear();
            vmids.clear();
            totalSize = 0;
            inodes = 0;
            List<String> stack = new ArrayList<>(List.of(""));
            while (!stack.isEmpty()) {
                String d = stack.remove(stack.size() - 1);
                for (MemTree.Node n : t.list(d)) {
                    String p = d.isEmpty() ? n.name() : d + "/" + n.name();
                    Path f = file(p);
                    if (n.isDir()) {
                        Files.createDirectory(f);
                        Files.setPosixFilePermissions(f, CfsPath.isPrivate(p) ? DIR_PRIVATE : DIR_PUBLIC);
                        stack.add(p);
                    } else {
                        Files.write(f, n.data());
                        Files.setPosixFilePermissions(f, CfsPath.isPrivate(p) ? FILE_PRIVATE : FILE_PUBLIC);
                        Files.setLastModifiedTime(f, FileTime.fromMillis(n.mtime() * 1000));
                        totalSize += n.size();
                        CfsPath.guestConfig(p).ifPresent(g -> vmids.putIfAbsent(g.vmid(), g));
                    }
                    versions.put(p, n.version());
                    inodes++;
                }
            }
            treeVersion.set(Math.max(treeVersion.get(), t.version()));
            vmlistVersion++;
            // directory mtimes last (creating children touched them)
            for (String p : versions.keySet()) {
                MemTree.Node n = t.lookup(p).orElseThrow();
                if (n.isDir()) Files.setLastModifiedTime(file(p), FileTime.fromMillis(n.mtime() * 1000));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            mutex.unlock();
        }
        for (String d : List.of("priv", "priv/lock", "nodes/" + nodeName + "/qemu-server", "nodes/" + nodeName + "/lxc", "nodes/" + nodeName + "/priv")) {
            mkdirs(d);
        }
        notifyWatches("");
    }

    // ---------------------------------------------------------------- node status and cluster log (this node only)

    private final Map<String, byte[]> nodeKv = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.ArrayDeque<StatusFiles.LogEntry> clusterLog = new java.util.ArrayDeque<>();
    private long logUid;

    @Override
    public void setNodeStatus(String key, byte[] value) {
        if (value == null) nodeKv.remove(key);
        else nodeKv.put(key, value.clone());
    }

    @Override
    public Optional<byte[]> nodeStatus(String node, String key) {
        return node.equals(nodeName) ? Optional.ofNullable(nodeKv.get(key)).map(byte[]::clone) : Optional.empty();
    }

    @Override
    public void clusterLog(int priority, String tag, String user, String message) {
        synchronized (clusterLog) {
            clusterLog.addFirst(new StatusFiles.LogEntry(++logUid, clock.epochSeconds(), priority, tag,
                    ProcessHandle.current().pid(), nodeName, user, message));
            while (clusterLog.size() > StatusPlane.LOG_KEEP) clusterLog.removeLast();
        }
    }

    private List<StatusFiles.LogEntry> clusterLogEntries() {
        synchronized (clusterLog) {
            return List.copyOf(clusterLog);
        }
    }

    // ---------------------------------------------------------------- status files

    private String statusFile(String p) {
        mutex.lock();
        try {
            return switch (p) {
                case ".vmlist" -> StatusFiles.vmlist(vmlistVersion, vmids.values(), this::versionOf);
                case ".members" -> StatusFiles.membersLocal(nodeName, 0);
                case ".version" -> StatusFiles.version(startTime, 0, vmlistVersion, this::versionOf);
                case ".clusterlog" -> StatusFiles.clusterLog(clusterLogEntries());
                case ".rrd" -> StatusFiles.rrd(nodeStatus(nodeName, StatusFiles.RRD_KEY).map(List::of).orElse(List.of()));
                default -> throw new IllegalStateException(p);
            };
        } finally {
            mutex.unlock();
        }
    }

    private long versionOf(String p) {
        Long v = versions.get(p);
        return v == null ? -1 : v;
    }
}
