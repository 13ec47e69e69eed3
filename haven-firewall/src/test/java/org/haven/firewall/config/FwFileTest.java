package org.haven.firewall.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FwFileTest {

    static final String CLUSTER = """
            # cluster firewall
            [OPTIONS]

            enable: 1
            policy_in: DROP
            log_ratelimit: enable=1,burst=10,rate=2/second

            [ALIASES]

            local_network 192.168.0.0/20 # the LAN
            gw 192.168.0.1

            [IPSET management] # admins
            192.168.2.10
            192.168.3.0/24
            !192.168.3.7 # not this one
            gw

            [RULES]

            IN SSH(ACCEPT) -i net0 -source 10.0.0.1-10.0.0.10 # ssh from range
            |IN ACCEPT -p tcp -dport 80,443,8000:8080 -log info
            OUT DROP -dest +dc/blacklist
            IN  DROP # drop all incoming packages

            [group webserver] # web
            IN  ACCEPT -p tcp -dport 80
            IN  ACCEPT -p tcp -dport 443
            """;

    @Test
    void parsesEverySection() {
        FwFile f = FwFile.parse(FwFile.Kind.CLUSTER, CLUSTER);
        assertThat(f.errors()).isEmpty();
        assertThat(f.options()).containsExactly(Map.entry("enable", "1"), Map.entry("policy_in", "DROP"),
                Map.entry("log_ratelimit", "enable=1,burst=10,rate=2/second"));
        assertThat(f.aliases()).containsExactly(new FwFile.Alias("local_network", "192.168.0.0/20", "the LAN"),
                new FwFile.Alias("gw", "192.168.0.1", null));
        assertThat(f.ipsetNames()).containsExactly("management");
        assertThat(f.ipsetComment("management")).isEqualTo("admins");
        assertThat(f.ipset("management")).containsExactly(new FwFile.IpEntry("192.168.2.10", false, null),
                new FwFile.IpEntry("192.168.3.0/24", false, null), new FwFile.IpEntry("192.168.3.7", true, "not this one"),
                new FwFile.IpEntry("gw", false, null));
        List<FwRule> rules = f.rules();
        assertThat(rules).hasSize(4);
        assertThat(rules.get(0)).isEqualTo(FwRule.of("in", "ACCEPT").withMacro("SSH").withIface("net0")
                .withSource("10.0.0.1-10.0.0.10").withComment("ssh from range"));
        assertThat(rules.get(1)).isEqualTo(FwRule.of("in", "ACCEPT").withEnable(false).withProto("tcp")
                .withDport("80,443,8000:8080").withLog("info"));
        assertThat(rules.get(2).dest()).isEqualTo("+dc/blacklist");
        assertThat(f.groupNames()).containsExactly("webserver");
        assertThat(f.groupComment("webserver")).isEqualTo("web");
        assertThat(f.groupRules("webserver")).extracting(FwRule::dport).containsExactly("80", "443");
        assertThat(f.write()).isEqualTo(CLUSTER);
    }

    @Test
    void invalidLinesAreSkippedReportedAndKept() {
        String text = """
                stray line
                [OPTIONS]
                enable: yes
                bogus: 1
                nosmurfs: 1
                [RULES]
                IN ACCEPT -p tcp -dport 22
                IN ACCEPT -p tcp -dport 99999
                IN ACCEPT -foo bar
                GARBAGE
                IN FOO(ACCEPT)
                IN ACCEPT -source 10.0.0.1,fe80::1
                [WHATEVER]
                IN ACCEPT
                [group web]
                IN ACCEPT
                """;
        FwFile f = FwFile.parse(FwFile.Kind.HOST, text);
        assertThat(f.errors()).extracting(FwFile.Error::line).containsExactly(1, 3, 4, 8, 9, 10, 11, 12, 13, 15);
        assertThat(f.errors().get(1).message()).contains("type check ('boolean') failed - got 'yes'");
        assertThat(f.errors().get(2).message()).contains("unknown option 'bogus'");
        assertThat(f.errors().get(4).message()).isEqualTo("unable to parse rule parameters: -foo bar");
        assertThat(f.errors().get(6).message()).contains("macro: unknown macro 'FOO'");
        assertThat(f.errors().get(7).message()).contains("source: you can't mix ipv4 and ipv6 addresses in a list");
        assertThat(f.errors().get(9).message()).contains("not allowed");
        assertThat(f.options()).containsExactly(Map.entry("nosmurfs", "1"));
        assertThat(f.write()).isEqualTo(text);
    }

    @Test
    void guestRulesNeedNetInterfaces() {
        FwFile f = FwFile.parse(FwFile.Kind.GUEST, "[RULES]\nIN ACCEPT -i eth0\nIN ACCEPT -i net1\n");
        assertThat(f.errors()).containsExactly(new FwFile.Error(2, "invalid rule: iface: wrong interface name ('eth0')"));
    }

    @Test
    void editsKeepCommentsAndUnchangedLines() {
        FwFile f = FwFile.parse(FwFile.Kind.CLUSTER, CLUSTER);
        List<FwRule> rules = new ArrayList<>(f.rules());
        FwRule moved = rules.remove(3);
        rules.add(0, moved);
        rules.add(FwRule.of("out", "ACCEPT").withProto("udp").withDport("53").withComment("dns"));
        f.setRules(rules);
        f.setOption("policy_in", null);
        f.setOption("policy_out", "REJECT");
        f.setIpset("management", List.of(new FwFile.IpEntry("10.1.1.1", false, "one")));
        f.createGroup("db", "databases");
        f.setGroupRules("db", List.of(FwRule.of("in", "ACCEPT").withMacro("MySQL")));
        assertThat(f.write()).isEqualTo("""
                # cluster firewall
                [OPTIONS]

                enable: 1
                log_ratelimit: enable=1,burst=10,rate=2/second
                policy_out: REJECT

                [ALIASES]

                local_network 192.168.0.0/20 # the LAN
                gw 192.168.0.1

                [IPSET management] # admins
                10.1.1.1 # one

                [RULES]

                IN  DROP # drop all incoming packages
                IN SSH(ACCEPT) -i net0 -source 10.0.0.1-10.0.0.10 # ssh from range
                |IN ACCEPT -p tcp -dport 80,443,8000:8080 -log info
                OUT DROP -dest +dc/blacklist
                OUT ACCEPT -p udp -dport 53 # dns

                [group webserver] # web
                IN  ACCEPT -p tcp -dport 80
                IN  ACCEPT -p tcp -dport 443

                [group db] # databases

                IN MySQL(ACCEPT)

                """);
        FwFile again = FwFile.parse(FwFile.Kind.CLUSTER, f.write());
        assertThat(again.errors()).isEmpty();
        assertThat(again.rules()).isEqualTo(rules);
    }

    @Test
    void newFileIsWrittenInPveLayout() {
        FwFile f = FwFile.empty(FwFile.Kind.GUEST);
        f.setRules(List.of(FwRule.of("in", "ACCEPT").withMacro("SSH").withIface("net0").withLog("nolog")));
        f.setOption("enable", "1");
        f.createIpset("ipfilter-net0", null);
        f.setIpset("ipfilter-net0", List.of(new FwFile.IpEntry("192.168.2.10", false, null)));
        f.setAliases(List.of(new FwFile.Alias("web", "10.0.0.5", "web server")));
        assertThat(f.write()).isEqualTo("""
                [OPTIONS]

                enable: 1

                [ALIASES]

                web 10.0.0.5 # web server

                [IPSET ipfilter-net0]

                192.168.2.10

                [RULES]

                IN SSH(ACCEPT) -i net0 -log nolog

                """);
        assertThatThrownBy(() -> f.createGroup("g", null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writersRefuseValuesThatChangeTheStructure() {
        FwFile f = FwFile.empty(FwFile.Kind.CLUSTER);
        assertThatThrownBy(() -> f.setRules(List.of(FwRule.of("in", "ACCEPT").withComment("a\n[RULES]"))))
                .hasMessageContaining("newline");
        assertThatThrownBy(() -> f.setRules(List.of(FwRule.of("in", "ACCEPT").withSource("1.2.3.4 -dest 5.6.7.8"))))
                .hasMessageContaining("one word");
        assertThatThrownBy(() -> f.setOption("policy_in", "DROP\nenable: 1")).hasMessageContaining("newline");
        assertThatThrownBy(() -> f.setAliases(List.of(new FwFile.Alias("a1", "10.0.0.1", "x\ny")))).hasMessageContaining("newline");
        assertThatThrownBy(() -> f.createIpset("s1", "x\r\n[RULES]")).hasMessageContaining("newline");
        assertThatThrownBy(() -> f.setOption("enable", "-1")).hasMessageContaining("minimum");
        assertThat(f.write()).isEmpty();
    }

    @Test
    void keepsMissingTrailingNewlineAndCrLf() {
        String text = "[OPTIONS]\r\nenable: 1\r\n\r\n[RULES]\nIN ACCEPT";
        FwFile f = FwFile.parse(FwFile.Kind.CLUSTER, text);
        assertThat(f.errors()).isEmpty();
        assertThat(f.options()).containsEntry("enable", "1");
        assertThat(f.write()).isEqualTo(text);
    }

    @Test
    void vnetFilesHaveOptionsAndForwardRulesOnly() {
        String text = """
                [OPTIONS]
                enable: 1
                policy_forward: DROP
                policy_in: DROP

                [IPSET x]
                10.0.0.1

                [RULES]
                FORWARD ACCEPT -p tcp -dport 22
                IN DROP
                """;
        FwFile f = FwFile.parse(FwFile.Kind.VNET, text);
        assertThat(f.options()).containsExactly(Map.entry("enable", "1"), Map.entry("policy_forward", "DROP"));
        assertThat(f.errors()).extracting(FwFile.Error::toString).containsExactly(
                "line 4: option 'policy_in': unknown option 'policy_in'",
                "line 6: section 'IPSET' is not allowed in this file",
                "line 11: invalid rule: type: in rules are not allowed here");
        assertThat(f.rules()).hasSize(2);
        assertThat(f.write()).isEqualTo(text);
    }
}
