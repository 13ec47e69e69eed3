package org.haven.storage.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.storage.prune.Pruner.Backup;
import org.haven.storage.prune.Pruner.Mark;
import org.junit.jupiter.api.Test;

class PrunerTest {
    static final ZoneId UTC = ZoneOffset.UTC;

    static Backup b(String id, String time) { return b(id, time, false); }

    static Backup b(String id, String time, boolean prot) {
        return new Backup(id, LocalDateTime.parse(time).toEpochSecond(ZoneOffset.UTC), prot);
    }

    static List<String> kept(Map<String, Mark> marks) {
        List<String> out = new ArrayList<>();
        marks.forEach((k, v) -> { if (v == Mark.KEEP) out.add(k); });
        return out;
    }

    // a backup every 6 hours over 3 days, plus a second one in the same hour
    static final List<Backup> SIX_HOURLY = List.of(
            b("a", "2024-01-01T00:00:00"), b("b", "2024-01-01T06:00:00"), b("c", "2024-01-01T12:00:00"),
            b("d", "2024-01-01T18:00:00"), b("e", "2024-01-02T00:00:00"), b("f", "2024-01-02T06:00:00"),
            b("g", "2024-01-02T12:00:00"), b("h", "2024-01-02T18:00:00"), b("i", "2024-01-03T00:00:00"),
            b("j", "2024-01-03T06:00:00"), b("k", "2024-01-03T06:30:00"));

    @Test
    void keepLast() {
        var m = Pruner.markGroup(SIX_HOURLY, PruneOptions.parse("keep-last=3"), UTC);
        assertThat(kept(m)).containsExactlyInAnyOrder("i", "j", "k");
        assertThat(m.values()).filteredOn(v -> v == Mark.REMOVE).hasSize(8);
    }

    @Test
    void keepHourlyKeepsNewestPerHour() {
        var m = Pruner.markGroup(SIX_HOURLY, PruneOptions.parse("keep-hourly=2"), UTC);
        assertThat(kept(m)).containsExactlyInAnyOrder("k", "i");
        assertThat(m.get("j")).isEqualTo(Mark.REMOVE);
    }

    @Test
    void keepDailyKeepsNewestPerDay() {
        var m = Pruner.markGroup(SIX_HOURLY, PruneOptions.parse("keep-daily=2"), UTC);
        assertThat(kept(m)).containsExactlyInAnyOrder("k", "h");
    }

    @Test
    void periodsCoveredByEarlierRulesAreNotCountedAgain() {
        // keep-last=1 keeps k (day 3); keep-daily=2 then skips day 3 and keeps the newest of day 2 and day 1
        var m = Pruner.markGroup(SIX_HOURLY, PruneOptions.parse("keep-last=1,keep-daily=2"), UTC);
        assertThat(kept(m)).containsExactlyInAnyOrder("k", "h", "d");
        // keep-last=2 keeps k and j (both day 3, hour 6); keep-hourly=2 adds i and h
        var m2 = Pruner.markGroup(SIX_HOURLY, PruneOptions.parse("keep-last=2,keep-hourly=2"), UTC);
        assertThat(kept(m2)).containsExactlyInAnyOrder("k", "j", "i", "h");
    }

    @Test
    void weeklyUsesIsoWeeksMonthlyAndYearly() {
        List<Backup> l = List.of(
                b("2022-12", "2022-12-31T10:00:00"), // ISO week 52 of 2022 (Saturday)
                b("2023-w1a", "2023-01-01T10:00:00"), // Sunday: still ISO week 52 of 2022
                b("2023-w1b", "2023-01-02T10:00:00"), // Monday: ISO week 1 of 2023
                b("2023-feb", "2023-02-15T10:00:00"),
                b("2023-mar", "2023-03-15T10:00:00"),
                b("2024-jan", "2024-01-10T10:00:00"));
        assertThat(kept(Pruner.markGroup(l, PruneOptions.parse("keep-weekly=3"), UTC)))
                .containsExactlyInAnyOrder("2024-jan", "2023-mar", "2023-feb");
        assertThat(kept(Pruner.markGroup(l, PruneOptions.parse("keep-weekly=6"), UTC)))
                .containsExactlyInAnyOrder("2024-jan", "2023-mar", "2023-feb", "2023-w1b", "2023-w1a");
        assertThat(kept(Pruner.markGroup(l, PruneOptions.parse("keep-monthly=4"), UTC)))
                .containsExactlyInAnyOrder("2024-jan", "2023-mar", "2023-feb", "2023-w1b");
        assertThat(kept(Pruner.markGroup(l, PruneOptions.parse("keep-yearly=5"), UTC)))
                .containsExactlyInAnyOrder("2024-jan", "2023-mar", "2022-12");
    }

    @Test
    void protectedBackupsStayAndDoNotCount() {
        List<Backup> l = List.of(b("old", "2024-01-01T00:00:00"), b("mid", "2024-01-02T00:00:00"),
                b("new", "2024-01-03T00:00:00", true));
        var m = Pruner.markGroup(l, PruneOptions.parse("keep-last=1"), UTC);
        assertThat(m).containsEntry("new", Mark.PROTECTED).containsEntry("mid", Mark.KEEP).containsEntry("old", Mark.REMOVE);
        var all = Pruner.markGroup(l, PruneOptions.parse("keep-all=1"), UTC);
        assertThat(all).containsEntry("new", Mark.PROTECTED).containsEntry("mid", Mark.KEEP).containsEntry("old", Mark.KEEP);
    }

