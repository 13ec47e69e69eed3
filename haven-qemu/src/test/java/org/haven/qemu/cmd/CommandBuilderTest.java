package org.haven.qemu.cmd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.haven.guest.config.GuestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandBuilderTest {

    static final HostInfo HOST = new HostInfo("/usr/bin/qemu-system-x86_64", "7.2", true, true, "/usr/share/OVMF",
            "/run/haven/qemu-server/haven-bridge", true);
    static final VmPaths PATHS = new VmPaths(Path.of("/run/haven/qemu-server"));
    static final org.haven.guest.volume.VolumeResolver VOLS = volid -> {
        if (volid.startsWith("/")) return new org.haven.guest.volume.Volume(volid, "raw");
        String[] p = volid.split(":", 2);
        String name = p[1].contains("/") ? p[1].substring(p[1].indexOf('/') + 1) : p[1];
        String fmt = name.endsWith(".qcow2") ? "qcow2" : "raw";
        return new org.haven.guest.volume.Volume("/var/lib/vz/images/" + name, fmt);
    };

    static Map<String, String> conf(String text) {
        return new TreeMap<>(GuestConfig.parse(text).current().values());
    }

    static QemuCommand build(String text) {
        return CommandBuilder.build(100, conf(text), HOST, PATHS, VOLS);
    }

    @Test
    void typicalPveVmMatchesPveStructure() {
        QemuCommand c = build("""
                boot: order=scsi0;ide2;net0
                cores: 2
                ide2: none,media=cdrom
                memory: 2048
                name: web01
                net0: virtio=BC:24:11:2E:9A:01,bridge=vmbr0,firewall=1
                ostype: l26
                scsi0: local:100/vm-100-disk-0.qcow2,iothread=1,size=32G
                scsihw: virtio-scsi-single
                smbios1: uuid=7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55
                sockets: 1
                vmgenid: 0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19
                """);
        assertThat(c.pretty()).isEqualTo("""
                /usr/bin/qemu-system-x86_64 \\
                  -name 'web01,debug-threads=on' \\
                  -chardev 'socket,id=qmp,path=/run/haven/qemu-server/100.qmp,server=on,wait=off' \\
                  -mon 'chardev=qmp,mode=control' \\
                  -pidfile /run/haven/qemu-server/100.pid \\
                  -daemonize \\
                  -smbios 'type=1,uuid=7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55' \\
                  -smp '2,sockets=1,cores=2,maxcpus=2' \\
                  -nodefaults \\
                  -boot 'menu=on,strict=on,reboot-timeout=1000' \\
                  -vnc 'unix:/run/haven/qemu-server/100.vnc,password=on' \\
                  -cpu 'kvm64,enforce,+kvm_pv_eoi,+kvm_pv_unhalt,+lahf_lm,+sep' \\
                  -m 2048 \\
                  -device 'pci-bridge,id=pci.3,chassis_nr=3,bus=pci.0,addr=0x5' \\
                  -device 'vmgenid,guid=0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19' \\
                  -device 'piix3-usb-uhci,id=uhci,bus=pci.0,addr=0x1.0x2' \\
                  -device 'usb-tablet,id=tablet,bus=uhci.0,port=1' \\
                  -device 'VGA,id=vga,bus=pci.0,addr=0x2' \\
                  -device 'virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x3,free-page-reporting=on' \\
                  -drive 'if=none,id=drive-ide2,media=cdrom,aio=threads' \\
                  -device 'ide-cd,bus=ide.1,unit=0,drive=drive-ide2,id=ide2,bootindex=101' \\
                  -drive 'file=/var/lib/vz/images/vm-100-disk-0.qcow2,if=none,id=drive-scsi0,format=qcow2,cache=none,aio=io_uring,detect-zeroes=on' \\
                  -object 'iothread,id=iothread-virtioscsi0' \\
                  -device 'virtio-scsi-pci,id=virtioscsi0,bus=pci.3,addr=0x1,iothread=iothread-virtioscsi0' \\
                  -device 'scsi-hd,bus=virtioscsi0.0,channel=0,scsi-id=0,lun=0,drive=drive-scsi0,id=scsi0,bootindex=100' \\
                  -netdev 'type=tap,id=net0,ifname=tap100i0,script=/run/haven/qemu-server/haven-bridge,downscript=no,vhost=on' \\
                  -device 'virtio-net-pci,mac=BC:24:11:2E:9A:01,netdev=net0,bus=pci.0,addr=0x12,id=net0,rx_queue_size=1024,tx_queue_size=256,bootindex=102' \\
                  -machine 'type=pc-i440fx-7.2,accel=kvm'""");
        assertThat(c.taps()).containsExactly(new QemuCommand.Tap("tap100i0", "vmbr0", null, null, null, true));
        assertThat(c.tpm()).isNull();
        assertThat(c.efiVars()).isNull();
    }

    @Test
    void tcgFallbackDropsKvmOnlyFlags() {
        QemuCommand c = CommandBuilder.build(100, conf("cpu: host\n"), HOST.withKvm(false), PATHS, VOLS);
        assertThat(c.argv()).containsSubsequence("-cpu", "max");
        assertThat(c.argv().get(c.argv().size() - 1)).isEqualTo("type=pc-i440fx-7.2,accel=tcg");
        assertThat(build("kvm: 0\n").argv()).contains("type=pc-i440fx-7.2,accel=tcg");
        assertThat(build("cpu: host,flags=+aes;-pcid\n").argv()).contains("host,enforce,+aes,-pcid");
        assertThat(build("cpu: x86-64-v2-AES\n").argv()).contains("qemu64,enforce,+aes,+cx16,+lahf_lm,+popcnt,+pni,+sse4.1,+sse4.2,+ssse3,+kvm_pv_eoi,+kvm_pv_unhalt");
    }

    @Test
    void q35OvmfTpmAgentSerialRng() {
        QemuCommand c = build("""
                agent: 1
                bios: ovmf
                efidisk0: local:100/vm-100-disk-1.raw,efitype=4m,size=528K
                machine: q35
                rng0: source=/dev/urandom
                serial0: socket
                tpmstate0: local:100/vm-100-disk-2.raw,version=v2.0
                vga: serial0
                """);
        List<String> a = c.argv();
        assertThat(a).containsSubsequence("-drive", "if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                "-drive", "if=pflash,unit=1,id=drive-efidisk0,format=raw,file=/var/lib/vz/images/vm-100-disk-1.raw");
        assertThat(c.efiVars()).isEqualTo(new QemuCommand.EfiVars("/var/lib/vz/images/vm-100-disk-1.raw", "/usr/share/OVMF/OVMF_VARS_4M.fd", "raw"));
        assertThat(a).containsSubsequence("-device", "i82801b11-bridge,id=pcidmi,bus=pcie.0,addr=0x1e",
                "-device", "pci-bridge,id=pci.0,chassis_nr=1,bus=pcidmi,addr=0x1");
        assertThat(a).containsSubsequence("-chardev", "socket,path=/run/haven/qemu-server/100.qga,server=on,wait=off,id=qga0",
                "-device", "virtio-serial,id=qga0,bus=pci.0,addr=0x8",
                "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0");
        assertThat(a).containsSubsequence("-chardev", "socket,id=serial0,path=/run/haven/qemu-server/100.serial0,server=on,wait=off",
                "-device", "isa-serial,chardev=serial0");
        assertThat(a).containsSubsequence("-object", "rng-random,filename=/dev/urandom,id=rng0",
                "-device", "virtio-rng-pci,rng=rng0,max-bytes=1024,period=1000,bus=pci.1,addr=0x1d");
        assertThat(a).contains("pci-bridge,id=pci.1,chassis_nr=2,bus=pci.0,addr=0x2");
        assertThat(a).containsSubsequence("-chardev", "socket,id=tpmchar,path=/run/haven/qemu-server/100.swtpm",
                "-tpmdev", "emulator,id=tpmdev,chardev=tpmchar", "-device", "tpm-tis,tpmdev=tpmdev");
        assertThat(c.tpm()).isEqualTo(new QemuCommand.Tpm("/var/lib/vz/images/vm-100-disk-2.raw", "v2.0", "/run/haven/qemu-server/100.swtpm"));
        assertThat(a).noneMatch(s -> s.startsWith("VGA") || s.startsWith("usb-tablet"));
        assertThat(a).contains("type=pc-q35-7.2,accel=kvm");
    }

    @Test
    void diskBusesAndControllers() {
        QemuCommand c = build("""
                ide0: local:100/vm-100-disk-0.raw,cache=writeback
                sata1: local:100/vm-100-disk-1.qcow2,discard=on,ssd=1
                scsi0: local:100/vm-100-disk-2.raw
                scsi8: local:100/vm-100-disk-3.raw
                virtio0: local:100/vm-100-disk-4.raw,iothread=1,serial=ABC
                """);
        List<String> a = c.argv();
        assertThat(a).containsSubsequence("-drive", "file=/var/lib/vz/images/vm-100-disk-0.raw,if=none,id=drive-ide0,format=raw,cache=writeback,aio=threads,detect-zeroes=on",
                "-device", "ide-hd,bus=ide.0,unit=0,drive=drive-ide0,id=ide0,bootindex=100");
        assertThat(a).containsSubsequence("-device", "ahci,id=ahci0,multifunction=on,bus=pci.0,addr=0x7",
                "-device", "ide-hd,bus=ahci0.1,drive=drive-sata1,id=sata1,rotation_rate=1");
        assertThat(a).contains("file=/var/lib/vz/images/vm-100-disk-1.qcow2,if=none,id=drive-sata1,format=qcow2,cache=none,aio=io_uring,discard=unmap,detect-zeroes=unmap");
        assertThat(a).containsSubsequence("-device", "lsi,id=scsihw0,bus=pci.0,addr=0x5",
                "-device", "scsi-hd,bus=scsihw0.0,scsi-id=0,drive=drive-scsi0,id=scsi0");
        assertThat(a).containsSubsequence("-device", "lsi,id=scsihw1,bus=pci.0,addr=0x6",
                "-device", "scsi-hd,bus=scsihw1.0,scsi-id=1,drive=drive-scsi8,id=scsi8");
        assertThat(a).containsSubsequence("-object", "iothread,id=iothread-virtio0",
                "-device", "virtio-blk-pci,drive=drive-virtio0,id=virtio0,bus=pci.0,addr=0xa,iothread=iothread-virtio0,serial=ABC");
    }

    @Test
    void nicsModelsVlanAndUserNet() {
        QemuCommand c = build("""
                net0: e1000=BC:24:11:00:00:01,bridge=vmbr1,tag=20,mtu=9000
                net1: rtl8139=BC:24:11:00:00:02
                net7: virtio=BC:24:11:00:00:03,bridge=vmbr0,queues=4
                """);
        List<String> a = c.argv();
        assertThat(a).contains("e1000,mac=BC:24:11:00:00:01,netdev=net0,bus=pci.0,addr=0x12,id=net0,bootindex=100");
        assertThat(a).contains("type=user,id=net1,hostname=vm100");
        assertThat(a).contains("rtl8139,mac=BC:24:11:00:00:02,netdev=net1,bus=pci.0,addr=0x13,id=net1,bootindex=101");
        assertThat(a).contains("pci-bridge,id=pci.1,chassis_nr=1,bus=pci.0,addr=0x1e");
        assertThat(a).contains("virtio-net-pci,mac=BC:24:11:00:00:03,netdev=net7,bus=pci.1,addr=0x2,id=net7,rx_queue_size=1024,tx_queue_size=256,mq=on,vectors=10,bootindex=102");
        assertThat(c.taps()).containsExactly(new QemuCommand.Tap("tap100i0", "vmbr1", 20, null, 9000, false),
                new QemuCommand.Tap("tap100i7", "vmbr0", null, null, null, false));
    }

    @Test
    void numaCpuTopologyAndMisc() {
        List<String> a = build("""
                sockets: 2
                cores: 2
                vcpus: 3
                memory: 2048
                numa: 1
                acpi: 0
                reboot: 0
                localtime: 1
                keyboard: de
                tablet: 0
                balloon: 0
                watchdog: model=i6300esb,action=reset
                args: -device 'virtio-rng-pci,id=x' -no-hpet
                """).argv();
        assertThat(a).containsSubsequence("-smp", "3,sockets=2,cores=2,maxcpus=4");
        assertThat(a).containsSubsequence("-object", "memory-backend-ram,id=ram-node0,size=1024M", "-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0",
                "-object", "memory-backend-ram,id=ram-node1,size=1024M", "-numa", "node,nodeid=1,cpus=2-3,memdev=ram-node1");
        assertThat(a).contains("-no-acpi", "-no-reboot");
        assertThat(a).containsSubsequence("-rtc", "base=localtime");
        assertThat(a).containsSubsequence("-k", "de");
        assertThat(a).noneMatch(s -> s.startsWith("virtio-balloon") || s.startsWith("usb-tablet") || s.startsWith("piix3-usb"));
        assertThat(a).containsSubsequence("-device", "i6300esb,bus=pci.0,addr=0x4", "-watchdog-action", "reset");
        assertThat(a.subList(a.size() - 3, a.size())).containsExactly("-device", "virtio-rng-pci,id=x", "-no-hpet");
    }

    @Test
    void legacyBootOrderAndErrors() {
        QemuCommand c = build("ide2: none,media=cdrom\nvirtio0: local:100/vm-100-disk-0.raw\nnet0: virtio=BC:24:11:00:00:01\n");
        assertThat(c.argv()).anyMatch(s -> s.startsWith("ide-cd") && s.endsWith("bootindex=101"));
        assertThat(c.argv()).anyMatch(s -> s.startsWith("virtio-blk-pci") && s.endsWith("bootindex=100"));
        assertThat(c.argv()).anyMatch(s -> s.startsWith("virtio-net-pci") && s.endsWith("bootindex=102"));
        assertThatThrownBy(() -> build("sockets: 1\ncores: 2\nvcpus: 3\n")).hasMessage("MAX 2 vcpus allowed per VM on this node");
        assertThatThrownBy(() -> build("memory: 1024\nnuma: 1\nnuma0: cpus=0,memory=512\n"))
                .hasMessage("total memory for NUMA nodes must be equal to vm static memory");
        assertThatThrownBy(() -> build("args: -foo 'bar\n")).hasMessage("unable to parse args - unbalanced quotes");
    }

    @Test
    void shellQuoting() {
        assertThat(QemuCommand.quote("plain/path-1.2:x=y")).isEqualTo("plain/path-1.2:x=y");
        assertThat(QemuCommand.quote("a,b")).isEqualTo("'a,b'");
        assertThat(QemuCommand.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(QemuCommand.quote("")).isEqualTo("''");
        assertThat(CommandBuilder.splitArgs("-a 'b c' \"d\\\"e\" f\\ g")).containsExactly("-a", "b c", "d\"e", "f g");
    }

    /** PVE's tap names; per node where nodes share a host, within the 15 characters of an interface name. */
    @ParameterizedTest(name = "{0}i{1} on {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "100       | 0  | -     | tap100i0",
            "999999999 | 31 | -     | tap999999999i31",
            "100       | 0  | node1 | tap100i0n0rmfe7",
            "100       | 0  | node2 | tap100i0n0rmfe8",
            "901       | 12 | node2 | tap901i12nrmfe8",
            "99999999  | 1  | node2 | tap99999999i1n8",
            "99999999  | 12 | node2 | tap99999999i12"})
    void tapNames(int vmid, int index, String node, String name) {
        assertThat(HostInfo.tapName(vmid, index, node)).isEqualTo(name).hasSizeLessThanOrEqualTo(15);
        assertThat(HOST.withTapNode(node).tap(vmid, index)).isEqualTo(name);
    }

    @Test
    void tapsOfEmbeddedNodesDiffer() {
        String net = "net0: virtio=BC:24:11:AA:BB:01,bridge=vmbr0\n";
        QemuCommand one = CommandBuilder.build(100, conf(net), HOST.withTapNode("node1"), PATHS, VOLS);
        QemuCommand two = CommandBuilder.build(100, conf(net), HOST.withTapNode("node2"), PATHS, VOLS);
        assertThat(one.taps().get(0).name()).isEqualTo("tap100i0n0rmfe7").isNotEqualTo(two.taps().get(0).name());
        assertThat(String.join(" ", one.argv())).contains("ifname=tap100i0n0rmfe7,");
    }
}
