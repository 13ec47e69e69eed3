package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.haven.core.format.SectionConfig.Document;
import org.haven.network.sdn.SdnConfig.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a node generates from a running configuration: the interfaces file, the SNAT rules, dnsmasq's files. */
class SdnGenTest {

    static SdnGen.Running running(long version, String zones, String vnets, String subnets) {
        Map<Kind, Document> docs = Map.of(Kind.ZONES, SdnConfig.parse(Kind.ZONES, zones), Kind.VNETS, SdnConfig.parse(Kind.VNETS, vnets),
                Kind.SUBNETS, SdnConfig.parse(Kind.SUBNETS, subnets));
        return SdnGen.Running.of(SdnConfig.running(version, docs));
    }

    static Stream<Arguments> interfaces() {
        return Stream.of(
                Arguments.of("simple zone: a bridge without ports carrying the gateways", """
                        simple: z1
                        \tipam pve

                        """, """
                        vnet: vnet1
                        \tzone z1

                        """, """
                        subnet: z1-10.0.0.0-24
                        \tvnet vnet1
                        \tgateway 10.0.0.1
                        \tsnat 1

                        subnet: z1-fd00:10::-64
                        \tvnet vnet1
                        \tgateway fd00:10::1

                        """, """
                        #version:3

                        auto vnet1
                        iface vnet1
                        \taddress 10.0.0.1/24
                        \taddress fd00:10::1/64
                        \tip-forward on
                        \tip6-forward on
                        \tbridge_ports none
                        \tbridge_stp off
                        \tbridge_fd 0
                        """),
                Arguments.of("vlan zone: the vnet's VLAN on the zone bridge is the vnet bridge's port; zone MTU; vlan-aware vnet", """
                        vlan: z2
                        \tbridge vmbr0
                        \tmtu 1400

                        """, """
                        vnet: office
                        \tzone z2
                        \ttag 100
                        \talias Office LAN
                        \tvlanaware 1

                        """, "", """
                        #version:3

                        auto ln_office
                        iface ln_office
                        \tvlan-raw-device vmbr0
                        \tvlan-id 100
                        \tmtu 1400

                        auto office
                        iface office
                        \tbridge_ports ln_office
                        \tbridge_stp off
                        \tbridge_fd 0
                        \tbridge-vlan-aware yes
                        \tbridge-vids 2-4094
                        \tmtu 1400
                        \talias Office LAN
                        """),
                Arguments.of("qinq zone: service VLAN with its protocol, customer VLAN inside", """
                        qinq: q1
                        \tbridge vmbr1
                        \ttag 20
                        \tvlan-protocol 802.1ad

                        """, """
                        vnet: cust
                        \tzone q1
                        \ttag 30

                        """, "", """
                        #version:3

                        auto cust
                        iface cust
                        \tbridge_ports ln_cust
                        \tbridge_stp off
                        \tbridge_fd 0

                        auto ln_cust
                        iface ln_cust
                        \tvlan-raw-device sv_q1
                        \tvlan-id 30

                        auto sv_q1
                        iface sv_q1
                        \tvlan-raw-device vmbr1
                        \tvlan-id 20
                        \tvlan-protocol 802.1ad
                        """),
                Arguments.of("vxlan zone: this node's own address is no remote; default MTU 1450", """
                        vxlan: vx
                        \tpeers 192.0.2.1,192.0.2.2,192.0.2.3
                        \tvxlan-port 4790

                        """, """
                        vnet: over
                        \tzone vx
                        \ttag 5000

                        """, "", """
                        #version:3

                        auto over
                        iface over
                        \tbridge_ports vxlan_over
                        \tbridge_stp off
                        \tbridge_fd 0
                        \tmtu 1450

                        auto vxlan_over
                        iface vxlan_over
                        \tvxlan-id 5000
                        \tvxlan_remoteip 192.0.2.2
                        \tvxlan_remoteip 192.0.2.3
                        \tvxlan-port 4790
                        \tmtu 1450
                        """),
                Arguments.of("evpn needs FRR and a zone of other nodes is left out", """
                        evpn: ev
                        \tcontroller c
                        \tvrf-vxlan 100

                        simple: other
                        \tnodes n2,n3

                        """, """
                        vnet: e1
                        \tzone ev
                        \ttag 200

                        vnet: o1
                        \tzone other

                        """, "", "#version:3\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void interfaces(String name, String zones, String vnets, String subnets, String expected) {
        assertThat(SdnGen.interfaces(running(3, zones, vnets, subnets), "n1", Set.of("192.0.2.1", "127.0.0.1"))).isEqualTo(expected);
    }

    @Test
    void fileVersion() {
        assertThat(SdnGen.fileVersion("#version:12\n\nauto x\n")).isEqualTo(12);
        assertThat(SdnGen.fileVersion("auto x\n")).isEqualTo(-1);
        assertThat(SdnGen.fileVersion(null)).isEqualTo(-1);
    }

    static final String DHCP_ZONES = """
            simple: dz
            \tipam pve
            \tdhcp dnsmasq

            simple: plain

            """;
    static final String DHCP_VNETS = """
            vnet: lan
            \tzone dz

            vnet: nodhcp
            \tzone dz

            vnet: p1
            \tzone plain

            """;
    static final String DHCP_SUBNETS = """
            subnet: dz-10.1.0.0-24
            \tvnet lan
            \tdhcp-range start-address=10.1.0.100,end-address=10.1.0.199
            \tdhcp-dns-server 10.1.0.53
            \tgateway 10.1.0.1
            \tsnat 1

            subnet: dz-10.2.0.0-24
            \tvnet nodhcp
            \tgateway 10.2.0.1

            subnet: plain-10.3.0.0-16
            \tvnet p1
            \tgateway 10.3.0.1
            \tsnat 1

            """;

    @Test
    void dnsmasqServesTheDhcpRangesOfTheZone() {
        SdnGen.Running r = running(4, DHCP_ZONES, DHCP_VNETS, DHCP_SUBNETS);
        assertThat(SdnGen.dhcpZones(r, "n1")).containsExactly("dz");
        Path dir = Path.of("/run/sdn/dz");
        assertThat(SdnGen.dnsmasq(r, "dz", dir, dir.resolve("leases"), dir.resolve("dnsmasq.pid"))).isEqualTo("""
                # dnsmasq of SDN zone dz, generated from version 4
                port=0
                no-resolv
                no-hosts
                bind-interfaces
                except-interface=lo
                dhcp-authoritative
                dhcp-leasefile=/run/sdn/dz/leases
                dhcp-hostsfile=/run/sdn/dz/ethers
                pid-file=/run/sdn/dz/dnsmasq.pid
                interface=lan
                dhcp-range=set:dz-10.1.0.0-24,10.1.0.100,10.1.0.199,255.255.255.0,infinite
                dhcp-option=tag:dz-10.1.0.0-24,option:router,10.1.0.1
                dhcp-option=tag:dz-10.1.0.0-24,option:dns-server,10.1.0.53
                """);
        assertThat(SdnGen.ethers(List.of(new Ipam.Entry("dz", "10.1.0.0/24", "10.1.0.1", null, null, null, true),
                new Ipam.Entry("dz", "10.1.0.0/24", "10.1.0.100", "bc:24:11:00:00:01", "100", null, false))))
                .isEqualTo("bc:24:11:00:00:01,10.1.0.100\n");
    }

    @Test
    void snatMasqueradesEachSnatSubnetInOneTable() {
        SdnGen.Running r = running(4, DHCP_ZONES, DHCP_VNETS, DHCP_SUBNETS);
        List<SdnGen.Snat> snats = SdnGen.snats(r, "n1");
        assertThat(snats).containsExactly(new SdnGen.Snat("10.1.0.0/24", "lan"), new SdnGen.Snat("10.3.0.0/16", "p1"));
        assertThat(SdnGen.nft(snats)).isEqualTo("""
                table ip haven-sdn
                delete table ip haven-sdn
                table ip haven-sdn {
                \tchain postrouting {
                \t\ttype nat hook postrouting priority srcnat; policy accept;
                \t\tip saddr 10.1.0.0/24 ip daddr != 10.1.0.0/24 oifname != "lan" masquerade
                \t\tip saddr 10.3.0.0/16 ip daddr != 10.3.0.0/16 oifname != "p1" masquerade
                \t}
                }
                """);
        assertThat(SdnGen.nft(List.of())).isEqualTo("table ip haven-sdn\ndelete table ip haven-sdn\n");
    }
}
