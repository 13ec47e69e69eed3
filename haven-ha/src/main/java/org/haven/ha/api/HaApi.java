package org.haven.ha.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.cfs.LockTable;
import org.haven.ha.HaEnv;
import org.haven.ha.env.ClusterHaEnv;
import org.haven.ha.env.HaServices;
import org.haven.ha.env.WatchdogMux;

/**
 * PVE's {@code /cluster/ha} API: resources, groups and status. Holds the {@link HaResources} (for the routing
 * of guest power requests through HA), and starts the node's CRM and LRM when it is made with a guest driver
 * ({@link ClusterHaEnv.ResourceDriver}).
 */
public final class HaApi implements ApiModule {
    private static final System.Logger LOG = System.getLogger("haven.ha");

    static {
        Formats.register("pve-ha-resource-or-vm-id", v -> {
            if (!v.matches("((vm|ct):)?[1-9][0-9]{2,8}")) {
                throw new Formats.FormatException("value does not look like a valid ha resource id");
            }
        });
        Formats.register("pve-ha-resource-id", v -> {
            if (!v.matches("(vm|ct):[1-9][0-9]{2,8}")) {
                throw new Formats.FormatException("value does not look like a valid ha resource id");
            }
        });
        Formats.register("pve-ha-group-node-list", v -> {
            try {
                HaResources.checkNodeList(v);
            } catch (IllegalArgumentException e) {
                throw new Formats.FormatException(e.getMessage());
            }
        });
    }

    private final Optional<ClusterHaEnv.ResourceDriver> driver;
    private volatile HaResources resources;
    private volatile HaServices services;

    /**
     * The HA API of a node; with a {@code driver} for its guests the node also runs the CRM and LRM (from
     * {@link #start}).
     */
    public HaApi(Optional<ClusterHaEnv.ResourceDriver> driver) { this.driver = driver; }

    /** The HA resources (after {@link #register}). */
    public HaResources resources() { return resources; }

    /** The node's CRM and LRM, once started. */
    public Optional<HaServices> services() { return Optional.ofNullable(services); }

    private static Schema sid() {
        return Schema.string().format("pve-ha-resource-or-vm-id").typetext("<type>:<name>")
            .description("HA resource ID. This consists of a resource type followed by a resource specific name, separated"
                + " with colon (example: vm:100 / ct:100). For virtual machines and containers, you can simply use the VM or"
                + " CT id as a shortcut (example: 100).");
    }

    private static Schema state() {
        return Schema.string().enumValues("started", "stopped", "enabled", "disabled", "ignored").optional()
            .attr("default", "started").description("Requested resource state.");
    }

    private static Schema groupId() {
        return Schema.string().format("pve-configid").description("The HA group identifier.");
    }

    private static void resourceOptions(ApiMethod.Builder b) {
        b.param("comment", Schema.string().optional().maxLength(4096).description("Description."));
        b.param("group", groupId().optional());
        b.param("max_relocate", Schema.integer().minimum(0).optional().attr("default", 1)
            .description("Maximal number of service relocate tries when a service failes to start."));
        b.param("max_restart", Schema.integer().minimum(0).optional().attr("default", 1)
            .description("Maximal number of tries to restart the service on a node after its start failed."));
        b.param("state", state());
    }

    private static void groupOptions(ApiMethod.Builder b, boolean nodesRequired) {
        b.param("comment", Schema.string().optional().maxLength(4096).description("Description."));
        Schema nodes = Schema.string().format("pve-ha-group-node-list").typetext("<node>[:<pri>]{,<node>[:<pri>]}*")
            .description("List of cluster node names with optional priority.");
        b.param("nodes", nodesRequired ? nodes : nodes.optional());
        b.param("nofailback", Schema.bool().optional().attr("default", 0)
            .description("The CRM tries to run services on the node with the highest priority. If a node with higher priority"
                + " comes online, the CRM migrates the service to that node. Enabling nofailback prevents that behavior."));
        b.param("restricted", Schema.bool().optional().attr("default", 0)
            .description("Resources bound to restricted groups may only run on nodes defined by the group."));
    }

