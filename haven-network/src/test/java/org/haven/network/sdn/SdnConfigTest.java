package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.haven.core.format.SectionConfig.Document;
import org.haven.network.sdn.SdnConfig.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The SDN files in PVE's format: read and written back unchanged, decoded as PVE's parsed config, pending views. */
class SdnConfigTest {
    static final String ZONES = """
            simple: simple1
            \tipam pve
            \tdhcp dnsmasq
            \tnodes pve1,pve2

            vlan: vlan1
            \tbridge vmbr0
            \tmtu 1500
            \tipam pve

            qinq: qinq1
            \tbridge vmbr0
            \ttag 20
            \tvlan-protocol 802.1ad

            # overlay between the two rooms
            vxlan: vx1
            \tpeers 192.0.2.1,192.0.2.2
            \tmtu 1450

            evpn: evpn1
            \tcontroller ctl1
            \tvrf-vxlan 10000
            \tmac 32:F4:05:FE:6C:0A
            \texitnodes pve1

            """;
    static final String VNETS = """
            vnet: vnet1
            \tzone simple1

            vnet: vnet2
            \tzone vlan1
            \ttag 100
            \talias office lan

            vnet: vnet3
            \tzone vx1
            \ttag 5000
            \tvlanaware 1

            """;
    static final String SUBNETS = """
            subnet: simple1-10.0.0.0-24
            \tvnet vnet1
            \tdhcp-range start-address=10.0.0.100,end-address=10.0.0.150
            \tdhcp-range start-address=10.0.0.200,end-address=10.0.0.210
            \tgateway 10.0.0.1
            \tsnat 1

            subnet: simple1-fd00:10::-64
            \tvnet vnet1
            \tgateway fd00:10::1

            """;
    static final String CONTROLLERS = """
            evpn: ctl1
            \tasn 65000
            \tpeers 192.0.2.1,192.0.2.2

            bgp: bgppve1
            \tasn 65000
            \tnode pve1
            \tpeers 192.0.2.254
            \tebgp 1

            """;
    static final String IPAMS = """
            pve: pve

            netbox: nb
            \turl https://netbox.example/api
            \ttoken 0123456789abcdef

            """;
    static final String DNS = """
            powerdns: pdns
            \turl http://127.0.0.1:8081/api/v1/servers/localhost
            \tkey secret
            \tttl 3600

            """;

    static Stream<Arguments> files() {
        return Stream.of(Arguments.of(Kind.ZONES, ZONES, 5), Arguments.of(Kind.VNETS, VNETS, 3), Arguments.of(Kind.SUBNETS, SUBNETS, 2),
                Arguments.of(Kind.CONTROLLERS, CONTROLLERS, 2), Arguments.of(Kind.IPAMS, IPAMS, 2), Arguments.of(Kind.DNS, DNS, 1));
    }

    @ParameterizedTest
    @MethodSource("files")
    void pveFilesRoundTrip(Kind k, String text, int sections) {
        Document d = SdnConfig.parse(k, text);
        assertThat(d.sections()).hasSize(sections);
        assertThat(SdnConfig.write(k, d)).isEqualTo(text);
    }

    @Test
    void objectsDecodeAsPveParsesThem() {
        Map<String, Map<String, Object>> zones = SdnConfig.objects(Kind.ZONES, SdnConfig.parse(Kind.ZONES, ZONES));
        assertThat(zones.get("simple1")).containsEntry("type", "simple").containsEntry("nodes", Map.of("pve1", 1, "pve2", 1));
        assertThat(zones.get("qinq1")).containsEntry("tag", 20L).containsEntry("vlan-protocol", "802.1ad");
        Map<String, Map<String, Object>> subnets = SdnConfig.objects(Kind.SUBNETS, SdnConfig.parse(Kind.SUBNETS, SUBNETS));
        assertThat(subnets.get("simple1-10.0.0.0-24")).containsEntry("snat", 1L).containsEntry("dhcp-range",
                List.of("start-address=10.0.0.100,end-address=10.0.0.150", "start-address=10.0.0.200,end-address=10.0.0.210"));
    }

    @Test
    void theBuiltInIpamIsAlwaysThere() {
        assertThat(SdnConfig.ipams("").find("pve")).isPresent();
        assertThat(SdnConfig.ipams(IPAMS).sections()).hasSize(2);
    }

    @Test
    void subnetIds() {
        assertThat(SdnConfig.subnetId("zone1", "10.0.0.0/24")).isEqualTo("zone1-10.0.0.0-24");
        assertThat(SdnConfig.subnetCidr("zone1-10.0.0.0-24")).isEqualTo("10.0.0.0/24");
        assertThat(SdnConfig.subnetCidr("zone1-fd00:10::-64")).isEqualTo("fd00:10::/64");
        assertThat(SdnConfig.subnetCidr("10.1.0.0/16")).isEqualTo("10.1.0.0/16");
        assertThat(SdnConfig.subnetZone("zone1-10.0.0.0-24")).isEqualTo("zone1");
        assertThatThrownBy(() -> SdnConfig.subnetCidr("nodash")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void runningConfigHoldsTheVersionAndTheObjects() {
        Map<String, Object> r = SdnConfig.running(7, Map.of(Kind.ZONES, SdnConfig.parse(Kind.ZONES, ZONES), Kind.VNETS, SdnConfig.parse(Kind.VNETS, VNETS)));
        assertThat(SdnConfig.version(r)).isEqualTo(7);
        assertThat(r).containsKeys("zones", "vnets", "subnets", "controllers");
        assertThat(SdnConfig.runningObjects(r, Kind.VNETS)).containsOnlyKeys("vnet1", "vnet2", "vnet3");
        assertThat(SdnConfig.runningObjects(r, Kind.SUBNETS)).isEmpty();
        assertThat(SdnConfig.runningObjects(Map.of(), Kind.ZONES)).isEmpty();
    }

    static Map<String, Map<String, Object>> vnets(String text) { return SdnConfig.objects(Kind.VNETS, SdnConfig.parse(Kind.VNETS, text)); }

    @Test
    void pendingShowsNewChangedAndDeletedAsPve() {
        Map<String, Map<String, Object>> running = vnets("""
                vnet: same
                \tzone z1

                vnet: changed
                \tzone z1
                \ttag 10
                \talias old

                vnet: gone
                \tzone z1

                """);
        Map<String, Map<String, Object>> current = vnets("""
                vnet: same
                \tzone z1

                vnet: changed
                \tzone z1
                \ttag 11

                vnet: fresh
                \tzone z2

                """);
        Map<String, Map<String, Object>> p = SdnConfig.pending(running, current);
        assertThat(p.get("same")).doesNotContainKeys("state", "pending").containsEntry("zone", "z1");
        assertThat(p.get("changed")).containsEntry("state", "changed").containsEntry("tag", 10L)
                .containsEntry("pending", Map.of("tag", "11", "alias", "deleted"));
        assertThat(p.get("gone")).containsEntry("state", "deleted").containsEntry("pending", Map.of());
        assertThat(p.get("fresh")).containsEntry("state", "new").containsEntry("type", "vnet").containsEntry("pending", Map.of("zone", "z2"));
    }
}
