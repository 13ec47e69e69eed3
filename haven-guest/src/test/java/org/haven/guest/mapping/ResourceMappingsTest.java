package org.haven.guest.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.haven.core.format.SectionConfig;
import org.haven.guest.mapping.ResourceMappings.Kind;
import org.haven.guest.mapping.ResourceMappings.PciFunction;
import org.haven.guest.mapping.ResourceMappings.UsbDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Resource mapping files, their update rules, the per-node checks and the choice of a device at guest start. */
class ResourceMappingsTest {

    static final String PCI = """
            gpu
            	description render cards
            	mdev 1
            	map id=10de:1b80,iommugroup=12,node=n1,path=0000:01:00.0
            	map id=10de:1b80,iommugroup=7,node=n2,path=0000:02:00.0;0000:03:00.0

            """;

    @Test
    void filesRoundTripAndShowAsTheApiDoes() {
        SectionConfig.Document doc = ResourceMappings.parse(Kind.PCI, PCI);
        assertThat(ResourceMappings.write(Kind.PCI, doc)).isEqualTo(PCI);
        assertThat(ResourceMappings.toApi(doc.find("gpu").orElseThrow())).containsExactly(
                Map.entry("id", "gpu"), Map.entry("type", "pci"), Map.entry("description", "render cards"), Map.entry("mdev", 1),
                Map.entry("map", List.of("id=10de:1b80,iommugroup=12,node=n1,path=0000:01:00.0",
                        "id=10de:1b80,iommugroup=7,node=n2,path=0000:02:00.0;0000:03:00.0")));
        assertThat(ResourceMappings.nodeMaps(doc.find("gpu").orElseThrow(), "n2")).singleElement()
                .satisfies(m -> assertThat(m).containsEntry("path", "0000:02:00.0;0000:03:00.0"));
        assertThat(Kind.DIR.file()).isEqualTo("mapping/directory.cfg");
        assertThat(Kind.USB.lock()).isEqualTo("file-mapping_usb_cfg");
    }

    @Test
    void createAndUpdateFollowPvesRules() {
        SectionConfig.Document doc = ResourceMappings.parse(Kind.USB, "");
        ResourceMappings.create(doc, Kind.USB, "stick", Map.of("description", "a key"), List.of("id=0781:5567,node=n1"));
        assertThatThrownBy(() -> ResourceMappings.create(doc, Kind.USB, "stick", Map.of(), List.of("id=0781:5567,node=n2")))
                .hasMessage("usb ID 'stick' already defined");
        assertThatThrownBy(() -> ResourceMappings.create(doc, Kind.USB, "other", Map.of(), List.of()))
                .hasMessage("missing value for required option 'map'");
        assertThatThrownBy(() -> ResourceMappings.create(doc, Kind.USB, "other", Map.of("mdev", "1"), List.of("id=0781:5567,node=n1")))
                .hasMessage("unexpected property 'mdev'");
        assertThatThrownBy(() -> ResourceMappings.update(doc, Kind.USB, "stick", Map.of(), null, List.of("map")))
                .hasMessage("unable to delete required option 'map'");
        assertThatThrownBy(() -> ResourceMappings.update(doc, Kind.USB, "stick", Map.of("description", "x"), null, List.of("description")))
                .hasMessage("cannot set and delete property 'description' at the same time!");
        assertThatThrownBy(() -> ResourceMappings.update(doc, Kind.USB, "nope", Map.of(), null, List.of()))
                .isInstanceOf(ResourceMappings.NoSuchMappingException.class).hasMessage("mapping 'nope' not found");

        // a change keeps the map unless a new one is given; options are written in PVE's order
        ResourceMappings.update(doc, Kind.USB, "stick", Map.of(), List.of("id=0781:5567,node=n1", "id=0781:5567,node=n2,path=1-2"), List.of("description"));
        ResourceMappings.update(doc, Kind.USB, "stick", Map.of("description", "two nodes"), null, List.of());
        assertThat(ResourceMappings.write(Kind.USB, doc)).isEqualTo("""
                stick
                	description two nodes
                	map id=0781:5567,node=n1
                	map id=0781:5567,node=n2,path=1-2

                """);
    }

