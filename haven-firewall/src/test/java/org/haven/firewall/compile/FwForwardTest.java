package org.haven.firewall.compile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.haven.firewall.compile.FwCompilerTest.chain;

import java.util.List;
import java.util.Map;
import org.haven.firewall.config.FwFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The forward direction: what the host routes ({@code host-forward}) and what a vnet bridges ({@code vnet-<vnet>-forward}). */
class FwForwardTest {

    static FwCompiler.Output compile(String cluster, String host, Map<String, String> vnets, List<FwCompiler.Guest> guests) {
        Map<String, FwFile> v = new java.util.TreeMap<>();
        vnets.forEach((k, text) -> v.put(k, FwFile.parse(FwFile.Kind.VNET, text)));
        return FwCompiler.compile(new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, "[OPTIONS]\nenable: 1\n" + cluster),
                FwFile.parse(FwFile.Kind.HOST, host), guests, List.of("192.168.0.11"), "192.168.0.0/24").withVnets(v));
    }

    static String lines(String s) { return s.replace(";", "\n") + "\n"; }

    private static final String CT = "ct state invalid drop;ct state established,related accept";

    @ParameterizedTest(name = "[{index}] cluster {0} / host {1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        // cluster.fw lines (after enable: 1) | host.fw lines | the host-forward chain ('-': none, routed traffic is not filtered)
        "''                                              | ''                                         | -",
        "[RULES];IN DROP -p tcp -dport 80                | ''                                         | -",
        "[OPTIONS];policy_forward: ACCEPT                | ''                                         | -",
        "[OPTIONS];policy_forward: DROP                  | ''                                         | " + CT + ";drop comment \"policy DROP\"",
        "[RULES];FORWARD DROP -p tcp -dport 25           | ''                                         | " + CT + ";meta l4proto 6 th dport 25 drop;accept comment \"policy ACCEPT\"",
        "'[RULES];|FORWARD DROP -p tcp -dport 25'        | ''                                         | -",
        "[OPTIONS];policy_forward: DROP;[RULES];FORWARD ACCEPT -dest 10.5.0.0/16 -p tcp -dport 443 "
            + "| [RULES];FORWARD REJECT -source 10.6.0.1 | " + CT + ";meta nfproto ipv4 ip saddr 10.6.0.1 goto do-reject;"
            + "meta nfproto ipv4 ip daddr 10.5.0.0/16 meta l4proto 6 th dport 443 accept;drop comment \"policy DROP\"",
        "[OPTIONS];policy_forward: DROP                  | [OPTIONS];enable: 0                        | -",
        "[OPTIONS];policy_forward: DROP                  | [OPTIONS];nf_conntrack_allow_invalid: 1     | ct state established,related accept;drop comment \"policy DROP\"",
        "''                                              | [OPTIONS];log_level_forward: info          | " + CT
            + ";limit rate 1/second burst 5 packets log prefix \":0:6:host-forward: policy ACCEPT: \" level info;accept comment \"policy ACCEPT\"",
        "[group routed];FORWARD ACCEPT -p udp -dport 53;IN DROP;[RULES];GROUP routed -i eth1 "
            + "| '' | " + CT + ";iifname \"eth1\" meta l4proto 17 th dport 53 accept;accept comment \"policy ACCEPT\"",
    })
    void hostForwardFollowsTheForwardRulesAndPolicy(String cluster, String host, String expected) {
        FwCompiler.Output o = compile(lines(cluster), lines(host), Map.of(), List.of());
        assertThat(o.warnings()).isEmpty();
        Nft.Chain hostForward = o.table("inet").chain("host-forward");
        List<String> forward = chain(o, "inet", "forward");
        if (expected == null) {
            assertThat(hostForward).isNull();
            assertThat(forward).doesNotContain("jump host-forward");
            assertThat(o.table("bridge").chains()).isEmpty();
            return;
        }
        assertThat(chain(o, "inet", "host-forward")).containsExactly(expected.split(";"));
        // bridged traffic never reaches the host's forward rules: the bridge forward hook flags it
        assertThat(forward).containsExactly("meta mark & 0x00008000 == 0x00008000 accept comment \"bridged\"", "jump host-forward");
        assertThat(chain(o, "bridge", "forward")).containsExactly("meta mark set meta mark & 0xffffffff | 0x00008000");
    }

    @Test
    void guestChainsComeBeforeTheBridgedShortcutAndTheHostStateMarksAfter() {
        FwCompiler.Output o = compile("[OPTIONS]\npolicy_forward: DROP\n", "",
                Map.of("vnet1", "[OPTIONS]\nenable: 1\n"), List.of(FwCompilerTest.vm(100, "[OPTIONS]\nenable: 1\n", "02:00:00:00:01:00")));
        assertThat(chain(o, "inet", "forward")).containsExactly(
                "meta mark & 0xffff0000 vmap { 0x00010000 : jump g100-net0-out }",
                "meta mark & 0x00008000 == 0x00008000 iifname \"vnet1\" oifname \"vnet1\" jump vnet-vnet1-forward",
                "meta mark & 0x00007fff vmap { 0x00000001 : jump g100-net0-in }",
                "meta mark & 0x00008000 == 0x00008000 accept comment \"bridged\"",
                "oifname \"vmbr0\" meta mark set 0xffff0000",
                "oifname \"vmbr0\" ct state established,related meta mark set 0xffff0001",
                "oifname \"vmbr0\" ct state invalid meta mark set 0xffff0002",
                "jump host-forward");
        assertThat(chain(o, "bridge", "forward")).containsExactly(
                "oifname \"tap100i0\" meta mark set meta mark & 0xffff0000 | 0x00000001",
                "meta mark set meta mark & 0xffffffff | 0x00008000");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        // the vnet's file | its chain ('-': none) | warnings
        "[OPTIONS];enable: 0;policy_forward: DROP          | -  | ''",
        "[RULES];FORWARD DROP                               | -  | ''",
        "[OPTIONS];enable: 1                                | ct state invalid drop;ct state established,related return;return comment \"policy ACCEPT\" | ''",
        "[OPTIONS];enable: 1;policy_forward: DROP;log_level_forward: warning;[RULES];FORWARD ACCEPT -p tcp -dport 22 -source 10.0.0.0/8;IN DROP"
            + " | ct state invalid drop;ct state established,related return;meta nfproto ipv4 ip saddr 10.0.0.0/8 meta l4proto 6 th dport 22 return;"
            + "limit rate 1/second burst 5 packets log prefix \":0:4:vnet-v1-forward: policy DROP: \" level warn;drop comment \"policy DROP\""
            + " | vnet v1.fw line 7: invalid rule: type: in rules are not allowed here",
        "[OPTIONS];enable: 1;[RULES];FORWARD ACCEPT -source +nosuch;FORWARD DROP -dest nosuch | ct state invalid drop;ct state established,related return;"
            + "return comment \"policy ACCEPT\" | vnet v1: skipped rule 'FORWARD ACCEPT -source +nosuch': no such ipset 'nosuch';"
            + "vnet v1: skipped rule 'FORWARD DROP -dest nosuch': no such alias 'nosuch'",
        "[OPTIONS];enable: 1;[RULES];FORWARD Ping(DROP);GROUP web | ct state invalid drop;ct state established,related return;"
            + "meta nfproto ipv4 meta l4proto 1 icmp type echo-request drop;"
            + "meta l4proto 6 th dport 80 return;return comment \"policy ACCEPT\" | ''",
    })
    void vnetChainFiltersWhatIsBridgedThroughTheVnet(String vnet, String expected, String warnings) {
        FwCompiler.Output o = compile("[group web]\nFORWARD ACCEPT -p tcp -dport 80\nIN DROP\n", "", Map.of("v1", lines(vnet)), List.of());
        assertThat(o.warnings()).containsExactlyElementsOf(warnings.isEmpty() ? List.of() : List.of(warnings.split(";")));
        if (expected == null) {
            assertThat(o.table("inet").chain("vnet-v1-forward")).isNull();
            assertThat(o.table("bridge").chains()).isEmpty();
            return;
        }
        assertThat(chain(o, "inet", "vnet-v1-forward")).containsExactly(expected.split(";"));
        assertThat(chain(o, "inet", "forward")).containsExactly(
                "meta mark & 0x00008000 == 0x00008000 iifname \"v1\" oifname \"v1\" jump vnet-v1-forward");
        assertThat(chain(o, "bridge", "forward")).containsExactly("meta mark set meta mark & 0xffffffff | 0x00008000");
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1} on {2} port {3}: {4}")
    @CsvSource({
            // bridged between a guest and the outside: the guest's rules and the vnet's, never the host's forward rules
            "vm100,   outside, vmbr0, 25, ACCEPT",
            "outside, vm100,   vmbr0, 80, ACCEPT",
            "outside, vm100,   vmbr0, 22, DROP",
            "vm100,   outside, v1,    25, DROP",
            "vm100,   outside, v1,    80, ACCEPT",
            "outside, outside, v1,    80, ACCEPT",
            "outside, outside, v1,    81, DROP",
            "outside, outside, vmbr0, 81, ACCEPT",
    })
    void theSimulatorTakesTheSamePath(String from, String to, String bridge, int port, String expected) {
        FwCompiler.Output o = compile("[OPTIONS]\npolicy_forward: DROP\n[RULES]\nFORWARD DROP -p tcp -dport 25\n", "",
                Map.of("v1", "[OPTIONS]\nenable: 1\npolicy_forward: DROP\n[RULES]\nFORWARD ACCEPT -p tcp -dport 80\n"),
                List.of(FwCompilerTest.vm(100, "[OPTIONS]\nenable: 1\n[RULES]\nIN ACCEPT -p tcp -dport 80\n", "02:00:00:00:01:00")));
        Simulator.Zone vm = new Simulator.Zone("vm100", "tap100i0", "02:00:00:00:01:00");
        Simulator.Result r = new Simulator(o.tables()).simulate(new Simulator.Packet(from.equals("vm100") ? vm : Simulator.Zone.outside(),
                to.equals("vm100") ? vm : Simulator.Zone.outside(), "tcp", from.equals("vm100") ? "10.0.0.100" : "10.0.0.200",
                to.equals("vm100") ? "10.0.0.100" : "10.0.0.200", 40000, port, null, "new", bridge));
        assertThat(r.action()).as("%s", r.trace()).isEqualTo(expected);
    }
}
