package org.haven.storage.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;

/** A small in-memory {@link ClusterFs} holding a snapshot of files (used by CLI commands that run storage code locally). */
final class MemoryClusterFs implements ClusterFs {
    private final String node;
    private final Map<String, byte[]> files = new TreeMap<>();
    private final ReentrantLock lock = new ReentrantLock();

    MemoryClusterFs(String node) { this.node = node; }

    @Override public String nodeName() { return node; }
    @Override public synchronized Optional<byte[]> read(String path) { return Optional.ofNullable(files.get(path)); }
    @Override public synchronized void write(String path, byte[] data) { files.put(path, data.clone()); }
    @Override public synchronized void create(String path, byte[] data) {
        if (files.containsKey(path)) throw new CfsException("file '" + path + "' already exists");
        files.put(path, data.clone());
    }
    @Override public synchronized boolean delete(String path) { return files.remove(path) != null; }
    @Override public void mkdirs(String path) { }
    @Override public synchronized void rename(String from, String to) {
        byte[] d = files.remove(from);
        if (d == null) throw new CfsException("file '" + from + "' does not exist");
        files.put(to, d);
    }
    @Override public synchronized Optional<Entry> stat(String path) {
        byte[] d = files.get(path);
        return d == null ? Optional.empty() : Optional.of(new Entry(path.substring(path.lastIndexOf('/') + 1), false, d.length, 0, 0));
    }
    @Override public synchronized List<Entry> list(String dir) {
        List<Entry> out = new ArrayList<>();
        String prefix = dir.isEmpty() ? "" : dir + "/";
        for (var e : files.entrySet()) {
            if (!e.getKey().startsWith(prefix)) continue;
            String rest = e.getKey().substring(prefix.length());
            if (!rest.contains("/")) out.add(new Entry(rest, false, e.getValue().length, 0, 0));
        }
        return out;
    }
    @Override public boolean isQuorate() { return true; }
    @Override public <T> T withLock(String name, Duration timeout, Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }
    @Override public AutoCloseable watch(String prefix, Consumer<String> listener) { return () -> { }; }
}
