package org.haven.network.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApplyPartsTest {

    @Test
    void systemFileIsReloadedWithThePlainCommand() {
        assertThat(new IfReload(List.of(), IfReload.SYSTEM_FILE, null).command()).containsExactly("ifreload", "-a");
    }

    @Test
    void otherFileIsReloadedThroughItsOwnConfigurationInsideANamespace() {
        IfReload r = new IfReload(List.of("ip", "netns", "exec", "ns1"), Path.of("/d/network/interfaces"), Path.of("/d/network/it's"));
        assertThat(r.command()).containsExactly("ip", "netns", "exec", "ns1", "sh", "-c",
                "mkdir -p /run/network && mount --bind '/d/network/it'\\''s/run' /run/network"
                        + " && mount --bind '/d/network/it'\\''s/ifupdown2' /etc/network/ifupdown2 && exec ifreload -a");
        assertThatThrownBy(() -> new IfReload(List.of(), Path.of("/d/network/interfaces"), Path.of("/d")))
                .hasMessageContaining("only inside 'ip netns exec'");
    }

    @Test
    void ifupdown2ConfigurationNamesTheFileAndStateDirectory() {
        String sys = "use_daemon=no\ndefault_interfaces_configfile=/etc/network/interfaces\nstate_dir=/var/tmp/network/\nlink_master_slave=1\n";
        assertThat(IfReload.config(sys, Path.of("/d/interfaces"), Path.of("/d/state"))).isEqualTo(
                "use_daemon=no\nlink_master_slave=1\ndefault_interfaces_configfile=/d/interfaces\nstate_dir=/d/state/\n");
    }

    @Test
    void linksFromIpJson() {
        Map<String, Links.Link> l = Links.parse("""
                [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"link_type":"loopback"},
                 {"ifindex":3,"link":"veth1","ifname":"eth1","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,
                  "master":"vmbr9","link_type":"ether","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge"}},
                 {"ifindex":4,"ifname":"vmbr9","flags":["BROADCAST","MULTICAST"],"mtu":1400,"linkinfo":{"info_kind":"bridge"}}]
                """);
        assertThat(l).containsOnlyKeys("lo", "eth1", "vmbr9");
        assertThat(l.get("lo")).isEqualTo(new Links.Link("lo", true, null, null, 65536));
        assertThat(l.get("eth1")).isEqualTo(new Links.Link("eth1", true, "veth", "vmbr9", 1500));
        assertThat(l.get("vmbr9")).isEqualTo(new Links.Link("vmbr9", false, "bridge", null, 1400));
    }
}
