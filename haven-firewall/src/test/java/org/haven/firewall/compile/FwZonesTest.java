package org.haven.firewall.compile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.haven.firewall.config.FwFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Traffic between the host and the guests and between two guests on one bridge passes the chains of both ends,
 * as in PVE: host to guest the host's OUT then the guest's IN rules, guest to host the guest's OUT then the
 * host's IN rules, guest to guest the OUT rules of one and the IN rules of the other. Evaluated on the compiled
 * ruleset by the {@link Simulator}; {@code FwPacketTest} sends the same kinds of packets for real.
 */
class FwZonesTest {

    static final String CLUSTER = """
            [OPTIONS]
            enable: 1
            [RULES]
            OUT REJECT -p tcp -dport 25
            """;
    static final String HOST = "[RULES]\nIN ACCEPT -p tcp -dport 80 -source 192.168.0.101\n";
    static final String VM100 = """
            [OPTIONS]
            enable: 1
            [RULES]
            IN SSH(ACCEPT)
            IN REJECT -p tcp -dport 3306
            OUT DROP -p tcp -dport 8006
            """;
    static final String CT101 = """
            [OPTIONS]
            enable: 1
            policy_out: DROP
            [RULES]
            IN ACCEPT -p tcp -dport 80
            OUT ACCEPT -p tcp -dport 80
            """;