    private static Map<String, String> strings(Params p, List<String> keys) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : keys) {
            Object v = p.get(k);
            if (v == null) continue;
            if (v instanceof Boolean b) out.put(k, b ? "1" : "0");
            else out.put(k, v.toString());
        }
        return out;
    }

    private static List<String> deleteList(Params p) {
        List<String> out = new ArrayList<>();
        p.opt("delete").ifPresent(d -> {
            for (String k : d.split("[,;\\s]+")) if (!k.isEmpty()) out.add(k);
        });
        return out;
    }

    private static Object call(java.util.concurrent.Callable<Object> c) {
        try {
            return c.call();
        } catch (IllegalStateException e) {
            throw ApiException.error(e.getMessage());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw ApiException.error(e.getMessage());
        }
    }

    private static String sidParam(Params p) {
        try {
            return HaResources.normalizeSid(p.str("sid"), p.opt("type").orElse(null));
        } catch (IllegalArgumentException e) {
            throw ApiException.param("sid", e.getMessage());
        }
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        HaResources ha = new HaResources(ctx.cfs());
        resources = ha;
        Permission audit = Permission.perm("/", "Sys.Audit");
        Permission console = Permission.perm("/", "Sys.Console");
        List<String> resKeys = List.of("comment", "group", "max_relocate", "max_restart", "state");
        List<String> groupKeys = List.of("comment", "nodes", "nofailback", "restricted");

        reg.add(ApiMethod.get("/cluster/ha").name("index").description("Directory index.").permissions(audit)
            .returns(Schema.array(Schema.object().property("id", Schema.string())))
            .handler((p, rc) -> List.of(Map.of("id", "status"), Map.of("id", "resources"), Map.of("id", "groups"))).build());

        reg.add(ApiMethod.get("/cluster/ha/resources").name("index").description("List HA resources.").permissions(audit)
            .param("type", Schema.string().enumValues("ct", "vm").optional().description("Only list resources of specific type"))
            .returns(Schema.array(Schema.object().property("sid", Schema.string())))
            .handler((p, rc) -> ha.listResources(p.opt("type").orElse(null))).build());

        ApiMethod.Builder create = ApiMethod.post("/cluster/ha/resources").name("create").description("Create a new HA resource.")
            .permissions(console).protect().param("sid", sid())
            .param("type", Schema.string().enumValues("ct", "vm").optional().description("Resource type."))
            .returns(Schema.nullType());
        resourceOptions(create);
        reg.add(create.handler((p, rc) -> call(() -> {
            ha.createResource(sidParam(p), strings(p, resKeys));
            return null;
        })).build());

        reg.add(ApiMethod.get("/cluster/ha/resources/{sid}").name("read").description("Read resource configuration.")
            .permissions(audit).param("sid", sid()).returns(Schema.object())
            .handler((p, rc) -> call(() -> ha.readResource(sidParam(p)))).build());

        ApiMethod.Builder update = ApiMethod.put("/cluster/ha/resources/{sid}").name("update")
            .description("Update resource configuration.").permissions(console).protect().param("sid", sid())
            .param("delete", Schema.string().format("pve-configid-list").maxLength(4096).optional()
                .description("A list of settings you want to delete."))
            .param("digest", Schema.string().maxLength(64).optional()
                .description("Prevent changes if current configuration file has a different digest. This can be used to prevent concurrent modifications."))
            .returns(Schema.nullType());
        resourceOptions(update);
        reg.add(update.handler((p, rc) -> call(() -> {
            ha.updateResource(sidParam(p), strings(p, resKeys), deleteList(p), p.opt("digest").orElse(null));
            return null;
        })).build());

        reg.add(ApiMethod.delete("/cluster/ha/resources/{sid}").name("delete").description("Delete resource configuration.")
            .permissions(console).protect().param("sid", sid()).returns(Schema.nullType())
            .handler((p, rc) -> call(() -> {
                ha.deleteResource(sidParam(p));
                return null;
            })).build());

        for (String cmd : List.of("migrate", "relocate")) {
            reg.add(ApiMethod.post("/cluster/ha/resources/{sid}/" + cmd).name(cmd)
                .description(cmd.equals("migrate") ? "Request resource migration (online) to another node."
                    : "Request resource relocatzion to another node. This stops the service on the old node, and restarts it on the target node.")
                .permissions(console).protect().param("sid", sid())
                .param("node", StandardOptions.node().description("Target node."))
                .returns(Schema.nullType())
                .handler((p, rc) -> call(() -> {
                    ha.moveResource(sidParam(p), cmd, p.str("node"));
                    return null;
                })).build());
        }

        registerCrmCommands(reg, ha, console);

        reg.add(ApiMethod.get("/cluster/ha/groups").name("index").description("Get HA groups.").permissions(audit)
            .returns(Schema.array(Schema.object().property("group", Schema.string())))
            .handler((p, rc) -> ha.listGroups()).build());

        ApiMethod.Builder gcreate = ApiMethod.post("/cluster/ha/groups").name("create").description("Create a new HA group.")
            .permissions(console).protect().param("group", groupId())
            .param("type", Schema.string().enumValues("group").optional().description("Group type."))
            .returns(Schema.nullType());
        groupOptions(gcreate, true);
        reg.add(gcreate.handler((p, rc) -> call(() -> {
            ha.createGroup(p.str("group"), strings(p, groupKeys));
            return null;
        })).build());

        reg.add(ApiMethod.get("/cluster/ha/groups/{group}").name("read").description("Read ha group configuration.")
            .permissions(audit).param("group", groupId()).returns(Schema.object())
            .handler((p, rc) -> call(() -> ha.readGroup(p.str("group")))).build());

        ApiMethod.Builder gupdate = ApiMethod.put("/cluster/ha/groups/{group}").name("update")
            .description("Update ha group configuration.").permissions(console).protect().param("group", groupId())
            .param("delete", Schema.string().format("pve-configid-list").maxLength(4096).optional()
                .description("A list of settings you want to delete."))
            .param("digest", Schema.string().maxLength(64).optional()
                .description("Prevent changes if current configuration file has a different digest. This can be used to prevent concurrent modifications."))
            .returns(Schema.nullType());
        groupOptions(gupdate, false);
        reg.add(gupdate.handler((p, rc) -> call(() -> {
            ha.updateGroup(p.str("group"), strings(p, groupKeys), deleteList(p), p.opt("digest").orElse(null));
            return null;
        })).build());

        reg.add(ApiMethod.delete("/cluster/ha/groups/{group}").name("delete").description("Delete ha group configuration.")
            .permissions(console).protect().param("group", groupId()).returns(Schema.nullType())
            .handler((p, rc) -> call(() -> {
                ha.deleteGroup(p.str("group"));
                return null;
            })).build());

        registerTiming(reg, ctx);
        registerFence(reg, ctx);

        reg.add(ApiMethod.get("/cluster/ha/status").name("index").description("Directory index.")
            .permissions(Permission.all()).returns(Schema.array(Schema.object()))
            .handler((p, rc) -> List.of(Map.of("name", "current"), Map.of("name", "manager_status"))).build());

        reg.add(ApiMethod.get("/cluster/ha/status/current").name("status").description("Get HA manger status.")
            .permissions(audit).returns(Schema.array(Schema.object()))
            .handler((p, rc) -> ha.currentStatus(ctx.clock().epochSeconds())).build());

        reg.add(ApiMethod.get("/cluster/ha/status/manager_status").name("manager_status")
            .description("Get full HA manger status, including LRM status.").permissions(audit).returns(Schema.object())
            .handler((p, rc) -> ha.managerStatusData()).build());
    }

    /**
     * Haven extensions under {@code /cluster/ha/crm-command}: the commands PVE's {@code ha-manager crm-command}
     * writes straight into the manager's command queue ({@code ha/crm_commands}), which Haven's CLI reaches
     * through the API.
     */
    static void registerCrmCommands(ApiRegistry reg, HaResources ha, Permission console) {
        reg.add(ApiMethod.post("/cluster/ha/crm-command/node-maintenance").name("node_maintenance")
            .description("Request the manager to put a node into maintenance mode (enable) or take it out (disable) (Haven extension).")
            .permissions(console).protect()
            .param("action", Schema.string().enumValues("enable", "disable").description("Enable or disable maintenance mode."))
            .param("node", StandardOptions.node().description("The cluster node name."))
            .returns(Schema.nullType())
            .handler((p, rc) -> call(() -> {
                ha.nodeMaintenance(p.str("node"), p.str("action").equals("enable"));
                return null;
            })).build());
        reg.add(ApiMethod.post("/cluster/ha/crm-command/stop").name("crm_stop")
            .description("Request the manager to stop a service, waiting at most 'timeout' seconds before it is hard-stopped (Haven extension).")
            .permissions(console).protect().param("sid", sid())
            .param("timeout", Schema.integer().minimum(0).description("Timeout in seconds. If set to 0 a hard stop will be performed."))
            .returns(Schema.nullType())
            .handler((p, rc) -> call(() -> {
                ha.requestStop(sidParam(p), p.integer("timeout"));
                return null;
            })).build());
    }

    private static Schema timingParam(String key, long min, long max, String what) {
        return Schema.integer().minimum(min).maximum(max).optional().attr("default", LockTable.HaTiming.PVE.get(key))
            .description(what);
    }

    /**
     * Haven extension {@code /cluster/ha/timing}: the cluster-wide failover timing in the Haven-owned file
     * {@value LockTable#HA_TIMING_FILE} (PVE has fixed values and no such file). Unsafe combinations are refused.
     */
    static void registerTiming(ApiRegistry reg, NodeContext ctx) {
        Schema out = Schema.object();
        for (String k : LockTable.HaTiming.KEYS) out = out.property(k, Schema.integer());
        reg.add(ApiMethod.get("/cluster/ha/timing").name("timing")
            .description("Get the cluster-wide HA failover timing in seconds (Haven extension; PVE's values are the defaults).")
            .permissions(Permission.perm("/", "Sys.Audit")).returns(out)
            .handler((p, rc) -> timingData(ClusterHaEnv.readTiming(ctx.cfs()))).build());
        ApiMethod.Builder set = ApiMethod.put("/cluster/ha/timing").name("set_timing")
            .description("Set the cluster-wide HA failover timing (Haven extension). The lock lifetime must exceed watchdog"
                + " timeout + device timeout + " + LockTable.HaTiming.MARGIN + " s, so a node has reset itself before its"
                + " agent lock can be taken.")
            .permissions(Permission.perm("/", "Sys.Modify")).protect()
            .param(LockTable.HaTiming.ROUND, timingParam(LockTable.HaTiming.ROUND, 1, 10, "Pause between two CRM or LRM rounds."))
            .param(LockTable.HaTiming.WATCHDOG_TIMEOUT, timingParam(LockTable.HaTiming.WATCHDOG_TIMEOUT, 1, 60,
                "A CRM or LRM that has not renewed its lock for this long lets the node's watchdog expire."))
            .param(LockTable.HaTiming.DEVICE_TIMEOUT, timingParam(LockTable.HaTiming.DEVICE_TIMEOUT, 1, 10,
                "The watchdog device resets the node this long after it was last fed."))
            .param(LockTable.HaTiming.LOCK_LIFETIME, timingParam(LockTable.HaTiming.LOCK_LIFETIME, 1, 120,
                "The HA manager and agent locks expire this long after their last renewal."))
            .param(LockTable.HaTiming.FENCE_DELAY, timingParam(LockTable.HaTiming.FENCE_DELAY, 0, 60,
                "The manager starts fencing a node's services once the node has been offline this long."))
            .param("delete", Schema.string().format("pve-configid-list").maxLength(4096).optional()
                .description("A list of settings to reset to their defaults."))
            .returns(Schema.nullType());
        reg.add(set.handler((p, rc) -> {
            List<String> delete = deleteList(p);
            for (String k : delete) {
                if (!LockTable.HaTiming.KEYS.contains(k)) throw ApiException.param("delete", "unknown setting '" + k + "'");
            }
            ctx.cfs().withLock("ha_timing_cfg", null, () -> {
                LockTable.HaTiming t = currentTimingForUpdate(ctx);
                for (String k : delete) t = t.with(k, LockTable.HaTiming.PVE.get(k));
                for (String k : LockTable.HaTiming.KEYS) if (p.has(k)) t = t.with(k, p.lng(k));
                Map<String, String> problems = t.problems();
                if (!problems.isEmpty()) throw new org.haven.core.schema.ParamException(new java.util.TreeMap<>(problems));
                if (t.equals(LockTable.HaTiming.PVE)) {
                    ctx.cfs().delete(LockTable.HA_TIMING_FILE);
                } else {
                    ctx.cfs().mkdirs("ha");
                    ctx.cfs().writeString(LockTable.HA_TIMING_FILE, t.format());
                }
                return null;
            });
            return null;
        }).build());
    }

    /**
     * Haven extension {@code PUT /cluster/ha/fence}: replaces the hardware fencing configuration {@code ha/fence.cfg}
     * (PVE's format; on PVE the file is edited in {@code /etc/pve}, which Haven does not mount). A text that does not
     * parse is refused; an empty one removes the file.
     */
    static void registerFence(ApiRegistry reg, NodeContext ctx) {
        reg.add(ApiMethod.put("/cluster/ha/fence").name("set_fence")
            .description("Replace the hardware fencing devices of ha/fence.cfg (Haven extension): 'device <name> <agent>"
                + " [<key>=<value>...]' and 'connect <name> node=<node> [<key>=<value>...]' lines.")
            .permissions(Permission.perm("/", "Sys.Modify")).protect()
            .param("config", Schema.string().maxLength(65536).description("The new content of ha/fence.cfg."))
            .returns(Schema.nullType())
            .handler((p, rc) -> {
                String text = p.str("config");
                try {
                    org.haven.ha.FenceConfig.parse(text);
                } catch (IllegalArgumentException e) {
                    throw ApiException.param("config", e.getMessage());
                }
                if (text.isBlank()) {
                    ctx.cfs().delete(ClusterHaEnv.FENCE_CFG);
                } else {
                    ctx.cfs().mkdirs("ha");
                    ctx.cfs().writeString(ClusterHaEnv.FENCE_CFG, text.endsWith("\n") ? text : text + "\n");
                }
                return null;
            }).build());
    }

    /** The file's values even when they are not safe (they are replaced as a whole); PVE's when unreadable. */
    private static LockTable.HaTiming currentTimingForUpdate(NodeContext ctx) {
        try {
            return LockTable.HaTiming.parse(ctx.cfs().readString(LockTable.HA_TIMING_FILE).orElse(""));
        } catch (IllegalArgumentException e) {
            return LockTable.HaTiming.PVE;
        }
    }

    static Map<String, Object> timingData(LockTable.HaTiming t) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : LockTable.HaTiming.KEYS) out.put(k, t.get(k));
        return out;
    }

    @Override
    public void start(NodeContext ctx) throws Exception {
        if (driver.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "no guest driver: HA services (CRM/LRM) not started");
            return;
        }
        LockTable.HaTiming timing = ClusterHaEnv.readTiming(ctx.cfs());
        HaServices.checkTimeouts(timing);
        LOG.log(System.Logger.Level.INFO, "HA timing: " + ClusterHaEnv.describe(timing));
        Path dev = Path.of("/dev/watchdog");
        WatchdogMux.Backend backend = null;
        if (!ctx.embedded() && WatchdogMux.DeviceBackend.available(dev)) {
            // the device must take the configured reset delay, or it could reset the node after its lock expired
            WatchdogMux.DeviceBackend d = new WatchdogMux.DeviceBackend(dev);
            try {
                d.setTimeout(timing.deviceTimeout());
                d.feed();
                d.disarm();
                backend = d;
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.ERROR, "not using " + dev + " - " + e.getMessage() + "; using the supervisor process");
                try {
                    d.close();
                } catch (java.io.IOException ignored) {
                    // already closed
                }
            }
        }
        if (backend == null) {
            // every guest process of the node names a file below its run directory (QEMU's pid file and sockets)
            var supervisor = new WatchdogMux.SupervisorBackend(timing.deviceTimeout(), ProcessHandle.current().pid(),
                List.of(ctx.runDir()), !ctx.embedded());
            try {
                // it runs beside the daemon from now on, so arming it later takes no time
                supervisor.start();
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.ERROR, "unable to start the watchdog supervisor - " + e.getMessage());
            }
            backend = supervisor;
        }
        WatchdogMux mux = new WatchdogMux(backend, timing.watchdogTimeout(), () -> ctx.clock().epochSeconds());
        services = new HaServices(id -> new ClusterHaEnv(ctx.cfs(), ctx.clock(), driver.get(), mux,
            haLog(id), () -> new HaEnv.Shutdown(false, false)), mux);
    }

    /** The CRM's and LRM's messages go to the loggers named as PVE's daemons, {@code pve-ha-crm} and {@code pve-ha-lrm}. */
    static java.util.function.BiConsumer<String, String> haLog(String id) {
        System.Logger log = System.getLogger("pve-ha-" + id);
        return (lvl, msg) -> log.log(level(lvl), msg);
    }

    private static System.Logger.Level level(String l) {
        return switch (l) {
            case "err" -> System.Logger.Level.ERROR;
            case "warning", "email" -> System.Logger.Level.WARNING;
            default -> System.Logger.Level.INFO;
        };
    }

    @Override
    public void stop() throws Exception {
        if (services != null) {
            services.shutdown(120);
            services.close();
        }
    }
}
