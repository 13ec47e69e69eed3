package org.haven.lxc.setup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Per-interface files of the Red Hat, NetworkManager, SUSE and systemd-networkd formats, as tables. */
class NetworkFilesTest {
    static final SystemFiles.Dns DNS = SystemFiles.Dns.of("lab.example", "192.0.2.53 2001:db8::53");
    static final String UUID = "11111111-2222-3333-4444-555555555555";

    static NetIf net(String ip, String gw, String ip6, String gw6) { return new NetIf(0, "eth0", ip, gw, ip6, gw6); }

    static Stream<Arguments> redHat() {
        String head = "DEVICE=eth0\nONBOOT=yes\nUUID=" + UUID + "\n";
        String dns = "DNS1=192.0.2.53\nDNS2=2001:db8::53\nDOMAIN=lab.example\n";
        return Stream.of(
                Arguments.of(net("dhcp", null, null, null), head + "BOOTPROTO=dhcp\n" + dns, "", ""),
                Arguments.of(net("10.9.8.7/8", "10.0.0.1", null, null),
                        head + "BOOTPROTO=none\nIPADDR=10.9.8.7\nNETMASK=255.0.0.0\nGATEWAY=10.0.0.1\n" + dns, "", ""),
                Arguments.of(net("10.9.8.7/32", "10.0.0.1", null, null),
                        head + "BOOTPROTO=none\nIPADDR=10.9.8.7\nNETMASK=255.255.255.255\nGATEWAY=10.0.0.1\n" + dns,
                        "10.0.0.1 dev eth0\ndefault via 10.0.0.1 dev eth0\n", ""),
                Arguments.of(net(null, null, "dhcp", null), head + "BOOTPROTO=none\nIPV6INIT=yes\nIPV6_AUTOCONF=no\nDHCPV6C=yes\n" + dns, "", ""),
                Arguments.of(net(null, null, "2001:db8:5::9/64", "2001:db8:5::1"),
                        head + "BOOTPROTO=none\nIPV6INIT=yes\nIPV6ADDR=2001:db8:5::9/64\nIPV6_AUTOCONF=no\nIPV6_DEFAULTGW=2001:db8:5::1\n" + dns, "", ""),
                Arguments.of(net(null, null, "2001:db8:5::9/64", "2001:db8:6::1"),
                        head + "BOOTPROTO=none\nIPV6INIT=yes\nIPV6ADDR=2001:db8:5::9/64\nIPV6_AUTOCONF=no\n" + dns,
                        "", "2001:db8:6::1 dev eth0\ndefault via 2001:db8:6::1 dev eth0\n"),
                Arguments.of(net("manual", null, "manual", null), null, "", ""));
    }

    @ParameterizedTest
    @MethodSource("redHat")
    void redHatIfcfg(NetIf n, String ifcfg, String routes, String routes6) {
        assertThat(NetworkFiles.redHatIfcfg(n, DNS, UUID)).isEqualTo(new NetworkFiles.Ifcfg(ifcfg, routes, routes6));
    }

    @Test
    void severalSearchDomainsAreQuotedForTheShell() {
        String f = NetworkFiles.redHatIfcfg(net("dhcp", null, null, null), SystemFiles.Dns.of("a.example,b.example", ""), UUID).ifcfg();
        assertThat(f).endsWith("BOOTPROTO=dhcp\nDOMAIN=\"a.example b.example\"\n");
    }

    static Stream<Arguments> keyfile() {
        String head = "[connection]\nid=eth0\nuuid=" + UUID + "\ntype=ethernet\ninterface-name=eth0\n";
        String dns = "dns=192.0.2.53;2001:db8::53\ndns-search=lab.example\n";
        return Stream.of(
                Arguments.of(net("dhcp", null, "auto", null), head + "[ipv4]\nmethod=auto\n" + dns + "[ipv6]\nmethod=auto\n"),
                Arguments.of(net("172.16.1.2/12", "172.16.0.1", "dhcp", null),
                        head + "[ipv4]\nmethod=manual\naddresses=172.16.1.2/12\ngateway=172.16.0.1\n" + dns + "[ipv6]\nmethod=dhcp\n"),
                Arguments.of(net("172.16.1.2/32", "172.16.0.1", null, null),
                        head + "[ipv4]\nmethod=manual\naddresses=172.16.1.2/32\ngateway=172.16.0.1\nroutes=172.16.0.1\n" + dns + "[ipv6]\nmethod=disabled\n"),
                Arguments.of(net(null, null, "2001:db8::7/64", "2001:db8::1"),
                        head + "[ipv4]\nmethod=disabled\n[ipv6]\nmethod=manual\naddress=2001:db8::7/64\ngateway=2001:db8::1\n"),
                Arguments.of(net(null, null, "2001:db8::7/64", "2001:db9::1"),
                        head + "[ipv4]\nmethod=disabled\n[ipv6]\nmethod=manual\naddress=2001:db8::7/64\nroutes=2001:db9::1\n"),
                Arguments.of(net("manual", null, null, null), null));
    }

    @ParameterizedTest
    @MethodSource("keyfile")
    void networkManagerKeyfile(NetIf n, String expected) {
        assertThat(NetworkFiles.nmKeyfile(n, DNS, UUID)).isEqualTo(expected);
    }

