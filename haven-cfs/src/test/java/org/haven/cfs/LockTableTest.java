package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.haven.cfs.LockTable.HaTiming;
import org.junit.jupiter.api.Test;

class LockTableTest {
    static final long T0 = 1_700_000_000_000L;

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void leasesExpireAfterTheirLifetimeAndCountHolds() {
        LockTable t = new LockTable();
        assertThat(t.tryAcquire("a", "n1", T0, false)).isTrue();
        assertThat(t.tryAcquire("a", "n2", T0 + 119_999, false)).isFalse();
        assertThat(t.tryAcquire("a", "n2", T0 + 120_000, false)).isTrue();
        assertThat(t.refresh("a", "n1", T0 + 120_001)).isFalse();
        assertThat(t.tryAcquire("b", "x", T0, true)).isTrue();
        assertThat(t.tryAcquire("b", "x", T0, true)).isTrue();
        assertThat(t.release("b", "x", false)).isFalse();
        assertThat(t.release("b", "x", false)).isTrue();
        assertThat(t.lease("b", T0)).isEmpty();
    }

    @Test
    void lifetimeFunctionIsAppliedPerNameAtEachTakeAndRefresh() {
        long[] ha = {20_000};
        LockTable t = new LockTable(n -> LockTable.isHaLock(n) ? ha[0] : LockTable.LIFETIME_MILLIS);
        t.tryAcquire("ha_agent_node1_lock", "n1", T0, false);
        t.tryAcquire("storage-local", "n1", T0, false);
        assertThat(t.lease("ha_agent_node1_lock", T0 + 19_999)).isPresent();
        assertThat(t.lease("ha_agent_node1_lock", T0 + 20_000)).isEmpty();
        assertThat(t.lease("storage-local", T0 + 20_000)).isPresent();
        ha[0] = 60_000; // a change applies from the next refresh on
        assertThat(t.refresh("ha_agent_node1_lock", "n1", T0 + 10_000)).isTrue();
        assertThat(t.lease("ha_agent_node1_lock", T0 + 69_999)).isPresent();
    }

    @Test
    void haLockNames() {
        assertThat(LockTable.isHaLock("ha_manager_lock")).isTrue();
        assertThat(LockTable.isHaLock("ha_agent_node1_lock")).isTrue();
        assertThat(LockTable.isHaLock("ha_agent__lock")).isFalse();
        assertThat(LockTable.isHaLock("ha_crm_commands")).isFalse();
        assertThat(LockTable.isHaLock("ha_resources_cfg")).isFalse();
        assertThat(LockTable.isHaLock("storage-local")).isFalse();
    }

    record Row(String text, String problemKey, String message) {}

    @Test
    void validationTable() {
        List<Row> rows = List.of(
            new Row("", null, null),
            new Row("round: 2\nwatchdog_timeout: 8\ndevice_timeout: 4\nlock_lifetime: 18\nfence_delay: 8\n", null, null),
            new Row("# comment\n\nround: 10\n", null, null),
            new Row("lock_lifetime: 75\n", "lock_lifetime",
                "unsafe: lock_lifetime (75 s) must be more than watchdog_timeout + device_timeout + safety margin (60 + 10 + 5 = 75 s)"),
            new Row("lock_lifetime: 76\n", null, null),
            new Row("round: 2\nwatchdog_timeout: 8\ndevice_timeout: 4\nlock_lifetime: 17\n", "lock_lifetime", "unsafe: lock_lifetime (17 s)"),
            new Row("lock_lifetime: 121\n", "lock_lifetime", "lock_lifetime must be between 1 and 120 s (got 121)"),
            new Row("watchdog_timeout: 61\n", "watchdog_timeout", "watchdog_timeout must be between 1 and 60 s (got 61)"),
            new Row("round: 0\n", "round", "round must be between 1 and 10 s (got 0)"),
            new Row("round: 11\n", "round", "round must be between 1 and 10 s (got 11)"),
            new Row("device_timeout: 0\n", "device_timeout", "device_timeout must be between 1 and 10 s (got 0)"),
            new Row("fence_delay: 61\n", "fence_delay", "fence_delay must be between 0 and 60 s (got 61)"),
            new Row("fence_delay: 0\n", null, null),
            new Row("round: 5\nwatchdog_timeout: 10\n", "watchdog_timeout",
                "watchdog_timeout (10 s) must be at least round + 6 s (11 s)"),
            new Row("round: 5\nwatchdog_timeout: 11\nlock_lifetime: 27\n", null, null));
        for (Row r : rows) {
            HaTiming t = HaTiming.parse(r.text());
            if (r.problemKey() == null) {
                assertThat(t.problems()).as(r.text()).isEmpty();
                assertThat(HaTiming.effective(r.text())).isEqualTo(t);
            } else {
                assertThat(t.problems()).as(r.text()).containsKey(r.problemKey());
                assertThat(t.problems().get(r.problemKey())).as(r.text()).startsWith(r.message());
                assertThatThrownBy(t::validate).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(r.message());
                assertThat(HaTiming.effective(r.text())).as("an unsafe file falls back to PVE's timing").isEqualTo(HaTiming.PVE);
            }
        }
    }

