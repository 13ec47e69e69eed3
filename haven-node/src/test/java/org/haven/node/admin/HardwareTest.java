package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PCI and USB listings from sysfs trees (a scratch tree with known devices, and the machine's own PCI bus). */
class HardwareTest {
    @TempDir Path tmp;

    static final String PCI_IDS = """
            # comment
            8086  Intel Corporation
            \t100e  82540EM Gigabit Ethernet Controller
            \t\t1af4 1100  QEMU Virtual Machine
            1af4  Red Hat, Inc.
            \t1000  Virtio network device
            C 00  Unclassified device
            \t00  Non-VGA unclassified device
            """;

    static void file(Path f, String text) throws IOException {
        Files.createDirectories(f.getParent());
        Files.writeString(f, text + "\n");
    }

    /** A PCI device directory as sysfs has it; {@code group} null: no IOMMU group. */
    static void pci(Path devices, String id, String cls, String vendor, String device, String subVendor, String subDevice, Integer group) throws IOException {
        Path d = devices.resolve(id);
        file(d.resolve("class"), cls);
        file(d.resolve("vendor"), vendor);
        file(d.resolve("device"), device);
        if (subVendor != null) file(d.resolve("subsystem_vendor"), subVendor);
        if (subDevice != null) file(d.resolve("subsystem_device"), subDevice);
        if (group != null) Files.createSymbolicLink(d.resolve("iommu_group"), Path.of("../../../kernel/iommu_groups/" + group));
    }

    @Test
    void pciIdsNamesVendorsDevicesAndSubsystems() {
        assertThat(PciDevices.parseIds(PCI_IDS)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "8086", "Intel Corporation", "8086:100e", "82540EM Gigabit Ethernet Controller",
                "8086:100e:1af4:1100", "QEMU Virtual Machine", "1af4", "Red Hat, Inc.", "1af4:1000", "Virtio network device"));
    }

    @Test
    void pciDevicesAsPveListsThem() throws IOException {
        Path devices = tmp.resolve("devices");
        pci(devices, "0000:00:03.0", "0x020000", "0x8086", "0x100e", "0x1af4", "0x1100", 3);
        pci(devices, "0000:00:00.0", "0x060000", "0x8086", "0x1237", "0x1af4", "0x1100", 0);
        pci(devices, "0000:01:00.0", "0x030000", "0x10de", "0x1eb8", null, null, null);
        Files.createDirectories(devices.resolve("0000:01:00.0/mdev_supported_types"));
        Files.createDirectories(devices.resolve("not-a-device"));
        Map<String, String> names = PciDevices.parseIds(PCI_IDS);

        List<Map<String, Object>> all = PciDevices.scan(devices, List.of("05", "06", "0b"), names);
        assertThat(all).extracting(m -> m.get("id")).containsExactly("0000:00:03.0", "0000:01:00.0");
        assertThat(all.get(0)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("id", "0000:00:03.0"), Map.entry("class", "0x020000"), Map.entry("vendor", "0x8086"), Map.entry("device", "0x100e"),
                Map.entry("iommugroup", 3), Map.entry("subsystem_vendor", "0x1af4"), Map.entry("subsystem_device", "0x1100"),
                Map.entry("vendor_name", "Intel Corporation"), Map.entry("device_name", "82540EM Gigabit Ethernet Controller"),
                Map.entry("subsystem_vendor_name", "Red Hat, Inc."), Map.entry("subsystem_device_name", "QEMU Virtual Machine")));
        assertThat(all.get(1)).containsEntry("iommugroup", -1).containsEntry("mdev", true).doesNotContainKeys("vendor_name", "subsystem_vendor");

        List<Map<String, Object>> terse = PciDevices.scan(devices, List.of(""), null);
        assertThat(terse).extracting(m -> m.get("id")).containsExactly("0000:00:00.0", "0000:00:03.0", "0000:01:00.0");
        assertThat(terse.get(0)).containsEntry("iommugroup", 0).doesNotContainKeys("vendor_name", "device_name");
    }

    @Test
    void thisMachinesPciBusIsListedWhole() throws IOException {
        Path devices = Path.of("/sys/bus/pci/devices");
        List<String> ids;
        try (Stream<Path> s = Files.list(devices)) {
            ids = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        List<Map<String, Object>> all = PciDevices.scan(devices, List.of(""), Map.of());
        assertThat(all).extracting(m -> m.get("id")).containsExactlyElementsOf(ids);
        for (Map<String, Object> d : all) assertThat((String) d.get("class")).as(d.toString()).matches("0x[0-9a-f]{6}");
    }

    static void usb(Path devices, String name, int bus, int dev, String cls, String vend, String prod, String speed, String product) throws IOException {
        Path d = devices.resolve(name);
        file(d.resolve("busnum"), Integer.toString(bus));
        file(d.resolve("devnum"), Integer.toString(dev));
        file(d.resolve("bDeviceClass"), cls);
        file(d.resolve("idVendor"), vend);
        file(d.resolve("idProduct"), prod);
        file(d.resolve("speed"), speed);
        if (product != null) file(d.resolve("product"), product);
    }

    @Test
    void usbDevicesAsPveListsThem() throws IOException {
        Path devices = tmp.resolve("usb");
        usb(devices, "usb1", 1, 1, "09", "1d6b", "0002", "480", "EHCI Host Controller");
        usb(devices, "1-2.3", 1, 4, "00", "0627", "0001", "12", "QEMU USB Tablet");
        usb(devices, "1-2", 1, 2, "09", "0409", "55aa", "480", null);
        file(devices.resolve("1-2.3/serial"), "42");
        file(devices.resolve("1-2.3/manufacturer"), "QEMU");
        Files.createDirectories(devices.resolve("1-2.3:1.0"));
        file(devices.resolve("1-2.3:1.0/bInterfaceClass"), "03");

        List<Map<String, Object>> all = UsbDevices.scan(devices);
        assertThat(all).extracting(m -> m.get("devnum")).containsExactly(1, 2, 4);
        assertThat(all.get(0)).containsExactlyInAnyOrderEntriesOf(Map.of("busnum", 1, "devnum", 1, "level", 0, "port", 0, "class", 9,
                "vendid", "1d6b", "prodid", "0002", "speed", "480", "product", "EHCI Host Controller"));
        assertThat(all.get(1)).containsEntry("level", 1).containsEntry("port", 2).containsEntry("usbpath", "2").doesNotContainKey("product");
        assertThat(all.get(2)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(Map.entry("busnum", 1), Map.entry("devnum", 4), Map.entry("level", 2),
                Map.entry("port", 3), Map.entry("usbpath", "2.3"), Map.entry("class", 0), Map.entry("vendid", "0627"), Map.entry("prodid", "0001"),
                Map.entry("speed", "12"), Map.entry("product", "QEMU USB Tablet"), Map.entry("serial", "42"), Map.entry("manufacturer", "QEMU")));
        assertThat(UsbDevices.scan(tmp.resolve("none"))).isEmpty();
    }
}
