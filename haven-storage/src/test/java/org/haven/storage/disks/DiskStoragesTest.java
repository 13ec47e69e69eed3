package org.haven.storage.disks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.haven.storage.config.StorageConfig;
import org.junit.jupiter.api.Test;

/** add_storage and cleanup-config on storage.cfg, as PVE's create_or_update and cleanup_storages_for_node. */
class DiskStoragesTest {
    static StorageConfig cfg(String text) { return StorageConfig.parse(text, "/var/lib/vz"); }

    @Test
    void addIsForThisNodeAndJoinsTheSameStorageOfAnotherNode() {
        StorageConfig c = cfg("");
        DiskStorages.addForNode(c, "n1", "lvm", "vg1", "vgname", Map.of("vgname", "vg1", "content", "rootdir,images", "shared", "0"));
        assertThat(c.write()).contains("lvm: vg1\n\tvgname vg1\n").contains("\tnodes n1\n").contains("\tshared 0\n");
        DiskStorages.addForNode(c, "n2", "lvm", "vg1", "vgname", Map.of("vgname", "vg1", "content", "rootdir,images", "shared", "0"));
        assertThat(c.get("vg1").orElseThrow().nodes()).containsExactly("n1", "n2");
        assertThatThrownBy(() -> DiskStorages.addForNode(c, "n3", "lvm", "vg1", "vgname", Map.of("vgname", "other")))
                .hasMessage("storage ID 'vg1' already defined with a different vgname");
        assertThatThrownBy(() -> DiskStorages.addForNode(c, "n3", "dir", "vg1", "path", Map.of("path", "/x")))
                .hasMessage("storage ID 'vg1' already defined with a different type");
        assertThatThrownBy(() -> DiskStorages.addForNode(c, "n3", "dir", "local", "path", Map.of("path", "/var/lib/vz")))
                .hasMessageContaining("already defined");
    }

    @Test
    void cleanupTakesThisNodeOut() {
        StorageConfig c = cfg("""
                dir: only1
                	path /mnt/pve/d
                	content images
                	nodes n1

                dir: both
                	path /mnt/pve/d
                	content images
                	nodes n1,n2

                dir: all
                	path /mnt/pve/d
                	content images

                dir: other
                	path /mnt/pve/e
                	content images
                	nodes n1

                """);
        DiskStorages.cleanupForNode(c, "n1", Set.of("n1", "n2", "n3"), "dir", "path", "/mnt/pve/d");
        assertThat(c.get("only1")).isEmpty();
        assertThat(c.get("both").orElseThrow().nodes()).containsExactly("n2");
        assertThat(c.get("all").orElseThrow().nodes()).containsExactly("n2", "n3");
        assertThat(c.get("other").orElseThrow().nodes()).containsExactly("n1");
        // a single node cluster: the storage for all nodes goes away
        StorageConfig single = cfg("lvm: vg\n\tvgname vg\n\tcontent images\n\n");
        DiskStorages.cleanupForNode(single, "n1", Set.of("n1"), "lvm", "vgname", "vg");
        assertThat(single.get("vg")).isEmpty();
    }
}
