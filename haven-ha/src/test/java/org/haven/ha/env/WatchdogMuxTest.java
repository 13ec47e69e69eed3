package org.haven.ha.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
        HaServices.checkTimeouts(60, 10, 120);
        HaServices.checkTimeouts(10, 5, 30);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HaServices.checkTimeouts(60, 10, 80))
            .hasMessageContaining("unsafe HA timeouts");
    }

    private static Process sleeper() throws Exception {
        return new ProcessBuilder("sleep", "300").start();
    }

    @Test
    void supervisorKillsDaemonAndGuestsWhenNotFed() throws Exception {
        Process daemon = sleeper();
        Process guest = sleeper();
        Path pids = Files.createDirectories(dir.resolve("pids"));
        Files.writeString(pids.resolve("100.pid"), Long.toString(guest.pid()));
        WatchdogMux.SupervisorBackend b = new WatchdogMux.SupervisorBackend(1, daemon.pid(), pids);
        try {
            b.feed();
            Process sup = b.process();
            assertThat(daemon.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(guest.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.exitValue()).isEqualTo(1);
        } finally {
            daemon.destroyForcibly();
            guest.destroyForcibly();
            b.close();
        }
    }

    @Test
    void supervisorStandsDownOnMagicClose() throws Exception {
        Process daemon = sleeper();
        Path pids = Files.createDirectories(dir.resolve("pids2"));
        WatchdogMux.SupervisorBackend b = new WatchdogMux.SupervisorBackend(2, daemon.pid(), pids);
        try {
            for (int i = 0; i < 3; i++) {
                b.feed();
                Thread.sleep(500);
            }
            Process sup = b.process();
            b.disarm();
            assertThat(sup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sup.exitValue()).isZero();
            Thread.sleep(2500);
            assertThat(daemon.isAlive()).isTrue();
        } finally {
            daemon.destroyForcibly();
            b.close();
        }
    }
}
