package org.haven.it.cfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.haven.core.testing.E2eTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicated cfs nodes as separate processes in their own network namespaces: replication, a VMID
 * race between nodes, SIGKILL of one and two nodes (the survivor is read-only with PVE's message), restart
 * and catch-up, and a node cut off the network (read-only while the majority continues; converges on heal).
 */
@E2eTest
class CfsProcessClusterTest {
    @TempDir Path dir;

    static void waitFor(String what, int seconds, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (cond.getAsBoolean()) return;
            } catch (RuntimeException e) {
                // not yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    /**
     * A node of a quorate majority accepts writes within a bounded time (right after a membership change a
     * new leader may still be in election, exactly as corosync needs a token round before it is quorate).
     */
    static void writes(CfsNetnsCluster.Node node, String path, String content) throws InterruptedException {
        waitFor("write of " + path, 30, () -> node.write(path, content).equals("ok"));
    }

    @Test
    void crashesPartitionsAndRaces() throws Exception {
        CfsNetnsCluster.require();
        try (CfsNetnsCluster c = new CfsNetnsCluster(dir, 3).network()) {
            for (int i = 0; i < 3; i++) c.start(i);
            CfsNetnsCluster.Node[] n = c.nodes;
            waitFor("quorum on all nodes", 60, () -> n[0].quorate() && n[1].quorate() && n[2].quorate());

            // a write on any node is visible on all
            writes(n[0], "storage.cfg", "dir: local\n");
            for (CfsNetnsCluster.Node x : n) {
                assertThat(x.cmd("sync")).isEqualTo("ok");
                assertThat(x.read("storage.cfg")).isEqualTo("dir: local\n");
            }
            for (String d : List.of("nodes/n1/qemu-server", "nodes/n2/lxc", "nodes/n3/qemu-server")) {
                waitFor("mkdirs " + d, 30, () -> n[0].cmd("mkdirs " + d).equals("ok"));
            }
            waitFor("status plane sees all", 10, () -> n[1].cmd("online").equals("ok n1,n2,n3"));

            // two nodes race to create the same VMID: exactly one wins
            for (int vmid = 400; vmid < 405; vmid++) {
                ExecutorService ex = Executors.newFixedThreadPool(3);
                try {
                    List<Future<String>> res = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        int k = i;
                        int v = vmid;
                        res.add(ex.submit((Callable<String>) () -> n[k].create("nodes/n" + (k + 1) + "/" + (k == 1 ? "lxc" : "qemu-server")
                                + "/" + v + ".conf", "x")));
                    }
                    int wins = 0;
                    for (Future<String> f : res) {
                        String r = f.get();
                        if (r.equals("ok")) wins++;
                        else assertThat(r).contains("File exists");
                    }
                    assertThat(wins).as("winners for VMID %d", vmid).isEqualTo(1);
                } finally {
                    ex.shutdownNow();
                }
            }

            // kill -9 one node: the other two stay writable
            c.kill(2);
            writes(n[0], "a.cfg", "1");
            writes(n[1], "a.cfg", "2");

            // kill -9 a second node once the survivor has applied the last write (a node reads its own copy): the
            // survivor is read-only with PVE's message, reads still work
            waitFor("node 1 applies the last write", 30, () -> "2".equals(n[0].read("a.cfg")));
            c.kill(1);
            waitFor("survivor loses quorum", 30, () -> !n[0].quorate());
            assertThat(n[0].write("a.cfg", "3")).startsWith("err cluster not ready - no quorum?");
            assertThat(n[0].read("a.cfg")).isEqualTo("2");

            // restart both: they catch up and the cluster is writable again
            c.start(1);
            c.start(2);
            waitFor("quorum after restart", 60, () -> n[0].quorate() && c.nodes[1].quorate() && c.nodes[2].quorate());
            writes(n[0], "a.cfg", "4");
            assertThat(c.nodes[2].cmd("sync")).isEqualTo("ok");
            assertThat(c.nodes[2].read("a.cfg")).isEqualTo("4");
            assertThat(c.nodes[2].read("storage.cfg")).isEqualTo("dir: local\n");

            // cut n1 off the network: it becomes read-only, n2 and n3 continue
            CfsNetnsCluster.Node n1 = c.nodes[0], n2 = c.nodes[1], n3 = c.nodes[2];
            c.link(0, false);
            waitFor("partitioned node loses quorum", 30, () -> !n1.quorate());
            assertThat(n1.write("b.cfg", "minority")).startsWith("err cluster not ready - no quorum?");
            writes(n2, "b.cfg", "majority");
            writes(n3, "c.cfg", "3");
            // heal: everyone converges on the majority's writes
            c.link(0, true);
            waitFor("healed node rejoins", 60, () -> n1.quorate() && n1.cmd("sync").equals("ok"));
            assertThat(n1.read("b.cfg")).isEqualTo("majority");
            assertThat(n1.read("c.cfg")).isEqualTo("3");
            writes(n1, "d.cfg", "after heal");
            assertThat(n3.cmd("sync")).isEqualTo("ok");
            assertThat(n3.read("d.cfg")).isEqualTo("after heal");
        }
    }
}
