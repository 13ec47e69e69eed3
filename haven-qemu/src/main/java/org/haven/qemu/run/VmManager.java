package org.haven.qemu.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.haven.guest.GuestVolumes;
import org.haven.core.HaltPoint;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.mapping.ResourceMappings;
import org.haven.guest.volume.VolumeAccess;
import org.haven.qemu.cmd.CommandBuilder;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.QemuCommand;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.config.QemuVolumeKeys;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;
import tools.jackson.databind.JsonNode;

/**
 * Runs VMs on this node: start, stop, shutdown, reboot, reset, suspend/resume and status, as PVE's
 * {@code vm_start}/{@code vm_stop}/… do. QEMU daemonizes, so VMs keep running when the daemon restarts; the
 * pidfile and QMP socket in {@link VmPaths} are the source of truth.
 */
public final class VmManager {

    /** Options of {@link #start}. */
    public record StartOptions(boolean skiplock, boolean paused, Duration timeout) {
        public static final StartOptions DEFAULT = new StartOptions(false, false, Duration.ofSeconds(30));
    }

    private final GuestConfigStore store;
    private final HostInfo host;
    private final VmPaths paths;
    private final VolumeAccess volumes;
    private final boolean embedded;
    private final Map<Integer, long[]> cpuSamples = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile java.util.function.BiConsumer<Integer, GuestConfig> pendingApplier = (vmid, cfg) -> GuestVolumes.applyPending(QemuVolumeKeys.INSTANCE, cfg);

    private volatile java.util.function.BiConsumer<Integer, Map<String, String>> preStart = (vmid, conf) -> { };

    /** Work to do right before QEMU starts (the config service writes the cloud-init drive). */
    public void setPreStart(java.util.function.BiConsumer<Integer, Map<String, String>> hook) { this.preStart = hook; }

    /** How pending changes are applied at start (the config service frees deleted volumes). */
    public void setPendingApplier(java.util.function.BiConsumer<Integer, GuestConfig> applier) { this.pendingApplier = applier; }

    /**
     * @param embedded when true, a missing bridge is created as an isolated bridge so a default VM still starts
     */
    public VmManager(GuestConfigStore store, HostInfo host, VmPaths paths, VolumeAccess volumes, boolean embedded) {
        this.store = store;
        this.host = host;
        this.paths = paths;
        this.volumes = volumes;
        this.embedded = embedded;
    }

    public GuestConfigStore store() { return store; }
    public VmPaths paths() { return paths; }
    public HostInfo host() { return host; }
    public VolumeAccess volumes() { return volumes; }

    private static void log(Consumer<String> log, String line) { if (log != null) log.accept(line); }

    // ---- state ------------------------------------------------------------------------------------

    /** PID of the running QEMU of {@code vmid}, checked against /proc (PVE's check_running). */
    public Optional<Long> pid(int vmid) {
        Optional<Long> pid = Proc.alivePid(paths.pid(vmid));
        if (pid.isEmpty()) return pid;
        List<String> cmd = Proc.cmdline(pid.get());
        int i = cmd.indexOf("-pidfile");
        if (i < 0 || i + 1 >= cmd.size() || !cmd.get(i + 1).equals(paths.pid(vmid).toString())) return Optional.empty();
        return pid;
    }

    public boolean isRunning(int vmid) { return pid(vmid).isPresent(); }

    /** Open a QMP connection to a running VM. */
    public QmpClient qmp(int vmid) {
        if (!isRunning(vmid)) throw new GuestException(500, "VM " + vmid + " not running");
        try {
            return QmpClient.connect(paths.qmp(vmid), Duration.ofSeconds(5));
        } catch (IOException e) {
            throw new GuestException(500, "VM " + vmid + " qmp command failed - " + e.getMessage());
        }
    }

    /** Run one QMP command on a running VM. */
    public JsonNode qmpCommand(int vmid, String command, Map<String, ?> args, Duration timeout) {
        try (QmpClient c = qmp(vmid)) {
            return c.execute(command, args, timeout);
        } catch (QmpException e) {
            throw new GuestException(500, "VM " + vmid + " qmp command '" + command + "' failed - " + e.getMessage());
        }
    }

