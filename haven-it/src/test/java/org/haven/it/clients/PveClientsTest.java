package org.haven.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.haven.core.testing.E2eTest;
import org.haven.core.testing.Tools;
import org.haven.it.HavenNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real PVE clients against a real daemon, over HTTPS on loopback: Debian's proxmoxer drives a VM's whole
 * life (create, configure, start, snapshot, stop, delete) and reads its generated MAC addresses back. The
 * script fails on any failed call.
 */
@E2eTest
class PveClientsTest {
    private static final String NODE = "client";
    private static final String PYTHON = "/usr/bin/python3";
    private static final String MAC = "BC:24:11(:[0-9A-F]{2}){3}";

    @TempDir static Path dir;
    static HavenNode node;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("qemu-system-x86", "qemu-system-x86_64");
        Tools.requireFile(Path.of("/usr/lib/python3/dist-packages/proxmoxer"), "python3-proxmoxer");
        node = HavenNode.start(dir.resolve("node"), NODE);
    }

    @AfterAll
    static void stop() { if (node != null) node.close(); }

    record Run(int exit, String out) {}

    static Run run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    static String resource(String name) throws Exception {
        return Path.of(PveClientsTest.class.getResource("/clients/" + name).toURI()).toString();
    }

    @Test
    void proxmoxerDrivesAVmsLife() throws Exception {
        Run r = run(PYTHON, resource("proxmoxer_vm.py"), "127.0.0.1", Integer.toString(node.port()), "admin@pve",
                node.adminPassword(), NODE, "910");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).containsPattern("(?m)^net0 " + MAC + "$").containsPattern("(?m)^net1 " + MAC + "$");
        assertThat(node.cfsDir().resolve("nodes/" + NODE + "/qemu-server/910.conf")).doesNotExist();
    }
}
