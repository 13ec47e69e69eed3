package org.haven.ha.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Feature scenarios on the simulated cluster: each checks the decisions and the final placement. */
class ScenarioTest {

    @Test
    void powerLossFencesNodeAndRecoversOnLeastLoadedNode() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:200", "n2", "started")
            .service("ct:201", "n3", "started")
            .powerOnAll()
            .then("power n2 off")
            .run();
        assertThat(s.runningOn("vm:200")).containsExactly("n1");
        assertThat(s.runningOn("ct:201")).containsExactly("n3");
        long off = s.firstTime("^execute power n2 off");
        long fence = s.firstTime("^FENCE: Try to fence node 'n2'");
        long ack = s.firstTime("fencing: acknowledged - got agent lock for node 'n2'");
        long recover = s.firstTime("recover service 'vm:200' from fenced node 'n2' to node 'n1'");
        assertThat(off).isPositive();
        assertThat(fence).isGreaterThan(off);
        assertThat(ack).isGreaterThanOrEqualTo(fence);
        assertThat(recover).isEqualTo(ack);
        // the fence delay: a node must be gone for 60 s before it is fenced
        assertThat(fence - off).isGreaterThanOrEqualTo(40);
        assertThat(s.status("vm:200").node).isEqualTo("n1");
        assertThat(s.status("vm:200").state).isEqualTo("started");
    }

    @Test
    void recoveryPicksOnlyNodesWhereTheGuestCanRun() {
        // vm:230's disk is local to n2 and replicated to n3; ct:231's disk is local to n2 and nowhere else
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:230", "n2", "started")
            .service("ct:231", "n2", "started")
            .powerOnAll()
            .then("power n2 off");
        s.hw.setRecoveryCheck("vm:230", "n1", false, "local volume 'local:230/vm-230-disk-0.raw' is not replicated to node 'n1'");
        s.hw.setRecoveryCheck("vm:230", "n3", true, "its local volumes are the replica of job 230-0: what was written since its last sync is lost");
        s.hw.setRecoveryCheck("ct:231", "n1", false, "local volume 'local:231/vm-231-disk-0.raw' is not replicated to node 'n1'");
        s.hw.setRecoveryCheck("ct:231", "n3", false, "local volume 'local:231/vm-231-disk-0.raw' is not replicated to node 'n3'");
        s.run();
        assertThat(s.runningOn("vm:230")).containsExactly("n3");
        assertThat(s.logged("recover service 'vm:230' from fenced node 'n2' to node 'n3' - its local volumes are the replica of job 230-0: "
            + "what was written since its last sync is lost")).isTrue();
        // the container stays with its fenced node until that comes back: no node has its volume
        assertThat(s.runningOn("ct:231")).isEmpty();
        assertThat(s.status("ct:231").state).isEqualTo("recovery");
        assertThat(s.logged("recovering service 'ct:231' from fenced node 'n2' failed, no recovery node found \\(node 'n1': local volume "
            + "'local:231/vm-231-disk-0.raw' is not replicated to node 'n1'; node 'n3': local volume 'local:231/vm-231-disk-0.raw' is not "
            + "replicated to node 'n3'\\)")).isTrue();
    }

    @Test
    void hardwareFencingRecoversWithoutWaitingForTheLockTimeout() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:220", "n3", "started")
            .powerOnAll()
            .then("network n3 off");
        s.hw.setHardwareFencing(true);
        s.run();
        long fence = s.firstTime("^FENCE: Try to fence node 'n3'");
        assertThat(s.firstTime("^execute power n3 off")).isEqualTo(fence);
        assertThat(s.firstTime("fencing: acknowledged - hardware fencing of node 'n3' succeeded")).isEqualTo(fence);
        assertThat(s.firstTime("recover service 'vm:220' from fenced node 'n3'")).isEqualTo(fence);
        assertThat(s.logged("watchdog")).isFalse();
        assertThat(s.runningOn("vm:220")).hasSize(1).doesNotContain("n3");
        // no fence delay with a device: the master fences in the first round that sees the node gone
        long off = s.firstTime("^execute network n3 off");
        assertThat(fence - off).isLessThan(40);
    }

    @Test
    void isolatedNodeFencesItselfBeforeItsServiceIsRecovered() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:210", "n3", "started")
            .powerOnAll()
            .then("network n3 off")
            .run();
        long selfFence = s.firstTime("^server 'n3' stopped by poweroff \\(watchdog\\)");
        long recovered = s.firstTime("recover service 'vm:210' from fenced node 'n3'");
        assertThat(selfFence).isPositive();
        assertThat(recovered).isGreaterThan(selfFence);
        assertThat(s.runningOn("vm:210")).hasSize(1).doesNotContain("n3");
    }

    @Test
    void groupPriorityPlacesServiceAndFailsBack() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .groups("group: pref\n\tnodes n3:2,n2:1\n")
            .service("vm:300", "n1", "started", "group", "pref")
            .powerOnAll()
            .then("power n3 off")
            .then("delay 200")
            .then("power n3 on")
            .run();
        assertThat(s.logged("migrate service 'vm:300' to node 'n3' \\(running\\)")).isTrue();
        assertThat(s.logged("recover service 'vm:300' from fenced node 'n3' to node 'n2'")).isTrue();
        // back to the highest priority node once it returns
        assertThat(s.runningOn("vm:300")).containsExactly("n3");
        assertThat(s.matching("migrate service 'vm:300' to node 'n3'")).hasSize(2);
    }

    @Test
    void nofailbackKeepsServiceWhereItWasRecovered() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .groups("group: pref\n\tnodes n3:2,n2:1\n\tnofailback 1\n")
            .service("vm:301", "n3", "started", "group", "pref")
            .powerOnAll()
            .then("power n3 off")
            .then("delay 200")
            .then("power n3 on")
            .run();
        assertThat(s.logged("recover service 'vm:301' from fenced node 'n3' to node 'n2'")).isTrue();
        assertThat(s.runningOn("vm:301")).containsExactly("n2");
        assertThat(s.logged("migrate service 'vm:301'")).isFalse();
    }

    @Test
    void restrictedGroupWaitsForItsOnlyMember() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .groups("group: only2\n\tnodes n2\n\trestricted 1\n")
            .service("vm:400", "n2", "started", "group", "only2")
            .powerOnAll()
            .then("power n2 off")
            .then("delay 300")
            .then("power n2 on")
            .run();
        assertThat(s.matching("recovering service 'vm:400' from fenced node 'n2' failed, no recovery node found").size())
            .isGreaterThan(3);
        assertThat(s.logged("recover service 'vm:400' to previous failed and fenced node 'n2' again")).isTrue();
        assertThat(s.runningOn("vm:400")).containsExactly("n2");
    }

    @Test
    void restartPolicyRetriesOnTheSameNode() {
        // fa:120 fails its first two start attempts
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("fa:120", "n1", "stopped", "max_restart", "2")
            .powerOnAll()
            .then("service fa:120 started")
            .run();
        assertThat(s.logged("restart policy: retry number 1 for service 'fa:120'")).isTrue();
        assertThat(s.logged("restart policy: retry number 2 for service 'fa:120'")).isTrue();
        assertThat(s.logged("relocat")).isFalse();
        assertThat(s.runningOn("fa:120")).containsExactly("n1");
    }

    @Test
    void relocatePolicyMovesServiceAfterFailedStart() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("fa:110", "n3", "stopped", "max_restart", "0", "max_relocate", "1")
            .powerOnAll()
            .then("service fa:110 started")
            .run();
        assertThat(s.logged("unable to start service fa:110 on local node after 0 retries")).isTrue();
        assertThat(s.logged("starting service fa:110 on node 'n3' failed, relocating service.")).isTrue();
        assertThat(s.logged("relocation policy successful for 'fa:110' on node 'n1', failed nodes: n3")).isTrue();
        assertThat(s.runningOn("fa:110")).containsExactly("n1");
    }

    @Test
    void exhaustedRelocationsEndInErrorStateReportedOnce() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("fa:150", "n2", "stopped", "max_restart", "0", "max_relocate", "1")
            .powerOnAll()
            .then("service fa:150 started")
            .run();
        assertThat(s.logged("recovery policy for service fa:150 failed, entering error state. Failed nodes: n2, n1")).isTrue();
        assertThat(s.status("fa:150").state).isEqualTo("error");
        assertThat(s.matching("service fa:150 is in an error state and needs manual intervention")).hasSize(1);
        assertThat(s.runningOn("fa:150")).isEmpty();
    }

    @Test
    void requestedStatesStartStopDisableAndIgnore() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:500", "n2", "started")
            .powerOnAll()
            .then("service vm:500 stopped")
            .then("service vm:500 started")
            .then("service vm:500 disabled")
            .then("service vm:500 started")
            .then("service vm:500 ignored")
            .then("power n2 off")
            .run();
        assertThat(s.matching("service 'vm:500': state changed from 'started' to 'request_stop'")).hasSize(2);
        assertThat(s.matching("service 'vm:500': state changed from 'request_stop' to 'stopped'")).hasSize(2);
        assertThat(s.matching("service 'vm:500': state changed from 'stopped' to 'request_start'")).hasSize(2);
        assertThat(s.logged("removing stale service 'vm:500' \\(ignored state requested\\)")).isTrue();
        // an ignored service is left alone, even when its node fails
        assertThat(s.status("vm:500")).isNull();
        assertThat(s.logged("FENCE")).isFalse();
    }

    @Test
    void stoppedServiceIsRecoveredButDisabledIsNot() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:510", "n3", "stopped")
            .service("vm:511", "n3", "disabled")
            .powerOnAll()
            .then("power n3 off")
            .run();
        assertThat(s.logged("recover service 'vm:510' from fenced node 'n3'")).isTrue();
        assertThat(s.status("vm:510").state).isEqualTo("stopped");
        assertThat(s.status("vm:510").node).isNotEqualTo("n3");
        assertThat(s.logged("vm:511': state changed from 'stopped' to 'fence'")).isFalse();
        assertThat(s.status("vm:511").node).isEqualTo("n3");
    }

    @Test
    void stopCommandWithTimeoutSetsStoppedState() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:520", "n1", "started")
            .powerOnAll()
            .then("service vm:520 stop 45")
            .run();
        assertThat(s.logged("request graceful stop with timeout '45' for service 'vm:520'")).isTrue();
        assertThat(s.logged("stopping service vm:520 \\(timeout=45\\)")).isTrue();
        assertThat(s.hw.serviceConfigView().get("vm:520").state()).isEqualTo("stopped");
        assertThat(s.runningOn("vm:520")).isEmpty();
    }

    @Test
    void freezePolicyKeepsServicesOnRebootingNode() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .datacenter("freeze", null)
            .service("vm:600", "n2", "started")
            .powerOnAll()
            .then("reboot n2")
            .run();
        assertThat(s.logged("reboot LRM, stop and freeze all services")).isTrue();
        assertThat(s.logged("service 'vm:600': state changed from 'started' to 'freeze'")).isTrue();
        assertThat(s.logged("service 'vm:600': state changed from 'freeze' to 'started'")).isTrue();
        assertThat(s.logged("FENCE")).isFalse();
        assertThat(s.runningOn("vm:600")).containsExactly("n2");
    }

    @Test
    void failoverPolicyRecoversServicesOfShutDownNode() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .datacenter("failover", null)
            .service("vm:610", "n2", "started")
            .powerOnAll()
            .then("shutdown n2")
            .run();
        assertThat(s.logged("shutdown LRM, stop all services")).isTrue();
        assertThat(s.logged("recover service 'vm:610' from fenced node 'n2'")).isTrue();
        assertThat(s.runningOn("vm:610")).hasSize(1).doesNotContain("n2");
    }

    @Test
    void conditionalPolicyFreezesOnRebootButNotOnShutdown() {
        Scenario reboot = new Scenario("n1", "n2", "n3")
            .service("vm:620", "n3", "started")
            .powerOnAll()
            .then("reboot n3")
            .run();
        assertThat(reboot.logged("state changed from 'started' to 'freeze'")).isTrue();
        assertThat(reboot.runningOn("vm:620")).containsExactly("n3");
        Scenario shutdown = new Scenario("n1", "n2", "n3")
            .service("vm:620", "n3", "started")
            .powerOnAll()
            .then("shutdown n3")
            .run();
        assertThat(shutdown.logged("freeze")).isFalse();
        assertThat(shutdown.runningOn("vm:620")).hasSize(1).doesNotContain("n3");
    }

    @Test
    void migratePolicyMovesServicesAwayAndBack() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .datacenter("migrate", null)
            .service("vm:630", "n3", "started")
            .service("ct:631", "n3", "started")
            .powerOnAll()
            .then("shutdown n3")
            .then("power n3 on")
            .run();
        assertThat(s.logged("shutdown LRM, doing maintenance, removing this node from active list")).isTrue();
        assertThat(s.logged("node 'n3': state changed from 'online' => 'maintenance'")).isTrue();
        assertThat(s.logged("migrate service 'vm:630' to node '(n1|n2)' \\(running\\)")).isTrue();
        assertThat(s.logged("relocate service 'ct:631' to node '(n1|n2)'")).isTrue();
        assertThat(s.logged("FENCE")).isFalse();
        assertThat(s.logged("moving service 'vm:630' back to 'n3', node came back from maintenance.")).isTrue();
        assertThat(s.runningOn("vm:630")).containsExactly("n3");
        assertThat(s.runningOn("ct:631")).containsExactly("n3");
    }

    @Test
    void manualMaintenanceModeSurvivesMasterChange() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:700", "n1", "started")
            .service("vm:701", "n2", "started")
            .powerOnAll()
            .then("crm n2 enable-node-maintenance")
            .then("shutdown n1")
            .then("crm n2 disable-node-maintenance")
            .run();
        assertThat(s.logged("node 'n2': state changed from 'online' => 'maintenance'")).isTrue();
        assertThat(s.logged("migrate service 'vm:701' to node 'n3' \\(running\\)")).isTrue();
        // n1 (the master) shuts down; the new master keeps n2 in maintenance until it is disabled
        assertThat(s.matching("status change slave => master")).extracting(Scenario.Line::who).containsExactly("n2/crm");
        long disable = s.firstTime("^execute crm n2 disable-node-maintenance");
        assertThat(s.firstTime("node 'n2': state changed from 'maintenance' => 'online'")).isGreaterThan(disable);
        assertThat(s.runningOn("vm:701")).containsExactly("n2");
    }

    @Test
    void staticSchedulerRecoversToNodeWithMostFreeMemory() {
        Scenario s = new Scenario("n1", "n2", "n3", "n4")
            .hardware("n1", 16, 64_000_000_000L)
            .hardware("n2", 16, 64_000_000_000L)
            .hardware("n3", 16, 256_000_000_000L)
            .hardware("n4", 16, 64_000_000_000L)
            .datacenter(null, "static")
            .service("vm:800", "n4", "started")
            .powerOnAll()
            .then("power n4 off")
            .run();
        assertThat(s.logged("using scheduler mode 'static'")).isTrue();
        assertThat(s.logged("recover service 'vm:800' from fenced node 'n4' to node 'n3'")).isTrue();
    }

    @Test
    void lrmRunsAtMostMaxWorkersCommandsAtOnce() {
        Scenario s = new Scenario("n1", "n2", "n3");
        s.hw.setMaxWorkers(3);
        for (int i = 0; i < 8; i++) s.service("vm:9" + i + "0", "n2", "started");
        s.powerOnAll().run();
        for (int i = 0; i < 8; i++) assertThat(s.runningOn("vm:9" + i + "0")).containsExactly("n2");
        assertThat(s.hw.workerQueue("n2").maxInFlight()).isEqualTo(3);
    }

    @Test
    void lrmResultsAreMatchedByRequestUid() {
        Scenario s = new Scenario("n1", "n2", "n3").service("vm:150", "n2", "disabled");
        org.haven.ha.ManagerStatus ms = new org.haven.ha.ManagerStatus();
        ms.masterNode = "n1";
        for (String n : List.of("n1", "n2", "n3")) ms.nodeStatus.put(n, "online");
        ms.serviceStatus.put("vm:150", new org.haven.ha.ServiceState("request_stop", "n2", "current-request"));
        s.hw.setManagerStatus(ms);
        // a result left over from an older request must not complete the current one
        org.haven.ha.LrmStatus old = new org.haven.ha.LrmStatus();
        old.mode = "active";
        old.results.put("older-request", new org.haven.ha.LrmResult("vm:150", "request_stop", 0));
        s.hw.setLrmStatus("n2", old);
        s.hw.setRunning("n2", "vm:150");
        s.then("power n1 on", "power n2 on", "power n3 on", "skip-round lrm 3").run();
        long stopping = s.firstTime("^stopping service vm:150$");
        long stopped = s.firstTime("service 'vm:150': state changed from 'request_stop' to 'stopped'");
        assertThat(stopping).isGreaterThanOrEqualTo(80);
        assertThat(stopped).isGreaterThan(stopping);
        assertThat(s.runningOn("vm:150")).isEmpty();
    }

    @Test
    void commandsForUnknownServicesOrOfflineNodesAreRejected() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:110", "n1", "started")
            .powerOnAll()
            .then("power n3 off", "service vm:110 migrate n3", "service vm:999 migrate n2", "service vm:110 relocate n1")
            .run();
        assertThat(s.logged("crm command error - node not online: migrate vm:110 n3")).isTrue();
        assertThat(s.logged("crm command error - no such service: migrate vm:999 n2")).isTrue();
        assertThat(s.logged("ignore crm command - service already on target node: relocate vm:110 n1")).isTrue();
        assertThat(s.runningOn("vm:110")).containsExactly("n1");
    }

    @Test
    void idleLrmAndCrmReleaseLocksAfterServicesAreRemoved() {
        Scenario s = new Scenario("n1", "n2", "n3").service("vm:120", "n2", "started").powerOnAll();
        s.then("service vm:120 delete");
        for (int i = 0; i < 20; i++) s.then("delay 0");
        s.run();
        long lrmIdle = s.firstTime("node had no service configured for 60 rounds, going idle.");
        long crmIdle = s.firstTime("cluster had no service configured for 90 rounds, going idle.");
        assertThat(lrmIdle).isPositive();
        assertThat(crmIdle).isGreaterThan(lrmIdle);
        assertThat(s.hw.hasWatchdog("n1")).isFalse();
        assertThat(s.hw.hasWatchdog("n2")).isFalse();
    }

    @Test
    void clusterFilesystemOutageOnMasterIsSurvived() {
        Scenario s = new Scenario("n1", "n2", "n3")
            .service("vm:130", "n1", "started")
            .powerOnAll()
            .then("cfs n1 rw fail", "service vm:130 disabled")
            .then("cfs n1 rw work")
            .run();
        assertThat(s.logged("could not read manager status: cfs connection refused - not mounted\\?")).isTrue();
        long work = s.firstTime("^execute cfs n1 rw work");
        assertThat(s.firstTime("service 'vm:130': state changed from 'started' to 'request_stop'")).isEqualTo(work);
        assertThat(s.runningOn("vm:130")).isEmpty();
        assertThat(s.logged("FENCE")).isFalse();
    }

    @Test
    void lostQuorumStopsEveryDaemonFromActing() {
        Scenario s = new Scenario("n1", "n2", "n3", "n4")
            .service("vm:140", "n1", "started")
            .powerOnAll()
            .then("network n3 off", "network n4 off")
            .run();
        // 2 of 4 nodes is no majority: nobody may recover anything
        assertThat(s.logged("recover service")).isFalse();
        assertThat(s.matching("status change master => lost_manager_lock")).extracting(Scenario.Line::who)
            .containsExactly("n1/crm");
        // the node running the service loses its agent lock and is reset by its watchdog;
        // nodes without active services hold no watchdog and stay up
        assertThat(s.logged("server 'n1' stopped by poweroff \\(watchdog\\)")).isTrue();
        for (String n : List.of("n2", "n3", "n4")) assertThat(s.hw.node(n).powered()).isTrue();
        assertThat(s.runningOn("vm:140")).isEmpty();
    }
}
