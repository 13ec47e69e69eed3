package org.haven.node.guests;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.task.TaskLog;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.migrate.ClusterApi;
import org.haven.node.admin.NodeConfig;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /nodes/{node}/startall}, {@code stopall} and {@code suspendall} (PVE's tasks of those names), and start on
 * boot: once the daemon runs, it starts its {@code onboot} guests after the node's {@code startall-onboot-delay}, as
 * PVE's {@code pve-guests} service does. The order comes from {@link StartStopPlan}; each guest is started, shut down or
 * suspended through its own API method on this node (its own {@code vzstart}/{@code qmstart}/… task, with its HA and
 * lock checks), and the outer task waits for it.
 */
public final class GuestsPowerApi implements ApiModule {
    private static final String NODE = "/nodes/{node}";
    private static final String PERMS = "The 'VM.PowerMgmt' permission is required on '/' or on '/vms/<ID>' for each ID passed via the 'vms' parameter.";

    private final ClusterApi cluster;
    private NodeContext ctx;

    /** The node's guests started and stopped through the API of their node, called with {@code cluster}. */
    public GuestsPowerApi(ClusterApi cluster) { this.cluster = cluster; }

    @Override public String name() { return "node-guests"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        reg.addAll(methods());
    }

    /** Start on boot: the onboot guests, after the configured delay, in a {@code startall} task. */
    @Override
    public void start(NodeContext ctx) {
        Thread.ofVirtual().name("startall-onboot").start(() -> {
            try {
                // a node without onboot guests has nothing to start: no task
                if (guests().stream().noneMatch(StartStopPlan.Guest::onboot)) return;
                ctx.tasks().start("startall", "", "root@pam", log -> startAll(log, false, Set.of(), true));
            } catch (RuntimeException e) {
                System.getLogger("startall").log(System.Logger.Level.WARNING, "start on boot failed: " + e.getMessage());
            }
        });
    }

    List<ApiMethod> methods() {
        return List.of(
                ApiMethod.post(NODE + "/startall").name("startall").description("Start all VMs and containers located on this node (by default only those with onboot=1).")
                        .param("node", StandardOptions.node())
                        .param("force", Schema.bool().optional().defaultValue(0).description("Issue start command even if virtual guest have 'onboot' not set or set to off."))
                        .param("vms", StandardOptions.vmidList().optional().description("Only consider guests from this comma separated list of VMIDs."))
                        .returns(Schema.string())
                        .permissions(Permission.all(PERMS)).proxyto("node").protect()
                        .handler((p, rc) -> {
                            Set<Integer> vms = checkPerms(rc, p, List.of());
                            boolean force = p.bool("force", false);
                            return rc.startTask("startall", null, log -> startAll(log, force, vms, false));
                        }).build(),
                ApiMethod.post(NODE + "/stopall").name("stopall").description("Stop all VMs and Containers.")
                        .param("node", StandardOptions.node())
                        .param("vms", StandardOptions.vmidList().optional().description("Only consider Guests with these IDs."))
                        .param("timeout", Schema.integer().optional().minimum(0).maximum(7200).defaultValue(180).description("Timeout for each guest shutdown task. Depending on `force-stop`, the shutdown gets then simply aborted or a hard-stop is forced."))
                        .param("force-stop", Schema.bool().optional().defaultValue(1).description("Force a hard-stop after the timeout."))
                        .returns(Schema.string())
                        .permissions(Permission.all(PERMS)).proxyto("node").protect()
                        .handler((p, rc) -> {
                            Set<Integer> vms = checkPerms(rc, p, List.of());
                            Long timeout = p.has("timeout") ? p.lng("timeout") : null;
                            boolean forceStop = p.bool("force-stop", true);
                            return rc.startTask("stopall", null, log -> stopAll(log, timeout, forceStop, vms));
                        }).build(),
                ApiMethod.post(NODE + "/suspendall").name("suspendall").description("Suspend all VMs.")
                        .param("node", StandardOptions.node())
                        .param("vms", StandardOptions.vmidList().optional().description("Only consider Guests with these IDs."))
                        .returns(Schema.string())
                        .permissions(Permission.all(PERMS + " Additionally, you need 'VM.Config.Disk' on the '/vms/{vmid}' path and 'Datastore.AllocateSpace' for the configured state-storage(s)"))
                        .proxyto("node").protect()
                        .handler((p, rc) -> {
                            Set<Integer> vms = checkPerms(rc, p, List.of("VM.Config.Disk"));
                            return rc.startTask("suspendall", null, log -> suspendAll(log, vms));
                        }).build());
    }

    /** PVE's check: {@code VM.PowerMgmt} on {@code /}, else on each listed guest (and {@code extra} privileges there). */
    private static Set<Integer> checkPerms(RequestContext rc, Params p, List<String> extra) {
        TreeSet<Integer> vms = new TreeSet<>();
        for (String v : Formats.splitList(p.str("vms", ""))) vms.add(Integer.parseInt(v));
        List<String> privs = new ArrayList<>(List.of("VM.PowerMgmt"));
        privs.addAll(extra);
        if (rc.hasPermission("/", false, privs.toArray(String[]::new))) return vms;
        if (vms.isEmpty()) throw ApiException.forbidden("Permission check failed (/, VM.PowerMgmt)");
        for (int vmid : vms)
            if (!rc.hasPermission("/vms/" + vmid, false, privs.toArray(String[]::new)))
                throw ApiException.forbidden("Permission check failed (/vms/" + vmid + ", " + String.join("|", privs) + ")");
        return vms;
    }

    // ---- the guests of this node ------------------------------------------------------------------------------

    private ClusterApi api() { return cluster; }

    private String node() { return ctx.nodeName(); }

    /** The guests whose configs are on this node, with what the plan needs. */
    List<StartStopPlan.Guest> guests() {
        Set<String> ha = haManaged();
        List<StartStopPlan.Guest> out = new ArrayList<>();
        for (GuestConfigStore store : List.of(GuestConfigStore.qemu(ctx.cfs()), GuestConfigStore.lxc(ctx.cfs()))) {
            String type = store.dir().equals("lxc") ? "lxc" : "qemu";
            String prefix = type.equals("lxc") ? "ct:" : "vm:";
            store.list().forEach((vmid, owner) -> {
                if (!owner.equals(node())) return;
                try {
                    GuestConfig cfg = store.load(vmid);
                    boolean onboot = cfg.get("onboot").map(v -> v.equals("1")).orElse(false);
                    out.add(new StartStopPlan.Guest(vmid, type, onboot, cfg.get("startup").orElse(null), ha.contains(prefix + vmid)));
                } catch (RuntimeException e) {
                    // a config that cannot be read is not started nor stopped (PVE warns and goes on)
                }
            });
        }
        return out;
    }

    /** The guests in {@code ha/resources.cfg}, as {@code vm:<vmid>}/{@code ct:<vmid>}. */
    private Set<String> haManaged() {
        Set<String> out = new TreeSet<>();
        try {
            for (SectionConfig.Section s : SectionConfig.parse(ctx.cfs().readString("ha/resources.cfg").orElse("")).sections())
                out.add(s.id().contains(":") ? s.id() : s.type() + ":" + s.id());
        } catch (RuntimeException e) {
            // unreadable: nothing counts as HA-managed
        }
        return out;
    }

    private String path(StartStopPlan.Guest g, String action) { return "/nodes/" + node() + "/" + g.type() + "/" + g.vmid() + "/status/" + action; }

    private static String word(StartStopPlan.Guest g) { return g.isVm() ? "VM" : "CT"; }

    private boolean running(StartStopPlan.Guest g) {
        JsonNode st = api().call(node(), "GET", path(g, "current"), Map.of());
        return "running".equals(st.path("status").asString(""));
    }

    /** Run a guest's power method and wait for its task; its exit status. */
    private String runTask(StartStopPlan.Guest g, String action, Map<String, ?> params) throws InterruptedException {
        String upid = api().call(node(), "POST", path(g, action), params).asString();
        return ctx.tasks().await(upid, Long.MAX_VALUE).status();
    }

    private static void sleep(long seconds) throws InterruptedException { Thread.sleep(Duration.ofSeconds(seconds)); }

    // ---- startall ------------------------------------------------------------------------------------------------

    private void startAll(TaskLog log, boolean force, Set<Integer> vms, boolean onBoot) throws Exception {
        if (onBoot) {
            long delay = onbootDelay();
            if (delay > 0) {
                log.log("Delaying on-boot 'startall' command by " + delay + " second(s).");
                sleep(delay);
            }
        }
        if (!ctx.cfs().isQuorate()) {
            log.log("waiting for quorum ...");
            while (!ctx.cfs().isQuorate()) sleep(1);
            log.log("got quorum");
        }
        awaitApi();
        for (StartStopPlan.Step s : StartStopPlan.start(guests(), force, vms)) {
            StartStopPlan.Guest g = s.guest();
            if (!ctx.cfs().isQuorate()) throw new IllegalStateException("cluster not ready - no quorum?");
            try {
                if (running(g)) continue;
                log.log("Starting " + word(g) + " " + g.vmid());
                String status = runTask(g, "start", Map.of());
                if (!"OK".equals(status) && (status == null || !status.startsWith("WARNINGS"))) {
                    log.log("Starting " + word(g) + " " + g.vmid() + " failed: " + status);
                    continue;
                }
                if (s.upDelay() > 0) {
                    if (StartStopPlan.startup(g.startup()).containsKey("up")) log.log("Waiting for " + s.upDelay() + " seconds (startup delay)");
                    sleep(s.upDelay());
                }
            } catch (RuntimeException e) {
                log.warn(e.getMessage());
            }
        }
    }

    /** The node config's {@code startall-onboot-delay} (seconds, 0 when not set). */
    private long onbootDelay() {
        String v = NodeConfig.parse(ctx.cfs().readString("nodes/" + node() + "/config").orElse("")).get("startall-onboot-delay");
        try {
            return v == null ? 0 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** On boot the API may not answer yet: wait until this node's own endpoint does. */
    private void awaitApi() throws InterruptedException {
        for (int i = 0; i < 120 && !api().reachable(node()); i++) Thread.sleep(500);
    }

    // ---- stopall and suspendall ----------------------------------------------------------------------------------

    /** Run {@code action} for each group of the plan, its guests in parallel (at most {@code max_workers}, else the CPUs). */
    private void inGroups(List<List<StartStopPlan.Step>> groups, GuestAction action, TaskLog log) throws Exception {
        int workers = maxWorkers();
        for (List<StartStopPlan.Step> group : groups) {
            Semaphore slots = new Semaphore(workers);
            List<Future<?>> running = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (StartStopPlan.Step s : group) {
                    slots.acquire();
                    running.add(pool.submit(() -> {
                        try {
                            action.run(s);
                        } catch (Exception e) {
                            log.warn(e.getMessage());
                        } finally {
                            slots.release();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) f.get();
            }
        }
    }

    interface GuestAction { void run(StartStopPlan.Step s) throws Exception; }

    private int maxWorkers() {
        String dc = ctx.cfs().readString("datacenter.cfg").orElse("");
        for (String line : dc.split("\n")) {
            if (!line.startsWith("max_workers:")) continue;
            try {
                return Math.max(1, Integer.parseInt(line.substring("max_workers:".length()).trim()));
            } catch (NumberFormatException ignored) {
                // the default below
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private void stopAll(TaskLog log, Long timeout, boolean forceStop, Set<Integer> vms) throws Exception {
        inGroups(StartStopPlan.stop(guests(), timeout, vms), s -> {
            StartStopPlan.Guest g = s.guest();
            if (!running(g)) return;
            log.log("Stopping " + word(g) + " " + g.vmid() + " (timeout = " + s.downTimeout() + " seconds)");
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("timeout", s.downTimeout());
            params.put("forceStop", forceStop ? 1 : 0);
            String status = runTask(g, "shutdown", params);
            if (!"OK".equals(status)) log.log("Stopping " + word(g) + " " + g.vmid() + " failed: " + status);
        }, log);
        log.log("all VMs and CTs stopped");
    }

    private void suspendAll(TaskLog log, Set<Integer> vms) throws Exception {
        inGroups(StartStopPlan.stop(guests(), null, vms), s -> {
            StartStopPlan.Guest g = s.guest();
            if (!g.isVm()) {
                log.log("Skipping CT " + g.vmid() + ", only VMs can be suspended");
                return;
            }
            if (!running(g)) return;
            log.log("Suspending VM " + g.vmid());
            String status = runTask(g, "suspend", Map.of("todisk", 1));
            if (!"OK".equals(status)) log.log("Suspending VM " + g.vmid() + " failed: " + status);
        }, log);
        log.log("all VMs suspended");
    }
}
