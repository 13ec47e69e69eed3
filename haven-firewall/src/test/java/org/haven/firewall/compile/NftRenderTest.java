package org.haven.firewall.compile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.haven.firewall.config.FwSyntax.PortRange;
import org.junit.jupiter.api.Test;

class NftRenderTest {
    static Nft.Rule rule(Nft.Match... m) { return new Nft.Rule(List.of(m), Nft.ACCEPT); }

    static final Nft.Match DNS_PORTS = new Nft.Ports(true, List.of(new PortRange(53, 53), new PortRange(123, 123)));
    static final Nft.Match WEB_PORTS = new Nft.Ports(true, List.of(new PortRange(80, 80), new PortRange(8000, 8100)));
    static final Nft.Match ND = new Nft.IcmpType(6, List.of("nd-neighbor-solicit", "nd-neighbor-advert"));
    static final Nft.Match NETS = new Nft.Addr(4, true, true, List.of("10.0.0.0/8", "192.168.1.1-192.168.1.9"), null);

    @Test
    void aRuleAloneKeepsItsListsInline() {
        assertThat(Nft.render(rule(new Nft.L4Proto(17), DNS_PORTS))).isEqualTo("meta l4proto 17 th dport { 53, 123 } accept");
        assertThat(Nft.render(rule(NETS))).isEqualTo("ip saddr != { 10.0.0.0/8, 192.168.1.1-192.168.1.9 } accept");
    }

    @Test
    void aTableSharesOneNamedSetPerTypedList() {
        Nft.Table t = new Nft.Table("inet", "t", List.of(), List.of(
                new Nft.Chain("a", null, List.of(rule(new Nft.L4Proto(17), DNS_PORTS), rule(ND), rule(new Nft.L4Proto(6), WEB_PORTS))),
                new Nft.Chain("b", null, List.of(rule(new Nft.L4Proto(6), DNS_PORTS), rule(NETS), rule(new Nft.L4Proto(6), new Nft.Ports(true, List.of(new PortRange(22, 22))))))));
        String text = Nft.render(List.of(t));
        assertThat(text).doesNotContain("dport {").doesNotContain("type {").doesNotContain("saddr != {");
        // four distinct lists, each declared once, in order of first use
        assertThat(text.split("\n  set ", -1)).hasSize(5);
        assertThat(text).contains("""
                  set lst-0 {
                    type inet_service
                    flags interval
                    auto-merge
                    elements = { 53, 123 }
                  }
                  set lst-1 {
                    type icmpv6_type
                    elements = { nd-neighbor-solicit, nd-neighbor-advert }
                  }
                  set lst-2 {
                    type inet_service
                    flags interval
                    auto-merge
                    elements = { 80, 8000-8100 }
                  }
                  set lst-3 {
                    type ipv4_addr
                    flags interval
                    auto-merge
                    elements = { 10.0.0.0/8, 192.168.1.1-192.168.1.9 }
                  }
                """);
        assertThat(text).contains("    meta l4proto 17 th dport @lst-0 accept\n")
                .contains("    meta l4proto 6 th dport @lst-0 accept\n")
                .contains("    icmpv6 type @lst-1 accept\n")
                .contains("    ip saddr != @lst-3 accept\n")
                .contains("    meta l4proto 6 th dport 22 accept\n");
        // the sets come before the chains that use them
        assertThat(text.indexOf("set lst-3")).isLessThan(text.indexOf("chain a"));
    }
}
