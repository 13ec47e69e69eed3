package org.haven.it.cfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.haven.core.testing.E2eTest;
import org.haven.core.testing.Tools;
import org.haven.it.Await;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.firewall.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Clustering through real daemons as an administrator does it: {@code pvecm add} on a standalone node logs in
 * to a cluster node as {@code root@pam} (PAM: a service of the test's own whose {@code pam_exec} module checks
 * the password), confirms the certificate fingerprint, and replaces the joining node's tree by the cluster's;
 * the joined node then serves a certificate of the cluster CA and its writes replicate. {@code pvecm delnode}
 * removes a stopped member and the rest stays quorate.
 *
 * <p>Each daemon loads its firewall into a network namespace of the test's that stands for its machine
 * ({@code haven.firewall.netns}), with the datacenter firewall on: every member's host zone lets the members'
 * addresses in (the nodes join with the link addresses 127.0.0.1, .2 and .3), a join or a removal recompiles it on
 * every member, and a member that loses quorum keeps its rules as they were and follows changes again once it is
 * back in a quorate cluster.
 */
@E2eTest
class ClusterJoinTest {
    static final Path PAM_EXEC = Path.of("/lib/x86_64-linux-gnu/security/pam_exec.so");

    @TempDir Path dir;
    Path pamService;

    @AfterEach
    void removePamService() throws Exception {
        if (pamService != null) Files.deleteIfExists(pamService);
    }

    /** A PAM service that accepts exactly root with {@code password}. */
    String installPamService(String password) throws Exception {
        String name = "haven-it-join-" + Integer.toString(new Random().nextInt(1 << 24), 36);
        Path check = dir.resolve("check-root-password");
        Files.writeString(check, "#!/bin/sh\n"
                + "pw=$(tr -d '\\000')\n"
                + "[ \"$PAM_USER\" = root ] && [ \"$pw\" = '" + password + "' ]\n");
        Files.setPosixFilePermissions(check, PosixFilePermissions.fromString("rwx------"));
        pamService = Path.of("/etc/pam.d", name);
        Files.writeString(pamService, "auth required pam_exec.so expose_authtok quiet " + check + "\naccount required pam_permit.so\n");
        return name;
    }

    static JsonNode json(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return HavenNode.JSON.readTree(r.out());
    }

    static String host(HavenNode n) { return "127.0.0.1:" + n.port(); }

