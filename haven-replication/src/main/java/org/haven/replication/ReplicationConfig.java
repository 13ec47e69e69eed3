package org.haven.replication;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.format.SectionConfig;

/**
 * PVE's {@code replication.cfg}: one {@code local: <vmid>-<n>} section per job with {@code target}, {@code schedule}
 * (a calendar event, {@code *}{@code /15} when absent), {@code rate} (MB/s), {@code comment}, {@code disable},
 * {@code remove_job} ({@code local}|{@code full}) and {@code source}. Pure: parses and writes text (comments, unknown
 * keys and order survive), checks the rules of PVE's config (job id format, one job per guest and target).
 */
public final class ReplicationConfig {
    public static final String PATH = "replication.cfg";
    public static final String DEFAULT_SCHEDULE = "*/15";
    public static final Pattern ID = Pattern.compile("([1-9][0-9]{2,8})-(\\d{1,9})");
    /** The properties a job may have, in PVE's order. */
    public static final List<String> KEYS = List.of("target", "schedule", "rate", "comment", "disable", "remove_job", "source");

    /** One job: its id ({@code <guest>-<jobnum>}), type ({@code local}) and properties as written. */
    public record Job(String id, String type, int guest, int jobnum, Map<String, String> props) {
        public String target() { return props.get("target"); }
        public String schedule() { return props.getOrDefault("schedule", DEFAULT_SCHEDULE); }
        public boolean disabled() { return "1".equals(props.get("disable")); }
        public Optional<Double> rate() { return Optional.ofNullable(props.get("rate")).map(Double::parseDouble); }
        public String source() { return props.get("source"); }
        public String removeJob() { return props.get("remove_job"); }
        /** PVE's unique target id of a {@code local} job: {@code local/<target>}. */
        public String targetId() { return type + "/" + target(); }
    }

    /** A broken rule, with PVE's message. */
    public static final class ConfigException extends IllegalArgumentException {
        public ConfigException(String message) { super(message); }
    }

    private final SectionConfig.Document doc;

    private ReplicationConfig(SectionConfig.Document doc) { this.doc = doc; }

    public static ReplicationConfig parse(String text) { return new ReplicationConfig(SectionConfig.parse(text)); }

    public String write() { return SectionConfig.write(doc); }

    /** The guest and job number of a job id; throws for ids that are not {@code <vmid>-<n>}. */
    public static int[] parseId(String id) {
        Matcher m = ID.matcher(id);
        if (!m.matches()) throw new ConfigException("invalid replication job id '" + id + "'");
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    private static Optional<Job> job(SectionConfig.Section s) {
        Matcher m = ID.matcher(s.id());
        if (!m.matches()) return Optional.empty();
        return Optional.of(new Job(s.id(), s.type(), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                new LinkedHashMap<>(s.properties())));
    }

    /** The jobs, ordered by guest, then id (PVE's listing order); sections with malformed ids are skipped. */
    public List<Job> jobs() {
        List<Job> out = new ArrayList<>();
        for (SectionConfig.Section s : doc.sections()) job(s).ifPresent(out::add);
        out.sort(Comparator.comparingInt(Job::guest).thenComparing(Job::id));
        return out;
    }

    public Optional<Job> find(String id) {
        return doc.find(id).flatMap(ReplicationConfig::job);
    }

    public Job require(String id) {
        return find(id).orElseThrow(() -> new ConfigException("replication job '" + id + "' does not exist"));
    }

    public List<Job> jobsOf(int guest) {
        return jobs().stream().filter(j -> j.guest() == guest).toList();
    }

    /** Adds job {@code id} of {@code type} with {@code props} (keys in PVE's order); refuses an id in use or a second job to the same target. */
    public Job create(String id, String type, Map<String, String> props) {
        int[] g = parseId(id);
        if (doc.find(id).isPresent()) throw new ConfigException("replication job '" + id + "' already exists");
        String target = props.get("target");
        if (target == null) throw new ConfigException("missing value for required option 'target'");
        for (Job j : jobsOf(g[0])) {
            if (j.type().equals(type) && target.equals(j.target()))
                throw new ConfigException("replication job for guest '" + g[0] + "' to target '" + type + "/" + target + "' already exists");
        }
        SectionConfig.Section s = new SectionConfig.Section(type, id);
        for (String k : KEYS) if (props.get(k) != null) s.set(k, props.get(k));
        props.forEach((k, v) -> { if (!KEYS.contains(k) && v != null) s.set(k, v); });
        doc.add(s);
        return job(s).orElseThrow();
    }

    /** Sets and deletes properties of job {@code id} (the target cannot change, as in PVE). */
    public Job update(String id, Map<String, String> set, List<String> delete) {
        SectionConfig.Section s = doc.find(id).orElseThrow(() -> new ConfigException("replication job '" + id + "' does not exist"));
        for (String k : delete) {
            if (k.equals("target")) throw new ConfigException("cannot delete required option 'target'");
            if (set.containsKey(k)) throw new ConfigException("cannot set and delete property '" + k + "' at the same time");
            s.remove(k);
        }
        set.forEach((k, v) -> {
            if (k.equals("target") && !v.equals(s.properties().get("target")))
                throw new ConfigException("option 'target' cannot be changed");
            s.set(k, v);
        });
        return job(s).orElseThrow();
    }

    public boolean delete(String id) { return doc.remove(id); }

    /**
     * Switches the direction of the jobs of {@code guest} after it moved from {@code oldSource} to {@code newSource}
     * (PVE's {@code switch_replication_job_target}): the job to the new source now goes to the old one; every job's
     * source becomes the new node. Returns the ids of the jobs that changed.
     */
    public List<String> switchTarget(int guest, String oldSource, String newSource) {
        List<String> changed = new ArrayList<>();
        for (Job j : jobsOf(guest)) {
            SectionConfig.Section s = doc.find(j.id()).orElseThrow();
            boolean c = false;
            if (newSource.equals(j.target())) { s.set("target", oldSource); c = true; }
            if (!newSource.equals(j.source())) { s.set("source", newSource); c = true; }
            if (c) changed.add(j.id());
        }
        return changed;
    }
}
