package org.haven.ceph;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.haven.api.ApiException;
import org.haven.core.cfs.ClusterFs;
import org.haven.storage.spi.CommandRunner;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Ceph on this node: the cluster's configuration in the cluster file system ({@code ceph.conf},
 * {@code priv/ceph.client.admin.keyring}, {@code priv/ceph.mon.keyring}, as PVE keeps them) and its local copy, the
 * {@code ceph} tool, and the node's daemons.
 *
 * <p>PVE links {@code /etc/ceph/ceph.conf} to {@code /etc/pve/ceph.conf}; here the local {@code ceph.conf} is written
 * from the cluster's before each use, with {@code /etc/pve/…} paths pointing at local copies of the files they name
 * and the node's directories ({@link Paths}) set, so that Debian's daemons and tools read one file. The daemons run
 * without systemd: started with their own daemonizing, found by their PID files, stopped with SIGTERM.
 */
public final class CephNode {
    static final JsonMapper JSON = JsonMapper.builder().build();
    public static final String CONF = "ceph.conf";
    public static final String ADMIN_KEYRING = "priv/ceph.client.admin.keyring";
    public static final String MON_KEYRING = "priv/ceph.mon.keyring";
    /** The daemon types and their binaries. */
    public static final List<String> TYPES = List.of("mon", "mgr", "osd", "mds");

    /**
     * The node's Ceph directories: {@code /etc/ceph}, {@code /var/lib/ceph}, {@code /run/ceph} and {@code /var/log/ceph}
     * in system mode, {@code <data-dir>/ceph/{etc,lib,run,log}} in embedded mode.
     */
    public record Paths(Path etc, Path lib, Path run, Path log) {
        public static Paths forNode(boolean embedded, Path dataDir) {
            // the storage manager's rbd storages read the same ceph.conf
            Path etc = org.haven.storage.StorageManager.cephEtc(embedded, dataDir);
            if (!embedded) return new Paths(etc, Path.of("/var/lib/ceph"), Path.of("/run/ceph"), Path.of("/var/log/ceph"));
            Path b = dataDir.resolve("ceph");
            return new Paths(etc, b.resolve("lib"), b.resolve("run"), b.resolve("log"));
        }

        public Path conf() { return etc.resolve("ceph.conf"); }

        /** Where the files the cluster's configuration names under {@code /etc/pve/} are copied to. */
        public Path mirror() { return etc.resolve("pve"); }

        /** The data directory of daemon {@code type.id}. */
        public Path data(String type, String id) { return lib.resolve(type).resolve("ceph-" + id); }

        public Path pidFile(String type, String id) { return run.resolve("ceph-" + type + "." + id + ".pid"); }

        /** The cluster log the monitors write. */
        public Path clusterLog() { return log.resolve("ceph.log"); }
    }

    private final ClusterFs cfs;
    private final String nodeName;
    private final Paths paths;
    private final CommandRunner runner;

    public CephNode(ClusterFs cfs, String nodeName, Paths paths, CommandRunner runner) {
        this.cfs = cfs;
        this.nodeName = nodeName;
        this.paths = paths;
        this.runner = runner;
    }

    public Paths paths() { return paths; }

    public ClusterFs cfs() { return cfs; }

    public String nodeName() { return nodeName; }

    public CommandRunner runner() { return runner; }

    // ---- state checks, with PVE's messages ------------------------------------------------------------------

    public static boolean installed(String type) {
        return Files.isExecutable(Path.of("/usr/bin/ceph-" + type));
    }

    /** PVE's {@code check_ceph_installed}. */
    public static void checkInstalled(String type) {
        if (!installed(type)) throw ApiException.error("binary not installed: /usr/bin/ceph-" + type);
    }

    public boolean configured() { return cfs.read(CONF).isPresent(); }

    /** PVE's {@code check_ceph_inited}. */
    public void checkInited() {
        checkInstalled("mon");
        if (!configured()) throw ApiException.error("pveceph configuration not initialized");
    }

