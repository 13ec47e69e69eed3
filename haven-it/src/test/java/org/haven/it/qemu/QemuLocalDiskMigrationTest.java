package org.haven.it.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.haven.it.qemu.QemuMigrationTest.VMID;
import static org.haven.it.qemu.QemuMigrationTest.alive;
import static org.haven.it.qemu.QemuMigrationTest.conf;
import static org.haven.it.qemu.QemuMigrationTest.counter;
import static org.haven.it.qemu.QemuMigrationTest.kill;
import static org.haven.it.qemu.QemuMigrationTest.ok;
import static org.haven.it.qemu.QemuMigrationTest.pid;
import static org.haven.it.qemu.QemuMigrationTest.qmpStatus;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.haven.core.testing.E2eTest;
import org.haven.it.Await;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.CliResult;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Live migration with local disks between two real node daemons ({@code qm migrate --online --with-local-disks}):
 * the guest's qcow2 disk lives on each node's own {@code dir} storage, and a process in the guest writes a numbered,
 * synced sector about three times a second the whole time. First the target's QEMU is killed while the disk is
 * being mirrored: the guest goes on running on the source with its disk, and the target keeps no volume. Then the
 * migration to node2 (secure: migration and NBD over TLS) and back to another storage on node1 (insecure, with
 * {@code --targetstorage}): the guest never restarts, the source volumes are freed, and at the end every sector the
 * guest reported as written is on the disk it ends on, as is the data written before the first migration.
 */
