package org.haven.core.cfs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The cluster file system as seen by every other module: a tree with PVE's layout
 * ({@code nodes/<node>/qemu-server/<vmid>.conf}, {@code priv/…}, {@code ha/…}, {@code storage.cfg}, …).
 * Paths are relative to the root, use '/' and never start with '/'.
 * Implementations: a local directory tree (single node) and the replicated one in haven-cfs.
 */
public interface ClusterFs {

    /** Name of the node this instance runs on. */
    String nodeName();

    /** File content, or empty when the file does not exist. */
    Optional<byte[]> read(String path);

    default Optional<String> readString(String path) {
        return read(path).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    /** Create or replace a file atomically; parent directories must exist. */
    void write(String path, byte[] data);

    default void writeString(String path, String data) {
        write(path, data.getBytes(StandardCharsets.UTF_8));
    }

    /** Create a file that must not exist yet; fails with {@link CfsException} otherwise. */
    void create(String path, byte[] data);

    /** Delete a file or an empty directory; returns false when it did not exist. */
    boolean delete(String path);

    /** Create a directory (and missing parents). */
    void mkdirs(String path);

    /** Atomic rename (used to move guest configs between nodes). */
    void rename(String from, String to);

    Optional<Entry> stat(String path);

    /** Entries of a directory, sorted by name; empty when the directory does not exist. */
    List<Entry> list(String dir);

    /** True when this node may write (it is part of a quorate partition). */
    boolean isQuorate();

    /**
     * Run {@code body} while holding the cluster-wide lock {@code name}. Waits up to {@code timeout}
     * for the lock; throws {@link CfsException} ("can't lock file …") when it cannot be obtained.
     */
    <T> T withLock(String name, Duration timeout, Supplier<T> body);

    /** Subscribe to changes below {@code prefix}; the listener gets the changed path. */
    AutoCloseable watch(String prefix, Consumer<String> listener);

    record Entry(String name, boolean directory, long size, long mtime, long version) {}
}
