package org.haven.qemu.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.schema.ParamException;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.core.time.Clock;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.QemuService;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config operations against a real directory storage: allocation, unused volumes, destroy, failures. */
@RealTest
class QemuServiceTest {

    @TempDir Path dir;
    QemuService svc;
    GuestConfigStore store;
    Path images;
    final List<String> log = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        MemoryClusterFs cfs = new MemoryClusterFs("node1");
        images = dir.resolve("vmstore");
        Files.createDirectories(images);
        Files.createDirectories(dir.resolve("isos"));
        Files.createDirectories(dir.resolve("vmstore2"));
        cfs.writeString("storage.cfg", "dir: vmstore\n\tpath " + images + "\n\tcontent images,rootdir\n\n"
                + "dir: vmstore2\n\tpath " + dir.resolve("vmstore2") + "\n\tcontent images\n\n"
                + "dir: isos\n\tpath " + dir.resolve("isos") + "\n\tcontent iso\n");
        StorageManager sm = new StorageManager(cfs, "node1", dir.resolve("local"), new ProcessCommandRunner());
        store = GuestConfigStore.qemu(cfs);
        VmPaths paths = new VmPaths(dir.resolve("run"));
        HostInfo host = new HostInfo(HostInfo.QEMU, "7.2", false, false, "/usr/share/OVMF", paths.dir().resolve("haven-bridge").toString(), false);
        svc = new QemuService(new VmManager(store, host, paths, new StorageVolumes(sm), true), () -> 1700000000L);
    }

    List<String> files() throws Exception {
        try (Stream<Path> s = Files.walk(images)) {
            return s.filter(Files::isRegularFile).map(p -> images.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void mappedDevicesBecomeThisNodesDevicesOnTheCommandLine() throws Exception {
        String pci;
        try (Stream<Path> s = Files.list(Path.of("/sys/bus/pci/devices"))) {
            pci = s.map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
        }
        store.cfs().mkdirs("mapping");
        store.cfs().writeString("mapping/pci.cfg", "card\n\tmap id=1234:5678,node=node1,path=0000:7f:1f.7\n\tmap id=1234:5678,node=node1,path=" + pci + "\n\n");
        store.cfs().writeString("mapping/usb.cfg", "stick\n\tmap id=0781:5567,node=node1,path=1-2\n\tmap id=0781:5567,node=node2\n\n");
        svc.create(110, Map.of("hostpci0", "mapping=card,rombar=0", "usb0", "mapping=stick"), log::add);
        // the first path this host does not have is passed over
        assertThat(svc.showcmd(110, false, null)).contains("vfio-pci,host=" + pci + ",id=hostpci0").contains(",rombar=0")
                .contains("usb-host,").contains("hostbus=1,hostport=2,id=usb0");
        assertThat(store.load(110).get("hostpci0")).contains("mapping=card,rombar=0");
        store.cfs().writeString("mapping/usb.cfg", "stick\n\tmap id=0781:5567,node=node2\n\n");
        assertThatThrownBy(() -> svc.showcmd(110, false, null)).hasMessageContaining("No mapping for node node1");
    }

    @Test
    void nicsWithoutAMacGetAGeneratedOneOnCreateAndUpdate() throws Exception {
        svc.create(100, Map.of("net0", "virtio,bridge=vmbr0", "net1", "e1000=02:00:00:00:00:01,bridge=vmbr0"), log::add);
        svc.create(101, Map.of("net0", "virtio,bridge=vmbr0"), log::add);
        String mac100 = store.load(100).get("net0").orElseThrow();
        assertThat(mac100).matches("virtio=BC:24:11(:[0-9A-F]{2}){3},bridge=vmbr0");
        assertThat(store.load(101).get("net0").orElseThrow()).matches("virtio=BC:24:11(:[0-9A-F]{2}){3},bridge=vmbr0").isNotEqualTo(mac100);
        assertThat(store.load(100).get("net1")).contains("e1000=02:00:00:00:00:01,bridge=vmbr0");
        assertThat(svc.showcmd(100, false, null)).contains("mac=" + mac100.substring("virtio=".length(), "virtio=".length() + 17));

        // the cluster's prefix; a NIC edited without its MAC gets a new one, one given keeps it
        store.cfs().writeString("datacenter.cfg", "keyboard: en-us\nmac_prefix: 02:ab\n");
        svc.update(100, Map.of("net0", "virtio,bridge=vmbr1", "net2", "rtl8139,bridge=vmbr0", "net1", "e1000=02:00:00:00:00:01,bridge=vmbr1"),
                List.of(), List.of(), null, false, false, log::add);
        GuestConfig cfg = store.load(100);
        assertThat(cfg.get("net0").orElseThrow()).matches("virtio=02:AB(:[0-9A-F]{2}){4},bridge=vmbr1");
        assertThat(cfg.get("net2").orElseThrow()).matches("rtl8139=02:AB(:[0-9A-F]{2}){4},bridge=vmbr0");
        assertThat(cfg.get("net1")).contains("e1000=02:00:00:00:00:01,bridge=vmbr1");
        // changes without a NIC leave the MACs alone
        svc.update(100, Map.of("name", "macs"), List.of(), List.of(), null, false, false, log::add);
        assertThat(store.load(100).get("net0")).isEqualTo(cfg.get("net0"));
    }

    @Test
    void createAllocatesDisksInPveSyntax() throws Exception {
        svc.create(100, Map.of("scsi0", "vmstore:1,cache=writeback", "virtio1", "vmstore:0.5,format=qcow2",
                "efidisk0", "vmstore:1,efitype=4m", "bios", "ovmf", "name", "alloc", "description", "two lines\nof text"), log::add);
        GuestConfig cfg = store.load(100);
        assertThat(cfg.get("scsi0")).contains("vmstore:100/vm-100-disk-0.raw,cache=writeback,size=1G");
        assertThat(cfg.get("virtio1")).contains("vmstore:100/vm-100-disk-1.qcow2,size=512M");
        assertThat(cfg.get("efidisk0")).contains("vmstore:100/vm-100-disk-2.raw,efitype=4m,size=528K");
        assertThat(cfg.get("meta")).contains("creation-qemu=7.2.0,ctime=1700000000");
        assertThat(cfg.get("smbios1").orElseThrow()).matches("uuid=[0-9a-f-]{36}");
        assertThat(cfg.current().description()).isEqualTo("two lines\nof text");
        assertThat(files()).containsExactly("images/100/vm-100-disk-0.raw", "images/100/vm-100-disk-1.qcow2", "images/100/vm-100-disk-2.raw");
        // the EFI vars disk holds OVMF's template
        assertThat(Files.readAllBytes(images.resolve("images/100/vm-100-disk-2.raw")))
                .isEqualTo(Files.readAllBytes(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd")));
        assertThat(log).anyMatch(l -> l.startsWith("scsi0: successfully created disk 'vmstore:100/vm-100-disk-0.raw,size=1G'"));
        assertThat(svc.showcmd(100, false, null)).contains("file=" + images.resolve("images/100/vm-100-disk-0.raw"));
    }

    @Test
    void failedCreateLeavesNothingBehind() throws Exception {
        // the second disk goes to a storage without 'images' content: everything allocated before is freed
        assertThatThrownBy(() -> svc.create(101, new java.util.TreeMap<>(Map.of("scsi0", "vmstore:1", "scsi1", "isos:1")), log::add))
                .isInstanceOf(ParamException.class)
                .satisfies(e -> assertThat(((ParamException) e).errors().get("scsi1")).contains("does not support content-type 'images'"));
        assertThat(store.owner(101)).isEmpty();
        assertThat(files()).isEmpty();
        assertThatThrownBy(() -> svc.create(101, Map.of("scsi0", "nosuch:1"), log::add)).isInstanceOf(ParamException.class);
        assertThatThrownBy(() -> svc.create(101, Map.of("cores", "0"), log::add)).hasMessageContaining("cores: value must have a minimum value of 1");
        assertThat(store.owner(101)).isEmpty();
    }

    @Test
    void updateDeletesToUnusedThenFreesAndDestroyRemovesAll() throws Exception {
        svc.create(102, Map.of("scsi0", "vmstore:1", "scsi1", "vmstore:1"), log::add);
        String digest = store.load(102).digest();
        svc.update(102, Map.of("cores", "2"), List.of("scsi1"), List.of(), digest, false, false, log::add);
        GuestConfig cfg = store.load(102);
        assertThat(cfg.get("scsi1")).isEmpty();
        assertThat(cfg.get("unused0")).contains("vmstore:102/vm-102-disk-1.raw");
        assertThat(cfg.get("cores")).contains("2");
        assertThat(cfg.pending().isEmpty()).isTrue();
        assertThatThrownBy(() -> svc.update(102, Map.of("cores", "4"), List.of(), List.of(), digest, false, false, log::add))
                .hasMessage("detected modified configuration - file changed by other user? Try again.");
        svc.update(102, Map.of(), List.of("unused0"), List.of(), null, false, false, log::add);
        assertThat(files()).containsExactly("images/102/vm-102-disk-0.raw");
        assertThatThrownBy(() -> svc.update(102, Map.of("cores", "2"), List.of("cores"), List.of(), null, false, false, log::add))
                .isInstanceOf(ParamException.class).hasMessageContaining("cannot set and delete 'cores' at the same time");
        svc.update(102, Map.of("protection", "1"), List.of(), List.of(), null, false, false, log::add);
        assertThatThrownBy(() -> svc.guests().destroy(102, false, log::add)).hasMessage("can't remove VM 102 - protection mode enabled");
        svc.update(102, Map.of("lock", "backup"), List.of("protection"), List.of(), null, false, false, log::add);
        assertThatThrownBy(() -> svc.guests().destroy(102, false, log::add)).hasMessage("VM is locked (backup)");
        svc.update(102, Map.of(), List.of("lock"), List.of(), null, true, false, log::add);
        svc.guests().destroy(102, false, log::add);
        assertThat(store.owner(102)).isEmpty();
        assertThat(files()).isEmpty();
    }

    @Test
    void resizeMoveAndUnlinkOfAStoppedVm() throws Exception {
        svc.create(104, Map.of("scsi0", "vmstore:0.0625", "scsi1", "vmstore:0.0625"), log::add);
        svc.resize(104, "scsi0", "+32M", null, false, log::add);
        assertThat(store.load(104).get("scsi0")).contains("vmstore:104/vm-104-disk-0.raw,size=96M");
        assertThat(Files.size(images.resolve("images/104/vm-104-disk-0.raw"))).isEqualTo(96L << 20);
        svc.resize(104, "scsi0", "128M", null, false, log::add);
        assertThat(store.load(104).get("scsi0")).contains("vmstore:104/vm-104-disk-0.raw,size=128M");
        assertThatThrownBy(() -> svc.resize(104, "scsi0", "64M", null, false, log::add)).hasMessage("shrinking disks is not supported");
        assertThatThrownBy(() -> svc.resize(104, "scsi5", "+1G", null, false, log::add)).hasMessage("disk 'scsi5' does not exist");

        Files.write(images.resolve("images/104/vm-104-disk-0.raw"), "payload".getBytes(), java.nio.file.StandardOpenOption.WRITE);
        svc.moveDisk(104, "scsi0", "vmstore2", "qcow2", false, null, log::add);
        GuestConfig cfg = store.load(104);
        assertThat(cfg.get("scsi0")).contains("vmstore2:104/vm-104-disk-0.qcow2,size=128M");
        assertThat(cfg.get("unused0")).contains("vmstore:104/vm-104-disk-0.raw");
        assertThat(cfg.lock()).isEmpty();
        // the data came along
        Path out = dir.resolve("check.raw");
        assertThat(org.haven.qemu.run.Proc.run("qemu-img", "convert", "-O", "raw",
                dir.resolve("vmstore2/images/104/vm-104-disk-0.qcow2").toString(), out.toString()).ok()).isTrue();
        assertThat(new String(Files.readAllBytes(out), 0, 7)).isEqualTo("payload");
        assertThatThrownBy(() -> svc.moveDisk(104, "scsi0", "vmstore2", "qcow2", false, null, log::add))
                .hasMessage("you can't move to the same storage with same format");

        svc.unlink(104, List.of("scsi1", "unused0"), true, log::add);
        cfg = store.load(104);
        assertThat(cfg.get("scsi1")).isEmpty();
        assertThat(cfg.get("unused0")).isEmpty();
        assertThat(files()).isEmpty();
    }

    @Test
    void importFromCopiesAnImage() throws Exception {
        Path src = dir.resolve("source.qcow2");
        assertThat(org.haven.qemu.run.Proc.run("qemu-img", "create", "-f", "qcow2", src.toString(), "48M").ok()).isTrue();
        svc.create(105, Map.of("scsi0", "vmstore:0,import-from=" + src), log::add);
        assertThat(store.load(105).get("scsi0")).contains("vmstore:105/vm-105-disk-0.raw,size=48M");
        assertThat(Files.size(images.resolve("images/105/vm-105-disk-0.raw"))).isEqualTo(48L << 20);
        assertThatThrownBy(() -> svc.update(105, Map.of("scsi1", "vmstore:1,import-from=" + src), List.of(), List.of(), null, false, false, log::add))
                .hasMessageContaining("'import-from' requires special syntax");
        assertThatThrownBy(() -> svc.update(105, Map.of("scsi1", "vmstore:0,import-from=/nonexistent.raw"), List.of(), List.of(), null, false, false, log::add))
                .hasMessageContaining("does not exist");
        assertThat(files()).containsExactly("images/105/vm-105-disk-0.raw");
        // qm disk import: as unused disk, or attached
        assertThat(svc.importDisk(105, src.toString(), "vmstore", "qcow2", null, log::add)).isEqualTo("unused0");
        assertThat(store.load(105).get("unused0")).contains("vmstore:105/vm-105-disk-1.qcow2");
        assertThat(svc.importDisk(105, src.toString(), "vmstore", null, "virtio3", log::add)).isEqualTo("virtio3");
        assertThat(store.load(105).get("virtio3")).contains("vmstore:105/vm-105-disk-2.raw,size=48M");
    }

    @Test
    void haManagedVmsNeedPurgeToBeDestroyed() {
        svc.create(106, Map.of("memory", "128"), log::add);
        store.cfs().mkdirs("ha");
        store.cfs().writeString("ha/resources.cfg", "vm: 106\n\tstate started\n\tgroup g1\n\nvm: 999\n\tstate stopped\n\n");
        assertThat(svc.guests().haStatus(106)).containsEntry("managed", 1).containsEntry("state", "started").containsEntry("group", "g1");
        assertThatThrownBy(() -> svc.guests().destroy(106, false, false, log::add))
                .hasMessage("unable to remove VM 106 - used in HA resources and purge parameter not set.");
        svc.guests().destroy(106, false, true, log::add);
        assertThat(store.owner(106)).isEmpty();
        assertThat(store.cfs().readString("ha/resources.cfg").orElseThrow()).doesNotContain("106").contains("vm: 999");
    }

    @Test
    void rescanAddsUnreferencedVolumesAndFixesSizes() throws Exception {
        svc.create(107, Map.of("scsi0", "vmstore:0.0625"), log::add);
        Path stray = images.resolve("images/107/vm-107-disk-5.raw");
        Files.write(stray, new byte[4096]);
        org.haven.qemu.run.Proc.run("qemu-img", "resize", "-f", "raw", images.resolve("images/107/vm-107-disk-0.raw").toString(), "96M");
        List<String> dry = svc.rescan(107, true);
        assertThat(dry).anyMatch(l -> l.contains("add unreferenced volume 'vmstore:107/vm-107-disk-5.raw' as 'unused0'"));
        assertThat(store.load(107).get("unused0")).isEmpty();
        svc.rescan(null, false);
        GuestConfig cfg = store.load(107);
        assertThat(cfg.get("unused0")).contains("vmstore:107/vm-107-disk-5.raw");
        assertThat(cfg.get("scsi0")).contains("vmstore:107/vm-107-disk-0.raw,size=96M");
        assertThat(svc.rescan(107, false)).noneMatch(l -> l.startsWith("VM 107"));
    }

    @Test
    void cloudInitDriveHoldsTheNoCloudData() throws Exception {
        Tools.require("genisoimage", "genisoimage");
        svc.create(108, Map.of("name", "ci", "ide2", "vmstore:cloudinit", "ciuser", "admin", "cipassword", "secret",
                "net0", "virtio=BC:24:11:00:00:08", "ipconfig0", "ip=10.0.0.5/24,gw=10.0.0.1", "nameserver", "1.1.1.1",
                "searchdomain", "example.com", "sshkeys", "ssh-ed25519%20AAAAC3Nz%20me%40host"), log::add);
        String ide2 = store.load(108).get("ide2").orElseThrow();
        assertThat(ide2).matches("vmstore:108/vm-108-cloudinit\\.(raw|qcow2),media=cdrom");
        svc.prepareCloudInit(108, store.load(108).current().values());
        String volid = ide2.substring(0, ide2.indexOf(','));
        Path vol = images.resolve("images/108/" + volid.substring(volid.lastIndexOf('/') + 1));
        Path iso = dir.resolve("ci.iso");
        assertThat(org.haven.qemu.run.Proc.run("qemu-img", "convert", "-O", "raw", vol.toString(), iso.toString()).ok()).isTrue();
        String userData = org.haven.qemu.run.Proc.run("isoinfo", "-R", "-i", iso.toString(), "-x", "/user-data").output();
        assertThat(userData).startsWith("#cloud-config\nhostname: ci\nmanage_etc_hosts: true\nfqdn: ci.example.com\nuser: admin\npassword: secret\n")
                .contains("ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3Nz me@host\n");
        String net = org.haven.qemu.run.Proc.run("isoinfo", "-R", "-i", iso.toString(), "-x", "/network-config").output();
        assertThat(net).contains("mac_address: 'bc:24:11:00:00:08'", "address: '10.0.0.5'", "netmask: '255.255.255.0'", "gateway: '10.0.0.1'",
                "- '1.1.1.1'", "- 'example.com'");
        assertThat(org.haven.qemu.run.Proc.run("isoinfo", "-d", "-i", iso.toString()).output()).contains("Volume id: cidata");
        // the drive is a cdrom on the command line
        assertThat(svc.showcmd(108, false, null)).contains("media=cdrom").contains("vm-108-cloudinit");
    }

    @Test
    void importOvfCreatesTheVmWithItsDisks() throws Exception {
        Path ovfDir = dir.resolve("ovf");
        Files.createDirectories(ovfDir);
        assertThat(org.haven.qemu.run.Proc.run("qemu-img", "create", "-f", "vmdk", ovfDir.resolve("disk1.vmdk").toString(), "40M").ok()).isTrue();
        Path manifest = ovfDir.resolve("appliance.ovf");
        Files.writeString(manifest, """
                <?xml version="1.0" encoding="UTF-8"?>
                <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
                  <References><File ovf:id="file1" ovf:href="disk1.vmdk"/></References>
                  <DiskSection><Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="40"/></DiskSection>
                  <VirtualSystem ovf:id="appliance">
                    <Name>My Appliance</Name>
                    <VirtualHardwareSection>
                      <Item><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
                      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
                      <Item><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:ResourceType>17</rasd:ResourceType></Item>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """);
        var dry = svc.importOvf(109, manifest, "vmstore", null, true, log::add);
        assertThat(dry).isEqualTo(new QemuService.Ovf("My-Appliance", 2, 1024, List.of(ovfDir.resolve("disk1.vmdk").toString())));
        assertThat(store.owner(109)).isEmpty();
        svc.importOvf(109, manifest, "vmstore", "qcow2", false, log::add);
        GuestConfig cfg = store.load(109);
        assertThat(cfg.get("name")).contains("My-Appliance");
        assertThat(cfg.get("cores")).contains("2");
        assertThat(cfg.get("memory")).contains("1024");
        assertThat(cfg.get("scsi0")).contains("vmstore:109/vm-109-disk-0.qcow2,size=40M");
    }

    @Test
    void pendingViewAndConfigWithPendingValues() {
        svc.create(103, Map.of("memory", "512", "name", "p"), log::add);
        GuestConfig cfg = store.load(103);
        cfg.pending().set("memory", "1024");
        cfg.addPendingDelete("name", false);
        store.write(103, cfg);
        assertThat(svc.config(103, true, null)).containsEntry("memory", "512").containsEntry("name", "p");
        assertThat(svc.config(103, false, null)).containsEntry("memory", "1024").doesNotContainKey("name");
        List<Map<String, Object>> pending = svc.guests().pending(103);
        assertThat(pending).contains(Map.of("key", "memory", "value", "512", "pending", "1024"), Map.of("key", "name", "value", "p", "delete", 1));
    }
}