    static List<String> members(HavenNode n) {
        try {
            CliResult r = n.cli("pvesh", "get", "/cluster/config/nodes", "--output-format", "json");
            return json(r).valueStream().map(e -> e.path("name").asString()).sorted().toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, Duration max, Await.Check c) throws Exception {
        Await.until(what, max, c);
    }

    /** Whether the ruleset loaded in namespace {@code ns} accepts {@code address} as a cluster member. */
    static boolean firewallMember(NetLab lab, String ns, String address) {
        try {
            lab.in(ns, "nft", "get", "element", "inet", "haven-fw", "cluster-members-v4", "{ " + address + " }");
            return true;
        } catch (IllegalStateException e) {
            return false; // no such element, or nothing loaded yet
        }
    }

    /** Waits until the firewall of each of {@code nodes} accepts exactly the {@code members} of 127.0.0.1 to .3 as members. */
    static void awaitFirewallMembers(NetLab lab, Map<String, String> machines, List<String> nodes, List<String> members) throws Exception {
        for (String node : nodes) {
            await(node + "'s firewall lets exactly " + members + " in as members", Duration.ofSeconds(20), () -> {
                for (String a : List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"))
                    if (firewallMember(lab, machines.get(node), a) != members.contains(a)) return false;
                return true;
            });
        }
    }

    @Test
    void pvecmAddJoinsRunningNodesAndDelnodeRemovesOne() throws Exception {
        Tools.requireRoot("adds a PAM service to /etc/pam.d");
        Tools.requireFile(PAM_EXEC, "libpam-modules");
        Tools.require("nftables", "nft");
        String rootPassword = "Join-" + Long.toString(new Random().nextLong() & Long.MAX_VALUE, 36);
        String pam = "-Dhaven.pam.service=" + installPamService(rootPassword);

        try (NetLab lab = new NetLab()) {
            Map<String, String> machines = new TreeMap<>();
            for (String n : List.of("node1", "node2", "node3")) machines.put(n, lab.netns("hfwj"));
            try (HavenCluster c = HavenCluster.start(dir, "jointest", 1, node -> List.of(pam, "-Dhaven.firewall.netns=" + machines.get(node)))) {
                joinAndDelete(c, lab, machines, rootPassword);
            }
        }
    }

    private void joinAndDelete(HavenCluster c, NetLab lab, Map<String, String> machines, String rootPassword) throws Exception {
        HavenNode n1 = c.node(0);
        assertThat(n1.cli("pvesh", "set", "/cluster/firewall/options", "--enable", "1").exit()).isZero();
        awaitFirewallMembers(lab, machines, List.of("node1"), List.of("127.0.0.1"));
        JsonNode info = json(n1.cli("pvesh", "get", "/cluster/config/join", "--output-format", "json"));
        String fp = info.path("nodelist").get(0).path("pve_fp").asString();
        assertThat(fp).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");

        HavenNode n2 = c.startStandalone("node2");
        c.adopt(n2);
        // a node with guests may not join; nothing changes on it
        CliResult guest = n2.cli("qm", "create", "901", "--memory", "64");
        assertThat(guest.exit()).as(guest.out() + guest.err()).isZero();
        CliResult refused = n2.cliWithInput(rootPassword + "\n", "pvecm", "add", host(n1), "--fingerprint", fp, "--link0", "127.0.0.2");
        assertThat(refused.exit()).as(refused.out() + refused.err()).isEqualTo(255);
        assertThat(refused.out() + refused.err()).contains("this host already contains virtual guests");
        assertThat(n2.cli("qm", "destroy", "901").exit()).isZero();
        // a wrong root password is refused by the cluster node
        CliResult badPassword = n2.cliWithInput("wrong\n", "pvecm", "add", host(n1), "--fingerprint", fp, "--link0", "127.0.0.2");
        assertThat(badPassword.exit()).as(badPassword.out() + badPassword.err()).isEqualTo(255);
        // declining the certificate aborts before anything is sent
        CliResult declined = n2.cliWithInput(rootPassword + "\nno\n", "pvecm", "add", host(n1), "--link0", "127.0.0.2");
        assertThat(declined.exit()).isEqualTo(255);
        assertThat(declined.out()).contains("X509 SHA256 key fingerprint is " + fp + ".");
        assertThat(n2.cli("pvecm", "status").out()).doesNotContain("jointest");

        // confirming the fingerprint interactively joins
        CliResult add = n2.cliWithInput(rootPassword + "\nyes\n", "pvecm", "add", host(n1), "--link0", "127.0.0.2");
        assertThat(add.exit()).as(add.out() + add.err()).isZero();
        assertThat(add.out()).contains("successfully added node 'node2' to cluster.");
        c.awaitOnline(2, Duration.ofSeconds(60));
        assertThat(members(n2)).containsExactly("node1", "node2");
        // both members' host zones now let the other in
        awaitFirewallMembers(lab, machines, List.of("node1", "node2"), List.of("127.0.0.1", "127.0.0.2"));
        await("pvecm status on node2", Duration.ofSeconds(30), () -> {
            CliResult st = n2.cli("pvecm", "status");
            assertThat(st.out()).as(st.err()).contains("Name:             jointest");
            return true;
        });

        // the joined node's certificate is re-issued by the cluster CA: node1's proxy (which trusts only
        // the cluster CA) reaches it
        Auth admin = n1.login("admin@pve", n1.adminPassword());
        await("node2 reachable through node1's proxy", Duration.ofSeconds(60),
                () -> n1.get("/nodes/node2/status", admin).status() == 200);
        JsonNode certs = json(n1.cli("pvesh", "get", "/nodes/node2/certificates/info", "--output-format", "json"));
        JsonNode ca = certs.valueStream().filter(e -> e.path("filename").asString().equals("pve-root-ca.pem")).findFirst().orElseThrow();
        JsonNode ssl = certs.valueStream().filter(e -> e.path("filename").asString().equals("pve-ssl.pem")).findFirst().orElseThrow();
        assertThat(ssl.path("issuer").asString()).isEqualTo(ca.path("subject").asString());
        // pvecm updatecerts --force issues a new one, served at once
        assertThat(n2.cli("pvecm", "updatecerts", "--force", "1").exit()).isZero();
        JsonNode renewed = json(n1.cli("pvesh", "get", "/nodes/node2/certificates/info", "--output-format", "json"))
                .valueStream().filter(e -> e.path("filename").asString().equals("pve-ssl.pem")).findFirst().orElseThrow();
        assertThat(renewed.path("fingerprint").asString()).isNotEqualTo(ssl.path("fingerprint").asString());
        await("the renewed certificate served", Duration.ofSeconds(30),
                () -> n1.get("/nodes/node2/status", admin).status() == 200);

        // tasks run on node2 show in node1's cluster-wide task list
        assertThat(n2.cli("qm", "create", "950", "--memory", "64").exit()).isZero();
        await("node2's task in node1's /cluster/tasks", Duration.ofSeconds(30), () -> json(n1.cli("pvesh", "get", "/cluster/tasks",
                "--output-format", "json")).valueStream().anyMatch(t -> t.path("node").asString().equals("node2")
                        && t.path("type").asString().equals("qmcreate") && t.path("id").asString().equals("950")));
        assertThat(n1.cli("qm", "config", "950").exit()).isNotZero(); // the guest is node2's
        assertThat(n2.cli("qm", "destroy", "950").exit()).isZero();

        // writes on the joined node replicate
        assertThat(n2.cli("pvesh", "create", "/pools", "--poolid", "joined").exit()).isZero();
        await("pool visible on node1", Duration.ofSeconds(30),
                () -> n1.cli("pvesh", "get", "/pools", "--output-format", "json").out().contains("\"joined\""));

        // a third node joins with the fingerprint on the command line, then is stopped and deleted
        HavenNode n3 = c.startStandalone("node3");
        c.adopt(n3);
        CliResult add3 = n3.cliWithInput(rootPassword + "\n", "pvecm", "add", host(n2), "--fingerprint",
                json(n2.cli("pvesh", "get", "/cluster/config/join", "--output-format", "json")).path("nodelist").valueStream()
                        .filter(e -> e.path("name").asString().equals("node2")).findFirst().orElseThrow().path("pve_fp").asString(),
                "--link0", "127.0.0.3");
        assertThat(add3.exit()).as(add3.out() + add3.err()).isZero();
        c.awaitOnline(3, Duration.ofSeconds(60));
        awaitFirewallMembers(lab, machines, List.of("node1", "node2", "node3"), List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"));
        n3.close();
        CliResult del = n1.cli("pvecm", "delnode", "node3");
        assertThat(del.exit()).as(del.out() + del.err()).isZero();
        assertThat(members(n1)).containsExactly("node1", "node2");
        await("node2 sees the removal", Duration.ofSeconds(30), () -> members(n2).equals(List.of("node1", "node2")));
        // the removed member's address is no longer let in
        awaitFirewallMembers(lab, machines, List.of("node1", "node2"), List.of("127.0.0.1", "127.0.0.2"));
        assertThat(n1.cli("pvecm", "nodes").out()).doesNotContain("node3");
        // the two remaining nodes are quorate and writable
        assertThat(n1.cli("pvesh", "create", "/pools", "--poolid", "afterdel").exit()).isZero();
        await("pool visible on node2", Duration.ofSeconds(30),
                () -> n2.cli("pvesh", "get", "/pools", "--output-format", "json").out().contains("\"afterdel\""));
        CliResult delSelf = n1.cli("pvecm", "delnode", "node1");
        assertThat(delSelf.exit()).isEqualTo(255);
        assertThat(delSelf.err()).contains("Cannot delete myself from cluster!");

        // node2 loses quorum when node1 stops: its ruleset stays as it was over more than the firewall's period
        // (10 s), nothing opened and nothing flushed
        String before = lab.in(machines.get("node2"), "nft", "list", "ruleset");
        assertThat(before).contains("cluster-members-v4").contains("chain host-in");
        n1.close();
        await("node2 without quorum", Duration.ofSeconds(30), () -> n2.cli("pvecm", "status").out().contains("Quorate:          No"));
        Thread.sleep(12_000);
        assertThat(lab.in(machines.get("node2"), "nft", "list", "ruleset")).isEqualTo(before);
        assertThat(n2.stdout()).doesNotContain("firewall: update failed");
        // quorum is back: a rule added on node1 is compiled on node2
        HavenNode n1back = c.restart(0);
        c.awaitOnline(2, Duration.ofSeconds(120));
        CliResult rule = n1back.cli("pvesh", "create", "/cluster/firewall/rules", "--type", "in", "--action", "ACCEPT",
                "--proto", "tcp", "--dport", "4242", "--enable", "1");
        assertThat(rule.exit()).as(rule.out() + rule.err()).isZero();
        await("node2 loads the rule added on node1", Duration.ofSeconds(20),
                () -> lab.in(machines.get("node2"), "nft", "list", "chain", "inet", "haven-fw", "host-in").contains("4242"));
        awaitFirewallMembers(lab, machines, List.of("node2"), List.of("127.0.0.1", "127.0.0.2"));
    }
}
