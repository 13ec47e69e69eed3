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

import org.haven.core.HaltPoint;
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
 * A node's daemon dies (halts, as on power loss) at each step of an HA start, of the arrival of an HA migration and of
 * a recovery: before QEMU runs, after QEMU runs but before the start returned, and after the start returned (for a
 * migration: after the switch-over, with the guest resumed on the target). Three real daemons, a
 * guest on shared storage, the fastest safe HA timing. After each death the node's watchdog supervisor must leave
 * no guest process of that node behind, the master fences the node and recovers the guest, and the guest never
 * runs twice: a sampler looks at every node's QEMU processes for the guest through the whole test.
 *
 * <p>node1 starts the cluster alone and becomes the CRM master (and the cfs leader); node2 and node3 join and are the
 * only nodes that die, never both at once, so the master always keeps a quorum. The test arms a node's step in the
 * file its daemon's {@code haven.test.haltfile} names ({@link HaltPoint}); the next start on that node halts there.
 * <ol>
 *   <li>starts: with the guest restricted to node2 and node3, a start on one dies at each step in turn and the guest
 *       is recovered on the other;</li>
 *   <li>migrations: the running guest migrates to the other node of the two, whose daemon dies at each step of the
 *       guest's arrival; the target's LRM holds its agent lock and watchdog before the guest starts there, so its
 *       reset kills the arriving copy; the guest stays on its source until the switch-over, after it the manager
 *       fences the target and recovers the guest;</li>
 *   <li>recoveries: with the guest restricted to one node, that node's daemon is killed with the guest running, then
 *       each recovery of the guest to it when it comes back dies at the next step, until one runs it.</li>
 * </ol>
 */
@E2eTest
class HaKillAtEveryStepTest {
    static final int VMID = 4747;
    static final String SID = "vm:" + VMID;
    static final String BEFORE = "qemu-start:before", AFTER_EXEC = "qemu-start:after", AFTER = "ha-start:after";
    static final String RESUMED = "qemu-resume:after";
    static final Duration HALT_WAIT = Duration.ofSeconds(150);

    Path dir;
    HavenCluster cluster;
    Sampler sampler;

