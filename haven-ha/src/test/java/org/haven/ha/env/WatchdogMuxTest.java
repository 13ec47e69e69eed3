package org.haven.ha.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.haven.cfs.LockTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchdogMuxTest {
    @TempDir Path dir;

    @Test
    void feedsOnlyWhileEveryClientIsFresh() throws Exception {
        long[] now = {100};
        ClusterHaEnvTest.RecordingBackend b = new ClusterHaEnvTest.RecordingBackend();
        WatchdogMux mux = new WatchdogMux(b, 60, () -> now[0]);
        String crm = mux.open();
        String lrm = mux.open();
        int fed = b.feeds;
        assertThat(fed).isPositive();
        now[0] += 30;
        mux.update(crm);
        mux.tick();
        assertThat(b.feeds).isEqualTo(fed + 1);
        now[0] += 31;
        // lrm missed its deadline: no more feeding, the device will reset the node
        mux.update(crm);
        mux.tick();
        assertThat(mux.healthy()).isFalse();
        assertThat(b.feeds).isEqualTo(fed + 1);
        // an expired client cannot be revived
        mux.update(lrm);
        assertThat(mux.healthy()).isFalse();
        // nor does closing it stop the reset
        mux.close(lrm);
        mux.tick();
        mux.close(crm);
        assertThat(b.feeds).isEqualTo(fed + 1);
        assertThat(b.disarms).isZero();
        mux.close();
    }

    @Test
    void closingTheLastClientDisarms() throws Exception {
        long[] now = {0};
        ClusterHaEnvTest.RecordingBackend b = new ClusterHaEnvTest.RecordingBackend();
        WatchdogMux mux = new WatchdogMux(b, 60, () -> now[0]);
        String h = mux.open();
        now[0] += 59;
        mux.update(h);
        mux.tick();
        mux.close(h);
        assertThat(b.feeds).isEqualTo(2);
        assertThat(b.disarms).isEqualTo(1);
        mux.close();
    }

    @Test
    void timeoutsMustLeaveAMarginBeforeLocksExpire() {
        HaServices.checkTimeouts(LockTable.HaTiming.PVE);
        HaServices.checkTimeouts(new LockTable.HaTiming(2, 10, 5, 21, 10));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HaServices.checkTimeouts(new LockTable.HaTiming(10, 60, 10, 75, 60)))
            .hasMessageStartingWith("unsafe HA timing: unsafe: lock_lifetime (75 s) must be more than");
    }

    @Test
    void updatesCountFromTheLockRequestAndConfigureChangesTheTimeouts() throws Exception {
        long[] now = {1000};
        ClusterHaEnvTest.RecordingBackend b = new ClusterHaEnvTest.RecordingBackend();
        WatchdogMux mux = new WatchdogMux(b, 60, () -> now[0]);
        mux.configure(new LockTable.HaTiming(2, 8, 4, 18, 8));
        assertThat(mux.clientTimeout()).isEqualTo(8);
        assertThat(b.timeouts).containsExactly(4L);
        String h = mux.open(now[0] - 3); // the lock was requested 3 s ago
        now[0] += 5;
        mux.tick();
        assertThat(mux.healthy()).isTrue();
        now[0] += 1; // 9 s after the lock request: expired although opened 6 s ago
        mux.tick();
        assertThat(mux.healthy()).isFalse();
        mux.close();

        WatchdogMux m2 = new WatchdogMux(b, 8, () -> now[0]);
        String c = m2.open();
        now[0] += 5;
        m2.update(c, now[0] - 2);
        m2.update(c, now[0] - 4); // never moves back
        now[0] += 6;
        assertThat(m2.healthy()).isTrue();
        now[0] += 1;
        assertThat(m2.healthy()).isFalse();
        // the same device timeout is not sent twice
        m2.configure(new LockTable.HaTiming(2, 8, 4, 18, 8));
        m2.configure(new LockTable.HaTiming(2, 8, 4, 18, 8));
        assertThat(b.timeouts).containsExactly(4L, 4L);
        m2.close();
    }

    @Test
    void supervisorTakesANewTimeoutWhileRunning() throws Exception {
        Process daemon = sleeper();
        WatchdogMux.SupervisorBackend b = new WatchdogMux.SupervisorBackend(60, daemon.pid(), List.of(dir.resolve("run3")), false);
        try {
            b.feed();
            b.setTimeout(1);
            b.feed(); // the next read waits only 1 s
            Process sup = b.process();
            assertThat(daemon.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.exitValue()).isEqualTo(1);
        } finally {
            daemon.destroyForcibly();
            b.close();
        }
    }

    private static Process sleeper() throws Exception {
        return new ProcessBuilder("sleep", "300").start();
    }

    /** A shell that names {@code file} in its arguments and waits for a child {@code sleep}. */
    private static Process guestNaming(Path file) throws Exception {
        return new ProcessBuilder("sh", "-c", "sleep 300 & wait", "guest", file.toString()).start();
    }

    private static List<ProcessHandle> children(Process p) throws Exception {
        for (int i = 0; i < 100 && p.children().findAny().isEmpty(); i++) Thread.sleep(20);
        return p.children().toList();
    }

    /**
     * Not fed, the supervisor kills the daemon and what it spawned, and every process that names a file below the
     * node's run directory with its descendants, whatever the node recorded; a guest of another node stays.
     */
    @Test
    void supervisorKillsDaemonAndGuestsWhenNotFed() throws Exception {
        Path run = dir.resolve("node1/run"), otherRun = dir.resolve("node10/run");
        Process daemon = new ProcessBuilder("sh", "-c", "sleep 300 & wait").start();
        Process guest = guestNaming(run.resolve("qemu-server/100.pid"));
        Process other = guestNaming(otherRun.resolve("qemu-server/100.pid"));
        List<ProcessHandle> spawned = new java.util.ArrayList<>(children(daemon));
        spawned.addAll(children(guest));
        assertThat(spawned).hasSize(2);
        WatchdogMux.SupervisorBackend b = new WatchdogMux.SupervisorBackend(1, daemon.pid(), List.of(run), false);
        try {
            b.feed();
            Process sup = b.process();
            assertThat(daemon.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(guest.waitFor(10, TimeUnit.SECONDS)).isTrue();
            for (ProcessHandle h : spawned) assertThat(h.onExit().get(10, TimeUnit.SECONDS).isAlive()).isFalse();
            assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.exitValue()).isEqualTo(1);
            assertThat(other.isAlive()).isTrue();
            assertThat(children(other)).hasSize(1);
        } finally {
            for (Process p : List.of(daemon, guest, other)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            b.close();
        }
    }

    /** Disarmed, the supervisor stays beside the daemon and fires no more; it ends when its input closes. */
    @Test
    void supervisorStandsDownOnMagicClose() throws Exception {
        Process daemon = sleeper();
        Process guest = guestNaming(dir.resolve("run2/qemu-server/100.pid"));
        WatchdogMux.SupervisorBackend b = new WatchdogMux.SupervisorBackend(1, daemon.pid(), List.of(dir.resolve("run2")), false);
        try {
            b.start();
            Process sup = b.process();
            Thread.sleep(1500); // not armed yet
            for (int i = 0; i < 3; i++) {
                b.feed();
                Thread.sleep(500);
            }
            b.disarm();
            Thread.sleep(2500);
            assertThat(sup.isAlive()).isTrue();
            assertThat(daemon.isAlive()).isTrue();
            assertThat(guest.isAlive()).isTrue();
            // armed again through the same process
            b.feed();
            assertThat(b.process()).isSameAs(sup);
            b.disarm();
            b.close();
            assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.exitValue()).isZero();
            assertThat(daemon.isAlive()).isTrue();
        } finally {
            daemon.destroyForcibly();
            guest.descendants().forEach(ProcessHandle::destroyForcibly);
            guest.destroyForcibly();
            b.close();
        }
    }

    /** The device backend on a stand-in device file, with a stand-in wdctl that records its calls. */
    @Test
    void deviceBackendSetsTheResetDelayBeforeFeeding() throws Exception {
        Path dev = dir.resolve("watchdog");
        Path calls = dir.resolve("wdctl.calls");
        Path fail = dir.resolve("wdctl.fail");
        Path wdctl = dir.resolve("wdctl");
        Files.writeString(wdctl, "#!/bin/sh\necho \"$*\" >> " + calls + "\ncp " + dev + " " + dev + ".seen 2>/dev/null\n"
            + "[ -e " + fail + " ] && { echo 'cannot set timeout'; exit 1; }\nexit 0\n");
        wdctl.toFile().setExecutable(true);
        WatchdogMux.DeviceBackend b = new WatchdogMux.DeviceBackend(dev, List.of(wdctl.toString()));
        b.setTimeout(4);
        b.feed();
        b.feed();
        assertThat(Files.readAllLines(calls)).containsExactly("--settimeout 4 " + dev);
        assertThat(Files.readAllBytes(dev)).containsExactly(0, 0);
        b.setTimeout(4);
        b.feed();
        assertThat(Files.readAllLines(calls)).hasSize(1);
        // a new delay: magic close (the device allows one opener), wdctl, open and feed again
        b.setTimeout(6);
        b.feed();
        assertThat(Files.readAllLines(calls)).containsExactly("--settimeout 4 " + dev, "--settimeout 6 " + dev);
        assertThat(Files.readAllBytes(dir.resolve("watchdog.seen"))).containsExactly(0, 0, 0, 'V');
        assertThat(Files.readAllBytes(dev)).containsExactly(0);
        // wdctl fails: the device is armed again at once and the error reported; the next feed retries
        Files.writeString(fail, "");
        b.setTimeout(3);
        org.assertj.core.api.Assertions.assertThatThrownBy(b::feed).isInstanceOf(java.io.IOException.class)
            .hasMessage("unable to set the watchdog timeout of " + dev + " to 3 s: cannot set timeout");
        assertThat(Files.readAllBytes(dev)).containsExactly(0);
        Files.delete(fail);
        b.feed();
        assertThat(Files.readAllLines(calls)).hasSize(4);
        b.close();
        assertThat(Files.readAllBytes(dev)).containsExactly(0, 'V');
    }
}
