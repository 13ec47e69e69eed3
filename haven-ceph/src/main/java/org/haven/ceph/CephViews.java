package org.haven.ceph;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** What the read-only methods return, built from the answers of the {@code ceph} tool as PVE builds them. */
public final class CephViews {
    private final CephNode ceph;

    public CephViews(CephNode ceph) { this.ceph = ceph; }

    /** PVE's {@code ceph_cluster_status}: {@code status} with the detailed health, monmap and mgrmap. */
    public JsonNode status() {
        ObjectNode s = (ObjectNode) ceph.json("status");
        s.set("health", ceph.json("health", "detail"));
        if (!s.path("monmap").has("mons")) {
            s.set("monmap", ceph.json("mon", "dump"));
            s.set("mgrmap", ceph.json("mgr", "dump"));
        }
        return s;
    }

    /** The monitors: from the configuration, the monitor map and quorum, and their metadata. */
    public List<Map<String, Object>> mons() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        CephConfig c = ceph.config();
        for (String id : CephOps.configuredMons(c)) {
            Map<String, Object> m = out.computeIfAbsent(id, k -> new TreeMap<>());
            m.put("name", id);
            String addr = c.get("mon." + id, "public_addr");
            if (addr != null) m.put("addr", addr);
        }
        JsonNode q = ceph.json("quorum_status");
        List<Integer> quorum = new ArrayList<>();
        for (JsonNode r : q.path("quorum")) quorum.add(r.asInt());
        for (JsonNode d : q.path("monmap").path("mons")) {
            String name = d.path("name").asString();
            Map<String, Object> m = out.computeIfAbsent(name, k -> new TreeMap<>());
            m.put("name", name);
            m.put("rank", d.path("rank").asInt());
            m.put("addr", d.path("public_addr").asString(d.path("addr").asString()));
            if (quorum.contains(d.path("rank").asInt())) {
                m.put("quorum", true);
                m.put("state", "running");
            }
        }
        for (JsonNode md : ceph.json("mon", "metadata")) {
            Map<String, Object> m = out.get(md.path("name").asString());
            if (m == null) continue;
            m.put("host", md.path("hostname").asString());
            m.put("ceph_version", md.path("ceph_version").asString());
            m.put("ceph_version_short", md.path("ceph_version_short").asString());
        }
        local("mon", out);
        return new ArrayList<>(out.values());
    }

    /** Marks the daemons of this node: their data directory exists, and whether they run. */
    private void local(String type, Map<String, Map<String, Object>> out) {
        for (String id : ceph.localDaemons().get(type)) {
            Map<String, Object> m = out.computeIfAbsent(id, k -> new TreeMap<>(Map.of("name", id)));
            m.put("host", ceph.nodeName());
            m.put("direxists", "1");
            m.put("service", ceph.running(type, id) ? 1 : 0);
            if (!ceph.running(type, id)) m.put("state", "stopped");
        }
    }

    /** The managers: the active one and standbys of the manager map, and this node's stopped ones. */
    public List<Map<String, Object>> mgrs() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        JsonNode d = ceph.json("mgr", "dump");
        String active = d.path("active_name").asString("");
        if (!active.isEmpty()) {
            Map<String, Object> m = new TreeMap<>();
            m.put("name", active);
            m.put("state", "active");
            m.put("addr", d.path("active_addr").asString());
            out.put(active, m);
        }
        for (JsonNode s : d.path("standbys")) {
            Map<String, Object> m = new TreeMap<>();
            m.put("name", s.path("name").asString());
            m.put("state", "standby");
            out.put(s.path("name").asString(), m);
        }
        local("mgr", out);
        out.values().forEach(m -> m.putIfAbsent("state", "unknown"));
        return new ArrayList<>(out.values());
    }

    /** The metadata servers: from the file system map, and this node's. */
    public List<Map<String, Object>> mdss() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        JsonNode fsmap = ceph.json("fs", "dump");
        for (JsonNode fs : fsmap.path("filesystems")) {
            for (JsonNode info : fs.path("mdsmap").path("info")) {
                Map<String, Object> m = new TreeMap<>();
                m.put("name", info.path("name").asString());
                m.put("state", info.path("state").asString().replaceFirst("^up:", ""));
                m.put("rank", info.path("rank").asInt());
                m.put("addr", info.path("addr").asString());
                m.put("standby_replay", info.path("state").asString().contains("standby-replay"));
                out.put(info.path("name").asString(), m);
            }
        }
        for (JsonNode info : fsmap.path("standbys")) {
            Map<String, Object> m = new TreeMap<>();
            m.put("name", info.path("name").asString());
            m.put("state", "standby");
            m.put("addr", info.path("addr").asString());
            out.put(info.path("name").asString(), m);
        }
        local("mds", out);
        out.values().forEach(m -> m.putIfAbsent("state", "unknown"));
        return new ArrayList<>(out.values());
    }

    /** PVE's OSD tree: the CRUSH tree with each OSD's state, usage and metadata, and the OSD map's flags. */
    public Map<String, Object> osdTree() {
        JsonNode tree = ceph.json("osd", "tree");
        Map<Integer, JsonNode> df = new TreeMap<>();
        for (JsonNode n : ceph.json("osd", "df").path("nodes")) df.put(n.path("id").asInt(), n);
        Map<Integer, JsonNode> meta = new TreeMap<>();
        for (JsonNode n : ceph.json("osd", "metadata")) meta.put(n.path("id").asInt(), n);
        JsonNode dump = ceph.json("osd", "dump");
        Map<Integer, JsonNode> osdmap = new TreeMap<>();
        for (JsonNode o : dump.path("osds")) osdmap.put(o.path("osd").asInt(), o);
        Map<Integer, JsonNode> perf = new TreeMap<>();
        try {
            for (JsonNode o : ceph.json("osd", "perf").path("osdstats").path("osd_perf_infos")) perf.put(o.path("id").asInt(), o);
        } catch (RuntimeException e) {
            // no manager: no latencies
        }
        Map<Integer, Map<String, Object>> nodes = new TreeMap<>();
        for (JsonNode n : tree.path("nodes")) {
            int id = n.path("id").asInt();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", id);
            e.put("name", n.path("name").asString());
            e.put("type", n.path("type").asString());
            if (n.has("crush_weight")) e.put("crush_weight", n.path("crush_weight").asDouble());
            if (n.has("device_class")) e.put("device_class", n.path("device_class").asString());
            if (n.path("type").asString().equals("osd")) {
                e.put("status", n.path("status").asString());
                e.put("reweight", n.path("reweight").asDouble());
                JsonNode o = osdmap.get(id);
                if (o != null) e.put("in", o.path("in").asInt());
                JsonNode u = df.get(id);
                if (u != null) {
                    e.put("total_space", u.path("kb").asLong() * 1024);
                    e.put("bytes_used", u.path("kb_used").asLong() * 1024);
                    e.put("percent_used", u.path("utilization").asDouble());
                }
                JsonNode p = perf.get(id);
                if (p != null) {
                    e.put("commit_latency_ms", p.path("perf_stats").path("commit_latency_ms").asLong());
                    e.put("apply_latency_ms", p.path("perf_stats").path("apply_latency_ms").asLong());
                }
                JsonNode md = meta.get(id);
                if (md != null) {
                    e.put("host", md.path("hostname").asString());
                    e.put("osdtype", md.path("osd_objectstore").asString());
                    e.put("blfsdev", md.path("bluestore_bdev_dev_node").asString());
                    e.put("version", md.path("ceph_version_short").asString());
                }
                e.put("leaf", 1);
            } else e.put("leaf", 0);
            nodes.put(id, e);
        }
        List<Map<String, Object>> roots = new ArrayList<>();
        for (JsonNode n : tree.path("nodes")) {
            Map<String, Object> e = nodes.get(n.path("id").asInt());
            if (n.has("children")) {
                List<Map<String, Object>> children = new ArrayList<>();
                for (JsonNode c : n.path("children")) if (nodes.containsKey(c.asInt())) children.add(nodes.get(c.asInt()));
                children.sort((a, b) -> String.valueOf(a.get("name")).compareTo(String.valueOf(b.get("name"))));
                e.put("children", children);
            }
            if (n.path("type").asString().equals("root")) roots.add(e);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("leaf", 0);
        root.put("children", roots);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("root", root);
        out.put("flags", dump.path("flags").asString(""));
        return out;
    }

    /** PVE's {@code lspools}: the pools of the OSD map with their usage, rules and autoscaler state. */
    public List<Map<String, Object>> pools() {
        JsonNode dump = ceph.json("osd", "dump");
        Map<Integer, String> rules = new TreeMap<>();
        for (JsonNode r : ceph.json("osd", "crush", "rule", "dump")) rules.put(r.path("rule_id").asInt(), r.path("rule_name").asString());
        Map<Integer, JsonNode> stats = new TreeMap<>();
        for (JsonNode p : ceph.json("df", "detail").path("pools")) stats.put(p.path("id").asInt(), p.path("stats"));
        Map<String, JsonNode> autoscale = new TreeMap<>();
        try {
            for (JsonNode a : ceph.json("osd", "pool", "autoscale-status")) autoscale.put(a.path("pool_name").asString(), a);
        } catch (RuntimeException e) {
            // no manager: no autoscaler state
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode p : dump.path("pools")) {
            Map<String, Object> m = new TreeMap<>();
            int id = p.path("pool").asInt();
            String name = p.path("pool_name").asString();
            m.put("pool", id);
            m.put("pool_name", name);
            m.put("size", p.path("size").asInt());
            m.put("min_size", p.path("min_size").asInt());
            m.put("pg_num", p.path("pg_num").asInt());
            m.put("crush_rule", p.path("crush_rule").asInt());
            m.put("crush_rule_name", rules.getOrDefault(p.path("crush_rule").asInt(), ""));
            m.put("pg_autoscale_mode", p.path("pg_autoscale_mode").asString());
            m.put("type", switch (p.path("type").asInt()) {
                case 1 -> "replicated";
                case 3 -> "erasure";
                default -> "unknown";
            });
            m.put("application_metadata", CephNode.JSON.convertValue(p.path("application_metadata"), Map.class));
            JsonNode opts = p.path("options");
            if (opts.has("pg_num_min")) m.put("pg_num_min", opts.path("pg_num_min").asInt());
            if (opts.has("target_size_bytes")) m.put("target_size", opts.path("target_size_bytes").asLong());
            if (opts.has("target_size_ratio")) m.put("target_size_ratio", opts.path("target_size_ratio").asDouble());
            JsonNode s = stats.get(id);
            m.put("bytes_used", s == null ? 0L : s.path("bytes_used").asLong());
            m.put("percent_used", s == null ? 0.0 : s.path("percent_used").asDouble());
            JsonNode a = autoscale.get(name);
            if (a != null) {
                m.put("autoscale_status", CephNode.JSON.convertValue(a, Map.class));
                m.put("pg_num_final", a.path("pg_num_final").asInt());
            }
            out.add(m);
        }
        return out;
    }

    /** PVE's {@code getpool}: one pool's settings, with statistics and autoscaler state when {@code verbose}. */
    public Map<String, Object> pool(String name, boolean verbose) {
        Map<String, Object> out = new TreeMap<>();
        JsonNode p = new CephPools(ceph).poolMap().get(name);
        if (p == null) throw org.haven.api.ApiException.error("pool '" + name + "' does not exist");
        JsonNode all = ceph.json("osd", "pool", "get", name, "all");
        for (String k : List.of("size", "min_size", "pg_num", "pgp_num", "nodelete", "nopgchange", "nosizechange", "write_fadvise_dontneed",
                "noscrub", "nodeep-scrub", "use_gmt_hitset", "fast_read", "hashpspool")) {
            JsonNode v = all.path(k);
            if (v.isMissingNode()) continue;
            out.put(k, v.isBoolean() ? v.asBoolean() : v.isNumber() ? (Object) v.asLong() : v.asString());
        }
        out.put("crush_rule", all.path("crush_rule").asString());
        out.put("pg_autoscale_mode", p.path("pg_autoscale_mode").asString());
        out.put("id", p.path("pool").asInt());
        out.put("name", name);
        if (p.path("options").has("pg_num_min")) out.put("pg_num_min", p.path("options").path("pg_num_min").asInt());
        if (p.path("options").has("target_size_ratio")) out.put("target_size_ratio", p.path("options").path("target_size_ratio").asDouble());
        if (p.path("options").has("target_size_bytes")) out.put("target_size", String.valueOf(p.path("options").path("target_size_bytes").asLong()));
        List<String> apps = new ArrayList<>();
        p.path("application_metadata").propertyNames().forEach(apps::add);
        if (!apps.isEmpty()) out.put("application", apps.get(0));
        if (verbose) {
            out.put("application_list", apps);
            for (JsonNode s : ceph.json("df", "detail").path("pools")) {
                if (s.path("name").asString().equals(name)) out.put("statistics", CephNode.JSON.convertValue(s.path("stats"), Map.class));
            }
            for (Map<String, Object> l : pools()) if (name.equals(l.get("pool_name")) && l.containsKey("autoscale_status")) out.put("autoscale_status", l.get("autoscale_status"));
        }
        return out;
    }

    /** The CephFS file systems: name, metadata pool and first data pool. */
    public List<Map<String, Object>> filesystems() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode fs : ceph.json("fs", "ls")) {
            Map<String, Object> m = new TreeMap<>();
            m.put("name", fs.path("name").asString());
            m.put("metadata_pool", fs.path("metadata_pool").asString());
            m.put("data_pool", fs.path("data_pools").path(0).asString());
            out.add(m);
        }
        return out;
    }

    /** The configuration database ({@code ceph config dump}). */
    public List<Map<String, Object>> configDb() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode e : ceph.json("config", "dump")) {
            Map<String, Object> m = new TreeMap<>();
            m.put("section", e.path("section").asString());
            m.put("name", e.path("name").asString());
            m.put("value", e.path("value").asString());
            m.put("level", e.path("level").asString());
            m.put("can_update_at_runtime", e.path("can_update_at_runtime").asBoolean());
            m.put("mask", e.path("mask").asString());
            out.add(m);
        }
        return out;
    }

    /**
     * PVE's {@code cfg/value}: the values of {@code section:key} pairs (separated by {@code ;}, {@code ,} or spaces),
     * from the configuration file, else from the configuration database.
     */
    public Map<String, Map<String, String>> configValues(String keys) {
        CephConfig c = ceph.config();
        Map<String, Map<String, String>> out = new TreeMap<>();
        JsonNode db = null;
        for (String pair : keys.split("[;, ]+")) {
            if (pair.isEmpty()) continue;
            int colon = pair.indexOf(':');
            if (colon <= 0) throw org.haven.core.schema.ParamException.of("config-keys", "invalid format '" + pair + "'");
            String section = pair.substring(0, colon);
            String key = pair.substring(colon + 1).replaceAll("[- ]", "_");
            String v = c.get(section, key);
            if (v == null) {
                if (db == null) db = ceph.json("config", "dump");
                for (JsonNode e : db) if (e.path("section").asString().equals(section) && e.path("name").asString().equals(key)) v = e.path("value").asString();
            }
            if (v != null) out.computeIfAbsent(section, k -> new TreeMap<>()).put(key, v);
        }
        return out;
    }

    /** The CRUSH map as text ({@code crushtool -d}). */
    public String crush() {
        try {
            java.nio.file.Path bin = Files.createTempFile(ceph.paths().run(), "crush", ".bin");
            try {
                ceph.ceph("osd", "getcrushmap", "-o", bin.toString());
                return ceph.run("crushtool", "-d", bin.toString());
            } finally {
                Files.deleteIfExists(bin);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The CRUSH rules by name. */
    public List<Map<String, Object>> rules() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode r : ceph.json("osd", "crush", "rule", "ls")) out.add(Map.of("name", r.asString()));
        return out;
    }

    /**
     * PVE's {@code /cluster/ceph/metadata}: per daemon type, each daemon's metadata keyed {@code id@host} (OSDs by
     * id), and per node the versions its daemons run; {@code scope=versions} keeps only the version fields.
     */
    public Map<String, Object> metadata(boolean versionsOnly) {
        Map<String, Object> out = new TreeMap<>();
        Map<String, Map<String, Object>> nodeVersions = new TreeMap<>();
        for (String type : CephNode.TYPES) {
            Map<String, Object> byId = new TreeMap<>();
            JsonNode list;
            try {
                list = ceph.json(type, "metadata");
            } catch (RuntimeException e) {
                list = null;
            }
            if (list != null) {
                for (JsonNode md : list) {
                    String host = md.path("hostname").asString();
                    String id = type.equals("osd") ? md.path("id").asString() : md.path("name").asString() + "@" + host;
                    Map<String, Object> m = new TreeMap<>();
                    if (versionsOnly) {
                        for (String k : List.of("ceph_version", "ceph_version_short", "ceph_release", "hostname")) if (md.has(k)) m.put(k, md.path(k).asString());
                    } else m.putAll(CephNode.JSON.convertValue(md, Map.class));
                    m.put("mem_total_kb", md.path("mem_total_kb").asString(null));
                    m.values().removeIf(java.util.Objects::isNull);
                    if (md.has("addrs")) m.put("addr", md.path("addrs").asString());
                    byId.put(id, m);
                    Map<String, Object> nv = nodeVersions.computeIfAbsent(host, k -> new TreeMap<>());
                    String v = md.path("ceph_version_short").asString();
                    nv.put("version", Map.of("str", v, "parts", java.util.Arrays.stream(v.split("\\.")).map(x -> x.replaceAll("\\D.*", "")).toList()));
                    nv.put("buildcommit", md.path("ceph_version").asString().replaceAll(".*\\(([0-9a-f]+)\\).*", "$1"));
                }
            }
            out.put(type, byId);
        }
        out.put("node", nodeVersions);
        return out;
    }
}
