package org.haven.core.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryClusterFsTest {
    final AtomicLong now = new AtomicLong(1_750_000_000L);
    final MemoryClusterFs fs = new MemoryClusterFs("n1", now::get);

    @Test
    void hasPmxcfsLayoutAndItsRules() {
        assertThat(fs.list("nodes/n1")).extracting(ClusterFs.Entry::name).containsExactly("lxc", "priv", "qemu-server");
        assertThat(fs.list("")).extracting(ClusterFs.Entry::name).containsExactly("nodes", "priv");
        assertThatThrownBy(() -> fs.writeString("ha/resources.cfg", "x")).isInstanceOf(CfsException.class)
                .hasMessage("unable to write file 'ha/resources.cfg' - No such file or directory");
        fs.writeString("nodes/n1/qemu-server/100.conf", "memory: 512\n");
        assertThatThrownBy(() -> fs.create("nodes/n1/qemu-server/100.conf", new byte[0])).hasMessage(
                "unable to create file 'nodes/n1/qemu-server/100.conf' - File exists");
        assertThatThrownBy(() -> fs.writeString("nodes/n1/qemu-server", "x")).hasMessageEndingWith("Is a directory");
        assertThatThrownBy(() -> fs.mkdirs("nodes/n1/qemu-server/100.conf/x")).hasMessageEndingWith("File exists");
        assertThatThrownBy(() -> fs.delete("nodes/n1/qemu-server")).hasMessageEndingWith("Directory not empty");
        assertThat(fs.delete("nodes/n1/lxc")).isTrue();
        assertThat(fs.delete("nodes/n1/lxc")).isFalse();
        assertThat(fs.read("nodes/n1/qemu-server")).isEmpty();
        assertThat(fs.writes()).isEqualTo(1);
    }

    @Test
    void entriesCarryTimesAndVersionsAndRenameMovesSubtrees() {
        fs.put("a/b/c.cfg", "one");
        ClusterFs.Entry first = fs.stat("a/b/c.cfg").orElseThrow();
        assertThat(first).extracting(ClusterFs.Entry::name, ClusterFs.Entry::size, ClusterFs.Entry::mtime).containsExactly("c.cfg", 3L, 1_750_000_000L);
        now.addAndGet(5);
        fs.put("a/b/c.cfg", "second");
        ClusterFs.Entry second = fs.stat("a/b/c.cfg").orElseThrow();
        assertThat(second.mtime()).isEqualTo(1_750_000_005L);
        assertThat(second.version()).isGreaterThan(first.version());
        fs.mkdirs("z");
        fs.rename("a/b", "z/b");
        assertThat(fs.text("z/b/c.cfg")).isEqualTo("second");
        assertThat(fs.text("a/b/c.cfg")).isNull();
        assertThat(fs.list("a")).isEmpty();
        assertThatThrownBy(() -> fs.rename("a/b", "z/c")).hasMessage("unable to rename 'a/b' - No such file or directory");
        assertThatThrownBy(() -> fs.rename("z/b", "q/b")).hasMessage("unable to rename 'q/b' - No such file or directory");
    }

    @Test
    void watchesSeeChangesBelowTheirPrefixUntilClosed() throws Exception {
        List<String> seen = new ArrayList<>();
        AutoCloseable w = fs.watch("nodes/", seen::add);
        fs.writeString("nodes/n1/qemu-server/100.conf", "x");
        fs.put("priv/x", "y");
        fs.delete("nodes/n1/qemu-server/100.conf");
        w.close();
        fs.writeString("nodes/n1/qemu-server/101.conf", "x");
        assertThat(seen).containsExactly("nodes/n1/qemu-server/100.conf", "nodes/n1/qemu-server/100.conf");
    }

    @Test
    void locksAreHeldPerNameAndTimeOut() throws Exception {
        assertThat(fs.withLock("a", Duration.ofSeconds(1), () -> fs.withLock("a", Duration.ofSeconds(1), () -> 7))).isEqualTo(7);
        Thread holder = Thread.ofPlatform().start(() -> fs.withLock("b", null, () -> {
            try { Thread.sleep(1000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            return null;
        }));
        Thread.sleep(100);
        assertThatThrownBy(() -> fs.withLock("b", Duration.ofMillis(50), () -> 1)).hasMessage("cfs-lock 'b' error: got lock request timeout");
        assertThat(fs.withLock("c", Duration.ofMillis(50), () -> 2)).isEqualTo(2);
        holder.join();
    }
}
