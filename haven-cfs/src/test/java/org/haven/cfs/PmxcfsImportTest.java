package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config.db written the way pmxcfs writes it (raw SQL, its schema and inode layout) imports into both implementations. */
class PmxcfsImportTest {
    @TempDir Path dir;

    static final String STORAGE = PmxcfsDb.STORAGE;
    static final String VM = PmxcfsDb.VM;

    /** Builds a database as pmxcfs would hold it for a small two-node cluster. */
    static Path pmxcfsDb(Path dir) throws Exception {
        return PmxcfsDb.write(dir.resolve("config.db"));
    }

    @Test
    void importIntoTheTreeKeepsVersionsWritersAndGuests() throws Exception {
        MemTree t = ConfigDb.load(pmxcfsDb(dir), CfsLimits.PVE);
        assertThat(t.version()).isEqualTo(40);
        assertThat(new String(t.read("storage.cfg").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo(STORAGE);
        MemTree.Node vm = t.lookup("nodes/pve1/qemu-server/100.conf").orElseThrow();
        assertThat(vm.version()).isEqualTo(35);
        assertThat(vm.writer()).isEqualTo(1);
        assertThat(vm.mtime()).isEqualTo(1700000350);
        assertThat(t.vmids()).containsOnlyKeys(100, 200);
        assertThat(t.read("ha/resources.cfg")).contains(new byte[0]);
        // the next change continues after the imported version
        assertThat(t.write("user.cfg", new byte[0], false, 1, 1700000500_000L)).isEqualTo(41);
        String vmlist = StatusFiles.vmlist(1, t.vmids().values(), p -> t.lookup(p).map(MemTree.Node::version).orElse(-1L));
        assertThat(vmlist).contains("\"100\": { \"node\": \"pve1\", \"type\": \"qemu\", \"version\": 35 }")
                .contains("\"200\": { \"node\": \"pve2\", \"type\": \"lxc\", \"version\": 39 }");
    }

    @Test
    void localClusterFsImportsAndExports() throws Exception {
        Path db = pmxcfsDb(dir);
        LocalClusterFs fs = new LocalClusterFs(dir.resolve("local"), "pve1");
        fs.writeString("will-be-replaced", "x");
        fs.importDb(db);
        assertThat(fs.read("will-be-replaced")).isEmpty();
        assertThat(fs.readString("storage.cfg")).contains(STORAGE);
        assertThat(fs.readString("qemu-server/100.conf")).contains(VM);
        assertThat(fs.stat("storage.cfg").orElseThrow().mtime()).isEqualTo(1700000300);
        assertThat(fs.readString(".vmlist").orElseThrow()).contains("\"200\": { \"node\": \"pve2\", \"type\": \"lxc\"");
        Path out = dir.resolve("export.db");
        fs.exportDb(out);
        MemTree back = ConfigDb.load(out, CfsLimits.PVE);
        assertThat(new String(back.read("priv/shadow.cfg").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("root:x:\n");
        assertThat(back.vmids()).containsOnlyKeys(100, 200);
    }

    @Test
    void replicatedNodeStartsFromImportedDatabase() throws Exception {
        Path db = pmxcfsDb(dir);
        Path data = dir.resolve("node");
        RaftClusterFs.importDb(data, db, CfsLimits.PVE);
        CfsNode self = new CfsNode("pve1", 1, "127.0.0.1", RaftTestCluster.freePort());
        try (RaftClusterFs fs = RaftClusterFs.start(new RaftClusterFs.Config("imp", RaftClusterFs.groupUuid("imp"), 0, self, List.of(self), data,
                Clock.SYSTEM, CfsLimits.PVE, Duration.ofMillis(300), Duration.ofSeconds(5)))) {
            await().atMost(Duration.ofSeconds(30)).until(fs::isQuorate);
            assertThat(fs.readString("storage.cfg")).contains(STORAGE);
            assertThat(fs.stat("nodes/pve1/qemu-server/100.conf").map(ClusterFs.Entry::version)).contains(35L);
            fs.writeString("storage.cfg", "changed\n");
            assertThat(fs.stat("storage.cfg").orElseThrow().version()).isGreaterThan(40);
            Path out = dir.resolve("out.db");
            fs.exportDb(out);
            assertThat(new String(ConfigDb.load(out, CfsLimits.PVE).read("storage.cfg").orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("changed\n");
        }
    }
}
