package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.haven.api.server.Json;
import org.haven.api.server.SchemaExport;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code haven apidump} has the tree shape of PVE's {@code pve-api-8.4.json}, and the platform's methods
 * have PVE's paths, methods, names and parameter names/types.
 */
class ApiDumpConformanceTest {
    static final Set<String> NODE_KEYS = Set.of("path", "text", "leaf", "children", "info");
    static final Set<String> INFO_KEYS = Set.of("allowtoken", "description", "method", "name", "parameters", "returns",
            "permissions", "protected", "proxyto", "download_allowed");

    /** The methods this module implements. */
    static final List<String> PLATFORM = List.of(
            "GET /version", "GET /nodes", "GET /nodes/{node}", "GET /nodes/{node}/status", "GET /nodes/{node}/version",
            "GET /nodes/{node}/time", "GET /nodes/{node}/tasks", "GET /nodes/{node}/tasks/{upid}", "DELETE /nodes/{node}/tasks/{upid}",
            "GET /nodes/{node}/tasks/{upid}/status", "GET /nodes/{node}/tasks/{upid}/log", "GET /nodes/{node}/certificates",
            "GET /nodes/{node}/certificates/info", "GET /cluster", "GET /cluster/status", "GET /cluster/resources",
            "GET /cluster/nextid", "GET /cluster/tasks", "GET /access", "GET /access/ticket", "POST /access/ticket",
            "GET /access/permissions");

    static JsonNode ours;

    @BeforeAll
    static void dump() throws Exception {
        ours = SchemaExport.apidump(OfflineApi.build());
    }

    static Map<String, JsonNode> index(JsonNode tree) {
        Map<String, JsonNode> out = new HashMap<>();
        List<JsonNode> todo = new ArrayList<>();
        tree.forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            JsonNode info = n.get("info");
            if (info != null) for (Map.Entry<String, JsonNode> e : info.properties()) out.put(e.getKey() + " " + n.get("path").asString(), e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        return out;
    }

    @Test
    void treeShape() {
        List<JsonNode> todo = new ArrayList<>();
        ours.forEach(todo::add);
        int nodes = 0;
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            nodes++;
            assertThat(NODE_KEYS).containsAll(new TreeSet<>(n.propertyNames()));
            String path = n.get("path").asString();
            assertThat(path).startsWith("/");
            assertThat(n.get("text").asString()).isEqualTo(path.substring(path.lastIndexOf('/') + 1));
            assertThat(n.get("leaf").asInt()).isEqualTo(n.has("children") ? 0 : 1);
            if (n.has("info")) for (Map.Entry<String, JsonNode> e : n.get("info").properties()) {
                assertThat(INFO_KEYS).containsAll(new TreeSet<>(e.getValue().propertyNames()));
                assertThat(e.getValue().get("method").asString()).isEqualTo(e.getKey());
                assertThat(e.getValue().get("parameters").get("type").asString()).isEqualTo("object");
            }
            if (n.has("children")) for (JsonNode c : n.get("children")) {
                assertThat(c.get("path").asString()).startsWith(path + "/");
                todo.add(c);
            }
        }
        assertThat(nodes).isGreaterThan(20);
    }

    @Test
    void platformMethodsMatchPve() throws Exception {
        Map<String, JsonNode> pve = index(Json.MAPPER.readTree(Files.readString(Tools.pveApiSpec())));
        Map<String, JsonNode> mine = index(ours);
        List<String> problems = new ArrayList<>();
        for (String key : PLATFORM) {
            JsonNode m = mine.get(key);
            JsonNode p = pve.get(key);
            if (m == null) { problems.add(key + ": not implemented"); continue; }
            if (p == null) { problems.add(key + ": not in PVE"); continue; }
            if (!m.get("name").equals(p.get("name"))) problems.add(key + ": name " + m.get("name") + " vs " + p.get("name"));
            JsonNode mp = m.get("parameters").path("properties");
            JsonNode pp = p.get("parameters").path("properties");
            Set<String> mn = new TreeSet<>(mp.propertyNames());
            Set<String> pn = new TreeSet<>(pp.propertyNames());
            if (!mn.equals(pn)) problems.add(key + ": parameters " + mn + " vs " + pn);
            for (String n : mn) {
                if (!pp.has(n)) continue;
                if (!mp.get(n).path("type").equals(pp.get(n).path("type"))) problems.add(key + ": type of " + n);
                if (mp.get(n).path("optional").asInt(0) != pp.get(n).path("optional").asInt(0)) problems.add(key + ": optional of " + n);
                if (!mp.get(n).path("format").equals(pp.get(n).path("format"))) problems.add(key + ": format of " + n);
            }
            if (!m.path("proxyto").equals(p.path("proxyto"))) problems.add(key + ": proxyto " + m.path("proxyto") + " vs " + p.path("proxyto"));
            if (m.path("protected").asInt(0) != p.path("protected").asInt(0)) problems.add(key + ": protected");
            if (m.path("allowtoken").asInt(1) != p.path("allowtoken").asInt(1)) problems.add(key + ": allowtoken");
            if (!m.path("returns").path("type").equals(p.path("returns").path("type"))) problems.add(key + ": returns type");
            if (!m.path("permissions").path("user").equals(p.path("permissions").path("user"))
                    || !m.path("permissions").path("check").equals(p.path("permissions").path("check")))
                problems.add(key + ": permissions " + m.path("permissions") + " vs " + p.path("permissions"));
        }
        // every other module's method at least uses a PVE path and HTTP method (reported, not enforced here)
        List<String> foreign = new ArrayList<>();
        for (String key : mine.keySet()) if (!pve.containsKey(key)) foreign.add(key);
        if (!foreign.isEmpty()) System.out.println("methods without a PVE counterpart: " + new TreeSet<>(foreign));
        assertThat(problems).isEmpty();
    }
}
