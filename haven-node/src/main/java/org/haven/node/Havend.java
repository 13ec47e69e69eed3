package org.haven.node;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.haven.access.AccessControl;
import org.haven.api.ApiModule;
import org.haven.api.ClusterNodes;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Dispatcher;
import org.haven.api.server.HttpApiServer;
import org.haven.api.server.HttpExtensions;
import org.haven.api.server.SchemaExport;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.CfsLimits;
import org.haven.cfs.ClusterService;
import org.haven.cfs.LocalClusterFs;
import org.haven.cfs.RaftClusterFs;
import org.haven.core.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node daemon: {@code havend [--data-dir DIR] [--node NAME] [--port 8006] [--bind ADDR] [--foreground]}.
 * Wires the cluster file system, access control, tasks and the node's modules ({@link NodeModules}),
 * generates the TLS certificates on first start and serves HTTPS and the CLI's Unix socket until SIGTERM.
 */
public final class Havend implements AutoCloseable {

    /** Command-line options. */
    public record Options(Path dataDir, String node, int port, String bind, boolean foreground, int cfsPort, Witness witness) {
        public Options(Path dataDir, String node, int port, String bind, boolean foreground, int cfsPort) {
            this(dataDir, node, port, bind, foreground, cfsPort, null);
        }

        /**
         * {@code --witness}: run only the witness replica of a two-node cluster (PVE's QDevice counterpart) on
         * {@code --cfs-port}, with the cluster's name, Raft group ({@code cfs_group} of the join information)
         * and its nodes as {@code name:nodeid:host:cfsport,…}.
         */
        public record Witness(String cluster, java.util.UUID group, long generation, List<org.haven.cfs.CfsNode> peers) {}

        public static Options parse(String[] args) {
            Path data = null;
            String node = null;
            int port = 8006;
            String bind = null;
            boolean fg = false;
            int cfsPort = 0;
            boolean witness = false;
            String cluster = null, group = null, peers = null;
            long generation = 0;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) { v = a.substring(eq + 1); a = a.substring(0, eq); }
                switch (a) {
                    case "--data-dir" -> data = Path.of(v != null ? v : args[++i]);
                    case "--node" -> node = v != null ? v : args[++i];
                    case "--port" -> port = Integer.parseInt(v != null ? v : args[++i]);
                    case "--bind" -> bind = v != null ? v : args[++i];
                    case "--foreground" -> fg = true;
                    case "--cfs-port" -> cfsPort = Integer.parseInt(v != null ? v : args[++i]);
                    case "--witness" -> witness = true;
                    case "--cluster" -> cluster = v != null ? v : args[++i];
                    case "--group" -> group = v != null ? v : args[++i];
                    case "--generation" -> generation = Long.parseLong(v != null ? v : args[++i]);
                    case "--peers" -> peers = v != null ? v : args[++i];
                    case "--help", "-h" -> {
                        System.out.println("USAGE: havend [--data-dir DIR] [--node NAME] [--port 8006] [--bind ADDR] [--cfs-port PORT] [--foreground]");
                        System.out.println("       havend --witness --data-dir DIR --cfs-port PORT --cluster NAME --group UUID --peers NAME:NODEID:HOST:CFSPORT,... [--bind ADDR]");
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            }
            if (node == null) node = defaultNodeName();
            Witness w = null;
            if (witness) {
                if (cfsPort <= 0) throw new IllegalArgumentException("--witness needs --cfs-port");
                if (cluster == null) throw new IllegalArgumentException("--witness needs --cluster");
                if (group == null) throw new IllegalArgumentException("--witness needs --group");
                if (peers == null) throw new IllegalArgumentException("--witness needs --peers");
                java.util.UUID g;
                try { g = java.util.UUID.fromString(group); } catch (IllegalArgumentException e) { throw new IllegalArgumentException("invalid --group '" + group + "'"); }
                w = new Witness(cluster, g, generation, org.haven.cfs.WitnessMain.parsePeers(peers));
            } else if (cluster != null || group != null || peers != null) {
                throw new IllegalArgumentException("--cluster, --group and --peers need --witness");
            }
            return new Options(data, node, port, bind, fg, cfsPort, w);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Havend.class);

    private final Options options;
    private final List<ApiModule> extraModules;
    private final NodePaths paths;
    private final List<ApiModule> started = new ArrayList<>();
    private org.haven.core.cfs.ClusterFs cfs;
    private ClusterService clusterService;
    private FileTaskManager tasks;
    private volatile HttpApiServer server;
    private HttpsNodeProxy proxy;
    private NodeServices services;
    private ApiTree tree;
    private final char[] ksPass = HexFormat.of().formatHex(SecureRandom.getSeed(8)).toCharArray();
    private final ScheduledExecutorService housekeeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("node-tree").factory());
    private final AtomicBoolean housekeepingQueued = new AtomicBoolean();
    private AutoCloseable treeWatch;
    private volatile String servedCert;