@E2eTest
class QemuLocalDiskMigrationTest {
    Path dir;
    HavenCluster cluster;
    final List<Long> guestPids = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        if (cluster != null) cluster.close();
        for (long pid : guestPids) kill(pid);
        if (System.getenv("KEEPDIR") == null) QemuMigrationTest.removeTestDir(dir);
    }

    /** The newest sector the guest on {@code n} reported as written (waits until it reported two). */
    static int written(HavenNode n) throws Exception {
        return QemuMigrationTest.newest(n, TestGuest::written, "the guest on " + n.node() + " writes nothing");
    }

    /** The bytes a file occupies on disk (a new qcow2 is preallocated: its size says nothing about the data in it). */
    static long allocated(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split(" ");
        return p.waitFor() == 0 ? Long.parseLong(out[0]) * Long.parseLong(out[1]) : 0;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @Test
    void liveMigrationWithLocalDisksKeepsEveryWrite() throws Exception {
        TestGuest.require();
        dir = Files.createTempDirectory("haven-migrate-disks");
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        cluster = HavenCluster.start(dir, "diskmig", 2);
        HavenNode n1 = cluster.node(0), n2 = cluster.node(1);
        String id = Integer.toString(VMID);

        ok(n1.cli("qm", "create", id, "--name", "writer", "--memory", "128", "--serial0", "socket", "--vga", "serial0",
                "--virtio0", "local:0.0625,format=qcow2", "--args", TestGuest.writerArgs(initrd, "vda")));
        Path disk1 = n1.dataDir().resolve("storage/local/images/" + id + "/vm-" + id + "-disk-0.qcow2");
        // 24 MiB of data behind the sectors the guest writes: the mirror has something to copy
        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 8M 24M", disk1.toString());
        ok(n1.cli("qm", "start", id));
        long pid1 = pid(n1);
        guestPids.add(pid1);
        int before = counter(n1);
        written(n1);

        CliResult noFlag = n1.cli("qm", "migrate", id, "node2", "--online");
        assertThat(noFlag.exit()).isNotZero();
        assertThat(noFlag.out()).contains("can't live migrate attached local disks without with-local-disks option");

        // the target's QEMU dies while the disk is mirrored (slowly: 1 MiB/s)
        CompletableFuture<CliResult> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return n1.cli("qm", "migrate", id, "node2", "--online", "--with-local-disks", "--bwlimit", "1024");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Path incomingPid = n2.dataDir().resolve("run/qemu-server/" + id + ".pid");
        Path disk2 = n2.dataDir().resolve("storage/local/images/" + id + "/vm-" + id + "-disk-0.qcow2");
        Await.until("the mirror writing into node2's new volume", Duration.ofSeconds(120), Duration.ofMillis(200),
                () -> Files.exists(incomingPid) && Files.exists(disk2) && allocated(disk2) > 4 << 20, () -> "");
        long incoming = pid(n2);
        guestPids.add(incoming);
        kill(incoming);
        CliResult failed = slow.get(180, TimeUnit.SECONDS);
        assertThat(failed.exit()).as(failed.out() + failed.err()).isNotZero();
        assertThat(failed.out()).contains("drive mirror is starting for drive-virtio0 with bandwidth limit: 1024 KB/s")
                .contains("drive-virtio0: transferred ").contains("ERROR: online migrate failure")
                .contains("aborting phase 2 - cleanup resources").contains("ERROR: migration finished with problems")
                .doesNotContain("all 'mirror' jobs are ready");
        assertThat(qmpStatus(n1)).isEqualTo("running");
        assertThat(pid(n1)).isEqualTo(pid1);
        assertThat(conf(n1)).contains("virtio0: local:" + id + "/vm-" + id + "-disk-0.qcow2").doesNotContain("lock:");
        assertThat(n2.cli("qm", "config", id).exit()).isNotZero();
        assertThat(disk2).as("no volume left on node2").doesNotExist();
        int afterFailure = written(n1);

        // live with the disk: node1 -> node2 (TLS for the state and the disk)
        CliResult live = ok(n1.cli("qm", "migrate", id, "node2", "--online", "--with-local-disks"));
        assertThat(live.out()).contains("starting storage migration").contains("drive-virtio0: transferred ")
                .contains("all 'mirror' jobs are ready").contains("average migration speed: ").contains("migration status: completed")
                .contains("drive-virtio0: Done.").containsPattern("migration finished successfully \\(duration \\d\\d:\\d\\d:\\d\\d\\)");
        assertThat(alive(pid1)).isFalse();
        assertThat(qmpStatus(n2)).isEqualTo("running");
        long pid2 = pid(n2);
        guestPids.add(pid2);
        assertThat(conf(n2)).contains("virtio0: local:" + id + "/vm-" + id + "-disk-0.qcow2").doesNotContain("lock:");
        assertThat(disk1).as("the source volume is freed").doesNotExist();
        int after = counter(n2);
        assertThat(after).as("the same guest goes on (console counter)").isGreaterThan(before);
        assertThat(written(n2)).isGreaterThan(afterFailure);

        // back to another storage on node1, without TLS
        Path local2 = Files.createDirectories(dir.resolve("local2"));
        ok(n1.cli("pvesm", "add", "dir", "local2", "--path", local2.toString(), "--content", "images", "--nodes", "node1"));
        CliResult back = ok(n2.cli("qm", "migrate", id, "node1", "--online", "--with-local-disks", "--targetstorage", "local2",
                "--migration_type", "insecure"));
        assertThat(back.out()).contains("all 'mirror' jobs are ready").contains("migration finished successfully");
        assertThat(alive(pid2)).isFalse();
        assertThat(qmpStatus(n1)).isEqualTo("running");
        guestPids.add(pid(n1));
        assertThat(conf(n1)).contains("virtio0: local2:" + id + "/vm-" + id + "-disk-0.qcow2");
        assertThat(n2.dataDir().resolve("storage/local/images/" + id + "/vm-" + id + "-disk-0.qcow2")).doesNotExist();
        assertThat(counter(n1)).isGreaterThan(after);

        // every sector reported written is on the final disk, and the data from before the migrations too
        int last = written(n1);
        ok(n1.cli("qm", "stop", id));
        Path raw = dir.resolve("final.raw");
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", local2.resolve("images/" + id + "/vm-" + id + "-disk-0.qcow2").toString(), raw.toString());
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "r")) {
            for (int n = 1; n <= last; n++) {
                byte[] want = TestGuest.sectorText(n).getBytes(StandardCharsets.US_ASCII);
                byte[] got = new byte[want.length];
                f.seek(512L * n);
                f.readFully(got);
                assertThat(new String(got, StandardCharsets.US_ASCII)).as("sector " + n + " of " + last).isEqualTo(TestGuest.sectorText(n));
            }
            byte[] fill = new byte[1 << 20];
            for (long off = 8L << 20; off < 32L << 20; off += fill.length) {
                f.seek(off);
                f.readFully(fill);
                for (byte b : fill) if (b != 0x5a) throw new AssertionError("data written before the migrations lost at " + off);
            }
        }
    }
}
