package org.haven.ha;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** JSON encoding of the HA status files, with PVE's key names. */
public final class HaJson {
    private HaJson() {}

    public static final JsonMapper MAPPER = JsonMapper.builder().build();

    public static JsonNode parse(String text) {
        return MAPPER.readTree(text);
    }

    static String str(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        return n.isString() ? n.asString() : n.toString();
    }

    static boolean truthy(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return false;
        if (n.isBoolean()) return n.asBoolean();
        if (n.isNumber()) return n.asDouble() != 0;
        String s = n.asString();
        return !s.isEmpty() && !s.equals("0");
    }

    private static List<String> strList(JsonNode n) {
        if (n == null || !n.isArray()) return null;
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) out.add(str(e));
        return out;
    }

    public static ServiceState serviceState(JsonNode n) {
        ServiceState s = new ServiceState();
        s.state = str(n.get("state"));
        s.node = str(n.get("node"));
        s.target = str(n.get("target"));
        s.uid = str(n.get("uid"));
        s.cmd = strList(n.get("cmd"));
        s.failedNodes = strList(n.get("failed_nodes"));
        s.maintenanceNode = str(n.get("maintenance_node"));
        s.running = truthy(n.get("running"));
        s.timeout = str(n.get("timeout"));
        return s;
    }

    public static ObjectNode toJson(ServiceState s) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("state", s.state);
        if (s.node != null) o.put("node", s.node);
        if (s.target != null) o.put("target", s.target);
        if (s.uid != null) o.put("uid", s.uid);
        if (s.cmd != null) {
            ArrayNode a = o.putArray("cmd");
            s.cmd.forEach(a::add);
        }
        if (s.failedNodes != null) {
            ArrayNode a = o.putArray("failed_nodes");
            s.failedNodes.forEach(a::add);
        }
        if (s.maintenanceNode != null) o.put("maintenance_node", s.maintenanceNode);
        if (s.running) o.put("running", 1);
        if (s.timeout != null) o.put("timeout", s.timeout);
        return o;
    }

    public static ManagerStatus managerStatus(JsonNode n) {
        ManagerStatus ms = new ManagerStatus();
        if (n == null || !n.isObject()) return ms;
        ms.masterNode = str(n.get("master_node"));
        JsonNode ns = n.get("node_status");
        if (ns != null && ns.isObject()) {
            for (Map.Entry<String, JsonNode> e : ns.properties()) {
                JsonNode v = e.getValue();
                // newer writers store an object with a 'state' key
                ms.nodeStatus.put(e.getKey(), v.isObject() ? str(v.get("state")) : str(v));
            }
        }
        JsonNode ss = n.get("service_status");
        if (ss != null && ss.isObject()) {
            for (Map.Entry<String, JsonNode> e : ss.properties()) ms.serviceStatus.put(e.getKey(), serviceState(e.getValue()));
        }
        JsonNode nr = n.get("node_request");
        if (nr != null && nr.isObject()) {
            for (Map.Entry<String, JsonNode> e : nr.properties()) {
                TreeMap<String, Object> req = new TreeMap<>();
                if (e.getValue().isObject()) {
                    for (Map.Entry<String, JsonNode> r : e.getValue().properties()) {
                        JsonNode v = r.getValue();
                        req.put(r.getKey(), v.isNumber() ? (Object) v.asLong() : str(v));
                    }
                }
                ms.nodeRequest.put(e.getKey(), req);
            }
        }
        JsonNode ts = n.get("timestamp");
        if (ts != null && ts.isNumber()) ms.timestamp = ts.asLong();
        return ms;
    }

    public static ObjectNode toJson(ManagerStatus ms) {
        ObjectNode o = MAPPER.createObjectNode();
        if (ms.masterNode != null) o.put("master_node", ms.masterNode);
        ObjectNode ns = o.putObject("node_status");
        ms.nodeStatus.forEach(ns::put);
        ObjectNode ss = o.putObject("service_status");
        ms.serviceStatus.forEach((k, v) -> ss.set(k, toJson(v)));
        if (!ms.nodeRequest.isEmpty()) {
            ObjectNode nr = o.putObject("node_request");
            ms.nodeRequest.forEach((node, req) -> {
                ObjectNode r = nr.putObject(node);
                req.forEach((k, v) -> {
                    if (v instanceof Number num) r.put(k, num.longValue()); else r.put(k, String.valueOf(v));
                });
            });
        }
        o.put("timestamp", ms.timestamp);
        return o;
    }

    public static LrmStatus lrmStatus(JsonNode n) {
        LrmStatus st = new LrmStatus();
        if (n == null || !n.isObject()) return st;
        st.state = str(n.get("state"));
        st.mode = str(n.get("mode"));
        JsonNode r = n.get("results");
        if (r != null && r.isObject()) {
            for (Map.Entry<String, JsonNode> e : r.properties()) {
                JsonNode v = e.getValue();
                st.results.put(e.getKey(), new LrmResult(str(v.get("sid")), str(v.get("state")),
                    v.path("exit_code").asInt(-1)));
            }
        }
        JsonNode ts = n.get("timestamp");
        if (ts != null && ts.isNumber()) st.timestamp = ts.asLong();
        return st;
    }

    public static ObjectNode toJson(LrmStatus st) {
        ObjectNode o = MAPPER.createObjectNode();
        if (st.state != null) o.put("state", st.state);
        if (st.mode != null) o.put("mode", st.mode);
        ObjectNode r = o.putObject("results");
        st.results.forEach((uid, res) -> {
            ObjectNode x = r.putObject(uid);
            x.put("sid", res.sid());
            x.put("state", res.state());
            x.put("exit_code", res.exitCode());
        });
        o.put("timestamp", st.timestamp);
        return o;
    }

    public static String write(JsonNode n) {
        return MAPPER.writeValueAsString(n);
    }
}
