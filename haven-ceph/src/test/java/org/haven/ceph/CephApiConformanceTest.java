package org.haven.ceph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.TestApi;
import org.haven.api.server.ApiConformance;
import org.haven.api.server.ApiTree;
import org.haven.api.server.SchemaExport;
import org.haven.cfs.LocalClusterFs;
import org.haven.storage.api.StorageApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The Ceph API is PVE 8.4's {@code /cluster/ceph} and {@code /nodes/{node}/ceph}: every method with its parameters, permissions and flags. */
class CephApiConformanceTest {
    @TempDir Path tmp;

    static boolean ceph(String path) { return path.startsWith("/cluster/ceph") || path.startsWith("/nodes/{node}/ceph"); }

    /** The methods the module registers on a node, as {@code apidump} exports them. */
    Map<String, JsonNode> registered() throws Exception {
        Files.createDirectories(tmp.resolve("cfs"));
        TestApi api = new TestApi(new LocalClusterFs(tmp.resolve("cfs"), "n1"), tmp, (a, p, privs, any) -> false);
        ApiTree tree = new ApiTree();
        new CephApi(StorageApi.storageManager(api.node)).register(tree, api.node);
        return ApiConformance.methods(SchemaExport.apidump(tree), CephApiConformanceTest::ceph);
    }

    @Test
    void allMethodsOfPve() throws Exception {
        Map<String, JsonNode> mine = registered();
        Map<String, JsonNode> pve = ApiConformance.pve(CephApiConformanceTest::ceph);
        assertThat(pve).hasSize(47);
        assertThat(mine.keySet()).isEqualTo(pve.keySet());
        assertThat(ApiConformance.differences(mine, pve)).isEmpty();
    }

    @Test
    void everyPvecephCommandCallsAMethodWithItsParameters() throws Exception {
        Map<String, JsonNode> mine = registered();
        List<String> words = new ArrayList<>();
        for (var c : new Pveceph().commands()) {
            words.add(c.words());
            if (c.path() == null) continue;
            JsonNode m = mine.get(c.method() + " " + c.path());
            assertThat(m).as(c.words()).isNotNull();
            for (String p : c.positionalParams()) assertThat(m.path("parameters").path("properties").has(p)).as(c.words() + " " + p).isTrue();
            for (String p : c.fixedParams().keySet()) assertThat(m.path("parameters").path("properties").has(p)).as(c.words() + " " + p).isTrue();
        }
        assertThat(words).contains("init", "mon create", "createmon", "mgr destroy", "osd create", "createosd", "pool create", "pool ls", "lspools",
                "pool set", "pool destroy", "start", "stop", "fs create", "install");
        assertThat(Pveceph.installCommand()).startsWith("apt-get", "install").contains("ceph-mon", "ceph-mgr", "ceph-osd", "ceph-mds");
    }
}
