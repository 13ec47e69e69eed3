package org.haven.lxc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.haven.api.ApiMethod;
import org.haven.core.testing.Tools;
import org.haven.guest.GuestWiring;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The container API methods have PVE 8.4's paths, HTTP methods, names, parameter names, types and optionality; the
 * methods of {@code /nodes/{node}/lxc} not declared here (nor by the firewall module, nor {@code rrddata} by
 * haven-node's statistics module) are exactly the known gaps.
 */
class LxcApiConformanceTest {
    /** Haven's own additions: what pct runs on the node itself in PVE. */
    static final java.util.Set<String> EXTENSIONS = java.util.Set.of("POST /nodes/{node}/lxc/{vmid}/unlock", "POST /nodes/{node}/lxc/{vmid}/mount",
            "POST /nodes/{node}/lxc/{vmid}/unmount", "GET /nodes/{node}/lxc/{vmid}/df", "POST /nodes/{node}/lxc/{vmid}/fsck", "POST /nodes/{node}/lxc/{vmid}/fstrim",
            "GET /nodes/{node}/lxc/cpusets", "POST /nodes/{node}/lxc/rescan");

    /** PVE's methods below /nodes/{node}/lxc, "METHOD path" → method info. */
    static Map<String, JsonNode> pveLxcMethods() throws Exception {
        Map<String, JsonNode> out = new TreeMap<>();
        List<JsonNode> todo = new ArrayList<>();
        JsonMapper.builder().build().readTree(Files.readString(Tools.pveApiSpec())).forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.removeLast();
            String path = n.path("path").asString();
            if (n.has("info") && path.startsWith(LxcApi.BASE))
                for (var e : n.get("info").properties()) out.put(e.getKey() + " " + path, e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        return out;
    }

    @Test
    void methodsMatchPve() throws Exception {
        Map<String, JsonNode> spec = pveLxcMethods();
        List<String> problems = new ArrayList<>();
        TreeSet<String> have = new TreeSet<>();
        for (ApiMethod m : new LxcApi(GuestWiring.alone(null)).methods()) {
            String key = m.method() + " " + m.path();
            have.add(key);
            if (EXTENSIONS.contains(key)) continue;
            JsonNode pve = spec.get(key);
            if (pve == null) { problems.add(key + ": not in PVE's API"); continue; }
            if (!pve.path("name").asString().equals(m.name())) problems.add(key + ": name " + m.name() + " != " + pve.path("name").asString());
            JsonNode props = pve.path("parameters").path("properties");
            for (var p : m.parameters().properties().entrySet()) {
                String name = p.getKey();
                JsonNode pp = props.has(name) ? props.get(name) : props.get(name.replaceAll("\\d+$", "[n]"));
                if (pp == null) { problems.add(key + ": parameter " + name + " not in PVE"); continue; }
                if (p.getValue().type() != null && !pp.path("type").asString().equals(p.getValue().type()))
                    problems.add(key + ": parameter " + name + " type " + p.getValue().type() + " != " + pp.path("type").asString());
                if (!name.equals("node") && p.getValue().isOptional() != (pp.path("optional").asInt(0) == 1))
                    problems.add(key + ": parameter " + name + " optional " + p.getValue().isOptional());
            }
            for (String name : props.propertyNames()) {
                if (!m.parameters().properties().containsKey(name) && !m.parameters().properties().containsKey(name.replace("[n]", "0")))
                    problems.add(key + ": PVE's parameter " + name + " missing");
            }
        }
        assertThat(problems).isEmpty();
        assertThat(have).containsAll(EXTENSIONS);
        TreeSet<String> missing = new TreeSet<>(spec.keySet());
        missing.removeAll(have);
        missing.removeIf(k -> k.contains("/firewall") || k.endsWith("/rrddata"));
        assertThat(missing).containsExactly(
                "GET /nodes/{node}/lxc/{vmid}/mtunnelwebsocket", "GET /nodes/{node}/lxc/{vmid}/rrd",
                "POST /nodes/{node}/lxc/{vmid}/mtunnel", "POST /nodes/{node}/lxc/{vmid}/remote_migrate");
    }
}
