package org.haven.qemu.run;

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
import org.haven.guest.volume.VolumeAccess;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.testing.SerialReader;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Boots a real Linux guest (KVM, or TCG without /dev/kvm) through the VM lifecycle code. */
@RealTest
class VmLifecycleTest {

    @TempDir Path dir;
    VmManager vms;
    GuestConfigStore store;
    final List<String> log = new ArrayList<>();
    final String bridge = "hvt" + ProcessHandle.current().pid() % 100000;
    final int vmid = 100 + (int) (ProcessHandle.current().pid() % 800);

    @BeforeEach
    void setUp() {
        TestGuest.require();
        MemoryClusterFs cfs = new MemoryClusterFs("node1");
        store = GuestConfigStore.qemu(cfs);
        VmPaths paths = new VmPaths(dir.resolve("run"));
        vms = new VmManager(store, HostInfo.probe(paths.dir().resolve("haven-bridge")), paths, VolumeAccess.PATHS_ONLY, true);
    }

    @AfterEach
    void tearDown() {
        if (vms == null) return;
        vms.pid(vmid).ifPresent(pid -> { Proc.kill(pid, "KILL"); Proc.waitGone(pid, Duration.ofSeconds(5)); });
        vms.cleanupFiles(vmid);
        HostNet.deleteLink("tap" + vmid + "i0");
        HostNet.deleteLink(bridge);
    }

    @Test
    void guestBootsAnswersQmpAndShutsDownOnAcpi() throws Exception {
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        Path disk = dir.resolve("disk0.raw");
        assertThat(Proc.run("qemu-img", "create", "-f", "raw", disk.toString(), "16M").ok()).isTrue();
        GuestConfig cfg = new GuestConfig();
        cfg.set("name", "lifecycle-test").set("memory", "256").set("serial0", "socket").set("vga", "serial0")
                .set("virtio0", disk + ",size=16M").set("net0", "virtio=BC:24:11:00:00:01,bridge=" + bridge)
                .set("agent", "1").set("args", TestGuest.args(initrd));
        store.create(vmid, cfg);

        long pid = vms.start(vmid, VmManager.StartOptions.DEFAULT, log::add);
        assertThat(pid).isPositive();
        assertThat(vms.isRunning(vmid)).isTrue();
        // embedded mode: the missing bridge was created, the tap is plugged into it
        assertThat(HostNet.isBridge(bridge)).isTrue();
        assertThat(HostNet.bridgePorts(bridge)).containsExactly("tap" + vmid + "i0");
        assertThatThrownBy(() -> vms.start(vmid, VmManager.StartOptions.DEFAULT, log::add)).hasMessage("VM " + vmid + " already running");

        try (SerialReader serial = new SerialReader(vms.paths().serial(vmid, 0))) {
            assertThat(serial.await(TestGuest.MARKER, Duration.ofSeconds(90))).as(serial.text()).isTrue();

            Map<String, Object> st = vms.status(vmid, true);
            @SuppressWarnings("unchecked") Map<String, Object> blockstat = (Map<String, Object>) st.get("blockstat");
            @SuppressWarnings("unchecked") Map<String, Object> nics = (Map<String, Object>) st.get("nics");
            assertThat(blockstat).containsKey("virtio0");
            assertThat(((Map<?, ?>) blockstat.get("virtio0")).get("rd_bytes")).isInstanceOf(Long.class);
            assertThat(nics).containsKey("tap" + vmid + "i0");
            assertThat(st).containsEntry("status", "running").containsEntry("qmpstatus", "running")
                    .containsEntry("pid", pid).containsEntry("name", "lifecycle-test").containsEntry("maxmem", 256L * 1024 * 1024);
            try (QmpClient q = vms.qmp(vmid)) {
                JsonNode kvm = q.execute("query-kvm");
                assertThat(kvm.path("enabled").asBoolean()).isEqualTo(vms.host().kvm());
            }

            // the guest agent inside the guest answers through the virtio port
            JsonNode info = null;
            for (int i = 0; i < 60 && info == null; i++) {
                try {
                    info = vms.agentCommand(vmid, "guest-info", null, Duration.ofSeconds(5));
                } catch (org.haven.guest.config.GuestException e) {
                    Thread.sleep(500);
                }
            }
            assertThat(info).as(serial.text()).isNotNull();
            assertThat(info.path("version").asString()).isNotEmpty();
            JsonNode exec = vms.agentCommand(vmid, "guest-exec", Map.of("path", "/bin/busybox", "arg", List.of("echo", "from-agent"),
                    "capture-output", true), Duration.ofSeconds(5));
            long gpid = exec.path("pid").asLong();
            JsonNode st2 = null;
            for (int i = 0; i < 50; i++) {
                st2 = vms.agentCommand(vmid, "guest-exec-status", Map.of("pid", gpid), Duration.ofSeconds(5));
                if (st2.path("exited").asBoolean()) break;
                Thread.sleep(100);
            }
            assertThat(new String(java.util.Base64.getDecoder().decode(st2.path("out-data").asString()))).isEqualTo("from-agent\n");

            vms.suspend(vmid, false);
            assertThat(vms.status(vmid, true)).containsEntry("qmpstatus", "paused").containsEntry("status", "running");
            vms.resume(vmid, false);
            assertThat(vms.status(vmid, true)).containsEntry("qmpstatus", "running");

            vms.shutdown(vmid, false, Duration.ofSeconds(60), false, log::add);
            assertThat(serial.text()).contains("HAVEN-GUEST-POWEROFF");
        }
        assertThat(vms.isRunning(vmid)).isFalse();
        assertThat(Proc.isAlive(pid)).isFalse();
        assertThat(HostNet.linkExists("tap" + vmid + "i0")).isFalse();
        assertThat(vms.status(vmid, false)).containsEntry("status", "stopped");
        assertThat(Files.exists(vms.paths().qmp(vmid))).isFalse();
        assertThatThrownBy(() -> vms.shutdown(vmid, false, Duration.ofSeconds(5), false, log::add)).hasMessage("VM " + vmid + " not running");
    }

    @Test
    void lockedAndTemplateVmsDoNotStartAndBadLinesFail() {
        store.create(vmid, new GuestConfig().set("memory", "128").set("lock", "backup"));
        assertThatThrownBy(() -> vms.start(vmid, VmManager.StartOptions.DEFAULT, log::add)).hasMessage("VM is locked (backup)");
        store.update(vmid, c -> c.remove("lock").set("template", "1"));
        assertThatThrownBy(() -> vms.start(vmid, VmManager.StartOptions.DEFAULT, log::add)).hasMessage("you can't start a vm if it's a template");
        store.update(vmid, c -> c.remove("template").set("args", "-no-such-option"));
        assertThatThrownBy(() -> vms.start(vmid, VmManager.StartOptions.DEFAULT, log::add))
                .hasMessageStartingWith("start failed: QEMU exited with code 1").hasMessageContaining("-no-such-option");
        assertThat(vms.isRunning(vmid)).isFalse();
    }
}
