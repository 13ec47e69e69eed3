package org.haven.cfs;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft state machine of the cluster file system: applies {@link CfsOp}s to a {@link MemTree}, snapshots it
 * as a pmxcfs {@code config.db}, and reports applied changes to a listener (in apply order, on its own thread).
 */
final class CfsStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(CfsStateMachine.class);

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final CfsLimits limits;
    private final Path seed;
    private final Path configDbCopy;
    private final Consumer<List<String>> onChange;
    private final Applied onApplied;
    private final java.util.function.UnaryOperator<byte[]> forwarded;
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cfs-notify");
        t.setDaemon(true);
        return t;
    });
    private volatile MemTree tree;

    /**
     * What the node learns from an applied log entry: its term and, per group it carried, the group's attempt id
     * and results ({@code null} when the group was skipped because the entry is of another term).
     */
    interface Applied {
        void applied(long term, List<AppliedGroup> groups);

        /**
         * The tree was replaced by a snapshot from the leader whose last entry has the term {@code term} (entries
         * it covers are not reported).
         */
        void snapshotInstalled(long term);
    }

    record AppliedGroup(long id, List<CfsOp.Result> results) {}

    /**
     * @param seed          config.db to start from when there is no snapshot yet (may be null or missing)
     * @param configDbCopy  where the latest snapshot is also kept as a plain config.db (may be null)
     * @param onApplied     called on the apply thread after each entry, once the tree shows it
     * @param forwarded     on the leader: takes a group another node forwards ({@link #query}) and answers it
     */
    CfsStateMachine(CfsLimits limits, Path seed, Path configDbCopy, Consumer<List<String>> onChange, Applied onApplied,
                    java.util.function.UnaryOperator<byte[]> forwarded) {
        this.limits = limits;
        this.seed = seed;
        this.configDbCopy = configDbCopy;
        this.onChange = onChange;
        this.onApplied = onApplied;
        this.forwarded = forwarded;
        this.tree = new MemTree(limits);
    }

    ReentrantReadWriteLock.ReadLock readLock() { return rw.readLock(); }

    /** The tree; read it only while holding {@link #readLock()}. */
    MemTree tree() { return tree; }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        getLifeCycle().startAndTransition(() -> {
            storage.init(raftStorage);
            if (!load(storage.loadLatestSnapshot()) && seed != null && Files.isRegularFile(seed)) {
                rw.writeLock().lock();
                try {
                    tree = ConfigDb.load(seed, limits);
                } finally {
                    rw.writeLock().unlock();
                }
                LOG.info("cfs initialised from {}", seed);
            }
        });
    }

    /** Ratis pauses the state machine before it installs a snapshot from the leader. */
    @Override
    public void pause() {
        org.apache.ratis.util.LifeCycle lc = getLifeCycle();
        if (lc.getCurrentState() == org.apache.ratis.util.LifeCycle.State.RUNNING) {
            lc.transition(org.apache.ratis.util.LifeCycle.State.PAUSING);
            lc.transition(org.apache.ratis.util.LifeCycle.State.PAUSED);
        }
    }

    /** Called (paused) after a snapshot was installed from the leader. */
    @Override
    public void reinitialize() throws IOException {
        getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.STARTING);
        SingleFileSnapshotInfo snap = storage.loadLatestSnapshot();
        load(snap);
        if (onApplied != null && snap != null) onApplied.snapshotInstalled(snap.getTerm());
        getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.RUNNING);
        notifyChanged(List.of(""));
    }

    private boolean load(SingleFileSnapshotInfo snap) {
        if (snap == null) return false;
        Path f = snap.getFile().getPath();
        if (!Files.isRegularFile(f)) return false;
        MemTree t = ConfigDb.load(f, limits);
        rw.writeLock().lock();
        try {
            tree = t;
            setLastAppliedTermIndex(snap.getTermIndex());
        } finally {
            rw.writeLock().unlock();
        }
        LOG.info("cfs loaded snapshot {} (version {})", snap.getTermIndex(), t.version());
        return true;
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() { return storage; }

    @Override
    public long takeSnapshot() throws IOException {
        List<MemTree.Row> rows;
        TermIndex last;
        rw.readLock().lock();
        try {
            rows = tree.rows();
            last = getLastAppliedTermIndex();
        } finally {
            rw.readLock().unlock();
        }
        if (last == null || last.getIndex() < 0) return -1;
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        ConfigDb.write(file.toPath(), rows);
        var md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new org.apache.ratis.server.storage.FileInfo(file.toPath(), md5), last));
        if (configDbCopy != null) {
            Path tmp = configDbCopy.resolveSibling(configDbCopy.getFileName() + ".new");
            Files.copy(file.toPath(), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, configDbCopy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return last.getIndex();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        RaftProtos.LogEntryProto entry = trx.getLogEntry();
        List<CfsOp.Group> groups = CfsOp.decodeEntry(entry.getStateMachineLogEntry().getLogData().toByteArray());
        List<AppliedGroup> applied = new java.util.ArrayList<>(groups.size());
        List<String> changed = new java.util.ArrayList<>();
        rw.writeLock().lock();
        try {
            for (CfsOp.Group g : groups) {
                if (g.term() >= 0 && g.term() != entry.getTerm()) {
                    applied.add(new AppliedGroup(g.id(), null));
                    continue;
                }
                List<CfsOp.Result> results = new java.util.ArrayList<>(g.envelopes().size());
                for (CfsOp.Envelope env : g.envelopes()) {
                    CfsOp.Result res = CfsOp.apply(tree, env);
                    results.add(res);
                    changed.addAll(res.changed());
                }
                applied.add(new AppliedGroup(g.id(), results));
            }
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        } finally {
            rw.writeLock().unlock();
        }
        if (onApplied != null) onApplied.applied(entry.getTerm(), applied);
        if (!changed.isEmpty()) notifyChanged(changed);
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        if (onApplied != null) onApplied.applied(term, List.of());
    }

    /** A group forwarded to the leader (see {@link RaftClusterFs}); other queries have nothing to compute. */
    @Override
    public CompletableFuture<Message> query(Message request) {
        if (request.getContent().isEmpty() || forwarded == null) return CompletableFuture.completedFuture(Message.EMPTY);
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(forwarded.apply(request.getContent().toByteArray()))));
    }

    private void notifyChanged(List<String> paths) {
        if (onChange == null) return;
        try {
            notifier.execute(() -> onChange.accept(paths));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // shutting down
        }
    }

    long appliedIndex() {
        TermIndex ti = getLastAppliedTermIndex();
        return ti == null ? -1 : ti.getIndex();
    }

    @Override
    public void close() throws IOException {
        notifier.shutdown();
        super.close();
    }
}
