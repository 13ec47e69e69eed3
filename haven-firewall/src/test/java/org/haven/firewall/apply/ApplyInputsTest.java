package org.haven.firewall.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.haven.firewall.compile.FwCompiler;
import org.junit.jupiter.api.Test;

class ApplyInputsTest {

    @Test
    void nicsFromGuestConfigs() {
        String vm = """
                memory: 512
                net0: virtio=52:54:00:12:34:56,bridge=vmbr0,firewall=1
                net1: e1000=52:54:00:12:34:57,bridge=vmbr1
                net2: bogus
                [snap1]
                net3: virtio=52:54:00:12:34:58,bridge=vmbr0,firewall=1
                """;
        assertThat(GuestNics.parseNics(vm, false)).containsExactly(
                new FwCompiler.Nic(0, "52:54:00:12:34:56", "vmbr0", true, List.of()),
                new FwCompiler.Nic(1, "52:54:00:12:34:57", "vmbr1", false, List.of()),
                new FwCompiler.Nic(2, null, null, false, List.of()));
        String ct = "net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=10.0.0.5/24,ip6=dhcp,firewall=1,type=veth\n";
        assertThat(GuestNics.parseNics(ct, true)).containsExactly(
                new FwCompiler.Nic(0, "BC:24:11:00:00:01", "vmbr0", true, List.of("10.0.0.5/24")));
    }

    @Test
    void membersAndLocalNetwork() {
        String members = """
                {
                "nodename": "n2",
                "version": 5,
                "cluster": { "name": "c", "version": 2, "nodes": 2, "quorate": 1 },
                "nodelist": {
                  "n1": { "id": 1, "online": 1, "ip": "192.168.7.11"},
                  "n2": { "id": 2, "online": 1, "ip": "192.168.7.12"}
                  }
                }
                """;
        assertThat(FwInputs.memberIps(members)).containsExactly("192.168.7.11", "192.168.7.12");
        assertThat(FwInputs.nodeIp(members, "n2")).isEqualTo("192.168.7.12");
        assertThat(FwInputs.nodeIp(members, "n3")).isNull();
        List<String> addrs = LocalNetwork.parseIpAddr("""
                1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
                2: eth0    inet 192.168.7.12/20 brd 192.168.15.255 scope global eth0\\       valid_lft forever
                2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever
                """);
        assertThat(addrs).containsExactly("127.0.0.1/8", "192.168.7.12/20", "fe80::1/64");
        assertThat(LocalNetwork.detect("192.168.7.12", addrs)).isEqualTo("192.168.0.0/20");
        assertThat(LocalNetwork.detect("10.0.0.1", addrs)).isNull();
        String corosync = """
                nodelist {
                  node {
                    name: n1
                    nodeid: 1
                    ring0_addr: 192.168.7.11
                  }
                  node {
                    ring0_addr: 192.168.7.12
                    name: n2
                    nodeid: 2
                  }
                }
                """;
        assertThat(FwInputs.corosyncIps(corosync)).containsExactly("192.168.7.11", "192.168.7.12");
        assertThat(FwInputs.corosyncNodeIp(corosync, "n1")).isEqualTo("192.168.7.11");
        assertThat(FwInputs.corosyncNodeIp(corosync, "n2")).isEqualTo("192.168.7.12");
    }
}
