package org.haven.cfs.lin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.haven.cfs.CfsLimits;
import org.haven.cfs.CfsNode;
import org.haven.cfs.RaftClusterFs;
import org.haven.cfs.lin.LinearizabilityChecker.Kind;
import org.haven.cfs.lin.LinearizabilityChecker.Op;
import org.haven.core.cfs.CfsException;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent clients on all three nodes read, write and compare-and-set a few cfs files while a nemesis
 * kills and restarts nodes (sometimes two at once, leaving a minority); the recorded history must be
 * linearizable per file, and the final state must include every acknowledged write's effect.
 */
class RaftLinearizabilityTest {
    @TempDir Path dir;

    static final String[] KEYS = {"lin-a", "lin-b", "lin-c"};

    @Test
    void historyUnderCrashesIsLinearizable() throws Exception {
        List<CfsNode> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) nodes.add(new CfsNode("n" + i, i, "127.0.0.1", freePort()));
        AtomicReferenceArray<RaftClusterFs> fs = new AtomicReferenceArray<>(3);
        java.util.function.IntFunction<RaftClusterFs.Config> cfg = i -> new RaftClusterFs.Config("lin", RaftClusterFs.groupUuid("lin"), 0,
                nodes.get(i), nodes, dir.resolve("n" + (i + 1)), Clock.SYSTEM, CfsLimits.PVE, Duration.ofMillis(300), Duration.ofSeconds(3));
        try {
            for (int i = 0; i < 3; i++) fs.set(i, RaftClusterFs.start(cfg.apply(i)));
            await().atMost(Duration.ofSeconds(30)).until(() -> fs.get(0).isQuorate() && fs.get(1).isQuorate() && fs.get(2).isQuorate());

            List<Op> history = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger ids = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            long t0 = System.nanoTime();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int client = c;
                clients.add(Thread.ofPlatform().name("lin-client-" + c).start(() -> {
                    Random r = new Random(1000 + client);
                    while (!stop.get()) {
                        RaftClusterFs f = fs.get(r.nextInt(3));
                        if (f == null) { sleep(20); continue; }
                        String key = KEYS[r.nextInt(KEYS.length)];
                        int id = ids.incrementAndGet();
                        int kind = r.nextInt(3);
                        try {
                            if (kind == 0) {
                                String v = "w" + id;
                                long s = System.nanoTime();
                                try {
                                    f.writeString(key, v);
                                    history.add(tag(key, new Op(id, Kind.WRITE, null, v, true, false, s, System.nanoTime())));
                                } catch (RaftClusterFs.NotSubmittedException e) {
                                    // refused before it was proposed: it did not happen
                                } catch (CfsException e) {
                                    history.add(tag(key, new Op(id, Kind.WRITE, null, v, false, true, s, 0)));
                                }
                            } else if (kind == 1) {
                                long s = System.nanoTime();
                                f.sync();
                                String v = f.readString(key).orElse(null);
                                history.add(tag(key, new Op(id, Kind.READ, null, v, true, false, s, System.nanoTime())));
                            } else {
                                f.sync();
                                Optional<RaftClusterFs.Versioned> cur = f.readVersioned(key);
                                String expect = cur.map(x -> new String(x.data(), StandardCharsets.UTF_8)).orElse(null);
                                long ver = cur.map(RaftClusterFs.Versioned::version).orElse(0L);
                                String v = "c" + id;
                                long s = System.nanoTime();
                                try {
                                    boolean ok = f.compareAndWrite(key, ver, v.getBytes(StandardCharsets.UTF_8)) > 0;
                                    history.add(tag(key, new Op(id, Kind.CAS, expect, v, ok, false, s, System.nanoTime())));
                                } catch (RaftClusterFs.NotSubmittedException e) {
                                    // refused before it was proposed: it did not happen
                                } catch (CfsException e) {
                                    history.add(tag(key, new Op(id, Kind.CAS, expect, v, false, true, s, 0)));
                                }
                            }
                        } catch (CfsException e) {
                            // a read or the CAS's preparatory read failed: nothing was recorded
                            sleep(50);
                        }
                    }
                }));
            }
            // nemesis: crash and restart nodes, sometimes leaving only one running
            Random nr = new Random(7);
            long end = System.nanoTime() + Duration.ofSeconds(16).toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(1500 + nr.nextInt(1500));
                int running = 0;
                for (int i = 0; i < 3; i++) if (fs.get(i) != null) running++;
                int i = nr.nextInt(3);
                if (fs.get(i) != null && running >= 2) {
                    RaftClusterFs victim = fs.getAndSet(i, null);
                    victim.close();
                } else if (fs.get(i) == null) {
                    fs.set(i, RaftClusterFs.start(cfg.apply(i)));
                }
            }
            for (int i = 0; i < 3; i++) if (fs.get(i) == null) fs.set(i, RaftClusterFs.start(cfg.apply(i)));
            await().atMost(Duration.ofSeconds(30)).until(() -> fs.get(0).isQuorate() && fs.get(1).isQuorate() && fs.get(2).isQuorate());
            Thread.sleep(1000);
            stop.set(true);
            for (Thread t : clients) t.join(30_000);
            // final reads on every node
            for (int i = 0; i < 3; i++) {
                for (String key : KEYS) {
                    int id = ids.incrementAndGet();
                    long s = System.nanoTime();
                    RaftClusterFs node = fs.get(i);
                    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                        node.sync();
                        return true;
                    });
                    String v = node.readString(key).orElse(null);
                    history.add(tag(key, new Op(id, Kind.READ, null, v, true, false, s, System.nanoTime())));
                }
            }
            Map<String, List<Op>> byKey = new TreeMap<>();
            synchronized (history) {
                for (Op o : history) byKey.computeIfAbsent(KEY.get(o.id()), k -> new ArrayList<>()).add(o);
            }
            int completed = 0;
            for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
                List<Op> ops = e.getValue();
                completed += (int) ops.stream().filter(o -> !o.unknown()).count();
                LinearizabilityChecker.Result res = LinearizabilityChecker.check(ops, null);
                assertThat(res.inconclusive()).as("checker gave up on %s (%d ops, %d unknown)", e.getKey(), ops.size(),
                        ops.stream().filter(Op::unknown).count()).isFalse();
                assertThat(res.linearizable()).as("history of %s (%d ops) is linearizable", e.getKey(), ops.size()).isTrue();
            }
            assertThat(completed).as("completed operations").isGreaterThan(100);
            System.out.printf("linearizability: %d ops (%d completed) in %.1f s%n", history.size(), completed,
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            for (int i = 0; i < 3; i++) if (fs.get(i) != null) fs.get(i).close();
        }
    }

    private static final Map<Integer, String> KEY = new java.util.concurrent.ConcurrentHashMap<>();

    private static Op tag(String key, Op op) {
        KEY.put(op.id(), key);
        return op;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }
}