    public Havend(Options options) { this(options, List.of()); }

    /** A daemon that also runs {@code extraModules} (after the node's own, {@link NodeModules}). */
    public Havend(Options options, List<ApiModule> extraModules) {
        this.options = options;
        this.extraModules = List.copyOf(extraModules);
        this.paths = options.dataDir() != null ? NodePaths.embedded(options.dataDir()) : NodePaths.system();
    }

    public NodePaths paths() { return paths; }

    public int httpsPort() { return server.httpsPort(); }

    public ApiTree tree() { return tree; }

    public static String defaultNodeName() {
        String h = null;
        try { h = Files.readString(Path.of("/etc/hostname")).trim(); } catch (IOException ignored) { }
        if (h == null || h.isEmpty()) {
            try { h = InetAddress.getLocalHost().getHostName(); } catch (Exception e) { h = "localhost"; }
        }
        int dot = h.indexOf('.');
        return dot > 0 ? h.substring(0, dot) : h;
    }

    public void start() throws Exception {
        Files.createDirectories(paths.dataDir());
        Files.createDirectories(paths.runDir());
        Files.setPosixFilePermissions(paths.runDir(), PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(paths.logDir());
        Files.createDirectories(paths.cfsDir());
        writePidFile();
        String node = options.node();
        boolean writable = true;
        if (options.cfsPort() > 0) {
            clusterService = openClusterService(node);
            cfs = clusterService;
            writable = awaitQuorum(clusterService, 60_000);
            if (!writable) log.warn("no quorum yet: the cluster file system is read-only until the cluster is quorate");
        } else {
            cfs = new LocalClusterFs(paths.cfsDir(), node);
        }
        if (writable) syncNodeTree();
        Clock clock = Clock.SYSTEM;
        AccessControl ac = new AccessControl(cfs, clock);
        if (paths.embedded() && writable) bootstrapAdmin(ac);
        tasks = new FileTaskManager(paths.taskDir(), node, clock);
        AccessAdapter access = new AccessAdapter(ac);
        services = new NodeServices(node, cfs, tasks, access, paths, clock);
        Dispatcher dispatcher = new Dispatcher(new ApiTree(), services, access);
        tree = dispatcher.tree();
        HttpExtensions extensions = new HttpExtensions();
        List<ApiModule> modules = new NodeModules(services, ac, dispatcher, extensions, extraModules).modules();
        for (ApiModule m : modules) {
            try {
                m.register(tree, services);
            } catch (Throwable e) {
                log.error("module {} failed to register: {}", m.name(), e.toString(), e);
            }
        }
        for (ApiModule m : modules) {
            try {
                m.start(services);
                started.add(m);
            } catch (Throwable e) {
                log.error("module {} failed to start: {}", m.name(), e.toString(), e);
            }
        }
        proxy = new HttpsNodeProxy(cfs, ac);
        dispatcher.setProxy(proxy);
        KeyStore ks = Certificates.keyStore(cfs, node, ksPass);
        servedCert = nodeCertificate();
        server = new HttpApiServer(dispatcher,
                new HttpApiServer.Config(options.bind(), options.port(), ks, new String(ksPass), paths.socket(),
                        "off".equals(System.getProperty("haven.accessLog")) ? null : paths.logDir().resolve("access.log"), paths.uploadDir())
                        .withAuthFailureDelay(authFailureDelay()),
                () -> SchemaExport.openapi(tree, Version.VERSION));
        server.setExtensions(extensions);
        server.start();
        writeEndpoint(node);
        treeWatch = cfs.watch("", path -> {
            if (path.isEmpty() || path.equals(Certificates.CA_PEM) || path.equals(Certificates.nodeCertPath(node))
                    || path.equals(Certificates.nodeKeyPath(node)) || path.equals(Certificates.customCertPath(node))
                    || path.equals(Certificates.customKeyPath(node)) || path.equals(ClusterNodes.endpointPath(node))
                    || path.equals("nodes/" + node)) requestHousekeeping(0);
        });
        if (!writable) requestHousekeeping(2);
        log.info("node '{}' listening on https port {} and {} (data {})", node, server.httpsPort(), paths.socket(), paths.dataDir());
    }

    /** PVE's 3 s before a 401; {@code -Dhaven.auth.failDelayMs} shortens it for test clusters. */
    static java.time.Duration authFailureDelay() {
        return java.time.Duration.ofMillis(Long.getLong("haven.auth.failDelayMs", HttpApiServer.AUTH_FAILURE_DELAY.toMillis()));
    }

    /**
     * The replicated cluster file system ({@code --cfs-port}), with its state in {@code <data>/cfs-raft}. On the
     * first start a tree kept so far by the local (directory) cfs is carried over.
     */
    private ClusterService openClusterService(String node) throws IOException {
        Path dir = paths.dataDir().resolve("cfs-raft");
        boolean fresh = !Files.exists(dir.resolve("node.properties"));
        if (fresh && Files.isDirectory(paths.cfsDir()) && Files.list(paths.cfsDir()).findAny().isPresent()) {
            Path db = paths.dataDir().resolve("cfs-import.db");
            Files.deleteIfExists(db);
            new LocalClusterFs(paths.cfsDir(), node).exportDb(db);
            RaftClusterFs.importDb(dir, db, CfsLimits.PVE);
            Files.deleteIfExists(db);
            log.info("carried the local cluster file system over to the replicated one");
        }
        return new ClusterService(ClusterService.Options.of(dir, node, advertisedHost(), options.cfsPort()));
    }

    private static boolean awaitQuorum(ClusterService cs, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (cs.isQuorate()) return true;
            Thread.sleep(100);
        }
        return cs.isQuorate();
    }

