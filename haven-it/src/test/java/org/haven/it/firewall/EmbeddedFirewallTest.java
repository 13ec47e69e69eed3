package org.haven.it.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.haven.core.net.GuestPorts;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The firewall of an embedded node, as {@code ./run} starts one: the node runs the guest network on its bridge
 * {@code vmbr0} and, once {@code cluster.fw} enables the firewall, filters its guests there, while the machine's
 * own traffic is filtered only when the node's {@code host.fw} says {@code enable: 1}. The node's "machine" is a
 * network namespace the test creates ({@code haven.network.netns}), so the test's machine is not touched; the guest
 * is a namespace plugged into {@code vmbr0} on the port a VM's tap gets on this node.
 */
@RealTest
class EmbeddedFirewallTest {

    @TempDir Path dir;

    @Test
    void anEmbeddedNodeFiltersItsGuestsOnItsBridgeAndItsMachineOnlyWhenAsked() throws Exception {
        Tools.requireRoot("network namespaces and nftables");
        Tools.require("nftables", "nft");
        Tools.require("dnsmasq", "dnsmasq");
        Tools.require("busybox", "busybox");
        try (NetLab lab = new NetLab()) {
            String machine = lab.netns("hfwe-m");
            Path data = dir.resolve("n1");
            HavenNode node = HavenNode.start(data, "n1", "-Dhaven.network.netns=" + machine, "-Dhaven.network.guest=vmbr0");
            try {
                Auth a = node.login("admin@pve", node.adminPassword());
                assertThat(lab.in(machine, "ip", "-br", "addr", "show", "vmbr0")).contains("10.253.0.1/24");
                String guest = lab.guest("hfwe-g", machine, "vmbr0", GuestPorts.tap(100, 0, "n1"), "02:00:00:00:01:00", "10.253.0.100/24");
                lab.listen(guest, 22, 80);
                lab.listen(machine, 80);
                // without the firewall everything passes
                assertThat(lab.tcp(machine, "10.253.0.100", 80)).isEqualTo("ACCEPT");

                var create = node.post("/nodes/n1/qemu", Map.of("vmid", "100", "net0", "virtio=02:00:00:00:01:00,bridge=vmbr0,firewall=1"), a);
                assertThat(create.status()).isEqualTo(200);
                // the VM exists once its creation task has ended
                assertThat(node.awaitTask(create.data().asString(), a).path("exitstatus").asString()).isEqualTo("OK");
                assertThat(node.put("/nodes/n1/qemu/100/firewall/options", Map.of("enable", "1"), a).status()).isEqualTo(200);
                assertThat(node.post("/nodes/n1/qemu/100/firewall/rules", Map.of("type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "22", "enable", "1"), a).status()).isEqualTo(200);
                assertThat(node.put("/cluster/firewall/options", Map.of("enable", "1"), a).status()).isEqualTo(200);

                // the machine to the guest: the guest's IN rules
                assertThat(NetLab.await(20, "DROP", () -> lab.tcp(machine, "10.253.0.100", 80))).isEqualTo("DROP");
                assertThat(lab.tcp(machine, "10.253.0.100", 22)).isEqualTo("ACCEPT");
                // the guest to the machine: its OUT policy lets it out, and the machine's own traffic is not filtered
                assertThat(lab.tcp(guest, "10.253.0.1", 80)).isEqualTo("ACCEPT");
                String tables = lab.in(machine, "nft", "list", "table", "inet", "haven-fw");
                assertThat(tables).contains("chain g100-net0-in").doesNotContain("chain host-in");

                // pve-firewall works on what the node loads: the same chains, its VM's tap name, its host zone off
                HavenNode.CliResult compile = node.cli("pve-firewall", "compile");
                assertThat(compile.exit()).as(compile.err()).isZero();
                assertThat(compile.out()).contains("\"" + GuestPorts.tap(100, 0, "n1") + "\"");
                assertThat(chains(compile.out())).isEqualTo(chains(tables + lab.in(machine, "nft", "list", "table", "bridge", "haven-fw")));
                assertThat(node.cli("pve-firewall", "status").out()).isEqualTo("Status: enabled/running\n");
                // its simulation answers as the packets did
                assertThat(simulate(node, "--from", "host", "--to", "vm100", "--source", "10.253.0.1", "--dest", "10.253.0.100", "--dport", "80")).isEqualTo("DROP");
                assertThat(simulate(node, "--from", "host", "--to", "vm100", "--source", "10.253.0.1", "--dest", "10.253.0.100", "--dport", "22")).isEqualTo("ACCEPT");
                assertThat(simulate(node, "--from", "vm100", "--to", "host", "--source", "10.253.0.100", "--dest", "10.253.0.1", "--dport", "80")).isEqualTo("ACCEPT");

                // a change of the guest's rules is loaded within the update interval, the guest keeps running
                assertThat(node.post("/nodes/n1/qemu/100/firewall/rules", Map.of("type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "80", "enable", "1"), a).status()).isEqualTo(200);
                assertThat(NetLab.await(20, "ACCEPT", () -> lab.tcp(machine, "10.253.0.100", 80))).isEqualTo("ACCEPT");

                // the operator enables the node's host zone: the machine's input follows the host rules (policy DROP)
                assertThat(node.put("/nodes/n1/firewall/options", Map.of("enable", "1"), a).status()).isEqualTo(200);
                assertThat(NetLab.await(20, "DROP", () -> lab.tcp(guest, "10.253.0.1", 80))).isEqualTo("DROP");
                assertThat(lab.tcp(machine, "10.253.0.100", 22)).isEqualTo("ACCEPT");
                assertThat(node.put("/nodes/n1/firewall/options", Map.of("delete", "enable"), a).status()).isEqualTo(200);
                assertThat(NetLab.await(20, "ACCEPT", () -> lab.tcp(guest, "10.253.0.1", 80))).isEqualTo("ACCEPT");
            } finally {
                node.close();
                killDnsmasq(data);
            }
            // a stopped embedded node leaves no rules behind
            assertThat(lab.in(machine, "nft", "list", "tables")).doesNotContain("haven-fw");
        }
    }

    /** The names of the chains of an nftables ruleset text ({@code nft list} or {@code pve-firewall compile}), sorted. */
    static List<String> chains(String ruleset) {
        return java.util.regex.Pattern.compile("chain (\\S+) \\{").matcher(ruleset).results().map(m -> m.group(1)).sorted().toList();
    }

    /** The action {@code pve-firewall simulate} prints. */
    static String simulate(HavenNode node, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("simulate"));
        cmd.addAll(List.of(args));
        HavenNode.CliResult r = node.cli("pve-firewall", cmd.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return r.out().lines().filter(l -> l.startsWith("ACTION: ")).map(l -> l.substring(8)).findFirst().orElse(r.out());
    }

    /** The guest network's dnsmasq, should the node not have stopped it. */
    private static void killDnsmasq(Path data) throws Exception {
        Path pid = data.resolve("network/guest/dnsmasq-vmbr0.pid");
        if (!Files.exists(pid)) return;
        String s = Files.readString(pid).strip();
        if (s.matches("\\d+")) ProcessHandle.of(Long.parseLong(s)).ifPresent(ProcessHandle::destroyForcibly);
    }
}
