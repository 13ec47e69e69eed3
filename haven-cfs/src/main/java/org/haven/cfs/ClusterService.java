package org.haven.cfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster file system of a node as the daemon uses it: a {@link RaftClusterFs} that survives the node
 * creating, joining or being forced out of a cluster (the {@link ClusterFs} reference and its watchers stay
 * valid while the replica underneath is replaced), plus the cluster management operations behind
 * {@code pvecm} and {@code /cluster/config}.
 *
 * <p>Local state in {@code dir}: {@code node.properties} (Raft group id, generation, node id),
 * {@code corosync.conf} (the local copy of the cluster's, updated whenever the copy in the tree gets a higher
 * {@code config_version}; never copied back), {@code raft/} and {@code config.db} (the latest snapshot).
 *
 * <p>{@code pvecm expected} on a node without quorum starts a new generation: the node continues alone in a
 * new Raft group with its current tree. Members of the older generation that later hear a node of a newer
 * generation on the status plane save their own tree to {@code dir/cfs-diverged-gen<g>-<time>.db} (so their
 * committed writes are kept, not merged), log it to the cluster log, and join the newer generation, whose
 * tree replaces theirs.
 */
public final class ClusterService implements ClusterFs, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterService.class);
    public static final String COROSYNC = "corosync.conf";

    /** How this node runs its replica. */
    public record Options(Path dir, String nodeName, String host, int port, Clock clock, CfsLimits limits,
                          Duration electionTimeout, Duration writeTimeout) {
        public static Options of(Path dir, String nodeName, String host, int port) {
            return new Options(dir, nodeName, host, port, Clock.SYSTEM, CfsLimits.PVE, Duration.ofMillis(1000), Duration.ofSeconds(10));
        }

        public Options withTimeouts(Duration election, Duration write) {
            return new Options(dir, nodeName, host, port, clock, limits, election, write);
        }
    }

    /** What a cluster member answers to a join request. */
    public record JoinGrant(String corosyncConf, UUID groupId, long generation, int nodeId) {}

    private final Options opt;
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final Object switchLock = new Object();
    private volatile RaftClusterFs fs;
    private AutoCloseable forward;
    private AutoCloseable corosyncWatch;
    private volatile boolean closed;
    private final Thread monitor;

    private record Watch(String prefix, Consumer<String> listener) {}

    public ClusterService(Options opt) {
        this.opt = opt;
        try {
            Files.createDirectories(opt.dir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        startReplica();
        monitor = Thread.ofVirtual().name("cfs-generation-" + opt.nodeName()).start(this::monitorGenerations);
    }

    // ------------------------------------------------------------------ local state

    private Path propsFile() { return opt.dir().resolve("node.properties"); }

    private Path localConf() { return opt.dir().resolve(COROSYNC); }

    private Properties props() {
        Properties p = new Properties();
        if (Files.exists(propsFile())) {
            try (var in = Files.newInputStream(propsFile())) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (p.getProperty("group") == null) {
            p.setProperty("group", UUID.randomUUID().toString());
            p.setProperty("generation", "0");
            p.setProperty("nodeid", "1");
            saveProps(p);
        }
        return p;
    }

    private void saveProps(Properties p) {
        try {
            Path tmp = propsFile().resolveSibling("node.properties.tmp");
            try (var out = Files.newOutputStream(tmp)) {
                p.store(out, "haven cfs node state");
            }
            Files.move(tmp, propsFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The local copy of corosync.conf, when this node is part of a cluster. */
    public Optional<CorosyncConf> localCorosync() {
        if (!Files.exists(localConf())) return Optional.empty();
        try {
            return Optional.of(CorosyncConf.parse(Files.readString(localConf())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the local copy atomically; the change watcher and cluster operations may call this concurrently. */
    private synchronized void writeLocalConf(String text) {
        try {
            Path tmp = Files.createTempFile(localConf().getParent(), COROSYNC + ".", ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, localConf(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CfsNode self(int nodeId) { return new CfsNode(opt.nodeName(), nodeId, opt.host(), opt.port()); }

    private static List<CfsNode> nodesOf(CorosyncConf c) {
        List<CfsNode> out = new ArrayList<>();
        for (CorosyncConf.Node n : c.nodes()) {
            if (n.ring0Addr() != null && n.nodeId() > 0) out.add(new CfsNode(n.name(), n.nodeId(), n.ring0Addr(), n.cfsPort()));
        }
        return out;
    }

    // ------------------------------------------------------------------ replica lifecycle

    private void startReplica() { startReplica(null, false); }

    /** Starts the replica; {@code raftPeers} overrides the initial Raft group; {@code joining} for a fresh member. */
    private void startReplica(List<CfsNode> raftPeers, boolean joining) {
        synchronized (switchLock) {
            Properties p = props();
            int nodeId = Integer.parseInt(p.getProperty("nodeid", "1"));
            Optional<CorosyncConf> conf = localCorosync();
            String clusterName = conf.map(CorosyncConf::clusterName).orElse("");
            List<CfsNode> peers = raftPeers != null ? raftPeers
                    : conf.map(ClusterService::nodesOf).filter(l -> l.stream().anyMatch(n -> n.name().equals(opt.nodeName())))
                            .orElse(List.of(self(nodeId)));
            CfsNode self = peers.stream().filter(n -> n.name().equals(opt.nodeName())).findFirst().orElse(self(nodeId));
            RaftClusterFs.Config cfg = new RaftClusterFs.Config(clusterName, UUID.fromString(p.getProperty("group")),
                    Long.parseLong(p.getProperty("generation", "0")), self, peers, opt.dir(), opt.clock(), opt.limits(),
                    opt.electionTimeout(), opt.writeTimeout());
            fs = RaftClusterFs.start(joining ? cfg.asJoining() : cfg);
            forward = fs.watch("", this::dispatch);
            corosyncWatch = fs.watch(COROSYNC, path -> syncLocalConf());
        }
    }

    private void stopReplica() {
        synchronized (switchLock) {
            try {
                if (forward != null) forward.close();
                if (corosyncWatch != null) corosyncWatch.close();
            } catch (Exception ignored) {
                // listeners only
            }
            if (fs != null) fs.close();
        }
    }

    private void wipeReplica() {
        deleteTree(opt.dir().resolve("raft"));
        try {
            Files.deleteIfExists(opt.dir().resolve("config.db"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void dispatch(String path) {
        for (Watch w : watches) {
            if (!path.isEmpty() && !CfsPath.isUnder(path, w.prefix())) continue;
            try {
                w.listener().accept(path);
            } catch (RuntimeException e) {
                LOG.warn("cfs watcher failed for {}", path, e);
            }
        }
    }

    /** Keeps the local corosync.conf in step with the tree's when the tree's has a higher config_version. */
    private synchronized void syncLocalConf() {
        try {
            Optional<String> text = fs.readString(COROSYNC);
            if (text.isEmpty()) return;
            CorosyncConf tree = CorosyncConf.parse(text.get());
            if (tree.nodes().stream().noneMatch(n -> n.name().equals(opt.nodeName()))) return;
            long local = localCorosync().map(CorosyncConf::configVersion).orElse(-1L);
            if (tree.configVersion() > local) writeLocalConf(text.get());
        } catch (RuntimeException e) {
            LOG.warn("cannot update local corosync.conf: {}", e.getMessage());
        }
    }

    private void monitorGenerations() {
        while (!closed) {
            try {
                Thread.sleep(1000);
                RaftClusterFs cur = fs;
                if (cur == null || closed) continue;
                long mine = cur.config().generation();
                Optional<StatusPlane.PeerState> newest = cur.statusPlane().newestPeer();
                if (newest.isPresent() && newest.get().epoch() > mine && !newest.get().group().isEmpty()) {
                    rejoinNewerGeneration(newest.get());
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("cfs generation check failed: {}", e.getMessage());
            }
        }
    }

    private void rejoinNewerGeneration(StatusPlane.PeerState peer) {
        RaftClusterFs cur = fs;
        long mine = cur.config().generation();
        Path saved = opt.dir().resolve("cfs-diverged-gen" + mine + "-" + opt.clock().epochSeconds() + ".db");
        cur.exportDb(saved);
        LOG.warn("cfs: node {} runs generation {} (mine {}); local tree saved to {}, joining it", peer.node(), peer.epoch(), mine, saved);
        CfsNode other = cur.members().stream().filter(n -> n.name().equals(peer.node())).findFirst().orElse(null);
        if (other == null) return;
        CfsNode me = cur.config().self();
        stopReplica();
        wipeReplica();
        Properties p = props();
        p.setProperty("group", peer.group());
        p.setProperty("generation", Long.toString(peer.epoch()));
        saveProps(p);
        startReplica(List.of(me, other), true);
        fs.statusPlane().log(4, "pmxcfs", "root@pam", "cfs: rejoined generation " + peer.epoch() + " from " + peer.node()
                + "; state of generation " + mine + " saved to " + saved);
    }

    /** The replica currently in use. */
    public RaftClusterFs replica() { return fs; }

    // ------------------------------------------------------------------ cluster management

    /** {@code pvecm create}: makes this standalone node the first member of cluster {@code name}. */
    /**
     * A node's {@code quorum_votes}: Raft counts one vote per member, so other weights are refused rather than
     * written into corosync.conf and silently ignored.
     */
    static int checkVotes(Integer votes) {
        int v = votes == null ? 1 : votes;
        if (v != 1) throw new CfsException("quorum_votes " + v + " is not supported: every node has exactly one vote in the replicated cluster file system");
        return v;
    }

    public void createCluster(String name, String link0, Integer nodeId, Integer votes) {
        if (!name.matches("[A-Za-z0-9\\-_]{1,15}")) throw new CfsException("invalid cluster name '" + name + "'");
        if (fs.read(COROSYNC).isPresent() || localCorosync().isPresent()) {
            throw new CfsException("cluster config '/etc/pve/corosync.conf' already exists");
        }
        String addr = link0 == null ? opt.host() : link0;
        if (!addr.equals(opt.host())) {
            throw new CfsException("link0 address '" + addr + "' is not the address this node's cluster file system uses (" + opt.host() + ")");
        }
        int id = nodeId == null ? 1 : nodeId;
        CorosyncConf conf = CorosyncConf.create(name, new CorosyncConf.Node(opt.nodeName(), id, checkVotes(votes), addr, opt.port()));
        String text = conf.writePve();
        fs.create(COROSYNC, text.getBytes(StandardCharsets.UTF_8));
        writeLocalConf(text);
        Properties p = props();
        p.setProperty("nodeid", Integer.toString(id));
        saveProps(p);
        // restart so that the cluster name and node id take effect (same group and storage)
        stopReplica();
        startReplica();
        awaitQuorate(Duration.ofSeconds(30));
    }

    /** The cluster's corosync.conf, if this node is in a cluster. */
    public Optional<CorosyncConf> corosync() {
        return fs.readString(COROSYNC).map(CorosyncConf::parse);
    }

    /**
     * Cluster side of {@code pvecm add}: adds {@code name} to the nodelist (next free node id unless given) and
     * returns what the joiner needs. With {@code force} an existing entry of the same name is replaced.
     */
    public JoinGrant addNode(String name, Integer nodeId, String link0, int port, Integer votes, boolean force) {
        return fs.withLock("file-corosync_conf", Duration.ofSeconds(10), () -> {
            fs.sync();
            CorosyncConf conf = corosync().orElseThrow(() -> new CfsException("unable to add node: this node is not part of a cluster"));
            if (conf.node(name).isPresent()) {
                if (!force) throw new CfsException("can't add existing node '" + name + "'");
                conf.removeNode(name);
            }
            for (CorosyncConf.Node n : conf.nodes()) {
                if (nodeId != null && n.nodeId() == nodeId) {
                    throw new CfsException("Nodeid " + nodeId + " is already used by node '" + n.name() + "', please choose another one.");
                }
                if (link0 != null && link0.equals(n.ring0Addr()) && port == n.cfsPort()) {
                    throw new CfsException("corosync: address " + link0 + " already used by node '" + n.name() + "'");
                }
            }
            int id = nodeId == null ? conf.nextNodeId() : nodeId;
            conf.addNode(new CorosyncConf.Node(name, id, checkVotes(votes), link0, port));
            conf.bumpConfigVersion();
            String text = conf.writePve();
            fs.writeString(COROSYNC, text);
            RaftClusterFs cur = fs;
            return new JoinGrant(text, cur.config().groupId(), cur.config().generation(), id);
        });
    }

    /**
     * Whether this node may join a cluster (PVE's {@code assert_joinable}): it must not be in a cluster already
     * and must hold no guests. Checked before the cluster is asked to add the node.
     */
    public void assertJoinable() {
        if (localCorosync().isPresent() || fs.read(COROSYNC).isPresent()) {
            throw new CfsException("this host already contains a cluster configuration");
        }
        for (Entry n : fs.list("nodes")) {
            for (String t : List.of("qemu-server", "lxc")) {
                if (!fs.list("nodes/" + n.name() + "/" + t).stream().filter(e -> e.name().endsWith(".conf")).toList().isEmpty()) {
                    throw new CfsException("this host already contains virtual guests");
                }
            }
        }
    }

    /**
     * Joiner side of {@code pvecm add}: this node's tree is replaced by the cluster's. Fails when the node
     * holds guests or is already in a cluster.
     */
    public void join(JoinGrant grant) {
        assertJoinable();
        CorosyncConf conf = CorosyncConf.parse(grant.corosyncConf());
        CorosyncConf.Node meNode = conf.node(opt.nodeName())
                .orElseThrow(() -> new CfsException("node '" + opt.nodeName() + "' is not in the cluster configuration"));
        stopReplica();
        wipeReplica();
        Properties p = props();
        p.setProperty("group", grant.groupId().toString());
        p.setProperty("generation", Long.toString(grant.generation()));
        p.setProperty("nodeid", Integer.toString(meNode.nodeId()));
        saveProps(p);
        writeLocalConf(grant.corosyncConf());
        startReplica(null, true);
        // the cluster's leader adds this node to the Raft group once it hears it on the status plane
        awaitQuorate(Duration.ofSeconds(60));
        if (!fs.isQuorate()) throw new CfsException("joining the cluster timed out (not added to the cluster file system)");
        // the whole tree changed: the daemon re-creates this node's entries (directories, certificate, endpoint)
        dispatch("");
    }

    /**
     * {@code pvecm delnode}: removes a node from the nodelist; the leader then drops it from the Raft
     * membership (see {@link RaftClusterFs}).
     */
    public void delNode(String name) {
        if (name.equals(opt.nodeName())) throw new CfsException("Cannot delete myself from cluster!");
        fs.withLock("file-corosync_conf", Duration.ofSeconds(10), () -> {
            fs.sync();
            CorosyncConf conf = corosync().orElseThrow(() -> new CfsException("no cluster configured"));
            if (!conf.removeNode(name)) throw new CfsException("Node/IP: " + name + " is not a known host of the cluster.");
            conf.bumpConfigVersion();
            fs.writeString(COROSYNC, conf.writePve());
            return null;
        });
    }

    /**
     * {@code pvecm qdevice setup}: adds a witness (a cfs replica started with {@link WitnessMain}) as a voting
     * member, giving a two-node cluster the deciding vote. The witness must be running and reachable.
     */
    public void qdeviceSetup(String host, int port) {
        fs.withLock("file-corosync_conf", Duration.ofSeconds(10), () -> {
            fs.sync();
            CorosyncConf conf = corosync().orElseThrow(() -> new CfsException("no cluster configured"));
            if (conf.witness().isPresent()) throw new CfsException("QDevice already configured!");
            conf.setWitness(host, port);
            conf.bumpConfigVersion();
            fs.writeString(COROSYNC, conf.writePve());
            return null;
        });
    }

    /** {@code pvecm qdevice remove}. */
    public void qdeviceRemove() {
        fs.withLock("file-corosync_conf", Duration.ofSeconds(10), () -> {
            fs.sync();
            CorosyncConf conf = corosync().orElseThrow(() -> new CfsException("no cluster configured"));
            if (!conf.removeWitness()) throw new CfsException("No QDevice configured!");
            conf.bumpConfigVersion();
            fs.writeString(COROSYNC, conf.writePve());
            return null;
        });
    }

    /**
     * {@code pvecm expected}: on a node without quorum whose own votes reach {@code expected}'s majority,
     * starts a new generation in which this node alone is the Raft group (see the class comment).
     * Returns false when nothing had to change (the node is quorate).
     */
    public boolean expected(int expected) {
        if (expected < 1) throw new CfsException("expected votes must be at least 1");
        if (fs.isQuorate()) return false;
        int myVotes = corosync().flatMap(c -> c.node(opt.nodeName())).map(CorosyncConf.Node::votes).orElse(1);
        if (myVotes < expected / 2 + 1) {
            throw new CfsException("unable to set expected votes to " + expected + ": this node has only " + myVotes + " vote(s)");
        }
        synchronized (switchLock) {
            RaftClusterFs cur = fs;
            cur.exportDb(opt.dir().resolve("config.db.seed"));
            long gen = cur.config().generation() + 1;
            CfsNode me = cur.config().self();
            stopReplica();
            wipeReplica();
            try {
                Files.move(opt.dir().resolve("config.db.seed"), opt.dir().resolve("config.db"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Properties p = props();
            p.setProperty("group", UUID.randomUUID().toString());
            p.setProperty("generation", Long.toString(gen));
            saveProps(p);
            startReplica(List.of(me), false);
        }
        awaitQuorate(Duration.ofSeconds(30));
        fs.statusPlane().log(4, "pmxcfs", "root@pam", "cfs: quorum forced with expected votes " + expected
                + " (generation " + fs.config().generation() + ")");
        return true;
    }

    /**
     * Waits until this node may write (for a daemon at startup: a standalone node is quorate about one
     * election timeout after start). Returns whether it is quorate.
     */
    public boolean awaitQuorate(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!fs.isQuorate() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return fs.isQuorate();
    }

    // ------------------------------------------------------------------ ClusterFs

    @Override public String nodeName() { return opt.nodeName(); }
    @Override public Optional<byte[]> read(String path) { return fs.read(path); }
    @Override public void write(String path, byte[] data) { fs.write(path, data); }
    @Override public void create(String path, byte[] data) { fs.create(path, data); }
    @Override public boolean delete(String path) { return fs.delete(path); }
    @Override public void mkdirs(String path) { fs.mkdirs(path); }
    @Override public void rename(String from, String to) { fs.rename(from, to); }
    @Override public Optional<Entry> stat(String path) { return fs.stat(path); }
    @Override public List<Entry> list(String dir) { return fs.list(dir); }
    @Override public boolean isQuorate() { return !closed && fs.isQuorate(); }
    @Override public <T> T withLock(String name, Duration timeout, Supplier<T> body) { return fs.withLock(name, timeout, body); }
    @Override public boolean tryLock(String name) { return fs.tryLock(name); }
    @Override public void unlock(String name) { fs.unlock(name); }

    @Override public void setNodeStatus(String key, byte[] value) { fs.setNodeStatus(key, value); }
    @Override public Optional<byte[]> nodeStatus(String node, String key) { return fs.nodeStatus(node, key); }
    @Override public void clusterLog(int priority, String tag, String user, String message) { fs.clusterLog(priority, tag, user, message); }

    /** Writes the current tree as a pmxcfs config.db ({@code haven cfs export}). */
    public void exportDb(Path db) { fs.exportDb(db); }

    /** Linearizable read barrier (see {@link RaftClusterFs#sync()}). */
    public void sync() { fs.sync(); }

    @Override
    public AutoCloseable watch(String prefix, Consumer<String> listener) {
        Watch w = new Watch(CfsPath.resolve(prefix, opt.nodeName()), listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    @Override
    public void close() {
        closed = true;
        monitor.interrupt();
        stopReplica();
    }
}
