package org.haven.replication;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.haven.guest.GuestService;
import org.haven.guest.GuestVolumes;
import org.haven.guest.VolumeKeys;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.migrate.ClusterApi;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.spi.ExportFormat;

/**
 * One replication run of a job (PVE's {@code PVE::Replication::replicate}): snapshots the guest's replicable
 * volumes, streams each to the target node over the node-to-node channel (the snapshot of the last sync as base
 * when both sides have it), asks the target to drop the job's older snapshots ({@link PeerFinalize}) and drops them
 * here. A failed run removes the snapshot it made; the state of the job is the caller's.
 */
public final class Replicator {
    private final StorageManager storage;
    private final ClusterApi api;

    public Replicator(StorageManager storage, ClusterApi api) {
        this.storage = storage;
        this.api = api;
    }

    /** The result of a successful run: the storages replicated and the bytes sent per volume. */
    public record Result(List<String> storeids, Map<String, Long> bytes) {}

    /**
     * The volumes of a guest that replication copies (PVE's {@code get_replicatable_volumes}): those of the config,
     * its snapshots and unused disks, without media, {@code replicate=0} and shared storages. A volume on a storage
     * that cannot replicate is refused with PVE's message.
     */
    public static List<String> replicableVolumes(VolumeKeys keys, GuestConfig cfg, java.util.function.Function<String, Optional<StorageEntry>> storages) {
        TreeSet<String> out = new TreeSet<>();
        List<Map<String, String>> sections = new ArrayList<>();
        sections.add(cfg.current().values());
        cfg.snapshots().values().forEach(s -> sections.add(s.values()));
        for (Map<String, String> conf : sections) {
            List<String> vols = new ArrayList<>();
            GuestVolumes.diskProps(keys, conf).forEach((k, d) -> {
                if (!"0".equals(d.get("replicate"))) vols.add(d.get(keys.volumeProperty()));
            });
            conf.forEach((k, v) -> { if (k.matches("unused\\d+")) vols.add(GuestVolumes.unusedVolume(v)); });
            for (String volid : vols) {
                int colon = volid.indexOf(':');
                if (colon < 0) continue; // a path, not a storage volume
                Optional<StorageEntry> s = storages.apply(volid.substring(0, colon));
                if (s.isPresent() && s.get().shared()) continue;
                if (s.isEmpty() || !ReplicationPlan.REPLICABLE.contains(s.get().type()))
                    throw new IllegalStateException("missing replicate feature on volume '" + volid + "'");
                out.add(volid);
            }
        }
        return List.copyOf(out);
    }