    static Stream<Arguments> pciEntries() {
        PciFunction gpu = new PciFunction("10de", "1b80", 12, "1462", "3362", false);
        PciFunction second = new PciFunction("10de", "10f0", 12, null, null, false);
        PciFunction noIommu = new PciFunction("10de", "1b80", -1, null, null, true);
        Map<String, PciFunction> host = Map.of("0000:01:00.0", gpu, "0000:01:00.1", second, "0000:05:00.0", noIommu);
        return Stream.of(
                Arguments.of("id=10de:1b80,iommugroup=12,node=n1,path=0000:01:00.0,subsystem-id=1462:3362", false, host, null),
                // a device without function: its first function is checked
                Arguments.of("id=10de:1b80,iommugroup=12,node=n1,path=0000:01:00,subsystem-id=1462:3362", false, host, null),
                Arguments.of("id=10de:1b81,iommugroup=12,node=n1,path=0000:01:00.0,subsystem-id=1462:3362", false, host,
                        "'id' does not match for 'gpu' (10de:1b81 != 10de:1b80)"),
                Arguments.of("id=10de:1b80,node=n1,path=0000:01:00.0,subsystem-id=1462:3362", false, host,
                        "no 'iommugroup' configured, expected '12'"),
                Arguments.of("id=10de:1b80,iommugroup=12,node=n1,path=0000:01:00.0", false, host,
                        "no 'subsystem-id' configured, expected '1462:3362'"),
                Arguments.of("id=10de:1b80,iommugroup=3,node=n1,path=0000:05:00.0", true, host,
                        "'iommugroup' configured but should not be"),
                Arguments.of("id=10de:1b80,node=n1,path=0000:05:00.0", false, host, "'mdev' does not match for 'gpu' (0 != 1)"),
                Arguments.of("id=10de:1b80,node=n1,path=0000:09:00.0", false, host, "pci device '0000:09:00.0' not found"),
                // the IOMMU group is checked on the first path of a list only; every other id is
                Arguments.of("id=10de:1b80,iommugroup=12,node=n1,path=0000:01:00.0;0000:01:00.1,subsystem-id=1462:3362", false, host,
                        "'id' does not match for 'gpu' (10de:1b80 != 10de:10f0)"));
    }

    @ParameterizedTest
    @MethodSource("pciEntries")
    void pciEntriesAreCheckedAgainstTheNodesDevices(String entry, boolean mdev, Map<String, PciFunction> host, String problem) {
        Map<String, String> e = org.haven.core.format.PropertyString.parse(entry, null);
        assertThat(ResourceMappings.pciProblem("gpu", e, mdev, a -> Optional.ofNullable(host.get(a)))).isEqualTo(problem);
    }

    @Test
    void usbAndDirectoryEntriesAndTheListsDiagnostics() {
        List<UsbDevice> usb = List.of(new UsbDevice(null, "1d6b", "0002"), new UsbDevice("1-2", "0781", "5567"));
        assertThat(ResourceMappings.usbProblem("s", Map.of("id", "0781:5567"), usb)).isNull();
        assertThat(ResourceMappings.usbProblem("s", Map.of("id", "0781:5567", "path", "1-2"), usb)).isNull();
        assertThat(ResourceMappings.usbProblem("s", Map.of("id", "0781:5568", "path", "1-2"), usb)).isEqualTo("'id' does not match for 's' (0781:5567 != 0781:5568)");
        assertThat(ResourceMappings.usbProblem("s", Map.of("id", "0781:5567", "path", "1-3"), usb)).isEqualTo("USB device '1-3' not found");
        assertThat(ResourceMappings.usbProblem("s", Map.of("id", "dead:beef"), usb)).isEqualTo("USB device with id 'dead:beef' not found");

        Map<String, String> kinds = Map.of("/srv/share", "dir", "/etc/hosts", "other");
        assertThat(ResourceMappings.dirProblem(Map.of("path", "/srv/share"), kinds::get)).isNull();
        assertThat(ResourceMappings.dirProblem(Map.of("path", "/etc/hosts"), kinds::get)).isEqualTo("Path /etc/hosts is not a directory");
        assertThat(ResourceMappings.dirProblem(Map.of("path", "/nope"), kinds::get)).isEqualTo("Path /nope does not exist");

        SectionConfig.Section s = ResourceMappings.parse(Kind.DIR, "share\n\tmap node=n1,path=/srv/share\n\tmap node=n2,path=/nope\n").find("share").orElseThrow();
        assertThat(ResourceMappings.checks(s, "n1", m -> ResourceMappings.dirProblem(m, kinds::get))).isEmpty();
        assertThat(ResourceMappings.checks(s, "n2", m -> ResourceMappings.dirProblem(m, kinds::get)))
                .containsExactly(Map.of("severity", "error", "message", "Invalid configuration: Path /nope does not exist"));
        assertThat(ResourceMappings.checks(s, "n3", m -> null))
                .containsExactly(Map.of("severity", "warning", "message", "No mapping for node n3."));
    }

