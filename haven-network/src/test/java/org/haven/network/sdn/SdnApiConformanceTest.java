package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Json;
import org.haven.api.server.SchemaExport;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The SDN API is PVE 8.4's {@code /cluster/sdn} and {@code /nodes/{node}/sdn} apart from the vnet firewall
 * (which belongs to the firewall): every method with its parameters, permissions and flags.
 */
class SdnApiConformanceTest extends SdnApiHarness {

    static Map<String, JsonNode> sdn(JsonNode tree) {
        Map<String, JsonNode> out = new TreeMap<>();
        List<JsonNode> todo = new ArrayList<>();
        tree.forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            String path = n.path("path").asString();
            if (n.has("info") && path.contains("/sdn") && !path.contains("/firewall"))
                for (Map.Entry<String, JsonNode> e : n.get("info").properties()) out.put(e.getKey() + " " + path, e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        return out;
    }

    @Test
    void allMethodsOfPve() throws Exception {
        start(List.of());
        ApiTree tree = new ApiTree();
        new SdnApi(List.of()).register(tree, node);
        Map<String, JsonNode> mine = sdn(SchemaExport.apidump(tree));
        Map<String, JsonNode> pve = sdn(Json.MAPPER.readTree(Files.readString(Tools.pveApiSpec())));
        assertThat(pve).hasSize(40);
        assertThat(mine.keySet()).isEqualTo(pve.keySet());
        List<String> problems = new ArrayList<>();
        mine.forEach((key, m) -> {
            JsonNode p = pve.get(key);
            if (!m.path("parameters").path("properties").propertyNames().equals(p.path("parameters").path("properties").propertyNames()))
                problems.add(key + ": parameters");
            if (!m.path("permissions").equals(p.path("permissions"))) problems.add(key + ": permissions " + m.path("permissions") + " vs " + p.path("permissions"));
            if (m.path("protected").asInt(0) != p.path("protected").asInt(0)) problems.add(key + ": protected");
            if (!m.path("proxyto").asString("").equals(p.path("proxyto").asString(""))) problems.add(key + ": proxyto");
        });
        assertThat(problems).isEmpty();
    }
}
