package org.haven.firewall.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FirewallPlacementTest {

    @ParameterizedTest(name = "embedded={0} fw-netns={1} guest-bridge={2} net-netns={3}: {4} {5}")
    @CsvSource(nullValues = "-", value = {
            // a node with its own machine: the machine's nftables, the host zone on unless host.fw disables it
            "false, -,      -,     -,      '',                   true",
            "false, -,      vmbr0, -,      '',                   true",
            // a namespace that stands for the node's machine
            "true,  fwns,   -,     -,      ip netns exec fwns,   true",
            "true,  fwns,   vmbr0, netns1, ip netns exec fwns,   true",
            // an embedded node with a guest network: its guests on the machine (or the network's namespace), no host zone by default
            "true,  -,      vmbr0, -,      '',                   false",
            "true,  -,      vmbr0, netns1, ip netns exec netns1, false",
            "true,  '',     vmbr0, '',     '',                   false",
            // an embedded node without one: nowhere
            "true,  -,      -,     -,      none,                 false",
            "true,  -,      off,   -,      none,                 false",
            "true,  '',     '',    -,      none,                 false",
    })
    void whereTheRulesGo(boolean embedded, String fwNetns, String guestBridge, String netNetns, String prefix, boolean hostByDefault) {
        FirewallApi.Placement p = FirewallApi.placement(embedded, fwNetns, guestBridge, netNetns);
        if (prefix.equals("none")) {
            assertThat(p).isNull();
            return;
        }
        assertThat(p.prefix()).isEqualTo(prefix.isEmpty() ? List.of() : List.of(prefix.split(" ")));
        assertThat(p.hostByDefault()).isEqualTo(hostByDefault);
    }
}
