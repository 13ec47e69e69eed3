package org.haven.it.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.haven.it.HavenNode;
import org.haven.it.HavenNode.CliResult;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Three node daemons on the replicated cluster file system, an HA-managed guest (kernel and initramfs from a
 * directory all nodes see, no local disks) is relocated with {@code ha-manager relocate}; then its node loses power (its daemon and guest are killed),
 * the master acknowledges the fencing through the node's agent lock and recovers the guest on a surviving
 * node, where the LRM starts it; the guest never runs on two nodes.
 */
class HaFailoverTest {
    static final int VMID = 4545;
    static final String SID = "vm:" + VMID;

    Path dir;
    final List<HavenNode> nodes = new ArrayList<>();
    final List<Long> guestPids = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        for (HavenNode n : nodes) {
            Path pidfile = n.dataDir().resolve("run/qemu-server/" + VMID + ".pid");
            if (Files.exists(pidfile)) guestPids.add(Long.parseLong(Files.readString(pidfile).trim()));
        }
        for (long pid : guestPids) ProcessHandle.of(pid).ifPresent(h -> { h.destroyForcibly(); h.onExit().join(); });
        for (HavenNode n : nodes) n.close();
        for (long pid : guestPids) ProcessHandle.of(pid).ifPresent(h -> { h.destroyForcibly(); h.onExit().join(); });
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    static JsonNode json(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return HavenNode.JSON.readTree(r.out());
    }

    /** Joins {@code name} by seeding its cfs state from the cluster's grant, as the joiner side of pvecm add does. */
    HavenNode join(HavenNode first, String name) throws Exception {
        int port = HavenNode.freePort();
        JsonNode grant = json(first.cli("pvesh", "create", "/cluster/config/nodes/" + name, "--link0", "127.0.0.1",
                "--cfsport", Integer.toString(port), "--output-format", "json"));
        Path data = dir.resolve(name);
        Path raft = data.resolve("cfs-raft");
        Files.createDirectories(raft);
        Files.writeString(raft.resolve("node.properties"), "group=" + grant.path("cfs_group").asString() + "\ngeneration="
                + grant.path("cfs_generation").asLong() + "\nnodeid=" + grant.path("nodeid").asInt() + "\n");
        Files.writeString(raft.resolve("corosync.conf"), grant.path("corosync_conf").asString());
        Files.createDirectories(data.resolve("cfs"));
        Files.copy(first.cfsDir().resolve("pve-root-ca.pem"), data.resolve("cfs/pve-root-ca.pem"));
        HavenNode n = HavenNode.start(data, name, List.of(), List.of("--cfs-port", Integer.toString(port)));
        nodes.add(n);
        return n;
    }

    static boolean running(HavenNode n) throws Exception {
        CliResult r = n.cli("qm", "status", Integer.toString(VMID));
        return r.exit() == 0 && r.out().equals("status: running\n");
    }

    static void await(String what, Duration max, HaEndToEndTest.Check c, HavenNode diag) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!c.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "\n" + diag.cli("ha-manager", "status").out()
                        + "\n" + HaEndToEndTest.tail(diag.stdout()));
            }
            Thread.sleep(1000);
        }
    }

    @Test
    void powerLossOfTheGuestsNodeRecoversTheGuestElsewhere() throws Exception {
        assumeTrue(TestGuest.available(), "needs a kernel in /boot, busybox-static and qemu-system-x86");
        dir = Files.createTempDirectory("haven-ha-failover");
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));

        // a first local start creates the cluster CA the test's HTTPS client trusts; the tree moves to the replicated cfs
        HavenNode.start(dir.resolve("node1"), "node1").close();
        HavenNode n1 = HavenNode.start(dir.resolve("node1"), "node1", List.of(),
                List.of("--cfs-port", Integer.toString(HavenNode.freePort())));
        nodes.add(n1);
        CliResult create = n1.cli("pvecm", "create", "hatest");
        assertThat(create.exit()).as(create.out() + create.err()).isZero();
        HavenNode n2 = join(n1, "node2");
        HavenNode n3 = join(n1, "node3");
        await("three online members", Duration.ofSeconds(120), () -> {
            JsonNode st = json(n1.cli("pvesh", "get", "/cluster/status", "--output-format", "json"));
            int online = 0;
            for (JsonNode e : st) if (e.path("type").asString().equals("node") && e.path("online").asInt() == 1) online++;
            return online == 3;
        }, n1);

        CliResult qm = n2.cli("qm", "create", Integer.toString(VMID), "--name", "ha-failover", "--memory", "128",
                "--serial0", "socket", "--vga", "serial0", "--args", TestGuest.args(initrd));
        assertThat(qm.exit()).as(qm.out() + qm.err()).isZero();
        CliResult add = n1.cli("ha-manager", "add", SID, "--state", "started");
        assertThat(add.exit()).as(add.out() + add.err()).isZero();
        await("the guest running on node2", Duration.ofSeconds(180), () -> running(n2), n1);
        long firstPid = Long.parseLong(Files.readString(n2.dataDir().resolve("run/qemu-server/" + VMID + ".pid")).trim());
        guestPids.add(firstPid);

        // relocation: stopped on node2, config moved, started on node3
        CliResult relocate = n1.cli("ha-manager", "relocate", SID, "node3");
        assertThat(relocate.exit()).as(relocate.out() + relocate.err()).isZero();
        await("the guest relocated to node3", Duration.ofSeconds(180), () -> running(n3), n1);
        assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(running(n2)).isFalse();
        long oldPid = Long.parseLong(Files.readString(n3.dataDir().resolve("run/qemu-server/" + VMID + ".pid")).trim());
        guestPids.add(oldPid);

        // power loss of node3: its daemon and its guest die at once
        n3.process().destroyForcibly();
        ProcessHandle.of(oldPid).ifPresent(ProcessHandle::destroyForcibly);
        n3.process().waitFor();

        List<HavenNode> survivors = List.of(n1, n2);
        await("the guest recovered on a surviving node", Duration.ofSeconds(420), () -> {
            for (HavenNode n : survivors) if (running(n)) return true;
            return false;
        }, n1);
        Optional<HavenNode> now = Optional.empty();
        for (HavenNode n : survivors) if (running(n)) now = Optional.of(n);
        assertThat(now).isPresent();
        assertThat(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        String logs = n1.stdout() + n2.stdout();
        assertThat(logs).contains("fencing: acknowledged - got agent lock for node 'node3'");
        assertThat(logs).contains("recover service '" + SID + "' from fenced node 'node3' to node '" + now.get().node() + "'");
        // exactly one node runs it
        int runningOn = 0;
        for (HavenNode n : survivors) if (running(n)) runningOn++;
        assertThat(runningOn).isEqualTo(1);
    }
}
