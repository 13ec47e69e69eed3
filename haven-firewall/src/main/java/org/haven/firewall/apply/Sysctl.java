package org.haven.firewall.apply;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kernel settings by their sysctl name ({@code net.netfilter.nf_conntrack_max}), where the firewall reads and
 * writes them: the files of a {@code /proc/sys} tree (this process's network namespace, or a test's directory), or
 * the {@code sysctl} command run with a prefix ({@code ip netns exec NS}) for another network namespace; the
 * {@code net.netfilter} settings are per namespace.
 */
public interface Sysctl {

    /** The current value, or empty when the kernel has no such setting. */
    Optional<String> read(String key);

    /** Set a value; throws {@link IllegalStateException} with the reason when the kernel refuses it. */
    void write(String key, String value);

    /** The files below {@code root} ({@code /proc/sys} on a machine): {@code a.b.c} is {@code root/a/b/c}; a setting must exist to be written. */
    static Sysctl dir(Path root) {
        return new Sysctl() {
            private Path file(String key) { return root.resolve(key.replace('.', '/')); }

            @Override public Optional<String> read(String key) {
                Path f = file(key);
                try {
                    return Files.isRegularFile(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8).strip()) : Optional.empty();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override public void write(String key, String value) {
                Path f = file(key);
                if (!Files.isRegularFile(f)) throw new IllegalStateException("no setting " + key + " (" + f + ")");
                try {
                    Files.writeString(f, value + "\n", StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot write " + f + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /** The {@code sysctl} command run through {@code exec} with {@code prefix} (for example {@code ip netns exec NS}). */
    static Sysctl command(List<String> prefix, NftApplier.Exec exec) {
        return new Sysctl() {
            private List<String> cmd(String... c) {
                List<String> out = new ArrayList<>(prefix);
                out.addAll(List.of(c));
                return out;
            }

            @Override public Optional<String> read(String key) {
                NftApplier.Result r = exec.run(cmd("sysctl", "-n", key), null);
                return r.ok() ? Optional.of(r.message().strip()) : Optional.empty();
            }

            @Override public void write(String key, String value) {
                NftApplier.Result r = exec.run(cmd("sysctl", "-q", "-w", key + "=" + value), null);
                if (!r.ok()) throw new IllegalStateException(r.message().strip());
            }
        };
    }

    /** This machine's settings ({@code /proc/sys}) without a prefix, else those of the namespace the prefix enters. */
    static Sysctl local(List<String> prefix) {
        return prefix.isEmpty() ? dir(Path.of("/proc/sys")) : command(prefix, NftApplier::runProcess);
    }
}
