package org.haven.lxc.setup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The ifupdown transform: existing file × config → new file, and a second pass changes nothing. */
class DebianInterfacesTest {

    static List<NetIf> nets(String... values) {
        Map<String, String> conf = new java.util.TreeMap<>();
        for (int i = 0; i < values.length; i++) conf.put("net" + i, values[i]);
        return NetIf.fromConfig(conf);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("no file: loopback first, a gateway inside the subnet is a plain gateway line",
                        null, nets("name=eth0,bridge=vmbr0,ip=192.0.2.10/25,gw=192.0.2.1"), false,
                        DebianInterfaces.LOOPBACK + "auto eth0\niface eth0 inet static\n\taddress 192.0.2.10\n\tnetmask 255.255.255.128\n\tgateway 192.0.2.1\n\n"),
                Arguments.of("CIDR style, and both families of one interface under one auto line",
                        null, nets("name=ens3,ip=dhcp,ip6=2001:db8::5/48,gw6=2001:db8::1"), true,
                        DebianInterfaces.LOOPBACK + "auto ens3\niface ens3 inet dhcp\n\niface ens3 inet6 static\n\taddress 2001:db8::5/48\n\tgateway 2001:db8::1\n\n"),
                Arguments.of("SLAAC and manual keep their method words",
                        "auto lo\niface lo inet loopback\n", nets("name=a0,ip=manual,ip6=auto"), false,
                        "auto lo\niface lo inet loopback\n\nauto a0\niface a0 inet manual\n\niface a0 inet6 auto\n\n"),
                Arguments.of("a gateway outside the subnet gets the marked route block",
                        "auto lo\niface lo inet loopback\n", nets("name=eth0,ip=198.51.100.7/32,gw=198.51.100.1"), false,
                        "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 198.51.100.7\n\tnetmask 255.255.255.255\n"
                                + "# --- BEGIN PVE ---\n\tpost-up ip route add 198.51.100.1 dev eth0\n\tpost-up ip route add default via 198.51.100.1 dev eth0\n"
                                + "\tpre-down ip route del default via 198.51.100.1 dev eth0\n\tpre-down ip route del 198.51.100.1 dev eth0\n# --- END PVE ---\n\n"),
                Arguments.of("a link-local IPv6 gateway needs no route",
                        "auto lo\niface lo inet loopback\n", nets("name=eth0,ip6=2001:db8:1::2/64,gw6=fe80::1"), false,
                        "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet6 static\n\taddress 2001:db8:1::2\n\tnetmask 64\n\tgateway fe80::1\n\n"),
                Arguments.of("user options of a managed stanza stay, old address lines go; other interfaces and comments stay",
                        "# mine\nauto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 10.1.1.1\n\tnetmask 255.0.0.0\n\tmtu 1400\n\n"
                                + "auto dummy0\niface dummy0 inet manual\n\tpre-up ip link add dummy0 type dummy\n",
                        nets("name=eth0,ip=10.2.2.2/16"), false,
                        "# mine\nauto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 10.2.2.2\n\tnetmask 255.255.0.0\n\tmtu 1400\n\n"
                                + "auto dummy0\niface dummy0 inet manual\n\tpre-up ip link add dummy0 type dummy\n"),
                Arguments.of("a family the config no longer has loses its stanza",
                        "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 10.0.0.2\n\tnetmask 255.255.255.0\n\n"
                                + "iface eth0 inet6 static\n\taddress 2001:db8::2\n\tnetmask 64\n",
                        nets("name=eth0,ip6=2001:db8::3/64"), false,
                        "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet6 static\n\taddress 2001:db8::3\n\tnetmask 64\n\n"),
                Arguments.of("an unmarked copy of the route block is replaced; a different route command stays",
                        "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 203.0.113.5\n\tnetmask 255.255.255.255\n"
                                + "\tpost-up ip route add 203.0.113.1 dev eth0\n\tpost-up ip route add default via 203.0.113.1 dev eth0\n"
                                + "\tpre-down ip route del default via 203.0.113.1 dev eth0\n\tpre-down ip route del 203.0.113.1 dev eth0\n"
                                + "\tpost-up ip rule add from 203.0.113.5 table 7\n",
                        nets("name=eth0,ip=203.0.113.5/32,gw=203.0.113.1"), false,
                        "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 203.0.113.5\n\tnetmask 255.255.255.255\n"
                                + "# --- BEGIN PVE ---\n\tpost-up ip route add 203.0.113.1 dev eth0\n\tpost-up ip route add default via 203.0.113.1 dev eth0\n"
                                + "\tpre-down ip route del default via 203.0.113.1 dev eth0\n\tpre-down ip route del 203.0.113.1 dev eth0\n# --- END PVE ---\n"
                                + "\tpost-up ip rule add from 203.0.113.5 table 7\n\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void rendersAndIsStable(String what, String existing, List<NetIf> nets, boolean cidr, String expected) {
        String once = DebianInterfaces.render(existing, nets, cidr);
        assertThat(once).isEqualTo(expected);
        assertThat(DebianInterfaces.render(once, nets, cidr)).isEqualTo(once);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void gatewayChangeReplacesTheRouteBlock(String what, String existing, List<NetIf> nets, boolean cidr, String expected) {
        List<NetIf> moved = nets.stream().map(n -> n.gw() == null ? n : new NetIf(n.index(), n.name(), n.ip(), "192.0.2.254", n.ip6(), n.gw6())).toList();
        String text = DebianInterfaces.render(DebianInterfaces.render(existing, nets, cidr), moved, cidr);
        for (NetIf n : nets) if (n.gw() != null) assertThat(text).doesNotContain(n.gw() + " ").doesNotContain("gateway " + n.gw() + "\n");
        assertThat(text.split("BEGIN PVE", -1).length).isEqualTo(text.split("END PVE", -1).length);
    }

    @org.junit.jupiter.api.Test
    void configWithoutAddressesLeavesTheFileAlone() {
        assertThat(DebianInterfaces.render("auto lo\n", nets("name=eth0,bridge=vmbr0"), false)).isNull();
        assertThat(DebianInterfaces.render(null, List.of(), true)).isNull();
    }
}
