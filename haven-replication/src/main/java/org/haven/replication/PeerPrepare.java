package org.haven.replication;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.eclipse.jetty.util.Fields;
import org.haven.core.cfs.ClusterFs;
import org.haven.guest.migrate.PeerHandler;
import org.haven.storage.ContentType;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.spi.VolumeInfo;
import tools.jackson.databind.json.JsonMapper;

/**
 * The target's side of the start of a replication run (PVE's {@code pvesr prepare-local-job}):
 * {@code PUT /haven/replication/prepare?id=<jobid>&volumes=<volid,…>[&last_sync=<epoch>][&parent_snapname=<snap>][&scan=<storage,…>][&force=1]}
 * removes the guest's volumes on the {@code scan} storages that are not among {@code volumes} (stale volumes), keeps
 * the job's snapshot of {@code last_sync} (and {@code parent_snapname}) on each volume and removes the job's other
 * replication snapshots; with {@code last_sync} 0 they are all kept. Answers, as JSON, the snapshots kept per volume
 * ({@code {"<volid>":{"<snap>":1}}}). Refused for a guest that lives on this node.
 */
public final class PeerPrepare extends PeerHandler {
    public static final String PATH = "/haven/replication/prepare";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Supplier<Optional<StorageManager>> storage;
    private final ClusterFs cfs;

    public PeerPrepare(Supplier<Optional<StorageManager>> storage, ClusterFs cfs, Supplier<Optional<Credentials>> access) {
        super(PATH, access);
        this.storage = storage;
        this.cfs = cfs;
    }

    @Override
    protected String serve(Fields q, InputStream body) {
        String id = jobId(q);
        StorageManager sm = storage.get().orElseThrow(() -> new Refused(500, "no storage on this node"));
        boolean force = "1".equals(q.getValue("force"));
        Map<String, Map<String, Integer>> kept = prepare(sm, cfs, id, lastSync(q), q.getValue("parent_snapname"), list(q.getValue("scan")), force,
                list(q.getValue("volumes")), line -> { });
        return JSON.writeValueAsString(kept);
    }

    /** The job id of a request ({@code id}). */
    static String jobId(Fields q) {
        String id = q.getValue("id");
        if (id == null || !ReplicationConfig.ID.matcher(id).matches()) throw new Refused(400, "invalid replication job id '" + id + "'");
        return id;
    }

    /** The {@code last_sync} of a request, 0 when not given. */
    static long lastSync(Fields q) {
        try {
            return q.getValue("last_sync") == null ? 0 : Long.parseLong(q.getValue("last_sync"));
        } catch (NumberFormatException e) {
            throw new Refused(400, "invalid last_sync");
        }
    }

    /** A comma-separated list parameter ({@code volumes}, {@code scan}). */
    static List<String> list(String csv) { return csv == null || csv.isEmpty() ? List.of() : List.of(csv.split(",")); }

    /** Whether guest {@code vmid} lives on this node. */
    static boolean guestHere(ClusterFs cfs, int vmid) {
        return cfs.stat("nodes/" + cfs.nodeName() + "/qemu-server/" + vmid + ".conf").isPresent()
                || cfs.stat("nodes/" + cfs.nodeName() + "/lxc/" + vmid + ".conf").isPresent();
    }

    /** PVE's {@code prepare-local-job} on this node; returns the replication snapshots kept per volume. */
    public static Map<String, Map<String, Integer>> prepare(StorageManager sm, ClusterFs cfs, String id, long lastSync, String parentSnapname,
                                                           List<String> scan, boolean force, List<String> volumes, Consumer<String> log) {
        int vmid = ReplicationConfig.parseId(id)[0];
        if (guestHere(cfs, vmid)) throw new Refused(500, "guest '" + vmid + "' is on local node");
        if (!force && volumes.isEmpty()) throw new Refused(400, "no volumes specified");
        TreeSet<String> wanted = new TreeSet<>();
        for (String v : volumes) {
            int colon = v.indexOf(':');
            if (colon < 0) throw new Refused(400, "unable to parse volume ID '" + v + "'");
            StorageEntry s = sm.enabledStorage(v.substring(0, colon));
            if (s.shared()) throw new Refused(400, "storage '" + s.id() + "' is a shared storage");
            if (!sm.owner(v).map(o -> o == vmid).orElse(false)) throw new Refused(400, "volume '" + v + "' has wrong owner");
            wanted.add(v);
        }
        for (String storeid : scan) {
            Optional<StorageEntry> s = sm.config().get(storeid);
            if (s.isEmpty() || s.get().disabled() || s.get().shared()) continue;
            for (VolumeInfo info : sm.list(storeid, vmid, Set.of(ContentType.IMAGES, ContentType.ROOTDIR))) {
                if (wanted.contains(info.volid())) continue;
                log.accept(id + ": delete stale volume '" + info.volid() + "'");
                sm.free(info.volid());
            }
        }
        String last = lastSync > 0 ? ReplicationPlan.snapshotName(id, lastSync) : null;
        Map<String, Map<String, Integer>> kept = new TreeMap<>();
        for (String v : wanted) {
            List<String> snaps;
            try {
                snaps = sm.snapshots(v);
            } catch (RuntimeException e) {
                continue; // not replicated here (yet)
            }
            for (String snap : new ArrayList<>(snaps)) {
                boolean ours = ReplicationPlan.snapshotTime(snap, id).isPresent();
                if (snap.equals(last) || snap.equals(parentSnapname) || ours && lastSync == 0) {
                    kept.computeIfAbsent(v, k -> new TreeMap<>()).put(snap, 1);
                } else if (ours) {
                    log.accept("delete stale replication snapshot '" + snap + "' on " + v);
                    sm.deleteSnapshot(v, snap, false);
                }
            }
        }
        return kept;
    }
}
