package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.haven.cfs.ClusterService;
import org.haven.cfs.RaftClusterFs;
import org.haven.core.testing.E2eTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real {@code havend --witness} process gives a two-node cluster the deciding vote. */
@E2eTest
class HavendWitnessProcessTest {
    @TempDir Path dir;
    final List<ClusterService> open = new ArrayList<>();
    Process witness;

    @AfterEach
    void tearDown() throws Exception {
        for (ClusterService s : open) {
            try { s.close(); } catch (RuntimeException ignored) { }
        }
        if (witness != null) {
            witness.destroy();
            if (!witness.waitFor(20, TimeUnit.SECONDS)) witness.destroyForcibly().waitFor();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    ClusterService node(int i, int port) {
        ClusterService s = new ClusterService(ClusterService.Options.of(dir.resolve("n" + i), "n" + i, "127.0.0.1", port)
                .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(5)));
        open.add(s);
        return s;
    }

    static void await(Duration d, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("condition not reached within " + d);
            Thread.sleep(100);
        }
    }

    @Test
    void witnessProcessKeepsTheSurvivorWritable() throws Exception {
        int p1 = freePort(), p2 = freePort(), pw = freePort();
        ClusterService n1 = node(1, p1);
        await(Duration.ofSeconds(30), n1::isQuorate);
        n1.createCluster("duo", null, null, null);
        ClusterService n2 = node(2, p2);
        await(Duration.ofSeconds(30), n2::isQuorate);
        n2.join(n1.addNode("n2", null, "127.0.0.1", p2, null, false));
        await(Duration.ofSeconds(30), n2::isQuorate);
        RaftClusterFs.Config c1 = n1.replica().config();
        String java = ProcessHandle.current().info().command().orElse("java");
        witness = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Havend.class.getName(),
                "--witness", "--foreground", "--data-dir", dir.resolve("w").toString(), "--cfs-port", Integer.toString(pw),
                "--bind", "127.0.0.1", "--cluster", "duo", "--group", c1.groupId().toString(), "--generation", Long.toString(c1.generation()),
                "--peers", "n1:1:127.0.0.1:" + p1 + ",n2:2:127.0.0.1:" + p2)
                .redirectErrorStream(true).redirectOutput(dir.resolve("witness.out").toFile()).start();
        n1.qdeviceSetup("127.0.0.1", pw);
        await(Duration.ofSeconds(60), () -> n1.replica().raftPeers().equals(List.of("n1", "n2", "qdevice")));
        assertThat(witness.isAlive()).isTrue();
        n2.close();
        n1.writeString("with-one-node", "ok");
        await(Duration.ofSeconds(10), n1::isQuorate);
        n1.writeString("still", "ok");
        assertThat(n1.readString("still")).contains("ok");
        // without the witness the survivor has no majority
        witness.destroy();
        assertThat(witness.waitFor(20, TimeUnit.SECONDS)).isTrue();
        await(Duration.ofSeconds(30), () -> !n1.isQuorate());
    }
}
