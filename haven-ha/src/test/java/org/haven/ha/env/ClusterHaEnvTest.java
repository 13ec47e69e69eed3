package org.haven.ha.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.haven.ha.Crm;
import org.haven.ha.HaEnv;
import org.haven.ha.HaJson;
import org.haven.ha.Lrm;
import org.haven.ha.ManagerStatus;
import org.haven.ha.Sid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The HA stack on a real (single-node, directory-backed) cluster file system with a recording guest driver. */
class ClusterHaEnvTest {
    @TempDir Path dir;

    static final class FakeClock implements Clock {
        long now = 1_700_000_000L;
        @Override public long epochSeconds() { return now; }
        @Override public long epochMillis() { return now * 1000; }
    }

    static final class Driver implements ClusterHaEnv.ResourceDriver {
        final Set<String> running = new TreeSet<>();
        final List<String> calls = new ArrayList<>();
        @Override public boolean isRunning(Sid sid) { return running.contains(sid.toString()); }
        @Override public void start(Sid sid) { calls.add("start " + sid); running.add(sid.toString()); }
        @Override public void shutdown(Sid sid, Integer timeout) { calls.add("stop " + sid + " " + timeout); running.remove(sid.toString()); }
        @Override public boolean migrate(Sid sid, String target, boolean online) { calls.add("migrate " + sid + " " + target); return false; }
    }

    static final class RecordingBackend implements WatchdogMux.Backend {
        int feeds;
        int disarms;
        final List<Long> timeouts = new java.util.ArrayList<>();
        @Override public void feed() { feeds++; }
        @Override public void setTimeout(long seconds) { timeouts.add(seconds); }
        @Override public void disarm() { disarms++; }
        @Override public void close() { }
    }

    private ClusterHaEnv env(ClusterFs cfs, FakeClock clock, Driver driver, WatchdogMux mux, List<String> log, String id) {
        return new ClusterHaEnv(cfs, clock, driver, mux, (lvl, msg) -> log.add(id + " " + lvl + ": " + msg),
            () -> new HaEnv.Shutdown(false, false)).withSleeper(s -> { });
    }

    @Test
    void singleNodeStartsManagedGuestAndWritesPveStatusFiles() throws Exception {
        LocalClusterFs cfs = new LocalClusterFs(dir.resolve("cfs"), "pve1");
        cfs.mkdirs("nodes/pve1/qemu-server");
        cfs.writeString("nodes/pve1/qemu-server/100.conf", "cores: 2\nmemory: 2048\nlock: backup\n");
        cfs.mkdirs("ha");
        cfs.writeString("ha/resources.cfg", "vm: 100\n\tstate started\n\n");
        cfs.writeString("datacenter.cfg", "keyboard: en-us\nha: shutdown_policy=migrate\ncrs: ha=static,ha-rebalance-on-start=1\nmax_workers: 2\n");
        FakeClock clock = new FakeClock();
        Driver driver = new Driver();
        RecordingBackend backend = new RecordingBackend();
        WatchdogMux mux = new WatchdogMux(backend, 60, clock::epochSeconds);
        List<String> log = new ArrayList<>();
        ClusterHaEnv crmEnv = env(cfs, clock, driver, mux, log, "crm");
        ClusterHaEnv lrmEnv = env(cfs, clock, driver, mux, log, "lrm");

        HaEnv.Datacenter dc = crmEnv.getDatacenterSettings();
        assertThat(dc.shutdownPolicy()).isEqualTo("migrate");
        assertThat(dc.crsHa()).isEqualTo("static");
        assertThat(dc.rebalanceOnStart()).isTrue();
        assertThat(crmEnv.getMaxWorkers()).isEqualTo(2);
        assertThat(crmEnv.staticServiceStats("vm:100", "pve1")).isEqualTo(new HaEnv.Stats(2, 2048L * 1024 * 1024));

        Crm crm = new Crm(crmEnv);
        Lrm lrm = new Lrm(lrmEnv);
        assertThat(crm.doOneIteration()).isTrue();
        assertThat(crm.state()).isEqualTo("master");
        ManagerStatus ms = crmEnv.readManagerStatus();
        assertThat(ms.masterNode).isEqualTo("pve1");
        assertThat(ms.nodeStatus).containsEntry("pve1", "online");
        assertThat(ms.serviceStatus.get("vm:100").state).isEqualTo("started");
        JsonNode raw = HaJson.parse(cfs.readString("ha/manager_status").orElseThrow());
        assertThat(raw.path("service_status").path("vm:100").path("node").asString()).isEqualTo("pve1");

        // the LRM needs a short while: it runs its commands on worker threads
        for (int i = 0; i < 50 && !driver.running.contains("vm:100"); i++) {
            clock.now += 1;
            assertThat(lrm.doOneIteration()).isTrue();
            Thread.sleep(20);
        }
        assertThat(lrm.state()).isEqualTo("active");
        assertThat(driver.calls).contains("start vm:100");
        assertThat(mux.clientCount()).isEqualTo(2);
        assertThat(backend.feeds).isPositive();
        JsonNode lrmStatus = HaJson.parse(cfs.readString("nodes/pve1/lrm_status").orElseThrow());
        assertThat(lrmStatus.path("state").asString()).isEqualTo("active");
        assertThat(lrmStatus.path("mode").asString()).isEqualTo("active");
        assertThat(log).anyMatch(l -> l.equals("lrm info: starting service vm:100"));

        // request a stop with timeout through the command queue, as ha-manager does
        lrmEnv.queueCrmCommands("stop vm:100 30");
        clock.now += 10;
        crm.doOneIteration();
        assertThat(crmEnv.readManagerStatus().serviceStatus.get("vm:100").state).isEqualTo("request_stop");
        assertThat(cfs.readString("ha/resources.cfg").orElseThrow()).contains("\tstate stopped\n");
        for (int i = 0; i < 50 && driver.running.contains("vm:100"); i++) {
            clock.now += 1;
            lrm.doOneIteration();
            Thread.sleep(20);
        }
        assertThat(driver.calls).contains("stop vm:100 30");
        lrm.close();

        // recovery cleanup removes a stale backup lock
        assertThat(crmEnv.removeLocks("vm:100", List.of("backup", "migrate"), "pve1")).isEqualTo("backup");
        assertThat(cfs.readString("nodes/pve1/qemu-server/100.conf").orElseThrow()).isEqualTo("cores: 2\nmemory: 2048\n");
        assertThat(crmEnv.removeLocks("vm:100", List.of("backup"), "pve1")).isNull();
    }

