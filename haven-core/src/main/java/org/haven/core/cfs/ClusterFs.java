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
     * for the lock (PVE's default of 10 s when null or zero); throws {@link CfsException}
     * ("cfs-lock '<name>' error: got lock request timeout", as PVE's cfs_lock) when it cannot be obtained.
     * Exceptions thrown by {@code body} propagate unchanged.
     */
    <T> T withLock(String name, Duration timeout, Supplier<T> body);

    /**
     * HA-style lock (pmxcfs {@code mkdir}/{@code utime} on {@code priv/lock/<name>}): take the cluster-wide lock
     * {@code name} for this node, or refresh it when this node already holds it, without waiting. Returns true
     * when this node holds the lock afterwards. A lock expires 120 s after the last successful call; it is never
     * granted without quorum.
     */
    default boolean tryLock(String name) {
        throw new UnsupportedOperationException("tryLock not supported by " + getClass().getName());
    }

    /** Release a lock taken with {@link #tryLock} (pmxcfs unlock request); no effect when this node does not hold it. */
    default void unlock(String name) {
        throw new UnsupportedOperationException("unlock not supported by " + getClass().getName());
    }

    /**
     * Publish a key/value of this node's status to all nodes (PVE's {@code broadcast_node_kv}); null removes it.
     * Not replicated through consensus: nodes see it within seconds while they are connected.
     */
    default void setNodeStatus(String key, byte[] value) {
        throw new UnsupportedOperationException("setNodeStatus not supported by " + getClass().getName());
    }

    /** A node's published status value (PVE's {@code get_node_kv}). */
    default Optional<byte[]> nodeStatus(String node, String key) {
        throw new UnsupportedOperationException("nodeStatus not supported by " + getClass().getName());
    }

    /**
     * Add an entry to the cluster log ({@code .clusterlog}, PVE's {@code log_msg}): syslog priority (e.g. 6 = info),
     * tag (e.g. {@code pvedaemon}), user (e.g. {@code root@pam}) and message.
     */
    default void clusterLog(int priority, String tag, String user, String message) {
        throw new UnsupportedOperationException("clusterLog not supported by " + getClass().getName());
    }

    /** Subscribe to changes below {@code prefix}; the listener gets the changed path. */
    AutoCloseable watch(String prefix, Consumer<String> listener);

    record Entry(String name, boolean directory, long size, long mtime, long version) {}
}
