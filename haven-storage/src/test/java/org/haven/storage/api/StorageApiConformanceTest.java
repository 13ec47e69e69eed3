package org.haven.storage.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Json;
import org.haven.api.server.SchemaExport;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Every storage API method has PVE 8.4's path, HTTP method, name, parameters (names, types, formats), proxyto and flags. */
public class StorageApiConformanceTest {
    @TempDir Path tmp;

    public static Map<String, JsonNode> index(JsonNode tree) {
        return org.haven.api.server.ApiConformance.methods(tree, path -> true);
    }

    @Test
    void methodsMatchPve() throws Exception {
        ApiTree tree = new ApiTree();
        tree.addAll(StorageApi.methods(new ApiFixture(tmp).sm));
        Map<String, JsonNode> mine = index(SchemaExport.apidump(tree));
        Map<String, JsonNode> pve = index(Json.MAPPER.readTree(Files.readString(Tools.pveApiSpec())));
        assertThat(mine).hasSizeGreaterThan(20);
        List<String> problems = problems(mine, pve);
        assertThat(problems).isEmpty();
    }

    /** Differences of {@code mine} (an apidump index) to PVE's methods of the same keys. */
    public static List<String> problems(Map<String, JsonNode> mine, Map<String, JsonNode> pve) {
        List<String> problems = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(mine).entrySet()) {
            String key = e.getKey();
            JsonNode m = e.getValue();
            JsonNode p = pve.get(key);
            if (p == null) { problems.add(key + ": not in PVE"); continue; }
            if (!m.get("name").equals(p.get("name"))) problems.add(key + ": name " + m.get("name") + " vs " + p.get("name"));
            JsonNode mp = m.get("parameters").path("properties");
            JsonNode pp = p.get("parameters").path("properties");
            Set<String> mn = new TreeSet<>(mp.propertyNames());
            Set<String> pn = new TreeSet<>(pp.propertyNames());
            Set<String> missing = new TreeSet<>(pn);
            missing.removeAll(mn);
            Set<String> extra = new TreeSet<>(mn);
            extra.removeAll(pn);
            // ESXi, PBS-only and PVE-9 options are not offered: the types are not implemented
            missing.removeAll(Set.of("skip-cert-verification", "authsupported"));
            if (!missing.isEmpty()) problems.add(key + ": missing parameters " + missing);
            if (!extra.isEmpty()) problems.add(key + ": extra parameters " + extra);
            for (String n : mn) {
                if (!pp.has(n)) continue;
                if (!mp.get(n).path("type").equals(pp.get(n).path("type"))) problems.add(key + ": type of " + n + " " + mp.get(n).path("type") + " vs " + pp.get(n).path("type"));
                if (mp.get(n).path("optional").asInt(0) != pp.get(n).path("optional").asInt(0)) problems.add(key + ": optional of " + n);
                JsonNode mf = mp.get(n).path("format");
                JsonNode pf = pp.get(n).path("format");
                if (pf.isString() && !mf.equals(pf)) problems.add(key + ": format of " + n + " " + mf + " vs " + pf);
            }
            if (!m.path("proxyto").equals(p.path("proxyto"))) problems.add(key + ": proxyto " + m.path("proxyto") + " vs " + p.path("proxyto"));
            if (m.path("protected").asInt(0) != p.path("protected").asInt(0)) problems.add(key + ": protected");
            if (!m.path("returns").path("type").equals(p.path("returns").path("type")))
                problems.add(key + ": returns type " + m.path("returns").path("type") + " vs " + p.path("returns").path("type"));
            boolean pveRootOnly = p.path("permissions").isMissingNode() || p.path("permissions").isNull();
            if (pveRootOnly) {
                if (!m.path("permissions").path("check").toString().equals("[\"perm\",\"/\",[\"__root__\"]]"))
                    problems.add(key + ": permissions " + m.path("permissions") + " vs root only");
            } else if (!m.path("permissions").path("user").equals(p.path("permissions").path("user"))
                    || !m.path("permissions").path("check").equals(p.path("permissions").path("check")))
                problems.add(key + ": permissions " + m.path("permissions") + " vs " + p.path("permissions"));
        }
        return problems;
    }
}
