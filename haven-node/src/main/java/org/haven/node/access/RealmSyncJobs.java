package org.haven.node.access;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;

import org.haven.api.ApiException;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.SpecMethods;
import org.haven.api.task.MinuteTicker;
import org.haven.backup.jobs.BackupJobs;
import org.haven.backup.jobs.JobPlan;
import org.haven.core.calendar.CalendarEvent;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * PVE's scheduled realm syncs: {@code realm-sync: <id>} sections of {@code jobs.cfg} (realm, schedule, scope,
 * remove-vanished, enable-new, enabled, comment), the {@code /cluster/jobs/realm-sync} API, and the run on the
 * schedule. The last run of a job is cluster-wide ({@code priv/jobs/realm-sync-<id>.json}, as PVE keeps it) and
 * is moved under a cluster lock before the sync starts, so each scheduled event runs on one node only.
 */
public final class RealmSyncJobs implements AutoCloseable {
    public static final String TYPE = "realm-sync";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SpecMethods SPEC = SpecMethods.load(RealmSyncJobs.class, "realm-sync-jobs.json", descriptions());
    private static final List<String> OPTIONS = List.of("realm", "schedule", "scope", "remove-vanished", "enable-new", "enabled", "comment");

    private final NodeContext ctx;
    private final BackupJobs jobsFile;
    private final Function<String, String> realmType;
    private final BiFunction<String, Map<String, ?>, List<String>> sync;
    private final ZoneId zone;
    private volatile MinuteTicker ticker;

    /**
     * @param realmType the type of a realm ({@code ldap}, {@code ad}, …), null when there is none
     * @param sync      the sync of a realm with options, returning its log lines
     */
    public RealmSyncJobs(NodeContext ctx, Function<String, String> realmType, BiFunction<String, Map<String, ?>, List<String>> sync, ZoneId zone) {
        this.ctx = ctx;
        this.jobsFile = new BackupJobs(ctx.cfs());
        this.realmType = realmType;
        this.sync = sync;
        this.zone = zone;
    }

