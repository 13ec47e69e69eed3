package org.haven.ceph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.ApiException;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;
import tools.jackson.databind.JsonNode;

/** Pools and OSD flags, as PVE's {@code PVE::Ceph::Tools} pool functions and {@code /cluster/ceph/flags}. */
public final class CephPools {
    /** The OSD flags PVE offers, with its descriptions. */
    public static final Map<String, String> FLAGS = flags();

    private static Map<String, String> flags() {
        Map<String, String> m = new TreeMap<>();
        m.put("nobackfill", "Backfilling of PGs is suspended.");
        m.put("nodeep-scrub", "Deep Scrubbing is disabled.");
        m.put("nodown", "OSD failure reports are being ignored, such that the monitors will not mark OSDs down.");
        m.put("noin", "OSDs that were previously marked out will not be marked back in when they start.");
        m.put("noout", "OSDs will not automatically be marked out after the configured interval.");
        m.put("norebalance", "Rebalancing of PGs is suspended.");
        m.put("norecover", "Recovery of PGs is suspended.");
        m.put("noscrub", "Scrubbing is disabled.");
        m.put("notieragent", "Cache tiering activity is suspended.");
        m.put("noup", "OSDs are not allowed to start.");
        m.put("pause", "Pauses read and writes.");
        return m;
    }

    private final CephNode ceph;

    public CephPools(CephNode ceph) { this.ceph = ceph; }

    // ---- flags ---------------------------------------------------------------------------------------------

    /** Whether each of PVE's flags is set, from the OSD map ({@code pause} is {@code pauserd} and {@code pausewr}). */
    public Map<String, Boolean> flagValues() {
        List<String> set = List.of(ceph.json("osd", "dump").path("flags").asString("").split(","));
        Map<String, Boolean> out = new TreeMap<>();
        for (String f : FLAGS.keySet()) out.put(f, f.equals("pause") ? set.contains("pauserd") && set.contains("pausewr") : set.contains(f));
        return out;
    }

    public void setFlag(String flag, boolean value) {
        if (!FLAGS.containsKey(flag)) throw ApiException.error("unknown flag '" + flag + "'");
        ceph.ceph("osd", value ? "set" : "unset", flag);
    }

    // ---- pools ---------------------------------------------------------------------------------------------

    /** Pool settings in PVE's order: {@code size} first (a new {@code min_size} may need it), the rest sorted. */
    static List<String> settingOrder(Map<String, Object> settings) {
        List<String> keys = new ArrayList<>(new TreeMap<>(settings).keySet());
        if (keys.remove("size")) keys.addFirst("size");
        return keys;
    }

    /** PVE's {@code set_pool}: each setting with {@code ceph osd pool set}, the application with {@code application enable}. */
    public void set(String pool, Map<String, Object> settings, CephOps.TaskOut log) {
        for (String k : settingOrder(settings)) {
            String v = String.valueOf(settings.get(k));
            if (k.equals("application")) {
                log.log("pool " + pool + ": applying application = " + v);
                ceph.ceph("osd", "pool", "application", "enable", pool, v, "--yes-i-really-mean-it");
                continue;
            }
            String key = switch (k) {
                case "target_size" -> "target_size_bytes";
                default -> k;
            };
            if (k.equals("target_size")) v = String.valueOf(Sizes.bytes(v));
            if (v.equals("true") || v.equals("false")) v = v.equals("true") ? "1" : "0";
            log.log("pool " + pool + ": applying " + k + " = " + v);
            ceph.ceph("osd", "pool", "set", pool, key, v);
        }
    }

    /** PVE's {@code create_pool}: {@code osd pool create NAME PG_NUM}, then the settings. */
    public void create(String pool, int pgNum, Map<String, Object> settings, CephOps.TaskOut log) {
        if (poolMap().containsKey(pool)) throw ApiException.error("pool '" + pool + "' already exists");
        log.log("pool " + pool + ": creating with pg_num " + pgNum);
        ceph.ceph("osd", "pool", "create", pool, String.valueOf(pgNum));
        set(pool, settings, log);
    }

    /** The RBD storages of this cluster on {@code pool}: those without {@code monhost}. */
    public static List<String> storagesOf(StorageManager sm, String pool) {
        List<String> out = new ArrayList<>();
        for (StorageEntry s : sm.config().entries()) {
            if (!s.type().id().equals("rbd") || s.get("monhost").isPresent()) continue;
            if (pool.equals(s.get("pool").orElse("rbd"))) out.add(s.id());
        }
        return out;
    }

    /** PVE's {@code add_storage}: an {@code rbd} storage named as the pool, for images and containers. */
    public static void addStorage(StorageManager sm, String pool) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("pool", pool);
        params.put("content", "rootdir,images");
        params.put("krbd", "0");
        sm.modifyConfig(null, cfg -> cfg.create("rbd", pool, params));
    }

    public void destroy(String pool, boolean force, boolean removeStorages, StorageManager sm, CephOps.TaskOut log) {
        if (!poolMap().containsKey(pool)) throw ApiException.error("pool '" + pool + "' does not exist");
        List<String> storages = sm == null ? List.of() : storagesOf(sm, pool);
        if (!force) {
            for (String sid : storages) {
                log.log("checking storage '" + sid + "' for RBD images..");
                if (!rbdImages(pool).isEmpty())
                    throw ApiException.error("ceph pool '" + pool + "' still in use by storage '" + sid + "'");
            }
        }
        ceph.ceph("osd", "pool", "delete", pool, pool, "--yes-i-really-really-mean-it");
        if (removeStorages && sm != null) {
            for (String sid : storages) {
                log.log("removing storage '" + sid + "'");
                sm.modifyConfig(null, cfg -> {
                    cfg.remove(sid);
                    return null;
                });
            }
        }
    }

    private List<String> rbdImages(String pool) {
        var r = ceph.runner().run(List.of("rbd", "-c", ceph.sync().toString(), "-p", pool, "ls", "--format", "json"), Map.of(), null);
        if (!r.ok()) return List.of();
        List<String> out = new ArrayList<>();
        for (JsonNode n : CephNode.JSON.readTree(r.stdout().isBlank() ? "[]" : r.stdout())) out.add(n.asString());
        return out;
    }

    /** The pools by name: {@code osd dump}'s entries. */
    public Map<String, JsonNode> poolMap() {
        Map<String, JsonNode> out = new TreeMap<>();
        for (JsonNode p : ceph.json("osd", "dump").path("pools")) out.put(p.path("pool_name").asString(), p);
        return out;
    }

    /** Sizes as PVE's {@code target_size}: a number with an optional unit K, M, G or T (powers of 1024). */
    static final class Sizes {
        private Sizes() {}

        static long bytes(String v) {
            var m = java.util.regex.Pattern.compile("^(\\d+(?:\\.\\d+)?)([KMGT])?$").matcher(v.strip());
            if (!m.matches()) throw ApiException.error("invalid size '" + v + "'");
            double n = Double.parseDouble(m.group(1));
            int exp = m.group(2) == null ? 0 : "KMGT".indexOf(m.group(2)) + 1;
            return (long) (n * Math.pow(1024, exp));
        }
    }
}
