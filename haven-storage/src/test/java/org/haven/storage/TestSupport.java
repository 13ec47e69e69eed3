package org.haven.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.haven.cfs.LocalClusterFs;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ProcessCommandRunner;

/** Helpers for the storage tests that run the real tools. */
public final class TestSupport {
    private TestSupport() {}

    public static final CommandRunner SH = new ProcessCommandRunner();

    /** Run a command, fail the test when it exits non-zero; returns stdout. */
    public static String sh(String... cmd) {
        CommandRunner.Result r = SH.run(List.of(cmd));
        if (!r.ok()) throw new AssertionError(String.join(" ", cmd) + " failed (" + r.exitCode() + "): " + r.stderr());
        return r.stdout();
    }

    /** Run a command and ignore failures (cleanup). */
    public static void quiet(String... cmd) {
        try {
            SH.run(List.of(cmd));
        } catch (RuntimeException ignored) {
            // best effort
        }
    }

    /** Write {@code len} bytes of {@code pattern} at {@code offset} into an image with qemu-io. */
    public static void write(String path, String fmt, int pattern, long offset, long len) {
        sh("qemu-io", "-f", fmt, "-c", "write -P " + pattern + " " + offset + " " + len, path);
    }

    /** True when the image holds {@code pattern} in the range. */
    public static boolean holds(String path, String fmt, int pattern, long offset, long len) {
        CommandRunner.Result r = SH.run(List.of("qemu-io", "-f", fmt, "-r", "-c", "read -P " + pattern + " " + offset + " " + len, path));
        return r.ok() && !r.stdout().contains("Pattern verification failed");
    }

    public static LocalClusterFs cfs(Path root, String node) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return new LocalClusterFs(root, node);
    }

    public static void deleteTree(Path p) {
        if (p == null || !Files.exists(p)) return;
        try (Stream<Path> w = Files.walk(p)) {
            List<Path> all = new ArrayList<>(w.sorted(Comparator.reverseOrder()).toList());
            for (Path x : all) {
                quiet("chattr", "-i", x.toString());
                Files.deleteIfExists(x);
            }
        } catch (IOException e) {
            // leave it to the temp cleaner
        }
    }

    /** {@code df -B1 --output=size,used,avail <path>} as numbers. */
    public static long[] df(Path p) {
        String[] lines = sh("df", "-B1", "--output=size,used,avail", p.toString()).strip().split("\n");
        String[] f = lines[lines.length - 1].trim().split("\\s+");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
    }

    public static void assertClose(long actual, long expected, long tolerance) {
        assertThat(Math.abs(actual - expected)).as("|%d - %d| <= %d", actual, expected, tolerance).isLessThanOrEqualTo(tolerance);
    }
}
