package org.haven.firewall.apply;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.haven.core.cfs.ClusterFs;

/** Read access to a configuration tree with PVE's layout: the cluster file system, or a plain directory. */
public interface ConfigReader {

    /** File content, or empty when the file does not exist. */
    Optional<String> read(String path);

    /** Names of the files (not directories) in a directory, sorted; empty when it does not exist. */
    List<String> files(String dir);

    static ConfigReader of(ClusterFs cfs) {
        return new ConfigReader() {
            @Override public Optional<String> read(String path) { return cfs.readString(path); }

            @Override public List<String> files(String dir) {
                List<String> out = new ArrayList<>();
                for (ClusterFs.Entry e : cfs.list(dir)) if (!e.directory()) out.add(e.name());
                return out;
            }
        };
    }

    /** A directory holding the files as {@code /etc/pve} does; nothing is created or changed in it. */
    static ConfigReader of(Path root) {
        return new ConfigReader() {
            @Override public Optional<String> read(String path) {
                Path p = root.resolve(path);
                try {
                    return Files.isRegularFile(p) ? Optional.of(Files.readString(p, StandardCharsets.UTF_8)) : Optional.empty();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override public List<String> files(String dir) {
                Path d = root.resolve(dir);
                if (!Files.isDirectory(d)) return List.of();
                try (Stream<Path> s = Files.list(d)) {
                    return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
