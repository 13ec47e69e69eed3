package org.haven.firewall.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pve-firewall --local DIR}: compile, simulate and localnet on a configuration directory without a daemon. */
class PveFirewallTest {
    @TempDir Path dir;

    @BeforeEach
    void files() throws Exception {
        write("firewall/cluster.fw", """
                [OPTIONS]
                enable: 1

                [IPSET management]
                192.168.7.0/24

                [RULES]
                IN ACCEPT -p tcp -dport 80
                IN REJECT -p tcp -dport 25
                """);
        write("nodes/n1/host.fw", "[RULES]\nIN ACCEPT -p tcp -dport 9 -bogus\n");
        write("nodes/n1/qemu-server/100.conf", "net0: virtio=52:54:00:00:01:00,bridge=vmbr0,firewall=1\n");
        write("nodes/n1/lxc/101.conf", "net0: name=eth0,bridge=vmbr0,hwaddr=52:54:00:00:01:01,ip=10.1.0.101/24,firewall=1\n");
        write("firewall/100.fw", """
                [OPTIONS]
                enable: 1

                [IPSET ipfilter-net0]
                10.1.0.100

                [RULES]
                IN SSH(ACCEPT) -source 10.1.0.0/24
                """);
        write("firewall/101.fw", "[OPTIONS]\nenable: 1\npolicy_out: DROP\n");
        write("corosync.conf", "nodelist {\n  node {\n    name: n1\n    nodeid: 1\n    ring0_addr: 192.168.7.11\n  }\n}\n");
    }

    void write(String path, String text) throws Exception {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    record Run(int code, String out, String err) {}

    Run run(String command, String... args) throws Exception {
        CliCommand cmd = new PveFirewall().commands().stream().filter(c -> c.words().equals(command)).findFirst().orElseThrow();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8), e = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> a = new ArrayList<>(List.of("--local", dir.toString()));
        a.addAll(List.of(args));
        int code = cmd.action().run(new CliInvocation() {
            @Override public Map<String, Object> params() { return Map.of(); }
            @Override public List<String> args() { return a; }
            @Override public ApiClient client() { throw new IllegalStateException("no daemon"); }
            @Override public String localNode() { return "n1"; }
            @Override public PrintStream out() { return o; }
            @Override public PrintStream err() { return e; }
        });
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void compilePrintsTheRulesetAndWarnings() throws Exception {
        Run r = run("compile");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("table inet haven-fw\ndelete table inet haven-fw\n")
                .contains("chain g100-net0-in", "chain g101-net0-out", "iifname \"tap100i0\"", "iifname \"veth101i0\"");
        assertThat(r.err()).contains("warning: host.fw line 2: unable to parse rule parameters: -bogus");
    }

    @Test
    void simulateAnswersFromTheCompiledRuleset() throws Exception {
        assertThat(run("simulate", "--from", "outside", "--to", "host", "--source", "198.51.100.1", "--dest", "192.168.7.11", "--dport", "80").out())
                .isEqualTo("ACTION: ACCEPT\n");
        assertThat(run("simulate", "--source", "198.51.100.1", "--dest", "192.168.7.11", "--dport", "25").out()).isEqualTo("ACTION: REJECT\n");
        assertThat(run("simulate", "--source", "198.51.100.1", "--dest", "192.168.7.11", "--dport", "8006").out()).isEqualTo("ACTION: DROP\n");
        assertThat(run("simulate", "--source", "192.168.7.50", "--dest", "192.168.7.11", "--dport", "8006").out()).isEqualTo("ACTION: ACCEPT\n");
        Run v = run("simulate", "--from", "ct101", "--to", "vm100", "--dport", "22", "--verbose");
        assertThat(v.out()).contains("  source  : 10.1.0.101", "  dest    : 10.1.0.100", "g101-net0-out: drop comment \"policy DROP\"", "ACTION: DROP\n");
        assertThat(run("simulate", "--from", "outside", "--to", "vm100", "--source", "10.1.0.5", "--dport", "22", "--verbose").out())
                .contains("  dest    : 10.1.0.100", "g100-net0-in: meta nfproto ipv4 ip saddr 10.1.0.0/24 meta l4proto 6 th dport 22 accept", "ACTION: ACCEPT\n");
        assertThat(run("simulate", "--from", "outside", "--to", "vm100", "--source", "10.2.0.1", "--dport", "22").out()).isEqualTo("ACTION: DROP\n");
        assertThat(run("simulate", "--from", "ct101", "--to", "outside", "--dest", "198.51.100.1", "--dport", "443").out()).isEqualTo("ACTION: DROP\n");
        assertThat(run("simulate", "--from", "vm100", "--to", "outside", "--dest", "198.51.100.1", "--protocol", "udp", "--dport", "53").out()).isEqualTo("ACTION: ACCEPT\n");
        // PVE's <bridge>/<port> zone: the outside on that bridge
        assertThat(run("simulate", "--from", "vmbr0/eth0", "--to", "vm100", "--source", "10.1.0.5", "--dport", "22").out()).isEqualTo("ACTION: ACCEPT\n");
        assertThat(run("simulate", "--from", "vmbr0/eth0", "--to", "vm100", "--source", "10.2.0.1", "--dport", "22").out()).isEqualTo("ACTION: DROP\n");
        assertThat(run("simulate", "--from", "vm100", "--to", "vmbr0/eth0", "--dest", "198.51.100.1", "--dport", "443").out()).isEqualTo("ACTION: ACCEPT\n");
        assertThat(run("simulate", "--from", "vmbr0", "--to", "vm100", "--source", "10.1.0.5").err()).contains("invalid zone 'vmbr0'");
        Run bad = run("simulate", "--from", "vm999");
        assertThat(bad.code()).isEqualTo(255);
        assertThat(bad.err()).contains("no such guest '999'");
    }

    @Test
    void localnetShowsTheMembers() throws Exception {
        Run r = run("localnet");
        assertThat(r.out()).contains("local hostname: n1\nlocal IP address: 192.168.7.11\n", "accepting corosync traffic from/to:\n - 192.168.7.11\n");
    }

    @Test
    void options() {
        assertThat(PveFirewall.options(List.of("--from", "vm100", "-verbose", "--dport=22"))).containsEntry("from", "vm100")
                .containsEntry("verbose", "1").containsEntry("dport", "22");
    }
}
