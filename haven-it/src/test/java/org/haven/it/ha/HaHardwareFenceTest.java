package org.haven.it.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.haven.core.testing.E2eTest;
import org.haven.ha.env.NodeProcesses;
import org.haven.it.Await;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.CliResult;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hardware fencing as PVE 3 did it: three daemons, one simulated BMC per node ({@link Bmc}: {@code ipmi_sim}, whose
 * power-off kills the node's daemon and guests), {@code ha/fence.cfg} with one {@code fence_ipmilan} device per node.
 * The guest's node, node1, which founded the cluster file system, hangs (its daemon and its watchdog supervisor are
 * frozen, their connections open, the guest keeps running, as on a node whose kernel stalls): the other two keep their
 * quorum and accept writes within an election; the master powers it off through its BMC as soon as the node left the quorate partition (no
 * fence delay with a device), and since the agent confirmed that the node is off it recovers the guest at once, without
 * waiting for the node's agent lock (the timing keeps it 120 s). The guest never runs on two nodes.
 */
@E2eTest
class HaHardwareFenceTest {
    static final int VMID = 4848;
    static final String SID = "vm:" + VMID;

    Path dir;
    HavenCluster cluster;
    final Map<String, Bmc> bmcs = new TreeMap<>();
    /** The processes of the hung node, stopped with SIGSTOP. */
    final List<ProcessHandle> frozen = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        try {
            if (cluster != null) {
                // a frozen daemon cannot stop
                frozen.forEach(ProcessHandle::destroyForcibly);
                cluster.close();
            }
        } finally {
            for (Bmc b : bmcs.values()) b.close();
            if (dir != null) {
                HavenCluster.killProcessesUsing(dir);
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /** The nodes that have a live QEMU process of the guest. */
    Map<String, List<Long>> guestNodes() {
        List<NodeProcesses.Process> table = NodeProcesses.read(Path.of("/proc"));
        Map<String, List<Long>> on = new TreeMap<>();
        for (HavenNode n : cluster.nodes()) {
            List<Long> pids = HaKillAtEveryStepTest.qemuOf(n.dataDir(), table, VMID);
            if (!pids.isEmpty()) on.put(n.node(), pids);
        }
        return on;
    }

    @Test
    void aHungNodeIsPoweredOffThroughItsBmcAndItsGuestRecoveredWithoutWaitingForItsLock() throws Exception {
        TestGuest.require();
        Bmc.require();
        dir = Files.createTempDirectory("haven-ha-fence");
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        Path shared = Files.createDirectories(dir.resolve("shared"));
        cluster = HavenCluster.start(dir, "fencetest", 3);
        HavenNode m = cluster.node(0);
        // 2 s rounds, but the agent lock lives 120 s: a recovery within that time came from the fence device
        ok(m.cli("pvesh", "set", "/cluster/ha/timing", "--round", "2", "--watchdog_timeout", "20", "--device_timeout", "4",
            "--lock_lifetime", "120", "--fence_delay", "8"));
        ok(m.cli("pvesm", "add", "dir", "shared", "--path", shared.toString(), "--shared", "1", "--content", "images"));
        ok(m.cli("qm", "create", Integer.toString(VMID), "--name", "ha-fence", "--memory", "128", "--serial0", "socket",
            "--vga", "serial0", "--scsi0", "shared:0.1,format=qcow2", "--args", TestGuest.args(initrd)));
        HavenNode.Auth auth = m.login("admin@pve", m.adminPassword());
        api(m, auth, "POST", "/cluster/ha/resources", Map.of("sid", SID, "state", "stopped"));
        // the victim is node1, which founded the cluster file system (the first Raft leader): the others must not
        // wait for its replies once it hangs. It must not be the CRM master (a new master would first wait for the
        // old one's manager lock, 120 s here): when it is, its daemon restarts, and a daemon that stops gives the
        // manager lock up as PVE's CRM does
        String master = awaitMaster(m, null);
        if (master.equals(m.node())) {
            cluster.restart(0);
            master = awaitMaster(cluster.node(1), m.node());
            long t0 = System.nanoTime();
            for (HavenNode n : cluster.nodes()) {
                Await.until(n.node() + " quorate after node1's restart", Duration.ofSeconds(60), Duration.ofMillis(500),
                    () -> n.cli("pvecm", "status").out().contains("Quorate:          Yes"), () -> n.cli("pvecm", "status").out() + diagnostics());
            }
            System.out.println("all nodes quorate " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms after the new master");
        }
        HavenNode victim = cluster.node(0);
        String masterNode = master;
        HavenNode target = cluster.nodes().stream().filter(n -> n != victim && !n.node().equals(masterNode)).findFirst().orElseThrow();
        // the API from here on goes to a node that stays up
        m = target;
        auth = m.login("admin@pve", victim.adminPassword());
        StringBuilder fenceCfg = new StringBuilder();
        for (HavenNode n : cluster.nodes()) {
            Bmc b = Bmc.start(Files.createDirectories(dir.resolve("bmc-" + n.node())), n.node(), n.dataDir());
            bmcs.put(n.node(), b);
            b.powers(n);
            fenceCfg.append(b.fenceDevice());
        }
        api(m, auth, "PUT", "/cluster/ha/fence", Map.of("config", fenceCfg.toString()));

        api(m, auth, "POST", "/cluster/ha/groups", Map.of("group", "fencing", "nodes", victim.node() + ":2," + target.node() + ":1",
            "nofailback", "1"));
        api(m, auth, "PUT", "/cluster/ha/resources/" + SID, Map.of("group", "fencing"));
        // the guest was created on node1, the victim
        awaitHaStatus(m, "(" + victim.node() + ", stopped)");
        api(m, auth, "PUT", "/cluster/ha/resources/" + SID, Map.of("state", "started"));
        Await.until("the guest running on " + victim.node(), Duration.ofSeconds(180), Duration.ofMillis(500),
            () -> guestNodes().keySet().equals(Set.of(victim.node())), this::diagnostics);
        long old = guestNodes().get(victim.node()).getFirst();

        List<String> twoCopies = Collections.synchronizedList(new ArrayList<>());
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                Map<String, List<Long>> on = guestNodes();
                if (on.size() > 1) twoCopies.add(on.toString());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            // the victim hangs: its daemon and watchdog supervisor stop, its guest keeps running
            frozen.addAll(victim.process().descendants().toList());
            frozen.add(victim.process().toHandle());
            for (ProcessHandle h : frozen) new ProcessBuilder("kill", "-STOP", Long.toString(h.pid())).start().waitFor();
            // the others keep their quorum: a write on the cluster file system goes through within an election
            long t0 = System.nanoTime();
            api(m, auth, "PUT", "/cluster/options", Map.of("description", "written while " + victim.node() + " hangs"));
            Duration write = Duration.ofNanos(System.nanoTime() - t0);
            System.out.println("cluster file system write " + write.toMillis() + " ms after " + victim.node() + " froze");
            assertThat(write).as("a write while " + victim.node() + " hangs").isLessThan(Duration.ofSeconds(15));
            assertThat(m.cli("pvecm", "status").out()).contains("Quorate:          Yes");
            Await.until("the guest recovered on " + target.node(), Duration.ofSeconds(110), Duration.ofMillis(200),
                () -> guestNodes().keySet().equals(Set.of(target.node())), this::diagnostics);
        } finally {
            sampler.interrupt();
        }
        assertThat(twoCopies).as("samples with the guest on two nodes").isEmpty();
        assertThat(ProcessHandle.of(old).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(victim.process().isAlive()).as("the victim's daemon after its power-off").isFalse();
        Bmc bmc = bmcs.get(victim.node());
        assertThat(bmc.poweredOff()).isTrue();
        assertThat(bmc.chassisLog()).contains("set power 0");
        assertThat(bmcs.get(masterNode).poweredOff() || bmcs.get(target.node()).poweredOff()).isFalse();
        String log = HavenCluster.haLog(cluster.node(0), cluster.node(1), cluster.node(2));
        assertThat(log).contains("pve-ha-crm: fencing: acknowledged - hardware fencing of node '" + victim.node() + "' succeeded")
            .contains("pve-ha-crm: recover service '" + SID + "' from fenced node '" + victim.node() + "' to node '" + target.node() + "'")
            .doesNotContain("got agent lock for node '" + victim.node() + "'");
        for (HavenNode n : cluster.nodes()) assertThat(n.stdout()).doesNotContain("password=" + Bmc.PASSWORD);
    }

    /** The HA log of the daemons, the end of each daemon's output and the BMCs' chassis commands. */
    String diagnostics() {
        StringBuilder sb = new StringBuilder(HavenCluster.haLog(cluster.nodes().toArray(HavenNode[]::new)));
        for (HavenNode n : cluster.nodes()) {
            String[] lines = n.stdout().split("\n");
            sb.append("--- ").append(n.node()).append(" (daemon alive: ").append(n.process().isAlive()).append(")\n")
                .append(String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 30), lines.length)))
                .append('\n');
        }
        bmcs.forEach((node, b) -> {
            try {
                sb.append("--- BMC of ").append(node).append(":\n").append(b.chassisLog());
            } catch (java.io.IOException e) {
                sb.append(e).append('\n');
            }
        });
        return sb.toString();
    }