    @Test
    void syntaxErrors() {
        for (String[] c : new String[][] {
            {"round 5\n", "line 1: expected 'key: value'"},
            {"round: 5\nfoo: 1\n", "line 2: unknown key 'foo'"},
            {"round: 5\nround: 6\n", "line 2: duplicate key 'round'"},
            {"round: 5s\n", "line 1: round: value '5s' is not a whole number of seconds"},
            {"round: -1\n", "line 1: round: value '-1' is not a whole number of seconds"},
        }) {
            assertThatThrownBy(() -> HaTiming.parse(c[0])).hasMessage(c[1]);
            assertThat(HaTiming.effective(c[0])).isEqualTo(HaTiming.PVE);
        }
        assertThat(HaTiming.effective(null)).isEqualTo(HaTiming.PVE);
    }

    @Test
    void pveDefaultsAndFastestAreSafeAndRoundTrip() {
        assertThat(HaTiming.PVE.problems()).isEmpty();
        assertThat(HaTiming.parse(HaTiming.PVE.format())).isEqualTo(HaTiming.PVE);
        HaTiming fast = HaTiming.fastest(2, 4);
        assertThat(fast).isEqualTo(new HaTiming(2, 8, 4, 18, 8));
        assertThat(HaTiming.parse(fast.format())).isEqualTo(fast);
        // one second less lock lifetime is refused
        assertThat(fast.with(HaTiming.LOCK_LIFETIME, 17).problems()).containsKey(HaTiming.LOCK_LIFETIME);
    }