    static Stream<Arguments> suse() {
        return Stream.of(
                Arguments.of(net(null, null, null, null), "STARTMODE=manual\nBOOTPROTO=static\n", ""),
                Arguments.of(net("dhcp", null, "dhcp", null), "STARTMODE=onboot\nBOOTPROTO=dhcp\n", ""),
                Arguments.of(net(null, null, "dhcp", null), "STARTMODE=onboot\nBOOTPROTO=dhcp6\n", ""),
                Arguments.of(net(null, null, "auto", null), "STARTMODE=onboot\nBOOTPROTO=static\n", ""),
                Arguments.of(net("10.4.4.4/24", "10.4.4.1", null, null), "STARTMODE=onboot\nBOOTPROTO=static\nIPADDR=10.4.4.4/24\n",
                        "default 10.4.4.1 0.0.0.0 eth0\n"),
                Arguments.of(net("10.4.4.4/24", "10.5.5.1", "2001:db8::4/64", "2001:db8:1::1"),
                        "STARTMODE=onboot\nBOOTPROTO=static\nIPADDR_1=10.4.4.4/24\nIPADDR_2=2001:db8::4/64\n",
                        "10.5.5.1 0.0.0.0 255.255.255.255 eth0\ndefault 10.5.5.1 0.0.0.0 eth0\n2001:db8:1::1/128 - - eth0\ndefault 2001:db8:1::1 - eth0\n"));
    }

    @ParameterizedTest
    @MethodSource("suse")
    void suseIfcfg(NetIf n, String ifcfg, String routes) {
        assertThat(NetworkFiles.suse(n)).isEqualTo(new NetworkFiles.Suse(ifcfg, routes));
    }

    static Stream<Arguments> networkd() {
        String head = "[Match]\nName = eth0\n\n[Network]\nDescription = Interface eth0 autoconfigured by PVE\n";
        return Stream.of(
                Arguments.of(net("dhcp", null, "dhcp", null), head + "DHCP = yes\nIPv6AcceptRA = false\n"),
                Arguments.of(net("dhcp", null, "auto", null), head + "DHCP = ipv4\nIPv6AcceptRA = true\n"),
                Arguments.of(net("192.168.7.7/24", "192.168.7.1", "2001:db8::7/64", "fe80::1"),
                        head + "Address = 192.168.7.7/24\nGateway = 192.168.7.1\nAddress = 2001:db8::7/64\nGateway = fe80::1\nDHCP = no\nIPv6AcceptRA = false\n"),
                Arguments.of(net("192.168.7.7/32", "192.168.9.1", "2001:db8::7/64", "2001:db9::1"),
                        head + "Address = 192.168.7.7/32\nGateway = 192.168.9.1\nAddress = 2001:db8::7/64\nGateway = 2001:db9::1\nDHCP = no\nIPv6AcceptRA = false\n"
                                + "\n[Route]\nDestination = 192.168.9.1/32\nScope = link\n\n[Route]\nDestination = 2001:db9::1/128\nScope = link\n"));
    }

    @ParameterizedTest
    @MethodSource("networkd")
    void systemdNetworkd(NetIf n, String expected) {
        assertThat(NetworkFiles.networkd(n)).isEqualTo(expected);
    }

    @Test
    void gentooNetifrc() {
        List<NetIf> nets = List.of(new NetIf(0, "eth0", "dhcp", null, "2001:db8::2/64", "2001:db8:9::1"),
                new NetIf(1, "eth1", "10.3.3.3/24", "10.3.3.1", "auto", null), new NetIf(2, "eth2", "manual", null, null, null));
        assertThat(NetworkFiles.netifrc(nets)).isEqualTo("config_eth0=\"dhcp\n2001:db8::2/64\"\n"
                + "routes_eth0=\"2001:db8:9::1 dev eth0\ndefault via 2001:db8:9::1 dev eth0\"\n"
                + "config_eth1=\"10.3.3.3/24\"\nroutes_eth1=\"default via 10.3.3.1 dev eth1\"\n");
    }

    static Stream<Arguments> cidr() {
        return Stream.of(
                Arguments.of("10.0.0.1", "10.0.0.0/8", true),
                Arguments.of("11.0.0.1", "10.0.0.0/8", false),
                Arguments.of("10.0.0.1", "10.0.0.100/32", false),
                Arguments.of("192.168.2.1", "192.168.3.102/20", true),
                Arguments.of("fe80::1", "fe80::/10", true),
                Arguments.of("fc00:1::ff", "fc00::1/64", false),
                Arguments.of("2001:db8::ffff", "2001:db8::/64", true),
                Arguments.of("10.0.0.1", "2001:db8::/64", false),
                Arguments.of("localhost", "127.0.0.0/8", false));
    }

    @ParameterizedTest
    @MethodSource("cidr")
    void inCidr(String ip, String cidr, boolean inside) {
        assertThat(NetIf.inCidr(ip, cidr)).isEqualTo(inside);
    }

    @Test
    void netmasks() {
        assertThat(List.of(0, 8, 20, 25, 32).stream().map(NetIf::netmask).toList())
                .containsExactly("0.0.0.0", "255.0.0.0", "255.255.240.0", "255.255.255.128", "255.255.255.255");
    }
}
