package org.haven.qemu.api;

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
import org.haven.qemu.console.ConsoleApi;
import org.haven.guest.GuestWiring;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The VM API methods have PVE 8.4's paths, HTTP methods, names, parameter names and types. */
class QemuApiConformanceTest {
    /** Haven's own additions (no PVE counterpart; qm runs them locally in PVE). */
    static final Set<String> EXTENSIONS = Set.of("GET /nodes/{node}/qemu/{vmid}/showcmd", "POST /nodes/{node}/qemu/rescan",
            "POST /nodes/{node}/qemu/{vmid}/importdisk", "POST /nodes/{node}/qemu/importovf");

    static Map<String, JsonNode> spec() throws Exception {
        JsonNode tree = JsonMapper.builder().build().readTree(Files.readString(Tools.pveApiSpec()));
        Map<String, JsonNode> out = new HashMap<>();
        List<JsonNode> todo = new ArrayList<>();
        tree.forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            if (n.has("info")) for (var e : n.get("info").properties()) out.put(e.getKey() + " " + n.get("path").asString(), e.getValue());
            if (n.has("children")) n.get("children").forEach(todo::add);
        }
        return out;
    }

    @Test
    void methodsMatchPve() throws Exception {
        Map<String, JsonNode> spec = spec();
        List<ApiMethod> ours = new ArrayList<>(new QemuApi(GuestWiring.alone(null)).methods());
        ours.addAll(new ConsoleApi(() -> null, java.util.Optional.empty()).methods());
        List<String> problems = new ArrayList<>();
        for (ApiMethod m : ours) {
            String key = m.method() + " " + m.path();
            if (EXTENSIONS.contains(key)) continue;
            JsonNode pve = spec.get(key);
            if (pve == null) { problems.add(key + ": not in PVE's API"); continue; }
            if (!pve.path("name").asString().equals(m.name())) problems.add(key + ": name " + m.name() + " != " + pve.path("name").asString());
            JsonNode props = pve.path("parameters").path("properties");
            for (var p : m.parameters().properties().entrySet()) {
                String name = p.getKey();
                JsonNode pp = props.get(name);
                if (pp == null) pp = props.get(name.replaceAll("\\d+$", "[n]"));
                if (pp == null) { problems.add(key + ": parameter " + name + " not in PVE"); continue; }
                String type = p.getValue().type();
                if (type != null && pp.has("type") && !pp.path("type").asString().equals(type))
                    problems.add(key + ": parameter " + name + " type " + type + " != " + pp.path("type").asString());
                boolean optional = p.getValue().isOptional();
                boolean pveOptional = pp.path("optional").asInt(0) == 1;
                if (optional != pveOptional && !name.equals("node")) problems.add(key + ": parameter " + name + " optional " + optional + " != " + pveOptional);
            }
        }
        assertThat(problems).isEmpty();
        assertThat(ours.size()).isGreaterThan(50);
        // the core of PVE's qemu API is there
        Set<String> have = new TreeSet<>();
        for (ApiMethod m : ours) have.add(m.method() + " " + m.path());
        assertThat(have).contains("GET /nodes/{node}/qemu", "POST /nodes/{node}/qemu", "DELETE /nodes/{node}/qemu/{vmid}",
                "GET /nodes/{node}/qemu/{vmid}/config", "POST /nodes/{node}/qemu/{vmid}/config", "PUT /nodes/{node}/qemu/{vmid}/config",
                "GET /nodes/{node}/qemu/{vmid}/pending", "GET /nodes/{node}/qemu/{vmid}/status/current",
                "POST /nodes/{node}/qemu/{vmid}/status/start", "POST /nodes/{node}/qemu/{vmid}/status/stop",
                "POST /nodes/{node}/qemu/{vmid}/status/shutdown", "POST /nodes/{node}/qemu/{vmid}/status/reboot",
                "POST /nodes/{node}/qemu/{vmid}/status/reset", "POST /nodes/{node}/qemu/{vmid}/status/suspend",
                "POST /nodes/{node}/qemu/{vmid}/status/resume", "POST /nodes/{node}/qemu/{vmid}/snapshot",
                "POST /nodes/{node}/qemu/{vmid}/clone", "POST /nodes/{node}/qemu/{vmid}/template", "PUT /nodes/{node}/qemu/{vmid}/resize",
                "POST /nodes/{node}/qemu/{vmid}/vncproxy", "GET /nodes/{node}/qemu/{vmid}/vncwebsocket", "POST /nodes/{node}/qemu/{vmid}/termproxy");
    }
}