    /** PVE's {@code check_ceph_configured}: initialized and holding the admin keyring. */
    public void checkConfigured() {
        checkInited();
        if (cfs.read(ADMIN_KEYRING).isEmpty()) throw ApiException.error("pveceph configuration not initialized - missing '" + ADMIN_KEYRING + "'");
    }

    public CephConfig config() {
        return CephConfig.parse(cfs.readString(CONF).orElse(""));
    }

    public void writeConfig(CephConfig c) {
        cfs.writeString(CONF, c.write());
    }

    /** Change the cluster's configuration under its cluster-wide lock. */
    public void modifyConfig(java.util.function.Consumer<CephConfig> change) {
        cfs.withLock("file-ceph_conf", null, () -> {
            CephConfig c = config();
            change.accept(c);
            writeConfig(c);
            return null;
        });
    }

    // ---- the local copy ------------------------------------------------------------------------------------

    /** The local configuration: the cluster's with local paths, and the node's directories set. */
    public String localConfig() {
        CephConfig c = config().replaceInValues("/etc/pve/", paths.mirror() + "/");
        Map<String, String> dirs = new TreeMap<>(Map.of(
                "run_dir", paths.run().toString(),
                "pid_file", "$run_dir/$cluster-$name.pid",
                "admin_socket", "$run_dir/$cluster-$name.asok",
                "log_file", paths.log() + "/$cluster-$name.log",
                "mon_cluster_log_file", paths.clusterLog().toString(),
                "mon_data", paths.lib() + "/mon/$cluster-$id",
                "mgr_data", paths.lib() + "/mgr/$cluster-$id",
                "osd_data", paths.lib() + "/osd/$cluster-$id",
                "mds_data", paths.lib() + "/mds/$cluster-$id"));
        dirs.forEach((k, v) -> {
            if (c.get("global", k) == null) c.set("global", k, v);
        });
        return c.write();
    }

