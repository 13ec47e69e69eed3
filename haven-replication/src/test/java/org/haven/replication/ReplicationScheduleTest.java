package org.haven.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("unit")
class ReplicationScheduleTest {
    static final long T = 1_700_000_100; // 2023-11-14 22:15:00 UTC

    static ReplicationConfig.Job job(String schedule) {
        return ReplicationConfig.parse("local: 100-0\n\ttarget b\n" + (schedule == null ? "" : "\tschedule " + schedule + "\n")).require("100-0");
    }

    @ParameterizedTest(name = "{0} fails → +{1} min")
    @CsvSource({"1,5", "2,10", "3,30", "4,30", "10,30"})
    void backoffAfterFailures(int fails, int minutes) {
        assertThat(ReplicationSchedule.backoff(fails)).isEqualTo(minutes * 60L);
        var st = new ReplicationState.Job(0, T, fails, "err", 1.0, "a", T, List.of());
        assertThat(ReplicationSchedule.nextSync(job("*/15"), st, true, ZoneOffset.UTC)).isEqualTo(T + minutes * 60L);
        assertThat(ReplicationSchedule.nextSync(job("*/15"), st, false, ZoneOffset.UTC)).isZero();
    }

    @ParameterizedTest(name = "{0} after {1} → {2}")
    @CsvSource({
            ",1700000100,1700001000",          // default */15: 22:15 → 22:30
            "*/5,1700000100,1700000400",
            "*/00,1700000100,1700002800",       // once an hour: 23:00
            "*/5,0,300",                         // never tried: the first event after the epoch, due at once
            "mon..fri 22:30,1700000100,1700001000"})
    void scheduleAfterLastTry(String schedule, long lastTry, long next) {
        var st = new ReplicationState.Job(0, lastTry, 0, null, null, null, 0, List.of());
        assertThat(ReplicationSchedule.nextSync(job(schedule), st, true, ZoneOffset.UTC)).isEqualTo(next);
    }

    @Test
    void jobsOfLocalGuestsAreListedAndOnlyEnabledDueOnesRun() {
        ReplicationConfig c = ReplicationConfig.parse("""
                local: 100-0
                \ttarget b

                local: 101-0
                \ttarget b
                \tdisable 1

                local: 102-0
                \ttarget b

                local: 103-0
                \ttarget a

                local: 104-0
                \ttarget b
                \tremove_job full
                """);
        ReplicationState s = ReplicationState.empty();
        s.put(100, "100-0", new ReplicationState.Job(T, T, 0, null, 1.0, "a", T, List.of("x")));
        var st = ReplicationSchedule.status(c.jobs(), s, Map.of(100, "a", 101, "a", 102, "b", 103, "a", 104, "a"), "a", Set.of("a", "b"), ZoneOffset.UTC);
        assertThat(st).extracting(x -> x.job().id()).containsExactly("101-0", "104-0", "100-0");
        assertThat(st.get(0).nextSync()).isZero();
        assertThat(ReplicationSchedule.due(st, T + 60)).extracting(x -> x.job().id()).containsExactly("104-0");
        assertThat(ReplicationSchedule.due(st, T + 900)).extracting(x -> x.job().id()).containsExactly("104-0", "100-0");
    }

    @Test
    void jobsOfGuestsTakenOverByTheirTarget() {
        ReplicationConfig c = ReplicationConfig.parse("""
                local: 100-0
                \ttarget b
                \tsource a

                local: 101-0
                \ttarget b

                local: 102-0
                \ttarget b
                \tsource a

                local: 103-0
                \ttarget b
                \tsource a
                \tremove_job full

                local: 104-0
                \ttarget c
                \tsource a
                """);
        // 100 was recovered on b; 101 too, but its job has no source (never synced to its own node); 102 is still on a;
        // 103's job is being removed; 104 lives on b but replicates to c
        var nodes = java.util.Map.of(100, "b", 101, "b", 102, "a", 103, "b", 104, "b");
        assertThat(ReplicationSchedule.takenOver(c.jobs(), nodes, "b")).extracting(ReplicationConfig.Job::id).containsExactly("100-0");
        assertThat(ReplicationSchedule.takenOver(c.jobs(), nodes, "a")).isEmpty();
    }
}
