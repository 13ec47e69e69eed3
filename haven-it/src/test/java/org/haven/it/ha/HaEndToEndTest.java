package org.haven.it.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.haven.core.testing.E2eTest;
import org.haven.it.Await;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The HA manager inside a real daemon: {@code ha-manager add} makes the node's LRM start a real guest,
 * {@code ha-manager set --state stopped} stops it, and {@code qm start|stop} of the HA-managed guest only
 * change its HA state (guide §14.3) while the LRM does the work. The daemon takes over a shorter HA timing set
 * with {@code pvesh set /cluster/ha/timing} while it runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class HaEndToEndTest {

    static Path dir;
    static HavenNode node;
    static final int VMID = 4343;
    static final String SID = "vm:" + VMID;
    static final Duration WAIT = Duration.ofSeconds(120);

    @BeforeAll
    static void start() throws Exception {
        TestGuest.require();
        dir = Files.createTempDirectory("haven-ha-e2e");
        node = HavenNode.start(dir.resolve("node1"), "node1");
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        CliResult r = node.cli("qm", "create", Integer.toString(VMID), "--name", "ha-guest", "--memory", "128",
                "--serial0", "socket", "--vga", "serial0", "--args", TestGuest.args(initrd));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        // short HA rounds (the fastest safe timing), taken over by the running daemon
        CliResult t = node.cli("pvesh", "set", "/cluster/ha/timing", "--round", "2", "--watchdog_timeout", "8",
                "--device_timeout", "4", "--lock_lifetime", "18", "--fence_delay", "8");
        assertThat(t.exit()).as(t.out() + t.err()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (node == null) return;
        try {
            node.cli("ha-manager", "remove", SID);
        } catch (Exception ignored) {
            // best effort
        }
        killGuest();
        node.close();
        killGuest();
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static void killGuest() throws Exception {
        Path pidfile = node.dataDir().resolve("run/qemu-server/" + VMID + ".pid");
        if (Files.exists(pidfile)) {
            long pid = Long.parseLong(Files.readString(pidfile).trim());
            ProcessHandle.of(pid).ifPresent(h -> { h.destroyForcibly(); h.onExit().join(); });
        }
    }

    Auth admin() throws Exception { return node.login("admin@pve", node.adminPassword()); }

    JsonNode status() throws Exception {
        return node.get("/nodes/node1/qemu/" + VMID + "/status/current", admin()).data();
    }

    boolean qmpRunning() throws Exception {
        JsonNode st = status();
        return st != null && "running".equals(st.path("status").asString()) && "running".equals(st.path("qmpstatus").asString());
    }

    boolean stopped() throws Exception {
        JsonNode st = status();
        return st != null && "stopped".equals(st.path("status").asString());
    }

    static void await(String what, Await.Check c) throws Exception {
        Await.until(what, WAIT, Duration.ofMillis(500), c, Await.haState(node));
    }

    String resourcesCfg() throws Exception {
        Path p = node.cfsDir().resolve("ha/resources.cfg");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    @Test @Order(1)
    void addWithStateStartedMakesTheLrmStartTheGuest() throws Exception {
        assertThat(stopped()).isTrue();
        CliResult add = node.cli("ha-manager", "add", SID, "--state", "started", "--max_restart", "0");
        assertThat(add.exit()).as(add.out() + add.err()).isZero();
        await("the LRM to start " + SID, this::qmpRunning);

        await("status 'started'", () -> node.cli("ha-manager", "status").out().contains("service " + SID + " (node1, started)"));
        assertThat(node.stdout()).contains("HA timing: round 2 s, watchdog 8 s, device 4 s, lock lifetime 18 s, fence delay 8 s");
        // the HA log is in the daemon log, under PVE's daemon names
        String log = Files.readString(node.dataDir().resolve("log/havend.log"));
        assertThat(log).containsPattern("pve-ha-crm: status change \\w+ => master")
                .contains("pve-ha-lrm: starting service " + SID).contains("pve-ha-lrm: service status " + SID + " started");
        CliResult st = node.cli("ha-manager", "status");
        assertThat(st.out()).contains("quorum OK\n").containsPattern("master node1 \\(active, ")
                .containsPattern("lrm node1 \\(active, ");
        assertThat(node.cli("qm", "status", Integer.toString(VMID)).out()).isEqualTo("status: running\n");
    }

    @Test @Order(2)
    void setStateStoppedStopsTheGuest() throws Exception {
        CliResult set = node.cli("ha-manager", "set", SID, "--state", "stopped");
        assertThat(set.exit()).as(set.out() + set.err()).isZero();
        await("the LRM to stop " + SID, this::stopped);
        await("status 'stopped'", () -> node.cli("ha-manager", "status").out().contains("service " + SID + " (node1, stopped)"));
    }

    @Test @Order(3)
    void qmStartOfAnHaGuestRequestsHaStart() throws Exception {
        CliResult start = node.cli("qm", "start", Integer.toString(VMID));
        assertThat(start.exit()).as(start.out() + start.err()).isZero();
        // the request only changed the HA state; the LRM starts the guest
        assertThat(resourcesCfg()).contains("vm: " + VMID + "\n").contains("\tstate started\n");
        JsonNode tasks = node.get("/nodes/node1/tasks?vmid=" + VMID + "&typefilter=hastart", admin()).data();
        assertThat(tasks.size()).as(tasks.toString()).isGreaterThanOrEqualTo(1);
        await("the LRM to start " + SID + " after qm start", this::qmpRunning);
    }

    @Test @Order(4)
    void qmStopOfAnHaGuestGoesThroughTheCrm() throws Exception {
        await("status 'started'", () -> node.cli("ha-manager", "status").out().contains("service " + SID + " (node1, started)"));
        CliResult stop = node.cli("qm", "stop", Integer.toString(VMID));
        assertThat(stop.exit()).as(stop.out() + stop.err()).isZero();
        JsonNode tasks = node.get("/nodes/node1/tasks?vmid=" + VMID + "&typefilter=hastop", admin()).data();
        assertThat(tasks.size()).as(tasks.toString()).isGreaterThanOrEqualTo(1);
        await("the CRM to stop " + SID + " after qm stop", this::stopped);
        // the manager's stop command also records the requested state
        await("requested state stopped", () -> resourcesCfg().contains("\tstate stopped\n"));
        await("status 'stopped'", () -> node.cli("ha-manager", "status").out().contains("service " + SID + " (node1, stopped)"));
    }

    @Test @Order(5)
    void removeLeavesTheGuestAlone() throws Exception {
        CliResult rm = node.cli("ha-manager", "remove", SID);
        assertThat(rm.exit()).as(rm.out() + rm.err()).isZero();
        // not managed any more: qm start starts the guest directly
        CliResult start = node.cli("qm", "start", Integer.toString(VMID));
        assertThat(start.exit()).as(start.out() + start.err()).isZero();
        assertThat(qmpRunning()).isTrue();
        CliResult stop = node.cli("qm", "stop", Integer.toString(VMID));
        assertThat(stop.exit()).as(stop.out() + stop.err()).isZero();
        assertThat(stopped()).isTrue();
    }
}
