package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.haven.core.format.SectionConfig.Document;
import org.haven.core.format.SectionConfig.Section;
import org.haven.core.schema.ParamException;
import org.haven.network.sdn.SdnConfig.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** PVE's checks of zones, vnets and subnets, one row per rule. */
class SdnChecksTest {
    static final Document ZONES = SdnConfig.parse(Kind.ZONES, """
            simple: s1
            \tipam pve
            \tdhcp dnsmasq

            vlan: v1
            \tbridge vmbr0

            vlan: v2
            \tbridge vmbr1

            vxlan: x1
            \tpeers 192.0.2.1

            evpn: e1
            \tcontroller c1
            \tvrf-vxlan 900

            """);
    static final Document VNETS = SdnConfig.parse(Kind.VNETS, """
            vnet: a
            \tzone v1
            \ttag 10

            vnet: b
            \tzone x1
            \ttag 20

            vnet: c
            \tzone s1

            """);
    static final Document CONTROLLERS = SdnConfig.parse(Kind.CONTROLLERS, "evpn: c1\n\tasn 65000\n\tpeers 192.0.2.1\n\nbgp: b1\n\tasn 1\n\tnode n1\n\n");

    static Section section(String type, String id, String... kv) {
        Section s = new Section(type, id);
        for (int i = 0; i < kv.length; i += 2) s.set(kv[i], kv[i + 1]);
        return s;
    }

    static Map<String, String> zoneErrors(Section z) {
        return errors(() -> SdnChecks.checkZone(z, SdnConfig.ipams(""), new Document(), CONTROLLERS));
    }

    static Map<String, String> errors(Runnable r) {
        ParamException e = catchThrowableOfType(ParamException.class, r::run);
        return e == null ? Map.of() : e.errors();
    }

    static Stream<Arguments> zones() {
        return Stream.of(
                Arguments.of(section("simple", "ok", "ipam", "pve", "dhcp", "dnsmasq"), Map.of()),
                Arguments.of(section("simple", "z", "bridge", "vmbr0"), Map.of("bridge", "property is not defined in schema and the schema does not allow additional properties")),
                Arguments.of(section("vlan", "z"), Map.of("bridge", "property is missing and it is not optional")),
                Arguments.of(section("qinq", "z", "bridge", "vmbr0"), Map.of("tag", "property is missing and it is not optional")),
                Arguments.of(section("qinq", "z", "bridge", "vmbr0", "tag", "5000"), Map.of("tag", "vlan tag must be between 1 and 4094")),
                Arguments.of(section("vxlan", "z"), Map.of("peers", "property is missing and it is not optional")),
                Arguments.of(section("simple", "z", "dhcp", "dnsmasq"), Map.of("dhcp", "DHCP needs an IPAM: set 'ipam' on the zone")),
                Arguments.of(section("simple", "z", "ipam", "nope"), Map.of("ipam", "ipam 'nope' does not exist")),
                Arguments.of(section("simple", "z", "dns", "pdns"), Map.of("dns", "dns server 'pdns' does not exist")),
                Arguments.of(section("evpn", "z", "controller", "b1", "vrf-vxlan", "5"), Map.of("controller", "controller 'b1' is not an evpn controller")),
                Arguments.of(section("evpn", "z", "controller", "zz", "vrf-vxlan", "5"), Map.of("controller", "controller 'zz' does not exist")),
                Arguments.of(section("evpn", "z", "controller", "c1", "vrf-vxlan", "5"), Map.of()),
                Arguments.of(section("nosuch", "z"), Map.of("type", "invalid type 'nosuch'")));
    }

    @ParameterizedTest
    @MethodSource
    void zones(Section z, Map<String, String> expected) {
        assertThat(zoneErrors(z)).isEqualTo(expected);
    }

