package org.haven.ceph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.ApiException;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.LogFiles;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.api.task.TaskLog;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;
import tools.jackson.databind.JsonNode;

/**
 * PVE's Ceph API ({@code /nodes/{node}/ceph/…}, {@code /cluster/ceph/…}) on Debian's Ceph: status and the
 * cluster's views, {@code init}, monitors, managers, metadata servers, OSDs, pools, CephFS, flags and the node's
 * Ceph services. Changes run as tasks with PVE's task types.
 */
public final class CephApi implements ApiModule {
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("node", "The cluster node name."),
            Map.entry("network", "The network for all Ceph traffic (public and cluster network)."),
            Map.entry("cluster-network", "A separate network for OSD replication, heartbeat and recovery traffic."),
            Map.entry("disable_cephx", "Disable cephx authentication."),
            Map.entry("size", "Number of replicas per object."),
            Map.entry("min_size", "Minimum number of replicas per object for I/O."),
            Map.entry("pg_bits", "Placement group bits (deprecated)."),
            Map.entry("monid", "The monitor's ID (default: the node name)."),
            Map.entry("mon-address", "The monitor's address(es), in Ceph's public network."),
            Map.entry("id", "The daemon's ID (default: the node name)."),
            Map.entry("name", "The name."),
            Map.entry("hotstandby", "Let the MDS follow the active one as hot standby (standby-replay)."),
            Map.entry("dev", "The block device of the OSD."),
            Map.entry("crush-device-class", "The OSD's device class in the CRUSH map."),
            Map.entry("osdid", "The OSD's ID."),
            Map.entry("cleanup", "Wipe the OSD's device."),
            Map.entry("service", "The Ceph service (ceph.target, a type like 'osd', or one daemon like 'mon.a')."),
            Map.entry("flag", "The OSD flag."),
            Map.entry("value", "Whether the flag is set."),
            Map.entry("scope", "What to return: everything or only versions."),
            Map.entry("verbose", "Include statistics and autoscaler state."),
            Map.entry("force", "Destroy the pool even when it holds images of a storage."),
            Map.entry("remove_storages", "Remove the storages that use the pool."),
            Map.entry("remove_ecprofile", "Remove the pool's erasure code profile."),
            Map.entry("add_storages", "Add a storage for the pool."),
            Map.entry("add-storage", "Add a storage for the file system."),
            Map.entry("application", "The pool's application."),
            Map.entry("pg_num", "Number of placement groups."),
            Map.entry("pg_num_min", "Minimal number of placement groups."),
            Map.entry("pg_autoscale_mode", "The autoscaler's mode for the pool."),
            Map.entry("crush_rule", "The CRUSH rule of the pool."),
            Map.entry("target_size", "The estimated size of the pool for the autoscaler."),
            Map.entry("target_size_ratio", "The estimated share of the pool for the autoscaler."),
            Map.entry("start", "The first line to return."),
            Map.entry("limit", "The number of lines to return."),
            Map.entry("config-keys", "The section:key pairs to read, separated by ';'."),
            Map.entry("action", "The action to check."),
            Map.entry("deep", "Run a deep scrub."),
            Map.entry("type", "The kind of volume."));

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CephApi.class);
    private static final SpecMethods SPEC = SpecMethods.load(CephApi.class, "ceph-api.json", DESCRIPTIONS);

    private final StorageManager storage;
    private CephNode ceph;
    private NodeContext ctx;

    /** The Ceph API of a node; pools and file systems become storages of {@code storage} when asked to. */
    public CephApi(StorageManager storage) { this.storage = storage; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        ceph = new CephNode(ctx.cfs(), ctx.nodeName(), CephNode.Paths.forNode(ctx.embedded(), ctx.dataDir()), new ProcessCommandRunner());
        CephOps ops = new CephOps(ceph);
        CephPools pools = new CephPools(ceph);
        CephViews views = new CephViews(ceph);
        String n = "/nodes/{node}/ceph";

        // ---- indexes and read-only views ----
        SPEC.add(reg, "GET", "/cluster/ceph", "Cluster-wide Ceph information.", (p, rc) -> children("metadata", "status", "flags"));
        SPEC.add(reg, "GET", n, "The node's Ceph directory.", (p, rc) -> children("cmd-safety", "cfg", "crush", "fs", "init", "log", "mds",
                "mgr", "mon", "osd", "pool", "restart", "rules", "start", "status", "stop"));
        SPEC.add(reg, "GET", n + "/cfg", "The Ceph configuration directory.", (p, rc) -> children("db", "raw", "value"));
        SPEC.add(reg, "GET", "/cluster/ceph/status", "The Ceph cluster's status.", (p, rc) -> configured(views::status));
        SPEC.add(reg, "GET", n + "/status", "The Ceph cluster's status.", (p, rc) -> configured(views::status));
        SPEC.add(reg, "GET", "/cluster/ceph/metadata", "The metadata of all Ceph daemons and the versions per node.",
                (p, rc) -> configured(() -> views.metadata("versions".equals(p.str("scope", "all")))));
        SPEC.add(reg, "GET", n + "/mon", "The monitors.", (p, rc) -> configured(views::mons));
        SPEC.add(reg, "GET", n + "/mgr", "The managers.", (p, rc) -> configured(views::mgrs));
        SPEC.add(reg, "GET", n + "/mds", "The metadata servers.", (p, rc) -> configured(views::mdss));
        SPEC.add(reg, "GET", n + "/osd", "The OSDs in the CRUSH tree.", (p, rc) -> configured(views::osdTree));
        SPEC.add(reg, "GET", n + "/pool", "The pools.", (p, rc) -> configured(views::pools));
        SPEC.add(reg, "GET", n + "/pool/{name}", "The pool's directory.", (p, rc) -> children("status"));
        SPEC.add(reg, "GET", n + "/pool/{name}/status", "The pool's settings.",
                (p, rc) -> configured(() -> views.pool(p.str("name"), p.bool("verbose", false))));
        SPEC.add(reg, "GET", n + "/fs", "The CephFS file systems.", (p, rc) -> configured(views::filesystems));
        SPEC.add(reg, "GET", n + "/cfg/raw", "The Ceph configuration file.", (p, rc) -> {
            ceph.checkInited();
            return ceph.cfs().readString(CephNode.CONF).orElse("");
        });
        SPEC.add(reg, "GET", n + "/cfg/db", "The Ceph configuration database.", (p, rc) -> configured(views::configDb));
        SPEC.add(reg, "GET", n + "/cfg/value", "Values of the configuration file or database.",
                (p, rc) -> configured(() -> views.configValues(p.str("config-keys"))));
        SPEC.add(reg, "GET", n + "/crush", "The CRUSH map as text.", (p, rc) -> configured(views::crush));
        SPEC.add(reg, "GET", n + "/rules", "The CRUSH rules.", (p, rc) -> configured(views::rules));
        SPEC.add(reg, "GET", n + "/log", "The Ceph cluster log.", (p, rc) -> {
            ceph.checkInited();
            LogFiles.Page page = LogFiles.dump(ceph.paths().clusterLog(), p.integer("start", 0), p.integer("limit", 50), l -> true);
            rc.setResultAttribute("total", page.total());
            return page.lines();
        });
        SPEC.add(reg, "GET", n + "/cmd-safety", "Whether stopping or destroying a Ceph service is safe.",
                (p, rc) -> configured(() -> cmdSafety(p.str("service"), p.str("id"), p.str("action"))));

        // ---- init, monitors, managers, metadata servers ----
        SPEC.add(reg, "POST", n + "/init", "Create the initial Ceph configuration.", (p, rc) -> {
            ops.init(p.str("network", null), p.str("cluster-network", null), p.bool("disable_cephx", false),
                    p.has("size") ? p.integer("size") : null, p.has("min_size") ? p.integer("min_size") : null,
                    p.has("pg_bits") ? p.integer("pg_bits") : null);
            return null;
        });
        SPEC.add(reg, "POST", n + "/mon/{monid}", "Create a monitor (and the first manager).", (p, rc) -> {
            String id = p.str("monid", ctx.nodeName());
            CephNode.checkInstalled("mon");
            ceph.checkInited();
            return task("cephcreatemon", "mon." + id, rc, log -> ops.createMon(id, p.str("mon-address", null), log::log));
        });
        SPEC.add(reg, "DELETE", n + "/mon/{monid}", "Destroy a monitor.", (p, rc) -> {
            ceph.checkInited();
            return task("cephdestroymon", "mon." + p.str("monid"), rc, log -> ops.destroyMon(p.str("monid"), log::log));
        });
        SPEC.add(reg, "POST", n + "/mgr/{id}", "Create a manager.", (p, rc) -> {
            String id = p.str("id", ctx.nodeName());
            CephNode.checkInstalled("mgr");
            ceph.checkConfigured();
            return task("cephcreatemgr", "mgr." + id, rc, log -> ops.createMgr(id, log::log));
        });
        SPEC.add(reg, "DELETE", n + "/mgr/{id}", "Destroy a manager.", (p, rc) -> {
            ceph.checkInited();
            return task("cephdestroymgr", "mgr." + p.str("id"), rc, log -> ops.destroyMgr(p.str("id"), log::log));
        });
        SPEC.add(reg, "POST", n + "/mds/{name}", "Create a metadata server.", (p, rc) -> {
            String id = p.str("name", ctx.nodeName());
            CephNode.checkInstalled("mds");
            ceph.checkConfigured();
            return task("cephcreatemds", "mds." + id, rc, log -> ops.createMds(id, p.bool("hotstandby", false), log::log));
        });
        SPEC.add(reg, "DELETE", n + "/mds/{name}", "Destroy a metadata server.", (p, rc) -> {
            ceph.checkInited();
            return task("cephdestroymds", "mds." + p.str("name"), rc, log -> ops.destroyMds(p.str("name"), log::log));
        });

        // ---- OSDs ----
        SPEC.add(reg, "POST", n + "/osd", "Create an OSD on a disk.", (p, rc) -> {
            CephNode.checkInstalled("osd");
            ceph.checkConfigured();
            for (String unsupported : List.of("db_dev", "wal_dev", "encrypted", "osds-per-device")) {
                if (p.has(unsupported) && !"0".equals(p.str(unsupported))) throw org.haven.core.schema.ParamException.of(unsupported, "not supported on this node");
            }
            String dev = p.str("dev");
            return task("cephcreateosd", dev.replaceFirst("^/dev/", ""), rc, log -> ops.createOsd(dev, p.str("crush-device-class", null), log::log));
        });
        SPEC.add(reg, "DELETE", n + "/osd/{osdid}", "Destroy an OSD.", (p, rc) -> {
            ceph.checkConfigured();
            int id = p.integer("osdid");
            return task("cephdestroyosd", String.valueOf(id), rc, log -> ops.destroyOsd(id, p.bool("cleanup", false), log::log));
        });
        SPEC.add(reg, "GET", n + "/osd/{osdid}", "The OSD's directory.", (p, rc) -> children("lv-info", "metadata"));
        SPEC.add(reg, "GET", n + "/osd/{osdid}/metadata", "The OSD's metadata and devices.", (p, rc) -> configured(() -> osdMetadata(p.integer("osdid"))));
        SPEC.add(reg, "GET", n + "/osd/{osdid}/lv-info", "The logical volume of an OSD's device.", (p, rc) -> {
            ceph.checkConfigured();
            throw ApiException.error("OSD '" + p.integer("osdid") + "' is not on a logical volume");
        });
        SPEC.add(reg, "POST", n + "/osd/{osdid}/in", "Mark an OSD in.", (p, rc) -> configured(() -> {
            ceph.ceph("osd", "in", String.valueOf(p.integer("osdid")));
            return null;
        }));
        SPEC.add(reg, "POST", n + "/osd/{osdid}/out", "Mark an OSD out.", (p, rc) -> configured(() -> {
            ceph.ceph("osd", "out", String.valueOf(p.integer("osdid")));
            return null;
        }));
        SPEC.add(reg, "POST", n + "/osd/{osdid}/scrub", "Scrub an OSD.", (p, rc) -> configured(() -> {
            ceph.ceph("osd", p.bool("deep", false) ? "deep-scrub" : "scrub", String.valueOf(p.integer("osdid")));
            return null;
        }));

        // ---- pools ----
        SPEC.add(reg, "POST", n + "/pool", "Create a pool.", (p, rc) -> {
            ceph.checkConfigured();
            String name = p.str("name");
            if (p.has("erasure-coding")) throw org.haven.core.schema.ParamException.of("erasure-coding", "not supported on this node");
            Map<String, Object> settings = poolSettings(p);
            settings.putIfAbsent("size", 3);
            settings.putIfAbsent("min_size", 2);
            settings.putIfAbsent("pg_autoscale_mode", "warn");
            settings.putIfAbsent("application", "rbd");
            boolean addStorages = p.bool("add_storages", false);
            StorageManager sm = addStorages ? storage : null;
            if (addStorages && sm.config().get(name).isPresent()) throw ApiException.error("Storage ID '" + name + "' already exists");
            return task("cephcreatepool", name, rc, log -> {
                pools.create(name, p.integer("pg_num", 128), settings, log::log);
                if (addStorages) {
                    try {
                        CephPools.addStorage(sm, name);
                    } catch (RuntimeException e) {
                        throw ApiException.error("adding PVE storage for ceph pool '" + name + "' failed: " + e.getMessage());
                    }
                }
            });
        });
        SPEC.add(reg, "PUT", n + "/pool/{name}", "Change a pool's settings.", (p, rc) -> {
            ceph.checkConfigured();
            String name = p.str("name");
            Map<String, Object> settings = poolSettings(p);
            if (!pools.poolMap().containsKey(name)) throw ApiException.error("pool '" + name + "' does not exist");
            return task("cephsetpool", name, rc, log -> pools.set(name, settings, log::log));
        });
        SPEC.add(reg, "DELETE", n + "/pool/{name}", "Destroy a pool.", (p, rc) -> {
            ceph.checkConfigured();
            String name = p.str("name");
            StorageManager sm = storage;
            return task("cephdestroypool", name, rc,
                    log -> pools.destroy(name, p.bool("force", false), p.bool("remove_storages", false), sm, log::log));
        });

        // ---- CephFS ----
        SPEC.add(reg, "POST", n + "/fs/{name}", "Create a CephFS file system.", (p, rc) -> {
            ceph.checkConfigured();
            String name = p.str("name", "cephfs");
            int pgNum = p.integer("pg_num", 128);
            boolean addStorage = p.bool("add-storage", false);
            StorageManager sm = addStorage ? storage : null;
            return task("cephfscreate", name, rc, log -> createFs(pools, name, pgNum, sm, log));
        });

        // ---- flags ----
        SPEC.add(reg, "GET", "/cluster/ceph/flags", "The OSD flags.", (p, rc) -> configured(() -> {
            List<Map<String, Object>> out = new ArrayList<>();
            pools.flagValues().forEach((f, v) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", f);
                m.put("description", CephPools.FLAGS.get(f));
                m.put("value", v);
                out.add(m);
            });
            return out;
        }));
        SPEC.add(reg, "GET", "/cluster/ceph/flags/{flag}", "Whether an OSD flag is set.", (p, rc) -> configured(() -> pools.flagValues().get(p.str("flag"))));
        SPEC.add(reg, "PUT", "/cluster/ceph/flags/{flag}", "Set or unset an OSD flag.", (p, rc) -> configured(() -> {
            pools.setFlag(p.str("flag"), p.bool("value", false));
            return null;
        }));
        SPEC.add(reg, "PUT", "/cluster/ceph/flags", "Set or unset OSD flags.", (p, rc) -> {
            ceph.checkConfigured();
            Map<String, Boolean> change = new TreeMap<>();
            for (String f : CephPools.FLAGS.keySet()) if (p.has(f)) change.put(f, p.bool(f, false));
            if (change.isEmpty()) throw ApiException.error("no flag specified");
            return task("cephsetflags", "", rc, log -> change.forEach((f, v) -> {
                log.log((v ? "set" : "unset") + " " + f);
                pools.setFlag(f, v);
            }));
        });

        // ---- services ----
        for (String action : List.of("start", "stop", "restart")) {
            SPEC.add(reg, "POST", n + "/" + action, action.substring(0, 1).toUpperCase() + action.substring(1) + " Ceph services.", (p, rc) -> {
                ceph.checkInited();
                String service = p.str("service", "ceph.target");
                return task("srv" + action, service, rc, log -> services(action, service, log));
            });
        }
    }

    /**
     * Starts the node's Ceph daemons in the background, as {@code ceph.target} does at boot (daemons that run already
     * are left alone). They are not stopped with the node: like systemd's services, they outlive it.
     */
    @Override
    public void start(NodeContext ctx) {
        if (!ceph.configured()) return;
        Thread.ofVirtual().name("ceph-start").start(() -> {
            try {
                for (String f : ceph.startAll()) LOG.warn("ceph: cannot start {}", f);
            } catch (RuntimeException e) {
                LOG.warn("ceph: cannot start the node's daemons: {}", e.getMessage());
            }
        });
    }

    /** The node's Ceph, for the CLI's local commands and tests. */
    public CephNode node() { return ceph; }

    private static List<Map<String, Object>> children(String... names) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String s : names) out.add(Map.of("name", s));
        return out;
    }

    private interface Body<T> {
        T get() throws Exception;
    }

    /** {@code body} on an initialized node with the admin keyring; Ceph's errors become API errors. */
    private <T> T configured(Body<T> body) throws Exception {
        ceph.checkConfigured();
        try {
            return body.get();
        } catch (CephNode.CephException e) {
            throw ApiException.error(e.getMessage());
        }
    }

    private interface Work {
        void run(TaskLog log) throws Exception;
    }

    private String task(String type, String id, RequestContext rc, Work w) {
        return ctx.tasks().start(type, id, rc.authid(), w::run);
    }

    private static Map<String, Object> poolSettings(Params p) {
        Map<String, Object> out = new TreeMap<>();
        for (String k : List.of("size", "min_size", "pg_num", "pg_num_min", "pg_autoscale_mode", "application", "crush_rule", "target_size", "target_size_ratio")) {
            if (p.has(k)) out.put(k, p.get(k));
        }
        return out;
    }

    /** {@code start}, {@code stop} or {@code restart} of {@code ceph.target}, all daemons of a type, or one daemon. */
    private void services(String action, String service, TaskLog log) {
        List<String[]> targets = new ArrayList<>();
        String[] parts = service.split("\\.", 2);
        ceph.localDaemons().forEach((t, ids) -> {
            for (String id : ids) {
                if (parts[0].equals("ceph") || (parts[0].equals(t) && (parts.length == 1 || parts[1].equals(id)))) targets.add(new String[] {t, id});
            }
        });
        if (targets.isEmpty() && parts.length == 2 && !parts[0].equals("ceph")) throw ApiException.error("no such service '" + service + "' on this node");
        // monitors start first and stop last
        targets.sort((a, b) -> Integer.compare(CephNode.TYPES.indexOf(a[0]), CephNode.TYPES.indexOf(b[0])));
        if (!action.equals("start")) {
            for (String[] t : targets.reversed()) {
                log.log("stopping ceph-" + t[0] + "@" + t[1]);
                ceph.stop(t[0], t[1]);
            }
        }
        if (!action.equals("stop")) {
            for (String[] t : targets) {
                log.log("starting ceph-" + t[0] + "@" + t[1]);
                ceph.start(t[0], t[1]);
            }
        }
    }

    private void createFs(CephPools pools, String name, int pgNum, StorageManager sm, TaskLog log) {
        if (ceph.json("fs", "ls").size() > 0) {
            for (JsonNode fs : ceph.json("fs", "ls")) if (fs.path("name").asString().equals(name)) throw ApiException.error("ceph fs '" + name + "' already exists");
        }
        boolean mds = false;
        for (Map<String, Object> m : new CephViews(ceph).mdss()) if (!"stopped".equals(m.get("state")) && !"unknown".equals(m.get("state"))) mds = true;
        if (!mds) throw ApiException.error("no running Metadata Server (MDS) found!");
        String data = name + "_data", meta = name + "_metadata";
        log.log("creating data pool '" + data + "'...");
        pools.create(data, pgNum, new TreeMap<>(Map.of("application", "cephfs")), log::log);
        log.log("creating metadata pool '" + meta + "'...");
        pools.create(meta, pgNum / 4 < 8 ? 8 : pgNum / 4, new TreeMap<>(Map.of("application", "cephfs")), log::log);
        log.log("configuring new CephFS '" + name + "'");
        ceph.ceph("fs", "new", name, meta, data, "--force");
        if (sm != null) {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("fs-name", name);
            params.put("content", "vztmpl,iso,backup");
            params.put("path", "/mnt/pve/" + name);
            sm.modifyConfig(null, cfg -> cfg.create("cephfs", name, params));
        }
    }

    private Map<String, Object> cmdSafety(String service, String id, String action) {
        String prefix = switch (action) {
            case "stop" -> "ok-to-stop";
            default -> service.equals("osd") ? "safe-to-destroy" : "ok-to-rm";
        };
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            if (service.equals("mds") && action.equals("destroy")) {
                out.put("safe", true);
                return out;
            }
            ceph.ceph(service, prefix, id);
            out.put("safe", true);
        } catch (CephNode.CephException e) {
            out.put("safe", false);
            out.put("status", e.getMessage());
        }
        return out;
    }

    private Map<String, Object> osdMetadata(int id) {
        JsonNode md = ceph.json("osd", "metadata", String.valueOf(id));
        Map<String, Object> osd = new TreeMap<>();
        for (String k : List.of("back_addr", "front_addr", "hb_back_addr", "hb_front_addr", "hostname", "osd_data", "osd_objectstore")) osd.put(k, md.path(k).asString());
        osd.put("id", id);
        osd.put("version", md.path("ceph_version").asString());
        long pid = ceph.pid("osd", String.valueOf(id));
        osd.put("pid", pid > 0 ? pid : 0);
        osd.put("mem_usage", pid > 0 ? rss(pid) : 0);
        List<Map<String, Object>> devices = new ArrayList<>();
        Map<String, Object> d = new TreeMap<>();
        d.put("device", "block");
        d.put("dev_node", md.path("bluestore_bdev_dev_node").asString());
        d.put("devices", md.path("bluestore_bdev_devices").asString(md.path("devices").asString()));
        d.put("size", md.path("bluestore_bdev_size").asLong());
        d.put("support_discard", md.path("bluestore_bdev_support_discard").asString("0").equals("1"));
        d.put("type", md.path("bluestore_bdev_type").asString());
        devices.add(d);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("osd", osd);
        out.put("devices", devices);
        return out;
    }

    private static long rss(long pid) {
        try {
            for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // gone
        }
        return 0;
    }
}
