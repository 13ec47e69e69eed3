package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.backup.vma.ArchiveCheck;
import org.haven.core.testing.RealTest;
import org.haven.guest.GuestBackups;
import org.haven.guest.config.GuestConfig;
import org.haven.qemu.run.VmManager;
import org.haven.qemu.testing.SerialReader;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running busybox VM whose disk holds a known pattern: backed up in suspend mode (paused while its disk is read,
 * running again afterwards) and in stop mode (shut down and started again), restored to a new VMID on another
 * storage, the restored disk compared with the pattern, and the restored VM booted.
 */
@RealTest
class RunningVmBackupTest {
    @TempDir Path dir;
    BackupFixture f;
    final int vmid = 400 + (int) (ProcessHandle.current().pid() % 400);
    final int restored = vmid + 1000;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.require();
        f = new BackupFixture(dir);
        f.vmids.add(vmid);
        f.vmids.add(restored);
    }

    @AfterEach
    void tearDown() { if (f != null) f.close(); }

    @Test
    void suspendAndStopModesWhileTheVmRuns() throws Exception {
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        f.qemu.create(vmid, Map.of("memory", "256", "serial0", "socket", "vga", "serial0", "virtio0", "src:0.03125,format=raw",
                "args", TestGuest.args(initrd)), s -> {});
        GuestConfig cfg = f.qemu.store().load(vmid);
        byte[] pattern = new byte[32 << 20];
        new Random(vmid).nextBytes(pattern);
        java.util.Arrays.fill(pattern, 8 << 20, 12 << 20, (byte) 0);
        Files.write(Path.of(f.qemu.guests().volumes().resolve(cfg.get("virtio0").orElseThrow().split(",")[0]).path()), pattern);
        f.qemu.vms().start(vmid, VmManager.StartOptions.DEFAULT, s -> {});
        try (SerialReader s = new SerialReader(f.qemu.vms().paths().serial(vmid, 0))) {
            assertThat(s.await(TestGuest.MARKER + " 2", Duration.ofSeconds(120))).as(s.text()).isTrue();
        }

        List<String> log = f.vzdump(Map.of("vmid", Integer.toString(vmid), "mode", "suspend", "storage", "bk", "compress", "zstd"), new ArrayList<>());
        assertThat(log).contains("INFO: status = running", "INFO: backup mode: suspend", "INFO: suspending guest", "INFO: resuming VM again",
                "INFO: Backup job finished successfully");
        assertThat(f.qemu.vms().status(vmid, true)).containsEntry("qmpstatus", "running");
        assertThat(f.qemu.store().load(vmid).lock()).isEmpty();
        Path suspendArchive = f.archives().get(0);
        ArchiveCheck a = BackupFixture.check(suspendArchive);
        assertThat(a.disks.get("drive-virtio0")).isEqualTo(pattern);

        f.now.addAndGet(60);
        log = f.vzdump(Map.of("vmid", Integer.toString(vmid), "mode", "stop", "storage", "bk"), new ArrayList<>());
        assertThat(log).contains("INFO: status = running", "INFO: backup mode: stop", "INFO: stopping virtual guest", "INFO: restarting vm",
                "INFO: Backup job finished successfully");
        assertThat(f.qemu.vms().isRunning(vmid)).isTrue();
        assertThat(f.archives()).hasSize(2);
        assertThat(BackupFixture.check(f.archives().get(1)).disks.get("drive-virtio0")).isEqualTo(pattern);

        // restore the suspend-mode archive to a new VMID on the other storage, check the disk, boot it
        List<String> rlog = new ArrayList<>();
        f.restore("bk:backup/" + suspendArchive.getFileName(), restored, new GuestBackups.RestoreOptions("dst", true, false), rlog);
        GuestConfig r = f.qemu.store().load(restored);
        String volid = r.get("virtio0").orElseThrow().split(",")[0];
        assertThat(volid).isEqualTo("dst:" + restored + "/vm-" + restored + "-disk-0.raw");
        assertThat(f.content(volid)).isEqualTo(pattern);
        f.qemu.vms().stop(vmid, false, Duration.ofSeconds(10), s -> {});
        f.qemu.vms().start(restored, VmManager.StartOptions.DEFAULT, s -> {});
        try (SerialReader s = new SerialReader(f.qemu.vms().paths().serial(restored, 0))) {
            assertThat(s.await(TestGuest.MARKER + " 1", Duration.ofSeconds(120))).as(s.text()).isTrue();
        }
    }

    /**
     * Snapshot mode while the guest writes: through the agent the guest writes {@code W<n>} into block n of its
     * disk for n = 0, 1, 2, … (each write synced). The archive holds one moment of that: the written blocks are a
     * prefix 0…m, every other block still has the original pattern, and the guest wrote on past m meanwhile.
     */
    @Test
    void snapshotModeWhileTheGuestWrites() throws Exception {
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        f.qemu.create(vmid, Map.of("memory", "256", "serial0", "socket", "vga", "serial0", "virtio0", "src:0.03125,format=raw",
                "agent", "1", "args", TestGuest.args(initrd)), s -> {});
        GuestConfig cfg = f.qemu.store().load(vmid);
        byte[] pattern = new byte[32 << 20];
        new Random(vmid + 1).nextBytes(pattern);
        Path disk = Path.of(f.qemu.guests().volumes().resolve(cfg.get("virtio0").orElseThrow().split(",")[0]).path());
        Files.write(disk, pattern);
        f.qemu.vms().start(vmid, VmManager.StartOptions.DEFAULT, s -> {});
        awaitAgent();
        f.qemu.vms().agentCommand(vmid, "guest-exec", Map.of("path", "/bin/sh", "arg", List.of("-c",
                "n=0; while [ $n -lt 8192 ]; do echo W$n | dd of=/dev/vda bs=4096 seek=$n conv=notrunc,fsync 2>/dev/null; n=$((n+1)); done")),
                Duration.ofSeconds(10));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (written(Files.readAllBytes(disk), pattern) < 20 && System.nanoTime() < deadline) Thread.sleep(200);

        List<String> log = f.vzdump(Map.of("vmid", Integer.toString(vmid), "mode", "snapshot", "storage", "bk"), new ArrayList<>());
        assertThat(log).contains("INFO: status = running", "INFO: backup mode: snapshot", "INFO: issuing guest-agent 'fs-freeze' command",
                "INFO: issuing guest-agent 'fs-thaw' command", "INFO: Backup job finished successfully");
        assertThat(f.qemu.vms().status(vmid, true)).containsEntry("qmpstatus", "running");
        assertThat(f.qemu.store().load(vmid).lock()).isEmpty();
        try (var s = Files.list(dir.resolve("bk/dump"))) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no copies left behind").noneMatch(n -> n.endsWith(".raw"));
        }
        byte[] backedUp = BackupFixture.check(f.archives().get(0)).disks.get("drive-virtio0");
        int m = written(backedUp, pattern);
        assertThat(m).as("blocks the guest had written at the snapshot").isGreaterThanOrEqualTo(20);
        Thread.sleep(2000);
        assertThat(written(Files.readAllBytes(disk), pattern)).as("the guest kept writing").isGreaterThan(m);

        f.restore("bk:backup/" + f.archives().get(0).getFileName(), restored, new GuestBackups.RestoreOptions("dst", false, false), new ArrayList<>());
        GuestConfig r = f.qemu.store().load(restored);
        assertThat(f.content(r.get("virtio0").orElseThrow().split(",")[0])).isEqualTo(backedUp);
    }

    /**
     * The number of blocks written by the guest, checking the image: blocks 0…m-1 start with {@code W<n>\n} (the
     * rest of the block as in the pattern), every block from m on equals the pattern.
     */
    static int written(byte[] image, byte[] pattern) {
        int blocks = pattern.length / 4096;
        int m = 0;
        while (m < blocks && startsWith(image, m * 4096, ("W" + m + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII))) m++;
        for (int b = 0; b < blocks; b++) {
            int off = b * 4096;
            int from = b < m ? ("W" + b + "\n").length() : 0;
            if (!java.util.Arrays.equals(image, off + from, off + 4096, pattern, off + from, off + 4096))
                throw new AssertionError("block " + b + " is neither the pattern nor a complete guest write (written prefix: " + m + ")");
        }
        return m;
    }

    private static boolean startsWith(byte[] image, int off, byte[] prefix) {
        return java.util.Arrays.equals(image, off, off + prefix.length, prefix, 0, prefix.length);
    }

    private void awaitAgent() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            try {
                f.qemu.vms().agentCommand(vmid, "guest-ping", null, Duration.ofSeconds(5));
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(1000);
            }
        }
    }
}
