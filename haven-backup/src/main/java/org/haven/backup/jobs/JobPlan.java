package org.haven.backup.jobs;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.haven.core.calendar.CalendarEvent;

/**
 * What the scheduler does at one tick (PVE's pvescheduler, once a minute), without I/O: for each enabled backup job
 * of this node, the next event after its last run; a job whose event is due runs once, however many events passed.
 * A job without {@code repeat-missed} whose event was missed by more than a tick (the daemon was down) does not run
 * late: its last run moves to now. A job never seen before counts as last run one tick ago, so an event in the
 * current minute is not lost. The new last-run times are written before the jobs start, which is what makes a job
 * run once even when the daemon restarts.
 */
public final class JobPlan {
    private JobPlan() {}

    /** The scheduler's tick, in seconds. */
    public static final long TICK = 60;

    /** A decision: run the job (or not) and its new last-run time. */
    public record Step(String id, boolean run, long lastRun) {}

    /**
     * @param jobs   job id → properties of {@code jobs.cfg} (a {@code vzdump:} section)
     * @param state  job id → last run (epoch seconds)
     * @return the steps for the jobs whose state changes, in id order
     */
    public static List<Step> plan(Map<String, Map<String, String>> jobs, Map<String, Long> state, String node, long now, ZoneId zone) {
        List<Step> out = new ArrayList<>();
        for (var e : new TreeMap<>(jobs).entrySet()) {
            Map<String, String> job = e.getValue();
            if ("0".equals(job.getOrDefault("enabled", "1"))) continue;
            String n = job.get("node");
            if (n != null && !n.equals(node)) continue;
            CalendarEvent ev;
            try {
                ev = CalendarEvent.parse(job.getOrDefault("schedule", ""));
            } catch (CalendarEvent.ParseException ex) {
                continue;
            }
            long last = state.getOrDefault(e.getKey(), now - TICK);
            OptionalLong next = ev.next(last, zone);
            if (next.isEmpty() || next.getAsLong() > now) {
                if (!state.containsKey(e.getKey())) out.add(new Step(e.getKey(), false, last));
                continue;
            }
            boolean missed = next.getAsLong() < now - TICK;
            boolean repeat = "1".equals(job.getOrDefault("repeat-missed", "0"));
            out.add(new Step(e.getKey(), !missed || repeat, now));
        }
        return out;
    }
}
