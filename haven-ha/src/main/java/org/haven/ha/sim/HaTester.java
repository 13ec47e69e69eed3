package org.haven.ha.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.ha.HaEnv;
import org.haven.ha.HaJson;
import tools.jackson.databind.JsonNode;

/**
 * Runs one HA regression scenario: {@code ha-tester CASE_DIR OUT_DIR}. Reads {@code hardware_status},
 * {@code manager_status}, {@code service_config}, {@code cmdlist} and the optional {@code groups},
 * {@code datacenter.cfg} and {@code static_service_stats}; writes the simulation log to {@code OUT_DIR/log}.
 */
public final class HaTester {
    private HaTester() {}

    private static JsonNode readJson(Path dir, String name, boolean required) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
            if (required) throw new IOException("missing " + p);
            return null;
        }
        String text = Files.readString(p, StandardCharsets.UTF_8);
        if (text.isBlank()) return null;
        return HaJson.parse(text);
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull()) return null;
        return n.isString() ? n.asString() : n.toString();
    }

    /** Builds the simulated cluster of a scenario directory. */
    public static SimHardware load(Path caseDir) throws IOException {
        JsonNode hw = readJson(caseDir, "hardware_status", true);
        List<String> nodes = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : hw.properties()) nodes.add(e.getKey());
        SimHardware sim = new SimHardware(nodes);
        for (Map.Entry<String, JsonNode> e : hw.properties()) {
            JsonNode n = e.getValue();
            double cpus = n.has("cpus") ? n.get("cpus").asDouble() : n.path("maxcpu").asDouble(0);
            long mem = n.has("memory") ? n.get("memory").asLong() : n.path("maxmem").asLong(0);
            sim.setNodeHardware(e.getKey(), n.path("power").asString("off"), n.path("network").asString("off"), cpus, mem);
        }
        JsonNode ms = readJson(caseDir, "manager_status", false);
        if (ms != null) sim.setManagerStatus(HaJson.managerStatus(ms));
        JsonNode sc = readJson(caseDir, "service_config", false);
        if (sc != null) {
            for (Map.Entry<String, JsonNode> e : sc.properties()) {
                Map<String, String> props = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> p : e.getValue().properties()) props.put(p.getKey(), text(p.getValue()));
                sim.putService(e.getKey(), props);
            }
        }
        Path groups = caseDir.resolve("groups");
        if (Files.exists(groups)) sim.setGroups(Files.readString(groups, StandardCharsets.UTF_8));
        JsonNode dc = readJson(caseDir, "datacenter.cfg", false);
        if (dc != null) {
            JsonNode ha = dc.path("ha");
            JsonNode crs = dc.path("crs");
            sim.setDatacenter(new HaEnv.Datacenter(ha.has("shutdown_policy") ? text(ha.get("shutdown_policy")) : null,
                crs.has("ha") ? text(crs.get("ha")) : null,
                crs.has("ha-rebalance-on-start") && !"0".equals(text(crs.get("ha-rebalance-on-start")))));
        }
        JsonNode stats = readJson(caseDir, "static_service_stats", false);
        if (stats != null) {
            for (Map.Entry<String, JsonNode> e : stats.properties()) {
                sim.setStaticServiceStats(e.getKey(), e.getValue().path("maxcpu").asDouble(0),
                    e.getValue().path("maxmem").asLong(0));
            }
        }
        JsonNode cmds = readJson(caseDir, "cmdlist", true);
        for (JsonNode batch : cmds) {
            List<String> b = new ArrayList<>();
            for (JsonNode c : batch) b.add(c.asString());
            sim.addCommandBatch(b);
        }
        return sim;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ha-tester CASE_DIR OUT_DIR");
            System.exit(2);
        }
        Path caseDir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        SimHardware sim = load(caseDir);
        int rc = 0;
        try {
            sim.run(1_000_000);
        } catch (RuntimeException e) {
            System.err.println("simulation failed: " + e);
            e.printStackTrace();
            rc = 1;
        }
        Files.writeString(out.resolve("log"), sim.log(), StandardCharsets.UTF_8);
        System.exit(rc);
    }
}
