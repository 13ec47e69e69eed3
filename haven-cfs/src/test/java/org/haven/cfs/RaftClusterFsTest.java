package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RaftClusterFsTest {
    @TempDir Path dir;
    RaftTestCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) cluster.close();
    }

    private void awaitQuorate(RaftClusterFs... nodes) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (RaftClusterFs n : nodes) if (!n.isQuorate()) return false;
            return true;
        });
    }

    @Test
    void writesOnAnyNodeAreVisibleOnAll() {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        fs[0].writeString("storage.cfg", "dir: local\n");
        // read-your-writes on the writer, and the others converge
        assertThat(fs[0].readString("storage.cfg")).contains("dir: local\n");
        for (RaftClusterFs f : fs) {
            await().atMost(Duration.ofSeconds(10)).until(() -> f.readString("storage.cfg").isPresent());
        }
        fs[2].writeString("storage.cfg", "dir: local2\n");
        fs[1].sync();
        assertThat(fs[1].readString("storage.cfg")).contains("dir: local2\n");
        assertThat(fs[1].writer("storage.cfg")).contains(3);
        // every node created its own directory
        await().atMost(Duration.ofSeconds(10)).until(() -> fs[0].list("nodes").size() == 3);
        assertThat(fs[0].list("nodes")).extracting(ClusterFs.Entry::name).containsExactly("n1", "n2", "n3");
        // the virtual links point at each node's own directory
        fs[1].writeString("qemu-server/100.conf", "memory: 512\n");
        fs[0].sync();
        assertThat(fs[0].readString("nodes/n2/qemu-server/100.conf")).contains("memory: 512\n");
        assertThat(fs[0].read("qemu-server/100.conf")).isEmpty();
        assertThat(fs[0].readString(".vmlist").orElseThrow()).contains("\"100\": { \"node\": \"n2\", \"type\": \"qemu\"");
    }

    /**
     * Writers on every node while the leader fails again and again: a change is applied at most once (a node
     * that sends its changes again after a leader change must not have them applied twice), and every
     * acknowledged change is there.
     */
    @Test
    void changesApplyOnceWhileLeadersFail() throws Exception {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        fs[0].mkdirs("w");
        int observer = 0;
        while (fs[observer].leader().orElse("").equals(cluster.nodes.get(observer).name())) observer++;
        java.util.Map<String, AtomicInteger> applied = new java.util.concurrent.ConcurrentHashMap<>();
        fs[observer].watch("w", p -> {
            if (p.startsWith("w/")) applied.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet();
        });
        List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int node = t % 3;
            int writer = t;
            writers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String path = "w/" + writer + "-" + i;
                    RaftClusterFs f = cluster.fs[node];
                    try {
                        if (f == null) throw new CfsException("node down");
                        f.writeString(path, "x");
                        acknowledged.add(path);
                    } catch (CfsException e) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            }));
        }
        int failovers = 0;
        for (int round = 0; round < 3; round++) {
            Thread.sleep(700);
            String leader = fs[observer].leader().orElse("");
            int victim = -1;
            for (int i = 0; i < 3; i++) if (cluster.nodes.get(i).name().equals(leader) && i != observer) victim = i;
            if (victim < 0) continue;
            cluster.stop(victim);
            failovers++;
            Thread.sleep(1200);
            cluster.start(victim);
            awaitQuorate(cluster.fs);
        }
        Thread.sleep(500);
        stop.set(true);
        for (Thread w : writers) w.join();
        RaftClusterFs obs = cluster.fs[observer];
        obs.sync();
        assertThat(failovers).isPositive();
        assertThat(acknowledged).hasSizeGreaterThan(50);
        await().atMost(Duration.ofSeconds(5)).until(() -> applied.keySet().containsAll(acknowledged));
        for (String p : acknowledged) assertThat(obs.read(p)).as(p).isPresent();
        assertThat(applied.entrySet()).allSatisfy(e -> assertThat(e.getValue().get()).as(e.getKey()).isEqualTo(1));
    }

    @Test
    void survivesOneFailureAndMinorityIsReadOnly() {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        fs[0].writeString("a.cfg", "1");
        String leader = fs[0].leader().orElseThrow();
        int li = Integer.parseInt(leader.substring(1)) - 1;
        // kill the leader: the other two elect a new one and stay writable; a write made while they elect it
        // waits for it, as a pmxcfs write waits while corosync re-forms the membership
        int x = (li + 1) % 3, y = (li + 2) % 3;
        awaitQuorate(fs[x], fs[y]);
        cluster.stop(li);
        await().atMost(Duration.ofSeconds(10)).until(() -> !fs[x].isQuorate() || !fs[x].leader().orElse(leader).equals(leader));
        fs[x].writeString("a.cfg", "2");
        fs[y].sync();
        assertThat(fs[y].readString("a.cfg")).contains("2");
        // lose a second node: the survivor is read-only with PVE's message, reads still work; once it has been
        // without quorum for longer than an election takes, a change fails at once
        cluster.stop(x);
        await().atMost(Duration.ofSeconds(30)).until(() -> !fs[y].isQuorate());
        assertThatThrownBy(() -> fs[y].writeString("a.cfg", "3")).isInstanceOf(CfsException.class)
                .hasMessage("cluster not ready - no quorum?");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> fs[y].writeString("a.cfg", "3")).isInstanceOf(RaftClusterFs.NotSubmittedException.class)
                .hasMessage("cluster not ready - no quorum?");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        assertThatThrownBy(() -> fs[y].withLock("file-a", Duration.ofMillis(500), () -> 1)).isInstanceOf(CfsException.class)
                .hasMessage("cfs-lock 'file-a' error: no quorum!");
        assertThat(fs[y].tryLock("ha_manager_lock")).isFalse();
        assertThat(fs[y].readString("a.cfg")).contains("2");
        // restart both: they catch up and the cluster is writable again
        cluster.start(li);
        cluster.start(x);
        awaitQuorate(fs[0], fs[1], fs[2]);
        fs[y].writeString("a.cfg", "4");
        for (RaftClusterFs f : cluster.fs) {
            f.sync();
            assertThat(f.readString("a.cfg")).contains("4");
        }
    }

    @Test
    void racingCreatesOfOneVmidHaveExactlyOneWinner() throws Exception {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        await().atMost(Duration.ofSeconds(10)).until(() -> fs[0].list("nodes").size() == 3);
        for (RaftClusterFs f : fs) f.sync();
        ExecutorService ex = Executors.newFixedThreadPool(6);
        try {
            for (int vmid = 200; vmid < 210; vmid++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> res = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    RaftClusterFs f = fs[i % 3];
                    String path = (i < 3 ? "qemu-server/" : "lxc/") + vmid + ".conf";
                    res.add(ex.submit(() -> {
                        go.await();
                        try {
                            f.create(path, "x".getBytes(StandardCharsets.UTF_8));
                            return true;
                        } catch (CfsException e) {
                            assertThat(e).hasMessageContaining("File exists");
                            return false;
                        }
                    }));
                }
                go.countDown();
                int wins = 0;
                for (Future<Boolean> r : res) if (r.get()) wins++;
                assertThat(wins).as("winners for %d", vmid).isEqualTo(1);
            }
        } finally {
            ex.shutdownNow();
        }
        fs[0].sync();
        String vmlist = fs[0].readString(".vmlist").orElseThrow();
        for (int vmid = 200; vmid < 210; vmid++) assertThat(vmlist).contains("\"" + vmid + "\": {");
    }

    @Test
    void locksExcludeAcrossNodesAndConfigMovesAreAtomic() throws Exception {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        fs[0].writeString("counter", "0");
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        ExecutorService ex = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> fut = new ArrayList<>();
            for (int n = 0; n < 3; n++) {
                RaftClusterFs f = fs[n];
                fut.add(ex.submit((Callable<Void>) () -> {
                    for (int i = 0; i < 10; i++) {
                        f.withLock("file-counter", Duration.ofSeconds(30), () -> {
                            max.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            f.sync();
                            int v = Integer.parseInt(f.readString("counter").orElseThrow());
                            f.writeString("counter", Integer.toString(v + 1));
                            inside.decrementAndGet();
                            return null;
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : fut) f.get();
        } finally {
            ex.shutdownNow();
        }
        fs[1].sync();
        assertThat(fs[1].readString("counter")).contains("30");
        assertThat(max.get()).isEqualTo(1);

        // HA-style locks are owned by a node
        assertThat(fs[0].tryLock("ha_manager_lock")).isTrue();
        assertThat(fs[1].tryLock("ha_manager_lock")).isFalse();
        assertThat(fs[0].tryLock("ha_manager_lock")).isTrue();
        fs[2].sync();
        assertThat(fs[2].lockHolder("ha_manager_lock")).contains(1);
        fs[0].unlock("ha_manager_lock");
        assertThat(fs[1].tryLock("ha_manager_lock")).isTrue();

        // moving a config between node directories changes the owner in one step
        await().atMost(Duration.ofSeconds(10)).until(() -> fs[0].list("nodes").size() == 3);
        fs[0].sync();
        fs[0].writeString("qemu-server/300.conf", "cores: 1\n");
        fs[2].rename("nodes/n1/qemu-server/300.conf", "nodes/n3/qemu-server/");
        fs[0].sync();
        assertThat(fs[0].read("qemu-server/300.conf")).isEmpty();
        assertThat(fs[2].readString("qemu-server/300.conf")).contains("cores: 1\n");
    }

    @Test
    void watchersOnEveryNodeSeeChanges() {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        List<List<String>> seen = new ArrayList<>();
        for (RaftClusterFs f : fs) {
            List<String> l = Collections.synchronizedList(new ArrayList<>());
            seen.add(l);
            f.watch("ha", l::add);
        }
        fs[0].mkdirs("ha");
        fs[1].writeString("ha/resources.cfg", "vm: 100\n");
        fs[2].writeString("storage.cfg", "unrelated");
        for (List<String> l : seen) {
            await().atMost(Duration.ofSeconds(10)).until(() -> l.contains("ha/resources.cfg"));
            assertThat(l).doesNotContain("storage.cfg");
        }
    }

    @Test
    void compareAndWriteAndRestartFromDisk() {
        cluster = new RaftTestCluster(dir, 1).startAll();
        RaftClusterFs f = cluster.fs[0];
        awaitQuorate(f);
        long v1 = f.compareAndWrite("x", 0, "a".getBytes(StandardCharsets.UTF_8));
        assertThat(v1).isPositive();
        assertThat(f.compareAndWrite("x", 0, "b".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(f.compareAndWrite("x", v1 + 100, "b".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        long v2 = f.compareAndWrite("x", v1, "c".getBytes(StandardCharsets.UTF_8));
        assertThat(v2).isGreaterThan(v1);
        assertThat(f.readString("x")).contains("c");
        long version = f.treeVersion();
        cluster.stop(0);
        RaftClusterFs again = cluster.start(0);
        awaitQuorate(again);
        assertThat(again.readString("x")).contains("c");
        assertThat(again.treeVersion()).isGreaterThanOrEqualTo(version);
        assertThat(again.stat("x").orElseThrow().version()).isEqualTo(v2);
    }

    @Test
    void concurrentWritesOfTheLargestFilesReplicate() throws Exception {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        int max = (int) CfsLimits.PVE.maxFileSize();
        // sixteen writers on one node at once: the writes queued behind those in flight are sent together,
        // and that entry must not outgrow what Raft can replicate
        ExecutorService ex = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                int k = i;
                byte[] data = new byte[max];
                java.util.Arrays.fill(data, (byte) ('a' + k));
                done.add(ex.submit(() -> {
                    go.await();
                    fs[0].write("big" + k + ".cfg", data);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) f.get();
        } finally {
            ex.shutdownNow();
        }
        for (RaftClusterFs f : fs) {
            f.sync();
            for (int i = 0; i < 16; i++) {
                byte[] got = f.read("big" + i + ".cfg").orElseThrow();
                assertThat(got).hasSize(max);
                assertThat(got[max - 1]).isEqualTo((byte) ('a' + i));
            }
        }
        // a file above the limit is refused before it reaches the log, and the cluster keeps working
        assertThatThrownBy(() -> fs[1].write("huge.cfg", new byte[max + 1])).hasMessage("unable to write file '/etc/pve/huge.cfg' - File too large");
        fs[2].writeString("after.cfg", "ok");
        fs[0].sync();
        assertThat(fs[0].readString("after.cfg")).contains("ok");
    }

    @Test
    void statusPlaneShowsOnlineNodesAndClusterLog() {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        // before corosync.conf exists .members names only the local node; the tree version may move on while it is read
        long before = fs[0].treeVersion();
        String members = fs[0].readString(".members").orElseThrow();
        long after = fs[0].treeVersion();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{\n\"nodename\": \"n1\",\n\"version\": (\\d+)\n}\n").matcher(members);
        assertThat(m.matches()).as(members).isTrue();
        assertThat(Long.parseLong(m.group(1))).isBetween(before, after);
        CorosyncConf conf = null;
        for (CfsNode n : cluster.nodes) {
            CorosyncConf.Node cn = new CorosyncConf.Node(n.name(), n.nodeId(), 1, n.host(), n.port());
            if (conf == null) conf = CorosyncConf.create("lab", cn);
            else conf.addNode(cn);
        }
        fs[0].writeString("corosync.conf", conf.writePve());
        await().atMost(Duration.ofSeconds(5)).until(() -> fs[0].onlineNodes().size() == 3 && fs[2].onlineNodes().size() == 3);
        assertThat(fs[1].readString(".members").orElseThrow())
                .contains("\"n3\": { \"id\": 3, \"online\": 1, \"ip\": \"127.0.0.1\"}")
                .contains("\"quorate\": 1").contains("\"cluster\": { \"name\": \"lab\", \"version\": 1, \"nodes\": 3");
        fs[1].clusterLog(6, "pvedaemon", "root@pam", "starting task UPID:n2:1");
        fs[1].setNodeStatus("rrd/pve2-node/n2", "uptime:5".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(5)).until(() -> fs[0].readString(".clusterlog").orElseThrow().contains("starting task UPID:n2:1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> fs[2].nodeStatus("n2", "rrd/pve2-node/n2").isPresent());
        // .rrd: every online node's latest sample lines
        fs[1].setNodeStatus(StatusFiles.RRD_KEY, "pve2-node/n2:100:0:1700000000:0.1".getBytes(StandardCharsets.UTF_8));
        fs[2].setNodeStatus(StatusFiles.RRD_KEY, "pve2-node/n3:200:0:1700000000:0.2\n".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(5)).until(() -> fs[0].readString(".rrd").orElseThrow()
                .equals("pve2-node/n2:100:0:1700000000:0.1\npve2-node/n3:200:0:1700000000:0.2\n"));
        cluster.stop(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> !fs[0].onlineNodes().contains("n3"));
        assertThat(fs[0].readString(".members").orElseThrow()).contains("\"n3\": { \"id\": 3, \"online\": 0");
    }

    @Test
    void nodesJoinAndLeave() throws Exception {
        cluster = new RaftTestCluster(dir, 3).startAll();
        RaftClusterFs[] fs = cluster.fs;
        awaitQuorate(fs);
        for (int i = 0; i < 50; i++) fs[i % 3].writeString("f" + i, "v" + i);
        List<CfsNode> four = new ArrayList<>(cluster.nodes);
        CfsNode n4 = new CfsNode("n4", 4, "127.0.0.1", RaftTestCluster.freePort());
        four.add(n4);
        RaftClusterFs joiner = RaftClusterFs.start(new RaftClusterFs.Config(cluster.name, RaftClusterFs.groupUuid(cluster.name), 0, n4, four, dir.resolve("n4"),
                cluster.clock, cluster.limits, Duration.ofMillis(300), Duration.ofSeconds(5)));
        try {
            fs[1].setRaftMembers(four);
            assertThat(fs[0].raftPeers()).containsExactly("n1", "n2", "n3", "n4");
            awaitQuorate(joiner);
            joiner.sync();
            assertThat(joiner.readString("f49")).contains("v49");
            joiner.writeString("from-n4", "hello");
            fs[0].sync();
            assertThat(fs[0].readString("from-n4")).contains("hello");
            assertThat(fs[0].writer("from-n4")).contains(4);
        } finally {
            joiner.close();
        }
        // the removed node is gone from the configuration; the three continue
        fs[0].setRaftMembers(cluster.nodes);
        assertThat(fs[2].raftPeers()).containsExactly("n1", "n2", "n3");
        fs[2].writeString("after", "x");
        fs[0].sync();
        assertThat(fs[0].readString("after")).contains("x");
    }
}
