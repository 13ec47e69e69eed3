package org.haven.replication;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The node-local replication state file (PVE's {@code /var/lib/pve-manager/pve-replication-state.json}):
 * {@code {"<vmid>":{"<jobid>":{"last_sync":…,"last_try":…,"fail_count":…,"error":…,"duration":…,…}}}}.
 * Pure: parse and write; what a run changes ({@link Job#succeeded}, {@link Job#failed}).
 */
public final class ReplicationState {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * The state of one job. {@code lastSync}: start of the last successful run (its snapshot's time);
     * {@code lastTry}: start of the last run; {@code duration}: seconds the last run took; {@code storeids}:
     * the storages the last successful run replicated.
     */
    public record Job(long lastSync, long lastTry, int failCount, String error, Double duration, String lastNode,
                      long lastIteration, List<String> storeids) {
        public static final Job NEW = new Job(0, 0, 0, null, null, null, 0, List.of());

        public Job succeeded(long start, double seconds, String node, List<String> stores) {
            return new Job(start, start, 0, null, round(seconds), node, start, List.copyOf(stores));
        }

        public Job failed(long start, double seconds, String node, String message) {
            return new Job(lastSync, start, failCount + 1, message, round(seconds), node, start, storeids);
        }

        /** PVE's {@code schedule_job_now}: the next round runs the job (a failed job without back-off). */
        public Job scheduledNow() {
            return new Job(lastSync, 0, 0, error, duration, lastNode, lastIteration, storeids);
        }

        private static double round(double s) { return Math.round(s * 1e6) / 1e6; }
    }

    private final Map<Integer, Map<String, Job>> guests;

    private ReplicationState(Map<Integer, Map<String, Job>> guests) { this.guests = guests; }

    public static ReplicationState empty() { return new ReplicationState(new TreeMap<>()); }

    /** Parses the file's text; an empty or unreadable file is an empty state, as PVE reads it. */
    public static ReplicationState parse(String text) {
        Map<Integer, Map<String, Job>> out = new TreeMap<>();
        if (text == null || text.isBlank()) return new ReplicationState(out);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (RuntimeException e) {
            return new ReplicationState(out);
        }
        for (var g : root.properties()) {
            int vmid;
            try {
                vmid = Integer.parseInt(g.getKey());
            } catch (NumberFormatException e) {
                continue;
            }
            Map<String, Job> jobs = new TreeMap<>();
            for (var j : g.getValue().properties()) {
                JsonNode n = j.getValue();
                List<String> stores = new ArrayList<>();
                n.path("storeid_list").forEach(s -> stores.add(s.asString()));
                jobs.put(j.getKey(), new Job(n.path("last_sync").asLong(0), n.path("last_try").asLong(0), n.path("fail_count").asInt(0),
                        n.hasNonNull("error") ? n.get("error").asString() : null,
                        n.hasNonNull("duration") ? n.get("duration").asDouble() : null,
                        n.hasNonNull("last_node") ? n.get("last_node").asString() : null,
                        n.path("last_iteration").asLong(0), List.copyOf(stores)));
            }
            out.put(vmid, jobs);
        }
        return new ReplicationState(out);
    }

    /** The file's text: guests and jobs in order, keys sorted. */
    public String write() {
        ObjectNode root = JSON.createObjectNode();
        guests.forEach((vmid, jobs) -> {
            if (jobs.isEmpty()) return;
            ObjectNode g = root.putObject(Integer.toString(vmid));
            jobs.forEach((id, j) -> g.set(id, toJson(j)));
        });
        return JSON.writeValueAsString(root);
    }

    /** A job's state as the API shows it (only the fields that are set). */
    public static ObjectNode toJson(Job j) {
        ObjectNode n = JSON.createObjectNode();
        if (j.duration() != null) n.put("duration", j.duration());
        if (j.error() != null) n.put("error", j.error());
        n.put("fail_count", j.failCount());
        if (j.lastIteration() > 0) n.put("last_iteration", j.lastIteration());
        if (j.lastNode() != null) n.put("last_node", j.lastNode());
        n.put("last_sync", j.lastSync());
        n.put("last_try", j.lastTry());
        if (!j.storeids().isEmpty()) j.storeids().forEach(n.putArray("storeid_list")::add);
        return n;
    }

    public Job get(int vmid, String jobid) {
        return guests.getOrDefault(vmid, Map.of()).getOrDefault(jobid, Job.NEW);
    }

    public Map<String, Job> guest(int vmid) { return new LinkedHashMap<>(guests.getOrDefault(vmid, Map.of())); }

    public void put(int vmid, String jobid, Job j) { guests.computeIfAbsent(vmid, k -> new TreeMap<>()).put(jobid, j); }

    /** Replaces the states of a guest's jobs ({@code pvesr set-state}, a migration carrying them to the new node). */
    public void putGuest(int vmid, Map<String, Job> jobs) {
        if (jobs.isEmpty()) guests.remove(vmid); else guests.put(vmid, new TreeMap<>(jobs));
    }

    public void remove(int vmid, String jobid) {
        Map<String, Job> m = guests.get(vmid);
        if (m != null) {
            m.remove(jobid);
            if (m.isEmpty()) guests.remove(vmid);
        }
    }

    /** The job states of a guest as {@code pvesr set-state} takes them: {@code {"<jobid>":{…}}}. */
    public static String writeGuest(Map<String, Job> jobs) {
        ObjectNode g = JSON.createObjectNode();
        new TreeMap<>(jobs).forEach((id, j) -> g.set(id, toJson(j)));
        return JSON.writeValueAsString(g);
    }

    /** The job states of a guest as {@code pvesr set-state} takes them: {@code {"<jobid>":{…}}}. */
    public static Map<String, Job> parseGuest(String json) {
        return parse("{\"0\":" + json + "}").guest(0);
    }
}
