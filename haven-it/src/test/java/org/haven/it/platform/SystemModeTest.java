package org.haven.it.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.haven.core.testing.E2eTest;
import org.haven.core.testing.Tools;
import org.haven.it.HavenNode;
import org.junit.jupiter.api.Test;

/**
 * {@code havend} without {@code --data-dir}, as root: the system paths ({@code /var/lib/haven},
 * {@code /run/haven}, {@code /var/log/haven}), found by the CLI without any setting. Runs only on a machine
 * where those paths do not exist yet, and removes them afterwards.
 */
@E2eTest
class SystemModeTest {
    static final List<Path> SYSTEM_DIRS = List.of(Path.of("/var/lib/haven"), Path.of("/run/haven"), Path.of("/var/log/haven"));

    static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    static HavenNode.CliResult cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
                "org.haven.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("/").toFile());
        pb.environment().remove("HAVEN_DATA_DIR");
        pb.environment().remove("HAVEN_HOME");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        p.waitFor(120, TimeUnit.SECONDS);
        return new HavenNode.CliResult(p.exitValue(), out, err);
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }

    @Test
    void systemPathsAndTheCliWithoutSettings() throws Exception {
        Tools.requireRoot("runs havend in system mode");
        assertThat(SYSTEM_DIRS.stream().filter(Files::exists).toList()).as("a system-mode node already exists on this machine").isEmpty();
        int port = HavenNode.freePort();
        Process d = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:+UseSerialGC", "org.haven.node.Havend", "--node", "sysnode",
                "--port", Integer.toString(port), "--bind", "127.0.0.1", "--foreground")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Path sock = Path.of("/run/haven/haven.sock");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            HavenNode.CliResult version = null;
            while (System.nanoTime() < deadline) {
                assertThat(d.isAlive()).isTrue();
                if (Files.exists(sock)) {
                    version = cli("pvesh", "get", "/version", "--output-format", "json");
                    if (version.exit() == 0) break;
                }
                Thread.sleep(200);
            }
            assertThat(version).isNotNull();
            assertThat(version.exit()).as(version.err()).isZero();
            assertThat(version.out()).contains("\"release\":\"8.4\"");
            assertThat(Files.readString(Path.of("/run/haven/havend.pid")).strip()).isEqualTo(Long.toString(d.pid()));
            assertThat(Files.exists(Path.of("/var/lib/haven/cfs/pve-root-ca.pem"))).isTrue();
            assertThat(Files.exists(Path.of("/var/lib/haven/cfs/nodes/sysnode/pve-ssl.pem"))).isTrue();
            assertThat(Files.exists(Path.of("/var/log/haven/havend.log"))).isTrue();
            // no generated administrator outside embedded mode
            assertThat(Files.exists(Path.of("/var/lib/haven/admin-password"))).isFalse();
            HavenNode.CliResult nodes = cli("pvesh", "get", "/nodes", "--output-format", "json");
            assertThat(nodes.out()).contains("\"node\":\"sysnode\"");
            d.destroy();
            assertThat(d.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.exists(Path.of("/run/haven/havend.pid"))).isFalse();
        } finally {
            if (d.isAlive()) {
                d.destroyForcibly();
                d.waitFor(30, TimeUnit.SECONDS);
            }
            for (Path p : SYSTEM_DIRS) deleteTree(p);
        }
    }
}
