package org.haven.backup.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.core.time.Clock;

/**
 * The node's backup job scheduler: every minute ({@link #tick}) it plans with {@link JobPlan}, stores the new last-run
 * times in its state file and then starts the due jobs. The state file is node-local ({@code id lastrun} lines).
 */
public final class BackupScheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("haven.backup");

    /** Starts one backup job (as a task). */
    @FunctionalInterface
    public interface JobRunner { void run(String id, Map<String, String> job); }

    private final BackupJobs jobs;
    private final Path stateFile;
    private final String node;
    private final Clock clock;
    private final ZoneId zone;
    private final JobRunner runner;
    private volatile org.haven.api.task.MinuteTicker ticker;

    public BackupScheduler(BackupJobs jobs, Path stateFile, String node, Clock clock, ZoneId zone, JobRunner runner) {
        this.jobs = jobs;
        this.stateFile = stateFile;
        this.node = node;
        this.clock = clock;
        this.zone = zone;
        this.runner = runner;
    }

    /** One scheduler round at the clock's time; returns the ids of the jobs it started. */
    public synchronized List<String> tick() throws IOException {
        long now = clock.epochSeconds() / 60 * 60;
        Map<String, Map<String, String>> all = jobs.list();
        Map<String, Long> state = readState();
        List<JobPlan.Step> steps = JobPlan.plan(all, state, node, now, zone);
        boolean removed = state.keySet().retainAll(all.keySet());
        if (steps.isEmpty() && !removed) return List.of();
        for (JobPlan.Step s : steps) state.put(s.id(), s.lastRun());
        writeState(state);
        List<String> started = steps.stream().filter(JobPlan.Step::run).map(JobPlan.Step::id).toList();
        for (String id : started) {
            try {
                runner.run(id, all.get(id));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "unable to start backup job " + id + ": " + e.getMessage());
            }
        }
        return started;
    }

    Map<String, Long> readState() throws IOException {
        Map<String, Long> m = new TreeMap<>();
        if (!Files.isRegularFile(stateFile)) return m;
        for (String line : Files.readAllLines(stateFile)) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 2) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException e) {
                    // a damaged line: the job counts as new
                }
            }
        }
        return m;
    }

    private void writeState(Map<String, Long> state) throws IOException {
        Files.createDirectories(stateFile.getParent());
        StringBuilder sb = new StringBuilder();
        state.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Ticks at the start of every minute until {@link #close}. */
    public void start() {
        ticker = org.haven.api.task.MinuteTicker.start("backup-scheduler", clock, this::tick);
    }

    @Override public void close() {
        var t = ticker;
        if (t != null) t.close();
    }
}
