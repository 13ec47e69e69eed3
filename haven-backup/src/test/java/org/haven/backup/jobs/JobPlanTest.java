package org.haven.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.format.SectionConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler's decisions with an injected clock: due jobs run once per event, per node, across restarts. */
@Tag("unit")
class JobPlanTest {
    static final ZoneId UTC = ZoneOffset.UTC;

    static long t(String s) { return LocalDateTime.parse(s).toEpochSecond(ZoneOffset.UTC); }

    @Test
    void decisionsTable() {
        Map<String, String> daily = Map.of("schedule", "02:00", "vmid", "100");
        Object[][] table = {
                // job, last run (null: never seen), now, expected step (null: none)
                {daily, t("2026-12-07T01:00"), t("2026-12-07T01:59"), null},
                {daily, t("2026-12-07T01:00"), t("2026-12-07T02:00"), new JobPlan.Step("j", true, t("2026-12-07T02:00"))},
                {daily, t("2026-12-07T02:00"), t("2026-12-07T02:01"), null},
                {daily, null, t("2026-12-07T02:00"), new JobPlan.Step("j", true, t("2026-12-07T02:00"))},
                {daily, null, t("2026-12-07T03:00"), new JobPlan.Step("j", false, t("2026-12-07T02:59"))},
                // missed while the daemon was down: not run late without repeat-missed, but the last run moves on
                {daily, t("2026-12-05T02:00"), t("2026-12-07T05:00"), new JobPlan.Step("j", false, t("2026-12-07T05:00"))},
                {Map.of("schedule", "02:00", "repeat-missed", "1"), t("2026-12-05T02:00"), t("2026-12-07T05:00"), new JobPlan.Step("j", true, t("2026-12-07T05:00"))},
                // a tick one minute late still runs
                {daily, t("2026-12-06T02:00"), t("2026-12-07T02:01"), new JobPlan.Step("j", true, t("2026-12-07T02:01"))},
                {Map.of("schedule", "02:00", "enabled", "0"), t("2026-12-06T02:00"), t("2026-12-07T02:00"), null},
                {Map.of("schedule", "02:00", "node", "other"), t("2026-12-06T02:00"), t("2026-12-07T02:00"), null},
                {Map.of("schedule", "02:00", "node", "n1"), t("2026-12-06T02:00"), t("2026-12-07T02:00"), new JobPlan.Step("j", true, t("2026-12-07T02:00"))},
                {Map.of("schedule", "*/15"), t("2026-12-07T10:00"), t("2026-12-07T10:15"), new JobPlan.Step("j", true, t("2026-12-07T10:15"))},
                {Map.of("schedule", "not a schedule"), t("2026-12-07T10:00"), t("2026-12-07T10:15"), null},
        };
        for (Object[] row : table) {
            Map<String, Long> state = new HashMap<>();
            if (row[1] != null) state.put("j", (Long) row[1]);
            @SuppressWarnings("unchecked") Map<String, String> job = (Map<String, String>) row[0];
            List<JobPlan.Step> steps = JobPlan.plan(Map.of("j", job), state, "n1", (Long) row[2], UTC);
            assertThat(steps).as("%s last %s now %s", job, row[1], row[2]).isEqualTo(row[3] == null ? List.of() : List.of(row[3]));
        }
    }

    @Test
    void theSchedulerRunsEachEventOnceAcrossRestarts(@TempDir Path dir) throws Exception {
        MemoryClusterFs cfs = new MemoryClusterFs("n1");
        BackupJobs jobs = new BackupJobs(cfs);
        jobs.modify(doc -> {
            SectionConfig.Section s = new SectionConfig.Section("vzdump", "backup-aaaa");
            s.set("schedule", "*/30").set("vmid", "100").set("mode", "stop");
            doc.add(s);
            SectionConfig.Section other = new SectionConfig.Section("vzdump", "backup-bbbb");
            other.set("schedule", "*/30").set("node", "n2").set("all", "1");
            doc.add(other);
            return null;
        });
        AtomicLong now = new AtomicLong(t("2026-12-07T09:59:00"));
        List<String> runs = new ArrayList<>();
        Path state = dir.resolve("jobs-state");
        BackupScheduler s1 = new BackupScheduler(jobs, state, "n1", now::get, UTC, (id, job) -> runs.add(id + "@" + now.get() + ":" + job.get("mode")));
        assertThat(s1.tick()).isEmpty();
        now.set(t("2026-12-07T10:00:05"));
        assertThat(s1.tick()).containsExactly("backup-aaaa");
        assertThat(s1.tick()).as("a second tick in the same minute").isEmpty();
        // the daemon restarts within the minute: the state file says the event ran
        BackupScheduler s2 = new BackupScheduler(jobs, state, "n1", now::get, UTC, (id, job) -> runs.add(id + "@" + now.get() + ":" + job.get("mode")));
        assertThat(s2.tick()).isEmpty();
        now.set(t("2026-12-07T10:29:00"));
        assertThat(s2.tick()).isEmpty();
        now.set(t("2026-12-07T10:30:00"));
        assertThat(s2.tick()).containsExactly("backup-aaaa");
        assertThat(runs).containsExactly("backup-aaaa@" + t("2026-12-07T10:00:05") + ":stop", "backup-aaaa@" + t("2026-12-07T10:30:00") + ":stop");
        // a deleted job leaves the state file
        jobs.modify(doc -> doc.remove("backup-aaaa"));
        now.set(t("2026-12-07T11:00:00"));
        assertThat(s2.tick()).isEmpty();
        assertThat(s2.readState()).doesNotContainKey("backup-aaaa");
    }
}
