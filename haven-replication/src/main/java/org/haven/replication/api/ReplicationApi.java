package org.haven.replication.api;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.task.MinuteTicker;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.GuestWiring;
import org.haven.guest.migrate.GuestReplication;
import org.haven.guest.migrate.PeerHandler;
import org.haven.replication.PeerFinalize;
import org.haven.replication.PeerPrepare;
import org.haven.replication.PeerSetState;
import org.haven.replication.ReplicationConfig;
import org.haven.replication.ReplicationSchedule;
import org.haven.replication.ReplicationService;
import org.haven.replication.ReplicationState;
import org.haven.replication.Replicator;
import org.haven.storage.StorageManager;

/**
 * Storage replication's API ({@code /cluster/replication}: the jobs of {@code replication.cfg};
 * {@code /nodes/{node}/replication}: their state on a node, logs, {@code schedule_now}) and the node's scheduler
 * round every minute, as PVE's pvescheduler runs {@code pvesr run}.
 */
public final class ReplicationApi implements ApiModule {
    static final String JOB_ID = "[1-9][0-9]{2,8}-\\d{1,9}";
    /** Keys shown as numbers. */
    static final Set<String> NUMERIC = Set.of("disable", "rate");

    static {
        org.haven.core.schema.Formats.register("pve-replication-job-id", v -> {
            if (!ReplicationConfig.ID.matcher(v).matches())
                throw new org.haven.core.schema.Formats.FormatException("invalid replication job id '" + v + "'");
        });
    }

    private final GuestWiring node;
    private final ReplicationService.Guests guests;
    private final GuestReplication guestReplication = new GuestReplication() {
        @Override public Set<String> syncBeforeMigration(int vmid, String target, java.util.function.Consumer<String> log) {
            return service().syncBeforeMigration(vmid, target, log);
        }
        @Override public void afterMigration(int vmid, String source, String target, java.util.function.Consumer<String> log) {
            service().afterMigration(vmid, source, target, log);
        }
        @Override public void checkVolume(int vmid, String volume) { service().checkVolume(vmid, volume); }
        @Override public java.util.Optional<Replica> replica(int vmid, String node) { return service().replica(vmid, node); }
    };
    private NodeContext ctx;
    private volatile ReplicationService service;
    private MinuteTicker ticker;

    /**
     * Replication of the node's {@code guests} (asked on each run), with the storage, the calls to other nodes, the HTTP
     * server and the node-to-node credentials of {@code node} (its replication and backups are not used).
     */
    public ReplicationApi(GuestWiring node, ReplicationService.Guests guests) {
        this.node = node;
        this.guests = guests;
    }

    @Override public String name() { return "replication"; }

    /** Replication as the guest types use it (migration, volume checks). */
    public GuestReplication guestReplication() { return guestReplication; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        reg.addAll(methods());
        java.util.function.Supplier<java.util.Optional<PeerHandler.Credentials>> credentials = node::peers;
        node.http().add(new PeerFinalize(() -> java.util.Optional.of(node.storage()), credentials));
        node.http().add(new PeerPrepare(() -> java.util.Optional.of(node.storage()), ctx.cfs(), credentials));
        node.http().add(new PeerSetState(this::service, credentials));
    }

    @Override
    public void start(NodeContext ctx) {
        ticker = MinuteTicker.start("replication-scheduler", ctx.clock(), () -> service().runDue());
    }

    @Override
    public void stop() {
        if (ticker != null) ticker.close();
    }

    /** The node's replication service, made on first use. */
    public ReplicationService service() {
        ReplicationService s = service;
        if (s != null) return s;
        synchronized (this) {
            if (service == null) {
                Path state = ctx.embedded() ? ctx.dataDir().resolve("replication/pve-replication-state.json")
                        : Path.of("/var/lib/pve-manager/pve-replication-state.json");
                Path logs = ctx.embedded() ? ctx.dataDir().resolve("replication/log") : Path.of("/var/log/pve/replicate");
                service = new ReplicationService(ctx.cfs(), state, logs, ctx.clock(), ZoneId.systemDefault(), guests, this::storage, node.cluster());
            }
            return service;
        }
    }

    // ---- declarations ---------------------------------------------------------------------------------------

