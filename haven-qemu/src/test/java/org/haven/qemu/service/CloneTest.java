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
import org.haven.guest.clone.GuestClone;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
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

/** Templates, linked clones (which boot) and full clones on a directory storage. */
@RealTest
class CloneTest {

    @TempDir Path dir;
    QemuService svc;
    GuestClone clones;
    GuestConfigStore store;
    Path images;
    final List<String> log = new ArrayList<>();
    final int base = 400 + (int) (ProcessHandle.current().pid() % 100) * 3;

    @BeforeEach
    void setUp() throws Exception {
        TestGuest.require();
        MemoryClusterFs cfs = new MemoryClusterFs("node1");
        images = dir.resolve("vmstore");
        Files.createDirectories(images);
        cfs.writeString("storage.cfg", "dir: vmstore\n\tpath " + images + "\n\tcontent images\n");
        StorageManager sm = new StorageManager(cfs, "node1", dir.resolve("local"), new ProcessCommandRunner());
        store = GuestConfigStore.qemu(cfs);
        VmPaths paths = new VmPaths(dir.resolve("run"));
        svc = new QemuService(new VmManager(store, HostInfo.probe(paths.dir().resolve("haven-bridge")), paths, new StorageVolumes(sm), true),
                org.haven.core.time.Clock.SYSTEM);
        clones = new GuestClone(svc.guests());
    }

    @AfterEach
    void tearDown() {
        if (svc == null) return;
        for (int v = base; v < base + 3; v++) {
            int vmid = v;
            svc.vms().pid(vmid).ifPresent(pid -> { Proc.kill(pid, "KILL"); Proc.waitGone(pid, Duration.ofSeconds(5)); });
            svc.vms().cleanupFiles(vmid);
        }
        // base volumes are made immutable by the storage; let the temporary directory go
        Proc.run("chattr", "-R", "-i", images.toString());
    }

    @Test
    void linkedCloneOfATemplateBoots() throws Exception {
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        svc.create(base, Map.of("name", "tmpl", "memory", "256", "serial0", "socket", "vga", "serial0",
                "virtio0", "vmstore:0.0625,format=qcow2", "net0", "virtio=BC:24:11:00:00:AA", "args", TestGuest.args(initrd)), log::add);
        assertThatThrownBy(() -> clones.clone(base, base + 1, null, null, false, null, null, null, log::add))
                .hasMessageContaining("linked clones need a template");
        clones.template(base, log::add);
        GuestConfig t = store.load(base);
        assertThat(t.isTemplate()).isTrue();
        assertThat(t.get("virtio0").orElseThrow()).startsWith("vmstore:" + base + "/base-" + base + "-disk-0.qcow2");
        assertThatThrownBy(() -> svc.vms().start(base, VmManager.StartOptions.DEFAULT, log::add)).hasMessage("you can't start a vm if it's a template");

        clones.clone(base, base + 1, "linked", null, false, null, null, null, log::add);
        GuestConfig c = store.load(base + 1);
        assertThat(c.get("name")).contains("linked");
        assertThat(c.isTemplate()).isFalse();
        assertThat(c.get("virtio0").orElseThrow()).startsWith("vmstore:" + base + "/base-" + base + "-disk-0.qcow2/" + (base + 1) + "/vm-" + (base + 1) + "-disk-0.qcow2");
        assertThat(c.get("net0").orElseThrow()).startsWith("virtio=BC:24:11:").isNotEqualTo(t.get("net0").orElseThrow());
        assertThat(c.get("smbios1")).isNotEqualTo(t.get("smbios1"));

        svc.vms().start(base + 1, VmManager.StartOptions.DEFAULT, log::add);
        try (SerialReader s = new SerialReader(svc.vms().paths().serial(base + 1, 0))) {
            assertThat(s.await(TestGuest.MARKER, Duration.ofSeconds(90))).as(s.text()).isTrue();
        }
        svc.vms().stop(base + 1, false, Duration.ofSeconds(10), log::add);

        // a full clone of the template is independent of the base volume
        clones.clone(base, base + 2, null, null, true, null, "raw", null, log::add);
        GuestConfig f = store.load(base + 2);
        assertThat(f.get("name")).contains("Copy-of-VM-tmpl");
        assertThat(f.get("virtio0").orElseThrow()).startsWith("vmstore:" + (base + 2) + "/vm-" + (base + 2) + "-disk-0.raw");
        // the base cannot go while a linked clone uses it
        assertThatThrownBy(() -> svc.guests().destroy(base, false, log::add)).hasMessageContaining("still in use by linked clones");
        assertThat(store.owner(base)).isPresent();
        svc.guests().destroy(base + 1, false, log::add);
        svc.guests().destroy(base, false, log::add);
        assertThat(store.owner(base)).isEmpty();
    }
}
