package org.haven.network.ifaces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InterfacesTest {

    /** A file as PVE writes it: a bridge on a physical port, a VLAN-aware bridge on a bond, a VLAN and a source line. */
    static final String PVE_FILE = Interfaces.HEADER + """
            auto lo
            iface lo inet loopback

            iface eno1 inet manual

            iface eno2 inet manual

            iface enp3s0 inet manual
            \tmtu 9000

            auto bond0
            iface bond0 inet manual
            \tbond-slaves eno2 enp3s0
            \tbond-miimon 100
            \tbond-mode 802.3ad
            \tbond-xmit-hash-policy layer2+3

            auto vmbr0
            iface vmbr0 inet static
            \taddress 192.168.10.2/24
            \tgateway 192.168.10.1
            \tbridge-ports eno1
            \tbridge-stp off
            \tbridge-fd 0
            #management bridge
            #second line

            iface vmbr0 inet6 static
            \taddress fd00::2/64
            \tgateway fd00::1
            #v6 comment

            auto vmbr1
            iface vmbr1 inet manual
            \tbridge-ports bond0
            \tbridge-stp off
            \tbridge-fd 0
            \tbridge-vlan-aware yes
            \tbridge-vids 2-4094

            auto vmbr1.20
            iface vmbr1.20 inet static
            \taddress 10.20.0.2/24

            auto vlan30
            iface vlan30 inet manual
            \tvlan-id 30
            \tvlan-raw-device bond0

            source /etc/network/interfaces.d/*
            """;

    @Test
    void readsPveFile() {
        NetworkConfig c = Interfaces.parse(PVE_FILE);
        assertThat(c.ifaces().keySet()).containsExactly("lo", "eno1", "eno2", "enp3s0", "bond0", "vmbr0", "vmbr1", "vmbr1.20", "vlan30");
        Iface lo = c.ifaces().get("lo");
        assertThat(lo.type()).isEqualTo("loopback");
        assertThat(lo.autostart()).isTrue();
        assertThat(c.ifaces().get("eno1").type()).isEqualTo("eth");
        assertThat(c.ifaces().get("eno1").autostart()).isFalse();
        assertThat(c.ifaces().get("enp3s0").settings()).containsEntry("mtu", "9000");
        Iface bond = c.ifaces().get("bond0");
        assertThat(bond.type()).isEqualTo("bond");
        assertThat(bond.settings()).containsEntry("bond-mode", "802.3ad").containsEntry("bond-xmit-hash-policy", "layer2+3");
        assertThat(bond.lowerDevices()).containsExactly("eno2", "enp3s0");
        Iface br = c.ifaces().get("vmbr0");
        assertThat(br.type()).isEqualTo("bridge");
        Stanza v4 = br.stanza("inet").orElseThrow();
        assertThat(v4.method()).isEqualTo("static");
        assertThat(v4.ip()).isEqualTo("192.168.10.2");
        assertThat(v4.prefix()).isEqualTo("24");
        assertThat(v4.gateway()).isEqualTo("192.168.10.1");
        assertThat(v4.comments()).containsExactly("management bridge", "second line");
        assertThat(br.stanza("inet6").orElseThrow().comments()).containsExactly("v6 comment");
        assertThat(c.ifaces().get("vmbr1").settings()).containsEntry("bridge-vlan-aware", "yes").containsEntry("bridge-vids", "2-4094");
        Iface v20 = c.ifaces().get("vmbr1.20");
        assertThat(v20.type()).isEqualTo("vlan");
        assertThat(v20.vlanRawDevice()).isEqualTo("vmbr1");
        assertThat(v20.vlanId()).isEqualTo(20);
        Iface v30 = c.ifaces().get("vlan30");
        assertThat(v30.type()).isEqualTo("vlan");
        assertThat(v30.vlanRawDevice()).isEqualTo("bond0");
        assertThat(v30.vlanId()).isEqualTo(30);
        assertThat(c.directives()).containsExactly("source /etc/network/interfaces.d/*");
    }

    @Test
    void pveFileIsAlreadyCanonical() {
        assertThat(Interfaces.write(Interfaces.parse(PVE_FILE))).isEqualTo(PVE_FILE);
    }

    /** A hand-written Debian file: other spacing, netmask lines, allow-hotplug, a top comment, unknown options. */
    static final String HAND_FILE = """
            # The loopback network interface
            auto lo
            iface lo inet loopback

            # uplink
            allow-hotplug eth0
            iface eth0 inet static
                address 10.1.1.5
                netmask 255.255.255.0
                gateway 10.1.1.1
                dns-nameservers 10.1.1.1 10.1.1.2
                post-up   echo up

            auto br-lab
            iface br-lab inet dhcp
                bridge_ports eth1 eth2
                bridge_stp on
                bridge_fd 15
                hwaddress ether 02:00:00:00:00:01
            source-directory /etc/network/interfaces.d
            """;

    @Test
    void unchangedFileIsGivenBackByteForByte() {
        NetworkConfig c = Interfaces.parse(HAND_FILE);
        assertThat(Interfaces.write(c, HAND_FILE)).isEqualTo(HAND_FILE);
    }

    @Test
    void handFileIsReadWithPveSemantics() {
        NetworkConfig c = Interfaces.parse(HAND_FILE);
        Iface eth0 = c.ifaces().get("eth0");
        assertThat(eth0.hotplug()).isTrue();
        assertThat(eth0.autostart()).isFalse();
        Stanza s = eth0.stanza("inet").orElseThrow();
        assertThat(s.address()).isEqualTo("10.1.1.5/24");
        assertThat(s.options()).containsExactly("dns-nameservers 10.1.1.1 10.1.1.2", "post-up   echo up");
        Iface br = c.ifaces().get("br-lab");
        assertThat(br.type()).isEqualTo("bridge");
        assertThat(br.settings()).containsEntry("bridge-ports", "eth1 eth2").containsEntry("bridge-stp", "on").containsEntry("bridge-fd", "15");
        assertThat(br.stanza("inet").orElseThrow().options()).containsExactly("hwaddress ether 02:00:00:00:00:01");
        assertThat(c.directives()).containsExactly("source-directory /etc/network/interfaces.d");
    }

    /** The comment above the eth0 stanza follows the lo stanza, so it stays with lo, as in PVE. */
    @Test
    void changedFileIsWrittenInPveLayout() {
        NetworkConfig c = Interfaces.parse(HAND_FILE);
        Iface eth0 = c.ifaces().get("eth0");
        c = c.with(eth0.withStanza("inet", eth0.stanza("inet").orElseThrow().withComments(List.of("uplink"))));
        assertThat(Interfaces.write(c, HAND_FILE)).isEqualTo(Interfaces.HEADER + """
                auto lo
                iface lo inet loopback
                # uplink

                allow-hotplug eth0
                iface eth0 inet static
                \taddress 10.1.1.5/24
                \tgateway 10.1.1.1
                \tdns-nameservers 10.1.1.1 10.1.1.2
                \tpost-up   echo up
                #uplink

                auto br-lab
                iface br-lab inet dhcp
                \tbridge-ports eth1 eth2
                \tbridge-stp on
                \tbridge-fd 15
                \thwaddress ether 02:00:00:00:00:01

                source-directory /etc/network/interfaces.d
                """);
    }

    @Test
    void writeOrderFollowsTypeThenFileOrder() {
        String text = """
                auto vmbr0
                iface vmbr0 inet manual
                \tbridge-ports eno1.5

                iface eno1.5 inet manual

                iface bond0 inet manual
                \tbond-slaves eno1

                iface eno1 inet manual

                auto lo
                iface lo inet loopback
                """;
        List<String> names = Interfaces.ordered(Interfaces.parse(text)).stream().map(Iface::name).toList();
        assertThat(names).containsExactly("lo", "eno1", "eno1.5", "bond0", "vmbr0");
    }

    static Stream<Arguments> types() {
        return Stream.of(
                Arguments.of("lo", Map.of(), "loopback"),
                Arguments.of("eno1", Map.of(), "eth"),
                Arguments.of("eth0", Map.of(), "eth"),
                Arguments.of("enp3s0f1", Map.of(), "eth"),
                Arguments.of("vmbr7", Map.of(), "bridge"),
                Arguments.of("lan", Map.of("bridge-ports", "eno1"), "bridge"),
                Arguments.of("bond3", Map.of(), "bond"),
                Arguments.of("uplink", Map.of("bond-slaves", "eno1 eno2"), "bond"),
                Arguments.of("eno1.100", Map.of(), "vlan"),
                Arguments.of("vlan42", Map.of("vlan-raw-device", "eno1"), "vlan"),
                Arguments.of("mgmt", Map.of("vlan-raw-device", "eno1", "vlan-id", "9"), "vlan"),
                Arguments.of("eno1:1", Map.of(), "alias"),
                Arguments.of("vmbr1", Map.of("ovs_type", "OVSBridge"), "OVSBridge"),
                Arguments.of("bond1", Map.of("ovs_type", "OVSBond"), "OVSBond"),
                Arguments.of("eno3", Map.of("ovs_type", "OVSPort"), "OVSPort"),
                Arguments.of("int0", Map.of("ovs_type", "OVSIntPort"), "OVSIntPort"),
                Arguments.of("tap0", Map.of(), "unknown"));
    }

    @ParameterizedTest
    @MethodSource("types")
    void typeFollowsPveRules(String name, Map<String, String> settings, String type) {
        assertThat(new Iface(name, false, false, new java.util.TreeMap<>(settings), List.of()).type()).isEqualTo(type);
    }

    static Stream<Arguments> canonicalStanzas() {
        return Stream.of(
                // a bridge gets PVE's defaults for ports, STP and forward delay
                Arguments.of("iface vmbr2 inet manual\n", "iface vmbr2 inet manual\n\tbridge-ports none\n\tbridge-stp off\n\tbridge-fd 0\n\n"),
                // a VLAN-aware bridge gets the default VLAN range; bridge-vids without VLAN awareness is dropped
                Arguments.of("iface vmbr2 inet manual\n bridge-vlan-aware 1\n", "iface vmbr2 inet manual\n\tbridge-ports none\n\tbridge-stp off\n\tbridge-fd 0\n\tbridge-vlan-aware yes\n\tbridge-vids 2-4094\n\n"),
                Arguments.of("iface vmbr2 inet manual\n bridge-vids 5\n bridge-vlan-aware no\n", "iface vmbr2 inet manual\n\tbridge-ports none\n\tbridge-stp off\n\tbridge-fd 0\n\n"),
                // STP on keeps no default forward delay
                Arguments.of("iface vmbr2 inet manual\n bridge-stp on\n", "iface vmbr2 inet manual\n\tbridge-ports none\n\tbridge-stp on\n\n"),
                // a bond: slaves, miimon and mode defaults, in PVE's order, then the MTU
                Arguments.of("iface bond1 inet manual\n mtu 9000\n bond-primary eno1\n bond-mode active-backup\n bond-slaves eno1 eno2\n",
                        "iface bond1 inet manual\n\tbond-slaves eno1 eno2\n\tbond-miimon 100\n\tbond-mode active-backup\n\tbond-primary eno1\n\tmtu 9000\n\n"),
                Arguments.of("iface bond1 inet manual\n", "iface bond1 inet manual\n\tbond-slaves none\n\tbond-miimon 100\n\tbond-mode balance-rr\n\n"),
                // the hash policy only for balance-xor and 802.3ad, the primary only for active-backup
                Arguments.of("iface bond1 inet manual\n bond-mode balance-alb\n bond-xmit-hash-policy layer2\n bond-primary eno1\n",
                        "iface bond1 inet manual\n\tbond-slaves none\n\tbond-miimon 100\n\tbond-mode balance-alb\n\n"),
                Arguments.of("iface bond1 inet manual\n bond-mode balance-xor\n bond-xmit-hash-policy layer2+3\n bond-primary eno1\n",
                        "iface bond1 inet manual\n\tbond-slaves none\n\tbond-miimon 100\n\tbond-mode balance-xor\n\tbond-xmit-hash-policy layer2+3\n\n"),
                // address and netmask become one CIDR address
                Arguments.of("iface eth1 inet static\n netmask 255.255.0.0\n address 172.16.0.9\n", "iface eth1 inet static\n\taddress 172.16.0.9/16\n\n"),
                Arguments.of("iface eth1 inet6 static\n address fd00::9\n netmask 64\n", "iface eth1 inet6 static\n\taddress fd00::9/64\n\n"),
                // OVS: type first, the MTU as ovs_mtu, the rest sorted
                Arguments.of("iface vmbr3 inet manual\n ovs_ports bond1 int0\n ovs_type OVSBridge\n mtu 1500\n",
                        "iface vmbr3 inet manual\n\tovs_type OVSBridge\n\tovs_ports bond1 int0\n\tovs_mtu 1500\n\n"),
                Arguments.of("iface bond1 inet manual\n ovs_type OVSBond\n ovs_bridge vmbr3\n ovs_bonds eno1 eno2\n ovs_options bond_mode=balance-slb lacp=active\n",
                        "iface bond1 inet manual\n\tovs_bonds eno1 eno2\n\tovs_type OVSBond\n\tovs_bridge vmbr3\n\tovs_options bond_mode=balance-slb lacp=active\n\n"),
                Arguments.of("iface int0 inet static\n address 10.9.9.9/24\n ovs_tag 9\n ovs_bridge vmbr3\n ovs_type OVSIntPort\n",
                        "iface int0 inet static\n\taddress 10.9.9.9/24\n\tovs_type OVSIntPort\n\tovs_bridge vmbr3\n\tovs_tag 9\n\n"),
                // interface-wide settings are written in the first stanza only
                Arguments.of("iface eno1.7 inet6 auto\niface eno1.7 inet dhcp\n mtu 1400\n", "iface eno1.7 inet6 auto\n\tmtu 1400\n\niface eno1.7 inet dhcp\n\n"));
    }

    @ParameterizedTest
    @MethodSource("canonicalStanzas")
    void stanzasAreWrittenAsPveWritesThem(String in, String out) {
        assertThat(Interfaces.write(Interfaces.parse(in))).isEqualTo(Interfaces.HEADER + out);
    }

    @Test
    void allBondModesAreKept() {
        for (String mode : Iface.BOND_MODES) {
            NetworkConfig c = Interfaces.parse("iface bond0 inet manual\n bond-mode " + mode + "\n");
            assertThat(Interfaces.parse(Interfaces.write(c)).ifaces().get("bond0").settings()).containsEntry("bond-mode", mode);
        }
    }

    @Test
    void commentsAfterAStanzaBelongToIt() {
        NetworkConfig c = Interfaces.parse("iface eno1 inet manual\n\n# spare port\n#   indented\nauto eno2\n# lost\niface eno2 inet manual\n");
        assertThat(c.ifaces().get("eno1").stanza("inet").orElseThrow().comments()).containsExactly(" spare port", "   indented");
        assertThat(c.ifaces().get("eno2").stanza("inet").orElseThrow().comments()).isEmpty();
    }

    @Test
    void netmaskBits() {
        assertThat(Interfaces.maskBits("255.255.255.0")).isEqualTo("24");
        assertThat(Interfaces.maskBits("255.255.240.0")).isEqualTo("20");
        assertThat(Interfaces.maskBits("0.0.0.0")).isEqualTo("0");
        assertThat(Interfaces.maskBits("255.255.255.255")).isEqualTo("32");
        assertThat(Interfaces.maskBits("27")).isEqualTo("27");
        assertThatThrownBy(() -> Interfaces.maskBits("255.0.255.0")).isInstanceOf(IllegalArgumentException.class);
    }
}