    static Schema jobId() {
        return Schema.string().format("pve-replication-job-id").pattern(JOB_ID).description("Replication Job ID. The ID is composed of a Guest ID and a job number, separated by a hyphen, i.e. '<GUEST>-<JOBNUM>'.");
    }

    static ApiMethod.Builder jobParams(ApiMethod.Builder b) {
        return b
                .param("comment", Schema.string().optional().maxLength(4096).description("Description."))
                .param("disable", Schema.bool().optional().description("Flag to disable/deactivate the entry."))
                .param("rate", Schema.number().optional().minimum(1).description("Rate limit in mbps (megabytes per second) as floating point number."))
                .param("remove_job", Schema.string().optional().enumValues("local", "full").description("Mark the replication job for removal. The job will remove all local replication snapshots. When set to 'full', it also tries to remove replicated volumes on the target. The job then removes itself from the configuration file."))
                .param("schedule", Schema.string().optional().format("pve-calendar-event").maxLength(128).defaultValue("*/15").description("Storage replication schedule. The format is a subset of `systemd` calendar events."))
                .param("source", StandardOptions.node().optional().description("For internal use, to detect if the guest was stolen."));
    }

    List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        m.add(ApiMethod.get("/cluster/replication").name("index").description("List replication jobs.")
                .returns(Schema.array(Schema.object()).attr("links", List.of(Map.of("rel", "child", "href", "{id}"))))
                .permissions(Permission.all("Will only return replication jobs for which the calling user has VM.Audit permission on /vms/<vmid>."))
                .handler((p, rc) -> {
                    String digest = digest(service().configText());
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (ReplicationConfig.Job j : service().config().jobs()) {
                        if (rc.hasPermission("/vms/" + j.guest(), false, "VM.Audit")) out.add(jobRecord(j, digest));
                    }
                    return out;
                }).build());
        m.add(jobParams(ApiMethod.post("/cluster/replication").name("create").description("Create a new replication job")
                .param("id", jobId())
                .param("target", StandardOptions.node().description("Target node."))
                .param("type", Schema.string().enumValues("local").description("Section type.")))
                .returns(Schema.nullType())
                .permissions(Permission.perm("/storage", "Datastore.Allocate")).protect()
                .handler((p, rc) -> {
                    String id = p.str("id");
                    int vmid = ReplicationConfig.parseId(id)[0];
                    var g = service().guest(vmid).orElseThrow(() -> ApiException.error("Guest '" + vmid + "' does not exist"));
                    String target = p.str("target");
                    if (!org.haven.guest.migrate.GuestMigrate.members(ctx.cfs()).containsKey(target))
                        throw ApiException.error("no such cluster node '" + target + "'");
                    if (target.equals(g.getValue())) throw ApiException.error("unable to replicate to the guest's own node '" + target + "'");
                    checkVolumes(g.getKey(), vmid);
                    Map<String, String> props = strings(p, List.of("target", "schedule", "rate", "comment", "disable", "remove_job", "source"));
                    props.putIfAbsent("source", g.getValue());
                    config(c -> c.create(id, p.str("type"), props));
                    return null;
                }).build());
        m.add(ApiMethod.get("/cluster/replication/{id}").name("read").description("Read replication job configuration.")
                .param("id", jobId()).returns(Schema.object())
                .permissions(Permission.all("Requires the VM.Audit permission on /vms/<vmid>."))
                .handler((p, rc) -> {
                    ReplicationConfig.Job j = job(p.str("id"));
                    rc.requirePermission("/vms/" + j.guest(), "VM.Audit");
                    return jobRecord(j, digest(service().configText()));
                }).build());
        m.add(jobParams(ApiMethod.put("/cluster/replication/{id}").name("update").description("Update replication job configuration.")
                .param("id", jobId())
                .param("delete", Schema.string().format("pve-configid-list").maxLength(4096).optional().description("A list of settings you want to delete."))
                .param("digest", StandardOptions.configDigest()))
                .returns(Schema.nullType())
                .permissions(Permission.perm("/storage", "Datastore.Allocate")).protect()
                .handler((p, rc) -> {
                    String id = p.str("id");
                    List<String> delete = p.has("delete") ? List.of(p.str("delete").split("[,;\\s]+")) : List.of();
                    Map<String, String> set = strings(p, List.of("schedule", "rate", "comment", "disable", "remove_job", "source"));
                    config(c -> {
                        if (p.has("digest") && !p.str("digest").equals(digest(c.write())))
                            throw ApiException.error("detected modified configuration - file changed by other user? Try again.");
                        ReplicationConfig.Job j = c.require(id);
                        if (!set.isEmpty()) checkVolumes(service().guest(j.guest()).map(Map.Entry::getKey).orElse(null), j.guest());
                        return c.update(id, set, delete);
                    });
                    return null;
                }).build());
        m.add(ApiMethod.delete("/cluster/replication/{id}").name("delete").description("Mark replication job for removal.")
                .param("id", jobId())
                .param("force", Schema.bool().optional().defaultValue(0).description("Will remove the jobconfig entry, but will not cleanup."))
                .param("keep", Schema.bool().optional().defaultValue(0).description("Keep replicated data at target (do not remove)."))
                .returns(Schema.nullType())
                .permissions(Permission.perm("/storage", "Datastore.Allocate")).protect()
                .handler((p, rc) -> {
                    String id = p.str("id");
                    config(c -> {
                        c.require(id);
                        if (p.bool("force", false)) return c.delete(id);
                        return c.update(id, Map.of("remove_job", p.bool("keep", false) ? "local" : "full"), List.of());
                    });
                    return null;
                }).build());

