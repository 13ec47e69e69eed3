package org.haven.replication;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.core.calendar.CalendarEvent;

/**
 * When replication jobs run, without I/O (PVE's {@code ReplicationState::job_status} and {@code get_next_job}).
 * A job runs on the node its guest lives on. Without failures its next sync is the schedule's next event after
 * the last try; after {@code n} failures it is retried {@code 5·n} minutes after the last try while {@code n < 3}
 * and every 30 minutes after that, and only while the target node is online. A job marked {@code remove_job}
 * is due at once (its run removes the replicated volumes and the job).
 */
public final class ReplicationSchedule {
    private ReplicationSchedule() {}

    /** A job of this node with its state and next sync (0: not scheduled). */
    public record Status(ReplicationConfig.Job job, ReplicationState.Job state, long nextSync) {}

    /** Seconds from the last try to the retry after {@code failCount} failures. */
    public static long backoff(int failCount) {
        return 60L * (failCount < 3 ? 5L * failCount : 30L);
    }

    /** The next sync of one job (0 when none: a failed job whose target is offline, or an unparsable schedule). */
    public static long nextSync(ReplicationConfig.Job job, ReplicationState.Job st, boolean targetOnline, ZoneId zone) {
        if (job.removeJob() != null) return 1;
        if (st.failCount() > 0) return targetOnline ? st.lastTry() + backoff(st.failCount()) : 0;
        try {
            return CalendarEvent.parse(job.schedule()).next(st.lastTry(), zone).orElse(0);
        } catch (CalendarEvent.ParseException e) {
            return 0;
        }
    }

    /**
     * The jobs of the guests that live on {@code node} ({@code guestNodes}: vmid → node), with their next sync
     * (none for disabled jobs), ordered by next sync, guest, id.
     */
    public static List<Status> status(List<ReplicationConfig.Job> jobs, ReplicationState state, Map<Integer, String> guestNodes,
                                      String node, Set<String> online, ZoneId zone) {
        List<Status> out = new ArrayList<>();
        for (ReplicationConfig.Job j : jobs) {
            if (!node.equals(guestNodes.get(j.guest())) || node.equals(j.target())) continue;
            ReplicationState.Job st = state.get(j.guest(), j.id());
            out.add(new Status(j, st, j.disabled() ? 0 : nextSync(j, st, online.contains(j.target()), zone)));
        }
        out.sort(Comparator.comparingLong(Status::nextSync).thenComparingInt(s -> s.job().guest()).thenComparing(s -> s.job().id()));
        return out;
    }

    /**
     * The jobs whose guest was taken over by their target {@code node} without a migration (HA recovery moved its
     * config): the guest lives on {@code node}, the job's target is {@code node} and its source another node (PVE's
     * {@code job_status}, which then swaps source and target). A job without a source never syncs to its own node.
     */
    public static List<ReplicationConfig.Job> takenOver(List<ReplicationConfig.Job> jobs, Map<Integer, String> guestNodes, String node) {
        return jobs.stream().filter(j -> node.equals(guestNodes.get(j.guest())) && node.equals(j.target()) && j.removeJob() == null
                && j.source() != null && !j.source().equals(node)).toList();
    }

    /** The jobs due at {@code now}, in the order they run. */
    public static List<Status> due(List<Status> status, long now) {
        return status.stream().filter(s -> s.nextSync() > 0 && now >= s.nextSync()).toList();
    }
}
