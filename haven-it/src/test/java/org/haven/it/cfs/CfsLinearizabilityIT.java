package org.haven.it.cfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.haven.cfs.lin.LinearizabilityChecker;
import org.haven.cfs.lin.LinearizabilityChecker.Kind;
import org.haven.cfs.lin.LinearizabilityChecker.Op;
import org.haven.core.testing.E2eTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients on all three node processes read (with a read barrier), write and compare-and-set cfs files while a
 * nemesis cuts nodes off the network and kills/restarts them; the recorded history must be linearizable per
 * file and every acknowledged write must be accounted for.
 */
@E2eTest
class CfsLinearizabilityIT {
    @TempDir Path dir;

    static final String[] KEYS = {"lin-a", "lin-b"};
    static final int FAULTS = 6;

    /** A command whose answer is lost (process killed, pipe closed) counts as failed with unknown outcome. */
    static String safe(CfsNetnsCluster.Node n, String line) {
        try {
            return n.cmd(line);
        } catch (RuntimeException e) {
            return "err " + e.getMessage();
        }
    }

    @Test
    void historyUnderPartitionsAndCrashesIsLinearizable() throws Exception {
        CfsNetnsCluster.require();
        try (CfsNetnsCluster c = new CfsNetnsCluster(dir, 3).network()) {
            for (int i = 0; i < 3; i++) c.start(i);
            CfsProcessClusterTest.waitFor("quorum", 60, () -> c.nodes[0].quorate() && c.nodes[1].quorate() && c.nodes[2].quorate());
            List<Op> history = Collections.synchronizedList(new ArrayList<>());
            Map<Integer, String> keyOf = new ConcurrentHashMap<>();
            AtomicInteger ids = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            Base64.Encoder enc = Base64.getEncoder();
            List<Thread> clients = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int client = t;
                clients.add(Thread.ofPlatform().start(() -> {
                    Random r = new Random(500 + client);
                    while (!stop.get()) {
                        CfsNetnsCluster.Node n = c.nodes[r.nextInt(3)];
                        if (n == null) continue;
                        String key = KEYS[r.nextInt(KEYS.length)];
                        int id = ids.incrementAndGet();
                        keyOf.put(id, key);
                        {
                            switch (r.nextInt(3)) {
                                case 0 -> {
                                    String v = "w" + id;
                                    long s = System.nanoTime();
                                    String res = safe(n, "write " + key + " " + enc.encodeToString(v.getBytes(StandardCharsets.UTF_8)));
                                    if (!res.endsWith("(not submitted)")) {
                                        history.add(res.equals("ok") ? new Op(id, Kind.WRITE, null, v, true, false, s, System.nanoTime())
                                                : new Op(id, Kind.WRITE, null, v, false, true, s, 0));
                                    }
                                }
                                case 1 -> {
                                    long s = System.nanoTime();
                                    String res = safe(n, "sread " + key);
                                    long e = System.nanoTime();
                                    if (res.equals("none")) history.add(new Op(id, Kind.READ, null, null, true, false, s, e));
                                    else if (res.startsWith("ok ")) {
                                        history.add(new Op(id, Kind.READ, null,
                                                new String(Base64.getDecoder().decode(res.substring(3)), StandardCharsets.UTF_8), true, false, s, e));
                                    }
                                }
                                default -> {
                                    String cur = safe(n, "readv " + key);
                                    if (cur.startsWith("err")) break;
                                    String expect = null;
                                    long ver = 0;
                                    if (!cur.equals("none")) {
                                        String[] f = cur.split(" ");
                                        ver = Long.parseLong(f[1]);
                                        expect = new String(Base64.getDecoder().decode(f[2]), StandardCharsets.UTF_8);
                                    }
                                    String v = "c" + id;
                                    long s = System.nanoTime();
                                    String res = safe(n, "cas " + key + " " + ver + " " + enc.encodeToString(v.getBytes(StandardCharsets.UTF_8)));
                                    if (res.equals("ok true") || res.equals("ok false")) {
                                        history.add(new Op(id, Kind.CAS, expect, v, res.equals("ok true"), false, s, System.nanoTime()));
                                    } else if (!res.endsWith("(not submitted)")) {
                                        history.add(new Op(id, Kind.CAS, expect, v, false, true, s, 0));
                                    }
                                }
                            }
                        }
                    }
                }));
            }
            // the nemesis: a number of faults (not a time span: a restart takes longer on a busy machine), each cutting
            // one node off the network for a while or killing and restarting it
            Random nr = new Random(11);
            int faults = 0;
            while (faults < FAULTS) {
                Thread.sleep(1000 + nr.nextInt(1000));
                int i = nr.nextInt(3);
                if (nr.nextBoolean()) {
                    c.link(i, false);
                    Thread.sleep(2500 + nr.nextInt(2000));
                    c.link(i, true);
                } else {
                    CfsNetnsCluster.Node victim = c.nodes[i];
                    c.nodes[i] = null;
                    if (victim != null) {
                        victim.process.destroyForcibly();
                        victim.process.waitFor();
                    }
                    Thread.sleep(1500 + nr.nextInt(1500));
                    c.start(i);
                }
                faults++;
            }
            CfsProcessClusterTest.waitFor("quorum after the nemesis", 60,
                    () -> c.nodes[0].quorate() && c.nodes[1].quorate() && c.nodes[2].quorate());
            stop.set(true);
            for (Thread t : clients) t.join(60_000);
            for (int i = 0; i < 3; i++) {
                for (String key : KEYS) {
                    int id = ids.incrementAndGet();
                    keyOf.put(id, key);
                    long s = System.nanoTime();
                    String res = c.nodes[i].cmd("sread " + key);
                    for (int tries = 0; res.startsWith("err") && tries < 60; tries++) {
                        Thread.sleep(500);
                        res = c.nodes[i].cmd("sread " + key);
                    }
                    assertThat(res).as("final read on n%d", i + 1).doesNotStartWith("err");
                    String v = res.equals("none") ? null : new String(Base64.getDecoder().decode(res.substring(3)), StandardCharsets.UTF_8);
                    history.add(new Op(id, Kind.READ, null, v, true, false, s, System.nanoTime()));
                }
            }
            Map<String, List<Op>> byKey = new TreeMap<>();
            int completed = 0;
            synchronized (history) {
                for (Op o : history) {
                    byKey.computeIfAbsent(keyOf.get(o.id()), k -> new ArrayList<>()).add(o);
                    if (!o.unknown()) completed++;
                }
            }
            for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
                assertThat(LinearizabilityChecker.check(e.getValue(), null).linearizable())
                        .as("history of %s (%d ops) is linearizable", e.getKey(), e.getValue().size()).isTrue();
            }
            assertThat(completed).isGreaterThan(20);
            System.out.printf("cfs linearizability: %d ops, %d completed, %d faults%n", history.size(), completed, faults);
        }
    }
}