    @Test
    void stealServiceMovesGuestConfigAndResourcesFollowTheVmlist() {
        LocalClusterFs cfs = new LocalClusterFs(dir.resolve("cfs2"), "a");
        cfs.mkdirs("nodes/a/lxc");
        cfs.mkdirs("nodes/b/qemu-server");
        cfs.writeString("nodes/a/lxc/200.conf", "memory: 1024\ncores: 3\n");
        cfs.writeString("nodes/b/qemu-server/201.conf", "memory: current=4096\nsockets: 2\ncores: 2\n");
        cfs.mkdirs("ha");
        cfs.writeString("ha/resources.cfg", "ct: 200\n\ngroup: x\n\nvm: 201\n\tstate stopped\n\nvm: 999\n\n");
        ClusterHaEnv env = env(cfs, new FakeClock(), new Driver(), new WatchdogMux(new RecordingBackend(), 60, () -> 0), new ArrayList<>(), "crm");
        var sc = env.readServiceConfig();
        assertThat(sc.keySet()).containsExactly("ct:200", "vm:201");
        assertThat(sc.get("ct:200").node()).isEqualTo("a");
        assertThat(sc.get("vm:201").node()).isEqualTo("b");
        assertThat(env.staticServiceStats("vm:201", "b")).isEqualTo(new HaEnv.Stats(4, 4096L * 1024 * 1024));
        env.stealService("ct:200", "a", "c");
        assertThat(cfs.readString("nodes/c/lxc/200.conf")).isPresent();
        assertThat(cfs.readString("nodes/a/lxc/200.conf")).isEmpty();
        assertThat(env.readServiceConfig().get("ct:200").node()).isEqualTo("c");
    }

    @Test
    void hardwareFencingRunsTheConfiguredAgents() throws Exception {
        Path agents = Files.createDirectories(dir.resolve("agents"));
        Path calls = dir.resolve("calls");
        Path agent = agents.resolve("fence_fake");
        // a fence agent that records its arguments; plug 9 is "broken"
        Files.writeString(agent, "#!/bin/sh\necho \"$*\" >> " + calls + "\ncase \"$*\" in *--plug=9*) echo 'Failed: Unable to obtain correct plug status'; exit 1;; esac\nexit 0\n");
        agent.toFile().setExecutable(true);
        Path slow = agents.resolve("fence_slow");
        Files.writeString(slow, "#!/bin/sh\nsleep 30\n");
        slow.toFile().setExecutable(true);
        LocalClusterFs cfs = new LocalClusterFs(dir.resolve("cfs4"), "a");
        cfs.mkdirs("ha");
        cfs.writeString("ha/fence.cfg", "device broken " + agent + " ip=127.0.0.1 username=admin password=hunter2\n"
            + "device good " + agent + " ip=127.0.0.2 username=admin password=hunter2\n"
            + "device hung " + slow + "\n"
            + "connect broken node=b plug=9\nconnect good node=b plug=1\nconnect good node=b plug=2\n"
            + "connect broken node=c plug=9\nconnect hung node=d\n");
        List<String> log = new ArrayList<>();
        ClusterHaEnv env = env(cfs, new FakeClock(), new Driver(), new WatchdogMux(new RecordingBackend(), 60, () -> 0), log, "crm")
            .withFenceAgentTimeout(java.time.Duration.ofSeconds(2));
        assertThat(env.hardwareFence("b")).isTrue();
        assertThat(Files.readAllLines(calls)).containsExactly(
            "--ip=127.0.0.1 --username=admin --password=hunter2 --plug=9 --action=off",
            "--ip=127.0.0.2 --username=admin --password=hunter2 --plug=1 --action=off",
            "--ip=127.0.0.2 --username=admin --password=hunter2 --plug=2 --action=off");
        assertThat(log).anyMatch(l -> l.startsWith("crm err: fence agent failed (exit code 1)") && l.contains("--password=*****")
            && l.endsWith("Failed: Unable to obtain correct plug status"));
        assertThat(log).noneMatch(l -> l.contains("hunter2"));
        assertThat(env.hardwareFence("c")).isFalse();
        assertThat(env.hardwareFence("d")).isFalse();
        assertThat(log).anyMatch(l -> l.startsWith("crm err: fence agent timed out"));
        assertThat(env.hardwareFence("e")).isNull();
        assertThat(List.of("a", "b", "c", "d", "e").stream().filter(env::hasFenceDevice)).containsExactly("b", "c", "d");
    }

