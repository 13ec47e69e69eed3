package org.haven.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.testing.E2eTest;
import org.haven.core.testing.Tools;
import org.haven.it.Await;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.CliResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Storage replication between two node daemons on btrfs: each daemon runs in a mount namespace of its own, where its
 * own btrfs file system (on a loop device) is mounted at the same path, so the one {@code btrfs} storage of
 * {@code storage.cfg} is local to each node, as on two hosts. A VM (not running) has a raw disk there. The first sync
 * sends the whole disk, the second only what was written since; each side then keeps only the newest replication
 * snapshot. With the target daemon down a run fails, {@code pvesr status} shows the error and the fail count, and
 * once the target is back the retry is due 5 minutes after the failed try. Migrating the VM to node2 then sends
 * only the last delta, and the job runs the other way, from node2 to node1, incrementally; there the VM refuses a disk
 * on a storage that cannot replicate unless it is marked {@code replicate=0}; {@code pvesr prepare-local-job} and
 * {@code finalize-local-job} on the target keep the snapshot of the last sync. HA relocates a stopped VM whose
 * disk is on node1's own {@code local} storage to node2 with the VM's migration: the disk is there afterwards.
 * Last, the replicated VM runs under HA on node2 and node2's daemon is killed after a write the last sync did not
 * see: the manager fences node2 and recovers the VM on node1, the only node with its replica (node3, which keeps
 * the quorum, has none), saying that what was written since the last sync is lost, and the VM runs there on
 * the replica's content.
 */
