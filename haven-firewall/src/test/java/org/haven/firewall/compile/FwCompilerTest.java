package org.haven.firewall.compile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.haven.firewall.config.FwFile;
import org.junit.jupiter.api.Test;

class FwCompilerTest {

    static FwCompiler.Output compile(String cluster, String host, List<FwCompiler.Guest> guests) {
        return FwCompiler.compile(new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, cluster),
                FwFile.parse(FwFile.Kind.HOST, host), guests, List.of("192.168.0.11", "192.168.0.12"), "192.168.0.0/24"));
    }

    static FwCompiler.Guest vm(int vmid, String fw, String mac) {
        return new FwCompiler.Guest(vmid, false, FwFile.parse(FwFile.Kind.GUEST, fw),
                List.of(new FwCompiler.Nic(0, mac, "vmbr0", true, List.of())));
    }

    /** The elements of the inet table's non-empty sets whose names start with {@code prefix}, by set name. */
    static java.util.Map<String, List<String>> sets(FwCompiler.Output o, String prefix) {
        java.util.Map<String, List<String>> out = new java.util.TreeMap<>();
        for (Nft.Set set : o.table("inet").sets())
            if (set.name().startsWith(prefix) && !set.elements().isEmpty()) out.put(set.name(), set.elements());
        return out;
    }

    static List<String> chain(FwCompiler.Output o, String family, String chain) {
        return o.table(family).chain(chain).rules().stream().map(Nft::render).toList();
    }

    @Test
    void disabledClusterOnlyRemovesTheTables() {
        FwCompiler.Output o = compile("[OPTIONS]\nenable: 0\n[RULES]\nIN DROP\n", "", List.of(vm(100, "[OPTIONS]\nenable: 1\n", "02:00:00:00:01:00")));
        assertThat(o.text()).isEqualTo("""
                table inet haven-fw
                delete table inet haven-fw
                table bridge haven-fw
                delete table bridge haven-fw
                """);
    }

    @Test
    void hostChainHasPveDefaultsAroundTheRules() {
        FwCompiler.Output o = compile("""
                [OPTIONS]
                enable: 1
                [IPSET management]
                10.9.0.0/16
                [IPSET blacklist]
                203.0.113.0/24
                !203.0.113.7
                [RULES]
                IN SSH(ACCEPT) -source 10.1.0.1-10.1.0.9 -log info
                IN ACCEPT -p tcp -dport 80,443,8000:8080 -i eth0
                OUT REJECT -dest 2001:db8::/32
                """, "[OPTIONS]\ntcpflags: 1\n[RULES]\nIN DROP -p udp -sport 53 # no dns\n", List.of());
        assertThat(o.warnings()).isEmpty();
        assertThat(chain(o, "inet", "host-in")).containsExactly(
                "iifname \"lo\" accept",
                "ct state invalid drop",
                "ct state established,related accept",
                "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept",
                "ip saddr @dc-blacklist-v4 ip saddr != @dc-blacklist-v4-nm drop comment \"blacklist\"",
                "ip6 saddr @dc-blacklist-v6 drop comment \"blacklist\"",
                "meta nfproto ipv4 ct state new,invalid jump smurfs",
                "meta l4proto 6 jump tcpflags",
                "meta l4proto 2 accept",
                "ip saddr @cluster-members-v4 accept comment \"cluster members\"",
                "meta l4proto 17 th sport 53 drop comment \"no dns\"",
                "meta nfproto ipv4 ip saddr 10.1.0.1-10.1.0.9 meta l4proto 6 th dport 22 limit rate 1/second burst 5 packets log prefix \":0:6:host-in: ACCEPT: \" level info",
                "meta nfproto ipv4 ip saddr 10.1.0.1-10.1.0.9 meta l4proto 6 th dport 22 accept",
                "iifname \"eth0\" meta l4proto 6 th dport { 80, 443, 8000-8080 } accept",
                "ip saddr @dc-management-v4 meta l4proto 6 th dport { 8006, 5900-5999, 3128, 22, 60000-60050 } accept comment \"management\"",
                "ip6 saddr @dc-management-v6 meta l4proto 6 th dport { 8006, 5900-5999, 3128, 22, 60000-60050 } accept comment \"management\"",
                "ip saddr 192.168.0.0/24 ip daddr 192.168.0.0/24 meta l4proto 17 th dport 5404-5405 accept comment \"corosync\"",
                "drop comment \"policy DROP\"");
        assertThat(chain(o, "inet", "host-out")).contains(
                "meta nfproto ipv6 ip6 daddr 2001:db8::/32 goto do-reject", "accept comment \"policy ACCEPT\"");
        assertThat(o.text()).contains("set dc-management-v4 {\n    type ipv4_addr\n    flags interval\n    auto-merge\n    elements = { 10.9.0.0/16, 192.168.0.0/24 }\n  }");
    }

    @Test
    void guestChainsFilterPortsAndExpandGroupsAndMacros() {
        String cluster = """
                [OPTIONS]
                enable: 1
                [ALIASES]
                office 198.51.100.0/24
                [group web]
                IN ACCEPT -p tcp -dport 80
                OUT DROP -p tcp -dport 25
                """;
        String fw = """
                [OPTIONS]
                enable: 1
                ipfilter: 1
                policy_in: REJECT
                [IPSET ipfilter-net0]
                10.0.0.100
                [RULES]
                GROUP web -i net0
                IN DNS(ACCEPT) -source office
                IN ACCEPT -i net1 -p tcp -dport 22
                IN ACCEPT -source +nosuchset
                """;
        FwCompiler.Output o = compile(cluster, "", List.of(vm(100, fw, "02:00:00:00:01:00")));
        assertThat(o.warnings()).containsExactly("VM 100: skipped rule 'IN ACCEPT -source +nosuchset': no such ipset 'nosuchset'");
        assertThat(chain(o, "bridge", "prerouting")).containsExactly(
                "iifname \"tap100i0\" meta mark set 0x00010000",
                "iifname \"tap100i0\" ether saddr != 02:00:00:00:01:00 drop comment \"macfilter\"",
                "iifname \"tap100i0\" ip saddr != @g100-ipfilter-net0-v4 drop comment \"ipfilter\"",
                "iifname \"tap100i0\" ip6 saddr != @g100-ipfilter-net0-v6 drop comment \"ipfilter\"",
                "iifname \"tap100i0\" arp saddr ip != @g100-ipfilter-net0-v4 drop comment \"ipfilter\"");
        assertThat(o.text()).contains("elements = { 0.0.0.0, 10.0.0.100 }", "elements = { ::, fe80::ff:fe00:100 }");
        assertThat(chain(o, "inet", "g100-net0-in")).containsSubsequence(
                "meta l4proto 6 th dport 80 accept",
                "meta nfproto ipv4 ip saddr 198.51.100.0/24 meta l4proto 17 th dport 53 accept",
                "meta nfproto ipv4 ip saddr 198.51.100.0/24 meta l4proto 6 th dport 53 accept",
                "goto do-reject comment \"policy REJECT\"");
        assertThat(chain(o, "inet", "g100-net0-in")).noneMatch(r -> r.contains("dport 22"));
        assertThat(chain(o, "inet", "g100-net0-out")).containsSubsequence(
                "meta nfproto ipv4 meta l4proto 17 th sport 68 th dport 67 return comment \"dhcp\"",
                "ct state established,related return",
                "icmpv6 type nd-router-advert drop",
                "meta l4proto 6 th dport 25 drop",
                "return comment \"policy ACCEPT\"");
        assertThat(chain(o, "inet", "forward")).containsExactly(
                "meta mark & 0xffff0000 vmap { 0x00010000 : jump g100-net0-out }",
                "meta mark & 0x00007fff vmap { 0x00000001 : jump g100-net0-in }",
                "oifname \"vmbr0\" meta mark set 0xffff0000",
                "oifname \"vmbr0\" ct state established,related meta mark set 0xffff0001",
                "oifname \"vmbr0\" ct state invalid meta mark set 0xffff0002");
    }

    @Test
    void guestWithoutEnableOrNicFirewallGetsNoChains() {
        FwCompiler.Output o = compile("[OPTIONS]\nenable: 1\n", "", List.of(vm(100, "[RULES]\nIN DROP\n", "02:00:00:00:01:00"),
                new FwCompiler.Guest(101, true, FwFile.parse(FwFile.Kind.GUEST, "[OPTIONS]\nenable: 1\n"),
                        List.of(new FwCompiler.Nic(0, "02:00:00:00:01:01", "vmbr0", false, List.of())))));
        assertThat(o.table("bridge").chains()).isEmpty();
        assertThat(o.table("inet").chain("forward").rules()).isEmpty();
    }

    @Test
    void linkLocalFromMac() {
        assertThat(FwCompiler.linkLocal("52:54:00:12:34:56")).isEqualTo("fe80::5054:ff:fe12:3456");
    }

    @Test
    void embeddedNodesFilterTheTapsTheirVmsGet() {
        String tap = org.haven.core.net.GuestPorts.tap(100, 0, "n1");
        FwCompiler.Guest g = new FwCompiler.Guest(100, false, FwFile.parse(FwFile.Kind.GUEST, "[OPTIONS]\nenable: 1\n"),
                List.of(new FwCompiler.Nic(0, "02:00:00:00:01:00", "vmbr0", true, List.of())), "n1");
        assertThat(g.port(g.nics().get(0))).isEqualTo(tap).isNotEqualTo("tap100i0");
        FwCompiler.Output o = compile("[OPTIONS]\nenable: 1\n", "", List.of(g));
        assertThat(chain(o, "bridge", "prerouting")).anyMatch(r -> r.startsWith("iifname \"" + tap + "\""));
        assertThat(o.text()).doesNotContain("\"tap100i0\"");
    }

    @Test
    void conntrackHelpersFollowTheirPorts() {
        String cluster = "[OPTIONS]\nenable: 1\n";
        FwCompiler.Output off = compile(cluster, "", List.of());
        assertThat(off.table("inet").chain("prerouting")).isNull();
        assertThat(off.text()).doesNotContain("ct helper");
        FwCompiler.Output on = compile(cluster, "[OPTIONS]\nnf_conntrack_helpers: tftp,ftp,irc\n", List.of());
        assertThat(chain(on, "inet", "prerouting")).containsExactly(
                "meta l4proto 6 th dport 21 ct helper set \"helper-ftp\"",
                "meta nfproto ipv4 meta l4proto 6 th dport 6667 ct helper set \"helper-irc\"",
                "meta l4proto 17 th dport 69 ct helper set \"helper-tftp\"");
        assertThat(on.text()).contains("""
                  ct helper helper-ftp {
                    type "ftp" protocol tcp
                    l3proto inet
                  }
                """).contains("chain prerouting {\n    type filter hook prerouting priority filter; policy accept;");
    }

    @Test
    void synfloodProtectionLimitsNewConnectionsPerSource() {
        String cluster = "[OPTIONS]\nenable: 1\n";
        FwCompiler.Output off = compile(cluster, "", List.of());
        assertThat(off.text()).doesNotContain("synflood");
        FwCompiler.Output on = compile(cluster, "[OPTIONS]\nprotection_synflood: 1\nprotection_synflood_rate: 30\n", List.of());
        assertThat(chain(on, "inet", "host-in")).containsSubsequence(
                "ct state established,related accept",
                "meta nfproto ipv4 meta l4proto 6 tcp flags & (fin|syn|rst|ack) == syn update @synflood-v4 { ip saddr limit rate over 30/second burst 1000 packets } drop comment \"synflood\"",
                "meta nfproto ipv6 meta l4proto 6 tcp flags & (fin|syn|rst|ack) == syn update @synflood-v6 { ip6 saddr limit rate over 30/second burst 1000 packets } drop comment \"synflood\"");
        assertThat(on.text()).contains("""
                  set synflood-v4 {
                    type ipv4_addr
                    flags dynamic,timeout
                    timeout 60s
                    size 65535
                  }
                """);
        // a single new connection is never over the rate
        Simulator.Result r = new Simulator(on.tables()).simulate(new Simulator.Packet(Simulator.Zone.outside(), Simulator.Zone.host(),
                "tcp", "192.168.0.50", "192.168.0.1", 40000, 22, null, "new", null));
        assertThat(r.action()).isEqualTo("ACCEPT");
    }


    @org.junit.jupiter.params.ParameterizedTest(name = "[{index}] {0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "''                                             | 262144 | 432000 | 60",
        "nf_conntrack_max: 100000                       | 262144 | 432000 | 60",
        "nf_conntrack_max: 300000                       | 303104 | 432000 | 60",
        "nf_conntrack_max: 303104                       | 303104 | 432000 | 60",
        "nf_conntrack_tcp_timeout_established: 7875     | 262144 | 7875   | 60",
        "nf_conntrack_tcp_timeout_syn_recv: 30          | 262144 | 432000 | 30",
    })
    void conntrackSettingsFollowTheHostOptions(String option, String max, String established, String synRecv) {
        FwCompiler.Input in = new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, "[OPTIONS]\nenable: 1\n"),
                FwFile.parse(FwFile.Kind.HOST, "[OPTIONS]\n" + option + "\n"), List.of(), List.of(), null);
        assertThat(FwCompiler.sysctls(in)).containsExactly(
                java.util.Map.entry("net.netfilter.nf_conntrack_max", max),
                java.util.Map.entry("net.netfilter.nf_conntrack_tcp_timeout_established", established),
                java.util.Map.entry("net.netfilter.nf_conntrack_tcp_timeout_syn_recv", synRecv));
        FwCompiler.Input off = new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, "[OPTIONS]\nenable: 0\n"),
                in.host(), List.of(), List.of(), null);
        assertThat(FwCompiler.sysctls(off)).isEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "[{index}] log_ratelimit: {0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "''                                  | limit rate 1/second burst 5 packets ",
        "enable=1                            | limit rate 1/second burst 5 packets ",
        "1,burst=20                          | limit rate 1/second burst 20 packets ",
        "enable=1,rate=10/minute,burst=3     | limit rate 10/minute burst 3 packets ",
        "rate=2/hour                         | limit rate 2/hour burst 5 packets ",
        "enable=0                            | ''",
        "0,rate=10/minute                    | ''",
    })
    void logRatelimitLimitsEveryLogStatement(String option, String limit) {
        String cluster = "[OPTIONS]\nenable: 1\n" + (option.isEmpty() ? "" : "log_ratelimit: " + option + "\n");
        FwCompiler.Output o = compile(cluster, "[OPTIONS]\nlog_level_in: info\n[RULES]\nIN ACCEPT -p tcp -dport 80 -log warning\n", List.of());
        assertThat(o.warnings()).isEmpty();
        String prefix = limit.isEmpty() ? "" : limit + " ";
        assertThat(chain(o, "inet", "host-in")).containsSubsequence(
                "meta l4proto 6 th dport 80 " + prefix + "log prefix \":0:4:host-in: ACCEPT: \" level warn",
                "meta l4proto 6 th dport 80 accept",
                prefix + "log prefix \":0:6:host-in: policy DROP: \" level info",
                "drop comment \"policy DROP\"");
        if (limit.isEmpty()) assertThat(o.text()).doesNotContain("limit rate");
    }

    private static final String V4 = "meta nfproto ipv4 ip saddr @g100-trusted-v4 ", V6 = "meta nfproto ipv6 ip6 saddr @g100-trusted-v6 ";
    private static final String SSH = "meta l4proto 6 th dport 22 accept";

    @org.junit.jupiter.params.ParameterizedTest(name = "[{index}] {0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        // entries of the set | the matches before the port of the IPv4 and the IPv6 rule of -source +trusted | the non-empty nft sets
        "10.0.0.0/8,!10.1.0.0/16               | ip saddr != @g100-trusted-v4-nm |                                  | g100-trusted-v4:10.0.0.0/8;g100-trusted-v4-nm:10.1.0.0/16",
        "10.0.0.0/8                            |                                 |                                  | g100-trusted-v4:10.0.0.0/8",
        "2001:db8::/32,!2001:db8:1::/48        |                                 | ip6 saddr != @g100-trusted-v6-nm | g100-trusted-v6:2001:db8::/32;g100-trusted-v6-nm:2001:db8:1::/48",
        "10.0.0.0/8,!10.0.0.7,2001:db8::/32    | ip saddr != @g100-trusted-v4-nm |                                  | g100-trusted-v4:10.0.0.0/8;g100-trusted-v4-nm:10.0.0.7;g100-trusted-v6:2001:db8::/32",
    })
    void ipsetNomatchEntriesAreExceptions(String entries, String v4except, String v6except, String sets) {
        String fw = "[OPTIONS]\nenable: 1\n[IPSET trusted]\n" + String.join("\n", entries.split(",")) + "\n[RULES]\nIN ACCEPT -source +trusted -p tcp -dport 22\n";
        FwCompiler.Output o = compile("[OPTIONS]\nenable: 1\n", "", List.of(vm(100, fw, "02:00:00:00:01:00")));
        assertThat(o.warnings()).isEmpty();
        assertThat(chain(o, "inet", "g100-net0-in")).filteredOn(r -> r.contains("dport 22")).containsExactly(
                V4 + (v4except == null ? "" : v4except + " ") + SSH, V6 + (v6except == null ? "" : v6except + " ") + SSH);
        java.util.Map<String, List<String>> expected = new java.util.TreeMap<>();
        for (String e : sets.split(";")) {
            int colon = e.indexOf(':');
            expected.computeIfAbsent(e.substring(0, colon), k -> new java.util.ArrayList<>()).add(e.substring(colon + 1));
        }
        assertThat(sets(o, "g100-trusted")).isEqualTo(expected);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "[{index}] members {0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "192.168.0.11                        | 192.168.0.11                |",
        "192.168.0.11,192.168.0.12           | 192.168.0.11,192.168.0.12   |",
        "192.168.0.11,fd00::12               | 192.168.0.11                | fd00::12",
        "192.168.0.11,not-an-address         | 192.168.0.11                |",
    })
    void hostZoneAcceptsExactlyTheMembers(String members, String v4, String v6) {
        FwCompiler.Output o = FwCompiler.compile(new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, "[OPTIONS]\nenable: 1\n"),
                FwFile.parse(FwFile.Kind.HOST, ""), List.of(), List.of(members.split(",")), "192.168.0.0/24"));
        java.util.Map<String, List<String>> expected = new java.util.TreeMap<>();
        expected.put("cluster-members-v4", List.of(v4.split(",")));
        if (v6 != null) expected.put("cluster-members-v6", List.of(v6));
        assertThat(sets(o, "cluster-members")).isEqualTo(expected);
        assertThat(chain(o, "inet", "host-in")).contains("ip saddr @cluster-members-v4 accept comment \"cluster members\"");
        assertThat(chain(o, "inet", "host-out")).contains("ip daddr @cluster-members-v4 accept comment \"cluster members\"");
        assertThat(o.warnings().contains("cluster member address 'not-an-address' is not an IP address")).isEqualTo(members.contains("not-an"));
    }
}
