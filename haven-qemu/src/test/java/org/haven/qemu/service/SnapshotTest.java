package org.haven.qemu.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.snapshot.GuestSnapshots;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.QemuService;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;
import org.haven.qemu.testing.SerialReader;
import org.haven.qemu.testing.TestGuest;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots of a real guest on qcow2 disks: with RAM while running (rollback resumes the guest), and offline. */
@RealTest
class SnapshotTest {

    @TempDir Path dir;
    QemuService svc;
    GuestSnapshots snaps;
    GuestConfigStore store;
    final List<String> log = new ArrayList<>();
    final int vmid = 300 + (int) (ProcessHandle.current().pid() % 500);

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.require();
        MemoryClusterFs cfs = new MemoryClusterFs("node1");
        Path images = dir.resolve("vmstore");
        Files.createDirectories(images);
        cfs.writeString("storage.cfg", "dir: vmstore\n\tpath " + images + "\n\tcontent images\n");
        StorageManager sm = new StorageManager(cfs, "node1", dir.resolve("local"), new ProcessCommandRunner());
        store = GuestConfigStore.qemu(cfs);
        VmPaths paths = new VmPaths(dir.resolve("run"));
        svc = new QemuService(new VmManager(store, HostInfo.probe(paths.dir().resolve("haven-bridge")), paths, new StorageVolumes(sm), true),
                org.haven.core.time.Clock.SYSTEM);
        snaps = new GuestSnapshots(svc.guests(), org.haven.core.time.Clock.SYSTEM);
    }

    @AfterEach
    void tearDown() {
        if (svc == null) return;
        svc.vms().pid(vmid).ifPresent(pid -> { Proc.kill(pid, "KILL"); Proc.waitGone(pid, Duration.ofSeconds(5)); });
        svc.vms().cleanupFiles(vmid);
    }

    static int last(SerialReader s) {
        List<Integer> c = TestGuest.counters(s.text());
        return c.isEmpty() ? 0 : c.get(c.size() - 1);
    }

    @Test
    void snapshotWithRamRollsBackToTheRunningState() throws Exception {
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        svc.create(vmid, Map.of("memory", "256", "serial0", "socket", "vga", "serial0", "virtio0", "vmstore:0.0625,format=qcow2",
                "args", TestGuest.args(initrd)), log::add);
        svc.vms().start(vmid, VmManager.StartOptions.DEFAULT, log::add);
        int atSnapshot;
        try (SerialReader s = new SerialReader(svc.vms().paths().serial(vmid, 0))) {
            assertThat(s.await(TestGuest.MARKER + " 3", Duration.ofSeconds(90))).as(s.text()).isTrue();
            snaps.create(vmid, "live", true, "with RAM", log::add);
            atSnapshot = last(s);
            int target = atSnapshot + 4;
            assertThat(s.await(TestGuest.MARKER + " " + target, Duration.ofSeconds(60))).as(s.text()).isTrue();
        }
        GuestConfig cfg = store.load(vmid);
        assertThat(cfg.get("parent")).contains("live");
        assertThat(cfg.snapshots().get("live").get("vmstate")).contains("vmstore:" + vmid + "/vm-" + vmid + "-state-live.qcow2");
        assertThat(cfg.snapshots().get("live").description()).isEqualTo("with RAM");
        assertThat(snaps.list(vmid)).extracting(m -> m.get("name")).containsExactly("live", "current");
        assertThat(snaps.list(vmid).get(0)).containsEntry("vmstate", 1);

        snaps.rollback(vmid, "live", false, log::add);
        assertThat(svc.vms().status(vmid, true)).containsEntry("qmpstatus", "running");
        try (SerialReader s = new SerialReader(svc.vms().paths().serial(vmid, 0))) {
            assertThat(s.await(TestGuest.MARKER, Duration.ofSeconds(30))).isTrue();
            int first = TestGuest.counters(s.text()).get(0);
            // the guest continues from the saved state instead of booting again
            assertThat(first).isBetween(atSnapshot, atSnapshot + 3);
        }
        assertThatThrownBy(() -> snaps.create(vmid, "live", false, null, log::add)).hasMessage("snapshot name 'live' already used");

        // suspend to disk and back: the guest continues where it was
        int beforeHibernate;
        try (SerialReader s = new SerialReader(svc.vms().paths().serial(vmid, 0))) {
            assertThat(s.await(TestGuest.MARKER, Duration.ofSeconds(30))).isTrue();
            svc.hibernate(vmid, null, false, log::add);
            beforeHibernate = last(s);
        }
        assertThat(svc.vms().isRunning(vmid)).isFalse();
        cfg = store.load(vmid);
        assertThat(cfg.lock()).contains("suspended");
        String state = cfg.get("vmstate").orElseThrow();
        assertThat(state).startsWith("vmstore:" + vmid + "/vm-" + vmid + "-state-suspend-");
        assertThat(cfg.get("runningmachine")).contains("pc-i440fx-7.2");
        svc.vms().start(vmid, VmManager.StartOptions.DEFAULT, log::add);
        try (SerialReader s = new SerialReader(svc.vms().paths().serial(vmid, 0))) {
            assertThat(s.await(TestGuest.MARKER, Duration.ofSeconds(30))).isTrue();
            assertThat(TestGuest.counters(s.text()).get(0)).isBetween(beforeHibernate, beforeHibernate + 3);
        }
        cfg = store.load(vmid);
        assertThat(cfg.lock()).isEmpty();
        assertThat(cfg.get("vmstate")).isEmpty();
        assertThat(Files.list(dir.resolve("vmstore/images/" + vmid)).map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("suspend"));

        snaps.delete(vmid, "live", false, log::add);
        cfg = store.load(vmid);
        assertThat(cfg.snapshots()).isEmpty();
        assertThat(cfg.get("parent")).isEmpty();
        assertThat(dir.resolve("vmstore/images/" + vmid + "/vm-" + vmid + "-state-live.qcow2")).doesNotExist();
    }

    @Test
    void offlineSnapshotsRollbackAndDeleteWithParents() throws Exception {
        svc.create(vmid, Map.of("memory", "128", "scsi0", "vmstore:0.0625,format=qcow2", "cores", "1"), log::add);
        snaps.create(vmid, "first", false, "one", log::add);
        svc.update(vmid, Map.of("cores", "2"), List.of(), List.of(), null, false, false, log::add);
        snaps.create(vmid, "second", false, null, log::add);
        svc.update(vmid, Map.of("cores", "4"), List.of(), List.of(), null, false, false, log::add);
        GuestConfig cfg = store.load(vmid);
        assertThat(cfg.snapshots().get("second").get("parent")).contains("first");
        assertThat(cfg.snapshots().get("second").get("cores")).contains("2");
        String disk = dir.resolve("vmstore/images/" + vmid + "/vm-" + vmid + "-disk-0.qcow2").toString();
        assertThat(Proc.run("qemu-img", "snapshot", "-l", disk).output()).contains("first", "second");

        snaps.rollback(vmid, "first", false, log::add);
        cfg = store.load(vmid);
        assertThat(cfg.get("cores")).contains("1");
        assertThat(cfg.get("parent")).contains("first");
        assertThat(cfg.lock()).isEmpty();

        snaps.delete(vmid, "first", false, log::add);
        cfg = store.load(vmid);
        assertThat(cfg.snapshots().keySet()).containsExactly("second");
        assertThat(cfg.snapshots().get("second").get("parent")).isEmpty();
        assertThat(cfg.get("parent")).isEmpty();
        assertThat(Proc.run("qemu-img", "snapshot", "-l", disk).output()).doesNotContain("first").contains("second");
        assertThatThrownBy(() -> snaps.rollback(vmid, "nosuch", false, log::add)).hasMessage("snapshot 'nosuch' does not exist");
        assertThatThrownBy(() -> snaps.create(vmid, "current", false, null, log::add)).hasMessage("invalid snapshot name 'current'");
        // destroy removes the disk with its snapshots
        svc.guests().destroy(vmid, false, log::add);
        assertThat(Path.of(disk)).doesNotExist();
    }

    @Test
    void rawDisksOnDirectoryStorageCannotBeSnapshotted() {
        svc.create(vmid, Map.of("memory", "128", "scsi0", "vmstore:0.0625"), log::add);
        assertThatThrownBy(() -> snaps.create(vmid, "s1", false, null, log::add)).hasMessage("snapshot feature is not available");
        assertThat(store.load(vmid).snapshots()).isEmpty();
        assertThat(store.load(vmid).lock()).isEmpty();
    }
}
