package org.haven.backup.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Permission;
import org.haven.backup.Restore;
import org.haven.backup.Vzdump;
import org.haven.backup.VzdumpOptions;
import org.haven.backup.jobs.BackupJobs;
import org.haven.backup.jobs.BackupScheduler;
import org.haven.backup.notify.Notifier;
import org.haven.backup.notify.VzdumpNotification;
import org.haven.core.calendar.CalendarEvent;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.GuestBackups;
import org.haven.guest.GuestService;
import org.haven.storage.StorageManager;

/**
 * The backup module: {@code POST /nodes/{node}/vzdump} (one {@code vzdump} task per run) and the restore the
 * guest types' create methods delegate to ({@link GuestBackups}). Defaults come from {@code /etc/vzdump.conf},
 * in embedded mode {@code <data-dir>/etc/vzdump.conf}.
 */
public final class BackupApi implements ApiModule, GuestBackups {
    /** Parameters of PVE's method that this implementation does not carry out: refused instead of ignored. */
    static final List<String> NOT_IMPLEMENTED = List.of("fleecing",
            "performance", "pbs-change-detection-mode", "notification-target");

    static {
        org.haven.core.schema.Formats.register("pve-calendar-event", v -> {
            try {
                CalendarEvent.parse(v);
            } catch (CalendarEvent.ParseException e) {
                throw new org.haven.core.schema.Formats.FormatException("invalid calendar event '" + v + "' - " + e.getMessage());
            }
        });
    }

    private final List<GuestService> guests = new CopyOnWriteArrayList<>();
    private final StorageManager storage;
    private NodeContext ctx;
    private BackupScheduler scheduler;

    /** Backups of the guests that the guest types {@linkplain #register register}, to and from {@code storage}. */
    public BackupApi(StorageManager storage) { this.storage = storage; }

    @Override public String name() { return "backup"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        reg.addAll(methods());
        new BackupInfoApi(guests, this::storage, this::defaults, jobs()).register(reg);
    }

    @Override public void register(GuestService g) { guests.add(g); }

    private StorageManager storage() { return storage; }

    /** {@code /etc/vzdump.conf}, or {@code <data-dir>/etc/vzdump.conf} in embedded mode. */
    Path confPath() {
        return ctx.embedded() ? ctx.dataDir().resolve("etc/vzdump.conf") : Path.of("/etc/vzdump.conf");
    }

    Map<String, String> defaults() {
        Path p = confPath();
        try {
            return Files.isRegularFile(p) ? VzdumpOptions.parseConf(Files.readString(p)) : Map.of();
        } catch (IOException e) {
            throw ApiException.error("unable to read " + p + " - " + e.getMessage());
        }
    }

