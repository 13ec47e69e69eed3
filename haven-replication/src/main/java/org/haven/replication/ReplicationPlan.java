package org.haven.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.storage.config.StorageType;

/**
 * What one replication run does to the volumes of a guest, without I/O (PVE's {@code PVE::Replication}): every
 * volume gets the snapshot {@code __replicate_<jobid>_<epoch>__}; a volume that still has the snapshot of the
 * last sync is sent incrementally from it, the others in full; after success the older replication snapshots of
 * the job are removed on both sides.
 */
public final class ReplicationPlan {
    private ReplicationPlan() {}

    /** The storage types whose volumes can be replicated (snapshots that can be sent incrementally). */
    public static final Set<StorageType> REPLICABLE = Set.of(StorageType.ZFSPOOL, StorageType.BTRFS);

    private static final Pattern SNAP = Pattern.compile("__replicate_(\\d+-\\d+)_(\\d+)__");

    public static String snapshotName(String jobid, long time) { return "__replicate_" + jobid + "_" + time + "__"; }

    /** The time of a replication snapshot of {@code jobid}, empty for other snapshots. */
    public static OptionalLong snapshotTime(String snap, String jobid) {
        Matcher m = SNAP.matcher(snap);
        return m.matches() && m.group(1).equals(jobid) ? OptionalLong.of(Long.parseLong(m.group(2))) : OptionalLong.empty();
    }

    /** The transfer of one volume: {@code base} null for a full send. */
    public record Transfer(String volid, String format, String snap, String base) {
        public boolean full() { return base == null; }

        /** PVE's pipe between the nodes: {@code pvesm export … | pvesm import …}. */
        public String pipeline() {
            String opts = " - -with-snapshots 1 -snapshot " + snap + (base == null ? "" : " -base " + base);
            return "pvesm export " + volid + " " + format + opts + " | pvesm import " + volid + " " + format + opts + " -allow-rename 0";
        }
    }

    /**
     * The transfers of a run at {@code now}: {@code volumes} maps each volume to its storage's transfer format and
     * its snapshots before the run; {@code lastSync} is the job's last successful sync (0: none).
     */
    public static List<Transfer> transfers(Map<String, String> formats, Map<String, List<String>> snapshots, String jobid, long lastSync, long now) {
        String snap = snapshotName(jobid, now);
        String last = lastSync > 0 ? snapshotName(jobid, lastSync) : null;
        List<Transfer> out = new ArrayList<>();
        formats.forEach((volid, fmt) -> {
            boolean incremental = last != null && snapshots.getOrDefault(volid, List.of()).contains(last);
            out.add(new Transfer(volid, fmt, snap, incremental ? last : null));
        });
        return out;
    }

    /** The replication snapshots of {@code jobid} among {@code snaps} other than {@code keep}: removed after a sync. */
    public static List<String> stale(List<String> snaps, String jobid, String keep) {
        return snaps.stream().filter(s -> !s.equals(keep) && snapshotTime(s, jobid).isPresent()).toList();
    }

    /**
     * The commands of a run on a {@code zfspool} volume {@code pool/name} (PVE's ZFS plugin): snapshot, send
     * (incremental with {@code -I}) into {@code zfs recv} on the target, then the stale snapshots destroyed on both sides.
     */
    public static List<String> zfsCommands(String dataset, Transfer t, List<String> stale) {
        List<String> out = new ArrayList<>();
        out.add("zfs snapshot " + dataset + "@" + t.snap());
        out.add("zfs send -Rpv " + (t.base() == null ? "" : "-I " + dataset + "@" + t.base() + " ") + "-- " + dataset + "@" + t.snap()
                + " | zfs recv -F -- " + dataset);
        for (String s : stale) out.add("zfs destroy " + dataset + "@" + s);
        return out;
    }
}