    @Test
    void noRuleOrZeroCountsKeepEverything() {
        assertThat(Pruner.markGroup(SIX_HOURLY, PruneOptions.parse(""), UTC).values()).containsOnly(Mark.KEEP);
        assertThat(Pruner.markGroup(SIX_HOURLY, PruneOptions.parse("keep-last=0,keep-daily=0"), UTC).values()).containsOnly(Mark.KEEP);
    }

    @Test
    void timeZoneDecidesTheDay() {
        List<Backup> l = List.of(b("x", "2024-01-01T23:30:00"), b("y", "2024-01-02T00:30:00"));
        assertThat(kept(Pruner.markGroup(l, PruneOptions.parse("keep-daily=1"), UTC))).containsExactly("y");
        // in UTC-02:00 both are on January 1st; the newer one wins the day, the older one is removed
        var m = Pruner.markGroup(l, PruneOptions.parse("keep-daily=2"), ZoneOffset.ofHours(-2));
        assertThat(m).containsEntry("y", Mark.KEEP).containsEntry("x", Mark.REMOVE);
    }

    @Test
    void groupsArePrunedIndependentlyAndUngroupedAreRenamed() {
        List<Pruner.GroupedBackup> l = List.of(
                new Pruner.GroupedBackup("qemu/100", b("q100a", "2024-01-01T00:00:00")),
                new Pruner.GroupedBackup("qemu/100", b("q100b", "2024-01-02T00:00:00")),
                new Pruner.GroupedBackup("lxc/100", b("l100a", "2024-01-01T00:00:00")),
                new Pruner.GroupedBackup(null, b("odd", "2024-01-01T00:00:00")));
        var m = Pruner.mark(l, PruneOptions.parse("keep-last=1"), UTC);
        assertThat(m).containsEntry("q100b", Mark.KEEP).containsEntry("q100a", Mark.REMOVE)
                .containsEntry("l100a", Mark.KEEP).containsEntry("odd", Mark.RENAMED);
    }

    @Test
    void optionParsing() {
        assertThat(PruneOptions.parse("keep-daily=7,keep-last=3").format()).isEqualTo("keep-daily=7,keep-last=3");
        assertThat(PruneOptions.parse("keep-all=1").keepsEverything()).isTrue();
        assertThatThrownBy(() -> PruneOptions.parse("keep-all=1,keep-last=2")).hasMessage("keep-all cannot be set together with other options.");
        assertThatThrownBy(() -> PruneOptions.parse("keep-most=2")).hasMessage("invalid prune option 'keep-most'");
        assertThatThrownBy(() -> PruneOptions.parse("keep-last=x")).hasMessageContaining("invalid value");
    }

    /**
     * Properties over random histories: every backup gets exactly one mark; protected stay protected; the number of
     * kept backups never exceeds the sum of the counts; keep-last=N alone keeps exactly the N newest.
     */
    @Test
    void seededRandomHistories() {
        Random r = new Random(424242);
        long start = LocalDateTime.parse("2020-01-01T00:00:00").toEpochSecond(ZoneOffset.UTC);
        for (int round = 0; round < 500; round++) {
            int n = r.nextInt(60);
            List<Backup> l = new ArrayList<>();
            Map<String, Long> times = new HashMap<>();
            for (int i = 0; i < n; i++) {
                long t = start + (long) r.nextInt(3 * 365 * 24) * 3600 + r.nextInt(3600);
                String id = "b" + i;
                times.put(id, t);
                l.add(new Backup(id, t, r.nextInt(10) == 0));
            }
            int[] c = new int[6];
            for (int i = 0; i < 6; i++) c[i] = r.nextInt(3) == 0 ? 0 : r.nextInt(5);
            PruneOptions o = new PruneOptions(false, c[0], c[1], c[2], c[3], c[4], c[5]);
            var m = Pruner.markGroup(l, o, UTC);
            assertThat(m).hasSize(n);
            for (Backup b : l) {
                assertThat(m.get(b.id())).isNotNull();
                if (b.isProtected()) assertThat(m.get(b.id())).isEqualTo(Mark.PROTECTED);
                else assertThat(m.get(b.id())).isIn(Mark.KEEP, Mark.REMOVE);
            }
            long keep = m.values().stream().filter(v -> v == Mark.KEEP).count();
            if (!o.keepsEverything()) assertThat(keep).isLessThanOrEqualTo(c[0] + c[1] + c[2] + c[3] + c[4] + c[5]);
            // keep-last alone: the N newest unprotected backups
            int last = 1 + r.nextInt(5);
            var ml = Pruner.markGroup(l, new PruneOptions(false, last, 0, 0, 0, 0, 0), UTC);
            List<Backup> unprot = l.stream().filter(b -> !b.isProtected())
                    .sorted((x, y) -> Long.compare(y.ctime(), x.ctime())).toList();
            for (int i = 0; i < unprot.size(); i++) {
                assertThat(ml.get(unprot.get(i).id())).isEqualTo(i < last ? Mark.KEEP : Mark.REMOVE);
            }
        }
    }
}
