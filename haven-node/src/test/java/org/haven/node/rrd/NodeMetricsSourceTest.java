package org.haven.node.rrd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiTree;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.metrics.GraphiteFormat;
import org.haven.metrics.Snapshot;
import org.haven.node.OfflineApi;
import org.haven.storage.api.StorageApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeMetricsSourceTest {

    @Test
    void nicsOfProcNetDev() {
        String dev = """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                    lo:    5000      50    0    0    0     0          0         0     5000      50    0    0    0     0       0          0
                  eth0: 1234567    1000    0    0    0     0          0         0   7654321     900    0    0    0     0       0          0
                """;
        assertThat(NodeMetricsSource.nics(dev)).isEqualTo(Map.of(
                "lo", Map.of("receive", 5000L, "receive_packets", 50L, "transmit", 5000L, "transmit_packets", 50L),
                "eth0", Map.of("receive", 1234567L, "receive_packets", 1000L, "transmit", 7654321L, "transmit_packets", 900L)));
    }

    @Test
    void collectsThisHostsFigures(@TempDir Path tmp) {
        try (FileTaskManager tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM)) {
            TestNodeContext ctx = new TestNodeContext(new LocalClusterFs(tmp.resolve("cfs"), "n1"), tasks, null, tmp, Clock.SYSTEM);
            Snapshot s = new NodeMetricsSource(ctx, StorageApi.storageManager(ctx), List::of).collect(1234);
            assertThat(s.node()).isEqualTo("n1");
            assertThat(((Number) s.nodeData().get("uptime")).longValue()).isPositive();
            @SuppressWarnings("unchecked") Map<String, Object> mem = (Map<String, Object>) s.nodeData().get("memory");
            assertThat((Long) mem.get("memtotal")).isGreaterThan((Long) mem.get("memused")).isPositive();
            @SuppressWarnings("unchecked") Map<String, Object> cpu = (Map<String, Object>) s.nodeData().get("cpustat");
            assertThat(cpu).containsKeys("cpu", "wait", "cpus", "avg1", "avg5", "avg15", "user", "idle");
            assertThat(s.nodeData().get("nics")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsKey("lo");
            assertThat(GraphiteFormat.lines("proxmox", s)).anySatisfy(l -> assertThat(l).startsWith("proxmox.nodes.n1.memory.memtotal "));
        }
    }

    @Test
    void theNodeServesTheMetricsApi() throws Exception {
        ApiTree tree = OfflineApi.build();
        for (String p : new String[] {"/cluster/metrics", "/cluster/metrics/server", "/cluster/metrics/export"})
            assertThat(tree.lookup(p).node().methods()).containsKey(HttpMethod.GET);
        assertThat(tree.lookup("/cluster/metrics/server/g1").node().methods())
                .containsOnlyKeys(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE);
    }
}
