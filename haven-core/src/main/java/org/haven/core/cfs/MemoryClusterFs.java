package org.haven.core.cfs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.haven.core.time.Clock;

/**
 * A single-node cluster file system held in memory: the tree of a node that is alone and quorate, with pmxcfs's
 * layout ({@code priv}, {@code priv/lock}, {@code nodes/<node>/qemu-server}, {@code …/lxc}, {@code …/priv}) and its
 * rules (parent directories must exist, only empty directories can be deleted). Used where a tree is needed without
 * a daemon (CLI commands that run locally) and by the tests of code that uses {@link ClusterFs}.
 */
public final class MemoryClusterFs implements ClusterFs {
    private static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(10);

    private record Node(byte[] data, long mtime, long version) {
        boolean directory() { return data == null; }
    }

    private record Watch(String prefix, Consumer<String> listener) {}

    private final String node;
    private final Clock clock;
    /** Every file and directory but the root, by path; a directory has no data. */
    private final TreeMap<String, Node> tree = new TreeMap<>();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private long treeVersion;
    private int writes;

    /** The tree of {@code node}, with modification times from {@code clock}. */
    public MemoryClusterFs(String node, Clock clock) {
        this.node = node;
        this.clock = clock;
        for (String d : List.of("priv/lock", "nodes/" + node + "/qemu-server", "nodes/" + node + "/lxc", "nodes/" + node + "/priv")) {
            mkdirs(d);
        }
    }

    public MemoryClusterFs(String node) { this(node, Clock.SYSTEM); }

    @Override public String nodeName() { return node; }

    private static String norm(String path) {
        String p = path;
        while (p.startsWith("/")) p = p.substring(1);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p;
    }

    private static String parent(String p) {
        int slash = p.lastIndexOf('/');
        return slash < 0 ? "" : p.substring(0, slash);
    }

    private static CfsException err(String what, String p, String why) {
        return new CfsException(what + " '" + p + "' - " + why);
    }

    private boolean isDirectory(String p) {
        if (p.isEmpty()) return true;
        Node n = tree.get(p);
        return n != null && n.directory();
    }

    private Node node(byte[] data) { return new Node(data, clock.epochSeconds(), ++treeVersion); }

    @Override public synchronized Optional<byte[]> read(String path) {
        Node n = tree.get(norm(path));
        return n == null || n.directory() ? Optional.empty() : Optional.of(n.data().clone());
    }

    @Override public void write(String path, byte[] data) { put(norm(path), data, false); }

    @Override public void create(String path, byte[] data) { put(norm(path), data, true); }

    private void put(String p, byte[] data, boolean exclusive) {
        String what = exclusive ? "unable to create file" : "unable to write file";
        synchronized (this) {
            if (!isDirectory(parent(p))) throw err(what, p, "No such file or directory");
            Node old = tree.get(p);
            if (old != null && old.directory()) throw err(what, p, "Is a directory");
            if (old != null && exclusive) throw err(what, p, "File exists");
            tree.put(p, node(data.clone()));
            writes++;
        }
        notifyWatches(p);
    }

    @Override public boolean delete(String path) {
        String p = norm(path);
        synchronized (this) {
            Node n = tree.get(p);
            if (n == null) return false;
            if (n.directory() && !children(p).isEmpty()) throw err("unable to delete", p, "Directory not empty");
            tree.remove(p);
        }
        notifyWatches(p);
        return true;
    }

    @Override public void mkdirs(String path) {
        List<String> created = new ArrayList<>();
        synchronized (this) {
            String cur = "";
            for (String comp : norm(path).split("/")) {
                if (comp.isEmpty()) continue;
                cur = cur.isEmpty() ? comp : cur + "/" + comp;
                Node n = tree.get(cur);
                if (n == null) {
                    tree.put(cur, node(null));
                    created.add(cur);
                } else if (!n.directory()) {
                    throw err("unable to create directory", cur, "File exists");
                }
            }
        }
        created.forEach(this::notifyWatches);
    }

    @Override public void rename(String from, String to) {
        String src = norm(from);
        String dst = norm(to);
        synchronized (this) {
            Node n = tree.get(src);
            if (n == null) throw err("unable to rename", src, "No such file or directory");
            if (!isDirectory(parent(dst))) throw err("unable to rename", dst, "No such file or directory");
            if (tree.containsKey(dst)) throw err("unable to rename", dst, "File exists");
            Map<String, Node> moved = new HashMap<>();
            moved.put(dst, n);
            for (String below : new ArrayList<>(tree.subMap(src + "/", src + "0").keySet())) {
                moved.put(dst + below.substring(src.length()), tree.remove(below));
            }
            tree.remove(src);
            moved.forEach((k, v) -> tree.put(k, new Node(v.data(), v.mtime(), ++treeVersion)));
        }
        notifyWatches(src);
        notifyWatches(dst);
    }

    @Override public synchronized Optional<Entry> stat(String path) {
        String p = norm(path);
        if (p.isEmpty()) return Optional.of(new Entry("", true, 0, 0, 0));
        Node n = tree.get(p);
        return n == null ? Optional.empty() : Optional.of(entry(p, n));
    }

    private static Entry entry(String p, Node n) {
        return new Entry(p.substring(p.lastIndexOf('/') + 1), n.directory(), n.directory() ? 0 : n.data().length, n.mtime(), n.version());
    }

    /** Paths of the entries directly below directory {@code p}, sorted by name. */
    private List<String> children(String p) {
        String prefix = p.isEmpty() ? "" : p + "/";
        List<String> out = new ArrayList<>();
        for (String k : tree.tailMap(prefix, false).keySet()) {
            if (!k.startsWith(prefix)) break;
            if (k.indexOf('/', prefix.length()) < 0) out.add(k);
        }
        return out;
    }

    @Override public synchronized List<Entry> list(String dir) {
        String p = norm(dir);
        if (!isDirectory(p)) return List.of();
        List<Entry> out = new ArrayList<>();
        for (String k : children(p)) out.add(entry(k, tree.get(k)));
        return out;
    }

    @Override public boolean isQuorate() { return true; }

    @Override public <T> T withLock(String name, Duration timeout, Supplier<T> body) {
        Duration t = timeout == null || timeout.isZero() || timeout.isNegative() ? DEFAULT_LOCK_TIMEOUT : timeout;
        ReentrantLock l = locks.computeIfAbsent(name, k -> new ReentrantLock());
        try {
            if (!l.tryLock(t.toMillis(), TimeUnit.MILLISECONDS)) throw new CfsException("cfs-lock '" + name + "' error: got lock request timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CfsException("cfs-lock '" + name + "' error: interrupted", e);
        }
        try {
            return body.get();
        } finally {
            l.unlock();
        }
    }

    @Override public AutoCloseable watch(String prefix, Consumer<String> listener) {
        Watch w = new Watch(norm(prefix), listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    private void notifyWatches(String p) {
        for (Watch w : watches) if (p.startsWith(w.prefix())) w.listener().accept(p);
    }

    /** Number of files written or created so far. */
    public synchronized int writes() { return writes; }

    /** Write {@code text} to {@code path}, creating its parent directories first. */
    public void put(String path, String text) {
        String p = norm(path);
        if (!parent(p).isEmpty()) mkdirs(parent(p));
        write(p, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The content of {@code path} as UTF-8, or null when there is no such file. */
    public String text(String path) { return readString(path).orElse(null); }
}
