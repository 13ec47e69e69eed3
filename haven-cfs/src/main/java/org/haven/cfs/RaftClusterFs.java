package org.haven.cfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated cluster file system: every change is an entry of an Apache Ratis log and returns once it is
 * committed and applied on this node; reads are served from the local copy of the tree. A node that is not
 * part of a majority is read-only ({@code cluster not ready - no quorum?}). Locks are pmxcfs locks in the tree
 * (so acquisition is linearizable), guest config creation checks VMID uniqueness in the state machine.
 */
public final class RaftClusterFs implements ClusterFs, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftClusterFs.class);
    public static final String NO_QUORUM = "cluster not ready - no quorum?";

    /** Settings of one node. */
    /**
     * Settings of one node. {@code groupId} identifies the Raft group (all members use the same; a forced
     * reconfiguration starts a new one); {@code clusterName} filters status-plane traffic; {@code generation}
     * is announced on the status plane so that members of an older generation notice a forced reconfiguration.
     */
    public record Config(String clusterName, UUID groupId, long generation, CfsNode self, List<CfsNode> peers, Path dataDir,
                         Clock clock, CfsLimits limits, Duration electionTimeout, Duration writeTimeout, boolean joining) {
        public Config {
            if (peers.stream().noneMatch(p -> p.name().equals(self.name()))) throw new IllegalArgumentException("peers must contain self");
        }

        public Config(String clusterName, UUID groupId, long generation, CfsNode self, List<CfsNode> peers, Path dataDir,
                      Clock clock, CfsLimits limits, Duration electionTimeout, Duration writeTimeout) {
            this(clusterName, groupId, generation, self, peers, dataDir, clock, limits, electionTimeout, writeTimeout, false);
        }

        /**
         * A node joining an existing group waits for the leader instead of campaigning (a candidate that is not
         * yet in the leader's configuration would be told to shut down).
         */
        public Config asJoining() {
            return new Config(clusterName, groupId, generation, self, peers, dataDir, clock, limits, electionTimeout, writeTimeout, true);
        }

        public static Config of(String clusterName, CfsNode self, List<CfsNode> peers, Path dataDir) {
            return new Config(clusterName, groupUuid(clusterName), 0, self, peers, dataDir, Clock.SYSTEM, CfsLimits.PVE,
                    Duration.ofMillis(1000), Duration.ofSeconds(10));
        }

        public Config withLimits(CfsLimits l) { return new Config(clusterName, groupId, generation, self, peers, dataDir, clock, l, electionTimeout, writeTimeout); }
        public Config withClock(Clock c) { return new Config(clusterName, groupId, generation, self, peers, dataDir, c, limits, electionTimeout, writeTimeout); }
        public Config withWriteTimeout(Duration d) { return new Config(clusterName, groupId, generation, self, peers, dataDir, clock, limits, electionTimeout, d); }
        public Config withElectionTimeout(Duration d) { return new Config(clusterName, groupId, generation, self, peers, dataDir, clock, limits, d, writeTimeout); }
    }

    private final Config cfg;
    private final LockedCommands lockedCommands;
    private final CfsStateMachine sm;
    private final RaftServer server;
    private final RaftClient client;
    /** Forwards groups to the leader: unordered, so one waiting for a lost leader holds up no other. */
    private final RaftClient forwarder;
    private final RaftGroup group;
    private final RaftPeerId selfId;
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final Object lockChange = new Object();
    private final ThreadLocal<Map<String, Integer>> heldLocks = ThreadLocal.withInitial(HashMap::new);
    private final long startTime;
    private final StatusPlane status;
    private volatile List<CfsNode> members;
    private volatile boolean closed;
    /** When this node last found itself quorate ({@link System#nanoTime}); checked at least every 500 ms. */
    private volatile long lastQuorate = System.nanoTime() - TimeUnit.HOURS.toNanos(1);

    private record Watch(String prefix, Consumer<String> listener) {}

    /** A group id derived from a name, for tests and fixed setups. */
    public static UUID groupUuid(String name) {
        return UUID.nameUUIDFromBytes(("haven-cfs:" + name).getBytes(StandardCharsets.UTF_8));
    }

    private RaftClusterFs(Config cfg) throws IOException {
        this.cfg = cfg;
        this.lockedCommands = new LockedCommands(cfg.clock());
        this.startTime = cfg.clock().epochSeconds();
        this.selfId = RaftPeerId.valueOf(cfg.self().name());
        this.members = List.copyOf(cfg.peers());
        List<RaftPeer> peers = new ArrayList<>();
        for (CfsNode n : cfg.peers()) peers.add(RaftPeer.newBuilder().setId(n.name()).setAddress(n.address()).build());
        this.group = RaftGroup.valueOf(RaftGroupId.valueOf(cfg.groupId()), peers);
        Files.createDirectories(cfg.dataDir());
        Path raftDir = cfg.dataDir().resolve("raft");
        Files.createDirectories(raftDir);
        this.sm = new CfsStateMachine(cfg.limits(), cfg.dataDir().resolve("config.db"), cfg.dataDir().resolve("config.db"), this::changed,
                new CfsStateMachine.Applied() {
                    @Override public void applied(long term, List<CfsStateMachine.AppliedGroup> groups) { RaftClusterFs.this.applied(term, groups); }
                    @Override public void snapshotInstalled(long term) { RaftClusterFs.this.snapshotInstalled(term); }
                }, this::accept);

        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(props, List.of(raftDir.toFile()));
        GrpcConfigKeys.Server.setPort(props, cfg.self().port());
        long et = cfg.electionTimeout().toMillis();
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(et, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2 * et, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(Math.max(3000, 3 * et), TimeUnit.MILLISECONDS));
        if (cfg.joining()) {
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(props, TimeDuration.valueOf(60, TimeUnit.SECONDS));
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(props, TimeDuration.valueOf(90, TimeUnit.SECONDS));
        }
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(props, TimeDuration.valueOf(3 * et, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Read.setOption(props, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, 20_000);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        // Ratis' metadata entry after each commit (on by default) is what tells the followers of the new commit index
        // at once: without it they learn it only from the next heartbeat (half an election timeout later), and every
        // write made on a follower, which waits until the follower has applied it, takes that long
        RaftServerConfigKeys.Log.setLogMetadataEnabled(props, true);
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(Math.max(3000, 3 * et), TimeUnit.MILLISECONDS));
        // a log entry (a batch of writes, or one write of the largest file allowed) must fit every buffer on its way
        long entry = maxEntryBytes(cfg.limits());
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(props, SizeInBytes.valueOf(entry));
        RaftServerConfigKeys.Log.setWriteBufferSize(props, SizeInBytes.valueOf(Math.max(8L << 20, entry + (64 << 10))));
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf(Math.max(32L << 20, 4 * entry)));
        GrpcConfigKeys.setMessageSizeMax(props, SizeInBytes.valueOf(Math.max(64L << 20, 2 * entry)));

        this.status = new StatusPlane(cfg.clusterName(), cfg.self(), () -> members, cfg.clock());
        status.setEpoch(cfg.generation());
        status.setGroup(cfg.groupId().toString());
        this.server = RaftServer.newBuilder()
                .setServerId(selfId)
                .setStateMachine(sm)
                .setProperties(props)
                .setGroup(group)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        this.client = newClient(props, RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                (int) Math.max(10, cfg.writeTimeout().toMillis() / 100), TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)));
        // one try per delivery: the sender offers an unanswered group again, to whichever node leads by then
        this.forwarder = newClient(props, RetryPolicies.noRetry());
    }

    private RaftClient newClient(RaftProperties props, org.apache.ratis.retry.RetryPolicy retry) {
        ClientId id = ClientId.randomId();
        return RaftClient.newBuilder()
                .setProperties(props)
                .setRaftGroup(group)
                .setClientId(id)
                .setClientRpc(new GrpcFactory(new Parameters()).newRaftClientRpc(id, props))
                .setRetryPolicy(retry)
                .build();
    }

    /** Starts the node; the tree becomes writable once a majority of the peers is up. */
    public static RaftClusterFs start(Config cfg) {
        try {
            RaftClusterFs fs = new RaftClusterFs(cfg);
            fs.server.start();
            fs.refreshMembers();
            fs.proposer = Thread.ofPlatform().daemon().name("cfs-propose-" + cfg.self().name()).start(fs::proposeLoop);
            fs.sender = Thread.ofPlatform().daemon().name("cfs-send-" + cfg.self().name()).start(fs::sendLoop);
            Thread.ofVirtual().name("cfs-nodedirs-" + cfg.self().name()).start(fs::ensureNodeDirs);
            Thread.ofVirtual().name("cfs-members-" + cfg.self().name()).start(fs::reconcileLoop);
            return fs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start cluster file system for " + cfg.self().name(), e);
        }
    }

    private void ensureNodeDirs() {
        if (cfg.self().name().equals(CorosyncConf.WITNESS)) return;
        String me = "nodes/" + cfg.self().name();
        while (!closed) {
            try {
                if (isQuorate()) {
                    for (String d : List.of("priv", me + "/qemu-server", me + "/lxc", me + "/priv")) {
                        if (stat(d).isEmpty()) mkdirs(d);
                    }
                    return;
                }
            } catch (CfsException e) {
                LOG.debug("creating node directories: {}", e.getMessage());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public Config config() { return cfg; }

    @Override public String nodeName() { return cfg.self().name(); }

    private String norm(String path) { return CfsPath.resolve(path, cfg.self().name()); }

    // ------------------------------------------------------------------ quorum

    private DivisionInfo info() {
        try {
            return server.getDivision(group.getGroupId()).getInfo();
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public boolean isQuorate() {
        boolean q = quorate();
        if (q) lastQuorate = System.nanoTime();
        return q;
    }

    private boolean quorate() {
        if (closed) return false;
        DivisionInfo info = info();
        if (info == null || !info.isAlive()) return false;
        long limit = 2 * cfg.electionTimeout().toMillis();
        RaftProtos.RoleInfoProto role = info.getRoleInfoProto();
        if (info.isLeader()) {
            if (!info.isLeaderReady()) return false;
            int voters;
            try {
                voters = server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers().size();
            } catch (IOException e) {
                return false;
            }
            int fresh = 1;
            for (RaftProtos.ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                if (f.getLastRpcElapsedTimeMs() < limit) fresh++;
            }
            return 2 * fresh > voters;
        }
        if (info.isFollower()) {
            return info.getLeaderId() != null && role.hasFollowerInfo()
                    && role.getFollowerInfo().getLeaderInfo().getLastRpcElapsedTimeMs() < limit;
        }
        return false;
    }

    /** Name of the current Raft leader as this node knows it. */
    public Optional<String> leader() {
        DivisionInfo info = info();
        return info == null || info.getLeaderId() == null ? Optional.empty() : Optional.of(info.getLeaderId().toString());
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Optional<byte[]> read(String path) {
        String p = norm(path);
        if (CfsPath.isStatusFile(p)) return Optional.of(statusFile(p).getBytes(StandardCharsets.UTF_8));
        sm.readLock().lock();
        try {
            return sm.tree().read(p);
        } finally {
            sm.readLock().unlock();
        }
    }

    @Override
    public Optional<Entry> stat(String path) {
        String p = norm(path);
        if (CfsPath.isStatusFile(p)) return Optional.of(new Entry(p, false, statusFile(p).length(), cfg.clock().epochSeconds(), 0));
        sm.readLock().lock();
        try {
            return sm.tree().lookup(p).map(n -> new Entry(n.name(), n.isDir(), n.size(), n.mtime(), n.version()));
        } finally {
            sm.readLock().unlock();
        }
    }

    /** File content together with its version, read atomically. */
    public record Versioned(byte[] data, long version) {}

    /** Content and version of a file (for {@link #compareAndWrite}). */
    public Optional<Versioned> readVersioned(String path) {
        String p = norm(path);
        sm.readLock().lock();
        try {
            return sm.tree().lookup(p).filter(n -> !n.isDir()).map(n -> new Versioned(n.data().clone(), n.version()));
        } finally {
            sm.readLock().unlock();
        }
    }

    /** Writer node id of an entry (pmxcfs's {@code writer} column). */
    public Optional<Integer> writer(String path) {
        String p = norm(path);
        sm.readLock().lock();
        try {
            return sm.tree().lookup(p).map(MemTree.Node::writer);
        } finally {
            sm.readLock().unlock();
        }
    }

    @Override
    public List<Entry> list(String dir) {
        String p = norm(dir);
        sm.readLock().lock();
        try {
            return sm.tree().list(p).stream().map(n -> new Entry(n.name(), n.isDir(), n.size(), n.mtime(), n.version())).toList();
        } finally {
            sm.readLock().unlock();
        }
    }

    /** Current tree version on this node. */
    public long treeVersion() {
        sm.readLock().lock();
        try {
            return sm.tree().version();
        } finally {
            sm.readLock().unlock();
        }
    }

    /** Index of the last Raft log entry applied on this node. */
    public long appliedIndex() { return sm.appliedIndex(); }

    /**
     * Linearizable read barrier: returns once this node has applied every change committed before the call
     * (a no-op entry goes through the log and is awaited locally). Fails without quorum.
     */
    public void sync() {
        CfsOp.Result r = submit(new CfsOp.Noop());
        if (!r.ok()) throw new CfsException(NO_QUORUM);
    }

    /** Writes the current tree as a pmxcfs config.db. */
    public void exportDb(Path db) {
        List<MemTree.Row> rows;
        sm.readLock().lock();
        try {
            rows = sm.tree().rows();
        } finally {
            sm.readLock().unlock();
        }
        ConfigDb.write(db, rows);
    }

    /**
     * Prepares {@code dataDir} so that a node started on it begins with the contents of {@code configDb}
     * (a pmxcfs database). Only valid before the node's first start.
     */
    public static void importDb(Path dataDir, Path configDb, CfsLimits limits) {
        MemTree t = ConfigDb.load(configDb, limits); // validates
        try {
            Files.createDirectories(dataDir);
            if (Files.exists(dataDir.resolve("raft")) && Files.list(dataDir.resolve("raft")).findAny().isPresent()) {
                throw new IllegalStateException("cluster file system in " + dataDir + " already initialised");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ConfigDb.write(dataDir.resolve("config.db"), t.rows());
    }

    // ------------------------------------------------------------------ writes

    /*
     * Writes go through the Raft leader, which gathers what every node sends into as few log entries as it can
     * (group commit across the cluster). A node sends its queued changes as a group: an attempt with a random id,
     * tagged with the node's current Raft term. The leader accepts a group only in that term, and the state
     * machine applies it only from a log entry of that term; a copy that a later leader proposes again is skipped.
     * The sending node learns the outcome from its own apply stream: it sees the group applied (with its results),
     * or skipped, or it applies an entry of a later term without having seen it; in the last two cases the group
     * certainly had no effect and its changes are sent again in a new attempt. A node that is not the leader
     * forwards its groups as a non-linearizable query to the leader, which can be repeated safely: the leader
     * remembers the ids it accepted.
     */

    /** A change waiting for its outcome. */
    private record Pending(byte[] encoded, java.util.concurrent.CompletableFuture<CfsOp.Result> done) {}

    /** Changes sent together; {@code delivered} once the leader of {@code term} has accepted them. */
    private static final class Attempt {
        final long id;
        final long term;
        final List<Pending> pendings;
        final byte[] group;
        volatile boolean delivered;
        volatile boolean delivering;
        volatile long retryAt;
        /** The leader the newest delivery went to, and its number (only the sender thread delivers). */
        volatile RaftPeerId target;
        volatile int delivery;

        Attempt(long id, long term, List<Pending> pendings) {
            this.id = id;
            this.term = term;
            this.pendings = pendings;
            this.group = CfsOp.encodeGroup(term, id, pendings.stream().map(Pending::encoded).toList());
        }

        boolean abandoned() { return pendings.stream().allMatch(p -> p.done().isDone()); }
    }

    /**
     * The largest log entry: room for a write of the largest file the limits allow (plus path and framing),
     * at least 4 MiB. Groups and the entries gathering them stay below half of it.
     */
    static long maxEntryBytes(CfsLimits limits) {
        return Math.max(4L << 20, 2 * limits.maxFileSize() + (1L << 20));
    }

    private static final int MAX_GROUP = 512;
    private static final long REDELIVER_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How long the sender waits for the leader's answer before gathering the next group regardless. */
    private static final long DELIVERY_WAIT_MS = 200;
    private static final byte[] ACCEPTED = {1};
    private static final byte[] REFUSED = {0};
    private final java.util.concurrent.LinkedBlockingQueue<Pending> outbox = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.ConcurrentHashMap<Long, Attempt> attempts = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long appliedTerm;
    /** On the leader: accepted groups waiting to be proposed, and when each id was accepted. */
    private final java.util.concurrent.LinkedBlockingQueue<byte[]> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.ConcurrentHashMap<Long, Long> acceptedIds = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Thread sender;
    private volatile Thread proposer;
    private final ClientId proposerId = ClientId.randomId();
    private final java.util.concurrent.atomic.AtomicLong proposals = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Sends queued changes as groups to the leader; what queues while the newest group is being delivered forms
     * the next one. Groups the leader refused or did not answer are offered again.
     */
    private void sendLoop() {
        long budget = maxEntryBytes(cfg.limits()) / 2;
        while (!closed) {
            try {
                Pending first = outbox.poll(TimeUnit.NANOSECONDS.toMillis(REDELIVER_NANOS), TimeUnit.MILLISECONDS);
                RaftPeerId leader = leaderId();
                for (Attempt a : attempts.values()) {
                    if (a.delivered) continue;
                    // a delivery still waiting for a leader that was replaced (frozen, cut off) is not waited for
                    if (a.delivering ? java.util.Objects.equals(a.target, leader) : System.nanoTime() - a.retryAt < 0) continue;
                    if (a.abandoned()) attempts.remove(a.id, a);
                    else deliver(a);
                }
                if (first == null) continue;
                List<Pending> group = gather(first, outbox, p -> p.encoded().length, budget, MAX_GROUP);
                group.removeIf(p -> p.done().isDone());
                if (group.isEmpty()) continue;
                DivisionInfo info = info();
                Attempt a = new Attempt(java.util.concurrent.ThreadLocalRandom.current().nextLong(), info == null ? 0 : info.getCurrentTerm(), group);
                attempts.put(a.id, a);
                if (appliedTerm > a.term && attempts.remove(a.id, a)) {
                    resend(a);
                    continue;
                }
                try {
                    deliver(a).get(DELIVERY_WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    // still on its way, or offered again later
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("cfs: sending changes failed", e);
            }
        }
    }

    /**
     * Makes this node's clients know every member of the current Raft configuration: they were made with the
     * members at start, and a cluster grows by joins, so a leader elected later may be a node they have never heard of.
     */
    private void knowMembers() {
        try {
            var peers = server.getDivision(group.getGroupId()).getRaftConf().getAllPeers();
            forwarder.getClientRpc().addRaftPeers(peers);
            client.getClientRpc().addRaftPeers(peers);
        } catch (IOException e) {
            // the division is not running: there is no leader to reach
        }
    }

    /** Hands the leadership to {@code node} (a member), waiting up to {@code timeoutMs}. */
    void transferLeadership(String node, long timeoutMs) {
        try {
            RaftClientReply r = client.admin().transferLeadership(RaftPeerId.valueOf(node), timeoutMs);
            if (!r.isSuccess()) throw new CfsException("leadership transfer to " + node + " failed: " + r.getException());
        } catch (IOException e) {
            throw new CfsException("leadership transfer to " + node + " failed: " + e.getMessage(), e);
        }
    }

    /** The leader as this node's Raft division knows it (it follows elections without a round trip), or null. */
    private RaftPeerId leaderId() {
        DivisionInfo info = info();
        return info == null ? null : info.getLeaderId();
    }

    /**
     * Offers an attempt to the leader: this node, or the leader this node's division knows, through a query sent
     * to it alone. Completes when the answer is in; an attempt that was refused or not answered is offered again
     * after a pause, and at once to a new leader (see {@link #sendLoop}), so that a leader that hangs with its
     * connections open costs no more than the election that replaces it.
     */
    private java.util.concurrent.CompletableFuture<?> deliver(Attempt a) {
        int n = ++a.delivery;
        DivisionInfo info = info();
        RaftPeerId leader = info == null ? null : info.getLeaderId();
        a.target = leader;
        java.util.concurrent.CompletableFuture<byte[]> answer;
        if (info != null && info.isLeader()) {
            answer = java.util.concurrent.CompletableFuture.completedFuture(accept(a.group));
        } else if (leader == null || leader.equals(selfId)) {
            answer = java.util.concurrent.CompletableFuture.completedFuture(REFUSED);
        } else {
            knowMembers();
            answer = org.apache.ratis.client.impl.UnorderedAsync.send(org.apache.ratis.protocol.RaftClientRequest.readRequestType(true),
                            Message.valueOf(ByteString.copyFrom(a.group)), leader, (org.apache.ratis.client.impl.RaftClientImpl) forwarder)
                    .thenApply(r -> r.isSuccess() ? r.getMessage().getContent().toByteArray() : REFUSED);
        }
        a.delivering = true;
        return answer.whenComplete((bytes, err) -> {
            if (err == null && java.util.Arrays.equals(bytes, ACCEPTED)) {
                a.delivered = true;
            } else if (err != null) {
                LOG.debug("cfs: forwarding to the leader {}: {}", leader, err.toString());
                // the next delivery opens a new connection (a client that does not retry keeps a failed one)
                forwarder.getClientRpc().handleException(leader, err, true);
            }
            if (n != a.delivery) return; // a newer delivery (to a new leader) decides
            if (!a.delivered) a.retryAt = System.nanoTime() + REDELIVER_NANOS;
            a.delivering = false;
        });
    }

    /** On the leader: takes a group for the next log entry if it was made for this term (once per id). */
    private byte[] accept(byte[] group) {
        long[] header = CfsOp.groupHeader(group);
        DivisionInfo info = info();
        if (closed || info == null || !info.isLeader() || info.getCurrentTerm() != header[0]) return REFUSED;
        if (acceptedIds.putIfAbsent(header[1], System.nanoTime()) == null) accepted.add(group);
        return ACCEPTED;
    }

    /**
     * On the leader: proposes the accepted groups, whatever accumulated while the previous entry was being
     * committed going out as one entry. Groups left over when this node stops leading are dropped (their
     * senders see a later term and send them again).
     */
    private void proposeLoop() {
        long budget = maxEntryBytes(cfg.limits()) / 2;
        long keep = 2 * cfg.writeTimeout().toNanos() + TimeUnit.SECONDS.toNanos(10);
        long nextExpiry = System.nanoTime() + keep;
        while (!closed) {
            try {
                List<byte[]> groups = gather(accepted.take(), accepted, g -> g.length, budget, Integer.MAX_VALUE);
                DivisionInfo info = info();
                if (info != null && info.isLeader()) {
                    try {
                        // straight to the local division: a client would first try the leader it last knew, which
                        // may be a node that hangs
                        RaftClientReply r = server.submitClientRequestAsync(org.apache.ratis.protocol.RaftClientRequest.newBuilder()
                                        .setClientId(proposerId).setServerId(selfId).setGroupId(group.getGroupId())
                                        .setCallId(proposals.incrementAndGet()).setType(org.apache.ratis.protocol.RaftClientRequest.writeRequestType())
                                        .setMessage(Message.valueOf(ByteString.copyFrom(CfsOp.entryOf(groups)))).build())
                                .get(cfg.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
                        if (!r.isSuccess()) LOG.debug("cfs: proposal failed: {}", r.getException());
                    } catch (ExecutionException | TimeoutException | IOException e) {
                        LOG.debug("cfs: proposal failed: {}", e.toString());
                    }
                }
                long now = System.nanoTime();
                if (now - nextExpiry > 0) {
                    acceptedIds.values().removeIf(t -> now - t > keep);
                    nextExpiry = now + keep;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("cfs: proposing changes failed", e);
            }
        }
    }

    /**
     * {@code first} and what follows it in {@code queue} (of which the caller is the only consumer), as long as
     * the items stay within {@code budget} bytes and {@code max} items.
     */
    private static <T> List<T> gather(T first, java.util.concurrent.BlockingQueue<T> queue, java.util.function.ToLongFunction<T> size,
                                      long budget, int max) {
        List<T> out = new ArrayList<>();
        out.add(first);
        long bytes = size.applyAsLong(first);
        for (T next; out.size() < max && (next = queue.peek()) != null && bytes + size.applyAsLong(next) <= budget; ) {
            out.add(queue.poll());
            bytes += size.applyAsLong(next);
        }
        return out;
    }

    /** Outcome of applied log entries for this node's attempts (on the apply thread). */
    private void applied(long term, List<CfsStateMachine.AppliedGroup> groups) {
        for (CfsStateMachine.AppliedGroup g : groups) {
            Attempt a = attempts.remove(g.id());
            if (a == null) continue;
            if (g.results() == null) {
                resend(a);
                continue;
            }
            for (int i = 0; i < a.pendings.size(); i++) a.pendings.get(i).done().complete(g.results().get(i));
        }
        if (term > appliedTerm) appliedTerm = term;
        for (Attempt a : attempts.values()) {
            if (a.term < term && attempts.remove(a.id, a)) resend(a);
        }
    }

    /**
     * A snapshot whose entries end in term {@code term} replaced the tree. An attempt of a later term cannot be
     * in it and is awaited as before; one of term 0 was never accepted (no leader has that term) and goes out
     * again; for the others this node cannot tell whether the snapshot includes them.
     */
    private void snapshotInstalled(long term) {
        if (term > appliedTerm) appliedTerm = term;
        for (Attempt a : attempts.values()) {
            if (a.term > term || !attempts.remove(a.id, a)) continue;
            if (a.term == 0) {
                resend(a);
            } else {
                for (Pending p : a.pendings) p.done().completeExceptionally(new CfsException("outcome unknown: the node caught up from a snapshot"));
            }
        }
    }

    /** The changes of an attempt that certainly had no effect go out again in the next one. */
    private void resend(Attempt a) {
        for (Pending p : a.pendings) if (!p.done().isDone()) outbox.add(p);
    }

    /** A change refused before it was proposed (no quorum at the time): it certainly did not happen. */
    public static final class NotSubmittedException extends CfsException {
        public NotSubmittedException(String message) { super(message); }
    }

    /** Proposes a change and waits until this node has applied it; its result is this node's, which every replica shares. */
    private CfsOp.Result submit(CfsOp op) {
        if (!(op instanceof CfsOp.Lock)) lockedCommands.checkTime();
        if (closed || !awaitReformedQuorum()) throw new NotSubmittedException(NO_QUORUM);
        Pending p = new Pending(CfsOp.encode(new CfsOp.Envelope(cfg.self().nodeId(), cfg.clock().epochMillis(), op)),
                new java.util.concurrent.CompletableFuture<>());
        outbox.add(p);
        try {
            return p.done().get(cfg.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.done().completeExceptionally(e);
            throw new CfsException(NO_QUORUM);
        } catch (ExecutionException e) {
            throw new CfsException(NO_QUORUM, e.getCause());
        } catch (InterruptedException e) {
            p.done().completeExceptionally(e);
            Thread.currentThread().interrupt();
            throw new CfsException("interrupted", e);
        }
    }

    /**
     * How long a change waits for quorum to come back after this node last had it: a leader election (up to two
     * election timeouts, from the last message of the old leader) and the new leader's first entry, with a margin.
     */
    private long reformMillis() {
        return Math.max(3000, 4 * cfg.electionTimeout().toMillis());
    }

    /**
     * True when this node is quorate, waiting for it while quorum is being re-formed: a node that was quorate
     * less than {@link #reformMillis} ago (a leader failed or hangs, and the others are electing a new one) waits
     * until then, as pmxcfs blocks a write while corosync re-forms the membership; a node without quorum for
     * longer is read-only at once, as a pmxcfs node in a minority.
     */
    private boolean awaitReformedQuorum() {
        while (!closed) {
            if (isQuorate()) return true;
            long left = lastQuorate + TimeUnit.MILLISECONDS.toNanos(reformMillis()) - System.nanoTime();
            if (left <= 0) return false;
            try {
                Thread.sleep(Math.min(20, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static CfsException failure(String what, CfsOp.Result r) {
        return new CfsException(what + " '" + CfsPath.display(r.errPath()) + "' - " + r.errno().text);
    }

    /** A file above the size limit is refused before it is proposed (the replicas would refuse it alike). */
    private void checkSize(String what, String p, byte[] data) {
        if (data.length > cfg.limits().maxFileSize()) throw new CfsException(what + " '" + CfsPath.display(p) + "' - " + Errno.EFBIG.text);
    }

    private void checkStatus(String what, String p) {
        if (CfsPath.isStatusFile(p)) throw new CfsException(what + " '" + CfsPath.display(p) + "' - " + Errno.EACCES.text);
    }

    @Override
    public void write(String path, byte[] data) {
        String p = norm(path);
        checkStatus("unable to write file", p);
        checkSize("unable to write file", p, data);
        CfsOp.Result r = submit(new CfsOp.Write(p, data, -1));
        if (!r.ok()) throw failure("unable to write file", r);
    }

    @Override
    public void create(String path, byte[] data) {
        String p = norm(path);
        checkStatus("unable to create file", p);
        checkSize("unable to create file", p, data);
        CfsOp.Result r = submit(new CfsOp.Write(p, data, 0));
        if (!r.ok()) throw failure("unable to create file", r);
    }

    /**
     * Compare-and-set: writes {@code data} only when the file's current version is {@code expectVersion}
     * (0: the file must not exist). Returns the new version, or -1 when the version did not match.
     */
    public long compareAndWrite(String path, long expectVersion, byte[] data) {
        if (expectVersion < 0) throw new IllegalArgumentException("expectVersion must be >= 0");
        String p = norm(path);
        checkStatus("unable to write file", p);
        checkSize("unable to write file", p, data);
        CfsOp.Result r = submit(new CfsOp.Write(p, data, expectVersion));
        if (r.ok()) return r.version();
        if (r.errno() == Errno.ESTALE || (expectVersion == 0 && r.errno() == Errno.EEXIST)) return -1;
        throw failure("unable to write file", r);
    }

    @Override
    public boolean delete(String path) {
        String p = norm(path);
        checkStatus("unable to delete", p);
        CfsOp.Result r = submit(new CfsOp.Delete(p));
        if (!r.ok()) throw failure("unable to delete", r);
        return r.flag();
    }

    @Override
    public void mkdirs(String path) {
        String p = norm(path);
        if (p.isEmpty()) return;
        sm.readLock().lock();
        try {
            Optional<MemTree.Node> n = sm.tree().lookup(p);
            if (n.isPresent() && n.get().isDir()) return;
        } finally {
            sm.readLock().unlock();
        }
        CfsOp.Result r = submit(new CfsOp.Mkdirs(p));
        if (!r.ok()) throw failure("unable to create directory", r);
    }

    @Override
    public void rename(String from, String to) {
        CfsOp.Result r = submit(new CfsOp.Rename(norm(from), norm(to)));
        if (!r.ok()) throw failure("unable to rename", r);
    }

    // ------------------------------------------------------------------ locks

    @Override
    public <T> T withLock(String name, Duration timeout, Supplier<T> body) {
        Map<String, Integer> held = heldLocks.get();
        if (held.containsKey(name)) {
            held.merge(name, 1, Integer::sum);
            try {
                return body.get();
            } finally {
                held.merge(name, -1, Integer::sum);
            }
        }
        if (timeout == null || timeout.isZero() || timeout.isNegative()) timeout = LocalClusterFs.DEFAULT_LOCK_TIMEOUT;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            CfsOp.Result r;
            try {
                r = submit(new CfsOp.Lock(name, MemTree.LockMode.ACQUIRE));
            } catch (CfsException e) {
                if (!isQuorate()) throw new CfsException("cfs-lock '" + name + "' error: no quorum!");
                throw new CfsException("cfs-lock '" + name + "' error: " + e.getMessage());
            }
            if (r.ok()) break;
            if (r.errno() != Errno.EEXIST) throw new CfsException("cfs-lock '" + name + "' error: " + r.errno().text);
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new CfsException("cfs-lock '" + name + "' error: got lock request timeout");
            synchronized (lockChange) {
                try {
                    lockChange.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 1000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CfsException("cfs-lock '" + name + "' error: interrupted", e);
                }
            }
        }
        held.put(name, 1);
        try {
            return lockedCommands.run(name, body);
        } finally {
            held.remove(name);
            try {
                submit(new CfsOp.Lock(name, MemTree.LockMode.RELEASE));
            } catch (CfsException e) {
                LOG.warn("cannot release cfs lock {}: {} (it expires after 120 s)", name, e.getMessage());
            }
        }
    }

    @Override
    public boolean tryLock(String name) {
        try {
            return submit(new CfsOp.Lock(name, MemTree.LockMode.TRY)).ok();
        } catch (CfsException e) {
            return false;
        }
    }

    @Override
    public void unlock(String name) {
        try {
            submit(new CfsOp.Lock(name, MemTree.LockMode.RELEASE));
        } catch (CfsException e) {
            LOG.warn("cannot release cfs lock {}: {}", name, e.getMessage());
        }
    }

    /** Holder of a live lock (node id), as this node's copy of the tree says. */
    public Optional<Integer> lockHolder(String name) {
        sm.readLock().lock();
        try {
            return sm.tree().lockHolder(name, cfg.clock().epochMillis());
        } finally {
            sm.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ watches

    @Override
    public AutoCloseable watch(String prefix, Consumer<String> listener) {
        Watch w = new Watch(norm(prefix), listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    private void changed(List<String> paths) {
        for (String p : paths) {
            if (p.equals("corosync.conf") || p.isEmpty()) refreshMembers();
            if (CfsPath.isUnder(p, MemTree.LOCK_DIR)) {
                synchronized (lockChange) { lockChange.notifyAll(); }
            }
            for (Watch w : watches) {
                if (!CfsPath.isUnder(p, w.prefix()) && !(p.isEmpty())) continue;
                try {
                    w.listener().accept(p);
                } catch (RuntimeException e) {
                    LOG.warn("cfs watcher failed for {}", p, e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ status files

    /** Names of the nodes this node currently hears on the status plane (itself included). */
    public Set<String> onlineNodes() {
        return status.online();
    }

    @Override
    public void setNodeStatus(String key, byte[] value) { status.setStatus(key, value); }

    @Override
    public Optional<byte[]> nodeStatus(String node, String key) { return Optional.ofNullable(status.status(node, key)); }

    @Override
    public void clusterLog(int priority, String tag, String user, String message) { status.log(priority, tag, user, message); }

    /** The status plane (per-node key/value status and the cluster log). */
    public StatusPlane statusPlane() { return status; }

    /** Current members: the nodelist of {@code corosync.conf} in the tree, or the configured peers before it exists. */
    public List<CfsNode> members() { return members; }

    private void refreshMembers() {
        Optional<byte[]> conf;
        sm.readLock().lock();
        try {
            conf = sm.tree().read("corosync.conf");
        } finally {
            sm.readLock().unlock();
        }
        if (conf.isEmpty()) return;
        try {
            CorosyncConf c = CorosyncConf.parse(new String(conf.get(), StandardCharsets.UTF_8));
            List<CfsNode> list = new ArrayList<>();
            for (CorosyncConf.Node n : c.nodes()) {
                if (n.nodeId() <= 0 || n.ring0Addr() == null) continue;
                list.add(new CfsNode(n.name(), n.nodeId(), n.ring0Addr(), n.cfsPort()));
            }
            c.witness().ifPresent(list::add);
            if (list.stream().anyMatch(n -> n.name().equals(cfg.self().name()))) members = List.copyOf(list);
        } catch (RuntimeException e) {
            LOG.warn("cannot read members from corosync.conf: {}", e.getMessage());
        }
    }

    /**
     * On the leader: makes the Raft membership follow the nodelist of corosync.conf. Nodes in the nodelist
     * that are heard on the status plane in this Raft group are added; members no longer in the nodelist are
     * removed. Nothing happens while there is no corosync.conf (standalone node).
     */
    private void reconcileLoop() {
        while (!closed) {
            try {
                Thread.sleep(500);
                reconcileOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.debug("membership reconciliation: {}", e.getMessage());
            }
        }
    }

    private void reconcileOnce() {
        if (!isQuorate()) return; // also keeps lastQuorate current between changes
        DivisionInfo info = info();
        if (info == null || !info.isLeader()) return;
        if (read("corosync.conf").isEmpty()) return;
        List<CfsNode> desired = members;
        List<String> current = raftPeers();
        Map<String, StatusPlane.PeerState> heard = status.peerStates();
        long now = System.currentTimeMillis();
        List<CfsNode> next = new ArrayList<>();
        boolean change = false;
        for (CfsNode n : desired) {
            if (current.contains(n.name())) { next.add(n); continue; }
            StatusPlane.PeerState ps = heard.get(n.name());
            if (ps != null && now - ps.lastSeenMillis() < StatusPlane.OFFLINE_AFTER_MS && ps.group().equals(cfg.groupId().toString())) {
                next.add(n);
                change = true;
                LOG.info("cfs: adding {} to the Raft group", n.name());
            }
        }
        for (String c : current) {
            if (desired.stream().noneMatch(n -> n.name().equals(c))) {
                change = true;
                LOG.info("cfs: removing {} from the Raft group", c);
            }
        }
        if (change && next.stream().anyMatch(n -> n.name().equals(cfg.self().name()))) setRaftMembers(next);
    }

    /** Raft voting members as Ratis sees them. */
    public List<String> raftPeers() {
        try {
            return server.getDivision(group.getGroupId()).getRaftConf().getCurrentPeers().stream()
                    .map(p -> p.getId().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Changes the Raft membership to exactly {@code nodes} (committed through the log; a new member is
     * caught up before the change completes, so it must be running).
     */
    public void setRaftMembers(List<CfsNode> nodes) {
        changeMembers(nodes, org.apache.ratis.protocol.SetConfigurationRequest.Mode.SET_UNCONDITIONALLY);
    }

    /** Adds {@code nodes} to the Raft membership (may be called from a node that is not yet a member). */
    public void addRaftMembers(List<CfsNode> nodes) {
        changeMembers(nodes, org.apache.ratis.protocol.SetConfigurationRequest.Mode.ADD);
    }

    private void changeMembers(List<CfsNode> nodes, org.apache.ratis.protocol.SetConfigurationRequest.Mode mode) {
        if (mode != org.apache.ratis.protocol.SetConfigurationRequest.Mode.ADD && !isQuorate()) throw new CfsException(NO_QUORUM);
        List<RaftPeer> peers = nodes.stream().map(n -> RaftPeer.newBuilder().setId(n.name()).setAddress(n.address()).build()).toList();
        knowMembers();
        try {
            RaftClientReply r = client.admin().setConfiguration(
                    org.apache.ratis.protocol.SetConfigurationRequest.Arguments.newBuilder().setServersInNewConf(peers).setMode(mode).build());
            if (!r.isSuccess()) throw new CfsException("cluster membership change failed: " + r.getException());
        } catch (IOException e) {
            throw new CfsException("cluster membership change failed: " + e.getMessage(), e);
        }
    }

    private String statusFile(String p) {
        sm.readLock().lock();
        try {
            MemTree t = sm.tree();
            return switch (p) {
                case ".vmlist" -> StatusFiles.vmlist(t.vmlistVersion(), t.vmids().values(),
                        f -> t.lookup(f).map(MemTree.Node::version).orElse(-1L));
                case ".members" -> {
                    Optional<byte[]> cc = t.read("corosync.conf");
                    if (cc.isEmpty()) yield StatusFiles.membersLocal(cfg.self().name(), t.version());
                    CorosyncConf conf;
                    try {
                        conf = CorosyncConf.parse(new String(cc.get(), StandardCharsets.UTF_8));
                    } catch (RuntimeException e) {
                        yield StatusFiles.membersLocal(cfg.self().name(), t.version());
                    }
                    Set<String> online = onlineNodes();
                    List<StatusFiles.Member> ms = members.stream().filter(n -> !n.name().equals(CorosyncConf.WITNESS))
                            .map(n -> new StatusFiles.Member(n.name(), n.nodeId(), online.contains(n.name()), n.host())).toList();
                    yield StatusFiles.members(cfg.self().name(), t.version(), conf.clusterName(), conf.configVersion(), isQuorate(), ms);
                }
                case ".version" -> StatusFiles.version(startTime, 1, t.vmlistVersion(),
                        f -> t.lookup(f).filter(n -> !n.isDir()).map(MemTree.Node::version).orElse(-1L));
                case ".clusterlog" -> StatusFiles.clusterLog(status.clusterLog(StatusPlane.LOG_KEEP));
                case ".rrd" -> StatusFiles.rrd(onlineNodes().stream().sorted().map(n -> status.status(n, StatusFiles.RRD_KEY))
                        .filter(java.util.Objects::nonNull).toList());
                default -> throw new IllegalStateException(p);
            };
        } finally {
            sm.readLock().unlock();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (proposer != null) proposer.interrupt();
        if (sender != null) sender.interrupt();
        for (Pending p; (p = outbox.poll()) != null; ) p.done().completeExceptionally(new IllegalStateException("closed"));
        for (Attempt a : attempts.values()) for (Pending p : a.pendings) p.done().completeExceptionally(new IllegalStateException("closed"));
        status.close();
        for (RaftClient c : List.of(client, forwarder)) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.debug("closing client", e);
            }
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing server", e);
        }
    }
}