    /**
     * Run a guest agent command (PVE's agent_cmd): the agent must be enabled in the config and answer a
     * {@code guest-sync} first. Returns the agent's {@code return} value.
     */
    public JsonNode agentCommand(int vmid, String command, Map<String, ?> args, Duration timeout) {
        GuestConfig cfg = store.load(vmid);
        String agent = cfg.get("agent").orElse(null);
        if (agent == null || !"1".equals(QemuOptions.props("agent", agent).getOrDefault("enabled", "0")))
            throw new GuestException(500, "No QEMU guest agent configured");
        if (!isRunning(vmid)) throw new GuestException(500, "VM " + vmid + " is not running");
        try (QmpClient ga = QmpClient.connectAgent(paths.qga(vmid))) {
            long id = System.nanoTime() & 0x7fffffffL;
            JsonNode sync;
            try {
                sync = ga.execute("guest-sync", Map.of("id", id), Duration.ofSeconds(3));
            } catch (QmpException e) {
                throw new GuestException(500, "QEMU guest agent is not running");
            }
            if (sync == null || sync.asLong() != id) throw new GuestException(500, "QEMU guest agent is not running");
            return ga.execute(command, args, timeout);
        } catch (IOException e) {
            throw new GuestException(500, "QEMU guest agent is not running");
        } catch (QmpException e) {
            throw new GuestException(500, "Agent error: " + e.getMessage());
        }
    }

    // ---- command line -------------------------------------------------------------------------------

    /** The command line for the current config ({@code qm showcmd}). */
    public QemuCommand command(int vmid) {
        GuestConfig cfg = store.load(vmid);
        return command(vmid, cfg.current().values());
    }

    public QemuCommand command(int vmid, Map<String, String> conf) {
        try {
            Map<String, String> devices = ResourceMappings.resolve(conf, k -> store.cfs().readString(k.file()).orElse(""),
                    store.localNode(), VmManager::pciPresent);
            return CommandBuilder.build(vmid, devices, host, paths, volumes);
        } catch (CommandBuilder.ConfigError | IllegalArgumentException e) {
            throw new GuestException(500, e.getMessage());
        }
    }

    /** A mapped PCI path ({@code 0000:01:00.0}, or a whole device {@code 0000:01:00}) this host has. */
    private static boolean pciPresent(String path) {
        return java.nio.file.Files.exists(java.nio.file.Path.of("/sys/bus/pci/devices", path.matches(".*\\.[0-9a-f]$") ? path : path + ".0"));
    }

    // ---- start --------------------------------------------------------------------------------------

