package org.haven.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.haven.guest.GuestService;
import org.haven.guest.migrate.ClusterApi;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.GuestReplication;
import org.haven.storage.StorageManager;

/**
 * Replication on one node: the cluster-wide {@code replication.cfg}, this node's state file, the job logs and the
 * runs of the due jobs (a scheduler round, {@link #runDue}). Only jobs whose guest lives on this node run here.
 */
public final class ReplicationService implements GuestReplication {
    private static final System.Logger LOG = System.getLogger("haven.replication");
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /** The guests of the node's guest types (VMs and containers), from the daemon's wiring. */
    @FunctionalInterface
    public interface Guests { List<GuestService> services(); }

    private final ClusterFs cfs;
    private final Path stateFile;
    private final Path logDir;
    private final Clock clock;
    private final ZoneId zone;
    private final Guests guests;
    private final java.util.function.Supplier<StorageManager> storage;
    private final ClusterApi api;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final Object runLock = new Object();

    public ReplicationService(ClusterFs cfs, Path stateFile, Path logDir, Clock clock, ZoneId zone, Guests guests,
                              java.util.function.Supplier<StorageManager> storage, ClusterApi api) {
        this.cfs = cfs;
        this.stateFile = stateFile;
        this.logDir = logDir;
        this.clock = clock;
        this.zone = zone;
        this.guests = guests;
        this.storage = storage;
        this.api = api;
    }

    private Replicator replicator() { return new Replicator(storage.get(), api); }

    public String node() { return cfs.nodeName(); }
    public ZoneId zone() { return zone; }
    public Clock clock() { return clock; }

    // ---- config ---------------------------------------------------------------------------------------------

    public String configText() { return cfs.readString(ReplicationConfig.PATH).orElse(""); }

    public ReplicationConfig config() { return ReplicationConfig.parse(configText()); }

    /** Changes {@code replication.cfg} under its cluster lock. */
    public <T> T modifyConfig(Function<ReplicationConfig, T> change) {
        return cfs.withLock("file-replication_cfg", Duration.ofSeconds(10), () -> {
            ReplicationConfig c = config();
            T r = change.apply(c);
            cfs.writeString(ReplicationConfig.PATH, c.write());
            return r;
        });
    }

    // ---- guests ---------------------------------------------------------------------------------------------

    /** The service and node of guest {@code vmid}, if it exists. */
    public Optional<Map.Entry<GuestService, String>> guest(int vmid) {
        for (GuestService g : guests.services()) {
            Optional<String> n = g.store().owner(vmid);
            if (n.isPresent()) return Optional.of(Map.entry(g, n.get()));
        }
        return Optional.empty();
    }

    public Map<Integer, String> guestNodes() {
        Map<Integer, String> out = new TreeMap<>();
        for (GuestService g : guests.services()) out.putAll(g.store().list());
        return out;
    }

    public Set<String> onlineNodes() {
        Set<String> out = new TreeSet<>();
        GuestMigrate.members(cfs).forEach((n, on) -> { if (on) out.add(n); });
        return out;
    }

    // ---- state ----------------------------------------------------------------------------------------------

