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
}
