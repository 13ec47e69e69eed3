package org.haven.backup.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.api.AccessChecker;
import org.haven.api.ApiException;
import org.haven.api.NodeContext;
import org.haven.api.RequestContext;
import org.haven.api.TestNodeContext;
import org.haven.backup.BackupFixture;
import org.haven.backup.jobs.BackupJobs;
import org.haven.core.format.SectionConfig;
import org.haven.core.testing.RealTest;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup pages' read methods on a node with two VMs, a backup job and a real archive. */
@RealTest
class BackupInfoApiTest {
    @TempDir Path dir;

    static RequestContext as(String authid, NodeContext node) {
        return new RequestContext() {
            @Override public String authid() { return authid; }
            @Override public NodeContext node() { return node; }
            @Override public boolean viaCli() { return false; }
            @Override public String clientAddress() { return "127.0.0.1"; }
        };
    }

    @Test
    void notBackedUpDefaultsAndTheArchivedConfig() throws Exception {
        try (BackupFixture f = new BackupFixture(dir)) {
            f.vmids.addAll(List.of(100, 101));
            f.qemu.create(100, Map.of("memory", "128", "name", "web", "virtio0", "src:0.00390625,format=raw"), s -> {});
            f.qemu.create(101, Map.of("memory", "128", "name", "db"), s -> {});
            BackupJobs jobs = new BackupJobs(f.cfs);
            AccessChecker access = new AccessChecker() {
                @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                    return authid.equals("root@pam") || (authid.equals("user@pve") && path.equals("/storage/bk"));
                }
                @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
            };
            NodeContext node = new TestNodeContext(f.cfs, null, access, dir.resolve("node"), Clock.SYSTEM);
            BackupInfoApi api = new BackupInfoApi(List.of(f.qemu.guests()), () -> f.sm, () -> Map.of("compress", "zstd", "stopwait", "3"), jobs);

            assertThat(api.notBackedUp()).containsExactly(Map.of("vmid", 100, "type", "qemu", "name", "web"), Map.of("vmid", 101, "type", "qemu", "name", "db"));
            jobs.modify(doc -> {
                SectionConfig.Section s = new SectionConfig.Section(BackupJobs.TYPE, "backup-web");
                s.set("schedule", "daily");
                s.set("vmid", "100");
                doc.add(s);
                return null;
            });
            assertThat(api.notBackedUp()).containsExactly(Map.of("vmid", 101, "type", "qemu", "name", "db"));

            Map<String, Object> d = api.defaults("bk", "node1", as("root@pam", node));
            assertThat(d).containsEntry("storage", "bk").containsEntry("compress", "zstd").containsEntry("stopwait", 3L)
                    .containsEntry("mode", "snapshot").containsEntry("prune-backups", "keep-all=1").containsEntry("dumpdir", dir.resolve("bk/dump").toString());
            assertThat(api.defaults("bk", "node1", as("user@pve", node))).doesNotContainKeys("dumpdir", "ionice").containsEntry("storage", "bk");
            assertThatThrownBy(() -> api.defaults("src", "node1", as("user@pve", node))).isInstanceOf(ApiException.class);

            f.vzdump(Map.of("vmid", "100", "mode", "stop", "storage", "bk", "compress", "zstd"), new ArrayList<>());
            String archive;
            try (var s = Files.list(dir.resolve("bk/dump"))) {
                archive = "bk:backup/" + s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".vma.zst")).findFirst().orElseThrow();
            }
            String conf = api.extractConfig(archive, as("root@pam", node));
            assertThat(conf).contains("name: web").contains("#qmdump#map:virtio0:drive-virtio0:src:raw:");
            assertThatThrownBy(() -> api.extractConfig(archive, as("user@pve", node))).isInstanceOf(ApiException.class);
            assertThatThrownBy(() -> api.extractConfig("bk:backup/vzdump-qemu-100-2000_01_01-00_00_00.vma", as("root@pam", node)))
                    .hasMessageContaining("does not exist");
            assertThatThrownBy(() -> api.extractConfig("bk:backup/notes.txt", as("root@pam", node)))
                    .hasMessageContaining("cannot determine backup guest type");
        }
    }
}
