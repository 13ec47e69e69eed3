package org.haven.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The target node of an HA migration: its LRM has no service of its own, so as in PVE it stays idle without lock and
 * watchdog, until the guest's incoming start asks it for protection ({@link Lrm#protectIncoming}); then it takes the
 * agent lock and arms the watchdog before the guest's process may start.
 */
class LrmIncomingTest {
    static final String SID = "vm:100";

    /** n1 with one service that the manager migrates from n2 to n1; watchdog handles are recorded. */
    static final class Env extends StubEnv {
        final ManagerStatus ms = new ManagerStatus();
        final List<String> opened = new ArrayList<>();

        Env() {
            ServiceState s = new ServiceState("migrate", "n2", "uid1");
            s.target = "n1";
            ms.serviceStatus.put(SID, s);
            ms.nodeStatus.put("n1", "online");
            ms.nodeStatus.put("n2", "online");
        }

        @Override public synchronized ManagerStatus readManagerStatus() { return ms.copy(); }
        @Override public void writeLrmStatus(LrmStatus status) { }
        @Override public Map<String, ServiceConfig> readServiceConfig() {
            return Map.of(SID, new ServiceConfig(SID, "vm", "100", "n2", "started", null, 1, 1, true, null));
        }
        @Override public synchronized String watchdogOpen() {
            opened.add("wd" + opened.size());
            return opened.getLast();
        }
        @Override public void watchdogUpdate(String handle) { }
        @Override public void watchdogClose(String handle) { opened.remove(handle); }
        @Override public int getMaxWorkers() { return 0; }
    }

    @Test
    void aTargetWithoutIncomingGuestStaysIdleAsInPve() {
        Env env = new Env();
        Lrm lrm = new Lrm(env);
        for (int i = 0; i < 3; i++) lrm.doOneIteration();
        assertThat(lrm.state()).isEqualTo("wait_for_agent_lock");
        assertThat(env.opened).isEmpty();
        assertThat(lrm.protecting()).isFalse();
    }

    @Test
    void anIncomingGuestWaitsUntilTheLrmHoldsTheLockAndTheWatchdog() throws Exception {
        Env env = new Env();
        Lrm lrm = new Lrm(env);
        lrm.doOneIteration();
        CompletableFuture<Boolean> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return lrm.protectIncoming(SID, 10_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(accepted).isNotDone();
        lrm.doOneIteration();
        assertThat(accepted.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(lrm.state()).isEqualTo("active");
        assertThat(env.opened).hasSize(1);
        assertThat(env.log).contains("info: status change wait_for_agent_lock => active");

        // the guest arrived: the service is the node's own now, the LRM stays active
        synchronized (env) {
            ServiceState s = env.ms.serviceStatus.get(SID);
            s.state = "started";
            s.node = "n1";
            s.target = null;
        }
        for (int i = 0; i < 3; i++) lrm.doOneIteration();
        assertThat(lrm.protecting()).isTrue();
    }

    @Test
    void noProtectionWithoutTheAgentLockSoTheGuestMustNotStart() throws Exception {
        Env env = new Env();
        env.agentLockAvailable = false;
        Lrm lrm = new Lrm(env);
        CompletableFuture<Boolean> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return lrm.protectIncoming(SID, 1_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        for (int i = 0; i < 3; i++) lrm.doOneIteration();
        assertThat(accepted.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(lrm.state()).isEqualTo("wait_for_agent_lock");
        assertThat(env.opened).isEmpty();
        // given up: a later round does not take the lock for it
        env.agentLockAvailable = true;
        lrm.doOneIteration();
        assertThat(lrm.state()).isEqualTo("wait_for_agent_lock");
    }
}
