package org.haven.network.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.network.apply.Links;
import org.haven.network.sdn.SdnConfig;
import org.haven.network.sdn.SdnConfig.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code /nodes/{node}/network} behind the real dispatcher on an embedded node's data directory. */
class NetworkApiTest extends NetworkApiHarness {
    static final Map<String, Links.Link> LIVE = Map.of(
            "eno1", new Links.Link("eno1", true, null, "vmbr0", 1500),
            "eno2", new Links.Link("eno2", false, null, null, 1500),
            "vmbr0", new Links.Link("vmbr0", true, "bridge", null, 1500));

    static final String HOST_FILE = """
            auto lo
            iface lo inet loopback

            iface eno1 inet manual

            auto vmbr0
            iface vmbr0 inet static
                    address 192.0.2.10/24
                    gateway 192.0.2.1
                    bridge-ports eno1
                    bridge-stp off
                    bridge-fd 0
            # uplink bridge
            """;

    @Test
    void bridgeListsCarryTheVnetsOfThisNode() throws Exception {
        start(List.of(), () -> LIVE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, HOST_FILE);
        var zones = SdnConfig.parse(Kind.ZONES, "simple: z1\n\nsimple: far\n\tnodes n2\n\n");
        var vnets = SdnConfig.parse(Kind.VNETS,
                "vnet: v1\n\tzone z1\n\talias lab\n\nvnet: v2\n\tzone far\n\n");
        node.cfs().mkdirs("sdn");
        node.cfs().writeString("sdn/.running-config", JSON.writeValueAsString(SdnConfig.running(1,
                Map.of(Kind.ZONES, zones, Kind.VNETS, vnets))));
        JsonNode bridges = ok(HttpMethod.GET, "/nodes/n1/network", "type", "any_bridge");
        assertThat(bridges).hasSize(2);
        assertThat(bridges.get(1).path("iface").asString()).isEqualTo("v1");
        assertThat(bridges.get(1).path("type").asString()).isEqualTo("vnet");
        assertThat(bridges.get(1).path("zone").asString()).isEqualTo("z1");
        assertThat(bridges.get(1).path("alias").asString()).isEqualTo("lab");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "vnet")).hasSize(1);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "bridge")).hasSize(1);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network")).noneSatisfy(i -> assertThat(i.path("type").asString()).isEqualTo("vnet"));
    }

    @Test
    void listShowsPveShapesWithLiveState() throws Exception {
        start(List.of(), () -> LIVE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, HOST_FILE);
        JsonNode all = ok(HttpMethod.GET, "/nodes/n1/network");
        assertThat(all).extracting(n -> n.get("iface").asString()).containsExactly("eno1", "vmbr0", "eno2");
        JsonNode br = all.get(1);
        assertThat(br.get("type").asString()).isEqualTo("bridge");
        assertThat(br.get("method").asString()).isEqualTo("static");
        assertThat(br.get("cidr").asString()).isEqualTo("192.0.2.10/24");
        assertThat(br.get("address").asString()).isEqualTo("192.0.2.10");
        assertThat(br.get("netmask").asString()).isEqualTo("24");
        assertThat(br.get("gateway").asString()).isEqualTo("192.0.2.1");
        assertThat(br.get("bridge_ports").asString()).isEqualTo("eno1");
        assertThat(br.get("bridge_stp").asString()).isEqualTo("off");
        assertThat(br.get("comments").asString()).isEqualTo(" uplink bridge\n");
        assertThat(br.get("autostart").asInt()).isEqualTo(1);
        assertThat(br.get("active").asInt()).isEqualTo(1);
        assertThat(br.get("families")).extracting(JsonNode::asString).containsExactly("inet");
        JsonNode eno1 = all.get(0);
        assertThat(eno1.get("exists").asInt()).isEqualTo(1);
        assertThat(eno1.get("active").asInt()).isEqualTo(1);
        assertThat(eno1.has("autostart")).isFalse();
        JsonNode eno2 = all.get(2);
        assertThat(eno2.get("method").asString()).isEqualTo("manual");
        assertThat(eno2.has("active")).isFalse();

        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "bridge")).hasSize(1);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "any_bridge")).hasSize(1);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "any_local_bridge")).hasSize(1);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "eth")).hasSize(2);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "bond")).isEmpty();
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network/vmbr0").get("bridge_fd").asString()).isEqualTo("0");
        assertThat(errors(HttpMethod.GET, "/nodes/n1/network/vmbr9")).containsEntry("iface", "interface does not exist");
    }

    @Test
    void changesGoToThePendingFileAndRevertDropsThem() throws Exception {
        start(List.of(), () -> LIVE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, HOST_FILE);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr1", "type", "bridge", "bridge_ports", "eno2", "autostart", 1,
                "cidr", "10.10.0.1/24", "bridge_vlan_aware", 1, "comments", "guests");
        Path pending = file.resolveSibling("interfaces.new");
        assertThat(Files.readString(file)).isEqualTo(HOST_FILE);
        assertThat(Files.readString(pending)).endsWith("""
                auto vmbr0
                iface vmbr0 inet static
                \taddress 192.0.2.10/24
                \tgateway 192.0.2.1
                \tbridge-ports eno1
                \tbridge-stp off
                \tbridge-fd 0
                # uplink bridge

                auto vmbr1
                iface vmbr1 inet static
                \taddress 10.10.0.1/24
                \tbridge-ports eno2
                \tbridge-stp off
                \tbridge-fd 0
                \tbridge-vlan-aware yes
                \tbridge-vids 2-4094
                #guests

                """);
        // the listing reads the pending file and shows the pending changes as a diff
        ApiResponse listed = call(HttpMethod.GET, "/nodes/n1/network");
        assertThat((String) listed.attributes().get("changes")).contains("+auto vmbr1\n", "+\tbridge-ports eno2\n", "-        address 192.0.2.10/24\n");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network/vmbr1").get("bridge_vlan_aware").asInt()).isEqualTo(1);

        ok(HttpMethod.PUT, "/nodes/n1/network/vmbr1", "type", "bridge", "delete", "bridge_vlan_aware,comments", "mtu", 9000);
        JsonNode v = ok(HttpMethod.GET, "/nodes/n1/network/vmbr1");
        assertThat(v.has("bridge_vlan_aware")).isFalse();
        assertThat(v.has("comments")).isFalse();
        assertThat(v.get("mtu").asInt()).isEqualTo(9000);

        ok(HttpMethod.DELETE, "/nodes/n1/network/vmbr1");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network", "type", "bridge")).hasSize(1);
        ok(HttpMethod.DELETE, "/nodes/n1/network");
        assertThat(pending).doesNotExist();
        assertThat(call(HttpMethod.GET, "/nodes/n1/network").attributes()).isNull();
        assertThat(Files.readString(file)).isEqualTo(HOST_FILE);
    }

    @Test
    void pveValidationErrors() throws Exception {
        start(List.of(), () -> LIVE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, HOST_FILE);
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr0", "type", "bridge"))
                .containsEntry("iface", "interface already exists");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr2", "type", "bridge", "bridge_ports", "eno1"))
                .containsEntry("bridge_ports", "eno1 is already used on interface 'vmbr0'");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "bond0", "type", "bond", "slaves", "eno2,eno1", "bond_mode", "active-backup"))
                .containsEntry("slaves", "eno1 is already used on interface 'vmbr0'");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr2", "type", "bridge", "cidr", "10.1.0.2/24", "gateway", "10.1.0.1"))
                .containsEntry("gateway", "Default gateway already exists on interface 'vmbr0'.");
        assertThat(errors(HttpMethod.PUT, "/nodes/n1/network/vmbr7", "type", "bridge"))
                .containsEntry("iface", "interface does not exist");
        assertThat(errors(HttpMethod.DELETE, "/nodes/n1/network/vmbr7")).containsEntry("iface", "interface does not exist");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vlan5", "type", "vlan"))
                .containsEntry("vlan-raw-device", "vlan-raw-device is missing");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr2", "type", "bridge", "netmask", "255.0.255.0", "address", "10.0.0.1"))
                .containsKey("netmask");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr2", "type", "bridge", "bridge_vids", "5000"))
                .containsKey("bridge_vids");
        assertThat(file.resolveSibling("interfaces.new")).doesNotExist();
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr6", "type", "bridge", "bridge_vlan_aware", 1, "bridge_vids", "2 4 100-200");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/network/vmbr6").get("bridge_vids").asString()).isEqualTo("2 4 100-200");

        // a bond in every mode, a VLAN in both name forms, address + netmask
        for (String mode : List.of("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")) {
            ok(HttpMethod.POST, "/nodes/n1/network", "iface", "bond1", "type", "bond", "slaves", "eno2", "bond_mode", mode, "bond_xmit_hash_policy", "layer3+4");
            assertThat(ok(HttpMethod.GET, "/nodes/n1/network/bond1").get("bond_mode").asString()).isEqualTo(mode);
            ok(HttpMethod.DELETE, "/nodes/n1/network/bond1");
        }
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "eno2.30", "type", "vlan", "address", "10.30.0.5", "netmask", "255.255.255.0");
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vlan40", "type", "vlan", "vlan-raw-device", "eno2");
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "storage", "type", "vlan", "vlan-raw-device", "eno2", "vlan-id", 50);
        JsonNode vlans = ok(HttpMethod.GET, "/nodes/n1/network", "type", "vlan");
        assertThat(vlans).extracting(n -> n.get("iface").asString()).containsExactly("eno2.30", "vlan40", "storage");
        assertThat(vlans.get(0).get("cidr").asString()).isEqualTo("10.30.0.5/24");
        assertThat(vlans.get(2).get("vlan-id").asInt()).isEqualTo(50);
    }

    @Test
    void ipv6StanzaBesideIpv4() throws Exception {
        start(List.of(), () -> LIVE);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr4", "type", "bridge", "cidr", "10.4.0.1/24",
                "address6", "fd00:4::1", "netmask6", 64, "gateway6", "fd00:4::fe", "comments6", "v6 side");
        JsonNode v = ok(HttpMethod.GET, "/nodes/n1/network/vmbr4");
        assertThat(v.get("families")).extracting(JsonNode::asString).containsExactly("inet", "inet6");
        assertThat(v.get("method6").asString()).isEqualTo("static");
        assertThat(v.get("cidr6").asString()).isEqualTo("fd00:4::1/64");
        assertThat(v.get("netmask6").asInt()).isEqualTo(64);
        assertThat(v.get("gateway6").asString()).isEqualTo("fd00:4::fe");
        assertThat(v.get("comments6").asString()).isEqualTo("v6 side\n");
        assertThat(errors(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr5", "type", "bridge", "cidr6", "fd00:5::1/64", "gateway6", "fd00:5::fe"))
                .containsEntry("gateway6", "Default ipv6 gateway already exists on interface 'vmbr4'.");
        ok(HttpMethod.PUT, "/nodes/n1/network/vmbr4", "type", "bridge", "delete", "address6");
        v = ok(HttpMethod.GET, "/nodes/n1/network/vmbr4");
        assertThat(v.get("families")).extracting(JsonNode::asString).containsExactly("inet");
        assertThat(v.has("gateway6")).isFalse();
    }

    @Test
    void permissions() throws Exception {
        start(List.of(), () -> LIVE);
        assertThat(call("audit@pve", HttpMethod.GET, "/nodes/n1/network/eno1").status()).isEqualTo(200);
        assertThat(call("audit@pve", HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr3", "type", "bridge").status()).isEqualTo(403);
        assertThat(call("audit@pve", HttpMethod.PUT, "/nodes/n1/network").status()).isEqualTo(403);
        assertThat(call("audit@pve", HttpMethod.DELETE, "/nodes/n1/network").status()).isEqualTo(403);
    }

    @Test
    void applyWithoutNamespaceOnlyMovesTheFileOnAnEmbeddedNode() throws Exception {
        start(List.of(), () -> LIVE);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr5", "type", "bridge", "autostart", 1);
        String upid = ok(HttpMethod.PUT, "/nodes/n1/network").asString();
        assertThat(upid).contains(":srvreload:networking:");
        Awaitility.await().until(() -> !Files.exists(file.resolveSibling("interfaces.new")));
        assertThat(Files.readString(file)).contains("auto vmbr5\niface vmbr5 inet manual\n").startsWith("# network interface settings; autogenerated");
    }
}