    /** Write the local {@code ceph.conf} and the copies of the cluster's keyrings; returns the local file. */
    public Path sync() {
        try {
            for (Path d : List.of(paths.etc(), paths.lib(), paths.run(), paths.log())) Files.createDirectories(d);
            writeIfChanged(paths.conf(), localConfig().getBytes(StandardCharsets.UTF_8), false);
            for (String f : List.of(ADMIN_KEYRING, MON_KEYRING)) {
                var data = cfs.read(f);
                Path local = paths.mirror().resolve(f);
                if (data.isPresent()) {
                    Files.createDirectories(local.getParent());
                    writeIfChanged(local, data.get(), true);
                } else Files.deleteIfExists(local);
            }
            return paths.conf();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeIfChanged(Path p, byte[] data, boolean secret) throws IOException {
        if (Files.exists(p) && java.util.Arrays.equals(Files.readAllBytes(p), data)) return;
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
        Files.write(tmp, data);
        if (secret) Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    // ---- the ceph tool -------------------------------------------------------------------------------------

    /** {@code ceph ARGS} against the cluster, as client.admin; fails with Ceph's message. Returns stdout. */
    public String ceph(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ceph", "-c", sync().toString(), "--connect-timeout", "15"));
        cmd.addAll(List.of(args));
        CommandRunner.Result r = runner.run(cmd, Map.of(), null);
        if (!r.ok()) throw new CephException(cephMessage(r), r.exitCode());
        return r.stdout();
    }

    /** {@code ceph ARGS --format json} as JSON (null for an empty answer). */
    public JsonNode json(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--format", "json"));
        String out = ceph(a.toArray(String[]::new)).strip();
        return out.isEmpty() ? null : JSON.readTree(out);
    }

    /** The last line of a failed command's error output, without Ceph's {@code Error EXXX: } prefix. */
    static String cephMessage(CommandRunner.Result r) {
        String err = r.stderr().strip();
        String last = err.isEmpty() ? "exit code " + r.exitCode() : err.lines().reduce((a, b) -> b).orElse(err);
        return last.replaceFirst("^Error E[A-Z0-9]+: ", "");
    }

    /** Run a tool ({@code ceph-authtool}, {@code monmaptool}, …); fails with its message. */
    public String run(String... cmd) {
        CommandRunner.Result r = runner.run(List.of(cmd), Map.of(), null);
        if (!r.ok()) throw new CephException("command '" + String.join(" ", cmd) + "' failed: " + cephMessage(r), r.exitCode());
        return r.stdout();
    }

    /** A failed Ceph command. */
    public static final class CephException extends RuntimeException {
        private final int exitCode;

        public CephException(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }

        public int exitCode() { return exitCode; }
    }

    // ---- daemons -------------------------------------------------------------------------------------------

    /** The daemons that have a data directory on this node: type to sorted ids. */
    public Map<String, List<String>> localDaemons() {
        Map<String, List<String>> out = new TreeMap<>();
        for (String t : TYPES) {
            Path dir = paths.lib().resolve(t);
            List<String> ids = new ArrayList<>();
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ceph-")).map(n -> n.substring(5)).sorted().forEach(ids::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            out.put(t, ids);
        }
        return out;
    }

    /** The PID of the running daemon {@code type.id}, or -1. */
    public long pid(String type, String id) {
        try {
            Path f = paths.pidFile(type, id);
            if (!Files.exists(f)) return -1;
            long pid = Long.parseLong(Files.readString(f).strip());
            var h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) return -1;
            String cmd = h.get().info().command().orElse("");
            return cmd.endsWith("ceph-" + type) ? pid : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    public boolean running(String type, String id) { return pid(type, id) > 0; }

    /** Start daemon {@code type.id} (nothing when it runs); waits until it has daemonized. */
    public void start(String type, String id) {
        if (running(type, id)) return;
        Path conf = sync();
        List<String> cmd = List.of("/usr/bin/ceph-" + type, "-c", conf.toString(), "--cluster", "ceph", "-i", id);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(paths.log().resolve("ceph-" + type + "." + id + ".out").toFile()));
        try {
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CephException("starting " + type + "." + id + " timed out", -1);
            }
            if (p.exitValue() != 0) throw new CephException("starting " + type + "." + id + " failed: exit code " + p.exitValue(), p.exitValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CephException("interrupted", -1);
        }
        for (int i = 0; i < 100 && !running(type, id); i++) sleep(100);
        if (!running(type, id)) throw new CephException(type + "." + id + " did not start (see " + paths.log().resolve("ceph-" + type + "." + id + ".log") + ")", -1);
    }

    /** Stop daemon {@code type.id} with SIGTERM (SIGKILL after 60 s); nothing when it does not run. */
    public void stop(String type, String id) {
        long pid = pid(type, id);
        if (pid <= 0) return;
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h == null) return;
        h.destroy();
        try {
            h.onExit().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            h.destroyForcibly();
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // it is gone or unkillable; the caller sees it in the status
            }
        }
        try {
            Files.deleteIfExists(paths.pidFile(type, id));
        } catch (IOException ignored) {
            // a stale PID file is ignored by pid()
        }
    }

    /** Stop every daemon of this node that has a data directory or a PID file (a test cleans up). */
    public void stopAll() {
        localDaemons().forEach((t, ids) -> ids.forEach(id -> stop(t, id)));
        if (!Files.isDirectory(paths.run())) return;
        try (Stream<Path> s = Files.list(paths.run())) {
            for (Path f : s.toList()) {
                var m = java.util.regex.Pattern.compile("ceph-(mon|mgr|osd|mds)\\.(.+)\\.pid").matcher(f.getFileName().toString());
                if (m.matches()) stop(m.group(1), m.group(2));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Start this node's daemons, monitors first (as {@code ceph.target} at boot); returns the ones that failed. */
    public List<String> startAll() {
        List<String> failed = new ArrayList<>();
        for (String t : TYPES) {
            for (String id : localDaemons().get(t)) {
                try {
                    start(t, id);
                } catch (RuntimeException e) {
                    failed.add(t + "." + id + ": " + e.getMessage());
                }
            }
        }
        return failed;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CephException("interrupted", -1);
        }
    }
}