    /** Start the VM; returns the QEMU pid. {@code log} receives task-log lines. */
    public long start(int vmid, StartOptions opts, Consumer<String> log) {
        return store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            boolean resume = "suspended".equals(cfg.lock().orElse(null)) && cfg.get("vmstate").isPresent();
            if (!opts.skiplock() && !resume) store.checkLock(cfg);
            if (cfg.isTemplate()) throw new GuestException(500, "you can't start a vm if it's a template");
            if (isRunning(vmid)) throw new GuestException(500, "VM " + vmid + " already running");
            if (resume) return resumeFromDisk(vmid, cfg, opts, log);
            if (!cfg.pending().isEmpty()) {
                pendingApplier.accept(vmid, cfg);
                store.write(vmid, cfg);
            }
            return doStart(vmid, cfg.current().values(), opts, log, List.of());
        });
    }

    /**
     * How the target of a live migration starts QEMU (PVE's {@code vm_start} with {@code migratedfrom}): the config
     * is read from {@code migratedFrom}'s directory, {@code machine} pins the machine type the source runs, the
     * incoming channel listens on {@code address} (TCP; with {@code secure} wrapped in TLS with the cluster's
     * certificates through {@code tls}); {@code disks} are allocated anew here and exported writable over NBD for
     * the source's mirrors.
     */
    public record Incoming(String migratedFrom, boolean secure, String address, String machine, Duration timeout,
                           List<IncomingDisks.Disk> disks) {
        public Incoming(String migratedFrom, boolean secure, String address, String machine, Duration timeout) {
            this(migratedFrom, secure, address, machine, timeout, List.of());
        }
    }

    /** TLS credentials for a migration channel: writes the files QEMU's {@code tls-creds-x509} reads into a directory. */
    public interface MigrationTls {
        void writeServer(Path dir);
        void writeClient(Path dir);
    }

    private volatile MigrationTls migrationTls;

    public void setMigrationTls(MigrationTls tls) { this.migrationTls = tls; }

    public MigrationTls migrationTls() { return migrationTls; }

    /** Volumes allocated for incoming migrations that have not resumed here yet: freed when the incoming VM is stopped. */
    private final Map<Integer, List<String>> incomingVolumes = new java.util.concurrent.ConcurrentHashMap<>();

    /** PVE's migration port range. */
    static final int MIGRATE_PORT_FIRST = 60000, MIGRATE_PORT_LAST = 60050;

    /**
     * Start QEMU as the target of a live migration: paused, waiting for the incoming state. Returns the URI the
     * source must send to ({@code tcp:<address>:<port>}); the task log shows it as {@code migration listens on ...},
     * as PVE's target does.
     */
    public String startIncoming(int vmid, Incoming in, Consumer<String> log) {
        return store.locked(vmid, () -> {
            GuestConfig cfg = store.load(in.migratedFrom(), vmid);
            if (cfg.isTemplate()) throw new GuestException(500, "you can't start a vm if it's a template");
            if (isRunning(vmid)) throw new GuestException(500, "VM " + vmid + " already running");
            TreeMap<String, String> conf = new TreeMap<>(cfg.current().values());
            if (in.machine() != null) {
                var m = QemuOptions.props("machine", conf.getOrDefault("machine", "pc"));
                m.put("type", in.machine());
                conf.put("machine", QemuOptions.print("machine", m));
            }
            MigrationTls tls = migrationTls;
            if (in.secure() && tls == null) throw new GuestException(500, "secure migration is not available on this node");
            String host = in.address().contains(":") ? "[" + in.address() + "]" : in.address();
            LinkedHashMap<String, String> allocated = new LinkedHashMap<>();
            try {
                for (IncomingDisks.Disk d : in.disks()) {
                    String nv = volumes.alloc(d.storage(), vmid, d.format(), d.sizeBytes());
                    allocated.put(d.key(), nv);
                    var props = QemuOptions.props(d.key(), conf.get(d.key()));
                    props.put("file", nv);
                    if (props.containsKey("format")) props.put("format", d.format());
                    conf.put(d.key(), QemuOptions.print(d.key(), props));
                }
                int port = freeMigratePort(in.address());
                String uri = "tcp:" + host + ":" + port;
                doStart(vmid, conf, new StartOptions(true, true, in.timeout()), log, List.of("-incoming", in.secure() ? "defer" : uri), false);
                Path dir = paths.dir().resolve(vmid + ".migrate-tls");
                try (QmpClient q = qmp(vmid)) {
                    Duration t = Duration.ofSeconds(10);
                    if (in.secure()) {
                        tls.writeServer(dir);
                        q.execute("object-add", Map.of("qom-type", "tls-creds-x509", "id", "migration-tls", "dir", dir.toString(),
                                "endpoint", "server", "verify-peer", true), t);
                        q.execute("migrate-set-parameters", Map.of("tls-creds", "migration-tls"), t);
                        q.execute("migrate-incoming", Map.of("uri", uri), t);
                    }
                    if (!allocated.isEmpty()) {
                        exportDisks(q, in, host, allocated, log);
                        incomingVolumes.put(vmid, List.copyOf(allocated.values()));
                    }
                } catch (RuntimeException e) {
                    doStop(vmid, Duration.ofSeconds(5), log);
                    throw e instanceof QmpException qe ? new GuestException(500, "unable to prepare the incoming migration - " + qe.getMessage()) : e;
                } finally {
                    deleteTree(dir);
                }
                log(log, "migration listens on " + uri);
                return uri;
            } catch (RuntimeException e) {
                for (String nv : allocated.values()) {
                    try {
                        volumes.free(nv);
                    } catch (RuntimeException ex) {
                        log(log, "WARN: unable to remove volume '" + nv + "' - " + ex.getMessage());
                    }
                }
                throw e;
            }
        });
    }

    /**
     * Export the new disks of an incoming VM writable over NBD (PVE's {@code nbd-server-start} and
     * {@code block-export-add}); the server listens in the migration port range, with the migration's TLS when
     * secure. Each export is logged as {@code storage migration listens on nbd:<host>:<port>:exportname=drive-<key>
     * volume:<volid>} for the source.
     */
    private void exportDisks(QmpClient q, Incoming in, String host, Map<String, String> allocated, Consumer<String> log) {
        Duration t = Duration.ofSeconds(10);
        int port = freeMigratePort(in.address());
        LinkedHashMap<String, Object> server = new LinkedHashMap<>();
        server.put("addr", Map.of("type", "inet", "data", Map.of("host", in.address(), "port", Integer.toString(port))));
        if (in.secure()) server.put("tls-creds", "migration-tls");
        q.execute("nbd-server-start", server, t);
        // the export takes the drive's node (QEMU 7.2 does not look up a drive's device name here)
        Map<String, String> nodes = new java.util.HashMap<>();
        for (JsonNode b : q.execute("query-block", null, t)) {
            if (b.has("inserted")) nodes.put(b.path("device").asString(), b.path("inserted").path("node-name").asString());
        }
        for (Map.Entry<String, String> e : allocated.entrySet()) {
            String drive = "drive-" + e.getKey();
            String node = nodes.get(drive);
            if (node == null) throw new GuestException(500, "unable to export '" + drive + "': no such block device");
            q.execute("block-export-add", Map.of("type", "nbd", "id", drive, "node-name", node, "name", drive, "writable", true), t);
            log(log, "storage migration listens on nbd:" + host + ":" + port + ":exportname=" + drive + " volume:" + e.getValue());
        }
    }

    /**
     * Resume the target of a live migration once the config moved here: the NBD server of a migration with local
     * disks stops (the source's mirrors are done), then the guest runs.
     */
    public void resumeMigrated(int vmid) {
        incomingVolumes.remove(vmid);
        try (QmpClient q = qmp(vmid)) {
            try {
                q.execute("nbd-server-stop", null, Duration.ofSeconds(10));
            } catch (QmpException e) {
                // no NBD server: a migration without local disks
            }
            q.execute("cont", null, Duration.ofSeconds(10));
        }
        HaltPoint.reach("qemu-resume:after");
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var w = Files.walk(dir)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) { }
    }

    private static int freeMigratePort(String address) {
        for (int p = MIGRATE_PORT_FIRST; p <= MIGRATE_PORT_LAST; p++) {
            try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new java.net.InetSocketAddress(address, p));
                return p;
            } catch (IOException e) {
                // in use
            }
        }
        throw new GuestException(500, "unable to find free migration port");
    }

    /** Stop the QEMU process of {@code vmid} whatever the config says (the source after a migration, a failed target). */
    public void stopProcess(int vmid, Duration timeout, Consumer<String> log) {
        doStop(vmid, timeout, log);
    }

    /** Stop the target of a failed live migration and free the disks allocated for it here. */
    public void stopIncoming(int vmid, Duration timeout, Consumer<String> log) {
        doStop(vmid, timeout, log);
        List<String> vols = incomingVolumes.remove(vmid);
        if (vols == null) return;
        for (String volid : vols) {
            try {
                volumes.free(volid);
                log(log, "removed volume '" + volid + "'");
            } catch (RuntimeException e) {
                log(log, "WARN: unable to remove volume '" + volid + "' - " + e.getMessage());
            }
        }
    }

    /** Start a hibernated VM from its state volume, then drop the volume and the suspended lock. */
    private long resumeFromDisk(int vmid, GuestConfig cfg, StartOptions opts, Consumer<String> log) {
        String vmstate = cfg.get("vmstate").orElseThrow();
        java.util.TreeMap<String, String> conf = new java.util.TreeMap<>(cfg.current().values());
        conf.remove("vmstate");
        conf.remove("lock");
        String machine = conf.remove("runningmachine");
        if (machine != null) {
            var m = QemuOptions.props("machine", conf.getOrDefault("machine", "pc"));
            m.put("type", machine);
            conf.put("machine", QemuOptions.print("machine", m));
        }
        String statePath = volumes.resolve(vmstate).path();
        log(log, "resuming VM " + vmid + " from '" + vmstate + "'");
        long pid = doStart(vmid, conf, new StartOptions(true, false, opts.timeout()), log,
                List.of("-incoming", "exec:cat '" + statePath.replace("'", "'\\''") + "'"));
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            String st = qmpCommand(vmid, "query-status", null, Duration.ofSeconds(10)).path("status").asString();
            if (st.equals("running")) break;
            if (!st.equals("inmigrate") && !st.equals("prelaunch") && !st.equals("restore-vm") && !st.equals("paused"))
                throw new GuestException(500, "resume from disk failed: VM status " + st);
            if (st.equals("paused")) { qmpCommand(vmid, "cont", null, Duration.ofSeconds(10)); continue; }
            if (System.nanoTime() > deadline) throw new GuestException(500, "resume from disk timed out");
            try { Thread.sleep(50); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new GuestException(500, "interrupted"); }
        }
        cfg.remove("vmstate");
        cfg.remove("lock");
        cfg.remove("runningmachine");
        store.write(vmid, cfg);
        try { volumes.free(vmstate); } catch (RuntimeException e) { log(log, "WARN: unable to remove state volume '" + vmstate + "' - " + e.getMessage()); }
        return pid;
    }

    /**
     * Save the running VM's state into {@code statePath} (a migration to a file) and stop it; the caller
     * records the state volume in the config (PVE's suspend to disk).
     */
    public void saveStateAndStop(int vmid, String statePath, Consumer<String> log) {
        try (QmpClient q = qmp(vmid)) {
            q.execute("stop", null, Duration.ofSeconds(10));
            String quoted = "'" + statePath.replace("'", "'\\''") + "'";
            q.execute("migrate", Map.of("uri", "exec:cat > " + quoted), Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            while (true) {
                JsonNode m = q.execute("query-migrate", null, Duration.ofSeconds(10));
                String st = m.path("status").asString();
                if (st.equals("completed")) break;
                if (st.equals("failed") || st.equals("cancelled")) throw new GuestException(500, "saving VM state failed: " + m.path("error-desc").asString(st));
                if (System.nanoTime() > deadline) throw new GuestException(500, "saving VM state timed out");
                log(log, "saving VM state: " + st + " " + m.path("ram").path("transferred").asLong() + " bytes");
                try { Thread.sleep(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new GuestException(500, "interrupted"); }
            }
            JsonNode version = q.greeting().path("QMP").path("version").path("qemu");
            log(log, "state saved (QEMU " + version.path("major").asInt() + "." + version.path("minor").asInt() + ")");
        } catch (QmpException e) {
            throw new GuestException(500, "VM " + vmid + " qmp command '" + e.command() + "' failed - " + e.getMessage());
        }
        doStop(vmid, Duration.ofSeconds(10), log);
    }

    /** The pinned machine type a config starts with ({@code pc-i440fx-7.2}), PVE's {@code runningmachine}. */
    public String machineType(int vmid, Map<String, String> conf) {
        List<String> a = command(vmid, conf).argv();
        int i = a.lastIndexOf("-machine");
        String m = a.get(i + 1);
        return m.substring("type=".length(), m.indexOf(','));
    }

    private long doStart(int vmid, Map<String, String> conf, StartOptions opts, Consumer<String> log, List<String> extraArgs) {
        return doStart(vmid, conf, opts, log, extraArgs, true);
    }

    private long doStart(int vmid, Map<String, String> conf, StartOptions opts, Consumer<String> log, List<String> extraArgs, boolean prepare) {
        QemuCommand cmd = command(vmid, conf);
        if (prepare) preStart.accept(vmid, conf);
        List<String> argv = new ArrayList<>(cmd.argv());
        if (opts.paused()) argv.add("-S");
        argv.addAll(extraArgs);
        try {
            Files.createDirectories(paths.dir());
            Files.deleteIfExists(paths.qmp(vmid));
            Files.deleteIfExists(paths.pid(vmid));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> volids = new ArrayList<>();
        for (var e : conf.entrySet()) {
            if (!QemuOptions.isDisk(e.getKey())) continue;
            String file = QemuOptions.props(e.getKey(), e.getValue()).get("file");
            if (file != null && !file.equals("none") && !file.equals("cdrom")) volids.add(file);
        }
        volumes.activate(volids);
        if (!cmd.taps().isEmpty()) {
            HostNet.installBridgeScript(Path.of(host.bridgeScript()));
            for (QemuCommand.Tap tap : cmd.taps()) {
                if (!HostNet.isBridge(tap.bridge())) {
                    if (!embedded) throw new GuestException(500, "bridge '" + tap.bridge() + "' does not exist");
                    log(log, "creating isolated bridge '" + tap.bridge() + "'");
                    HostNet.createBridge(tap.bridge());
                }
                if (HostNet.linkExists(tap.name())) HostNet.deleteLink(tap.name());
                HostNet.writeTapConf(paths.tapConf(tap.name()), tap);
            }
        }
        if (cmd.efiVars() != null) prepareEfiVars(cmd.efiVars());
        if (cmd.tpm() != null) startSwtpm(vmid, cmd.tpm(), log);
        HaltPoint.reach("qemu-start:before");
        Proc.Result r = Proc.run(argv, opts.timeout());
        HaltPoint.reach("qemu-start:after");
        if (!r.ok()) {
            stopSwtpm(vmid);
            cleanupFiles(vmid);
            String out = r.output().trim();
            if (!out.isEmpty()) log(log, out);
            String msg = r.exitCode() == -1 ? "start failed: command '" + argv.get(0) + "' timed out"
                    : "start failed: QEMU exited with code " + r.exitCode();
            throw new GuestException(500, out.isEmpty() ? msg : msg + "\n" + out);
        }
        Optional<Long> pid = pid(vmid);
        if (pid.isEmpty()) throw new GuestException(500, "start failed: unable to find process of VM " + vmid);
        log(log, "VM " + vmid + " started with PID " + pid.get() + ".");
        return pid.get();
    }

    private void prepareEfiVars(QemuCommand.EfiVars efi) {
        try {
            Path p = Path.of(efi.path());
            if (!Files.exists(p) || Files.size(p) == 0) {
                Files.createDirectories(p.getParent());
                if ("raw".equals(efi.format())) {
                    Files.copy(Path.of(efi.template()), p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Proc.Result r = Proc.run(List.of("qemu-img", "convert", "-f", "raw", "-O", efi.format(), efi.template(), p.toString()),
                            Duration.ofSeconds(60));
                    if (!r.ok()) throw new GuestException(500, "unable to initialize EFI vars: " + r.output().trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startSwtpm(int vmid, QemuCommand.Tpm tpm, Consumer<String> log) {
        boolean v2 = "v2.0".equals(tpm.version());
        Path state = Path.of(tpm.statePath());
        if (isEmptyState(state)) {
            List<String> setup = new ArrayList<>(List.of("swtpm_setup", "--tpmstate", "file://" + state, "--overwrite",
                    "--createek", "--create-ek-cert", "--create-platform-cert", "--lock-nvram"));
            if (v2) setup.add("--tpm2");
            Proc.Result r = Proc.run(setup, Duration.ofSeconds(60));
            if (!r.ok()) log(log, "swtpm_setup failed, starting with an empty state: " + r.output().trim());
        }
        List<String> cmd = new ArrayList<>(List.of("swtpm", "socket", "--tpmstate", "backend-uri=file://" + state + ",mode=0600",
                "--ctrl", "type=unixio,path=" + tpm.socket() + ",mode=0600", "--pid", "file=" + paths.swtpmPid(vmid),
                "--terminate", "--daemon", "--log", "file=" + paths.swtpmLog(vmid) + ",level=1"));
        if (v2) cmd.add("--tpm2");
        Proc.Result r = Proc.run(cmd, Duration.ofSeconds(30));
        if (!r.ok()) throw new GuestException(500, "start failed: swtpm: " + r.output().trim());
    }

    private static boolean isEmptyState(Path p) {
        try {
            if (!Files.exists(p) || Files.size(p) == 0) return true;
            try (var in = Files.newInputStream(p)) {
                byte[] buf = in.readNBytes(4096);
                for (byte b : buf) if (b != 0) return false;
                return true;
            }
        } catch (IOException e) {
            return true;
        }
    }

    private void stopSwtpm(int vmid) {
        Proc.alivePid(paths.swtpmPid(vmid)).ifPresent(pid -> {
            Proc.kill(pid, "TERM");
            Proc.waitGone(pid, Duration.ofSeconds(5));
        });
        try { Files.deleteIfExists(paths.swtpmPid(vmid)); } catch (IOException ignored) { }
    }

    /** Remove the runtime files of a stopped VM (PVE's vm_stop_cleanup). */
    public void cleanupFiles(int vmid) {
        try {
            Files.deleteIfExists(paths.qmp(vmid));
            Files.deleteIfExists(paths.pid(vmid));
            Files.deleteIfExists(paths.vnc(vmid));
            Files.deleteIfExists(paths.qga(vmid));
            Files.deleteIfExists(paths.swtpm(vmid));
            for (int i = 0; i < 4; i++) Files.deleteIfExists(paths.serial(vmid, i));
            for (int i = 0; i < 32; i++) {
                String tap = host.tap(vmid, i);
                Files.deleteIfExists(paths.tapConf(tap));
            }
            Files.deleteIfExists(paths.dir().resolve(vmid + ".efivars.fd"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void afterStop(int vmid) {
        stopSwtpm(vmid);
        for (int i = 0; i < 32; i++) {
            String tap = host.tap(vmid, i);
            if (HostNet.linkExists(tap)) HostNet.deleteLink(tap);
        }
        cleanupFiles(vmid);
        cpuSamples.remove(vmid);
    }

    // ---- stop / shutdown ------------------------------------------------------------------------------

    /** Hard stop: QMP quit, then TERM, then KILL (PVE's vm_stop without shutdown). */
    public void stop(int vmid, boolean skiplock, Duration timeout, Consumer<String> log) {
        store.locked(vmid, () -> {
            if (!skiplock) store.read(store.localNode(), vmid).ifPresent(store::checkLock);
            doStop(vmid, timeout, log);
            return null;
        });
    }

    private void doStop(int vmid, Duration timeout, Consumer<String> log) {
        Optional<Long> pid = pid(vmid);
        if (pid.isEmpty()) {
            afterStop(vmid);
            return;
        }
        try (QmpClient c = QmpClient.connect(paths.qmp(vmid), Duration.ofSeconds(3))) {
            c.execute("quit", null, Duration.ofSeconds(3));
        } catch (IOException | QmpException e) {
            // the connection drops while QEMU quits
        }
        if (!Proc.waitGone(pid.get(), timeout)) {
            log(log, "VM still running - terminating now with SIGTERM");
            Proc.kill(pid.get(), "TERM");
            if (!Proc.waitGone(pid.get(), Duration.ofSeconds(5))) {
                log(log, "VM still running - terminating now with SIGKILL");
                Proc.kill(pid.get(), "KILL");
                Proc.waitGone(pid.get(), Duration.ofSeconds(5));
            }
        }
        afterStop(vmid);
    }

    /**
     * ACPI shutdown (or through the guest agent when it is enabled); waits {@code timeout}; on timeout stops
     * the VM when {@code forceStop}, else fails with PVE's message.
     */
    public void shutdown(int vmid, boolean skiplock, Duration timeout, boolean forceStop, Consumer<String> log) {
        store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            if (!skiplock) store.checkLock(cfg);
            Optional<Long> pid = pid(vmid);
            if (pid.isEmpty()) throw new GuestException(500, "VM " + vmid + " not running");
            boolean agent = "1".equals(cfg.get("agent").map(a -> QemuOptions.props("agent", a).getOrDefault("enabled", "0")).orElse("0"));
            try (QmpClient c = QmpClient.connect(paths.qmp(vmid), Duration.ofSeconds(5))) {
                JsonNode st = c.execute("query-status", null, Duration.ofSeconds(5));
                if ("paused".equals(st.path("status").asString()) || "suspended".equals(st.path("status").asString())) {
                    if (!forceStop) throw new GuestException(500, "VM " + vmid + " is paused - cannot shutdown");
                }
                if (agent) {
                    try (QmpClient ga = QmpClient.connectAgent(paths.qga(vmid))) {
                        ga.execute("guest-shutdown", Map.of("mode", "powerdown"), Duration.ofSeconds(10));
                    } catch (IOException | QmpException e) {
                        // guest-shutdown never returns when it works; fall back to ACPI when the agent is absent
                        if (!(e instanceof QmpException q && q.getMessage().equals("got timeout"))) c.execute("system_powerdown", null, Duration.ofSeconds(5));
                    }
                } else {
                    c.execute("system_powerdown", null, Duration.ofSeconds(5));
                }
            } catch (IOException | QmpException e) {
                throw new GuestException(500, "VM " + vmid + " qmp command 'system_powerdown' failed - " + e.getMessage());
            }
            if (Proc.waitGone(pid.get(), timeout)) {
                afterStop(vmid);
                return null;
            }
            if (forceStop) {
                log(log, "VM quit/powerdown failed - terminating now with SIGTERM");
                doStop(vmid, Duration.ofSeconds(10), log);
                return null;
            }
            throw new GuestException(500, "VM quit/powerdown failed - got timeout");
        });
    }

    /** Reboot: shutdown, apply pending changes, start again (PVE's qm reboot). */
    public long reboot(int vmid, Duration timeout, Consumer<String> log) {
        shutdown(vmid, false, timeout, true, log);
        return start(vmid, StartOptions.DEFAULT, log);
    }

    public void reset(int vmid, boolean skiplock) {
        checkForMonitor(vmid, skiplock);
        qmpCommand(vmid, "system_reset", null, Duration.ofSeconds(10));
    }

    public void suspend(int vmid, boolean skiplock) {
        checkForMonitor(vmid, skiplock);
        qmpCommand(vmid, "stop", null, Duration.ofSeconds(10));
    }

    public void resume(int vmid, boolean skiplock) {
        checkForMonitor(vmid, skiplock);
        qmpCommand(vmid, "cont", null, Duration.ofSeconds(10));
        HaltPoint.reach("qemu-resume:after");
    }

    private void checkForMonitor(int vmid, boolean skiplock) {
        GuestConfig cfg = store.load(vmid);
        if (!skiplock) store.checkLock(cfg);
        if (!isRunning(vmid)) throw new GuestException(500, "VM " + vmid + " not running");
    }

    // ---- status -------------------------------------------------------------------------------------

    /** PVE's vmstatus for one VM: status, qmpstatus, pid, uptime, cpu, mem, maxmem, cpus, name, … */
    public LinkedHashMap<String, Object> status(int vmid, boolean full) {
        GuestConfig cfg = store.load(vmid);
        Map<String, String> c = cfg.current().values();
        LinkedHashMap<String, Object> d = new LinkedHashMap<>();
        d.put("vmid", vmid);
        d.put("name", c.getOrDefault("name", "VM " + vmid));
        int sockets = Integer.parseInt(c.getOrDefault("sockets", "1"));
        int cores = Integer.parseInt(c.getOrDefault("cores", "1"));
        int vcpus = Integer.parseInt(c.getOrDefault("vcpus", "0"));
        d.put("cpus", vcpus > 0 ? vcpus : sockets * cores);
        long memMb = Long.parseLong(QemuOptions.props("memory", c.getOrDefault("memory", "512")).getOrDefault("current", "512"));
        d.put("maxmem", memMb * 1024 * 1024);
        d.put("maxdisk", bootDiskSize(c));
        d.put("disk", 0);
        if (c.get("lock") != null) d.put("lock", c.get("lock"));
        if (c.get("tags") != null) d.put("tags", c.get("tags"));
        if (cfg.isTemplate()) d.put("template", 1);
        Optional<Long> pid = pid(vmid);
        if (pid.isEmpty()) {
            d.put("status", "stopped");
            d.put("uptime", 0);
            d.put("cpu", 0);
            d.put("mem", 0);
            d.put("netin", 0);
            d.put("netout", 0);
            d.put("diskread", 0);
            d.put("diskwrite", 0);
            return d;
        }
        d.put("status", "running");
        d.put("pid", pid.get());
        d.put("uptime", Proc.uptime(pid.get()));
        d.put("cpu", cpuUsage(vmid, pid.get(), (int) d.get("cpus")));
        d.put("mem", Proc.rss(pid.get()));
        long[] net = netCounters(vmid);
        d.put("netin", net[0]);
        d.put("netout", net[1]);
        d.put("diskread", 0L);
        d.put("diskwrite", 0L);
        if (full) {
            try (QmpClient q = QmpClient.connect(paths.qmp(vmid), Duration.ofSeconds(3))) {
                JsonNode st = q.execute("query-status", null, Duration.ofSeconds(3));
                d.put("qmpstatus", st.path("status").asString());
                if (st.path("status").asString().equals("paused") || st.path("status").asString().equals("prelaunch")) d.put("status", "running");
                JsonNode bs = q.execute("query-blockstats", null, Duration.ofSeconds(3));
                long rd = 0, wr = 0;
                java.util.TreeMap<String, Object> blockstat = new java.util.TreeMap<>();
                for (JsonNode b : bs) {
                    rd += b.path("stats").path("rd_bytes").asLong();
                    wr += b.path("stats").path("wr_bytes").asLong();
                    String dev = b.path("device").asString("");
                    if (dev.startsWith("drive-")) {
                        LinkedHashMap<String, Object> st2 = new LinkedHashMap<>();
                        for (String k : List.of("rd_bytes", "wr_bytes", "rd_operations", "wr_operations", "flush_operations",
                                "rd_total_time_ns", "wr_total_time_ns", "unmap_bytes", "unmap_operations")) {
                            st2.put(k, b.path("stats").path(k).asLong());
                        }
                        blockstat.put(dev.substring(6), st2);
                    }
                }
                d.put("diskread", rd);
                d.put("diskwrite", wr);
                d.put("blockstat", blockstat);
                java.util.TreeMap<String, Object> nics = new java.util.TreeMap<>();
                for (int i = 0; i < 32; i++) {
                    Path sp = Path.of("/sys/class/net/" + host.tap(vmid, i) + "/statistics");
                    if (!Files.isDirectory(sp)) continue;
                    try {
                        nics.put(host.tap(vmid, i), Map.of("netin", Long.parseLong(Files.readString(sp.resolve("tx_bytes")).trim()),
                                "netout", Long.parseLong(Files.readString(sp.resolve("rx_bytes")).trim())));
                    } catch (IOException | NumberFormatException ignored) { }
                }
                d.put("nics", nics);
                JsonNode v = q.greeting().path("QMP").path("version").path("qemu");
                d.put("running-qemu", v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt());
                try {
                    JsonNode m = q.execute("query-commands", null, Duration.ofSeconds(3));
                    d.put("qmp-commands", m.size());
                } catch (QmpException ignored) { }
            } catch (IOException | QmpException e) {
                d.put("qmpstatus", "unknown");
            }
            d.remove("qmp-commands");
        }
        return d;
    }

    private double cpuUsage(int vmid, long pid, int cpus) {
        long now = System.nanoTime();
        long ticks = Proc.cpuTicks(pid);
        long[] prev = cpuSamples.put(vmid, new long[]{now, ticks});
        if (prev == null || now - prev[0] <= 0) return 0;
        double used = (ticks - prev[1]) / 100.0;
        double elapsed = (now - prev[0]) / 1e9;
        return Math.round(Math.max(0, used / elapsed / Math.max(1, cpus)) * 1000) / 1000.0;
    }

    private static long bootDiskSize(Map<String, String> c) {
        for (var e : c.entrySet()) {
            if (!QemuOptions.isBusDrive(e.getKey())) continue;
            Map<String, String> d = QemuOptions.props(e.getKey(), e.getValue());
            if ("cdrom".equals(d.get("media"))) continue;
            return GuestVolumes.parseSize(d.get("size"));
        }
        return 0;
    }

    private long[] netCounters(int vmid) {
        long in = 0, out = 0;
        for (int i = 0; i < 32; i++) {
            Path p = Path.of("/sys/class/net/" + host.tap(vmid, i) + "/statistics");
            if (!Files.isDirectory(p)) continue;
            try {
                // the tap's tx is the guest's rx
                in += Long.parseLong(Files.readString(p.resolve("tx_bytes")).trim());
                out += Long.parseLong(Files.readString(p.resolve("rx_bytes")).trim());
            } catch (IOException | NumberFormatException ignored) { }
        }
        return new long[]{in, out};
    }
}
