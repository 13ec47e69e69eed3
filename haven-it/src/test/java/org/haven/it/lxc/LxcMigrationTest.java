package org.haven.it.lxc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.haven.core.testing.E2eTest;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.CliResult;
import org.haven.lxc.template.BusyboxTemplate;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Container migration between two real node daemons with a real busybox container whose volumes live on each
 * node's own storage: a running container is refused without {@code --restart} and with {@code --online} (PVE's
 * messages); restart migration shuts it down, copies its volumes, starts it on the target, and leaves nothing on the
 * source (volumes and runtime directory); a file written before the migration is on the target; a migration failing
 * while the volumes are copied removes the copies from the target and keeps the container where it was; offline
 * migration back moves it again.
 */
@E2eTest
class LxcMigrationTest {
    static final String ID = "950";

    Path dir;
    HavenCluster cluster;

    @AfterEach
    void cleanup() throws Exception {
        if (cluster != null) {
            for (HavenNode n : cluster.nodes()) {
                try {
                    n.cli("pct", "stop", ID);
                } catch (Exception ignored) {
                    // not there or not running
                }
            }
            cluster.close();
        }
        // a container of a daemon killed mid-test
        for (String node : List.of("node1", "node2")) {
            if (dir != null) new ProcessBuilder("lxc-stop", "-k", "-P", dir.resolve(node).resolve("lxc").toString(), "-n", ID)
                    .redirectErrorStream(true).start().waitFor();
        }
        if (dir != null && System.getenv("KEEPDIR") == null) new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }

    static CliResult ok(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return r;
    }

    static String status(HavenNode n) throws Exception {
        CliResult r = n.cli("pct", "status", ID);
        return r.exit() == 0 ? r.out().strip() : "none";
    }

    /** The container's volume files below {@code storage} on {@code n}. */
    static List<Path> images(Path storage) throws Exception {
        Path d = storage.resolve("images").resolve(ID);
        if (!Files.isDirectory(d)) return List.of();
        try (var s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    @Test
    void restartAndOfflineMigrationWithLocalVolumes() throws Exception {
        dir = Files.createTempDirectory("haven-ctmigrate");
        cluster = HavenCluster.start(dir, "ctmig", 2);
        HavenNode n1 = cluster.node(0), n2 = cluster.node(1);
        Path local1 = n1.dataDir().resolve("storage/local"), local2 = n2.dataDir().resolve("storage/local");
        Path template = BusyboxTemplate.build(new ProcessCommandRunner(), Files.createDirectories(local1.resolve("template/cache")));
        // a second local storage on each node: node1's 'extra' holds the root file system; node2's 'broken' cannot take volumes
        Path extra = Files.createDirectories(dir.resolve("extra1"));
        Path brokenPath = Files.writeString(dir.resolve("broken2"), "a file where a directory should be");
        ok(n1.cli("pvesm", "add", "dir", "extra", "--path", extra.toString(), "--content", "rootdir", "--nodes", "node1"));
        ok(n1.cli("pvesm", "add", "dir", "broken", "--path", brokenPath.toString(), "--content", "rootdir", "--nodes", "node2",
                "--create-base-path", "0"));

        ok(n1.cli("pct", "create", ID, "local:vztmpl/" + template.getFileName(), "--hostname", "mover", "--memory", "64",
                "--rootfs", "extra:0.05", "--mp0", "local:0.02,mp=/data", "--start", "1"));
        ok(n1.cli("pct", "exec", ID, "--", "sh", "-c", "echo written-before > /root/before; echo on-mp0 > /data/f; sync"));

        // a running container moves only in restart mode
        CliResult plain = n1.cli("pct", "migrate", ID, "node2");
        assertThat(plain.exit()).isNotZero();
        assertThat(plain.err() + plain.out()).contains("can't migrate running container without --online or --restart");
        CliResult online = n1.cli("pct", "migrate", ID, "node2", "--online", "--target-storage", "extra:local");
        assertThat(online.exit()).isNotZero();
        assertThat(online.out() + online.err()).contains("lxc live migration is currently not implemented").contains("migration aborted");
        assertThat(status(n1)).isEqualTo("status: running");

        // copying fails at the second volume: the first copy is removed from node2, the container runs on node1 again
        CliResult failed = n1.cli("pct", "migrate", ID, "node2", "--restart", "--timeout", "10", "--target-storage", "extra:broken");
        assertThat(failed.exit()).as(failed.out()).isNotZero();
        assertThat(failed.out()).contains("shutdown CT " + ID)
                .contains("volume 'local:" + ID + "/vm-" + ID + "-disk-0.raw' is 'local:" + ID + "/vm-" + ID + "-disk-0.raw' on the target")
                .contains("ERROR: migration aborted").contains("start CT " + ID + " again on the source node");
        assertThat(images(local2)).as("no copy left on node2: " + failed.out()).isEmpty();
        assertThat(n2.cli("pct", "config", ID).exit()).isNotZero();
        assertThat(ok(n1.cli("pct", "config", ID)).out()).doesNotContain("lock:").contains("rootfs: extra:" + ID + "/vm-" + ID + "-disk-0.raw");
        assertThat(images(local1)).hasSize(1);
        assertThat(status(n1)).isEqualTo("status: running");

        // restart migration: shut down, volumes copied, started on node2, nothing left on node1
        CliResult moved = ok(n1.cli("pct", "migrate", ID, "node2", "--restart", "--timeout", "10", "--target-storage", "extra:local"));
        assertThat(moved.out()).contains("starting migration of CT " + ID + " to node 'node2'").contains("shutdown CT " + ID)
                .contains("found local disk 'local:" + ID + "/vm-" + ID + "-disk-0.raw'").contains("start container on target node")
                .containsPattern("migration finished successfully \\(duration \\d\\d:\\d\\d:\\d\\d\\)");
        assertThat(status(n2)).isEqualTo("status: running");
        assertThat(n1.cli("pct", "config", ID).exit()).isNotZero();
        assertThat(images(local1)).as("the source volumes are freed").isEmpty();
        assertThat(n1.dataDir().resolve("lxc/" + ID)).as("the runtime directory left with the container").doesNotExist();
        assertThat(images(extra)).isEmpty();
        assertThat(images(local2)).hasSize(2);
        String conf2 = ok(n2.cli("pct", "config", ID)).out();
        assertThat(conf2).doesNotContain("lock:").contains("mp0: local:" + ID + "/vm-" + ID + "-disk-").contains("mp=/data");
        assertThat(ok(n2.cli("pct", "exec", ID, "--", "cat", "/root/before", "/data/f")).out()).isEqualTo("written-before\non-mp0\n");

        // offline back to node1
        ok(n2.cli("pct", "stop", ID));
        CliResult back = ok(n2.cli("pct", "migrate", ID, "node1"));
        assertThat(back.out()).contains("migration finished successfully").doesNotContain("shutdown CT");
        assertThat(status(n1)).isEqualTo("status: stopped");
        assertThat(images(local2)).isEmpty();
        assertThat(n2.dataDir().resolve("lxc/" + ID)).doesNotExist();
        assertThat(images(local1)).hasSize(2);
        ok(n1.cli("pct", "start", ID));
        assertThat(ok(n1.cli("pct", "exec", ID, "--", "cat", "/root/before")).out()).isEqualTo("written-before\n");
    }
}