    private static Map<String, String> descriptions() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("id", "The ID of the job.");
        d.put("realm", "The realm to sync.");
        d.put("schedule", "When to sync, as a calendar event (a subset of systemd's).");
        d.put("scope", "Sync users, groups or both.");
        d.put("remove-vanished", "What to remove of users and groups no longer in the directory (semicolon-separated: acl, properties, entry; or none).");
        d.put("enable-new", "Whether users created by the sync are enabled.");
        d.put("enabled", "Whether the job runs.");
        d.put("comment", "A comment for the job.");
        d.put("delete", "Settings to remove.");
        return d;
    }

    static String statePath(String id) { return "priv/jobs/" + TYPE + "-" + id + ".json"; }

    /** Job id → properties of the realm-sync sections, in id order. */
    public Map<String, Map<String, String>> list() {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (var s : SectionConfig.parse(ctx.cfs().readString(BackupJobs.PATH).orElse("")).sections())
            if (s.type().equals(TYPE)) out.put(s.id(), new LinkedHashMap<>(s.properties()));
        return out;
    }

    /** The last run (or creation) of a job, from its state file. */
    Long lastRun(String id) {
        return ctx.cfs().readString(statePath(id)).map(t -> {
            JsonNode n = JSON.readTree(t);
            return n.has("time") ? n.get("time").asLong() : null;
        }).orElse(null);
    }

    private void writeState(String id, String state, long time, String upid) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state);
        m.put("time", time);
        if (upid != null) m.put("upid", upid);
        ctx.cfs().mkdirs("priv/jobs");
        ctx.cfs().writeString(statePath(id), JSON.writeValueAsString(m));
    }

    // ---- API ------------------------------------------------------------------------------------------------------

    public void register(ApiRegistry reg) {
        SPEC.add(reg, "GET", "/cluster/jobs", "Index for jobs related endpoints.", (p, rc) ->
                List.of(Map.of("subdir", "realm-sync"), Map.of("subdir", "schedule-analyze")));
        SPEC.add(reg, "GET", "/cluster/jobs/realm-sync", "List configured realm-sync-jobs.", (p, rc) -> {
            List<Map<String, Object>> out = new ArrayList<>();
            list().forEach((id, job) -> out.add(entry(id, job)));
            return out;
        });
        SPEC.add(reg, "GET", "/cluster/jobs/realm-sync/{id}", "Read realm-sync job definition.", (p, rc) -> {
            Map<String, String> job = list().get(p.str("id"));
            if (job == null) throw ApiException.notFound("Job '" + p.str("id") + "' does not exist");
            return entry(p.str("id"), job);
        });
        SPEC.add(reg, "POST", "/cluster/jobs/realm-sync/{id}", "Create new realm-sync job.", (p, rc) -> {
            String id = p.str("id");
            String realm = p.str("realm");
            checkRealm(realm);
            checkSchedule(p.str("schedule"));
            jobsFile.modify(doc -> {
                if (doc.find(id).isPresent()) throw ApiException.error("Job '" + id + "' already exists");
                SectionConfig.Section s = new SectionConfig.Section(TYPE, id);
                for (String k : OPTIONS) if (p.has(k)) s.set(k, value(p.asMap().get(k)));
                doc.add(s);
                writeState(id, "created", ctx.clock().epochSeconds(), null);
                return null;
            });
            return null;
        });
        SPEC.add(reg, "PUT", "/cluster/jobs/realm-sync/{id}", "Update realm-sync job definition.", (p, rc) -> {
            String id = p.str("id");
            if (p.has("schedule")) checkSchedule(p.str("schedule"));
            List<String> delete = Formats.splitList(p.str("delete", null));
            for (String d : delete) if (d.equals("realm") || d.equals("schedule")) throw ParamException.of("delete", "cannot delete required option '" + d + "'");
            jobsFile.modify(doc -> {
                SectionConfig.Section s = doc.find(id).filter(x -> x.type().equals(TYPE))
                        .orElseThrow(() -> ApiException.notFound("Job '" + id + "' does not exist"));
                for (String d : delete) s.remove(d);
                for (String k : OPTIONS) if (p.has(k) && !k.equals("realm")) s.set(k, value(p.asMap().get(k)));
                return null;
            });
            return null;
        });
        SPEC.add(reg, "DELETE", "/cluster/jobs/realm-sync/{id}", "Delete realm-sync job definition.", (p, rc) -> {
            String id = p.str("id");
            jobsFile.modify(doc -> {
                if (doc.find(id).filter(x -> x.type().equals(TYPE)).isEmpty()) throw ApiException.notFound("Job '" + id + "' does not exist");
                doc.remove(id);
                return null;
            });
            ctx.cfs().delete(statePath(id));
            return null;
        });
    }

    private static String value(Object v) {
        return v instanceof Boolean b ? (b ? "1" : "0") : String.valueOf(v);
    }

    private void checkRealm(String realm) {
        String type = realmType.apply(realm);
        if (type == null) throw ApiException.error("invalid realm");
        if (!type.equals("ldap") && !type.equals("ad")) throw ApiException.error("realm type '" + type + "' not supported for syncing");
    }

    private static CalendarEvent checkSchedule(String schedule) {
        try {
            return CalendarEvent.parse(schedule);
        } catch (CalendarEvent.ParseException e) {
            throw ParamException.of("schedule", "invalid calendar event '" + schedule + "' - " + e.getMessage());
        }
    }

    private Map<String, Object> entry(String id, Map<String, String> job) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        for (var e : job.entrySet()) {
            if (e.getKey().equals("enabled") || e.getKey().equals("enable-new")) m.put(e.getKey(), "1".equals(e.getValue()) ? 1 : 0);
            else m.put(e.getKey(), e.getValue());
        }
        m.putIfAbsent("enabled", 1);
        Long last = lastRun(id);
        if (last != null) m.put("last-run", last);
        try {
            OptionalLong next = CalendarEvent.parse(job.getOrDefault("schedule", "")).next(last != null ? last : ctx.clock().epochSeconds(), zone);
            if (next.isPresent() && !"0".equals(job.get("enabled"))) m.put("next-run", next.getAsLong());
        } catch (CalendarEvent.ParseException e) {
            // no next run
        }
        return m;
    }

    // ---- the schedule ----------------------------------------------------------------------------------------------

    /**
     * One scheduler round at the clock's minute: under the cluster lock of the realm-sync state, plan with
     * {@link JobPlan}, store the new last runs, then start each due sync as an {@code auth-realm-sync} task of
     * root@pam. Returns the UPIDs of the started tasks.
     */
    public List<String> tick() {
        long now = ctx.clock().epochSeconds() / 60 * 60;
        Map<String, Map<String, String>> jobs = list();
        if (jobs.isEmpty()) return List.of();
        ClusterFs cfs = ctx.cfs();
        List<String> due = cfs.withLock("realm-sync-jobs", Duration.ofSeconds(10), () -> {
            Map<String, Long> state = new TreeMap<>();
            for (String id : jobs.keySet()) {
                Long t = lastRun(id);
                if (t != null) state.put(id, t);
            }
            List<String> run = new ArrayList<>();
            for (JobPlan.Step s : JobPlan.plan(jobs, state, ctx.nodeName(), now, zone)) {
                writeState(s.id(), s.run() ? "started" : "created", s.lastRun(), null);
                if (s.run()) run.add(s.id());
            }
            return run;
        });
        List<String> upids = new ArrayList<>();
        for (String id : due) {
            Map<String, String> job = jobs.get(id);
            Map<String, Object> opts = new LinkedHashMap<>();
            for (String k : List.of("scope", "remove-vanished", "enable-new")) if (job.containsKey(k)) opts.put(k, job.get(k));
            String realm = job.get("realm");
            upids.add(ctx.tasks().start("auth-realm-sync", realm, "root@pam", log -> {
                for (String line : sync.apply(realm, opts)) log.log(line);
            }));
        }
        return upids;
    }

    public void start() {
        ticker = MinuteTicker.start("realm-sync-scheduler", ctx.clock(), this::tick);
    }

    @Override public void close() {
        MinuteTicker t = ticker;
        if (t != null) t.close();
    }
}