        String node = "/nodes/{node}/replication";
        m.add(ApiMethod.get(node).name("status").description("List status of all replication jobs on this node.")
                .param("node", StandardOptions.node())
                .param("guest", StandardOptions.vmid().optional().description("Only list replication jobs for this guest."))
                .returns(Schema.array(Schema.object().property("id", Schema.string())).attr("links", List.of(Map.of("rel", "child", "href", "{id}"))))
                .permissions(Permission.all("Requires the VM.Audit permission on /vms/<vmid>.")).proxyto("node").protect()
                .handler((p, rc) -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (ReplicationSchedule.Status s : sorted(service().status())) {
                        if (p.has("guest") && s.job().guest() != p.integer("guest")) continue;
                        if (!rc.hasPermission("/vms/" + s.job().guest(), false, "VM.Audit")) continue;
                        out.add(statusRecord(s));
                    }
                    return out;
                }).build());
        m.add(ApiMethod.get(node + "/{id}").name("index").description("Directory index.")
                .param("node", StandardOptions.node()).param("id", jobId())
                .returns(Schema.array(Schema.object()).attr("links", List.of(Map.of("rel", "child", "href", "{name}"))))
                .permissions(Permission.all())
                .handler((p, rc) -> List.of(Map.of("name", "schedule_now"), Map.of("name", "log"), Map.of("name", "status"))).build());
        m.add(ApiMethod.get(node + "/{id}/status").name("job_status").description("Get replication job status.")
                .param("node", StandardOptions.node()).param("id", jobId()).returns(Schema.object())
                .permissions(Permission.all("Requires the VM.Audit permission on /vms/<vmid>.")).proxyto("node").protect()
                .handler((p, rc) -> {
                    ReplicationSchedule.Status s = localStatus(p.str("id"));
                    rc.requirePermission("/vms/" + s.job().guest(), "VM.Audit");
                    return statusRecord(s);
                }).build());
        m.add(ApiMethod.get(node + "/{id}/log").name("read_job_log").description("Read replication job log.")
                .param("node", StandardOptions.node()).param("id", jobId())
                .param("start", Schema.integer().optional().minimum(0))
                .param("limit", Schema.integer().optional().minimum(0))
                .returns(Schema.array(Schema.object().property("n", Schema.integer().description("Line number"))
                        .property("t", Schema.string().description("Line text"))))
                .permissions(Permission.all("Requires the VM.Audit permission on /vms/<vmid>, or 'Sys.Audit' on '/nodes/<node>'")).proxyto("node").protect()
                .handler((p, rc) -> {
                    ReplicationConfig.Job j = job(p.str("id"));
                    if (!rc.hasPermission("/vms/" + j.guest(), false, "VM.Audit") && !rc.hasPermission("/nodes/" + service().node(), false, "Sys.Audit"))
                        throw ApiException.forbidden();
                    List<String> lines = service().log(j.id());
                    int start = p.integer("start", 0), limit = p.integer("limit", 50);
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (int i = start; i < lines.size() && out.size() < limit; i++) out.add(Map.of("n", i + 1, "t", lines.get(i)));
                    rc.setResultAttribute("total", lines.size());
                    return out;
                }).build());
        m.add(ApiMethod.post(node + "/{id}/schedule_now").name("schedule_now").description("Schedule replication job to start as soon as possible.")
                .param("node", StandardOptions.node()).param("id", jobId()).returns(Schema.string())
                .permissions(Permission.perm("/storage", "Datastore.Allocate")).proxyto("node").protect()
                .handler((p, rc) -> {
                    ReplicationConfig.Job j = job(p.str("id"));
                    service().scheduleNow(j);
                    // the round PVE's scheduler would run within a minute, started at once
                    Thread.ofVirtual().name("replication-now").start(() -> service().runDue());
                    return null;
                }).build());
        return m;
    }

    private <T> T config(java.util.function.Function<ReplicationConfig, T> change) {
        try {
            return service().modifyConfig(change);
        } catch (ReplicationConfig.ConfigException e) {
            throw ApiException.error(e.getMessage());
        }
    }

    private ReplicationConfig.Job job(String id) {
        return service().config().find(id).orElseThrow(() -> ApiException.error("replication job '" + id + "' does not exist"));
    }

    private ReplicationSchedule.Status localStatus(String id) {
        ReplicationConfig.Job j = job(id);
        return service().status().stream().filter(s -> s.job().id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.error("replication job '" + j.id() + "' is not a job of node '" + service().node() + "'"));
    }

    private StorageManager storage() { return node.storage(); }

    /** A guest with replication jobs refuses volumes that cannot be replicated (PVE's message). */
    private void checkVolumes(org.haven.guest.GuestService g, int vmid) {
        if (g == null) return;
        StorageManager sm = storage();
        var owner = g.store().owner(vmid).orElseThrow();
        try {
            Replicator.replicableVolumes(g.type().volumeKeys(), g.store().load(owner, vmid), sid -> sm.config().get(sid));
        } catch (IllegalStateException e) {
            throw ApiException.error(e.getMessage());
        }
    }

    private static List<ReplicationSchedule.Status> sorted(List<ReplicationSchedule.Status> st) {
        return st.stream().sorted(java.util.Comparator.comparing((ReplicationSchedule.Status s) -> s.job().id())).toList();
    }

    /** The API's values of the given parameters as config text (booleans 0/1, numbers as given). */
    static Map<String, String> strings(Params p, List<String> keys) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : keys) if (p.has(k)) out.put(k, org.haven.core.schema.Validator.text(p.get(k)));
        return out;
    }

    static Map<String, Object> jobRecord(ReplicationConfig.Job j, String digest) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", j.id());
        r.put("type", j.type());
        r.put("guest", j.guest());
        r.put("jobnum", j.jobnum());
        j.props().forEach((k, v) -> r.put(k, NUMERIC.contains(k) ? number(v) : v));
        if (digest != null) r.put("digest", digest);
        return r;
    }

    /** A job with its state on this node ({@code pid} while it runs, as PVE shows a syncing job). */
    private Map<String, Object> statusRecord(ReplicationSchedule.Status s) {
        Map<String, Object> r = jobRecord(s.job(), null);
        if (service().isRunning(s.job().id())) r.put("pid", ProcessHandle.current().pid());
        ReplicationState.Job st = s.state();
        r.put("next_sync", s.nextSync());
        if (st.lastSync() > 0 || st.lastTry() > 0) r.put("last_sync", st.lastSync());
        if (st.lastTry() > 0) r.put("last_try", st.lastTry());
        r.put("fail_count", st.failCount());
        if (st.error() != null) r.put("error", st.error());
        if (st.duration() != null) r.put("duration", st.duration());
        return r;
    }

    static Object number(String v) {
        try {
            double d = Double.parseDouble(v);
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
        } catch (NumberFormatException e) {
            return v;
        }
    }

    static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