    public synchronized ReplicationState state() {
        try {
            return ReplicationState.parse(Files.isRegularFile(stateFile) ? Files.readString(stateFile) : "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Changes the state file (read, change, atomic replace). */
    public synchronized <T> T modifyState(Function<ReplicationState, T> change) {
        ReplicationState s = state();
        T r = change.apply(s);
        try {
            Files.createDirectories(stateFile.getParent());
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            Files.writeString(tmp, s.write());
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return r;
    }

    /** The jobs of this node's guests with state and next sync. */
    public List<ReplicationSchedule.Status> status() {
        return ReplicationSchedule.status(config().jobs(), state(), guestNodes(), node(), onlineNodes(), zone);
    }

    public boolean isRunning(String id) { return running.contains(id); }

    // ---- runs -----------------------------------------------------------------------------------------------

    /** A scheduler round: runs the due jobs one after the other; returns their ids. */
    public List<String> runDue() {
        synchronized (runLock) {
            adoptTakenOver();
            long now = clock.epochSeconds();
            List<String> ran = new ArrayList<>();
            for (ReplicationSchedule.Status s : ReplicationSchedule.due(status(), now)) {
                run(s.job(), line -> { });
                ran.add(s.job().id());
            }
            return ran;
        }
    }

    /** PVE's {@code schedule_job_now}: the job is due in the next round. */
    public void scheduleNow(ReplicationConfig.Job job) {
        modifyState(s -> {
            s.put(job.guest(), job.id(), s.get(job.guest(), job.id()).scheduledNow());
            return null;
        });
    }

    /**
     * Runs one job now (its log replaced, each line also to {@code also}), records the outcome in the state file;
     * the result of a successful run, null after a failure or when the job is running already.
     */
    public Replicator.Result run(ReplicationConfig.Job job, java.util.function.Consumer<String> also) {
        if (!running.add(job.id())) return null;
        long start = clock.epochSeconds();
        long t0 = System.nanoTime();
        List<String> lines = new ArrayList<>();
        java.util.function.Consumer<String> log = line -> {
            String l = LocalDateTime.now(zone).format(TS) + " " + job.id() + ": " + line;
            lines.add(l);
            appendLog(job.id(), l, lines.size() == 1);
            also.accept(job.id() + ": " + line);
        };
        try {
            log.accept("start replication job");
            var g = guest(job.guest()).orElseThrow(() -> new IllegalStateException("guest " + job.guest() + " does not exist"));
            if (job.removeJob() != null) {
                replicator().remove(job, g.getKey(), "full".equals(job.removeJob()), log);
                modifyConfig(c -> c.delete(job.id()));
                modifyState(s -> { s.remove(job.guest(), job.id()); return null; });
                log.accept("end replication job");
                return null;
            }
            ReplicationState.Job st = state().get(job.guest(), job.id());
            Replicator.Result r = replicator().run(job, g.getKey(), st, start, log);
            double secs = (System.nanoTime() - t0) / 1e9;
            modifyState(s -> {
                s.put(job.guest(), job.id(), s.get(job.guest(), job.id()).succeeded(start, secs, node(), r.storeids()));
                return null;
            });
            log.accept("end replication job");
            return r;
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            double secs = (System.nanoTime() - t0) / 1e9;
            modifyState(s -> {
                s.put(job.guest(), job.id(), s.get(job.guest(), job.id()).failed(start, secs, node(), msg));
                return null;
            });
            log.accept("end replication job with error: " + msg);
            LOG.log(System.Logger.Level.WARNING, "replication job " + job.id() + " failed: " + msg);
            return null;
        } finally {
            running.remove(job.id());
        }
    }

    /**
     * The jobs of guests this node took over from their source without a migration (HA recovery from the replica)
     * run from here on, to the old source (PVE swaps source and target). The replication snapshot the volumes here
     * share with the old source becomes the job's last sync, so the next run sends only what changed since.
     */
    void adoptTakenOver() {
        for (ReplicationConfig.Job job : ReplicationSchedule.takenOver(config().jobs(), guestNodes(), node())) {
            String old = job.source();
            modifyConfig(c -> c.switchTarget(job.guest(), old, node()));
            long base = replicaSnapshot(job).orElse(0);
            modifyState(s -> {
                s.put(job.guest(), job.id(), new ReplicationState.Job(base, 0, 0, null, null, null, 0, List.of()));
                return null;
            });
            LOG.log(System.Logger.Level.INFO, "replication job " + job.id() + ": guest " + job.guest() + " taken over from node '" + old
                    + "', the job now runs on node '" + node() + "' to node '" + old + "'"
                    + (base > 0 ? " from its replica of " + java.time.Instant.ofEpochSecond(base) : ""));
        }
    }

    /** The time of the newest replication snapshot of {@code job} that every replicated volume of the guest here has. */
    private java.util.OptionalLong replicaSnapshot(ReplicationConfig.Job job) {
        try {
            var g = guest(job.guest()).orElseThrow();
            List<String> volumes = Replicator.replicableVolumes(g.getKey().type().volumeKeys(), g.getKey().store().read(node(), job.guest()).orElseThrow(),
                    sid -> storage.get().config().get(sid));
            if (volumes.isEmpty()) return java.util.OptionalLong.empty();
            TreeSet<Long> common = null;
            for (String v : volumes) {
                TreeSet<Long> times = new TreeSet<>();
                for (String snap : storage.get().snapshots(v)) ReplicationPlan.snapshotTime(snap, job.id()).ifPresent(times::add);
                if (common == null) common = times;
                else common.retainAll(times);
            }
            return common.isEmpty() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(common.last());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "replication job " + job.id() + ": no replica snapshot found - " + e.getMessage());
            return java.util.OptionalLong.empty();
        }
    }

    @Override
    public Optional<GuestReplication.Replica> replica(int vmid, String node) {
        Optional<ReplicationConfig.Job> job = config().jobsOf(vmid).stream()
                .filter(j -> node.equals(j.target()) && j.removeJob() == null).findFirst();
        if (job.isEmpty()) return Optional.empty();
        Set<String> volumes = guest(vmid).flatMap(g -> g.getKey().store().read(g.getValue(), vmid).map(cfg -> {
            try {
                return Set.copyOf(Replicator.replicableVolumes(g.getKey().type().volumeKeys(), cfg, sid -> storage.get().config().get(sid)));
            } catch (IllegalStateException e) {
                return Set.<String>of();
            }
        })).orElse(Set.of());
        return Optional.of(new GuestReplication.Replica(job.get().id(), volumes));
    }

    // ---- migration ------------------------------------------------------------------------------------------

    @Override
    public Set<String> syncBeforeMigration(int vmid, String target, java.util.function.Consumer<String> log) {
        Optional<ReplicationConfig.Job> job = config().jobsOf(vmid).stream()
                .filter(j -> target.equals(j.target()) && !j.disabled() && j.removeJob() == null).findFirst();
        if (job.isEmpty()) return Set.of();
        log.accept("replicating the last changes to node '" + target + "' (job " + job.get().id() + ")");
        Replicator.Result r;
        synchronized (runLock) {
            r = run(job.get(), log);
        }
        if (r == null) {
            String err = state().get(vmid, job.get().id()).error();
            throw new IllegalStateException("replication job " + job.get().id() + " failed" + (err == null ? "" : " - " + err));
        }
        return r.bytes().keySet();
    }

    @Override
    public void afterMigration(int vmid, String source, String target, java.util.function.Consumer<String> log) {
        List<String> changed = modifyConfig(c -> c.switchTarget(vmid, source, target));
        if (changed.isEmpty()) return;
        Map<String, ReplicationState.Job> jobs = state().guest(vmid);
        byte[] body = ReplicationState.writeGuest(jobs).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        api.stream(target, PeerSetState.PATH, Map.of("vmid", vmid), out -> {
            try {
                out.write(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        modifyState(s -> { s.putGuest(vmid, Map.of()); return null; });
        log.accept("switched replication job(s) " + String.join(", ", changed) + " to run on node '" + target + "'");
    }

    @Override
    public void checkVolume(int vmid, String volume) {
        if (config().jobsOf(vmid).isEmpty()) return;
        int colon = volume.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("cannot add non-managed/pass-through volume to a replicated VM");
        if (volume.endsWith(":cloudinit")) return;
        Optional<org.haven.storage.config.StorageEntry> s = storage.get().config().get(volume.substring(0, colon));
        if (s.isPresent() && (s.get().shared() || ReplicationPlan.REPLICABLE.contains(s.get().type()))) return;
        throw new IllegalArgumentException("cannot add non-replicatable volume to a replicated VM");
    }

    public Path logFile(String id) { return logDir.resolve(id); }

    private void appendLog(String id, String line, boolean first) {
        try {
            Files.createDirectories(logDir);
            if (first) Files.writeString(logFile(id), line + "\n");
            else Files.writeString(logFile(id), line + "\n", java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "replication log " + id + ": " + e.getMessage());
        }
    }

    /** The lines of a job's last log. */
    public List<String> log(String id) {
        try {
            return Files.isRegularFile(logFile(id)) ? Files.readAllLines(logFile(id)) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