    @AfterEach
    void cleanup() throws Exception {
        if (sampler != null) sampler.interrupt();
        try {
            if (cluster != null) cluster.close();
        } finally {
            if (dir != null) {
                HavenCluster.killProcessesUsing(dir);
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    Path haltFile(String node) { return dir.resolve(node + ".halt"); }

    /**
     * The guest's QEMU processes started by {@code node}'s daemons (by the pid file QEMU was given): live processes, less
     * a child of another one.
     */
    static List<Long> qemuOf(Path dataDir, List<NodeProcesses.Process> table) { return qemuOf(dataDir, table, VMID); }

    /** The QEMU processes of guest {@code vmid} started by the daemons of {@code dataDir}. */
    static List<Long> qemuOf(Path dataDir, List<NodeProcesses.Process> table, int vmid) {
        String pidfile = dataDir.resolve("run/qemu-server/" + vmid + ".pid").toString();
        Map<Long, Long> guests = new TreeMap<>();
        for (NodeProcesses.Process p : table) {
            int i = p.argv().indexOf("-pidfile");
            if (p.state() != 'Z' && i >= 0 && i + 1 < p.argv().size() && p.argv().get(i + 1).equals(pidfile)) guests.put(p.pid(), p.ppid());
        }
        List<Long> out = new ArrayList<>();
        guests.forEach((pid, ppid) -> { if (!guests.containsKey(ppid)) out.add(pid); });
        return out;
    }

    /**
     * Samples every node's QEMU processes for the guest; remembers every sample where two nodes had one, except the
     * source of a migration ({@link #migrationSource}) beside its target's copy: that one waits for the state, paused.
     */
    final class Sampler extends Thread {
        final List<String> twoCopies = Collections.synchronizedList(new ArrayList<>());
        volatile int samples;
        /** The QEMU process the guest ran in when the test asked for a migration; 0 outside a migration. */
        volatile long migrationSource;

        Sampler() { super("copies-sampler"); setDaemon(true); }

        Map<String, List<Long>> sample() {
            List<NodeProcesses.Process> table = NodeProcesses.read(Path.of("/proc"));
            Map<String, List<Long>> on = new TreeMap<>();
            for (String n : List.of("node1", "node2", "node3")) {
                List<Long> pids = qemuOf(dir.resolve(n), table);
                if (!pids.isEmpty()) on.put(n, pids);
            }
            return on;
        }

        @Override public void run() {
            while (!isInterrupted()) {
                Map<String, List<Long>> on = sample();
                samples++;
                // a daemonizing QEMU forks twice, so one node may show two processes of one copy for a moment
                long source = migrationSource;
                boolean migrating = on.size() == 2 && source != 0 && on.values().stream().anyMatch(p -> p.contains(source));
                if (on.size() > 1 && !migrating) twoCopies.add(java.time.Instant.now() + " " + on);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    int index(String node) { return Integer.parseInt(node.substring(4)) - 1; }

    HavenNode node(String name) { return cluster.node(index(name)); }

    void arm(String node, String step) throws Exception { Files.writeString(haltFile(node), step); }

    /**
     * Waits until {@code node}'s daemon halted at {@code step} (with the guest's QEMU left running when it had
     * started), then until the node's watchdog supervisor reset the node and no guest process of it is left;
     * disarms the node.
     */
    void awaitDeath(String node, String step, boolean guestStarted) throws Exception {
        HavenNode n = node(node);
        Await.until(node + " halting at " + step, HALT_WAIT, Duration.ofMillis(100), () -> !n.process().isAlive(),
            () -> haLog() + "\nguest now: " + sampler.sample());
        List<Long> left = qemuOf(n.dataDir(), NodeProcesses.read(Path.of("/proc")));
        assertThat(n.process().exitValue()).isEqualTo(137);
        assertThat(n.stdout()).contains("halting at step " + step);
        Files.deleteIfExists(haltFile(node));
        if (guestStarted) assertThat(left).as("the guest's QEMU on " + node + " right after its daemon died").isNotEmpty();
        else assertThat(left).isEmpty();
        Await.until(node + "'s watchdog reset", Duration.ofSeconds(30), Duration.ofMillis(200),
            () -> n.stdout().contains("watchdog-mux: node reset: killed"), n::stdout);
        var table = NodeProcesses.read(Path.of("/proc"));
        assertThat(qemuOf(n.dataDir(), table)).isEmpty();
        assertThat(NodeProcesses.select(table, List.of(n.dataDir().resolve("run")), 0, ProcessHandle.current().pid()))
            .as("processes of " + node + " after its reset").isEmpty();
    }

    HavenNode.Auth auth;

    /** The entry of type {@code type} (and {@code sid} for a service) of the master's {@code /cluster/ha/status/current}. */
    tools.jackson.databind.JsonNode haStatus(HavenNode via, String type) throws Exception {
        HavenNode.Resp r = via.get("/cluster/ha/status/current", auth);
        if (r.status() != 200 || r.data() == null) return null;
        for (tools.jackson.databind.JsonNode e : r.data()) {
            if (e.path("type").asString().equals(type) && (!type.equals("service") || e.path("sid").asString().equals(SID))) return e;
        }
        return null;
    }

    /** The node the manager has the guest on. */
    String serviceNode(HavenNode via) throws Exception {
        var e = haStatus(via, "service");
        return e == null ? null : e.path("node").asString();
    }

    /** Waits until the guest runs on {@code node} (and nowhere else). */
    void awaitRunningOn(HavenNode master, String node) throws Exception {
        Await.until("the guest running on " + node, HALT_WAIT, Duration.ofMillis(500), () -> {
            var e = haStatus(master, "service");
            return sampler.sample().keySet().equals(Set.of(node)) && e != null && e.path("node").asString().equals(node)
                && e.path("state").asString().equals("started");
        }, this::haLog);
    }

    String haLog() { return HavenCluster.haLog(cluster.nodes().toArray(HavenNode[]::new)); }

    @Test
    void aNodeThatDiesAtAnyStepOfAStartMigrationOrRecoveryLeavesNoGuestBehindAndTheGuestNeverRunsTwice() throws Exception {
        TestGuest.require();
        dir = Files.createTempDirectory("haven-ha-kill");
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        Path shared = Files.createDirectories(dir.resolve("shared"));
        // node1 alone first: it becomes the CRM master (and stays the cfs leader), the others only ever die
        cluster = HavenCluster.start(dir, "killtest", 1, node -> List.of("-D" + HaltPoint.PROPERTY + "=" + haltFile(node)));
        HavenNode m = cluster.node(0);
        sampler = new Sampler();
        sampler.start();
        List<String> set = new ArrayList<>(List.of("set", "/cluster/ha/timing"));
        for (String k : org.haven.cfs.LockTable.HaTiming.KEYS) set.addAll(List.of("--" + k, Long.toString(HaFailoverTest.FAST.get(k))));
        ok(m.cli("pvesh", set.toArray(String[]::new)));
        ok(m.cli("pvesm", "add", "dir", "shared", "--path", shared.toString(), "--shared", "1", "--content", "images"));
        CliResult create = m.cli("qm", "create", Integer.toString(VMID), "--name", "ha-kill", "--memory", "128", "--serial0", "socket",
            "--vga", "serial0", "--scsi0", "shared:0.1,format=qcow2", "--args", TestGuest.args(initrd));
        // on a loaded host the cfs client may resend the create that had already been applied
        if (create.exit() != 0) assertThat(create.err()).contains("config file already exists");
        assertThat(m.cli("qm", "config", Integer.toString(VMID)).out()).contains("name: ha-kill");
        auth = m.login("admin@pve", m.adminPassword());
        api(m, "POST", "/cluster/ha/resources", Map.of("sid", SID, "state", "stopped"));
        Await.until("node1 the CRM master", Duration.ofSeconds(120), Duration.ofSeconds(1), () -> {
            var e = haStatus(m, "master");
            return e != null && e.path("node").asString().equals("node1") && e.path("status").asString().contains("(active");
        }, Await.haState(m));
        cluster.join("node2");
        cluster.join("node3");
        cluster.awaitOnline(3, Duration.ofSeconds(180));
        String a = "node2", b = "node3";
        api(m, "POST", "/cluster/ha/groups", Map.of("group", "victims", "nodes", a + "," + b, "restricted", "1", "nofailback", "1"));
        api(m, "PUT", "/cluster/ha/resources/" + SID, Map.of("group", "victims"));
        api(m, "POST", "/cluster/ha/resources/" + SID + "/migrate", Map.of("node", a));
        Await.until("the guest's config on " + a, Duration.ofSeconds(90), Duration.ofSeconds(1), () -> a.equals(serviceNode(m)), this::haLog);

        // a start dies at each step on the guest's node; the guest is recovered on the other node of the group
        String on = a;
        for (String step : List.of(BEFORE, AFTER_EXEC, AFTER)) {
            String other = on.equals(a) ? b : a;
            arm(on, step);
            requestState(m, "started");
            awaitDeath(on, step, !step.equals(BEFORE));
            awaitRunningOn(m, other);
            cluster.restart(index(on));
            requestState(m, "stopped");
            Await.until("the guest stopped", HALT_WAIT, Duration.ofMillis(500), () -> sampler.sample().isEmpty()
                && "stopped".equals(haStatus(m, "service").path("state").asString()), this::haLog);
            on = other;
        }

        // migrations: the guest runs on 'on' and migrates to the other node of the group, whose daemon dies at each
        // step of the guest's arrival; the switch-over comes after the resume of the guest there
        requestState(m, "started");
        awaitRunningOn(m, on);
        String target = on.equals(a) ? b : a;
        for (String step : List.of(BEFORE, AFTER_EXEC, RESUMED)) {
            awaitNodeOnline(m, target);
            long source = qemuOf(node(on).dataDir(), NodeProcesses.read(Path.of("/proc"))).getFirst();
            sampler.migrationSource = source;
            arm(target, step);
            api(m, "POST", "/cluster/ha/resources/" + SID + "/migrate", Map.of("node", target));
            awaitDeath(target, step, !step.equals(BEFORE));
            awaitRunningOn(m, on);
            boolean switched = step.equals(RESUMED);
            assertThat(ProcessHandle.of(source).map(ProcessHandle::isAlive).orElse(false))
                .as("the guest's process on its source " + on + " after the target died at " + step).isEqualTo(!switched);
            sampler.migrationSource = 0;
            cluster.restart(index(target));
        }

        // recoveries: the group holds only the guest's node, so each recovery waits for it to come back (the other
        // node and the master stay a quorum); the node dies first with the guest running, then at each step of the
        // recovery of the guest to it
        api(m, "PUT", "/cluster/ha/groups/victims", Map.of("nodes", on));
        requestState(m, "started");
        awaitRunningOn(m, on);
        HavenNode x = node(on);
        long first = qemuOf(x.dataDir(), NodeProcesses.read(Path.of("/proc"))).getFirst();
        x.process().destroyForcibly().waitFor();
        Await.until("the guest killed by " + on + "'s watchdog reset", Duration.ofSeconds(30), Duration.ofMillis(200),
            () -> ProcessHandle.of(first).map(h -> !h.isAlive()).orElse(true) && x.stdout().contains("watchdog-mux: node reset: killed"),
            x::stdout);
        for (String step : List.of(BEFORE, AFTER_EXEC, AFTER)) {
            arm(on, step);
            // the recovery may reach the node before its API serves
            cluster.restartNoWait(index(on));
            awaitDeath(on, step, !step.equals(BEFORE));
        }
        cluster.restart(index(on));
        awaitRunningOn(m, on);

        assertThat(sampler.samples).isGreaterThan(100);
        assertThat(sampler.twoCopies).as("samples with the guest on two nodes").isEmpty();
        String masterLog = Files.readString(m.dataDir().resolve("log/havend.log"));
        for (String victim : List.of(a, b)) {
            assertThat(masterLog).contains("pve-ha-crm: fencing: acknowledged - got agent lock for node '" + victim + "'")
                .contains("pve-ha-crm: recover service '" + SID + "' from fenced node '" + victim + "'");
        }
        // the recoveries onto 'on' end with the guest running there (checked above): whether the manager fenced 'on'
        // again or 'on' took its agent lock back first depends on how fast it came back; both paths are safe
    }

    /** Waits until the manager has {@code node} online again (a migration to a node it does not see online is ignored). */
    void awaitNodeOnline(HavenNode master, String node) throws Exception {
        Await.until(node + " online for the manager", HALT_WAIT, Duration.ofMillis(500), () -> {
            HavenNode.Resp r = master.get("/cluster/ha/status/manager_status", auth);
            return r.status() == 200 && r.data() != null
                && "online".equals(r.data().path("manager_status").path("node_status").path(node).asString());
        }, this::haLog);
    }

    void api(HavenNode via, String method, String path, Map<String, String> form) throws Exception {
        HavenNode.Resp r = via.send(method, path, form, auth);
        assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    }

    /** {@code ha-manager set SID --state STATE}. */
    void requestState(HavenNode via, String state) throws Exception {
        api(via, "PUT", "/cluster/ha/resources/" + SID, Map.of("state", state));
    }

    static void ok(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
    }
}
