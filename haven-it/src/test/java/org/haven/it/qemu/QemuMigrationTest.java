package org.haven.it.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.haven.core.testing.E2eTest;
import org.haven.it.Await;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.CliResult;
import org.haven.qemu.testing.SerialReader;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * VM migration between two real node daemons of one cluster, with a {@code dir} storage both nodes see
 * ({@code shared 1}) holding the guest's qcow2 disk. One guest boot: it is live-migrated node1 → node2 (secure,
 * TLS) and back (insecure), keeping its console counter (the same guest, never restarted); then stopped and
 * migrated offline; then HA-managed and moved with {@code ha-manager migrate} while it runs. The refusals
 * (local node, unknown node, running without --online, local devices, local disks) are checked on the way.
 * The guest has a NIC on an isolated bridge: both nodes run on this one host and name their taps per node, so the
 * guest and its incoming copy have one each.
 */
@E2eTest
class QemuMigrationTest {
    static final int VMID = 901;
    static final String BRIDGE = "hvm" + ProcessHandle.current().pid() % 100000;

    Path dir;
    HavenCluster cluster;
    final List<Long> guestPids = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        // daemons first: a running HA agent would start a killed HA guest again
        if (cluster != null) cluster.close();
        for (long pid : guestPids) kill(pid);
        removeTestDir(dir);
        new ProcessBuilder("ip", "link", "delete", "dev", BRIDGE).start().waitFor();
    }

    /** Whether node {@code node}'s tap of the guest's {@code net0} exists. */
    static boolean tap(String node) {
        return Files.exists(Path.of("/sys/class/net", org.haven.qemu.cmd.HostInfo.tapName(VMID, 0, node)));
    }

    /** Kill every QEMU still using {@code dir}, then delete it. */
    static void removeTestDir(Path dir) throws Exception {
        if (dir != null) {
            // every QEMU still using the test directory (pidfiles may be gone or name a newer process)
            String marker = dir.toString() + "/";
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(f -> f.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8);
                        if (cmd.startsWith("/usr/bin/qemu-system") && cmd.contains(marker)) kill(Long.parseLong(p.getFileName().toString()));
                    } catch (java.io.IOException | RuntimeException ignored) {
                        // gone meanwhile
                    }
                }
            }
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** SIGKILL and wait a little (an exited QEMU may stay a zombie until it is reaped). */
    static void kill(long pid) {
        if (!alive(pid)) return;
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroyForcibly();
            try {
                h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // a zombie
            }
        });
    }

    static void await(String what, Duration max, Await.Check c, HavenNode diag) throws Exception {
        Await.until(what, max, Duration.ofMillis(500), c, Await.haState(diag));
    }

    static CliResult ok(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return r;
    }

    static String qmpStatus(HavenNode n) throws Exception {
        CliResult r = n.cli("qm", "status", Integer.toString(VMID), "--verbose");
        if (r.exit() != 0) return "none";
        for (String l : r.out().split("\n")) if (l.startsWith("qmpstatus: ")) return l.substring(11).trim();
        return "unknown";
    }

    static long pid(HavenNode n) throws Exception {
        return Long.parseLong(Files.readString(n.dataDir().resolve("run/qemu-server/" + VMID + ".pid")).trim());
    }

    /** True while the process exists and is not a zombie. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The newest console counter of the guest on {@code n} (waits until one is printed). */
    static int counter(HavenNode n) throws Exception {
        return newest(n, TestGuest::counters, "no console output from the guest on " + n.node());
    }

    /** The newest number {@code parse} finds on the console of the guest on {@code n} (waits until it found two). */
    static int newest(HavenNode n, java.util.function.Function<String, List<Integer>> parse, String failure) throws Exception {
        try (SerialReader r = new SerialReader(n.dataDir().resolve("run/qemu-server/" + VMID + ".serial0"))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                List<Integer> c = parse.apply(r.text());
                if (c.size() >= 2) return c.get(c.size() - 1);
                Thread.sleep(200);
            }
            throw new AssertionError(failure + ": " + r.text());
        }
    }

    static String conf(HavenNode n) throws Exception {
        CliResult r = n.cli("qm", "config", Integer.toString(VMID));
        return r.exit() == 0 ? r.out() : "";
    }

    @Test
    void liveOfflineAndHaMigrationBetweenTwoNodes() throws Exception {
        TestGuest.require();
        dir = Files.createTempDirectory("haven-migrate");
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        Path shared = Files.createDirectories(dir.resolve("shared"));

        cluster = HavenCluster.start(dir, "migtest", 2);
        HavenNode n1 = cluster.node(0), n2 = cluster.node(1);
        String id = Integer.toString(VMID);

        ok(n1.cli("pvesm", "add", "dir", "shared", "--path", shared.toString(), "--shared", "1", "--content", "images"));
        ok(n1.cli("qm", "create", id, "--name", "migrant", "--memory", "128", "--serial0", "socket", "--vga", "serial0",
                "--scsi0", "shared:0.1,format=qcow2", "--net0", "virtio=BC:24:11:AA:BB:09,bridge=" + BRIDGE, "--args", TestGuest.args(initrd)));
        assertThat(Files.exists(shared.resolve("images/" + id + "/vm-" + id + "-disk-0.qcow2"))).isTrue();

        // refusals that need no running guest
        CliResult local = n1.cli("qm", "migrate", id, "node1");
        assertThat(local.exit()).isNotZero();
        assertThat(local.err()).contains("target is local node.");
        CliResult unknown = n1.cli("qm", "migrate", id, "node7");
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err()).contains("no such cluster node 'node7'");

        // the receiving end of disk copies takes root's ticket and CSRF token only
        HavenNode.Auth admin = n1.login("admin@pve", n1.adminPassword());
        java.net.URI imp = java.net.URI.create("https://127.0.0.1:" + n1.port()
                + "/haven/migration/import-volume?volume=local:902/vm-902-disk-9.raw&format=raw%2Bsize");
        var body = java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[]{0, 0, 1, 0, 0, 0, 0, 0});
        var anon = n1.https().send(java.net.http.HttpRequest.newBuilder(imp).PUT(body).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(anon.statusCode()).isEqualTo(401);
        var asAdmin = n1.https().send(java.net.http.HttpRequest.newBuilder(imp).PUT(body)
                .header("Cookie", "PVEAuthCookie=" + java.net.URLEncoder.encode(admin.ticket(), java.nio.charset.StandardCharsets.UTF_8))
                .header("CSRFPreventionToken", admin.csrf()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(asAdmin.statusCode()).as(asAdmin.body()).isEqualTo(403);
        assertThat(Files.exists(n1.dataDir().resolve("storage/local/images/902/vm-902-disk-9.raw"))).isFalse();

        ok(n1.cli("qm", "create", "902", "--memory", "64", "--scsi0", "local:0.01"));
        ok(n1.cli("qm", "create", "903", "--memory", "64", "--serial1", "/dev/ttyS0"));
        JsonNode pre = HavenNode.JSON.readTree(ok(n1.cli("pvesh", "get", "/nodes/node1/qemu/902/migrate", "--output-format", "json")).out());
        assertThat(pre.path("running").asInt()).isZero();
        assertThat(pre.path("local_disks").get(0).path("volid").asString()).startsWith("local:902/vm-902-disk-0");
        assertThat(pre.path("allowed_nodes").get(0).asString()).isEqualTo("node2");
        // offline with a local disk: the disk is copied to node2's local storage, the source copy removed
        Path src902 = n1.dataDir().resolve("storage/local/images/902/vm-902-disk-0.raw");
        long size902 = Files.size(src902);
        try (var f = new java.io.RandomAccessFile(src902.toFile(), "rw")) {
            f.seek(1 << 20);
            f.write("HAVEN-DISK-MARK".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        CliResult localDisk = ok(n1.cli("qm", "migrate", "902", "node2"));
        assertThat(localDisk.out()).contains("found local disk 'local:902/vm-902-disk-0.raw' (attached)")
                .contains("volume 'local:902/vm-902-disk-0.raw' is 'local:902/vm-902-disk-0.raw' on the target")
                .contains("migration finished successfully");
        assertThat(Files.exists(src902)).isFalse();
        Path dst902 = n2.dataDir().resolve("storage/local/images/902/vm-902-disk-0.raw");
        assertThat(Files.size(dst902)).isEqualTo(size902);
        try (var f = new java.io.RandomAccessFile(dst902.toFile(), "r")) {
            byte[] b = new byte[15];
            f.seek(1 << 20);
            f.readFully(b);
            assertThat(new String(b, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("HAVEN-DISK-MARK");
        }
        assertThat(ok(n2.cli("qm", "config", "902")).out()).contains("scsi0: local:902/vm-902-disk-0.raw").doesNotContain("lock:");
        // back with --targetstorage onto a dir storage at one path (not marked shared), then across again: the target
        // finds the name taken (the same directory) and the copy gets the next free name, which the config follows
        Path other = Files.createDirectories(dir.resolve("local2"));
        ok(n1.cli("pvesm", "add", "dir", "local2", "--path", other.toString(), "--content", "images"));
        ok(n2.cli("qm", "migrate", "902", "node1", "--targetstorage", "local:local2"));
        assertThat(ok(n1.cli("qm", "config", "902")).out()).contains("scsi0: local2:902/vm-902-disk-0.raw");
        assertThat(Files.exists(dst902)).isFalse();
        CliResult renamed = ok(n1.cli("qm", "migrate", "902", "node2"));
        assertThat(renamed.out()).contains("volume 'local2:902/vm-902-disk-0.raw' is 'local2:902/vm-902-disk-1.raw' on the target");
        assertThat(ok(n2.cli("qm", "config", "902")).out()).contains("scsi0: local2:902/vm-902-disk-1.raw,size=");
        assertThat(Files.exists(other.resolve("images/902/vm-902-disk-0.raw"))).isFalse();
        try (var f = new java.io.RandomAccessFile(other.resolve("images/902/vm-902-disk-1.raw").toFile(), "r")) {
            byte[] b = new byte[15];
            f.seek(1 << 20);
            f.readFully(b);
            assertThat(new String(b, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("HAVEN-DISK-MARK");
        }
        CliResult device = n1.cli("qm", "migrate", "903", "node2");
        assertThat(device.exit()).isNotZero();
        assertThat(device.out()).contains("can't migrate VM which uses local devices: serial1");

        pre = HavenNode.JSON.readTree(ok(n1.cli("pvesh", "get", "/nodes/node1/qemu/903/migrate", "--output-format", "json")).out());
        assertThat(pre.path("local_resources").get(0).asString()).isEqualTo("serial1");

        // boot on node1
        ok(n1.cli("qm", "start", id));
        long pid1 = pid(n1);
        guestPids.add(pid1);
        int before = counter(n1);
        assertThat(tap("node1")).isTrue();
        pre = HavenNode.JSON.readTree(ok(n1.cli("pvesh", "get", "/nodes/node1/qemu/" + id + "/migrate", "--output-format", "json")).out());
        assertThat(pre.path("running").asInt()).isEqualTo(1);
        assertThat(pre.path("local_disks").size()).isZero();

        CliResult notOnline = n1.cli("qm", "migrate", id, "node2");
        assertThat(notOnline.exit()).isNotZero();
        assertThat(notOnline.err()).contains("can't migrate running VM without --online");

        // live: node1 -> node2 (TLS)
        CliResult live = ok(n1.cli("qm", "migrate", id, "node2", "--online"));
        assertThat(live.out()).contains("starting migration of VM " + id + " to node 'node2'")
                .contains("starting online/live migration on tcp:").contains("migration status: completed")
                .contains("migration finished successfully");
        assertThat(alive(pid1)).as(live.out()).isFalse();
        assertThat(qmpStatus(n2)).isEqualTo("running");
        assertThat(qmpStatus(n1)).isEqualTo("none");
        assertThat(conf(n2)).contains("name: migrant").doesNotContain("lock:");
        long pid2 = pid(n2);
        guestPids.add(pid2);
        int after = counter(n2);
        assertThat(after).as("the console counter continues on the target (same guest)").isGreaterThan(before);
        assertThat(tap("node2")).as("node2's tap").isTrue();
        assertThat(tap("node1")).as("node1's tap is gone with its QEMU").isFalse();

        // the target dies during the transfer: the migration fails, the guest keeps running on node2, unlocked
        var slow = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return n2.cli("qm", "migrate", id, "node1", "--online", "--bwlimit", "2048");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Path incomingPid = n1.dataDir().resolve("run/qemu-server/" + VMID + ".pid");
        await("the incoming QEMU on node1", Duration.ofSeconds(60), () -> Files.exists(incomingPid) && alive(pid(n1)), n2);
        long incoming = pid(n1);
        guestPids.add(incoming);
        Thread.sleep(1000);
        ProcessHandle.of(incoming).ifPresent(ProcessHandle::destroyForcibly);
        CliResult failed = slow.get(180, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(failed.exit()).as(failed.out() + failed.err()).isNotZero();
        assertThat(failed.out()).contains("ERROR: online migrate failure").contains("aborting phase 2 - cleanup resources")
                .contains("ERROR: migration finished with problems");
        assertThat(qmpStatus(n2)).isEqualTo("running");
        assertThat(pid(n2)).isEqualTo(pid2);
        assertThat(conf(n2)).doesNotContain("lock:");
        assertThat(n1.cli("qm", "config", id).exit()).isNotZero();
        int stillUp = counter(n2);
        assertThat(stillUp).isGreaterThan(after);
        after = stillUp;

        // live back: node2 -> node1 without TLS
        CliResult back = ok(n2.cli("qm", "migrate", id, "node1", "--online", "--migration_type", "insecure"));
        assertThat(back.out()).contains("migration finished successfully");
        assertThat(alive(pid2)).isFalse();
        assertThat(qmpStatus(n1)).isEqualTo("running");
        guestPids.add(pid(n1));
        assertThat(counter(n1)).isGreaterThan(after);

        // offline: stopped on node1, config moves to node2
        ok(n1.cli("qm", "stop", id));
        CliResult offline = ok(n1.cli("qm", "migrate", id, "node2"));
        assertThat(offline.out()).contains("migration finished successfully").doesNotContain("online/live");
        assertThat(conf(n2)).contains("name: migrant").doesNotContain("lock:");
        assertThat(n1.cli("qm", "config", id).exit()).isNotZero();

        // HA: started by the manager on node2, then live-migrated to node1 by ha-manager migrate
        ok(n1.cli("ha-manager", "add", "vm:" + id, "--state", "started"));
        await("the HA guest running on node2", Duration.ofSeconds(180), () -> qmpStatus(n2).equals("running"), n1);
        long haPid = pid(n2);
        guestPids.add(haPid);
        // migrate a settled guest (one still loading its modules right after boot is not what this checks)
        int[] seen = new int[1];
        await("the HA guest settled", Duration.ofSeconds(60), () -> (seen[0] = counter(n2)) >= 5, n1);
        int haBefore = seen[0];
        ok(n1.cli("ha-manager", "migrate", "vm:" + id, "node1"));
        await("the HA guest running on node1", Duration.ofSeconds(180), () -> qmpStatus(n1).equals("running"), n1);
        guestPids.add(pid(n1));
        await("the source QEMU gone", Duration.ofSeconds(30), () -> !alive(haPid), n1);
        assertThat(counter(n1)).as("migrated without a restart").isGreaterThan(haBefore);
        assertThat(qmpStatus(n2)).isEqualTo("none");
        // the agent ran it as a qmigrate task of node2
        await("node2's qmigrate task", Duration.ofSeconds(30), () -> {
            CliResult t = n2.cli("pvesh", "get", "/nodes/node2/tasks", "--typefilter", "qmigrate", "--vmid", id, "--output-format", "json");
            if (t.exit() != 0) return false;
            for (JsonNode e : HavenNode.JSON.readTree(t.out()))
                if (e.path("status").asString().equals("OK") && e.path("user").asString().equals("root@pam")) return true;
            return false;
        }, n1);

        // qm migrate of an HA-managed guest asks the manager (PVE's hamigrate task), once it has seen the move
        await("the manager seeing the guest on node1", Duration.ofSeconds(60),
                () -> n1.cli("ha-manager", "status").out().contains("service vm:" + id + " (node1, started)"), n1);
        CliResult viaQm = ok(n1.cli("qm", "migrate", id, "node2", "--online"));
        assertThat(viaQm.out()).contains("Requesting HA migration for VM " + id + " to node node2");
        await("the HA guest back on node2", Duration.ofSeconds(180), () -> qmpStatus(n2).equals("running"), n1);
        guestPids.add(pid(n2));
        assertThat(qmpStatus(n1)).isEqualTo("none");
    }
}
