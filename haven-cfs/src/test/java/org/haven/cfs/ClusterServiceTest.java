package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.haven.core.cfs.CfsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterServiceTest {
    @TempDir Path dir;
    final List<ClusterService> open = new ArrayList<>();
    final int[] ports = {RaftTestCluster.freePort(), RaftTestCluster.freePort(), RaftTestCluster.freePort()};

    @AfterEach
    void tearDown() {
        for (ClusterService s : open) {
            try {
                s.close();
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
    }

    ClusterService node(int i) {
        ClusterService s = new ClusterService(ClusterService.Options.of(dir.resolve("n" + i), "n" + i, "127.0.0.1", ports[i - 1])
                .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(5)));
        open.add(s);
        return s;
    }

    static void awaitQuorate(ClusterService s) {
        await().atMost(Duration.ofSeconds(30)).until(s::isQuorate);
    }

    @Test
    void createJoinDelnodeAndForcedQuorum() throws Exception {
        ClusterService n1 = node(1);
        awaitQuorate(n1);
        n1.writeString("storage.cfg", "dir: local\n");
        assertThatThrownBy(() -> n1.createCluster("demo", null, null, 2)).hasMessageContaining("quorum_votes 2 is not supported");
        assertThat(n1.read("corosync.conf")).isEmpty();
        n1.createCluster("demo", null, null, null);
        assertThat(n1.readString("corosync.conf").orElseThrow()).contains("cluster_name: demo").contains("config_version: 1");
        assertThat(n1.localCorosync().orElseThrow().clusterName()).isEqualTo("demo");
        assertThatThrownBy(() -> n1.createCluster("other", null, null, null)).hasMessage("cluster config '/etc/pve/corosync.conf' already exists");
        n1.writeString("after-create", "1");
        assertThat(n1.readString("storage.cfg")).contains("dir: local\n");

        ClusterService n2 = node(2);
        awaitQuorate(n2);
        n2.writeString("n2-local-only", "lost on join");
        assertThatThrownBy(() -> n1.addNode("n2", null, "127.0.0.1", ports[1], 0, false)).hasMessageContaining("quorum_votes 0 is not supported");
        n2.join(n1.addNode("n2", null, "127.0.0.1", ports[1], null, false));
        awaitQuorate(n2);
        n2.sync();
        assertThat(n2.readString("after-create")).contains("1");
        assertThat(n2.read("n2-local-only")).isEmpty();

        ClusterService n3 = node(3);
        awaitQuorate(n3);
        n3.mkdirs("qemu-server");
        n3.writeString("qemu-server/100.conf", "memory: 1\n");
        assertThatThrownBy(() -> n3.join(n2.addNode("n3", null, "127.0.0.1", ports[2], null, false)))
                .hasMessage("this host already contains virtual guests");
        n3.delete("qemu-server/100.conf");
        assertThatThrownBy(() -> n2.addNode("n3", null, "127.0.0.1", ports[2], null, false)).hasMessage("can't add existing node 'n3'");
        n3.join(n2.addNode("n3", null, "127.0.0.1", ports[2], null, true));
        awaitQuorate(n3);
        n3.writeString("from-n3", "x");
        n1.sync();
        assertThat(n1.readString("from-n3")).contains("x");
        assertThat(n1.corosync().orElseThrow().nodes()).extracting(CorosyncConf.Node::name).containsExactly("n1", "n2", "n3");
        assertThat(n1.corosync().orElseThrow().node("n3").orElseThrow().nodeId()).isEqualTo(3);
        assertThat(n1.replica().raftPeers()).containsExactly("n1", "n2", "n3");
        for (ClusterService s : List.of(n1, n2, n3)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> s.localCorosync().orElseThrow().configVersion() == n1.corosync().orElseThrow().configVersion());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> n1.replica().onlineNodes().size() == 3);

        // delnode: n3 goes away for good
        assertThatThrownBy(() -> n1.delNode("n1")).hasMessage("Cannot delete myself from cluster!");
        assertThatThrownBy(() -> n1.delNode("n9")).hasMessage("Node/IP: n9 is not a known host of the cluster.");
        n3.close();
        n1.delNode("n3");
        await().atMost(Duration.ofSeconds(10)).until(() -> n1.replica().raftPeers().equals(List.of("n1", "n2")));
        assertThat(n2.readString("corosync.conf").orElseThrow()).doesNotContain("name: n3");
        n2.writeString("two-left", "ok");

        // n2 goes down: n1 alone has no quorum; expected 1 forces a new generation
        n2.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> !n1.isQuorate());
        assertThatThrownBy(() -> n1.writeString("x", "y")).isInstanceOf(CfsException.class).hasMessage("cluster not ready - no quorum?");
        assertThat(n1.expected(1)).isTrue();
        assertThat(n1.isQuorate()).isTrue();
        n1.writeString("forced", "yes");
        assertThat(n1.readString("two-left")).contains("ok");

        // n2 returns in the old generation: it saves its tree and joins the new one
        ClusterService n2b = node(2);
        await().atMost(Duration.ofSeconds(60)).until(() -> n2b.isQuorate() && n2b.read("forced").isPresent());
        assertThat(n2b.replica().config().generation()).isEqualTo(1);
        try (Stream<Path> files = Files.list(dir.resolve("n2"))) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("cfs-diverged-gen0-"));
        }
        n2b.writeString("back", "again");
        n1.sync();
        assertThat(n1.readString("back")).contains("again");
        await().atMost(Duration.ofSeconds(5)).until(() -> n1.readString(".clusterlog").orElseThrow().contains("rejoined generation 1"));
    }

    /**
     * The founding node knew only itself when it started; after a join, a leader it never heard of at start is
     * elected, and its writes (forwarded to that leader) still go through.
     */
    @Test
    void writesReachALeaderThatJoinedLater() throws Exception {
        ClusterService n1 = node(1);
        awaitQuorate(n1);
        n1.createCluster("pair", null, null, null);
        ClusterService n2 = node(2);
        awaitQuorate(n2);
        n2.join(n1.addNode("n2", null, "127.0.0.1", ports[1], null, false));
        awaitQuorate(n2);
        n1.writeString("before", "1");
        // (refused while the join's configuration change is still in progress: tried again until it is done)
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            if (n1.replica().leader().equals(Optional.of("n1"))) n1.replica().transferLeadership("n2", 5_000);
            return n1.replica().leader().equals(Optional.of("n2")) && n1.isQuorate();
        });
        n1.writeString("through-n2", "2");
        n2.sync();
        assertThat(n2.readString("through-n2")).contains("2");
    }

    @Test
    void witnessGivesTwoNodeClusterTheDecidingVote() throws Exception {
        ClusterService n1 = node(1);
        awaitQuorate(n1);
        n1.createCluster("duo", null, null, null);
        ClusterService n2 = node(2);
        awaitQuorate(n2);
        n2.join(n1.addNode("n2", null, "127.0.0.1", ports[1], null, false));
        awaitQuorate(n2);
        RaftClusterFs.Config c1 = n1.replica().config();
        RaftClusterFs witness = WitnessMain.start("duo", c1.groupId(), c1.generation(), "127.0.0.1", ports[2],
                n1.replica().members(), dir.resolve("witness"), Duration.ofMillis(300));
        try {
            n1.qdeviceSetup("127.0.0.1", ports[2]);
            assertThatThrownBy(() -> n1.qdeviceSetup("127.0.0.1", ports[2])).hasMessage("QDevice already configured!");
            assertThat(n1.readString("corosync.conf").orElseThrow()).contains("  device {\n").contains("    model: net\n")
                    .contains("      host: 127.0.0.1\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> n1.replica().raftPeers().equals(List.of("n1", "n2", "qdevice")));
            assertThat(n1.readString(".members").orElseThrow()).doesNotContain("qdevice");
            // one of the two nodes fails: the witness's vote keeps the other writable
            n2.close();
            n1.writeString("with-one-node", "ok");
            await().atMost(Duration.ofSeconds(10)).until(() -> n1.isQuorate());
            n1.writeString("still", "ok");
            witness.sync();
            assertThat(witness.readString("still")).contains("ok");
            assertThat(witness.list("nodes")).extracting(org.haven.core.cfs.ClusterFs.Entry::name).containsExactly("n1", "n2");
            ClusterService n2b = node(2);
            awaitQuorate(n2b);
            // n2 catches up (from a snapshot) before the membership shrinks to the two nodes
            await().atMost(Duration.ofSeconds(30)).until(() -> n2b.read("still").isPresent());
            n1.qdeviceRemove();
            await().atMost(Duration.ofSeconds(30)).until(() -> n1.replica().raftPeers().equals(List.of("n1", "n2")));
            // a witness that was leading steps down once it is no longer a member: wait for the next leader
            await().atMost(Duration.ofSeconds(30)).until(() -> !n1.replica().leader().orElse("qdevice").equals("qdevice") && n1.isQuorate());
            assertThatThrownBy(n1::qdeviceRemove).hasMessage("No QDevice configured!");
        } finally {
            witness.close();
        }
    }
}