    /** The CRM master that {@code ha-manager status} on {@code via} shows, once there is one other than {@code not}. */
    static String awaitMaster(HavenNode via, String not) throws Exception {
        String[] master = new String[1];
        Await.until("a CRM master" + (not == null ? "" : " other than " + not), Duration.ofSeconds(120), Duration.ofSeconds(1), () -> {
            java.util.regex.Matcher mm = java.util.regex.Pattern.compile("master (\\S+) \\(active").matcher(via.cli("ha-manager", "status").out());
            if (!mm.find() || mm.group(1).equals(not)) return false;
            master[0] = mm.group(1);
            return true;
        }, Await.haState(via));
        return master[0];
    }

    /** Waits until {@code ha-manager status} on {@code via} shows the guest's service with {@code nodeAndState}. */
    static void awaitHaStatus(HavenNode via, String nodeAndState) throws Exception {
        Await.until("service " + SID + " " + nodeAndState, Duration.ofSeconds(120), Duration.ofSeconds(1),
            () -> via.cli("ha-manager", "status").out().contains("service " + SID + " " + nodeAndState), Await.haState(via));
    }

    static void api(HavenNode via, HavenNode.Auth auth, String method, String path, Map<String, String> form) throws Exception {
        HavenNode.Resp r = via.send(method, path, form, auth);
        assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    }

    static void ok(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
    }
}
