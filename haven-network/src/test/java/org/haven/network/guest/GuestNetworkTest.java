package org.haven.network.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GuestNetworkTest {

    @Test
    void nftRulesetIsATableOfItsOwn() {
        assertThat(GuestNetwork.nftRuleset(GuestNetwork.Config.defaults("vmbr0"))).isEqualTo("""
                table ip haven-guestnet-vmbr0 {
                \tchain postrouting {
                \t\ttype nat hook postrouting priority srcnat; policy accept;
                \t\tip saddr 10.253.0.0/24 ip daddr != 10.253.0.0/24 oifname != "vmbr0" masquerade
                \t}
                }
                """);
        assertThat(GuestNetwork.nftReplace(new GuestNetwork.Config("lab1", "172.20.5.9/20", "172.20.1.0", "172.20.1.255")))
                .startsWith("table ip haven-guestnet-lab1\ndelete table ip haven-guestnet-lab1\ntable ip haven-guestnet-lab1 {\n")
                .contains("ip saddr 172.20.0.0/20 ip daddr != 172.20.0.0/20 oifname != \"lab1\" masquerade");
    }

    @Test
    void dnsmasqServesOnlyTheBridge() {
        assertThat(GuestNetwork.dnsmasqArgs(GuestNetwork.Config.defaults("vmbr0"), Path.of("/d"))).containsExactly(
                "dnsmasq", "--conf-file=/dev/null", "--bind-interfaces", "--interface=vmbr0", "--except-interface=lo",
                "--listen-address=10.253.0.1", "--dhcp-range=10.253.0.100,10.253.0.199,255.255.255.0,1h",
                "--dhcp-option=option:router,10.253.0.1", "--dhcp-option=option:dns-server,10.253.0.1",
                "--dhcp-authoritative", "--dhcp-leasefile=/d/vmbr0.leases", "--pid-file=/d/dnsmasq-vmbr0.pid", "--user=root");
    }

    @ParameterizedTest
    @CsvSource({
            "10.253.0.1/24, 10.253.0.0/24, 255.255.255.0",
            "192.168.7.129/25, 192.168.7.128/25, 255.255.255.128",
            "172.20.5.9/20, 172.20.0.0/20, 255.255.240.0",
            "10.1.2.3/8, 10.0.0.0/8, 255.0.0.0"})
    void networkAndMask(String cidr, String network, String mask) {
        assertThat(GuestNetwork.Ipv4.network(cidr)).isEqualTo(network);
        assertThat(GuestNetwork.Ipv4.mask(cidr)).isEqualTo(mask);
    }

    @Test
    void invalidConfigurationsAreRefused() {
        assertThatThrownBy(() -> new GuestNetwork.Config("vmbr0", "10.0.0.1", "10.0.0.2", "10.0.0.3")).hasMessageContaining("no prefix length");
        assertThatThrownBy(() -> new GuestNetwork.Config("vmbr0", "10.0.0.1/24", "10.0.1.2", "10.0.0.3")).hasMessageContaining("outside 10.0.0.0/24");
        assertThatThrownBy(() -> new GuestNetwork.Config("vmbr0", "10.0.0.1/24", "10.0.0.9", "10.0.0.3")).hasMessageContaining("is empty");
        assertThatThrownBy(() -> new GuestNetwork.Config("vmbr0", "10.0.0.1/32", "10.0.0.1", "10.0.0.1")).hasMessageContaining("1 to 30");
        assertThatThrownBy(() -> new GuestNetwork.Config("bad name", "10.0.0.1/24", "10.0.0.2", "10.0.0.3")).hasMessageContaining("invalid bridge name");
        assertThatThrownBy(() -> new GuestNetwork.Config("vmbr0", "10.0.300.1/24", "10.0.0.2", "10.0.0.3")).hasMessageContaining("invalid IPv4");
    }
}