    @Test
    void crmCommandsAreConsumedOnce() {
        LocalClusterFs cfs = new LocalClusterFs(dir.resolve("cfs3"), "a");
        ClusterHaEnv env = env(cfs, new FakeClock(), new Driver(), new WatchdogMux(new RecordingBackend(), 60, () -> 0), new ArrayList<>(), "crm");
        env.queueCrmCommands("migrate vm:100 b");
        env.queueCrmCommands("enable-node-maintenance a");
        assertThat(env.peekCrmCommands()).isEqualTo("migrate vm:100 b\nenable-node-maintenance a\n");
        assertThat(env.readCrmCommands()).isEqualTo("migrate vm:100 b\nenable-node-maintenance a\n");
        assertThat(env.readCrmCommands()).isEmpty();
        assertThat(Files.exists(dir.resolve("cfs3"))).isTrue();
    }

    @Test
    void timingComesFromTheCfsAndConfiguresTheWatchdogAfterEachLockRefresh() throws Exception {
        FakeClock clock = new FakeClock();
        LocalClusterFs cfs = new LocalClusterFs(dir.resolve("cfs5"), "pve1", clock, org.haven.cfs.CfsLimits.PVE);
        cfs.mkdirs("nodes/pve1/qemu-server");
        cfs.writeString("nodes/pve1/qemu-server/100.conf", "memory: 128\n");
        cfs.mkdirs("ha");
        cfs.writeString("ha/resources.cfg", "vm: 100\n\tstate started\n\n");
        cfs.writeString(org.haven.cfs.LockTable.HA_TIMING_FILE, "round: 2\nwatchdog_timeout: 8\ndevice_timeout: 4\nlock_lifetime: 18\nfence_delay: 8\n");
        RecordingBackend backend = new RecordingBackend();
        WatchdogMux mux = new WatchdogMux(backend, 60, clock::epochSeconds);
        List<String> log = new ArrayList<>();
        List<Long> sleeps = new ArrayList<>();
        ClusterHaEnv env = new ClusterHaEnv(cfs, clock, new Driver(), mux, (lvl, msg) -> log.add(lvl + ": " + msg),
            () -> new HaEnv.Shutdown(false, false)).withSleeper(sleeps::add);
        assertThat(env.timing()).isEqualTo(new org.haven.cfs.LockTable.HaTiming(2, 8, 4, 18, 8));
        assertThat(log).contains("info: HA timing: round 2 s, watchdog 8 s, device 4 s, lock lifetime 18 s, fence delay 8 s");
        Crm crm = new Crm(env);
        crm.doOneIteration();
        assertThat(crm.state()).isEqualTo("master");
        assertThat(sleeps).containsExactly(2L);
        assertThat(mux.clientTimeout()).isEqualTo(8);
        assertThat(backend.timeouts).containsExactly(4L);

        // an unsafe file is ignored as a whole (the cfs lock table does the same): PVE's timing
        cfs.writeString(org.haven.cfs.LockTable.HA_TIMING_FILE, "lock_lifetime: 20\n");
        crm.doOneIteration();
        assertThat(env.timing()).isEqualTo(org.haven.cfs.LockTable.HaTiming.PVE);
        assertThat(log).anyMatch(l -> l.startsWith("err: ignoring ha/haven-timing.cfg (using PVE's timing) - unsafe: lock_lifetime (20 s)"));
        assertThat(mux.clientTimeout()).isEqualTo(60);
        assertThat(sleeps).containsExactly(2L, 10L);
        mux.close();
    }
}
