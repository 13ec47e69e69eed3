package org.haven.access;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;

/** In-memory {@link ClusterFs} for unit tests (a pure seam: files are byte arrays in a sorted map). */
final class MemoryFs implements ClusterFs {
    final TreeMap<String, byte[]> files = new TreeMap<>();
    final TreeMap<String, Boolean> dirs = new TreeMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    int writes;
    final TreeMap<String, Long> mtimes = new TreeMap<>();
    /** Source of modification times (seconds); 0 means "unknown", as some file systems report. */
    java.util.function.LongSupplier time = () -> 0;

    @Override public String nodeName() { return "node1"; }
    @Override public synchronized Optional<byte[]> read(String path) { return Optional.ofNullable(files.get(path)).map(byte[]::clone); }
    @Override public synchronized void write(String path, byte[] data) {
        int slash = path.lastIndexOf('/');
        if (slash > 0 && !dirs.containsKey(path.substring(0, slash))) throw new CfsException("no such directory: " + path);
        writes++;
        files.put(path, data.clone());
        mtimes.put(path, time.getAsLong());
    }
    @Override public synchronized void create(String path, byte[] data) {
        if (files.containsKey(path)) throw new CfsException("file exists: " + path);
        write(path, data);
    }
    @Override public synchronized boolean delete(String path) { return files.remove(path) != null || dirs.remove(path) != null; }
    @Override public synchronized void mkdirs(String path) {
        String[] parts = path.split("/");
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(p);
            dirs.put(sb.toString(), true);
        }
    }
    @Override public synchronized void rename(String from, String to) { files.put(to, files.remove(from)); }
    @Override public synchronized Optional<Entry> stat(String path) {
        if (dirs.containsKey(path)) return Optional.of(new Entry(path, true, 0, 0, 0));
        byte[] b = files.get(path);
        return b == null ? Optional.empty() : Optional.of(new Entry(path, false, b.length, mtimes.getOrDefault(path, 0L), 0));
    }
    @Override public synchronized List<Entry> list(String dir) {
        List<Entry> out = new ArrayList<>();
        files.forEach((k, v) -> { if (k.startsWith(dir + "/") && k.indexOf('/', dir.length() + 1) < 0) out.add(new Entry(k.substring(dir.length() + 1), false, v.length, 0, 0)); });
        return out;
    }
    @Override public boolean isQuorate() { return true; }
    @Override public <T> T withLock(String name, Duration timeout, Supplier<T> body) {
        lock.lock();
        try { return body.get(); } finally { lock.unlock(); }
    }
    @Override public AutoCloseable watch(String prefix, Consumer<String> listener) { return () -> {}; }

    String text(String path) { return read(path).map(String::new).orElse(null); }
    void put(String path, String text) {
        int slash = path.lastIndexOf('/');
        if (slash > 0) mkdirs(path.substring(0, slash));
        write(path, text.getBytes());
    }
}
