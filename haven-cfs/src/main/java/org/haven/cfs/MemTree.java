package org.haven.cfs;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The in-memory cluster file system tree, the counterpart of pmxcfs's memdb. Every change takes the next
 * tree version; a new entry's inode is that version (as in pmxcfs); entries carry version, writer node id and
 * mtime (seconds). Enforces the cfs rules: VMID uniqueness across {@code nodes/*&#47;(qemu-server|lxc|openvz)},
 * no renaming of non-empty directories, size limits, and pmxcfs locks (directories below {@code priv/lock}
 * owned by the node that created them, expiring {@link LockTable#LIFETIME_MILLIS} after their last refresh, HA locks as the HA timing file says).
 * <p>
 * Pure and deterministic: time and writer are arguments, so every replica that applies the same operations
 * in the same order ends in the same state. Not thread-safe; the owner synchronises.
 */
public final class MemTree {
    public static final int DT_DIR = 4;
    public static final int DT_REG = 8;
    public static final String LOCK_DIR = "priv/lock";

    /** One inode. {@code children} is non-null for directories. */
    public static final class Node {
        public final long inode;
        long parent;
        long version;
        int writer;
        long mtime;
        final int type;
        String name;
        byte[] data;
        final TreeMap<String, Node> children;

        Node(long inode, long parent, long version, int writer, long mtime, int type, String name, byte[] data) {
            this.inode = inode;
            this.parent = parent;
            this.version = version;
            this.writer = writer;
            this.mtime = mtime;
            this.type = type;
            this.name = name;
            this.data = data;
            this.children = type == DT_DIR ? new TreeMap<>() : null;
        }

        public long parent() { return parent; }
        public long version() { return version; }
        public int writer() { return writer; }
        public long mtime() { return mtime; }
        public int type() { return type; }
        public String name() { return name; }
        public byte[] data() { return data; }
        public boolean isDir() { return type == DT_DIR; }
        public long size() { return data == null ? 0 : data.length; }
    }

    /** A row of pmxcfs's {@code tree} table. */
    public record Row(long inode, long parent, long version, int writer, long mtime, int type, String name, byte[] data) {}

    private final CfsLimits limits;
    private final Node root = new Node(0, 0, 0, 0, 0, DT_DIR, "", null);
    private final Map<Long, Node> byInode = new HashMap<>();
    private final Map<Integer, CfsPath.GuestConfig> vmids = new HashMap<>();
    private long version;
    private long vmlistVersion;
    private long totalSize;
    private long inodes;
    /** Writer and time of the last change (pmxcfs stores them on the __version__ row). */
    private int lastWriter;
    private long lastMtime;

    public MemTree(CfsLimits limits) {
        this.limits = limits;
        byInode.put(0L, root);
    }

    public CfsLimits limits() { return limits; }

    /** Current tree version (increments on every change). */
    public long version() { return version; }

    public long vmlistVersion() { return vmlistVersion; }

    public long totalSize() { return totalSize; }

    /** Number of entries, the root excluded. */
    public long inodeCount() { return inodes; }

    public Map<Integer, CfsPath.GuestConfig> vmids() { return Collections.unmodifiableMap(vmids); }

    // ------------------------------------------------------------------ lookup

    /** Entry at a normalised path ("" is the root). */
    public Optional<Node> lookup(String path) {
        return Optional.ofNullable(find(path));
    }

    private Node find(String path) {
        if (path.isEmpty()) return root;
        Node cur = root;
        int i = 0, n = path.length();
        while (i <= n) {
            int j = path.indexOf('/', i);
            if (j < 0) j = n;
            if (cur.children == null) return null;
            cur = cur.children.get(path.substring(i, j));
            if (cur == null) return null;
            i = j + 1;
        }
        return cur;
    }

    public Optional<byte[]> read(String path) {
        Node e = find(path);
        return e == null || e.isDir() ? Optional.empty() : Optional.of(e.data == null ? new byte[0] : e.data);
    }

    /** Children of a directory, sorted by name; empty when it is missing or not a directory. */
    public List<Node> list(String path) {
        Node e = find(path);
        return e == null || !e.isDir() ? List.of() : List.copyOf(e.children.values());
    }

    public String pathOf(Node e) {
        if (e == root) return "";
        ArrayList<String> parts = new ArrayList<>();
        for (Node cur = e; cur != root; cur = byInode.get(cur.parent)) parts.add(cur.name);
        Collections.reverse(parts);
        return String.join("/", parts);
    }

    // ------------------------------------------------------------------ changes

    private Node parentDir(String path) {
        Node p = find(CfsPath.parent(path));
        if (p == null) throw Errno.ENOENT.at(path);
        if (!p.isDir()) throw Errno.ENOTDIR.at(path);
        return p;
    }

    private static void checkName(String path) {
        if (path.isEmpty()) throw Errno.EISDIR.at(path);
        if (!path.contains("/") && (CfsPath.LINKS.contains(path) || CfsPath.isStatusFile(path))) throw Errno.EACCES.at(path);
    }

    private long bump(int writer, long mtime) {
        lastWriter = writer;
        lastMtime = mtime;
        root.version = ++version;
        return version;
    }

    private void touchDir(Node dir, long v, int writer, long mtime) {
        dir.version = v;
        dir.writer = writer;
        dir.mtime = mtime;
    }

    /**
     * Create or replace a file. With {@code exclusive} the file must not exist. Returns the new version.
     */
    public long write(String path, byte[] data, boolean exclusive, int writer, long timeMillis) {
        checkName(path);
        Node dir = parentDir(path);
        String name = CfsPath.name(path);
        Node old = dir.children.get(name);
        if (old != null && old.isDir()) throw Errno.EISDIR.at(path);
        if (old != null && exclusive) throw Errno.EEXIST.at(path);
        if (data.length > limits.maxFileSize()) throw Errno.EFBIG.at(path);
        long oldSize = old == null ? 0 : old.size();
        if (totalSize - oldSize + data.length > limits.maxTotalSize()) throw Errno.ENOSPC.at(path);
        if (old == null && inodes + 1 > limits.maxInodes()) throw Errno.ENOSPC.at(path);
        Optional<CfsPath.GuestConfig> guest = CfsPath.guestConfig(path);
        if (old == null && guest.isPresent() && vmids.containsKey(guest.get().vmid())) throw Errno.EEXIST.at(path);
        if (CfsPath.isUnder(path, LOCK_DIR) && !path.equals(LOCK_DIR)) throw Errno.EACCES.at(path);

        long sec = timeMillis / 1000;
        long v = bump(writer, sec);
        byte[] copy = data.clone();
        if (old == null) {
            Node e = new Node(v, dir.inode, v, writer, sec, DT_REG, name, copy);
            dir.children.put(name, e);
            byInode.put(v, e);
            inodes++;
            touchDir(dir, v, writer, sec);
            if (guest.isPresent()) { vmids.put(guest.get().vmid(), guest.get()); vmlistVersion++; }
        } else {
            old.data = copy;
            old.version = v;
            old.writer = writer;
            old.mtime = sec;
            if (guest.isPresent()) vmlistVersion++;
        }
        totalSize += data.length - oldSize;
        return v;
    }

    /** Create a directory and missing parents; returns the paths created (outermost first). */
    public List<String> mkdirs(String path, int writer, long timeMillis) {
        if (path.isEmpty()) return List.of();
        Node cur = root;
        String curPath = "";
        List<String> created = new ArrayList<>();
        String[] comps = path.split("/");
        // validate first so a failure changes nothing
        Node probe = root;
        int missing = 0;
        for (String c : comps) {
            if (probe == null) { missing++; continue; }
            Node next = probe.children.get(c);
            if (next != null && !next.isDir()) throw Errno.EEXIST.at(path);
            if (next == null) missing++;
            probe = next;
        }
        if (missing == 0) return List.of();
        checkName(path);
        if (inodes + missing > limits.maxInodes()) throw Errno.ENOSPC.at(path);
        long sec = timeMillis / 1000;
        for (String c : comps) {
            curPath = curPath.isEmpty() ? c : curPath + "/" + c;
            Node next = cur.children.get(c);
            if (next == null) {
                long v = bump(writer, sec);
                next = new Node(v, cur.inode, v, writer, sec, DT_DIR, c, null);
                cur.children.put(c, next);
                byInode.put(v, next);
                inodes++;
                touchDir(cur, v, writer, sec);
                created.add(curPath);
            }
            cur = next;
        }
        return created;
    }

    /** Delete a file or an empty directory; false when it does not exist. */
    public boolean delete(String path, int writer, long timeMillis) {
        if (path.isEmpty()) throw Errno.EACCES.at(path);
        Node e = find(path);
        if (e == null) return false;
        if (e.isDir() && !e.children.isEmpty()) throw Errno.ENOTEMPTY.at(path);
        if (CfsPath.isUnder(path, LOCK_DIR) && !path.equals(LOCK_DIR)) throw Errno.EACCES.at(path);
        remove(e, path, writer, timeMillis / 1000);
        return true;
    }

    private void remove(Node e, String path, int writer, long sec) {
        Node dir = byInode.get(e.parent);
        dir.children.remove(e.name);
        byInode.remove(e.inode);
        inodes--;
        totalSize -= e.size();
        long v = bump(writer, sec);
        touchDir(dir, v, writer, sec);
        CfsPath.guestConfig(path).ifPresent(g -> { if (vmids.remove(g.vmid(), g)) vmlistVersion++; });
    }

    /**
     * Rename {@code from} to {@code to}; when {@code to} is an existing directory and {@code from} a file, the file
     * moves into it under its own name. Replaces an existing target file. Returns the final target path.
     */
    public String rename(String from, String to, int writer, long timeMillis) {
        checkName(from);
        checkName(to);
        Node src = find(from);
        if (src == null) throw Errno.ENOENT.at(from);
        Node tgt = find(to);
        if (tgt != null && tgt.isDir() && !src.isDir()) {
            to = to + "/" + src.name;
            tgt = find(to);
        }
        if (to.equals(from)) return to;
        if (CfsPath.isUnder(to, from)) throw Errno.EINVAL.at(to);
        if (CfsPath.isUnder(from, LOCK_DIR) || CfsPath.isUnder(to, LOCK_DIR)) throw Errno.EACCES.at(from);
        Node dir = parentDir(to);
        if (src.isDir()) {
            if (!src.children.isEmpty()) throw Errno.ENOTEMPTY.at(from);
            if (tgt != null) throw Errno.EEXIST.at(to);
        } else if (tgt != null && tgt.isDir()) {
            throw Errno.EISDIR.at(to);
        }
        Optional<CfsPath.GuestConfig> srcGuest = src.isDir() ? Optional.empty() : CfsPath.guestConfig(from);
        Optional<CfsPath.GuestConfig> dstGuest = src.isDir() ? Optional.empty() : CfsPath.guestConfig(to);
        if (dstGuest.isPresent() && tgt == null) {
            CfsPath.GuestConfig owner = vmids.get(dstGuest.get().vmid());
            if (owner != null && !(srcGuest.isPresent() && srcGuest.get().equals(owner))) throw Errno.EEXIST.at(to);
        }
        long sec = timeMillis / 1000;
        if (tgt != null) remove(tgt, to, writer, sec);
        Node oldDir = byInode.get(src.parent);
        oldDir.children.remove(src.name);
        long v = bump(writer, sec);
        touchDir(oldDir, v, writer, sec);
        src.name = CfsPath.name(to);
        src.parent = dir.inode;
        src.version = v;
        src.writer = writer;
        src.mtime = sec;
        dir.children.put(src.name, src);
        touchDir(dir, v, writer, sec);
        if (srcGuest.isPresent() && vmids.remove(srcGuest.get().vmid(), srcGuest.get())) vmlistVersion++;
        if (dstGuest.isPresent()) { vmids.put(dstGuest.get().vmid(), dstGuest.get()); vmlistVersion++; }
        return to;
    }

    // ------------------------------------------------------------------ locks

    public enum LockMode { ACQUIRE, REFRESH, TRY, RELEASE }

    /**
     * pmxcfs lock operations on {@code priv/lock/<name>}:
     * ACQUIRE takes a free or expired lock (fails with EEXIST while another holder's lock is live, even for the
     * same node, as {@code mkdir} does); REFRESH renews a lock this writer holds (EACCES otherwise); TRY
     * refreshes a live lock of this writer or acquires; RELEASE removes a lock this writer holds. Returns the
     * lock path.
     */
    public String lock(String name, LockMode mode, int writer, long timeMillis) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) throw Errno.EINVAL.at(LOCK_DIR + "/" + name);
        String path = LOCK_DIR + "/" + name;
        Node e = find(path);
        boolean live = e != null && isLive(e, timeMillis);
        long sec = timeMillis / 1000;
        switch (mode) {
            case RELEASE -> {
                if (e == null) return path;
                if (live && e.writer != writer) throw Errno.EACCES.at(path);
                remove(e, path, writer, sec);
                return path;
            }
            case REFRESH -> {
                if (!live || e.writer != writer) throw Errno.EACCES.at(path);
                refresh(e, writer, timeMillis);
                return path;
            }
            case TRY -> {
                if (live && e.writer == writer) { refresh(e, writer, timeMillis); return path; }
                if (live) throw Errno.EEXIST.at(path);
            }
            case ACQUIRE -> {
                if (live) throw Errno.EEXIST.at(path);
            }
        }
        if (e != null) remove(e, path, writer, sec);
        mkdirs(LOCK_DIR, writer, timeMillis);
        if (inodes + 1 > limits.maxInodes()) throw Errno.ENOSPC.at(path);
        Node dir = find(LOCK_DIR);
        long v = bump(writer, sec);
        Node l = new Node(v, dir.inode, v, writer, sec, DT_DIR, name, null);
        dir.children.put(name, l);
        byInode.put(v, l);
        inodes++;
        touchDir(dir, v, writer, sec);
        return path;
    }

    /**
     * A lock is live until its lifetime after its mtime (whole seconds, so every replica decides alike): 120 s, or
     * for HA locks what {@link LockTable#haLockLifetimeMillis(String, long, byte[], long)} decides from the tree.
     */
    private boolean isLive(Node e, long timeMillis) {
        Node timing = LockTable.isHaLock(e.name) ? find(LockTable.HA_TIMING_FILE) : null;
        long lifetime = timing == null || timing.isDir() ? LockTable.LIFETIME_MILLIS
            : LockTable.haLockLifetimeMillis(e.name, e.version, timing.data, timing.version);
        return e.mtime * 1000 + lifetime > timeMillis;
    }

    private void refresh(Node e, int writer, long timeMillis) {
        e.mtime = timeMillis / 1000;
        e.version = bump(writer, e.mtime);
    }

    /** Holder (writer node id) of a live lock. */
    public Optional<Integer> lockHolder(String name, long timeMillis) {
        Node e = find(LOCK_DIR + "/" + name);
        return e != null && e.isDir() && isLive(e, timeMillis) ? Optional.of(e.writer) : Optional.empty();
    }

    // ------------------------------------------------------------------ rows (config.db)

    /** All entries as pmxcfs {@code tree} rows, the {@code __version__} row (inode 0) first, then by inode. */
    public List<Row> rows() {
        List<Row> out = new ArrayList<>((int) inodes + 1);
        out.add(new Row(0, 0, version, lastWriter, lastMtime, DT_REG, "__version__", null));
        List<Node> all = new ArrayList<>(byInode.values());
        all.sort((a, b) -> Long.compare(a.inode, b.inode));
        for (Node e : all) {
            if (e == root) continue;
            out.add(new Row(e.inode, e.parent, e.version, e.writer, e.mtime, e.type, e.name, e.isDir() ? null : e.data));
        }
        return out;
    }

    /**
     * Builds a tree from pmxcfs {@code tree} rows.
     * Rejects rows whose parent is missing or not a directory, and duplicate names.
     */
    public static MemTree fromRows(Collection<Row> rows, CfsLimits limits) {
        MemTree t = new MemTree(limits);
        Map<Long, Row> byInode = new HashMap<>();
        for (Row r : rows) {
            if (r.inode() == 0) {
                if (!"__version__".equals(r.name())) throw new IllegalArgumentException("inode 0 must be __version__");
                t.version = r.version();
                t.lastWriter = r.writer();
                t.lastMtime = r.mtime();
                t.root.version = r.version();
                continue;
            }
            if (r.type() != DT_DIR && r.type() != DT_REG) throw new IllegalArgumentException("bad type " + r.type() + " for inode " + r.inode());
            if (r.name().isEmpty() || r.name().contains("/")) throw new IllegalArgumentException("bad name for inode " + r.inode());
            if (byInode.put(r.inode(), r) != null) throw new IllegalArgumentException("duplicate inode " + r.inode());
        }
        // attach in an order where parents come first
        List<Row> pending = new ArrayList<>(byInode.values());
        pending.sort((a, b) -> Long.compare(a.inode(), b.inode()));
        Map<Long, List<Row>> byParent = new HashMap<>();
        for (Row r : pending) byParent.computeIfAbsent(r.parent(), k -> new ArrayList<>()).add(r);
        ArrayList<Node> queue = new ArrayList<>();
        queue.add(t.root);
        int attached = 0;
        for (int qi = 0; qi < queue.size(); qi++) {
            Node dir = queue.get(qi);
            for (Row r : byParent.getOrDefault(dir.inode, List.of())) {
                if (r.inode() == dir.inode) continue;
                Node e = new Node(r.inode(), dir.inode, r.version(), r.writer(), r.mtime(), r.type(), r.name(),
                        r.type() == DT_REG ? (r.data() == null ? new byte[0] : r.data()) : null);
                if (dir.children.putIfAbsent(e.name, e) != null) throw new IllegalArgumentException("duplicate name " + r.name() + " in inode " + dir.inode);
                t.byInode.put(e.inode, e);
                t.inodes++;
                t.totalSize += e.size();
                attached++;
                if (e.isDir()) queue.add(e);
                t.version = Math.max(t.version, Math.max(e.version, e.inode));
            }
        }
        t.root.version = t.version;
        if (attached != byInode.size()) throw new IllegalArgumentException((byInode.size() - attached) + " entries have no valid parent");
        for (Node e : t.byInode.values()) {
            if (e == t.root) continue;
            String p = t.pathOf(e);
            if (!e.isDir()) CfsPath.guestConfig(p).ifPresent(g -> t.vmids.putIfAbsent(g.vmid(), g));
        }
        t.vmlistVersion = 1;
        return t;
    }

    /** Deep copy (used for snapshots taken while the tree keeps changing). */
    public MemTree copy() {
        MemTree t = fromRows(rows(), limits);
        t.vmlistVersion = vmlistVersion;
        return t;
    }
}