    /** This node's directories and certificates in the cluster tree (created when missing). */
    private void syncNodeTree() throws Exception {
        String node = options.node();
        for (String d : List.of("nodes/" + node + "/qemu-server", "nodes/" + node + "/lxc", "nodes/" + node + "/priv", "priv", "ha"))
            if (cfs.stat(d).isEmpty()) cfs.mkdirs(d);
        Certificates.ensure(cfs, node, localIps());
    }

    private String nodeCertificate() {
        String node = options.node();
        return cfs.readString(Certificates.nodeCertPath(node)).orElse("") + cfs.readString(Certificates.nodeKeyPath(node)).orElse("")
                + cfs.readString(Certificates.customCertPath(node)).orElse("") + cfs.readString(Certificates.customKeyPath(node)).orElse("");
    }

    /**
     * Brings this node's part of the cluster tree up to date after the tree changed under it (joining a
     * cluster replaces the whole tree; {@code pvecm updatecerts} renews the certificate; a daemon that started
     * without quorum catches up once it is quorate): directories, certificates, the API endpoint, the
     * certificate served over HTTPS.
     */
    private void requestHousekeeping(long delaySeconds) {
        if (housekeepingQueued.compareAndSet(false, true)) {
            try {
                housekeeper.schedule(this::housekeep, delaySeconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                housekeepingQueued.set(false);
            }
        }
    }

    private void housekeep() {
        housekeepingQueued.set(false);
        HttpApiServer srv = server;
        if (srv == null) return;
        try {
            if (!cfs.isQuorate()) {
                requestHousekeeping(2);
                return;
            }
            syncNodeTree();
            writeEndpoint(options.node());
            String cert = nodeCertificate();
            if (!cert.equals(servedCert)) {
                srv.reloadKeyStore(Certificates.keyStore(cfs, options.node(), ksPass), new String(ksPass));
                servedCert = cert;
                log.info("serving the new certificate of node {}", options.node());
            }
        } catch (Exception e) {
            log.warn("updating this node's entries in the cluster file system failed: {}", e.toString());
            requestHousekeeping(5);
        }
    }

    /** The address other nodes use to reach this one: the bind address, or the first non-loopback IPv4 address. */
    private String advertisedHost() { return advertisedHost(options.bind()); }

    private static String advertisedHost(String bind) {
        String host = bind;
        if (host == null || host.equals("0.0.0.0") || host.equals("::")) {
            List<String> ips = localIps();
            host = ips.isEmpty() ? "127.0.0.1" : ips.get(0);
        }
        return host;
    }

    private void writeEndpoint(String node) {
        String host = advertisedHost();
        String ep = (host.contains(":") ? "[" + host + "]" : host) + ":" + server.httpsPort() + "\n";
        try {
            if (!cfs.readString(ClusterNodes.endpointPath(node)).orElse("").equals(ep)) cfs.writeString(ClusterNodes.endpointPath(node), ep);
        } catch (RuntimeException e) {
            log.warn("cannot record the API endpoint: {}", e.toString());
        }
    }

    private void bootstrapAdmin(AccessControl ac) throws IOException {
        Optional<String> pw = ac.bootstrapAdmin();
        if (pw.isEmpty()) return;
        Path f = paths.adminPasswordFile();
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, pw.get() + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        String msg = "created administrator admin@pve with password " + pw.get() + " (also in " + f + ")";
        System.out.println(msg);
        log.info("created administrator admin@pve (password in {})", f);
    }

    private void writePidFile() throws IOException {
        Path pid = paths.pidFile();
        if (Files.exists(pid)) {
            try {
                long old = Long.parseLong(Files.readString(pid).trim());
                Optional<ProcessHandle> ph = ProcessHandle.of(old);
                if (old != ProcessHandle.current().pid() && ph.isPresent() && ph.get().isAlive()
                        && ph.get().info().command().map(c -> c.contains("java")).orElse(false))
                    throw new IllegalStateException("havend already running (pid " + old + ", " + pid + ")");
            } catch (NumberFormatException ignored) { }
        }
        Files.writeString(pid, ProcessHandle.current().pid() + "\n");
    }

    public static List<String> localIps() {
        List<String> out = new ArrayList<>();
        try {
            for (java.net.NetworkInterface ni : Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) continue;
                for (InetAddress a : Collections.list(ni.getInetAddresses()))
                    if (a instanceof java.net.Inet4Address) out.add(a.getHostAddress());
            }
        } catch (Exception ignored) { }
        return out;
    }

