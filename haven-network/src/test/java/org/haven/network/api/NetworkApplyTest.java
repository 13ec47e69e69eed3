package org.haven.network.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.task.TaskManager;
import org.haven.network.apply.Links;
import org.haven.network.apply.TestNetns;
import org.junit.jupiter.api.AfterEach;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The apply path for real: ifupdown2's {@code ifreload -a} on the node's file inside a namespace the test makes. */
@RealTest
class NetworkApplyTest extends NetworkApiHarness {
    TestNetns ns;

    @BeforeEach
    void namespace() {
        Tools.requireRoot("network namespaces");
        Tools.require("ifupdown2", "ifreload");
        ns = new TestNetns("hvnet");
        ns.run("ip", "link", "add", "eth1", "type", "veth", "peer", "name", "peer1");
    }

    @AfterEach
    void removeNamespace() {
        if (ns != null) ns.close();
    }

    String applied() throws Exception {
        String upid = ok(HttpMethod.PUT, "/nodes/n1/network").asString();
        TaskManager.TaskInfo t = tasks.await(upid, 120_000);
        String log = String.join("\n", Files.readAllLines(tasks.logPath(upid)));
        assertThat(t.status()).as(log).isEqualTo("OK");
        return log;
    }

    static JsonNode link(TestNetns ns, String name) {
        return JsonMapper.builder().build().readTree(ns.run("ip", "-j", "-d", "addr", "show", "dev", name)).get(0);
    }

    @Test
    void bridgeIsCreatedAndRemovedByIfreload() throws Exception {
        start(ns.prefix(), null);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr9", "type", "bridge", "bridge_ports", "eth1",
                "cidr", "10.99.0.1/24", "autostart", 1, "mtu", 1400);
        ok(HttpMethod.PUT, "/nodes/n1/network/eth1", "type", "eth", "autostart", 1);
        applied();
        JsonNode br = link(ns, "vmbr9");
        assertThat(br.path("linkinfo").path("info_kind").asString()).isEqualTo("bridge");
        assertThat(br.path("mtu").asInt()).isEqualTo(1400);
        assertThat(br.path("addr_info").findValuesAsString("local")).contains("10.99.0.1");
        assertThat(Links.read(ns.prefix()).get("eth1").master()).isEqualTo("vmbr9");

        JsonNode list = ok(HttpMethod.GET, "/nodes/n1/network");
        JsonNode vmbr9 = null, eth1 = null;
        for (JsonNode n : list) {
            if (n.get("iface").asString().equals("vmbr9")) vmbr9 = n;
            if (n.get("iface").asString().equals("eth1")) eth1 = n;
        }
        assertThat(vmbr9.get("active").asInt()).isEqualTo(1);
        assertThat(eth1.get("exists").asInt()).isEqualTo(1);
        assertThat(eth1.get("active").asInt()).isEqualTo(1);

        ok(HttpMethod.DELETE, "/nodes/n1/network/vmbr9");
        applied();
        assertThat(Links.read(ns.prefix())).doesNotContainKey("vmbr9");
    }

    @Test
    void vlanOnABridgeIsCreatedByIfreload() throws Exception {
        if (!ns.succeeds("ip", "link", "add", "link", "peer1", "name", "probe.5", "type", "vlan", "id", "5")) {
            Tools.unavailableHere(Tools.Impossible.KERNEL_VLAN, "VLAN interfaces applied by ifreload");
        }
        ns.run("ip", "link", "del", "probe.5");
        start(ns.prefix(), null);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr9", "type", "bridge", "bridge_ports", "eth1", "autostart", 1);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vmbr9.20", "type", "vlan", "cidr", "10.99.20.1/24", "autostart", 1);
        ok(HttpMethod.POST, "/nodes/n1/network", "iface", "vlan30", "type", "vlan", "vlan-raw-device", "vmbr9", "autostart", 1);
        applied();
        JsonNode v = link(ns, "vmbr9.20");
        assertThat(v.path("linkinfo").path("info_kind").asString()).isEqualTo("vlan");
        assertThat(v.path("linkinfo").path("info_data").path("id").asInt()).isEqualTo(20);
        assertThat(v.path("addr_info").findValuesAsString("local")).contains("10.99.20.1");
        assertThat(link(ns, "vlan30").path("linkinfo").path("info_data").path("id").asInt()).isEqualTo(30);
    }

    @Test
    void embeddedNodeStartsAndStopsItsGuestNetwork() throws Exception {
        start(ns.prefix(), null, "vmbr0");
        module.start(node);
        try {
            assertThat(Links.read(ns.prefix()).get("vmbr0").kind()).isEqualTo("bridge");
            assertThat(ns.run("nft", "list", "table", "ip", "haven-guestnet-vmbr0")).contains("masquerade");
            JsonNode bridges = ok(HttpMethod.GET, "/nodes/n1/network", "type", "any_bridge");
            assertThat(bridges).hasSize(1);
            assertThat(bridges.get(0).get("iface").asString()).isEqualTo("vmbr0");
            assertThat(bridges.get(0).get("cidr").asString()).isEqualTo("10.253.0.1/24");
            assertThat(bridges.get(0).get("active").asInt()).isEqualTo(1);
        } finally {
            module.stop();
        }
        assertThat(Links.read(ns.prefix())).doesNotContainKey("vmbr0");
        assertThat(ns.run("nft", "list", "tables")).doesNotContain("haven-guestnet");
    }
}