    static FwCompiler.Output compile(String host, boolean hostByDefault) {
        List<FwCompiler.Guest> guests = List.of(
                new FwCompiler.Guest(100, false, FwFile.parse(FwFile.Kind.GUEST, VM100),
                        List.of(new FwCompiler.Nic(0, "02:00:00:00:01:00", "vmbr0", true, List.of()))),
                new FwCompiler.Guest(101, true, FwFile.parse(FwFile.Kind.GUEST, CT101),
                        List.of(new FwCompiler.Nic(0, "02:00:00:00:01:01", "vmbr0", true, List.of("192.168.0.101/24")))));
        return FwCompiler.compile(new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, CLUSTER), FwFile.parse(FwFile.Kind.HOST, host),
                guests, List.of("192.168.0.1"), "192.168.0.0/24", hostByDefault));
    }

    static final Map<String, String[]> ZONES = Map.of(
            "host", new String[]{"192.168.0.1"},
            "outside", new String[]{"192.168.0.200"},
            "vm100", new String[]{"192.168.0.100", "tap100i0", "02:00:00:00:01:00"},
            "ct101", new String[]{"192.168.0.101", "veth101i0", "02:00:00:00:01:01"});

    static Simulator.Zone zone(String name) {
        String[] z = ZONES.get(name);
        return switch (name) {
            case "host" -> Simulator.Zone.host();
            case "outside" -> Simulator.Zone.outside();
            default -> new Simulator.Zone(name, z[1], z[2]);
        };
    }

    static String simulate(FwCompiler.Output o, String from, String to, String proto, int dport, String ct) {
        Simulator.Result r = new Simulator(o.tables()).simulate(new Simulator.Packet(zone(from), zone(to), proto,
                ZONES.get(from)[0], ZONES.get(to)[0], 40000, dport, null, ct, "vmbr0"));
        return r.action();
    }

    @ParameterizedTest(name = "{0} -> {1} {2}/{3} {4}: {5}")
    @CsvSource({
            // host to guest: the host's OUT rules, then the guest's IN rules
            "host,    vm100, tcp, 22,   new,         ACCEPT",
            "host,    vm100, tcp, 80,   new,         DROP",
            "host,    vm100, tcp, 25,   new,         REJECT",
            "host,    vm100, tcp, 3306, new,         DROP",
            "host,    vm100, tcp, 80,   established, ACCEPT",
            "host,    ct101, tcp, 80,   new,         ACCEPT",
            "host,    ct101, udp, 53,   new,         DROP",
            // guest to host: the guest's OUT rules, then the host's IN rules
            "vm100,   host,  tcp, 22,   new,         ACCEPT",
            "vm100,   host,  tcp, 8006, new,         DROP",
            "vm100,   host,  tcp, 80,   new,         DROP",
            "ct101,   host,  tcp, 80,   new,         ACCEPT",
            "ct101,   host,  tcp, 22,   new,         DROP",
            "ct101,   host,  tcp, 22,   established, ACCEPT",
            // guest to guest on the bridge: the OUT rules of one, the IN rules of the other
            "vm100,   ct101, tcp, 80,   new,         ACCEPT",
            "vm100,   ct101, tcp, 22,   new,         DROP",
            "ct101,   vm100, tcp, 22,   new,         DROP",
            "ct101,   vm100, tcp, 80,   new,         DROP",
            "vm100,   ct101, tcp, 8006, new,         DROP",
            // the outside to a guest: the guest's IN rules
            "outside, vm100, tcp, 22,   new,         ACCEPT",
            "outside, vm100, tcp, 3306, new,         REJECT",
            "outside, ct101, tcp, 22,   new,         DROP",
    })
    void bothEndsDecide(String from, String to, String proto, int dport, String ct, String expected) {
        assertThat(simulate(compile(HOST, true), from, to, proto, dport, ct)).isEqualTo(expected);
    }

    @Test
    void theBridgeOutputHookRunsTheGuestInChainsOnWhatTheHostSends() {
        FwCompiler.Output o = compile(HOST, true);
        assertThat(FwCompilerTest.chain(o, "bridge", "output")).containsExactly(
                "oifname \"tap100i0\" meta protocol ip jump g100-net0-in",
                "oifname \"tap100i0\" meta protocol ip6 jump g100-net0-in",
                "oifname \"veth101i0\" meta protocol ip jump g101-net0-in",
                "oifname \"veth101i0\" meta protocol ip6 jump g101-net0-in");
        // the connection state comes in the mark, set where the host's packets leave through the bridge
        assertThat(FwCompilerTest.chain(o, "inet", "output")).containsExactly(
                "oifname \"vmbr0\" meta mark set 0xffff0000",
                "oifname \"vmbr0\" ct state established,related meta mark set 0xffff0001",
                "oifname \"vmbr0\" ct state invalid meta mark set 0xffff0002",
                "jump host-out");
        assertThat(FwCompilerTest.chain(o, "inet", "forward")).endsWith(
                "oifname \"vmbr0\" ct state invalid meta mark set 0xffff0002");
        assertThat(FwCompilerTest.chain(o, "bridge", "g100-net0-in")).containsSubsequence(
                "meta mark & 0xffffffff == 0xffff0002 drop",
                "meta mark & 0xffffffff == 0xffff0001 accept",
                "meta l4proto 6 th dport 22 accept",
                "meta l4proto 6 th dport 3306 drop",
                "drop comment \"policy DROP\"");
        assertThat(FwCompilerTest.chain(o, "bridge", "g100-net0-in")).noneMatch(r -> r.contains("smurfs") || r.contains("nfproto") || r.contains("ct state"));
        assertThat(FwCompilerTest.chain(o, "inet", "g100-net0-in")).contains("meta nfproto ipv4 ct state new,invalid jump smurfs");
    }

    @Test
    void setsTheGuestRulesUseAreInTheBridgeTableToo() {
        String cluster = CLUSTER + "[IPSET admins]\n192.168.0.1\n[IPSET blacklist]\n203.0.113.0/24\n";
        FwCompiler.Output o = FwCompiler.compile(new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, cluster),
                FwFile.parse(FwFile.Kind.HOST, ""), List.of(new FwCompiler.Guest(100, false,
                        FwFile.parse(FwFile.Kind.GUEST, "[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -source +admins -p tcp -dport 22\n"),
                        List.of(new FwCompiler.Nic(0, "02:00:00:00:01:00", "vmbr0", true, List.of())))),
                List.of(), "192.168.0.0/24"));
        assertThat(o.table("bridge").sets()).extracting(Nft.Set::name).contains("dc-admins-v4", "dc-admins-v6", "dc-blacklist-v4");
        assertThat(simulateFromHost(o, 22)).isEqualTo("ACCEPT");
        assertThat(simulateFromHost(o, 23)).isEqualTo("DROP");
    }

    private static String simulateFromHost(FwCompiler.Output o, int port) {
        return simulate(o, "host", "vm100", "tcp", port, "new");
    }

    @ParameterizedTest(name = "host.fw {0}: outside -> host {1}")
    @CsvSource(delimiter = '|', value = {
            "''                            | ACCEPT",
            "'[OPTIONS]\nenable: 0\n'      | ACCEPT",
            "'[OPTIONS]\nenable: 1\n'      | DROP",
    })
    void anEmbeddedNodeFiltersItsMachineOnlyWhenTheOperatorEnablesTheHostZone(String host, String expected) {
        FwCompiler.Output o = compile(host, false);
        assertThat(simulate(o, "outside", "host", "tcp", 80, "new")).isEqualTo(expected);
        assertThat(o.table("inet").chain("host-in") != null).isEqualTo(expected.equals("DROP"));
        // the guests are filtered either way, also against the machine itself
        assertThat(simulate(o, "outside", "vm100", "tcp", 80, "new")).isEqualTo("DROP");
        assertThat(simulate(o, "host", "vm100", "tcp", 80, "new")).isEqualTo("DROP");
        assertThat(simulate(o, "vm100", "host", "tcp", 8006, "new")).isEqualTo("DROP");
        // what the guest's OUT rules let through reaches the machine unless its own zone is filtered
        assertThat(simulate(o, "ct101", "host", "tcp", 80, "new")).isEqualTo(expected);
        // the machine's connection-tracking settings are left alone as well
        FwCompiler.Input in = new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, CLUSTER), FwFile.parse(FwFile.Kind.HOST, host),
                List.of(), List.of(), null, false);
        assertThat(FwCompiler.sysctls(in).isEmpty()).isEqualTo(expected.equals("ACCEPT"));
    }

    @Test
    void aNodeOwningItsMachineFiltersTheHostUnlessHostFwDisablesIt() {
        assertThat(simulate(compile("", true), "outside", "host", "tcp", 80, "new")).isEqualTo("DROP");
        assertThat(simulate(compile("[OPTIONS]\nenable: 0\n", true), "outside", "host", "tcp", 80, "new")).isEqualTo("ACCEPT");
    }
}
