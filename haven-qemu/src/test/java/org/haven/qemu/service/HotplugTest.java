package org.haven.qemu.service;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.QemuService;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.run.HostNet;
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

/** A disk and a nic plugged into a running guest show up inside it; unplugging removes them; other changes stay pending. */
@RealTest
class HotplugTest {

    @TempDir Path dir;
    QemuService svc;
    GuestConfigStore store;
    final List<String> log = new ArrayList<>();
    final int vmid = 800 + (int) (ProcessHandle.current().pid() % 100);
    final String bridge = "hvh" + ProcessHandle.current().pid() % 100000;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.require();
        MemoryClusterFs cfs = new MemoryClusterFs("node1");
        Path images = dir.resolve("vmstore");
        Files.createDirectories(images);
        Files.createDirectories(dir.resolve("vmstore2"));
        cfs.writeString("storage.cfg", "dir: vmstore\n\tpath " + images + "\n\tcontent images\n\n"
                + "dir: vmstore2\n\tpath " + dir.resolve("vmstore2") + "\n\tcontent images\n");
        StorageManager sm = new StorageManager(cfs, "node1", dir.resolve("local"), new ProcessCommandRunner());
        store = GuestConfigStore.qemu(cfs);
        VmPaths paths = new VmPaths(dir.resolve("run"));
        svc = new QemuService(new VmManager(store, HostInfo.probe(paths.dir().resolve("haven-bridge")), paths, new StorageVolumes(sm), true),
                org.haven.core.time.Clock.SYSTEM);
    }

    @AfterEach
    void tearDown() {
        if (svc == null) return;
        svc.vms().pid(vmid).ifPresent(pid -> { Proc.kill(pid, "KILL"); Proc.waitGone(pid, Duration.ofSeconds(5)); });
        svc.vms().cleanupFiles(vmid);
        for (int i = 0; i < 3; i++) HostNet.deleteLink("tap" + vmid + "i" + i);
        HostNet.deleteLink(bridge);
    }

    @Test
    void diskAndNicHotplugIntoARunningGuest() throws Exception {
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        svc.create(vmid, Map.of("memory", "256", "serial0", "socket", "vga", "serial0", "virtio0", "vmstore:0.0625",
                "args", TestGuest.args(initrd)), log::add);
        svc.vms().start(vmid, VmManager.StartOptions.DEFAULT, log::add);
        HostNet.createBridge(bridge);
        try (SerialReader s = new SerialReader(svc.vms().paths().serial(vmid, 0))) {
            assertThat(s.await("HAVEN-DEV vda", Duration.ofSeconds(90))).as(s.text()).isTrue();

            svc.update(vmid, Map.of("virtio1", "vmstore:0.03125", "net1", "virtio=BC:24:11:00:10:01,bridge=" + bridge, "cores", "2"),
                    List.of(), List.of(), null, false, false, log::add);
            GuestConfig cfg = store.load(vmid);
            assertThat(cfg.get("virtio1")).contains("vmstore:" + vmid + "/vm-" + vmid + "-disk-1.raw,size=32M");
            assertThat(cfg.get("net1")).contains("virtio=BC:24:11:00:10:01,bridge=" + bridge);
            // cpu topology cannot be hot-plugged here: it waits for the next start
            assertThat(cfg.get("cores")).isEmpty();
            assertThat(cfg.pending().get("cores")).contains("2");
            assertThat(s.await("HAVEN-DEV vdb", Duration.ofSeconds(60))).as(s.text() + log).isTrue();
            assertThat(s.await("HAVEN-DEV eth0", Duration.ofSeconds(60))).as(s.text() + log).isTrue();
            assertThat(HostNet.bridgePorts(bridge)).containsExactly("tap" + vmid + "i1");

            svc.update(vmid, Map.of(), List.of("net1", "virtio1"), List.of(), null, false, false, log::add);
            cfg = store.load(vmid);
            assertThat(cfg.get("net1")).isEmpty();
            assertThat(cfg.get("virtio1")).isEmpty();
            assertThat(cfg.get("unused0")).contains("vmstore:" + vmid + "/vm-" + vmid + "-disk-1.raw");
            assertThat(HostNet.linkExists("tap" + vmid + "i1")).isFalse();

            // a running disk grows through block_resize and moves to another storage by mirroring
            svc.resize(vmid, "virtio0", "+16M", null, false, log::add);
            assertThat(store.load(vmid).get("virtio0").orElseThrow()).endsWith("size=80M");
            var blocks = svc.vms().qmpCommand(vmid, "query-block", null, Duration.ofSeconds(5));
            long virtual = 0;
            for (var b : blocks) if (b.path("device").asString().equals("drive-virtio0")) virtual = b.path("inserted").path("image").path("virtual-size").asLong();
            assertThat(virtual).isEqualTo(80L << 20);
            svc.moveDisk(vmid, "virtio0", "vmstore2", "qcow2", true, null, log::add);
            assertThat(store.load(vmid).get("virtio0").orElseThrow()).startsWith("vmstore2:" + vmid + "/vm-" + vmid + "-disk-0.qcow2");
            blocks = svc.vms().qmpCommand(vmid, "query-block", null, Duration.ofSeconds(5));
            String file = "";
            for (var b : blocks) if (b.path("device").asString().equals("drive-virtio0")) file = b.path("inserted").path("file").asString();
            assertThat(file).endsWith("vmstore2/images/" + vmid + "/vm-" + vmid + "-disk-0.qcow2");
            int before = TestGuest.counters(s.text()).size();
            assertThat(s.await(TestGuest.MARKER + " " + (TestGuest.counters(s.text()).get(before - 1) + 2), Duration.ofSeconds(30))).isTrue();
        }
        svc.vms().stop(vmid, false, Duration.ofSeconds(10), log::add);
        // the pending change applies at the next start
        svc.vms().start(vmid, new VmManager.StartOptions(false, true, Duration.ofSeconds(30)), log::add);
        assertThat(store.load(vmid).get("cores")).contains("2");
        assertThat(store.load(vmid).pending().isEmpty()).isTrue();
    }
}
