package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.network.apply.Links;
import org.haven.network.apply.TestNetns;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A simple zone applied for real through {@code PUT /cluster/sdn} inside a namespace the test makes ("host"):
 * the vnet bridge with the subnet's gateway, the SNAT table, and the zone's dnsmasq. Two guest NICs (veth pairs
 * from the bridge into a "guest" namespace) ask for an address: the one whose MAC is mapped in the IPAM gets
 * the mapped address, the other one an address from the DHCP range.
 */
@RealTest
class SdnNetnsTest extends SdnApiHarness {

    @Test
    void simpleZoneWithSnatAndDhcp() throws Exception {
        Tools.requireRoot("network namespaces");
        Tools.require("ifupdown2", "ifreload");
        Tools.require("dnsmasq-base", "dnsmasq");
        Tools.require("busybox", "busybox");
        Tools.require("nftables", "nft");
        try (TestNetns host = new TestNetns("hvsdn-host"); TestNetns guest = new TestNetns("hvsdn-guest")) {
            start(host.prefix());
            try {
                ok(HttpMethod.POST, "/cluster/sdn/zones", "zone", "z1", "type", "simple", "ipam", "pve", "dhcp", "dnsmasq");
                ok(HttpMethod.POST, "/cluster/sdn/vnets", "vnet", "vnet1", "zone", "z1");
                ok(HttpMethod.POST, "/cluster/sdn/vnets/vnet1/subnets", "subnet", "10.42.0.0/24", "type", "subnet", "gateway", "10.42.0.1",
                        "snat", "1", "dhcp-range", List.of("start-address=10.42.0.100,end-address=10.42.0.150"));
                ok(HttpMethod.POST, "/cluster/sdn/vnets/vnet1/ips", "zone", "z1", "ip", "10.42.0.120", "mac", "bc:24:11:42:00:01");
                List<String> log = apply();
                assertThat(log).anySatisfy(l -> assertThat(l).contains("zone z1: DHCP (dnsmasq) started"));

                assertThat(Links.read(host.prefix()).get("vnet1")).satisfies(l -> {
                    assertThat(l.kind()).isEqualTo("bridge");
                    assertThat(l.up()).isTrue();
                });
                assertThat(host.run("ip", "-4", "-o", "addr", "show", "dev", "vnet1")).contains("inet 10.42.0.1/24");
                assertThat(host.run("nft", "list", "table", "ip", "haven-sdn"))
                        .contains("ip saddr 10.42.0.0/24 ip daddr != 10.42.0.0/24 oifname != \"vnet1\" masquerade");
                long dnsmasq = module.node().pid("z1").orElseThrow();
                assertThat(ProcessHandle.of(dnsmasq).map(ProcessHandle::isAlive)).contains(true);
                JsonNode status = ok(HttpMethod.GET, "/nodes/n1/sdn/zones");
                assertThat(status.get(0).path("status").asString()).isEqualTo("available");

                Path script = tmp.resolve("udhcpc.sh");
                Files.writeString(script, """
                        #!/bin/sh
                        [ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"
                        exit 0
                        """);
                script.toFile().setExecutable(true);
                String mapped = nic(host, guest, "tap100i0", "eth0", "bc:24:11:42:00:01", script);
                assertThat(mapped).contains("lease of 10.42.0.120 obtained");
                String dynamic = nic(host, guest, "tap101i0", "eth1", "bc:24:11:42:00:02", script);
                assertThat(dynamic).containsPattern("lease of 10\\.42\\.0\\.1([0-4]\\d|50) obtained");
                assertThat(guest.run("ip", "-4", "-o", "addr", "show", "dev", "eth0")).contains("inet 10.42.0.120/24");
                assertThat(module.node().leases("z1")).containsEntry("bc:24:11:42:00:01", "10.42.0.120").hasSize(2);
                guest.run("busybox", "ping", "-c", "1", "-W", "5", "10.42.0.1");

                // a node starting again, its file at the running version: only the DHCP server that is gone is started
                ProcessHandle.of(dnsmasq).orElseThrow().destroy();
                ProcessHandle.of(dnsmasq).ifPresent(h -> h.onExit().join());
                List<String> resumed = new ArrayList<>();
                module.node().resume(module.running(), Ipam.parse(cfs.readString(Ipam.FILE).orElse("")), resumed::add);
                assertThat(resumed).containsExactly("zone z1: DHCP (dnsmasq) started");
                assertThat(module.node().pid("z1").flatMap(ProcessHandle::of).map(ProcessHandle::isAlive)).contains(true);
            } finally {
                module.node().stopAllDhcp();
            }
            assertThat(module.node().pid("z1")).isEmpty();
        }
    }

    /** A guest NIC: a veth pair with one end on the vnet bridge, the other in the guest namespace; the DHCP client's output. */
    private static String nic(TestNetns host, TestNetns guest, String tap, String dev, String mac, Path script) {
        host.run("ip", "link", "add", tap, "type", "veth", "peer", "name", dev, "netns", guest.name);
        host.run("ip", "link", "set", tap, "master", "vnet1", "up");
        guest.run("ip", "link", "set", dev, "address", mac, "up");
        return guest.run("busybox", "udhcpc", "-i", dev, "-n", "-q", "-f", "-t", "10", "-T", "1", "-s", script.toString());
    }
}
