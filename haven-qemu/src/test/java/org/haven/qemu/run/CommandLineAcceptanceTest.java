package org.haven.qemu.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.volume.VolumeAccess;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every generated command line is given to the real QEMU: each config starts paused through the lifecycle
 * code (taps, OVMF vars, swtpm included) and must reach QMP, then is stopped again.
 */
@RealTest
class CommandLineAcceptanceTest {

    @TempDir static Path dir;
    static VmManager vms;
    static GuestConfigStore store;
    static final String BRIDGE = "hva" + ProcessHandle.current().pid() % 100000;
    static final int BASE = 900 + (int) (ProcessHandle.current().pid() % 50) * 100;

    @BeforeAll
    static void setUp() {
        Tools.require("qemu-system-x86", HostInfo.QEMU);
        store = GuestConfigStore.qemu(new MemoryClusterFs("node1"));
        VmPaths paths = new VmPaths(dir.resolve("run"));
        vms = new VmManager(store, HostInfo.probe(paths.dir().resolve("haven-bridge")), paths, VolumeAccess.PATHS_ONLY, true);
    }

    @AfterAll
    static void tearDown() {
        if (vms == null) return;
        for (int vmid : store.list().keySet()) {
            vms.pid(vmid).ifPresent(pid -> { Proc.kill(pid, "KILL"); Proc.waitGone(pid, Duration.ofSeconds(5)); });
            vms.cleanupFiles(vmid);
            for (int i = 0; i < 32; i++) HostNet.deleteLink("tap" + vmid + "i" + i);
        }
        HostNet.deleteLink(BRIDGE + "v5");
        HostNet.deleteLink(BRIDGE);
    }

    static String img(String name, String fmt, String size) {
        Path p = dir.resolve(name);
        Proc.Result r = Proc.run("qemu-img", "create", "-f", fmt, p.toString(), size);
        assertThat(r.ok()).as(r.output()).isTrue();
        return p.toString();
    }

    static Map<String, String> m(String... kv) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) out.put(kv[i], kv[i + 1]);
        return out;
    }

    @Test
    void everyConfigStartsInRealQemu() {
        String raw = img("a.raw", "raw", "8M");
        String qcow = img("b.qcow2", "qcow2", "8M");
        String raw2 = img("c.raw", "raw", "8M");
        Path tpm = dir.resolve("tpm.raw");
        Path efi = dir.resolve("efi.raw");
        List<Map<String, String>> configs = List.of(
                m("memory", "64"),
                m("memory", "64", "ide0", raw, "ide2", "none,media=cdrom", "sata1", qcow + ",discard=on,ssd=1",
                        "boot", "order=ide0;ide2", "vga", "cirrus"),
                m("memory", "64", "scsihw", "virtio-scsi-single", "scsi0", raw + ",iothread=1,cache=writeback",
                        "scsi1", qcow + ",iothread=1", "virtio0", raw2 + ",iothread=1,serial=SER1", "vga", "qxl"),
                m("memory", "64", "scsihw", "virtio-scsi-pci", "scsi3", raw, "vga", "virtio", "tablet", "0"),
                m("memory", "64", "scsihw", "megasas", "scsi0", raw, "vga", "vmware"),
                m("memory", "64", "scsihw", "lsi", "scsi0", raw, "scsi8", qcow),
                m("memory", "64", "net0", "virtio=BC:24:11:00:00:01,bridge=" + BRIDGE, "net1", "e1000=BC:24:11:00:00:02,bridge=" + BRIDGE + ",tag=5",
                        "net2", "rtl8139=BC:24:11:00:00:03", "net7", "vmxnet3=BC:24:11:00:00:04,bridge=" + BRIDGE, "boot", "order=net0"),
                m("memory", "128", "machine", "q35", "bios", "ovmf", "efidisk0", efi + ",efitype=4m", "tpmstate0", tpm + ",version=v2.0",
                        "agent", "1", "rng0", "source=/dev/urandom", "serial0", "socket", "scsi0", raw, "ide2", "none,media=cdrom"),
                m("memory", "128", "sockets", "2", "cores", "2", "vcpus", "3", "numa", "1", "cpu", "max,flags=+aes",
                        "watchdog", "model=i6300esb,action=reset", "smbios1", "uuid=7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55,manufacturer=SGF2ZW4=,base64=1",
                        "vmgenid", "0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19", "localtime", "1", "usb0", "host=1d6b:0002,usb3=1"),
                m("memory", "64", "ostype", "win11", "vga", "std,memory=32", "acpi", "0", "reboot", "0", "keyboard", "de",
                        "args", "-no-hpet"),
                m("memory", "64", "machine", "q35", "bios", "ovmf", "balloon", "0", "agent", "1,type=isa", "vga", "serial0",
                        "hotplug", "network,disk", "startdate", "2020-01-01"));
        List<String> failures = new ArrayList<>();
        int vmid = BASE;
        for (Map<String, String> c : configs) {
            vmid++;
            GuestConfig cfg = new GuestConfig();
            c.forEach(cfg::set);
            store.create(vmid, cfg);
            try {
                vms.start(vmid, new VmManager.StartOptions(false, true, Duration.ofSeconds(60)), null);
                Map<String, Object> st = vms.status(vmid, true);
                assertThat(st.get("qmpstatus")).as(c.toString()).isIn("prelaunch", "paused");
                if (c.containsKey("net1")) {
                    // tag 5 on a bridge without VLAN filtering: the tap sits on <bridge>v5
                    assertThat(HostNet.bridgePorts(BRIDGE + "v5")).containsExactly("tap" + vmid + "i1");
                    assertThat(HostNet.bridgePorts(BRIDGE)).contains("tap" + vmid + "i0", "tap" + vmid + "i7");
                }
            } catch (RuntimeException e) {
                failures.add(c + " -> " + e.getMessage() + "\n" + vms.command(vmid).toShell());
            } finally {
                vms.stop(vmid, true, Duration.ofSeconds(10), null);
            }
            assertThat(vms.isRunning(vmid)).isFalse();
        }
        assertThat(failures).isEmpty();
        // the OVMF vars were initialised from Debian's template, swtpm ran and quit with QEMU
        assertThat(efi).hasSize(540672);
        assertThat(Proc.alivePid(vms.paths().swtpmPid(BASE + 8))).isEmpty();
    }
}