    /** Seeded property: every accepted setting keeps the fencing invariant; the file round-trips. */
    @Test
    void randomSettingsAcceptedOnlyWhenSafe() {
        Random rnd = new Random(4242);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            HaTiming t = new HaTiming(rnd.nextInt(13) - 1, rnd.nextInt(70) - 2, rnd.nextInt(13) - 1, rnd.nextInt(130) - 2,
                rnd.nextInt(65) - 2);
            boolean ok = t.problems().isEmpty();
            boolean safe = t.lockLifetime() > t.watchdogTimeout() + t.deviceTimeout() + HaTiming.MARGIN;
            boolean inRange = t.round() >= 1 && t.round() <= 10 && t.watchdogTimeout() >= t.round() + HaTiming.ROUND_SLACK
                && t.watchdogTimeout() <= 60 && t.deviceTimeout() >= 1 && t.deviceTimeout() <= 10 && t.lockLifetime() <= 120
                && t.fenceDelay() >= 0 && t.fenceDelay() <= 60;
            assertThat(ok).as(t.toString()).isEqualTo(safe && inRange);
            if (ok) {
                accepted++;
                assertThat(HaTiming.parse(t.format())).isEqualTo(t);
                assertThat(t.lockLifetime()).isLessThanOrEqualTo(HaTiming.PVE.lockLifetime());
            }
        }
        assertThat(accepted).isGreaterThan(100);
    }

    @Test
    void haLockLifetimeFollowsTheFileForLocksRefreshedAfterItsChange() {
        byte[] fast = b(HaTiming.fastest(2, 4).format());
        assertThat(LockTable.haLockLifetimeMillis("ha_agent_n1_lock", 10, fast, 5)).isEqualTo(18_000);
        assertThat(LockTable.haLockLifetimeMillis("ha_agent_n1_lock", 4, fast, 5)).as("refreshed before the change").isEqualTo(120_000);
        assertThat(LockTable.haLockLifetimeMillis("storage-local", 10, fast, 5)).isEqualTo(120_000);
        assertThat(LockTable.haLockLifetimeMillis("ha_manager_lock", 10, null, 0)).isEqualTo(120_000);
        assertThat(LockTable.haLockLifetimeMillis("ha_manager_lock", 10, b("lock_lifetime: 20\n"), 5))
            .as("unsafe file: PVE's lifetime").isEqualTo(120_000);
        assertThat(LockTable.haLockLifetimeMillis("ha_manager_lock", fast.length > 0 ? new String(fast, StandardCharsets.UTF_8) : null))
            .isEqualTo(18_000);
    }

    /** In the replicated tree: the lifetime is decided from tree state, the same on every replica and after a snapshot. */
    @Test
    void memTreeAppliesTheTimingFileDeterministically() {
        MemTree t = new MemTree(CfsLimits.PVE);
        t.mkdirs("ha", 1, T0);
        t.lock("ha_agent_n2_lock", MemTree.LockMode.TRY, 2, T0);
        t.lock("storage-x", MemTree.LockMode.TRY, 2, T0);
        t.write(LockTable.HA_TIMING_FILE, b(HaTiming.fastest(2, 4).format()), false, 1, T0 + 1_000);
        // n2's lock was refreshed before the change: it keeps PVE's 120 s
        assertThat(t.lockHolder("ha_agent_n2_lock", T0 + 60_000)).contains(2);
        assertThat(t.lockHolder("ha_agent_n2_lock", T0 + 119_999)).contains(2);
        assertThatThrownBy(() -> t.lock("ha_agent_n2_lock", MemTree.LockMode.ACQUIRE, 1, T0 + 100_000))
            .isInstanceOf(Errno.Failure.class);
        // refreshed after the change: the configured 18 s
        t.lock("ha_agent_n2_lock", MemTree.LockMode.TRY, 2, T0 + 2_000);
        assertThat(t.lockHolder("ha_agent_n2_lock", T0 + 19_999)).contains(2);
        assertThat(t.lockHolder("ha_agent_n2_lock", T0 + 20_000)).isEmpty();
        MemTree replica = MemTree.fromRows(t.rows(), CfsLimits.PVE);
        assertThat(replica.lockHolder("ha_agent_n2_lock", T0 + 19_999)).contains(2);
        assertThat(replica.lockHolder("ha_agent_n2_lock", T0 + 20_000)).isEmpty();
        t.lock("ha_agent_n2_lock", MemTree.LockMode.TRY, 1, T0 + 20_000);
        assertThat(t.lockHolder("ha_agent_n2_lock", T0 + 20_000)).contains(1);
        // other locks keep 120 s
        assertThat(t.lockHolder("storage-x", T0 + 60_000)).contains(2);
        // removing the file restores PVE's lifetime at once
        t.delete(LockTable.HA_TIMING_FILE, 1, T0 + 21_000);
        assertThat(t.lockHolder("ha_agent_n2_lock", T0 + 100_000)).contains(1);
    }

    @Test
    void localClusterFsUsesTheTimingFileForHaLocks(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        long[] now = {T0};
        org.haven.core.time.Clock clock = new org.haven.core.time.Clock() {
            @Override public long epochSeconds() { return now[0] / 1000; }
            @Override public long epochMillis() { return now[0]; }
        };
        LocalClusterFs fs = new LocalClusterFs(dir, "n1", clock, CfsLimits.PVE);
        fs.mkdirs("ha");
        fs.writeString(LockTable.HA_TIMING_FILE, HaTiming.fastest(2, 4).format());
        assertThat(fs.tryLock("ha_agent_n1_lock")).isTrue();
        assertThat(fs.tryLock("storage-x")).isTrue();
        now[0] += 17_999;
        assertThat(takenByOtherThread(fs, "ha_agent_n1_lock")).isFalse();
        now[0] += 1;
        assertThat(takenByOtherThread(fs, "ha_agent_n1_lock")).isTrue();
        assertThat(takenByOtherThread(fs, "storage-x")).isFalse();
    }

    static boolean takenByOtherThread(LocalClusterFs fs, String name) throws Exception {
        boolean[] got = new boolean[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                fs.withLock(name, java.time.Duration.ofMillis(50), () -> got[0] = true);
            } catch (org.haven.core.cfs.CfsException e) {
                got[0] = false;
            }
        });
        t.join();
        return got[0];
    }

    /**
     * Three Raft replicas whose clocks run together ahead of real time: every replica applies the configured HA lock
     * lifetime to locks renewed after the timing file's last change, PVE's 120 s to older ones and to other locks.
     */
    @Test
    void raftReplicasApplyTheHaLockLifetime(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();
        try (RaftTestCluster cluster = quorateClusterAhead(dir, offset)) {
            RaftClusterFs[] fs = cluster.fs;
            assertThat(fs[2].tryLock("ha_agent_n3_lock")).isTrue(); // renewed before the timing exists
            fs[0].mkdirs("ha");
            fs[0].writeString(LockTable.HA_TIMING_FILE, HaTiming.fastest(2, 4).format());
            assertThat(fs[1].tryLock("ha_agent_n2_lock")).isTrue();
            assertThat(fs[1].tryLock("storage-x")).isTrue();
            assertThat(fs[0].tryLock("ha_agent_n2_lock")).isFalse();

            offset.addAndGet(14_000);
            assertThat(fs[0].tryLock("ha_agent_n2_lock")).as("18 s lifetime not over").isFalse();
            offset.addAndGet(5_000);
            assertThat(fs[0].tryLock("ha_agent_n2_lock")).as("18 s lifetime over").isTrue();
            assertThat(fs[0].tryLock("ha_agent_n3_lock")).as("renewed before the change: 120 s").isFalse();
            assertThat(fs[0].tryLock("storage-x")).as("not an HA lock: 120 s").isFalse();
            for (RaftClusterFs f : fs) {
                f.sync();
                assertThat(f.lockHolder("ha_agent_n2_lock")).contains(1);
                assertThat(f.lockHolder("ha_agent_n3_lock")).contains(3);
            }
            offset.addAndGet(102_000);
            assertThat(fs[0].tryLock("ha_agent_n3_lock")).isTrue();
            assertThat(fs[0].tryLock("storage-x")).isTrue();
        }
    }

    /** On the replicated tree too, code under a cluster lock may change the tree for 60 s only (PVE's cfs_lock). */
    @Test
    void raftLockedCodeIsRefusedChangesAfter60Seconds(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();
        try (RaftTestCluster cluster = quorateClusterAhead(dir, offset)) {
            RaftClusterFs[] fs = cluster.fs;
            fs[1].withLock("file-x", null, () -> { fs[1].writeString("x.cfg", "in time"); return null; });
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> fs[1].withLock("file-x", null, () -> {
                offset.addAndGet(61_000);
                fs[1].writeString("x.cfg", "late");
                return null;
            })).hasMessage("cfs-lock 'file-x' error: 'file-x'-locked command timed out - aborting");
            fs[0].sync();
            assertThat(fs[0].readString("x.cfg")).contains("in time");
            // the lock was released: another node takes it at once
            assertThat(fs[0].withLock("file-x", java.time.Duration.ofSeconds(5), () -> 1)).isEqualTo(1);
        }
    }

    /** Three quorate Raft replicas whose clocks run {@code offset} ms ahead of real time. */
    private static RaftTestCluster quorateClusterAhead(java.nio.file.Path dir, java.util.concurrent.atomic.AtomicLong offset) {
        RaftTestCluster cluster = new RaftTestCluster(dir, 3);
        cluster.clock = new org.haven.core.time.Clock() {
            @Override public long epochSeconds() { return epochMillis() / 1000; }
            @Override public long epochMillis() { return System.currentTimeMillis() + offset.get(); }
        };
        cluster.startAll();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> {
            for (RaftClusterFs f : cluster.fs) if (!f.isQuorate()) return false;
            return true;
        });
        return cluster;
    }
}
