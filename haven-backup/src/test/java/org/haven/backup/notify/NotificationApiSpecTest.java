package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.haven.api.ApiMethod;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Every {@code /cluster/notifications} method of PVE 8.4 exists here with PVE's name, parameters, permissions and protection. */
class NotificationApiSpecTest {
    @Test
    void methodsMatchPve() throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        Map<String, JsonNode> pve = new HashMap<>();
        List<JsonNode> todo = new ArrayList<>();
        json.readTree(Files.readString(Tools.pveApiSpec())).forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.removeLast();
            if (n.has("info") && n.get("path").asString().startsWith("/cluster/notifications"))
                for (var e : n.get("info").properties()) pve.put(e.getKey() + " " + n.get("path").asString(), e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        Map<String, ApiMethod> mine = new HashMap<>();
        for (ApiMethod m : new NotificationApi().methods()) mine.put(m.method() + " " + m.path(), m);
        assertThat(new TreeSet<>(mine.keySet())).isEqualTo(new TreeSet<>(pve.keySet()));
        List<String> problems = new ArrayList<>();
        pve.forEach((key, p) -> {
            ApiMethod m = mine.get(key);
            JsonNode mj = json.valueToTree(Map.of("check", m.permissions().check() == null ? List.of() : m.permissions().check(),
                    "user", String.valueOf(m.permissions().user())));
            if (!m.name().equals(p.get("name").asString())) problems.add(key + ": name " + m.name());
            JsonNode pp = p.path("parameters").path("properties"), mp = m.parameters().toJson().path("properties");
            Set<String> pn = new TreeSet<>(pp.propertyNames()), mn = new TreeSet<>(mp.propertyNames());
            if (!pn.equals(mn)) problems.add(key + ": parameters " + mn + " vs " + pn);
            for (String n : pn) {
                if (!mp.has(n)) continue;
                if (!mp.get(n).path("type").equals(pp.get(n).path("type"))) problems.add(key + ": type of " + n);
                if (mp.get(n).path("optional").asInt(0) != pp.get(n).path("optional").asInt(0)) problems.add(key + ": optional of " + n);
            }
            if (p.has("permissions") && p.get("permissions").has("check") && !mj.get("check").equals(p.get("permissions").get("check")))
                problems.add(key + ": permissions " + mj.get("check") + " vs " + p.get("permissions").get("check"));
            if (p.path("permissions").path("user").asString("").equals("all") && !mj.get("user").asString().equals("all")) problems.add(key + ": user all");
            if (m.protect() != (p.path("protected").asInt(0) == 1)) problems.add(key + ": protected");
        });
        assertThat(problems).isEmpty();
    }
}