    static Stream<Arguments> vnets() {
        return Stream.of(
                Arguments.of(section("vnet", "n", "zone", "s1"), Map.of()),
                Arguments.of(section("vnet", "n", "zone", "s1", "tag", "5"), Map.of("tag", "vlan tag is not allowed on simple zone")),
                Arguments.of(section("vnet", "n", "zone", "v1"), Map.of("tag", "missing vlan tag")),
                Arguments.of(section("vnet", "n", "zone", "v1", "tag", "4095"), Map.of("tag", "vlan tag must be between 1 and 4094")),
                Arguments.of(section("vnet", "n", "zone", "v1", "tag", "10"), Map.of("tag", "tag 10 already exists in vnet a")),
                Arguments.of(section("vnet", "n", "zone", "v2", "tag", "10"), Map.of()),
                Arguments.of(section("vnet", "n", "zone", "x1"), Map.of("tag", "missing vxlan tag")),
                Arguments.of(section("vnet", "n", "zone", "e1", "tag", "20"), Map.of("tag", "tag 20 already exists in vnet b")),
                Arguments.of(section("vnet", "n", "zone", "e1", "tag", "900"), Map.of("tag", "vnet tag 900 is the zone's vrf-vxlan")),
                Arguments.of(section("vnet", "n", "zone", "nozone"), Map.of("zone", "zone 'nozone' does not exist")),
                Arguments.of(section("vnet", "n"), Map.of("zone", "property is missing and it is not optional")));
    }

    @ParameterizedTest
    @MethodSource
    void vnets(Section v, Map<String, String> expected) {
        assertThat(errors(() -> SdnChecks.checkVnet(v, ZONES, VNETS))).isEqualTo(expected);
    }

    static Stream<Arguments> subnets() {
        return Stream.of(
                Arguments.of(section("subnet", "s1-10.0.0.0-24", "vnet", "c", "gateway", "10.0.0.1", "snat", "1"), Map.of()),
                Arguments.of(section("subnet", "s1-10.0.0.1-24", "vnet", "c"), Map.of("subnet", "subnet 10.0.0.1/24 is not a network address, use 10.0.0.0/24")),
                Arguments.of(section("subnet", "s1-10.0.0.0-24", "vnet", "c", "gateway", "10.0.1.1"), Map.of("gateway", "gateway 10.0.1.1 is not in subnet 10.0.0.0/24")),
                Arguments.of(section("subnet", "s1-10.0.0.0-24", "vnet", "zz"), Map.of("vnet", "vnet 'zz' does not exist")),
                Arguments.of(section("subnet", "v1-10.0.0.0-24", "vnet", "a", "snat", "1"), Map.of("snat", "snat is only supported in simple and evpn zones")),
                Arguments.of(section("subnet", "s1-fd00::-64", "vnet", "c", "gateway", "fd00::1"), Map.of()));
    }

    @ParameterizedTest
    @MethodSource
    void subnets(Section s, Map<String, String> expected) {
        assertThat(errors(() -> SdnChecks.checkSubnet(s, VNETS, ZONES))).isEqualTo(expected);
    }

    static Stream<Arguments> ranges() {
        return Stream.of(
                Arguments.of(List.of("start-address=10.0.0.10,end-address=10.0.0.20"), Map.of()),
                Arguments.of(List.of("start-address=10.0.1.10,end-address=10.0.0.20"), Map.of("dhcp-range", "start-address 10.0.1.10 is not in subnet 10.0.0.0/24")),
                Arguments.of(List.of("start-address=10.0.0.10,end-address=10.0.9.20"), Map.of("dhcp-range", "end-address 10.0.9.20 is not in subnet 10.0.0.0/24")),
                Arguments.of(List.of("start-address=10.0.0.30,end-address=10.0.0.20"), Map.of("dhcp-range", "start-address 10.0.0.30 is after end-address 10.0.0.20")),
                Arguments.of(List.of("start-address=10.0.0.30"), Map.of("dhcp-range", "dhcp-range needs start-address and end-address")),
                Arguments.of(List.of("begin=10.0.0.30,end-address=10.0.0.40"), Map.of("dhcp-range", "invalid dhcp-range key 'begin'")));
    }

