package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.haven.core.testing.E2eTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose process is frozen (SIGSTOP: not dead, its TCP connections stay open and the kernel keeps accepting
 * on its port) costs the other nodes no more than a Raft election: the majority is quorate again and accepts
 * writes within {@link #OUTAGE_BOUND_MS}, whether the frozen node was the leader or a follower;
 * after SIGCONT (or a restart) the frozen node catches up with what it missed, and no acknowledged write, on any
 * node, is lost.
 */
@E2eTest
class RaftFreezeTest {
    static final long ELECTION_MS = 1000;
    /**
     * The bound on the majority's outage: an election (timeout randomized up to twice the setting), one more round when
     * the first candidate's pre-vote is refused by a node that still hears the old leader, and a margin for a loaded machine.
     */
    static final long OUTAGE_BOUND_MS = 4 * ELECTION_MS + 4000;

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
    void frozenLeaderResumes() throws Exception {
        freeze(true, false);
    }

    @Test
    void frozenFollowerResumes() throws Exception {
        freeze(false, false);
    }

    /** The frozen leader is killed while frozen and started again: it catches up from its data directory and the new leader. */
    @Test
    void frozenLeaderKilledAndRestarted() throws Exception {
        freeze(true, true);
    }

    void freeze(boolean leader, boolean killWhileFrozen) throws Exception {
        try (CfsProcessCluster c = new CfsProcessCluster(dir, 3, ELECTION_MS).startAll()) {
            CfsProcessCluster.Node[] n = c.nodes;
            waitFor("quorum on all nodes", 60_000, () -> n[0].quorate() && n[1].quorate() && n[2].quorate());
            for (CfsProcessCluster.Node x : n) waitFor("a write on " + x.name, 30_000, () -> x.write("before-" + x.name, "1").equals("ok"));
            int lead = c.index(n[0].leader());
            int victim = leader ? lead : (lead + 1) % 3;
            CfsProcessCluster.Node v = n[victim];
            List<CfsProcessCluster.Node> majority = new ArrayList<>();
            for (int i = 0; i < 3; i++) if (i != victim) majority.add(n[i]);

            // writers on every node while the victim freezes: the victim's last write is in flight when it stops
            List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (CfsProcessCluster.Node x : n) {
                writers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        String path = "w-" + x.name + "-" + i;
                        String r;
                        try {
                            r = x.write(path, path);
                        } catch (IllegalStateException e) {
                            return; // the process was killed
                        }
                        if (r.equals("ok")) acknowledged.add(path);
                        else if (r.equals("err process ended")) return;
                    }
                }));
            }
            Thread.sleep(300);
            c.freeze(victim, true);
            long outage = 0;
            for (CfsProcessCluster.Node x : majority) {
                outage = Math.max(outage, waitFor("a write on " + x.name + " with " + v.name + " frozen", 120_000,
                        () -> x.write("during-" + x.name, "2").equals("ok")));
            }
            System.out.printf("majority writable %d ms after %s (%s) froze%n", outage, v.name, leader ? "leader" : "follower");
            for (CfsProcessCluster.Node x : majority) assertThat(x.quorate()).as(x.name + " quorate").isTrue();
            assertThat(outage).as("ms until the majority accepts writes").isLessThan(OUTAGE_BOUND_MS);
            Thread.sleep(1000);

            if (killWhileFrozen) {
                c.kill(victim);
                c.start(victim);
            } else {
                c.freeze(victim, false);
            }
            CfsProcessCluster.Node w = c.nodes[victim];
            waitFor(w.name + " back in the quorum", 60_000, () -> w.quorate() && w.cmd("sync").equals("ok"));
            Thread.sleep(500);
            stop.set(true);
            for (Thread t : writers) t.join(60_000);
            assertThat(w.write("after", "3")).isEqualTo("ok");
            assertThat(acknowledged).as("writes acknowledged by the majority during the freeze")
                    .anyMatch(p -> p.startsWith("w-" + majority.get(0).name)).anyMatch(p -> p.startsWith("w-" + majority.get(1).name));
            for (CfsProcessCluster.Node x : c.nodes) {
                assertThat(x.cmd("sync")).isEqualTo("ok");
                for (CfsProcessCluster.Node y : c.nodes) assertThat(x.read("before-" + y.name)).isEqualTo("1");
                for (CfsProcessCluster.Node y : majority) assertThat(x.read("during-" + y.name)).isEqualTo("2");
                List<String> lost = new ArrayList<>();
                for (String path : List.copyOf(acknowledged)) if (!path.equals(x.read(path))) lost.add(path);
                assertThat(lost).as("acknowledged writes missing on " + x.name + " (of " + acknowledged.size() + ")").isEmpty();
                assertThat(x.read("after")).isEqualTo("3");
            }
        }
    }
}
