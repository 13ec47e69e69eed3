package org.haven.storage.disks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Json;
import org.haven.api.server.SchemaExport;
import org.haven.core.testing.Tools;
import org.haven.storage.api.ApiFixture;
import org.haven.storage.api.StorageApiConformanceTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The disk API is PVE 8.4's {@code /nodes/{node}/disks}: every method, with its parameters, permissions and flags. */
class DisksApiConformanceTest {
    @TempDir Path tmp;

    static Map<String, JsonNode> disks(Map<String, JsonNode> all) {
        Map<String, JsonNode> out = new TreeMap<>();
        all.forEach((k, v) -> { if (k.contains(" /nodes/{node}/disks")) out.put(k, v); });
        return out;
    }

    @Test
    void allMethodsOfPve() throws Exception {
        ApiTree tree = new ApiTree();
        ApiFixture f = new ApiFixture(tmp);
        new DisksApi(f.sm).register(tree, f.node);
        Map<String, JsonNode> mine = disks(StorageApiConformanceTest.index(SchemaExport.apidump(tree)));
        Map<String, JsonNode> pve = disks(StorageApiConformanceTest.index(Json.MAPPER.readTree(Files.readString(Tools.pveApiSpec()))));
        assertThat(pve).hasSize(18);
        assertThat(mine.keySet()).isEqualTo(pve.keySet());
        assertThat(StorageApiConformanceTest.problems(mine, pve)).isEmpty();
        // PVE's extra permission notes of add_storage and cleanup-config are kept
        assertThat(mine.get("POST /nodes/{node}/disks/lvm").path("permissions").path("description").asString()).contains("add_storage");
    }
}