    @ParameterizedTest
    @MethodSource
    void ranges(List<String> ranges, Map<String, String> expected) {
        Section s = section("subnet", "s1-10.0.0.0-24", "vnet", "c");
        s.setValues("dhcp-range", ranges);
        assertThat(errors(() -> SdnChecks.checkSubnet(s, VNETS, ZONES))).isEqualTo(expected);
    }

    @Test
    void ids() {
        assertThatCode(() -> SdnChecks.checkId(Kind.ZONES, "zone1")).doesNotThrowAnyException();
        assertThat(errors(() -> SdnChecks.checkId(Kind.ZONES, "Zone1"))).containsEntry("zone", "zone ID 'Zone1' contains illegal characters");
        assertThat(errors(() -> SdnChecks.checkId(Kind.VNETS, "vnettoolong"))).containsEntry("vnet", "vnet ID 'vnettoolong' is too long (max 8 characters)");
        assertThatCode(() -> SdnChecks.checkId(Kind.CONTROLLERS, "bgp-pve_1")).doesNotThrowAnyException();
        assertThat(errors(() -> SdnChecks.checkId(Kind.IPAMS, "my-ipam"))).containsEntry("ipam", "ipam ID 'my-ipam' contains illegal characters");
    }

    @Test
    void ipamAllocatesFromTheRangesAndKeepsPveFormat() {
        Ipam db = Ipam.parse("");
        db.addSubnet("s1", "10.0.0.0/24");
        db.addIp("s1", "10.0.0.0/24", "10.0.0.1", null, null, null, true);
        List<SdnChecks.Range> ranges = List.of(SdnChecks.Range.parse("start-address=10.0.0.1,end-address=10.0.0.2"),
                SdnChecks.Range.parse("start-address=10.0.0.10,end-address=10.0.0.10"));
        assertThat(db.nextFree("s1", "10.0.0.0/24", ranges)).isEqualTo("10.0.0.2");
        db.addIp("s1", "10.0.0.0/24", "10.0.0.2", "BC:24:11:00:00:02", "100", "vm100", false);
        assertThat(db.nextFree("s1", "10.0.0.0/24", ranges)).isEqualTo("10.0.0.10");
        db.addIp("s1", "10.0.0.0/24", "10.0.0.10", null, null, null, false);
        assertThat(catchThrowableOfType(IllegalStateException.class, () -> db.nextFree("s1", "10.0.0.0/24", ranges)))
                .hasMessage("no free IP left in the dhcp-range of subnet 10.0.0.0/24");
        assertThat(catchThrowableOfType(IllegalStateException.class, () -> db.addIp("s1", "10.0.0.0/24", "10.0.0.2", null, null, null, false)))
                .hasMessage("IP '10.0.0.2' already exist");
        Ipam back = Ipam.parse(db.write());
        assertThat(back.entries("s1")).containsExactly(
                new Ipam.Entry("s1", "10.0.0.0/24", "10.0.0.1", null, null, null, true),
                new Ipam.Entry("s1", "10.0.0.0/24", "10.0.0.2", "bc:24:11:00:00:02", "100", "vm100", false),
                new Ipam.Entry("s1", "10.0.0.0/24", "10.0.0.10", null, null, null, false));
        assertThat(db.write()).contains("\"zones\"").contains("\"subnets\"").contains("\"10.0.0.0/24\"").contains("\"ips\"").contains("\"gateway\" : 1");
        assertThat(catchThrowableOfType(IllegalStateException.class, () -> back.deleteSubnet("s1", "10.0.0.0/24")))
                .hasMessage("cannot delete subnet '10.0.0.0/24', not empty");
        back.deleteIp("s1", "10.0.0.0/24", "10.0.0.2");
        back.deleteIp("s1", "10.0.0.0/24", "10.0.0.10");
        back.deleteSubnet("s1", "10.0.0.0/24");
        assertThat(back.entries(null)).isEmpty();
    }
}