    @Override
    public synchronized void close() {
        housekeeper.shutdownNow();
        if (treeWatch != null) {
            try { treeWatch.close(); } catch (Exception ignored) { }
            treeWatch = null;
        }
        if (server != null) {
            try { server.close(); } catch (Exception e) { log.warn("stopping server: {}", e.toString()); }
            server = null;
        }
        if (proxy != null) {
            try { proxy.close(); } catch (Exception ignored) { }
            proxy = null;
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            try { started.get(i).stop(); } catch (Throwable e) { log.warn("stopping {}: {}", started.get(i).name(), e.toString()); }
        }
        started.clear();
        if (tasks != null) { tasks.close(); tasks = null; }
        if (clusterService != null) {
            try { clusterService.close(); } catch (RuntimeException e) { log.warn("stopping the cluster file system: {}", e.toString()); }
            clusterService = null;
        }
        try {
            Path pid = paths.pidFile();
            if (Files.exists(pid) && Files.readString(pid).trim().equals(Long.toString(ProcessHandle.current().pid()))) Files.delete(pid);
        } catch (IOException ignored) { }
    }

    /** {@code --witness}: the witness replica alone, its state in {@code <data>/witness}, until SIGTERM. */
    private static void runWitness(Options o, NodePaths p) {
        Options.Witness w = o.witness();
        String host = advertisedHost(o.bind());
        RaftClusterFs fs;
        try {
            fs = org.haven.cfs.WitnessMain.start(w.cluster(), w.group(), w.generation(), host, o.cfsPort(), w.peers(),
                    p.dataDir().resolve("witness"), java.time.Duration.ofMillis(1000));
        } catch (Throwable e) {
            log.error("witness start failed: {}", e.toString(), e);
            System.err.println("havend: witness start failed: " + e.getMessage());
            System.exit(255);
            return;
        }
        log.info("witness for cluster '{}' listening on {}:{} (data {})", w.cluster(), host, o.cfsPort(), p.dataDir());
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fs.close();
            done.countDown();
        }, "shutdown"));
        try {
            done.await();
        } catch (InterruptedException ignored) { }
    }

    public static void main(String[] args) { main(args, List.of()); }

    /** {@link #main} with {@code extraModules} besides the node's own (for test daemons). */
    public static void main(String[] args, List<ApiModule> extraModules) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("havend: " + e.getMessage());
            System.exit(255);
            return;
        }
        NodePaths p = o.dataDir() != null ? NodePaths.embedded(o.dataDir()) : NodePaths.system();
        try {
            Files.createDirectories(p.logDir());
            Logging.addFileAppender(p.logDir().resolve("havend.log"));
            if (!p.embedded()) Logging.addJournalAppender();
        } catch (Exception e) {
            System.err.println("havend: cannot open log file: " + e.getMessage());
        }
        if (o.witness() != null) {
            runWitness(o, p);
            return;
        }
        Havend d = new Havend(o, extraModules);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("received shutdown request");
            d.close();
            log.info("server stopped");
            done.countDown();
        }, "shutdown"));
        try {
            d.start();
        } catch (Throwable e) {
            log.error("start failed: {}", e.toString(), e);
            System.err.println("havend: start failed: " + e.getMessage());
            System.exit(255);
        }
        try {
            done.await();
        } catch (InterruptedException ignored) { }
    }

}
