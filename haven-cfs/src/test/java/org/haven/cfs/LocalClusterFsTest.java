package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalClusterFsTest {
    @TempDir Path dir;
    final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    final Clock clock = new Clock() {
        @Override public long epochSeconds() { return now.get() / 1000; }
        @Override public long epochMillis() { return now.get(); }
    };
    LocalClusterFs fs;

    @BeforeEach
    void open() {
        fs = new LocalClusterFs(dir, "n1", clock, CfsLimits.PVE);
    }

    @Test
    void createsNodeLayoutWithPrivateDirectories() throws Exception {
        assertThat(fs.list("nodes/n1")).extracting(ClusterFs.Entry::name).containsExactly("lxc", "priv", "qemu-server");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("priv")))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("nodes/n1/priv")))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("nodes/n1")))).isEqualTo("rwxr-x---");
        fs.writeString("priv/shadow.cfg", "x");
        fs.writeString("storage.cfg", "y");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("priv/shadow.cfg")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("storage.cfg")))).isEqualTo("rw-r-----");
    }

    @Test
    void writeReadStatRoundTrip() {
        assertThat(fs.read("storage.cfg")).isEmpty();
        fs.writeString("storage.cfg", "dir: local\n\tpath /var/lib/vz\n");
        assertThat(fs.readString("storage.cfg")).contains("dir: local\n\tpath /var/lib/vz\n");
        ClusterFs.Entry e = fs.stat("storage.cfg").orElseThrow();
        assertThat(e.directory()).isFalse();
        assertThat(e.size()).isEqualTo(29);
        assertThat(e.mtime()).isEqualTo(now.get() / 1000);
        long v1 = e.version();
        now.addAndGet(5000);
        fs.writeString("storage.cfg", "changed");
        ClusterFs.Entry e2 = fs.stat("storage.cfg").orElseThrow();
        assertThat(e2.version()).isGreaterThan(v1);
        assertThat(e2.mtime()).isEqualTo(now.get() / 1000);
        assertThat(fs.stat("nodes").orElseThrow().directory()).isTrue();
        assertThat(fs.stat("missing")).isEmpty();
        // no temp files left behind
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("nodes", "priv", "storage.cfg");
    }

    @Test
    void writeNeedsParentDirectory() {
        assertThatThrownBy(() -> fs.writeString("ha/resources.cfg", "x"))
                .isInstanceOf(CfsException.class).hasMessageContaining("No such file or directory");
        fs.mkdirs("ha");
        fs.writeString("ha/resources.cfg", "x");
        assertThat(fs.readString("ha/resources.cfg")).contains("x");
    }

    @Test
    void createIsExclusive() {
        fs.create("user.cfg", "a".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> fs.create("user.cfg", new byte[0]))
                .isInstanceOf(CfsException.class).hasMessage("unable to create file '/etc/pve/user.cfg' - File exists");
        assertThat(fs.readString("user.cfg")).contains("a");
    }

    @Test
    void listIsSortedAndMissingDirIsEmpty() {
        for (String n : List.of("zeta", "alpha", "Mid", "beta.cfg")) fs.writeString(n, n);
        fs.mkdirs("firewall");
        assertThat(fs.list("")).extracting(ClusterFs.Entry::name)
                .containsExactly("Mid", "alpha", "beta.cfg", "firewall", "nodes", "priv", "zeta");
        assertThat(fs.list("nothing/here")).isEmpty();
        assertThat(fs.list("zeta")).isEmpty();
    }

    @Test
    void virtualLinksResolveToOwnNode() {
        fs.writeString("qemu-server/100.conf", "memory: 512\n");
        assertThat(fs.readString("nodes/n1/qemu-server/100.conf")).contains("memory: 512\n");
        assertThat(fs.readString("local/qemu-server/100.conf")).contains("memory: 512\n");
        fs.writeString("lxc/200.conf", "arch: amd64\n");
        assertThat(fs.readString("nodes/n1/lxc/200.conf")).contains("arch: amd64\n");
        assertThat(fs.list("qemu-server")).extracting(ClusterFs.Entry::name).containsExactly("100.conf");
        assertThatThrownBy(() -> fs.writeString("local", "x")).isInstanceOf(CfsException.class);
        assertThatThrownBy(() -> fs.read("../etc/passwd")).isInstanceOf(CfsException.class);
    }

    @Test
    void vmidIsUniqueAcrossNodesAndTypes() {
        fs.mkdirs("nodes/n2/qemu-server");
        fs.mkdirs("nodes/n2/lxc");
        fs.writeString("nodes/n2/qemu-server/100.conf", "a");
        assertThatThrownBy(() -> fs.writeString("qemu-server/100.conf", "b"))
                .isInstanceOf(CfsException.class).hasMessageContaining("File exists");
        assertThatThrownBy(() -> fs.writeString("nodes/n2/lxc/100.conf", "b"))
                .isInstanceOf(CfsException.class).hasMessageContaining("File exists");
        fs.writeString("nodes/n2/qemu-server/100.conf", "rewrite is fine");
        assertThat(fs.delete("nodes/n2/qemu-server/100.conf")).isTrue();
        fs.writeString("lxc/100.conf", "now free");
        assertThat(fs.readString(".vmlist").orElseThrow()).contains("\"100\": { \"node\": \"n1\", \"type\": \"lxc\"");
    }

    @Test
    void vmidIndexIsRebuiltOnOpen() {
        fs.mkdirs("nodes/n2/qemu-server");
        fs.writeString("nodes/n2/qemu-server/101.conf", "a");
        LocalClusterFs again = new LocalClusterFs(dir, "n1", clock, CfsLimits.PVE);
        assertThatThrownBy(() -> again.writeString("qemu-server/101.conf", "b")).isInstanceOf(CfsException.class);
    }

    @Test
    void renameMovesGuestOwnershipAtomically() {
        fs.mkdirs("nodes/n2/qemu-server");
        fs.writeString("nodes/n1/qemu-server/100.conf", "cores: 2\n");
        fs.rename("nodes/n1/qemu-server/100.conf", "nodes/n2/qemu-server/100.conf");
        assertThat(fs.read("nodes/n1/qemu-server/100.conf")).isEmpty();
        assertThat(fs.readString("nodes/n2/qemu-server/100.conf")).contains("cores: 2\n");
        assertThat(fs.readString(".vmlist").orElseThrow()).contains("\"100\": { \"node\": \"n2\", \"type\": \"qemu\"");
        // moving into a directory keeps the name (mv …/100.conf …/node1/qemu-server/)
        fs.rename("nodes/n2/qemu-server/100.conf", "qemu-server");
        assertThat(fs.readString("qemu-server/100.conf")).contains("cores: 2\n");
        // a temp file cannot be renamed onto another guest's VMID
        fs.mkdirs("nodes/n2/lxc");
        fs.writeString("nodes/n2/lxc/tmp", "x");
        assertThatThrownBy(() -> fs.rename("nodes/n2/lxc/tmp", "nodes/n2/lxc/100.conf"))
                .isInstanceOf(CfsException.class).hasMessageContaining("File exists");
        fs.rename("nodes/n2/lxc/tmp", "nodes/n2/lxc/300.conf");
        assertThat(fs.readString(".vmlist").orElseThrow()).contains("\"300\": { \"node\": \"n2\", \"type\": \"lxc\"");
    }

    @Test
    void renameReplacesFilesButNotNonEmptyDirectories() {
        fs.writeString("corosync.conf.new", "new");
        fs.writeString("corosync.conf", "old");
        fs.rename("corosync.conf.new", "corosync.conf");
        assertThat(fs.readString("corosync.conf")).contains("new");
        assertThat(fs.read("corosync.conf.new")).isEmpty();
        fs.mkdirs("a/b");
        assertThatThrownBy(() -> fs.rename("a", "c")).isInstanceOf(CfsException.class).hasMessageContaining("Directory not empty");
        fs.rename("a/b", "b2");
        assertThat(fs.stat("b2").orElseThrow().directory()).isTrue();
    }

    @Test
    void deleteFilesAndEmptyDirectoriesOnly() {
        fs.mkdirs("x/y");
        fs.writeString("x/y/f", "1");
        assertThat(fs.delete("nope")).isFalse();
        assertThatThrownBy(() -> fs.delete("x/y")).isInstanceOf(CfsException.class).hasMessageContaining("Directory not empty");
        assertThat(fs.delete("x/y/f")).isTrue();
        assertThat(fs.delete("x/y")).isTrue();
        assertThat(fs.stat("x/y")).isEmpty();
    }

    @Test
    void limitsAreEnforced(@TempDir Path other) {
        LocalClusterFs small = new LocalClusterFs(other, "n1", clock, new CfsLimits(100, 250, 50));
        assertThatThrownBy(() -> small.write("big", new byte[101]))
                .isInstanceOf(CfsException.class).hasMessage("unable to write file '/etc/pve/big' - File too large");
        small.write("a", new byte[100]);
        small.write("b", new byte[100]);
        assertThatThrownBy(() -> small.write("c", new byte[100])).hasMessageContaining("No space left on device");
        small.write("b", new byte[10]); // replacing frees space
        small.write("c", new byte[100]);
        assertThat(small.delete("a")).isTrue();
        small.write("d", new byte[100]);
        for (int i = 0; ; i++) {
            try {
                small.write("f" + i, new byte[0]);
            } catch (CfsException e) {
                assertThat(e).hasMessageContaining("No space left on device");
                assertThat(i).isLessThan(50);
                break;
            }
        }
    }

    @Test
    void statusFilesAreReadOnly() {
        assertThat(fs.readString(".members").orElseThrow()).isEqualTo("{\n\"nodename\": \"n1\",\n\"version\": 0\n}\n");
        assertThat(fs.readString(".vmlist").orElseThrow()).startsWith("{\n\"version\": ");
        fs.writeString("storage.cfg", "x");
        assertThat(fs.readString(".version").orElseThrow()).contains("\"storage.cfg\": ");
        assertThat(fs.readString(".clusterlog").orElseThrow()).contains("\"data\": [");
        assertThatThrownBy(() -> fs.writeString(".vmlist", "x")).hasMessageContaining("Permission denied");
    }

    @Test
    void watchersSeeNormalisedPathsBelowTheirPrefix() throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        List<String> all = Collections.synchronizedList(new ArrayList<>());
        AutoCloseable w = fs.watch("qemu-server", seen::add);
        try (AutoCloseable w2 = fs.watch("", all::add)) {
            fs.writeString("qemu-server/100.conf", "a");
            fs.writeString("storage.cfg", "a");
            fs.rename("qemu-server/100.conf", "qemu-server/101.conf");
            w.close();
            fs.delete("qemu-server/101.conf");
        }
        fs.writeString("user.cfg", "after close");
        assertThat(seen).containsExactly("nodes/n1/qemu-server/100.conf", "nodes/n1/qemu-server/100.conf",
                "nodes/n1/qemu-server/101.conf");
        assertThat(all).containsExactly("nodes/n1/qemu-server/100.conf", "storage.cfg", "nodes/n1/qemu-server/100.conf",
                "nodes/n1/qemu-server/101.conf", "nodes/n1/qemu-server/101.conf");
    }

    @Test
    void failingWatcherDoesNotBreakWrite() {
        fs.watch("", p -> { throw new IllegalStateException("boom"); });
        fs.writeString("storage.cfg", "ok");
        assertThat(fs.readString("storage.cfg")).contains("ok");
    }

    @Test
    void withLockSerialisesAndTimesOut() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try {
            Future<String> holder = ex.submit(() -> fs.withLock("file-storage_cfg", Duration.ofSeconds(5), () -> {
                inside.countDown();
                try { release.await(); } catch (InterruptedException e) { throw new RuntimeException(e); }
                return "done";
            }));
            inside.await();
            assertThatThrownBy(() -> fs.withLock("file-storage_cfg", Duration.ofMillis(200), () -> "never"))
                    .isInstanceOf(CfsException.class)
                    .hasMessage("cfs-lock 'file-storage_cfg' error: got lock request timeout");
            // other names are independent
            assertThat(fs.withLock("file-user_cfg", Duration.ofMillis(200), () -> "free")).isEqualTo("free");
            Future<String> waiter = ex.submit(() -> fs.withLock("file-storage_cfg", Duration.ofSeconds(30), () -> "second"));
            release.countDown();
            assertThat(holder.get()).isEqualTo("done");
            assertThat(waiter.get()).isEqualTo("second");
        } finally {
            release.countDown();
            ex.shutdownNow();
        }
    }

    @Test
    void withLockGivesMutualExclusion() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        fs.writeString("counter", "0");
        ExecutorService ex = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs_ = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                fs_.add(ex.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        fs.withLock("counter", Duration.ofSeconds(30), () -> {
                            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            int v = Integer.parseInt(fs.readString("counter").orElseThrow());
                            fs.writeString("counter", Integer.toString(v + 1));
                            inside.decrementAndGet();
                            return null;
                        });
                    }
                }));
            }
            for (Future<?> f : fs_) f.get();
        } finally {
            ex.shutdownNow();
        }
        assertThat(fs.readString("counter")).contains("200");
        assertThat(maxInside.get()).isEqualTo(1);
    }

    @Test
    void bodyExceptionsPropagateUnchangedAndReleaseTheLock() {
        assertThatThrownBy(() -> fs.withLock("l", null, () -> { throw new IllegalStateException("mine"); }))
                .isInstanceOf(IllegalStateException.class).hasMessage("mine");
        assertThat(fs.withLock("l", Duration.ofMillis(100), () -> 1)).isEqualTo(1);
        assertThat(fs.withLock("l", Duration.ofMillis(100), () -> fs.withLock("l", Duration.ofMillis(100), () -> 2))).isEqualTo(2);
    }

    @Test
    void lockedCodeMayChangeTheTreeFor60Seconds() {
        fs.writeString("storage.cfg", "old\n");
        // within 60 s: the change happens
        fs.withLock("file-storage_cfg", null, () -> {
            now.addAndGet(60_000);
            fs.writeString("storage.cfg", "in time\n");
            return null;
        });
        assertThat(fs.readString("storage.cfg")).contains("in time\n");
        // past 60 s (the lock expires at 120 s): the change is refused, the old content stays
        assertThatThrownBy(() -> fs.withLock("file-storage_cfg", null, () -> {
            now.addAndGet(60_001);
            fs.writeString("storage.cfg", "late\n");
            return null;
        })).isInstanceOf(CfsException.class)
            .hasMessage("cfs-lock 'file-storage_cfg' error: 'file-storage_cfg'-locked command timed out - aborting");
        assertThat(fs.readString("storage.cfg")).contains("in time\n");
        // a locked call that overran is reported as failed even when it changed nothing late
        assertThatThrownBy(() -> fs.withLock("file-storage_cfg", null, () -> now.addAndGet(61_000)))
            .hasMessageContaining("locked command timed out");
        // the lock was released, and code outside any lock is not limited
        assertThat(fs.withLock("file-storage_cfg", Duration.ofMillis(100), () -> 1)).isEqualTo(1);
        now.addAndGet(600_000);
        fs.writeString("storage.cfg", "free\n");
        assertThat(fs.readString("storage.cfg")).contains("free\n");
    }

    @Test
    void haLocksExpireAfter120sWithoutRefresh() throws Exception {
        assertThat(fs.tryLock("ha_manager_lock")).isTrue();
        assertThat(fs.tryLock("ha_manager_lock")).isTrue(); // refresh
        // a withLock user on the same node cannot take a held HA lock
        assertThatThrownBy(() -> fs.withLock("ha_manager_lock", Duration.ofMillis(100), () -> 1)).isInstanceOf(CfsException.class);
        now.addAndGet(119_000);
        assertThatThrownBy(() -> fs.withLock("ha_manager_lock", Duration.ofMillis(100), () -> 1)).isInstanceOf(CfsException.class);
        now.addAndGet(1_000);
        assertThat(fs.withLock("ha_manager_lock", Duration.ofMillis(100), () -> 1)).isEqualTo(1);
        assertThat(fs.tryLock("ha_manager_lock")).isTrue();
        fs.unlock("ha_manager_lock");
        assertThat(fs.withLock("ha_manager_lock", Duration.ofMillis(100), () -> 3)).isEqualTo(3);
    }

    @Test
    void nodeStatusAndClusterLog() {
        fs.setNodeStatus("rrd/node", "up".getBytes(StandardCharsets.UTF_8));
        assertThat(fs.nodeStatus("n1", "rrd/node")).contains("up".getBytes(StandardCharsets.UTF_8));
        assertThat(fs.nodeStatus("n2", "rrd/node")).isEmpty();
        fs.setNodeStatus("rrd/node", null);
        assertThat(fs.nodeStatus("n1", "rrd/node")).isEmpty();
        assertThat(fs.readString(".rrd")).contains("");
        fs.setNodeStatus(StatusFiles.RRD_KEY, "pve2-node/n1:1:0:1700000000:0.5".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(fs.readString(".rrd")).contains("pve2-node/n1:1:0:1700000000:0.5\n");
        for (int i = 0; i < 60; i++) fs.clusterLog(6, "pvedaemon", "root@pam", "entry " + i);
        String log = fs.readString(".clusterlog").orElseThrow();
        assertThat(log).contains("\"msg\": \"entry 59\"").contains("\"node\": \"n1\"").doesNotContain("\"entry 9\"");
        assertThat(log.indexOf("entry 59")).isLessThan(log.indexOf("entry 58"));
    }
}
