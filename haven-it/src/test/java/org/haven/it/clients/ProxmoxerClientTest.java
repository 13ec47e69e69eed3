package org.haven.it.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.haven.it.HavenNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real PVE client against a real daemon: Debian's proxmoxer drives a VM's whole life (create, configure,
 * start, snapshot, stop, delete) over HTTPS on loopback and reads its generated MAC addresses back. The
 * script fails on any failed call; the MACs it read must be the ones the config had.
 */
class ProxmoxerClientTest {
    private static final String NODE = "client";
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir static Path dir;
    static HavenNode node;

    static boolean proxmoxerInstalled() throws Exception {
        if (!Files.isExecutable(Path.of(PYTHON))) return false;
        Process p = new ProcessBuilder(PYTHON, "-c", "import proxmoxer").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(proxmoxerInstalled(), "needs Debian's python3-proxmoxer");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "needs qemu-system-x86");
        node = HavenNode.start(dir.resolve("node"), NODE);
    }

    @AfterAll
    static void stop() { if (node != null) node.close(); }

    @Test
    void proxmoxerDrivesAVmsLife() throws Exception {
        Path script = Path.of(ProxmoxerClientTest.class.getResource("/clients/proxmoxer_vm.py").toURI());
        Process p = new ProcessBuilder(PYTHON, script.toString(), "127.0.0.1", Integer.toString(node.port()), "admin@pve",
                node.adminPassword(), NODE, "910").redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).containsPattern("(?m)^net0 BC:24:11(:[0-9A-F]{2}){3}$").containsPattern("(?m)^net1 BC:24:11(:[0-9A-F]{2}){3}$");
        // the delete removed the config
        assertThat(node.cfsDir().resolve("nodes/" + NODE + "/qemu-server/910.conf")).doesNotExist();
    }
}