@E2eTest
class ReplicationBtrfsTest {
    static final String MNT = "/run/haven-repl-test";
    static final String ID = "100-0";
    Path dir;
    HavenCluster cluster;
    final List<String> loops = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        try {
            if (cluster != null) cluster.close();
        } finally {
            // the guests too: the mounts lived in the namespaces of the daemons and of their guests
            if (dir != null) HavenCluster.killProcessesUsing(dir);
            for (String l : loops) sh(false, "losetup", "-d", l);
            if (dir != null && System.getenv("KEEPDIR") == null) sh(false, "rm", "-rf", "--one-file-system", dir.toString());
        }
    }

    static String sh(boolean check, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (check) assertThat(rc).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }

    /** A command in the mount namespace of node {@code n}'s daemon. */
    static String inNode(HavenNode n, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of("nsenter", "-t", Long.toString(n.process().pid()), "-m", "--"));
        c.addAll(List.of(cmd));
        return sh(true, c.toArray(String[]::new));
    }

    static CliResult ok(CliResult r) {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return r;
    }

    static JsonNode status(HavenNode n) throws Exception {
        return HavenNode.JSON.readTree(ok(n.cli("pvesh", "get", "/nodes/" + n.node() + "/replication/" + ID + "/status", "--output-format", "json")).out());
    }

    /** The bytes the last run of the job sent, from its log. */
    static long sent(HavenNode n) throws Exception {
        JsonNode log = HavenNode.JSON.readTree(ok(n.cli("pvesh", "get", "/nodes/" + n.node() + "/replication/" + ID + "/log", "--output-format", "json")).out());
        long total = 0;
        Pattern p = Pattern.compile("sent '[^']+': (\\d+) bytes");
        for (JsonNode l : log) {
            Matcher m = p.matcher(l.path("t").asString());
            if (m.find()) total += Long.parseLong(m.group(1));
        }
        return total;
    }

    static String md5(HavenNode n, String file) throws Exception { return inNode(n, "md5sum", file).split(" ")[0]; }

    /** Replication snapshots of the disk on node {@code n}. */
    static List<String> replicaSnapshots(HavenNode n) throws Exception {
        List<String> out = new ArrayList<>();
        for (String f : inNode(n, "ls", MNT + "/images/100").split("\\s+")) if (f.contains("@__replicate_")) out.add(f);
        return out;
    }

    @Test
    void fullThenIncrementalBackoffWhileTheTargetIsDownAndHaRecoveryFromTheReplica() throws Exception {
        Tools.requireRoot("loop devices, mounts and mount namespaces");
        Tools.require("btrfs-progs", "mkfs.btrfs", "btrfs");
        Tools.require("util-linux", "unshare", "nsenter", "losetup");
        dir = Files.createTempDirectory("haven-repl");
        Files.createDirectories(Path.of(MNT));
        for (String node : List.of("node1", "node2")) {
            Path img = dir.resolve(node + ".img");
            sh(true, "truncate", "-s", "300M", img.toString());
            String dev = sh(true, "losetup", "--find", "--show", img.toString()).strip();
            loops.add(dev);
            sh(true, "mkfs.btrfs", "-q", "-f", dev);
        }
        // node3 only keeps the quorum when a node is down: no btrfs there
        cluster = HavenCluster.start(dir, "repl", 3, node -> List.of(), node -> node.equals("node3") ? List.of()
                : List.of("unshare", "-m", "--propagation", "private", "--",
                "sh", "-c", "mount -t btrfs " + loops.get(node.equals("node1") ? 0 : 1) + " " + MNT + " && exec \"$@\"", "havend"));
        HavenNode n1 = cluster.node(0), n2 = cluster.node(1);
        ok(n1.cli("pvesm", "add", "btrfs", "repl", "--path", MNT, "--content", "images,rootdir", "--nodes", "node1,node2"));
        ok(n1.cli("qm", "create", "100", "--name", "replicated", "--memory", "128", "--scsi0", "repl:0.0625,format=raw"));
        String raw = MNT + "/images/100/vm-100-disk-0/disk.raw";
        inNode(n1, "dd", "if=/dev/urandom", "of=" + raw, "bs=1M", "count=16", "conv=notrunc,fsync");

        // the scheduler runs a new job at its next round: create it and run it at once, right after a round; a
        // schedule of one event a week keeps the scheduler out of the rest of the test
        Thread.sleep(62_000 - System.currentTimeMillis() % 60_000);
        ok(n1.cli("pvesr", "create-local-job", ID, "node2", "--schedule", "sun 03:33", "--rate", "500"));
        ok(n1.cli("pvesr", "run", "--id", ID));
        JsonNode s1 = status(n1);
        assertThat(s1.path("fail_count").asInt()).isZero();
        assertThat(s1.has("error")).isFalse();
        long full = sent(n1);
        assertThat(full).as("full send").isGreaterThan(16L << 20);
        assertThat(md5(n2, raw)).isEqualTo(md5(n1, raw));
        assertThat(replicaSnapshots(n2)).containsExactly("vm-100-disk-0@__replicate_100-0_" + s1.path("last_sync").asLong() + "__");

        // a second job to the same target is refused; a disk on a storage that cannot replicate refuses the job
        CliResult dup = n1.cli("pvesr", "create-local-job", "100-1", "node2");
        assertThat(dup.exit()).isNotZero();
        assertThat(dup.err() + dup.out()).contains("replication job for guest '100' to target 'local/node2' already exists");
        ok(n1.cli("qm", "create", "101", "--scsi0", "local:0.0625,format=raw"));
        CliResult dirDisk = n1.cli("pvesr", "create-local-job", "101-0", "node2");
        assertThat(dirDisk.err() + dirDisk.out()).contains("missing replicate feature on volume 'local:101/vm-101-disk-0.raw'");
        assertThat(ok(n1.cli("pvesr", "list")).out()).containsPattern("100-0\\s+local/node2\\s+sun 03:33\\s+500\\s+yes");

        // second sync: only the 1 MiB written since
        inNode(n1, "dd", "if=/dev/urandom", "of=" + raw, "bs=1M", "count=1", "seek=4", "conv=notrunc,fsync");
        Thread.sleep(1100); // a new second: a new snapshot name
        ok(n1.cli("pvesr", "run", "--id", ID));
        JsonNode s2 = status(n1);
        long delta = sent(n1);
        assertThat(delta).as("incremental send").isGreaterThan(1L << 20).isLessThan(3L << 20);
        String snap = "vm-100-disk-0@__replicate_100-0_" + s2.path("last_sync").asLong() + "__";
        assertThat(replicaSnapshots(n1)).containsExactly(snap);
        assertThat(replicaSnapshots(n2)).containsExactly(snap);
        assertThat(md5(n2, raw)).isEqualTo(md5(n1, raw));
        assertThat(ok(n1.cli("pvesr", "status")).out()).containsPattern("100-0\\s+Yes\\s+local/node2\\s+\\S+\\s+\\S+\\s+[0-9.]+\\s+0\\s+OK");

        // the target is down: the run fails, counted and shown
        n2.close();
        CliResult failed = n1.cli("pvesr", "run", "--id", ID);
        assertThat(failed.exit()).isNotZero();
        JsonNode s3 = status(n1);
        assertThat(s3.path("fail_count").asInt()).isEqualTo(1);
        assertThat(s3.path("error").asString()).isNotEmpty();
        assertThat(s3.path("last_sync").asLong()).isEqualTo(s2.path("last_sync").asLong());
        assertThat(ok(n1.cli("pvesr", "status")).out()).containsPattern("100-0\\s+Yes\\s+local/node2.*\\s1\\s+" + Pattern.quote(s3.path("error").asString()));
        assertThat(replicaSnapshots(n1)).as("the failed run left no snapshot").containsExactly(snap);

        // back online: the retry comes 5 minutes after the failed try (scheduled, or already run by the scheduler)
        HavenNode n2b = cluster.restart(1);
        cluster.awaitOnline(3, Duration.ofSeconds(120));
        long lastTry = s3.path("last_try").asLong();
        Await.until("the retry scheduled after the back-off", Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
            JsonNode st = status(n1);
            long retried = st.path("last_try").asLong();
            return st.path("next_sync").asLong() == lastTry + 300 || retried >= lastTry + 300 && retried < lastTry + 360;
        }, () -> status(n1).toString());

        // migrating to the replication target sends only the last delta; the job then runs from node2 to node1
        inNode(n1, "dd", "if=/dev/urandom", "of=" + raw, "bs=1M", "count=1", "seek=8", "conv=notrunc,fsync");
        Thread.sleep(1100);
        CliResult mig = ok(n1.cli("qm", "migrate", "100", "node2"));
        assertThat(mig.out()).contains("replicating the last changes to node 'node2' (job 100-0)").contains("100-0: incremental sync 'repl:100/vm-100-disk-0.raw'")
                .contains("volume 'repl:100/vm-100-disk-0.raw' is already replicated to node 'node2'")
                .contains("switched replication job(s) 100-0 to run on node 'node2'").contains("migration finished successfully");
        assertThat(sent(n1)).isLessThan(3L << 20);
        assertThat(ok(n2b.cli("qm", "config", "100")).out()).contains("scsi0: repl:100/vm-100-disk-0.raw");
        assertThat(md5(n2b, raw)).isEqualTo(md5(n1, raw));
        assertThat(ok(n2b.cli("pvesr", "list")).out()).containsPattern("100-0\\s+local/node1\\s");
        inNode(n2b, "dd", "if=/dev/urandom", "of=" + raw, "bs=1M", "count=1", "seek=12", "conv=notrunc,fsync");
        Thread.sleep(1100);
        CliResult nonReplicable = n2b.cli("qm", "set", "100", "--scsi1", "local:0.0625,format=raw");
        assertThat(nonReplicable.exit()).isNotZero();
        assertThat(nonReplicable.err() + nonReplicable.out()).contains("cannot add non-replicatable volume to a replicated VM");
        ok(n2b.cli("qm", "set", "100", "--scsi1", "local:0.0625,format=raw,replicate=0"));
        ok(n2b.cli("pvesr", "run", "--id", ID));
        assertThat(sent(n2b)).as("the reversed job goes on incrementally").isGreaterThan(1L << 20).isLessThan(3L << 20);
        assertThat(md5(n1, raw)).isEqualTo(md5(n2b, raw));

        // the internal commands PVE runs on the target: prepare reports the snapshot of the last sync, finalize keeps it;
        // neither runs where the guest lives
        long last = status(n2b).path("last_sync").asLong();
        String snapName = "__replicate_100-0_" + last + "__";
        String volid = "repl:100/vm-100-disk-0.raw";
        assertThat(ok(n1.cli("pvesr", "prepare-local-job", ID, volid, "--last_sync", Long.toString(last))).out().strip())
                .isEqualTo("{\"" + volid + "\":{\"" + snapName + "\":1}}");
        ok(n1.cli("pvesr", "finalize-local-job", ID, volid, "--last_sync", Long.toString(last)));
        assertThat(replicaSnapshots(n1)).containsExactly("vm-100-disk-0@" + snapName);
        CliResult onSource = n2b.cli("pvesr", "prepare-local-job", ID, volid, "--last_sync", Long.toString(last));
        assertThat(onSource.exit()).isNotZero();
        assertThat(onSource.err()).contains("guest '100' is on local node");

        // HA relocates a stopped guest with a local disk through the guest's own migration: node1's LRM runs a
        // qmigrate task that copies the disk to node2, where it has the same content, and frees it on node1
        String disk101 = "local:101/vm-101-disk-0.raw";
        String path1 = ok(n1.cli("pvesm", "path", disk101)).out().strip();
        inNode(n1, "dd", "if=/dev/urandom", "of=" + path1, "bs=1M", "count=8", "conv=notrunc,fsync");
        String sum = md5(n1, path1);
        ok(n1.cli("pvesh", "set", "/cluster/ha/timing", "--round", "2", "--watchdog_timeout", "8",
                "--device_timeout", "4", "--lock_lifetime", "18", "--fence_delay", "8"));
        ok(n1.cli("ha-manager", "add", "vm:101", "--state", "stopped"));
        // a command given while the new service is still in request_stop is dropped with that state, as in PVE
        Await.until("vm:101 stopped under HA", Duration.ofSeconds(60), Duration.ofSeconds(1),
                () -> ok(n1.cli("ha-manager", "status")).out().contains("service vm:101 (node1, stopped)"),
                () -> ok(n1.cli("ha-manager", "status")).out());
        ok(n1.cli("ha-manager", "relocate", "vm:101", "node2"));
        Await.until("vm:101 relocated to node2", Duration.ofSeconds(120), Duration.ofSeconds(1),
                () -> ok(n1.cli("ha-manager", "status")).out().contains("service vm:101 (node2, stopped)"),
                () -> ok(n1.cli("ha-manager", "status")).out());
        assertThat(ok(n2b.cli("qm", "config", "101")).out()).contains("scsi0: " + disk101);
        String path2 = ok(n2b.cli("pvesm", "path", disk101)).out().strip();
        assertThat(md5(n2b, path2)).isEqualTo(sum);
        assertThat(Files.exists(Path.of(path1))).as("the source copy is freed").isFalse();
        JsonNode tasks = HavenNode.JSON.readTree(ok(n1.cli("pvesh", "get", "/nodes/node1/tasks", "--typefilter", "qmigrate",
                "--vmid", "101", "--output-format", "json")).out());
        assertThat(tasks).hasSize(1);
        assertThat(tasks.get(0).path("user").asString()).isEqualTo("root@pam");
        assertThat(tasks.get(0).path("status").asString()).isEqualTo("OK");
        String upid = tasks.get(0).path("upid").asString();
        assertThat(ok(n1.cli("pvesh", "get", "/nodes/node1/tasks/" + upid + "/log", "--output-format", "json")).out())
                .contains("found local disk '" + disk101 + "' (attached)").contains("migration finished successfully");

        // HA recovery from the replica: vm:100 runs under HA on node2, writes there after the last sync, node2 dies
        ok(n2b.cli("qm", "disk", "unlink", "100", "--idlist", "scsi1", "--force", "1")); // not replicated: the guest could not run elsewhere
        String replica = md5(n1, raw);
        ok(n1.cli("ha-manager", "add", "vm:100", "--state", "started"));
        Await.until("vm:100 running on node2", Duration.ofSeconds(120), Duration.ofSeconds(1),
                () -> ok(n2b.cli("qm", "status", "100")).out().contains("status: running"), () -> ok(n1.cli("ha-manager", "status")).out());
        inNode(n2b, "dd", "if=/dev/urandom", "of=" + raw, "bs=1M", "count=1", "seek=20", "conv=notrunc,fsync");
        assertThat(md5(n2b, raw)).isNotEqualTo(replica);
        n2b.process().destroyForcibly().waitFor();
        Await.until("vm:100 recovered on node1", Duration.ofSeconds(180), Duration.ofSeconds(1),
                () -> ok(n1.cli("ha-manager", "status")).out().contains("service vm:100 (node1, started)")
                        && ok(n1.cli("qm", "status", "100")).out().contains("status: running"),
                () -> HavenCluster.haLog(cluster.nodes().toArray(HavenNode[]::new)));
        assertThat(HavenCluster.haLog(cluster.nodes().toArray(HavenNode[]::new)))
                .contains("recover service 'vm:100' from fenced node 'node2' to node 'node1' - its local volumes are the replica of job "
                        + ID + ": what was written since its last sync is lost")
                .contains("recovering service 'vm:101' from fenced node 'node2' failed, no recovery node found");
        assertThat(ok(n1.cli("qm", "config", "100")).out()).contains("scsi0: repl:100/vm-100-disk-0.raw");
        assertThat(md5(n1, raw)).as("the disk is the replica").isEqualTo(replica);
    }
}