    @Override
    public void restore(GuestService g, String archive, int vmid, RestoreOptions options, Consumer<String> log) {
        try {
            new Restore(storage(), ZoneId.systemDefault()).restore(g, archive, vmid, options, log);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        ApiMethod.Builder b = vzdumpParams(ApiMethod.post("/nodes/{node}/vzdump").name("vzdump").description("Create backup.")
                .param("node", StandardOptions.node().optional().description("Only run if executed on this node.")))
                .param("stop", Schema.bool().optional().defaultValue(0).description("Stop running backup jobs on this host."))
                .param("quiet", Schema.bool().optional().defaultValue(0).description("Be quiet."))
                .param("job-id", Schema.string().optional().description("The ID of the backup job. If set, the 'backup-job' metadata field of the backup notification will be set to this value. Only root@pam can set this parameter."));
        for (String k : NOT_IMPLEMENTED) b.param(k, Schema.string().optional());
        b.param("stdout", Schema.bool().optional().description("Write tar to stdout, not to a file."));
        m.add(b.returns(Schema.string())
                .permissions(Permission.all("The user needs 'VM.Backup' permissions on any VM, and 'Datastore.AllocateSpace' on the backup storage. "
                        + "The 'tmpdir', 'dumpdir' and 'script' parameters are restricted to the 'root@pam' user."))
                .proxyto("node").protect()
                .handler((p, rc) -> {
                    if (!mayBackUpAny(rc)) throw ApiException.forbidden("/vms, VM.Backup");
                    for (String k : NOT_IMPLEMENTED) if (p.has(k)) throw new ApiException(501, "vzdump option '" + k + "' is not implemented");
                    if (p.bool("stop", false)) throw new ApiException(501, "vzdump option 'stop' is not implemented");
                    Map<String, String> params = strings(p.asMap());
                    VzdumpOptions o = VzdumpOptions.of(params, defaults());
                    if (o.stdout() && (!rc.viaCli() || o.dumpdir() == null || !Files.exists(o.dumpdir().resolve(Vzdump.STDOUT))))
                        throw ParamException.of("stdout", "option is only allowed on the command line interface");
                    if (p.has("job-id") && !rc.userid().equals("root@pam") && !rc.viaCli())
                        throw ApiException.forbidden("Only root may set 'job-id'");
                    if ((o.dumpdir() != null || o.tmpdir() != null || o.script() != null) && !rc.userid().equals("root@pam") && !rc.viaCli())
                        throw ApiException.forbidden("Only root may set 'tmpdir', 'dumpdir' and 'script'");
                    if (o.storage() != null) rc.requirePermission("/storage/" + o.storage(), "Datastore.AllocateSpace");
                    Vzdump v = vzdump();
                    var selected = v.select(o);
                    for (int vmid : selected.keySet()) rc.requirePermission("/vms/" + vmid, "VM.Backup");
                    String id = o.vmids().size() == 1 ? Integer.toString(o.vmids().get(0)) : "";
                    Map<String, String> settings = new LinkedHashMap<>(defaults());
                    settings.putAll(params);
                    return rc.startTask("vzdump", id, log -> notifying(log, settings, params.get("job-id"), (l, results) -> v.run(o, l, results, org.haven.guest.migrate.BandwidthLimit.Rights.of(rc))));
                }).build());
        m.addAll(jobMethods());
        return m;
    }

    /** Runs a vzdump {@code body} and sends its notification as the options say. */
    private void notifying(org.haven.api.task.TaskLog log, Map<String, String> settings, String jobId, VzdumpNotification.Body body) throws Exception {
        VzdumpNotification.run(log, settings, ctx.nodeName(), jobId, Notifier.of(ctx.cfs(), ctx.nodeName(), ZoneId.systemDefault()), ctx.clock(), body);
    }

    /** The caller holds VM.Backup on {@code /vms} or on one of the guests: without that, a vzdump call does nothing for it. */
    private boolean mayBackUpAny(org.haven.api.RequestContext rc) {
        if (rc.hasPermission("/vms", false, "VM.Backup")) return true;
        for (GuestService g : guests) for (int vmid : g.store().list().keySet()) if (rc.hasPermission("/vms/" + vmid, false, "VM.Backup")) return true;
        return false;
    }

    private Vzdump vzdump() { return new Vzdump(guests, storage(), ctx.nodeName(), ctx.clock(), ZoneId.systemDefault()); }

    /** API values as the strings vzdump options and jobs.cfg hold (booleans as 0/1, the paths of {@code exclude-path} separated by spaces). */
    static Map<String, String> strings(Map<String, Object> values) {
        Map<String, String> params = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v instanceof java.util.Collection<?> list) params.put(k, String.join(" ", list.stream().map(org.haven.core.schema.Validator::text).toList()));
            else if (v != null) params.put(k, org.haven.core.schema.Validator.text(v));
        });
        return params;
    }

    /** The vzdump options a run and a backup job share. */
    static ApiMethod.Builder vzdumpParams(ApiMethod.Builder b) {
        return b
                .param("vmid", StandardOptions.vmidList().optional().description("The ID of the guest system you want to backup."))
                .param("all", Schema.bool().optional().defaultValue(0).description("Backup all known guest systems on this host."))
                .param("exclude", StandardOptions.vmidList().optional().description("Exclude specified guest systems (assumes --all)"))
                .param("pool", Schema.string().optional().description("Backup all known guest systems included in the specified pool."))
                .param("script", Schema.string().optional().description("Use specified hook script."))
                .param("mode", Schema.string().optional().enumValues("snapshot", "suspend", "stop").defaultValue("snapshot").description("Backup mode."))
                .param("storage", StandardOptions.storageId().optional().description("Store resulting file to this storage."))
                .param("dumpdir", Schema.string().optional().description("Store resulting files to specified directory."))
                .param("tmpdir", Schema.string().optional().description("Store temporary files to specified directory."))
                .param("compress", Schema.string().optional().enumValues("0", "1", "gzip", "lzo", "zstd").defaultValue("0").description("Compress dump file."))
                .param("zstd", Schema.integer().optional().defaultValue(1).description("Zstd threads. N=0 uses half of the available cores."))
                .param("pigz", Schema.integer().optional().defaultValue(0).description("Use pigz instead of gzip when N>0."))
                .param("remove", Schema.bool().optional().defaultValue(1).description("Prune older backups according to 'prune-backups'."))
                .param("prune-backups", Schema.string().optional().description("Use these retention options instead of those from the storage configuration."))
                .param("protected", Schema.bool().optional().requires("storage").description("If true, mark backup(s) as protected."))
                .param("notes-template", Schema.string().optional().maxLength(1024).requires("storage").description("Template string for the backup notes."))
                .param("stopwait", Schema.integer().optional().minimum(0).defaultValue(10).description("Maximal time to wait until a guest system is stopped (minutes)."))
                .param("lockwait", Schema.integer().optional().minimum(0).defaultValue(180).description("Maximal time to wait for the global lock (minutes)."))
                .param("ionice", Schema.integer().optional().minimum(0).maximum(8).defaultValue(7).description("Set IO priority when using the BFQ scheduler."))
                .param("bwlimit", Schema.integer().optional().minimum(0).defaultValue(0).description("Limit I/O bandwidth (in KiB/s)."))
                .param("stdexcludes", Schema.bool().optional().defaultValue(1).description("Exclude temporary files and logs."))
                .param("exclude-path", Schema.array(Schema.string()).optional().description("Exclude certain files/directories (shell globs). Paths starting with '/' are anchored to the container's root, other paths match relative to each subdirectory."))
                .param("maxfiles", Schema.integer().optional().minimum(1).description("Deprecated: use 'prune-backups' instead."))
                .param("mailto", Schema.string().optional().description("Comma-separated list of email addresses or users that should receive email notifications. Has no effect if the 'notification-target' option  is set at the same time."))
                .param("mailnotification", Schema.string().optional().enumValues("always", "failure").defaultValue("always").description("Deprecated: use notification targets/matchers instead."))
                .param("notification-mode", Schema.string().optional().enumValues("auto", "legacy-sendmail", "notification-system").defaultValue("auto").description("Determine which notification system to use."))
                .param("notification-policy", Schema.string().optional().enumValues("always", "failure", "never").defaultValue("always").description("Deprecated: do not use"));
    }

    // ---- backup jobs -------------------------------------------------------------------------------------

    /** Job keys whose values the API shows as numbers (integers and booleans). */
    static final java.util.Set<String> NUMERIC_KEYS = java.util.Set.of("enabled", "repeat-missed", "all", "zstd", "pigz", "remove", "protected",
            "stopwait", "lockwait", "ionice", "bwlimit", "maxfiles", "stdexcludes");

    /** Keys of a job that are not vzdump options. */
    static final List<String> JOB_KEYS = List.of("schedule", "enabled", "comment", "repeat-missed", "node", "id", "type");

    private BackupJobs jobs() { return new BackupJobs(ctx.cfs()); }

    /** The vzdump parameters of a job. */
    static Map<String, String> runParams(Map<String, String> job) {
        Map<String, String> p = new LinkedHashMap<>(job);
        JOB_KEYS.forEach(p::remove);
        return p;
    }

    /** Checks a job's properties as a create or update would store them; returns them. */
    Map<String, String> checkJob(Map<String, String> job) {
        try {
            CalendarEvent.parse(job.getOrDefault("schedule", ""));
        } catch (CalendarEvent.ParseException e) {
            throw ParamException.of("schedule", "invalid calendar event '" + job.getOrDefault("schedule", "") + "' - " + e.getMessage());
        }
        for (String k : NOT_IMPLEMENTED) if (job.containsKey(k)) throw new ApiException(501, "vzdump option '" + k + "' is not implemented");
        VzdumpOptions.of(runParams(job), Map.of());
        return job;
    }

    private Map<String, Object> jobView(String id, Map<String, String> job) {
        Map<String, Object> out = new java.util.TreeMap<>();
        job.forEach((k, v) -> out.put(k, NUMERIC_KEYS.contains(k) && v.matches("-?\\d{1,15}") ? (Object) Long.parseLong(v) : v));
        out.put("id", id);
        out.put("type", BackupJobs.TYPE);
        out.putIfAbsent("enabled", 1L);
        try {
            CalendarEvent.parse(job.getOrDefault("schedule", "")).next(ctx.clock().epochSeconds(), ZoneId.systemDefault()).ifPresent(t -> {
                if (!"0".equals(job.getOrDefault("enabled", "1"))) out.put("next-run", t);
            });
        } catch (CalendarEvent.ParseException e) {
            // shown without next-run
        }
        return out;
    }

    List<ApiMethod> jobMethods() {
        List<ApiMethod> m = new ArrayList<>();
        Schema jobId = Schema.string().maxLength(50).pattern("[A-Za-z][A-Za-z0-9_\\-]{2,49}").description("The job ID.");
        m.add(ApiMethod.get("/cluster/backup").name("index").description("List vzdump backup schedule.")
                .returns(Schema.array(Schema.object().property("id", Schema.string())))
                .permissions(Permission.perm("/", "Sys.Audit"))
                .handler((p, rc) -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    jobs().list().forEach((id, job) -> out.add(jobView(id, job)));
                    return out;
                }).build());
        ApiMethod.Builder create = vzdumpParams(ApiMethod.post("/cluster/backup").name("create_job").description("Create new vzdump backup job.")
                .param("id", jobId.copy().optional())
                .param("schedule", Schema.string().maxLength(128).format("pve-calendar-event").description("Backup schedule. The format is a subset of `systemd` calendar events."))
                .param("enabled", Schema.bool().optional().defaultValue(1).description("Enable or disable the job."))
                .param("repeat-missed", Schema.bool().optional().defaultValue(0).description("If true, the job will be run as soon as possible if it was missed while the scheduler was not running."))
                .param("comment", Schema.string().optional().maxLength(512).description("Description for the Job."))
                .param("node", StandardOptions.node().optional().description("Only run if executed on this node.")));
        m.add(create.returns(Schema.nullType()).permissions(Permission.perm("/", "Sys.Modify")).protect()
                .handler((p, rc) -> {
                    Map<String, String> job = checkJob(strings(p.asMap()));
                    String id = job.remove("id");
                    String newId = id != null ? id : BackupJobs.newId();
                    jobs().modify(doc -> {
                        if (doc.find(newId).isPresent()) throw ApiException.error("Job '" + newId + "' already exists");
                        SectionConfig.Section sec = new SectionConfig.Section(BackupJobs.TYPE, newId);
                        job.forEach(sec::set);
                        doc.add(sec);
                        return null;
                    });
                    return null;
                }).build());
        m.add(ApiMethod.get("/cluster/backup/{id}").name("read_job").description("Read vzdump backup job definition.")
                .param("id", jobId.copy())
                .returns(Schema.object())
                .permissions(Permission.perm("/", "Sys.Audit"))
                .handler((p, rc) -> {
                    Map<String, String> job = jobs().list().get(p.str("id"));
                    if (job == null) throw ApiException.notFound("Job '" + p.str("id") + "' does not exist");
                    return jobView(p.str("id"), job);
                }).build());
        ApiMethod.Builder update = vzdumpParams(ApiMethod.put("/cluster/backup/{id}").name("update_job").description("Update vzdump backup job definition.")
                .param("id", jobId.copy())
                .param("schedule", Schema.string().optional().maxLength(128).format("pve-calendar-event").description("Backup schedule."))
                .param("enabled", Schema.bool().optional().description("Enable or disable the job."))
                .param("repeat-missed", Schema.bool().optional().description("Run a missed job as soon as possible."))
                .param("comment", Schema.string().optional().maxLength(512).description("Description for the Job."))
                .param("node", StandardOptions.node().optional().description("Only run if executed on this node."))
                .param("delete", Schema.string().optional().format("pve-configid-list").description("A list of settings you want to delete.")));
        m.add(update.returns(Schema.nullType()).permissions(Permission.perm("/", "Sys.Modify")).protect()
                .handler((p, rc) -> {
                    String id = p.str("id");
                    Map<String, String> set = strings(p.asMap());
                    set.remove("id");
                    String delete = set.remove("delete");
                    jobs().modify(doc -> {
                        SectionConfig.Section sec = doc.find(id).filter(x -> x.type().equals(BackupJobs.TYPE))
                                .orElseThrow(() -> ApiException.notFound("Job '" + id + "' does not exist"));
                        Map<String, String> job = new LinkedHashMap<>(sec.properties());
                        if (delete != null) for (String k : delete.split("[,;\\s]+")) job.remove(k);
                        job.putAll(set);
                        checkJob(job);
                        sec.properties().clear();
                        job.forEach(sec::set);
                        return null;
                    });
                    return null;
                }).build());
        m.add(ApiMethod.delete("/cluster/backup/{id}").name("delete_job").description("Delete vzdump backup job definition.")
                .param("id", jobId.copy())
                .returns(Schema.nullType()).permissions(Permission.perm("/", "Sys.Modify")).protect()
                .handler((p, rc) -> {
                    String id = p.str("id");
                    jobs().modify(doc -> {
                        if (doc.find(id).filter(x -> x.type().equals(BackupJobs.TYPE)).isEmpty()) throw ApiException.notFound("Job '" + id + "' does not exist");
                        doc.remove(id);
                        return null;
                    });
                    return null;
                }).build());
        m.add(ApiMethod.get("/cluster/jobs/schedule-analyze").name("schedule-analyze").description("Returns a list of future schedule runtimes.")
                .param("schedule", Schema.string().maxLength(128).format("pve-calendar-event").description("Job schedule. The format is a subset of `systemd` calendar events."))
                .param("starttime", Schema.integer().optional().description("UNIX timestamp to start the calculation from. Defaults to the current time."))
                .param("iterations", Schema.integer().optional().minimum(1).maximum(100).defaultValue(10).description("Number of event-iteration to simulate and return."))
                .returns(Schema.array(Schema.object().property("timestamp", Schema.integer()).property("utc", Schema.string())))
                .permissions(Permission.all())
                .handler((p, rc) -> {
                    CalendarEvent ev;
                    try {
                        ev = CalendarEvent.parse(p.str("schedule"));
                    } catch (CalendarEvent.ParseException e) {
                        throw ParamException.of("schedule", "invalid calendar event '" + p.str("schedule") + "' - " + e.getMessage());
                    }
                    List<Map<String, Object>> out = new ArrayList<>();
                    long t = p.lng("starttime", ctx.clock().epochSeconds());
                    for (int i = 0; i < p.integer("iterations", 10); i++) {
                        var next = ev.next(t, ZoneId.systemDefault());
                        if (next.isEmpty()) break;
                        t = next.getAsLong();
                        out.add(Map.of("timestamp", t, "utc", java.time.LocalDateTime.ofEpochSecond(t, 0, java.time.ZoneOffset.UTC).format(Vzdump.LOG_TIME)));
                    }
                    return out;
                }).build());
        return m;
    }

    /** The node's scheduler runs the due backup jobs as {@code vzdump} tasks of root@pam. */
    @Override
    public void start(NodeContext ctx) {
        scheduler = new BackupScheduler(jobs(), ctx.dataDir().resolve("backup/jobs-state"), ctx.nodeName(), ctx.clock(), ZoneId.systemDefault(),
                (id, job) -> ctx.tasks().start("vzdump", "", "root@pam", log -> {
                    log.log("INFO: starting backup job '" + id + "'");
                    Map<String, String> settings = new LinkedHashMap<>(defaults());
                    settings.putAll(runParams(job));
                    notifying(log, settings, id, (l, results) -> vzdump().run(VzdumpOptions.of(runParams(job), defaults()), l, results));
                }));
        scheduler.start();
    }

    @Override
    public void stop() {
        if (scheduler != null) scheduler.close();
    }
}
