package org.haven.firewall.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.firewall.apply.ConfigReader;
import org.haven.firewall.apply.FwInputs;
import org.haven.firewall.apply.GuestNics;
import org.haven.firewall.compile.Netns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pve-firewall start} and {@code stop} in a network namespace: the connection-tracking options of host.fw become its settings. */
@RealTest
class PveFirewallStartTest {
    @TempDir Path dir;

    @Test
    void startAppliesTheConntrackOptionsAndLoadsTheRulesetStopRemovesIt() throws Exception {
        Tools.requireRoot("network namespaces and nftables");
        Tools.require("nftables", "nft");
        Tools.require("iproute2", "ip");
        Files.createDirectories(dir.resolve("firewall"));
        Files.createDirectories(dir.resolve("nodes/n1"));
        Files.writeString(dir.resolve("firewall/cluster.fw"), "[OPTIONS]\nenable: 1\n");
        Files.writeString(dir.resolve("nodes/n1/host.fw"), """
                [OPTIONS]
                nf_conntrack_tcp_timeout_established: 86400
                nf_conntrack_tcp_timeout_syn_recv: 30
                nf_conntrack_allow_invalid: 1
                nf_conntrack_helpers: ftp,tftp
                """);
        try (Netns ns = new Netns("hfw-start")) {
            String key = "net.netfilter.nf_conntrack_tcp_timeout_established";
            assertThat(ns.exec("sysctl", "-n", key).strip()).isEqualTo("432000");
            var input = FwInputs.read(ConfigReader.of(dir), "n1", GuestNics.fromConfig(ConfigReader.of(dir)), List.of());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
            PveFirewall.Ctx c = new PveFirewall.Ctx(Map.of(), "n1", input, null, List.of(), List.of(), ns.prefix(), System.out, e);

            assertThat(PveFirewall.start(c)).as("%s", err).isZero();
            assertThat(ns.exec("sysctl", "-n", key).strip()).isEqualTo("86400");
            assertThat(ns.exec("sysctl", "-n", "net.netfilter.nf_conntrack_tcp_timeout_syn_recv").strip()).isEqualTo("30");
            String ruleset = ns.exec("nft", "list", "table", "inet", "haven-fw");
            assertThat(ruleset).contains("ct helper helper-ftp {", "type \"ftp\" protocol tcp", "ct helper helper-tftp {", "type \"tftp\" protocol udp",
                    "ct helper set \"helper-ftp\"");
            // nf_conntrack_allow_invalid: no rule drops invalid packets
            assertThat(ruleset).doesNotContain("ct state invalid drop");
            // the default when host.fw does not set it
            Files.writeString(dir.resolve("nodes/n1/host.fw"), "[OPTIONS]\nnf_conntrack_helpers: ftp\n");
            c = new PveFirewall.Ctx(Map.of(), "n1", FwInputs.read(ConfigReader.of(dir), "n1", GuestNics.fromConfig(ConfigReader.of(dir)), List.of()),
                    null, List.of(), List.of(), ns.prefix(), System.out, e);
            assertThat(PveFirewall.start(c)).isZero();
            assertThat(ns.exec("sysctl", "-n", key).strip()).isEqualTo("432000");
            assertThat(ns.exec("nft", "list", "table", "inet", "haven-fw")).contains("ct state invalid drop");

            assertThat(PveFirewall.stop(c)).isZero();
            assertThat(ns.exec("nft", "list", "tables")).doesNotContain("haven-fw");
        }
    }
}
