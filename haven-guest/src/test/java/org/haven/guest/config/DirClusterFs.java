package org.haven.guest.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;

/** A single-node cluster file system over a plain directory, for tests of code that uses {@link ClusterFs}. */
public final class DirClusterFs implements ClusterFs {
    private final Path root;
    private final String node;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public DirClusterFs(Path root, String node) {
        this.root = root;
        this.node = node;
        mkdirs("nodes/" + node);
    }

    public Path root() { return root; }

    @Override public String nodeName() { return node; }

    private Path p(String path) { return root.resolve(path); }

    @Override public Optional<byte[]> read(String path) {
        try { return Optional.of(Files.readAllBytes(p(path))); }
        catch (java.nio.file.NoSuchFileException e) { return Optional.empty(); }
        catch (IOException e) { throw new UncheckedIOException(e); }
    }

    @Override public void write(String path, byte[] data) {
        try {
            Path tmp = p(path + ".tmp." + Thread.currentThread().threadId());
            Files.write(tmp, data);
            try { Files.move(tmp, p(path), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING); }
            catch (AtomicMoveNotSupportedException e) { Files.move(tmp, p(path), StandardCopyOption.REPLACE_EXISTING); }
        } catch (IOException e) { throw new CfsException("unable to write '" + path + "' - " + e.getMessage(), e); }
    }

    @Override public void create(String path, byte[] data) {
        try { Files.write(p(path), data, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE); }
        catch (FileAlreadyExistsException e) { throw new CfsException("file '" + path + "' already exists"); }
        catch (IOException e) { throw new CfsException("unable to create '" + path + "' - " + e.getMessage(), e); }
    }

    @Override public boolean delete(String path) {
        try { return Files.deleteIfExists(p(path)); } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    @Override public void mkdirs(String path) {
        try { Files.createDirectories(p(path)); } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    @Override public void rename(String from, String to) {
        try { Files.move(p(from), p(to), StandardCopyOption.ATOMIC_MOVE); } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    @Override public Optional<Entry> stat(String path) {
        Path f = p(path);
        if (!Files.exists(f)) return Optional.empty();
        try {
            return Optional.of(new Entry(f.getFileName().toString(), Files.isDirectory(f), Files.isDirectory(f) ? 0 : Files.size(f),
                    Files.getLastModifiedTime(f).toMillis() / 1000, 0));
        } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    @Override public List<Entry> list(String dir) {
        Path d = p(dir);
        if (!Files.isDirectory(d)) return List.of();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(d)) {
            for (Path f : s.sorted().toList()) {
                if (f.getFileName().toString().contains(".tmp.")) continue;
                out.add(new Entry(f.getFileName().toString(), Files.isDirectory(f), Files.isDirectory(f) ? 0 : Files.size(f),
                        Files.getLastModifiedTime(f).toMillis() / 1000, 0));
            }
        } catch (IOException e) { throw new UncheckedIOException(e); }
        return out;
    }

    @Override public boolean isQuorate() { return true; }

    @Override public <T> T withLock(String name, Duration timeout, Supplier<T> body) {
        ReentrantLock l = locks.computeIfAbsent(name, k -> new ReentrantLock());
        try {
            if (!l.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new CfsException("can't lock file '" + name + "' - got timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CfsException("can't lock file '" + name + "' - interrupted");
        }
        try { return body.get(); } finally { l.unlock(); }
    }

    @Override public AutoCloseable watch(String prefix, Consumer<String> listener) { return () -> {}; }
}
