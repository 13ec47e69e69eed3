package org.haven.backup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * vzdump's tar archives of guests that are file trees (containers), in PVE's layout: {@code ./etc/vzdump/pct.conf}
 * (and {@code ./etc/vzdump/pct.fw} when the guest has a firewall config) first, then the guest's root file system
 * and the mount points it includes under their mount paths, with numeric owners, ACLs and extended attributes.
 * GNU {@code tar} writes and reads them; the command lines are built here without I/O.
 */
public final class TarArchive {
    private TarArchive() {}

    public static final String CONF = "./etc/vzdump/pct.conf";
    public static final String FW = "./etc/vzdump/pct.fw";

    /** PVE's {@code COMMON_TAR_FLAGS}. */
    static final List<String> COMMON = List.of("--blocking-factor=2048", "--numeric-owner", "--acls", "--xattrs", "--xattrs-include=user.*",
            "--xattrs-include=security.capability", "--warning=no-file-ignored", "--warning=no-xattr-write");

    /** vzdump's standard excludes ({@code stdexcludes}). */
    static final List<String> STD_EXCLUDES = List.of("/tmp/?*", "/var/tmp/?*", "/var/run/?*.pid");

    /** The exclude list of a run: the {@code exclude-path} entries, then the standard ones when {@code stdexcludes}. */
    static List<String> excludes(List<String> excludePath, boolean stdexcludes) {
        List<String> out = new ArrayList<>(excludePath);
        if (stdexcludes) out.addAll(STD_EXCLUDES);
        return out;
    }

    /**
     * {@code tar} writing the archive to its standard output: the config files from {@code confDir}, then
     * {@code sources} below {@code root}, one file system per source. An exclude starting with {@code /} is
     * anchored at the guest's root; any other matches in every directory.
     */
    static List<String> createCommand(Path confDir, boolean firewall, Path root, List<String> excludes, List<String> sources) {
        List<String> c = new ArrayList<>(List.of("tar", "cpf", "-", "--totals"));
        c.addAll(COMMON);
        c.addAll(List.of("--sparse", "--one-file-system", "--directory=" + confDir, CONF));
        if (firewall) c.add(FW);
        c.add("--directory=" + root);
        c.add("--anchored");
        for (String e : excludes) if (e.startsWith("/")) c.add("--exclude=." + e);
        List<String> floating = excludes.stream().filter(e -> !e.startsWith("/")).toList();
        if (!floating.isEmpty()) {
            c.add("--no-anchored");
            for (String e : floating) c.add("--exclude=" + e);
        }
        c.addAll(sources);
        return c;
    }

    /** {@code tar} unpacking an archive from its standard input into {@code root}, keeping owners, without device nodes. */
    static List<String> extractCommand(Path root) {
        List<String> c = new ArrayList<>(List.of("tar", "xpf", "-", "--totals"));
        c.addAll(COMMON);
        c.addAll(List.of("--sparse", "-C", root.toString(), "--skip-old-files", "--anchored", "--exclude=./dev/*"));
        return c;
    }

    /** Runs {@code tar} {@code cmd} with its output (read at no more than {@code kibPerSecond}, null: no limit) into {@code out}; its messages go to {@code log}. */
    static void write(List<String> cmd, Long kibPerSecond, OutputStream out, Consumer<String> log, Runnable checkStop) throws IOException {
        Process p = start(cmd);
        Thread err = drain(p, log);
        try (InputStream in = Throttle.of(p.getInputStream(), kibPerSecond)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) >= 0) {
                checkStop.run();
                out.write(buf, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        } finally {
            join(err);
        }
        finish(p, cmd);
    }

    /** Runs {@code tar} {@code cmd} reading the archive's (decompressed) content from {@code archive}. */
    static void read(List<String> cmd, InputStream archive, Consumer<String> log) throws IOException {
        Process p = start(cmd);
        Thread err = drain(p, log);
        Thread out = Thread.ofVirtual().start(() -> {
            try (InputStream o = p.getInputStream()) {
                o.transferTo(OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the exit code tells
            }
        });
        try (OutputStream to = p.getOutputStream()) {
            archive.transferTo(to);
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        } finally {
            join(err);
            join(out);
        }
        finish(p, cmd);
    }

    /** The content of member {@code name}, or null when the archive has none; the archive is read up to that member. */
    static byte[] member(InputStream archive, String name) throws IOException {
        List<String> cmd = List.of("tar", "xOf", "-", "--occurrence=1", name);
        Process p = start(cmd);
        Thread feed = Thread.ofVirtual().start(() -> {
            try (OutputStream to = p.getOutputStream()) {
                archive.transferTo(to);
            } catch (IOException ignored) {
                // tar stops reading once it has the member
            }
        });
        byte[] data;
        try (InputStream in = p.getInputStream()) {
            data = in.readAllBytes();
        }
        try {
            int rc = p.waitFor();
            feed.join();
            return rc == 0 ? data : null;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** How much of an archive's start {@link #verify} keeps: the config members come first. */
    static final int HEAD = 1 << 20;

    /**
     * Reads the whole archive through {@code tar t}: every header, and the compressor's checksums; fails on a
     * damaged archive. The first {@link #HEAD} bytes go to {@code head}, to take the config members from without
     * another pass.
     */
    static List<String> verify(InputStream archive, java.io.ByteArrayOutputStream head) throws IOException {
        List<String> names = new ArrayList<>();
        List<String> cmd = List.of("tar", "tf", "-");
        Process p = start(cmd);
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread err = drain(p, errors::add);
        Thread feed = Thread.ofVirtual().start(() -> {
            // read to the end even when tar has seen the end-of-archive blocks: the decompressor checks the rest
            OutputStream to = p.getOutputStream();
            boolean open = true;
            byte[] buf = new byte[1 << 16];
            try {
                int n;
                while ((n = archive.read(buf)) >= 0) {
                    if (head.size() < HEAD) head.write(buf, 0, Math.min(n, HEAD - head.size()));
                    if (!open) continue;
                    try {
                        to.write(buf, 0, n);
                    } catch (IOException closed) {
                        open = false;
                    }
                }
            } catch (IOException e) {
                errors.add(Vzdump.message(e));
                p.destroyForcibly();
            } finally {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // tar has stopped reading
                }
            }
        });
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) if (names.size() < 2) names.add(line);
        }
        try {
            feed.join();
            join(err);
            int rc = p.waitFor();
            if (rc != 0 || !errors.isEmpty()) throw new IOException("archive is damaged - " + (errors.isEmpty() ? "tar exit code " + rc : String.join("; ", errors)));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        return names;
    }

    private static Process start(List<String> cmd) throws IOException {
        try {
            return new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            throw new IOException("unable to run '" + cmd.get(0) + "' - " + e.getMessage());
        }
    }

    private static Thread drain(Process p, Consumer<String> log) {
        return Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) if (!line.isBlank()) log.accept(line.strip());
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void finish(Process p, List<String> cmd) throws IOException {
        try {
            int rc = p.waitFor();
            if (rc != 0) throw new IOException("command '" + String.join(" ", cmd) + "' failed: exit code " + rc);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }
}
