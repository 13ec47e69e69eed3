package org.haven.api.server;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.haven.core.testing.Tools;
import tools.jackson.databind.JsonNode;

/**
 * A module's API against PVE 8.4's schema ({@code spec/pve-api-8.4.json}): both are trees in {@code apidump}'s shape
 * (Haven's from {@link SchemaExport#apidump}), indexed by {@code "METHOD path"}.
 */
public final class ApiConformance {
    private ApiConformance() {}

    /** Every method of an {@code apidump}-shaped tree whose path {@code paths} accepts: {@code "METHOD path"} → its declaration. */
    public static Map<String, JsonNode> methods(JsonNode tree, Predicate<String> paths) {
        Map<String, JsonNode> out = new TreeMap<>();
        List<JsonNode> todo = new ArrayList<>();
        tree.forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            String path = n.path("path").asString();
            if (n.has("info") && paths.test(path))
                for (Map.Entry<String, JsonNode> e : n.get("info").properties()) out.put(e.getKey() + " " + path, e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        return out;
    }

    /** The methods of PVE 8.4's schema whose path {@code paths} accepts. */
    public static Map<String, JsonNode> pve(Predicate<String> paths) throws IOException {
        return methods(Json.MAPPER.readTree(Files.readString(Tools.pveApiSpec())), paths);
    }

    /**
     * Where {@code mine} differs from {@code pve} method by method: parameter names, permissions (a method PVE declares
     * without permissions is root's, which the export says as a check of {@code __root__}), {@code protected} and
     * {@code proxyto}. Methods only one side has are the caller's to compare (by the key sets).
     */
    public static List<String> differences(Map<String, JsonNode> mine, Map<String, JsonNode> pve) {
        List<String> problems = new ArrayList<>();
        mine.forEach((key, m) -> {
            JsonNode p = pve.get(key);
            if (p == null) return;
            if (!m.path("parameters").path("properties").propertyNames().equals(p.path("parameters").path("properties").propertyNames()))
                problems.add(key + ": parameters");
            boolean rootOnly = !p.has("permissions") && m.path("permissions").path("check").toString().equals("[\"perm\",\"/\",[\"__root__\"]]");
            if (!rootOnly && !m.path("permissions").equals(p.path("permissions")))
                problems.add(key + ": permissions " + m.path("permissions") + " vs " + p.path("permissions"));
            if (m.path("protected").asInt(0) != p.path("protected").asInt(0)) problems.add(key + ": protected");
            if (!m.path("proxyto").asString("").equals(p.path("proxyto").asString(""))) problems.add(key + ": proxyto");
        });
        return problems;
    }
}
