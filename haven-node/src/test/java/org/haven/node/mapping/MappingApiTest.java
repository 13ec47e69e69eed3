package org.haven.node.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.node.admin.Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code /cluster/mapping} behind the real dispatcher, checked against this machine's own PCI bus and a real
 * directory: the files PVE reads, the per-user filtering of the lists, the node checks and the refusals.
 */
@RealTest
class MappingApiTest {
    @TempDir Path tmp;
    LocalClusterFs cfs;
    TestApi api;

    @BeforeEach
    void start() {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        // audit@pve may audit mapping /mapping/pci/gpu only; admin@pve may modify every PCI mapping
        api = new TestApi(cfs, tmp, (authid, path, privs, any) ->
                (authid.equals("audit@pve") && path.equals("/mapping/pci/gpu") && privs.contains("Mapping.Audit"))
                        || (authid.equals("admin@pve") && path.startsWith("/mapping/pci") && privs.contains("Mapping.Modify")),
                (reg, ctx) -> new MappingApi(ctx, new Host(Path.of("/"), tmp.resolve("etc"), null)).register(reg));
    }

    /** The first PCI function of this machine: address, vendor:device and subsystem ids as sysfs gives them. */
    static String[] firstPciFunction() throws IOException {
        Path devices = Path.of("/sys/bus/pci/devices");
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(devices)) {
            s.sorted().forEach(all::add);
        }
        assertThat(all).as("this machine has PCI devices").isNotEmpty();
        Path d = all.get(0);
        return new String[]{d.getFileName().toString(), hex(d, "vendor") + ":" + hex(d, "device"),
                hex(d, "subsystem_vendor") + ":" + hex(d, "subsystem_device"), Files.exists(d.resolve("iommu_group"))
                ? Files.readSymbolicLink(d.resolve("iommu_group")).getFileName().toString() : null};
    }

    static String hex(Path d, String f) throws IOException { return Files.readString(d.resolve(f)).strip().replaceFirst("^0x", ""); }

    @Test
    void pciMappingsAreCheckedAgainstTheHostsDevices() throws IOException {
        String[] f = firstPciFunction();
        String entry = "id=" + f[1] + (f[3] == null ? "" : ",iommugroup=" + f[3]) + ",node=n1,path=" + f[0] + ",subsystem-id=" + f[2];
        TestApi.data(api.as("admin@pve", HttpMethod.POST, "/cluster/mapping/pci", "id", "gpu", "description", "first device",
                "map", List.of(entry, "id=10de:1b80,node=n2,path=0000:02:00.0")));
        TestApi.data(api.as("admin@pve", HttpMethod.POST, "/cluster/mapping/pci", "id", "wrong",
                "map", List.of("id=dead:beef,node=n1,path=" + f[0])));
        assertThat(cfs.readString("mapping/pci.cfg").orElseThrow()).isEqualTo("gpu\n\tdescription first device\n\tmap " + entry
                + "\n\tmap id=10de:1b80,node=n2,path=0000:02:00.0\n\nwrong\n\tmap id=dead:beef,node=n1,path=" + f[0] + "\n\n");

        JsonNode list = TestApi.data(api.as("admin@pve", HttpMethod.GET, "/cluster/mapping/pci", "check-node", "n1"));
        assertThat(list).hasSize(2);
        assertThat(list.get(0).path("id").asString()).isEqualTo("gpu");
        assertThat(list.get(0).path("map")).hasSize(2);
        assertThat(list.get(0).path("checks")).isEmpty();
        assertThat(list.get(1).path("checks").get(0).path("message").asString())
                .isEqualTo("Invalid configuration: 'id' does not match for 'wrong' (dead:beef != " + f[1] + ")");
        JsonNode other = TestApi.data(api.as("admin@pve", HttpMethod.GET, "/cluster/mapping/pci", "check-node", "n3"));
        assertThat(other.get(0).path("checks").get(0).path("severity").asString()).isEqualTo("warning");
        assertThat(other.get(0).path("checks").get(0).path("message").asString()).isEqualTo("No mapping for node n3.");

        // the auditor sees the one mapping it may audit, and cannot change it
        JsonNode audited = TestApi.data(api.as("audit@pve", HttpMethod.GET, "/cluster/mapping/pci"));
        assertThat(audited).hasSize(1);
        assertThat(audited.get(0).has("checks")).isFalse();
        assertThat(TestApi.data(api.as("audit@pve", HttpMethod.GET, "/cluster/mapping/pci/gpu")).path("description").asString()).isEqualTo("first device");
        assertThat(api.as("audit@pve", HttpMethod.GET, "/cluster/mapping/pci/wrong").status()).isEqualTo(403);
        assertThat(api.as("audit@pve", HttpMethod.PUT, "/cluster/mapping/pci/gpu", "description", "x").status()).isEqualTo(403);
        assertThat(api.as("admin@pve", HttpMethod.POST, "/cluster/mapping/usb", "id", "s", "map", List.of("id=0781:5567,node=n1")).status()).isEqualTo(403);
    }

    @Test
    void updatesKeepTheFileUnlessTheyAreValid() {
        String nic = "id=8086:1521,node=n1,path=0000:03:00.0";
        TestApi.data(api.local(HttpMethod.POST, "/cluster/mapping/pci", "id", "nic", "map", List.of(nic)));
        String before = cfs.readString("mapping/pci.cfg").orElseThrow();
        JsonNode got = TestApi.data(api.local(HttpMethod.GET, "/cluster/mapping/pci/nic"));
        String digest = got.path("digest").asString();
        assertThat(got.path("map").get(0).asString()).isEqualTo(nic);

        // a map entry that breaks the schema, an unknown ID, a stale digest, a second create, deleting the map
        ApiResponse bad = api.local(HttpMethod.PUT, "/cluster/mapping/pci/nic", "map", List.of("id=8086,node=n1,path=0000:03:00.0"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errors()).containsKey("map");
        assertThat(api.local(HttpMethod.PUT, "/cluster/mapping/pci/nope", "description", "x").message()).contains("mapping 'nope' not found");
        TestApi.data(api.local(HttpMethod.PUT, "/cluster/mapping/pci/nic", "mdev", "1", "digest", digest));
        assertThat(api.local(HttpMethod.PUT, "/cluster/mapping/pci/nic", "description", "again", "digest", digest).message())
                .contains("detected modified configuration");
        assertThat(api.local(HttpMethod.POST, "/cluster/mapping/pci", "id", "nic", "map", List.of(nic)).message())
                .contains("pci ID 'nic' already defined");
        assertThat(api.local(HttpMethod.PUT, "/cluster/mapping/pci/nic", "delete", "map").message())
                .contains("unable to delete required option 'map'");
        assertThat(cfs.readString("mapping/pci.cfg").orElseThrow()).isEqualTo("nic\n\tmdev 1\n\tmap " + nic + "\n\n");
        assertThat(before).isEqualTo("nic\n\tmap " + nic + "\n\n");

        // PVE's USB update takes the whole map every time
        TestApi.data(api.local(HttpMethod.POST, "/cluster/mapping/usb", "id", "stick", "map", List.of("id=0781:5567,node=n1")));
        assertThat(api.local(HttpMethod.PUT, "/cluster/mapping/usb/stick", "description", "x").status()).isEqualTo(400);
        TestApi.data(api.local(HttpMethod.PUT, "/cluster/mapping/usb/stick", "description", "on two",
                "map", List.of("id=0781:5567,node=n1", "id=0781:5567,node=n2,path=1-2")));
        assertThat(cfs.readString("mapping/usb.cfg").orElseThrow())
                .isEqualTo("stick\n\tdescription on two\n\tmap id=0781:5567,node=n1\n\tmap id=0781:5567,node=n2,path=1-2\n\n");

        TestApi.data(api.local(HttpMethod.DELETE, "/cluster/mapping/pci/nic"));
        assertThat(TestApi.data(api.local(HttpMethod.GET, "/cluster/mapping/pci"))).isEmpty();
        assertThat(api.local(HttpMethod.DELETE, "/cluster/mapping/pci/nic").message()).contains("mapping 'nic' not found");
    }

    @Test
    void directoryMappingsNameRealDirectories() throws IOException {
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path file = Files.writeString(tmp.resolve("file"), "x");
        TestApi.data(api.local(HttpMethod.POST, "/cluster/mapping/dir", "id", "share",
                "map", List.of("node=n1,path=" + share, "node=n2,path=/srv/x")));
        TestApi.data(api.local(HttpMethod.POST, "/cluster/mapping/dir", "id", "notadir", "map", List.of("node=n1,path=" + file)));
        assertThat(cfs.readString("mapping/directory.cfg").orElseThrow()).endsWith("\n\nnotadir\n\tmap node=n1,path=" + file + "\n\n");
        JsonNode list = TestApi.data(api.local(HttpMethod.GET, "/cluster/mapping/dir", "check-node", "n1"));
        assertThat(list.get(0).path("checks").get(0).path("message").asString()).isEqualTo("Invalid configuration: Path " + file + " is not a directory");
        assertThat(list.get(1).path("checks")).isEmpty();
        assertThat(TestApi.data(api.local(HttpMethod.GET, "/cluster/mapping")).findValuesAsString("name")).containsExactly("pci", "usb", "dir");
    }
}
