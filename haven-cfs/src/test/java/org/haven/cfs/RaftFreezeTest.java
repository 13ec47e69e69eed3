package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.haven.core.testing.E2eTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose process is frozen (SIGSTOP: not dead, its TCP connections stay open and the kernel keeps accepting
 * on its port) costs the other nodes no more than a Raft election: the majority is quorate again and accepts
 * writes within the election timeout plus a small margin, whether the frozen node was the leader or a follower;
 * after SIGCONT the frozen node catches up with what it missed, and no acknowledged write is lost.
 */
@E2eTest
class RaftFreezeTest {
    static final long ELECTION_MS = 1000;
    /** The bound on the majority's outage: an election (timeout randomized up to twice the setting) plus a margin. */
    static final long OUTAGE_BOUND_MS = 2 * ELECTION_MS + 3000;

    @TempDir Path dir;

    static long waitFor(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long start = System.nanoTime(), deadline = start + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) return (System.nanoTime() - start) / 1_000_000L;
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + millis + " ms waiting for " + what);
    }

    @Test
    void frozenLeader() throws Exception {
        freeze(true);
    }

    @Test
    void frozenFollower() throws Exception {
        freeze(false);
    }

    void freeze(boolean leader) throws Exception {
        try (CfsProcessCluster c = new CfsProcessCluster(dir, 3, ELECTION_MS).startAll()) {
            CfsProcessCluster.Node[] n = c.nodes;
            waitFor("quorum on all nodes", 60_000, () -> n[0].quorate() && n[1].quorate() && n[2].quorate());
            for (CfsProcessCluster.Node x : n) waitFor("a write on " + x.name, 30_000, () -> x.write("before-" + x.name, "1").equals("ok"));
            int lead = c.index(n[0].leader());
            int victim = leader ? lead : (lead + 1) % 3;
            List<CfsProcessCluster.Node> majority = new ArrayList<>();
            for (int i = 0; i < 3; i++) if (i != victim) majority.add(n[i]);

            c.freeze(victim, true);
            long outage = 0;
            for (CfsProcessCluster.Node x : majority) {
                outage = Math.max(outage, waitFor("a write on " + x.name + " with " + n[victim].name + " frozen", 120_000,
                        () -> x.write("during-" + x.name, "2").equals("ok")));
            }
            System.out.printf("majority writable %d ms after %s (%s) froze%n", outage, n[victim].name, leader ? "leader" : "follower");
            for (CfsProcessCluster.Node x : majority) assertThat(x.quorate()).as(x.name + " quorate").isTrue();
            assertThat(outage).as("ms until the majority accepts writes").isLessThan(OUTAGE_BOUND_MS);
            // more acknowledged writes while the node is frozen
            for (int i = 0; i < 20; i++) {
                CfsProcessCluster.Node x = majority.get(i % 2);
                assertThat(x.write("during-" + i, Integer.toString(i))).as(x.name + " write " + i).isEqualTo("ok");
            }

            c.freeze(victim, false);
            CfsProcessCluster.Node v = n[victim];
            waitFor(v.name + " back in the quorum", 60_000, () -> v.quorate() && v.cmd("sync").equals("ok"));
            for (CfsProcessCluster.Node x : n) {
                assertThat(x.cmd("sync")).isEqualTo("ok");
                for (CfsProcessCluster.Node w : n) assertThat(x.read("before-" + w.name)).isEqualTo("1");
                for (CfsProcessCluster.Node w : majority) assertThat(x.read("during-" + w.name)).isEqualTo("2");
                for (int i = 0; i < 20; i++) assertThat(x.read("during-" + i)).as(x.name + " during/" + i).isEqualTo(Integer.toString(i));
            }
            assertThat(v.write("after", "3")).isEqualTo("ok");
        }
    }
}
