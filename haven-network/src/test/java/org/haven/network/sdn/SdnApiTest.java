package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.server.ApiResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /cluster/sdn} and {@code /nodes/{node}/sdn} behind the real dispatcher on an embedded node without a namespace. */
class SdnApiTest extends SdnApiHarness {

    static List<String> ids(JsonNode list, String key) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : list) out.add(n.path(key).asString());
        return out;
    }

    void zonesVnetsSubnet() {
        ok(HttpMethod.POST, "/cluster/sdn/zones", "zone", "z1", "type", "simple", "ipam", "pve", "dhcp", "dnsmasq");
        ok(HttpMethod.POST, "/cluster/sdn/zones", "zone", "z2", "type", "vlan", "bridge", "vmbr0", "nodes", "n1,n2");
        ok(HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v1", "zone", "z1");
        ok(HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v2", "zone", "z2", "tag", "100");
        ok(HttpMethod.POST, "/cluster/sdn/vnets/v1/subnets", "subnet", "10.0.0.0/24", "type", "subnet", "gateway", "10.0.0.1",
                "snat", "1", "dhcp-range", List.of("start-address=10.0.0.100,end-address=10.0.0.199"));
    }

    @Test
    void configGoesToTheFilesInPveFormat() {
        start(List.of());
        zonesVnetsSubnet();
        assertThat(cfs.readString("sdn/zones.cfg")).contains("""
                simple: z1
                \tdhcp dnsmasq
                \tipam pve

                vlan: z2
                \tbridge vmbr0
                \tnodes n1,n2

                """);
        assertThat(cfs.readString("sdn/vnets.cfg")).contains("vnet: v1\n\tzone z1\n\nvnet: v2\n\tzone z2\n\ttag 100\n\n");
        assertThat(cfs.readString("sdn/subnets.cfg")).contains("""
                subnet: z1-10.0.0.0-24
                \tvnet v1
                \tdhcp-range start-address=10.0.0.100,end-address=10.0.0.199
                \tgateway 10.0.0.1
                \tsnat 1

                """);

        JsonNode zones = ok(HttpMethod.GET, "/cluster/sdn/zones");
        assertThat(ids(zones, "zone")).containsExactly("z1", "z2");
        assertThat(zones.get(1).path("nodes").asString()).isEqualTo("n1,n2");
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/zones", "type", "vlan"), "zone")).containsExactly("z2");
        JsonNode z1 = ok(HttpMethod.GET, "/cluster/sdn/zones/z1");
        assertThat(z1.path("digest").asString()).hasSize(40);
        assertThat(z1.path("dhcp").asString()).isEqualTo("dnsmasq");

        JsonNode subnet = ok(HttpMethod.GET, "/cluster/sdn/vnets/v1/subnets/z1-10.0.0.0-24");
        assertThat(subnet.path("cidr").asString()).isEqualTo("10.0.0.0/24");
        assertThat(subnet.path("zone").asString()).isEqualTo("z1");
        assertThat(subnet.path("mask").asString()).isEqualTo("24");
        assertThat(subnet.path("dhcp-range").get(0).path("start-address").asString()).isEqualTo("10.0.0.100");
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/vnets/v1/subnets"), "subnet")).containsExactly("z1-10.0.0.0-24");
        assertThat(ok(HttpMethod.GET, "/cluster/sdn/vnets/v2/subnets")).isEmpty();

        // the gateway is in the IPAM, and an address mapping adds to it
        ok(HttpMethod.POST, "/cluster/sdn/vnets/v1/ips", "zone", "z1", "ip", "10.0.0.150", "mac", "BC:24:11:00:00:01");
        JsonNode status = ok(HttpMethod.GET, "/cluster/sdn/ipams/pve/status");
        assertThat(ids(status, "ip")).containsExactly("10.0.0.1", "10.0.0.150");
        assertThat(status.get(0).path("gateway").asInt()).isEqualTo(1);
        assertThat(status.get(1).path("mac").asString()).isEqualTo("bc:24:11:00:00:01");
        assertThat(status.get(1).path("vnet").asString()).isEqualTo("v1");
        assertThat(cfs.readString("priv/ipam.db")).hasValueSatisfying(t -> assertThat(t).contains("\"10.0.0.150\""));
        ApiResponse twice = call(HttpMethod.POST, "/cluster/sdn/vnets/v1/ips", "zone", "z1", "ip", "10.0.0.150");
        assertThat(twice.message()).contains("IP '10.0.0.150' already exist");
        assertThat(call(HttpMethod.POST, "/cluster/sdn/vnets/v1/ips", "zone", "z1", "ip", "10.9.0.1").errors())
                .containsEntry("ip", "no subnet of vnet 'v1' contains 10.9.0.1");
        ok(HttpMethod.PUT, "/cluster/sdn/vnets/v1/ips", "zone", "z1", "ip", "10.0.0.150", "mac", "bc:24:11:00:00:02", "vmid", "100");
        assertThat(ok(HttpMethod.GET, "/cluster/sdn/ipams/pve/status").get(1).path("vmid").asString()).isEqualTo("100");
        ok(HttpMethod.DELETE, "/cluster/sdn/vnets/v1/ips", "zone", "z1", "ip", "10.0.0.150");
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/ipams/pve/status"), "ip")).containsExactly("10.0.0.1");
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/ipams"), "ipam")).containsExactly("pve");
    }

    @Test
    void pveChecksAndMessages() {
        start(List.of());
        zonesVnetsSubnet();
        assertThat(call(HttpMethod.POST, "/cluster/sdn/zones", "zone", "z1", "type", "simple").message())
                .contains("sdn zone object ID 'z1' already defined");
        assertThat(call(HttpMethod.POST, "/cluster/sdn/zones", "zone", "Bad", "type", "simple").errors()).containsKey("zone");
        assertThat(call(HttpMethod.POST, "/cluster/sdn/zones", "zone", "z3", "type", "vlan").errors())
                .containsEntry("bridge", "property is missing and it is not optional");
        assertThat(call(HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v3", "zone", "z1", "tag", "5").errors())
                .containsEntry("tag", "vlan tag is not allowed on simple zone");
        assertThat(call(HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v3", "zone", "z2", "tag", "100").errors())
                .containsEntry("tag", "tag 100 already exists in vnet v2");
        assertThat(call(HttpMethod.POST, "/cluster/sdn/vnets/v1/subnets", "subnet", "10.1.0.0/24", "type", "subnet", "gateway", "10.2.0.1").errors())
                .containsEntry("gateway", "gateway 10.2.0.1 is not in subnet 10.1.0.0/24");
        assertThat(call(HttpMethod.DELETE, "/cluster/sdn/zones/z1").message()).contains("cannot delete zone 'z1', vnet 'v1' is using it");
        assertThat(call(HttpMethod.DELETE, "/cluster/sdn/vnets/v1").message()).contains("cannot delete vnet 'v1', subnet 'z1-10.0.0.0-24' is using it");
        assertThat(call(HttpMethod.DELETE, "/cluster/sdn/ipams/pve").message()).contains("cannot delete ipam 'pve', zone 'z1' is using it");
        assertThat(call(HttpMethod.PUT, "/cluster/sdn/zones/z1", "digest", "0".repeat(40), "mtu", "1400").message())
                .contains("detected modified configuration");
        assertThat(call(HttpMethod.PUT, "/cluster/sdn/zones/z2", "delete", "bridge").errors())
                .containsEntry("delete", "cannot delete required option 'bridge'");
        assertThat(call(HttpMethod.GET, "/cluster/sdn/zones/nope").message()).contains("sdn zone 'nope' does not exist");

        // the subnet's gateway moves in the IPAM; a subnet goes with its gateway
        ok(HttpMethod.PUT, "/cluster/sdn/vnets/v1/subnets/z1-10.0.0.0-24", "gateway", "10.0.0.254");
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/ipams/pve/status"), "ip")).containsExactly("10.0.0.254");
        ok(HttpMethod.DELETE, "/cluster/sdn/vnets/v1/subnets/z1-10.0.0.0-24");
        ok(HttpMethod.DELETE, "/cluster/sdn/vnets/v1");
        ok(HttpMethod.DELETE, "/cluster/sdn/zones/z1");
        assertThat(ok(HttpMethod.GET, "/cluster/sdn/ipams/pve/status")).isEmpty();
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/zones"), "zone")).containsExactly("z2");
    }

    @Test
    void applyMakesTheRunningConfigAndPendingShowsTheDifference() throws Exception {
        start(List.of());
        zonesVnetsSubnet();
        JsonNode pending = ok(HttpMethod.GET, "/cluster/sdn/vnets", "pending", "1");
        assertThat(pending.get(0).path("state").asString()).isEqualTo("new");
        assertThat(pending.get(0).path("pending").path("zone").asString()).isEqualTo("z1");
        assertThat(ok(HttpMethod.GET, "/cluster/sdn/zones", "running", "1")).isEmpty();
        assertThat(ok(HttpMethod.GET, "/nodes/n1/sdn/zones")).isEmpty();

        cfs.mkdirs("nodes/n2");
        List<String> log = apply();
        assertThat(log).anySatisfy(l -> assertThat(l).contains("SDN configuration version 1 committed"));
        assertThat(log).anySatisfy(l -> assertThat(l).contains("node n2: offline, applies version 1 when it starts"));
        assertThat(log).anySatisfy(l -> assertThat(l).contains("not applied to the machine's interfaces"));
        assertThat(cfs.readString("sdn/.running-config")).hasValueSatisfying(t -> assertThat(t).startsWith("{\"version\":1,"));
        String generated = Files.readString(node.dataDir().resolve("network/interfaces.d/sdn"));
        assertThat(generated).startsWith("#version:1\n").contains("iface v1\n\taddress 10.0.0.1/24\n").contains("iface ln_v2\n\tvlan-raw-device vmbr0\n\tvlan-id 100\n");
        assertThat(ids(ok(HttpMethod.GET, "/cluster/sdn/zones", "running", "1"), "zone")).containsExactly("z1", "z2");
        assertThat(ok(HttpMethod.GET, "/cluster/sdn/vnets", "pending", "1").get(0).has("state")).isFalse();

        ok(HttpMethod.PUT, "/cluster/sdn/vnets/v1", "alias", "lab");
        JsonNode v1 = ok(HttpMethod.GET, "/cluster/sdn/vnets/v1", "pending", "1");
        assertThat(v1.path("state").asString()).isEqualTo("changed");
        assertThat(v1.path("pending").path("alias").asString()).isEqualTo("lab");
        assertThat(ok(HttpMethod.GET, "/cluster/sdn/vnets/v1", "running", "1").has("alias")).isFalse();

        JsonNode status = ok(HttpMethod.GET, "/nodes/n1/sdn/zones");
        assertThat(ids(status, "zone")).containsExactly("z1", "z2");
        assertThat(ids(status, "status")).containsOnly("available");
        assertThat(ids(ok(HttpMethod.GET, "/nodes/n1/sdn/zones/z1/content"), "vnet")).containsExactly("v1");
        assertThat(cfs.nodeStatus("n1", "sdn").map(String::new)).hasValueSatisfying(st -> assertThat(st)
                .contains("\"version\":1").contains("\"zones\":{\"z1\":\"available\",\"z2\":\"available\"}"));

        // a second apply is version 2, and the file says so until then the zones are pending
        Files.writeString(node.dataDir().resolve("network/interfaces.d/sdn"), "#version:0\n");
        assertThat(ids(ok(HttpMethod.GET, "/nodes/n1/sdn/zones"), "status")).containsOnly("pending");
        apply();
        assertThat(Files.readString(node.dataDir().resolve("network/interfaces.d/sdn"))).startsWith("#version:2\n").contains("\talias lab\n");
    }

    @Test
    void permissionsAsPve() {
        start(List.of());
        zonesVnetsSubnet();
        assertThat(ids(JSON.valueToTree(as("audit@pve", HttpMethod.GET, "/cluster/sdn/zones").data()), "zone")).containsExactly("z1");
        assertThat(ids(JSON.valueToTree(as("audit@pve", HttpMethod.GET, "/cluster/sdn/vnets").data()), "vnet")).containsExactly("v1");
        assertThat(as("audit@pve", HttpMethod.GET, "/cluster/sdn/vnets/v2").status()).isEqualTo(403);
        assertThat(as("audit@pve", HttpMethod.GET, "/cluster/sdn/vnets/v1").status()).isEqualTo(200);
        assertThat(as("audit@pve", HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v9", "zone", "z1").status()).isEqualTo(403);
        assertThat(as("audit@pve", HttpMethod.PUT, "/cluster/sdn").status()).isEqualTo(403);
        assertThat(as("alloc@pve", HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v9", "zone", "z1").status()).isEqualTo(200);
        assertThat(as("alloc@pve", HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "v8", "zone", "z2", "tag", "8").status()).isEqualTo(403);
        assertThat(as("alloc@pve", HttpMethod.POST, "/cluster/sdn/vnets/v2/subnets", "subnet", "10.5.0.0/24", "type", "subnet").status()).isEqualTo(403);
        assertThat(as("alloc@pve", HttpMethod.PUT, "/cluster/sdn/vnets/v9", "zone", "z2", "tag", "9").status()).isEqualTo(403);
        assertThat(as("alloc@pve", HttpMethod.DELETE, "/cluster/sdn/vnets/v9").status()).isEqualTo(200);
        assertThat(as("alloc@pve", HttpMethod.POST, "/cluster/sdn/zones", "zone", "z9", "type", "simple").status()).isEqualTo(403);
    }
}