    /** Runs {@code job} for guest {@code g} at {@code start} (its snapshot's time), after the state {@code st}. */
    public Result run(ReplicationConfig.Job job, GuestService g, ReplicationState.Job st, long start, Consumer<String> log) {
        String id = job.id();
        String target = job.target();
        GuestConfig cfg = g.store().load(job.guest());
        Object running = g.type().status(job.guest(), false).get("status");
        log.accept("guest => " + g.store().guestWord() + " " + job.guest() + ", running => " + ("running".equals(running) ? 1 : 0));
        List<String> volumes = replicableVolumes(g.type().volumeKeys(), cfg, sid -> storage.config().get(sid));
        log.accept("volumes => " + String.join(",", volumes));
        if (!api.reachable(target)) throw new IllegalStateException("node '" + target + "' is not reachable");
        Map<String, String> formats = new LinkedHashMap<>();
        Map<String, List<String>> snapshots = new LinkedHashMap<>();
        for (String v : volumes) {
            formats.put(v, format(v));
            snapshots.put(v, storage.snapshots(v));
        }
        List<ReplicationPlan.Transfer> transfers = ReplicationPlan.transfers(formats, snapshots, id, st.lastSync(), start);
        String snap = ReplicationPlan.snapshotName(id, start);
        List<String> made = new ArrayList<>();
        Map<String, Long> bytes = new LinkedHashMap<>();
        try {
            for (String v : volumes) {
                log.accept("create snapshot '" + snap + "' on " + v);
                storage.snapshot(v, snap);
                made.add(v);
            }
            Double rate = job.rate().orElse(null);
            log.accept("using secure transmission, rate limit: " + (rate == null ? "none"
                    : (rate == Math.rint(rate) ? Long.toString(rate.longValue()) : rate.toString()) + " MByte/s"));
            for (ReplicationPlan.Transfer t : transfers) {
                if (t.full()) log.accept("full sync '" + t.volid() + "' (" + t.snap() + ")");
                else log.accept("incremental sync '" + t.volid() + "' (" + t.base() + " => " + t.snap() + ")");
                ExportFormat f = ExportFormat.of(t.format()).orElseThrow();
                boolean withSnapshots = f == ExportFormat.ZFS;
                long[] count = {0};
                api.importVolume(target, t.volid(), t.format(), withSnapshots, t.snap(), t.base(), out -> {
                    OutputStream o = new Metered(out, rate == null ? 0 : (long) (rate * 1_000_000), count);
                    storage.exportVolume(t.volid(), f, t.snap(), t.base(), withSnapshots, o);
                    try {
                        o.flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                bytes.put(t.volid(), count[0]);
                log.accept("sent '" + t.volid() + "': " + count[0] + " bytes");
            }
        } catch (RuntimeException e) {
            for (String v : made) {
                try {
                    storage.deleteSnapshot(v, snap, false);
                } catch (RuntimeException ex) {
                    log.accept("delete stale replication snapshot '" + snap + "' on " + v + " failed - " + ex.getMessage());
                }
            }
            throw e;
        }
        api.stream(target, PeerFinalize.PATH, Map.of("id", id, "last_sync", start, "volumes", String.join(",", volumes)), out -> { });
        for (String v : volumes) {
            for (String old : ReplicationPlan.stale(storage.snapshots(v), id, snap)) {
                log.accept("delete previous replication snapshot '" + old + "' on " + v);
                storage.deleteSnapshot(v, old, false);
            }
        }
        TreeSet<String> stores = new TreeSet<>();
        volumes.forEach(v -> stores.add(v.substring(0, v.indexOf(':'))));
        return new Result(List.copyOf(stores), bytes);
    }

    /**
     * Removes what job {@code id} left: its snapshots here and, with {@code full}, over the channel its replicated
     * volumes on the target ({@link PeerPrepare} with none wanted; a job marked {@code remove_job}).
     */
    public void remove(ReplicationConfig.Job job, GuestService g, boolean full, Consumer<String> log) {
        List<String> volumes = g.store().read(g.store().localNode(), job.guest()).map(cfg ->
                replicableVolumes(g.type().volumeKeys(), cfg, sid -> storage.config().get(sid))).orElse(List.of());
        if (full && !volumes.isEmpty()) {
            // PVE: prepare-local-job on the target with no volume wanted, forced, over the storages replicated
            TreeSet<String> stores = new TreeSet<>();
            volumes.forEach(v -> stores.add(v.substring(0, v.indexOf(':'))));
            api.stream(job.target(), PeerPrepare.PATH, Map.of("id", job.id(), "force", 1, "volumes", "", "scan", String.join(",", stores)), out -> { });
            log.accept("removed replicated volumes on node '" + job.target() + "'");
        }
        for (String v : volumes) {
            for (String old : ReplicationPlan.stale(storage.snapshots(v), job.id(), null)) {
                log.accept("delete replication snapshot '" + old + "' on " + v);
                storage.deleteSnapshot(v, old, false);
            }
        }
    }

    /** The transfer format of a replicable volume's storage. */
    private String format(String volid) {
        return switch (storage.storage(volid.substring(0, volid.indexOf(':'))).type()) {
            case ZFSPOOL -> ExportFormat.ZFS.id();
            case BTRFS -> ExportFormat.BTRFS.id();
            default -> throw new IllegalStateException("missing replicate feature on volume '" + volid + "'");
        };
    }

    /** Counts the bytes written and holds them to {@code bytesPerSecond} (0: no limit). */
    static final class Metered extends FilterOutputStream {
        private final long rate;
        private final long[] count;
        private final long t0 = System.nanoTime();

        Metered(OutputStream out, long bytesPerSecond, long[] count) {
            super(out);
            this.rate = bytesPerSecond;
            this.count = count;
        }

        @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count[0] += len;
            if (rate > 0) {
                long due = t0 + count[0] * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                }
            }
        }
    }
}