    @Test
    void aGuestStartGetsTheFirstFreeDeviceOfItsNode() {
        SectionConfig.Document pci = ResourceMappings.parse(Kind.PCI,
                "gpu\n\tmap id=10de:1b80,node=n1,path=0000:01:00.0\n\tmap id=10de:1b80,node=n1,path=0000:02:00.0\n");
        assertThat(ResourceMappings.pciHost(pci, "gpu", "n1", p -> true)).isEqualTo("0000:01:00.0");
        assertThat(ResourceMappings.pciHost(pci, "gpu", "n1", p -> !p.equals("0000:01:00.0"))).isEqualTo("0000:02:00.0");
        assertThatThrownBy(() -> ResourceMappings.pciHost(pci, "gpu", "n1", p -> false)).hasMessage("could not find a free device for mapping 'gpu'");
        assertThatThrownBy(() -> ResourceMappings.pciHost(pci, "gpu", "n2", p -> true)).hasMessage("PCI device mapping not found for 'gpu'");
        assertThatThrownBy(() -> ResourceMappings.pciHost(pci, "tpu", "n1", p -> true)).hasMessage("PCI mapping 'tpu' not found");

        SectionConfig.Document usb = ResourceMappings.parse(Kind.USB,
                "stick\n\tmap id=0781:5567,node=n1\n\tmap id=0781:5567,node=n2,path=1-2\n\tmap id=0781:5567,node=n3\n\tmap id=0781:5567,node=n3,path=2-1\n");
        assertThat(ResourceMappings.usbHost(usb, "stick", "n1")).isEqualTo("0781:5567");
        assertThat(ResourceMappings.usbHost(usb, "stick", "n2")).isEqualTo("1-2");
        assertThatThrownBy(() -> ResourceMappings.usbHost(usb, "stick", "n3")).hasMessage("More than one USB mapping per host not supported");
        assertThatThrownBy(() -> ResourceMappings.usbHost(usb, "stick", "n4")).hasMessage("No mapping for node n4");
    }

    @Test
    void aStartTurnsMappingsIntoTheNodesDevices() {
        Map<Kind, String> files = Map.of(Kind.PCI, "gpu\n\tmap id=10de:1b80,node=n1,path=0000:01:00.0\n",
                Kind.USB, "stick\n\tmap id=0781:5567,node=n1,path=1-2\n", Kind.DIR, "");
        Map<String, String> conf = new java.util.LinkedHashMap<>();
        conf.put("memory", "512");
        conf.put("hostpci0", "mapping=gpu,pcie=1,x-vga=1");
        conf.put("hostpci1", "0000:04:00.0");
        conf.put("usb0", "mapping=stick,usb3=1");
        assertThat(ResourceMappings.resolve(conf, files::get, "n1", p -> true)).containsExactly(
                Map.entry("memory", "512"), Map.entry("hostpci0", "0000:01:00.0,pcie=1,x-vga=1"),
                Map.entry("hostpci1", "0000:04:00.0"), Map.entry("usb0", "1-2,usb3=1"));
        assertThatThrownBy(() -> ResourceMappings.resolve(conf, files::get, "n2", p -> true))
                .hasMessage("PCI device mapping not found for 'gpu'");
    }
}
