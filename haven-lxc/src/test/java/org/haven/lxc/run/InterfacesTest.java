package org.haven.lxc.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class InterfacesTest {

    @Test
    void busyboxIpAddrOutput() {
        String out = """
                1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
                    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
                    inet 127.0.0.1/8 scope host lo
                       valid_lft forever preferred_lft forever
                    inet6 ::1/128 scope host
                       valid_lft forever preferred_lft forever
                2: eth0@if12: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000
                    link/ether bc:24:11:5f:3a:0e brd ff:ff:ff:ff:ff:ff
                    inet 10.213.7.2/24 brd 10.213.7.255 scope global eth0
                       valid_lft forever preferred_lft forever
                    inet6 fd00::2/64 scope global
                    inet6 fe80::be24:11ff:fe5f:3a0e/64 scope link
                3: eth1@if14: <BROADCAST,MULTICAST> mtu 1500 qdisc noop qlen 1000
                    link/ether BC:24:11:00:00:01 brd ff:ff:ff:ff:ff:ff
                """;
        List<Map<String, Object>> ifs = Interfaces.parse(out);
        assertThat(ifs).extracting(m -> m.get("name")).containsExactly("lo", "eth0", "eth1");
        assertThat(ifs.get(0)).containsEntry("inet", "127.0.0.1/8").containsEntry("inet6", "::1/128").containsEntry("hwaddr", "00:00:00:00:00:00");
        assertThat(ifs.get(1)).containsEntry("hwaddr", "bc:24:11:5f:3a:0e").containsEntry("inet", "10.213.7.2/24").containsEntry("inet6", "fd00::2/64");
        assertThat((List<?>) ifs.get(1).get("ip-addresses")).hasSize(3)
                .first().isEqualTo(Map.of("ip-address", "10.213.7.2", "ip-address-type", "inet", "prefix", 24));
        assertThat(ifs.get(2)).containsEntry("hwaddr", "bc:24:11:00:00:01").doesNotContainKey("inet");
        assertThat(Interfaces.parse("")).isEmpty();
    }
}
