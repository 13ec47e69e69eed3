package org.haven.replication;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.util.Fields;
import org.haven.guest.migrate.PeerHandler;
import org.haven.storage.StorageManager;

/**
 * The target's side of the end of a replication run (PVE runs {@code pvesr finalize-local-job} on the target over
 * SSH): {@code PUT /haven/replication/finalize?id=<jobid>&last_sync=<epoch>&volumes=<volid,…>} keeps the job's
 * snapshot of {@code last_sync} on each volume and removes its other ones; {@code last_sync=0} removes all of them.
 */
public final class PeerFinalize extends PeerHandler {
    public static final String PATH = "/haven/replication/finalize";

    private final Supplier<Optional<StorageManager>> storage;

    public PeerFinalize(Supplier<Optional<StorageManager>> storage, Supplier<Optional<Credentials>> access) {
        super(PATH, access);
        this.storage = storage;
    }

    @Override
    protected String serve(Fields q, InputStream body) {
        StorageManager sm = storage.get().orElseThrow(() -> new Refused(500, "no storage on this node"));
        return String.join(",", finalize(sm, PeerPrepare.jobId(q), PeerPrepare.lastSync(q), PeerPrepare.list(q.getValue("volumes"))));
    }

    /** PVE's {@code finalize-local-job} on this node; returns the snapshots removed. */
    public static List<String> finalize(StorageManager sm, String id, long lastSync, List<String> volumes) {
        int vmid = ReplicationConfig.parseId(id)[0];
        String keep = lastSync > 0 ? ReplicationPlan.snapshotName(id, lastSync) : null;
        List<String> removed = new ArrayList<>();
        for (String v : volumes) {
            if (!sm.owner(v).map(o -> o == vmid).orElse(false)) throw new Refused(400, "volume '" + v + "' does not belong to guest " + vmid);
            List<String> snaps;
            try {
                snaps = sm.snapshots(v);
            } catch (RuntimeException e) {
                continue; // not replicated here (yet)
            }
            for (String s : ReplicationPlan.stale(snaps, id, keep)) {
                sm.deleteSnapshot(v, s, false);
                removed.add(v + "@" + s);
            }
        }
        return removed;
    }
}
