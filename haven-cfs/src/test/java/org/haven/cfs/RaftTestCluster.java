package org.haven.cfs;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.haven.core.time.Clock;

/** Several {@link RaftClusterFs} peers in this JVM on loopback ports, each with its own data directory. */
final class RaftTestCluster implements AutoCloseable {
    final List<CfsNode> nodes = new ArrayList<>();
    final RaftClusterFs[] fs;
    final Path base;
    final String name;
    CfsLimits limits = CfsLimits.PVE;
    Clock clock = Clock.SYSTEM;

    RaftTestCluster(Path base, int n) {
        this.base = base;
        this.name = "test-" + base.getFileName();
        for (int i = 1; i <= n; i++) nodes.add(new CfsNode("n" + i, i, "127.0.0.1", freePort()));
        fs = new RaftClusterFs[n];
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    RaftClusterFs.Config config(int i) {
        return new RaftClusterFs.Config(name, RaftClusterFs.groupUuid(name), 0, nodes.get(i), nodes, base.resolve(nodes.get(i).name()), clock, limits,
                Duration.ofMillis(300), Duration.ofSeconds(10));
    }

    RaftTestCluster startAll() {
        for (int i = 0; i < fs.length; i++) start(i);
        return this;
    }

    RaftClusterFs start(int i) {
        fs[i] = RaftClusterFs.start(config(i));
        return fs[i];
    }

    void stop(int i) {
        if (fs[i] != null) fs[i].close();
        fs[i] = null;
    }

    @Override
    public void close() {
        for (int i = 0; i < fs.length; i++) {
            try {
                stop(i);
            } catch (RuntimeException e) {
                // keep closing the others
            }
        }
    }
}
