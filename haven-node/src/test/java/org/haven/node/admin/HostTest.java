package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.haven.api.TestNodeContext;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An embedded node reads the machine's etc files until it has written its own, and writes only below its data directory. */
class HostTest {
    @TempDir Path tmp;

    @Test
    void embeddedNodeWritesItsOwnEtcFiles() throws Exception {
        TestNodeContext ctx = new TestNodeContext(new LocalClusterFs(tmp.resolve("cfs"), "n1"),
                new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM), null, tmp, Clock.SYSTEM);
        Host host = Host.of(ctx);
        assertThat(host.root()).isEqualTo(Path.of("/"));
        assertThat(host.etc()).isEqualTo(ctx.dataDir().resolve("host/etc"));
        String machine = Files.readString(Path.of("/etc/hosts"));
        assertThat(host.readEtc("hosts")).isEqualTo(machine);

        host.writeEtc("hosts", "127.0.0.1 localhost\n");
        assertThat(host.readEtc("hosts")).isEqualTo("127.0.0.1 localhost\n");
        assertThat(Files.readString(ctx.dataDir().resolve("host/etc/hosts"))).isEqualTo("127.0.0.1 localhost\n");
        assertThat(Files.readString(Path.of("/etc/hosts"))).isEqualTo(machine);
        assertThat(host.readEtc("no-such-file")).isEmpty();
        try (var s = Files.list(host.etc())) {
            assertThat(s).containsExactly(host.etc().resolve("hosts"));
        }
    }
}
