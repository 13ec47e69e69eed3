package org.haven.ceph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.TestApi;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Json;
import org.haven.api.server.SchemaExport;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.Tools;
import org.haven.storage.api.StorageApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The Ceph API is PVE 8.4's {@code /cluster/ceph} and {@code /nodes/{node}/ceph}: every method with its parameters, permissions and flags. */
class CephApiConformanceTest {
    @TempDir Path tmp;

    static Map<String, JsonNode> ceph(JsonNode tree) {
        Map<String, JsonNode> out = new TreeMap<>();
        List<JsonNode> todo = new ArrayList<>();
        tree.forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            String path = n.path("path").asString();
            if (n.has("info") && (path.startsWith("/cluster/ceph") || path.startsWith("/nodes/{node}/ceph")))
                for (Map.Entry<String, JsonNode> e : n.get("info").properties()) out.put(e.getKey() + " " + path, e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        return out;
    }

    /** The methods the module registers on a node, as {@code apidump} exports them. */
    Map<String, JsonNode> registered() throws Exception {
        Files.createDirectories(tmp.resolve("cfs"));
        TestApi api = new TestApi(new LocalClusterFs(tmp.resolve("cfs"), "n1"), tmp, (a, p, privs, any) -> false);
        ApiTree tree = new ApiTree();
        new CephApi(StorageApi.storageManager(api.node)).register(tree, api.node);
        return ceph(SchemaExport.apidump(tree));
    }

    @Test
    void allMethodsOfPve() throws Exception {
        Map<String, JsonNode> mine = registered();
        Map<String, JsonNode> pve = ceph(Json.MAPPER.readTree(Files.readString(Tools.pveApiSpec())));
        assertThat(pve).hasSize(47);
        assertThat(mine.keySet()).isEqualTo(pve.keySet());
        List<String> problems = new ArrayList<>();
        mine.forEach((key, m) -> {
            JsonNode p = pve.get(key);
            if (!m.path("parameters").path("properties").propertyNames().equals(p.path("parameters").path("properties").propertyNames()))
                problems.add(key + ": parameters");
            // a method without permissions is root's: the export says so
            boolean rootOnly = !p.has("permissions") && m.path("permissions").path("check").toString().equals("[\"perm\",\"/\",[\"__root__\"]]");
            if (!rootOnly && !m.path("permissions").equals(p.path("permissions"))) problems.add(key + ": permissions " + m.path("permissions") + " vs " + p.path("permissions"));
            if (m.path("protected").asInt(0) != p.path("protected").asInt(0)) problems.add(key + ": protected");
            if (!m.path("proxyto").asString("").equals(p.path("proxyto").asString(""))) problems.add(key + ": proxyto");
        });
        assertThat(problems).isEmpty();
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
