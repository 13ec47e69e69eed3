package org.haven.replication.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import org.haven.replication.PeerFinalize;
import org.haven.replication.PeerPrepare;
import org.haven.replication.PeerSetState;
import tools.jackson.databind.JsonNode;

/**
 * {@code pvesr}: storage replication jobs, as PVE's tool: {@code list}, {@code read}, {@code status},
 * {@code create-local-job}, {@code update}, {@code delete}, {@code enable}, {@code disable}, {@code schedule-now},
 * {@code run}, and the internal commands one node runs on another ({@code set-state}, {@code prepare-local-job},
 * {@code finalize-local-job}), carried out by the daemon's node-to-node handlers.
 */
public final class PvesrTool implements CliTool {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd_HH:mm:ss");

    @Override public String name() { return "pvesr"; }

    @Override public String description() { return "Proxmox VE Storage Replication"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(
                CliCommand.api("status", HttpMethod.GET, "/nodes/{node}/replication").fixed("node", CliCommand.LOCAL_NODE)
                        .printer((d, out) -> printStatus(d, out, ZoneId.systemDefault(), System.currentTimeMillis() / 1000)),
                CliCommand.api("schedule-now", HttpMethod.POST, "/nodes/{node}/replication/{id}/schedule_now").positional("id")
                        .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.NONE),
                CliCommand.api("list", HttpMethod.GET, "/cluster/replication").printer(PvesrTool::printList),
                CliCommand.api("read", HttpMethod.GET, "/cluster/replication/{id}").positional("id"),
                CliCommand.api("update", HttpMethod.PUT, "/cluster/replication/{id}").positional("id").output(CliCommand.Output.NONE),
                CliCommand.api("delete", HttpMethod.DELETE, "/cluster/replication/{id}").positional("id").output(CliCommand.Output.NONE),
                CliCommand.api("create-local-job", HttpMethod.POST, "/cluster/replication").positional("id", "target")
                        .fixed("type", "local").output(CliCommand.Output.NONE),
                CliCommand.local("enable", inv -> setDisable(inv, false)).description("Enable a replication job."),
                CliCommand.local("disable", inv -> setDisable(inv, true)).description("Disable a replication job."),
                CliCommand.local("run", PvesrTool::run).description("Run the replication jobs of this node that are due, or the one given with --id, and wait for them."),
                CliCommand.local("set-state", PvesrTool::setState)
                        .description("Set the job replication state on migration. This call is for internal use. It will accept the job state as ja JSON obj."),
                CliCommand.local("prepare-local-job", PvesrTool::prepareLocalJob)
                        .description("Prepare for starting a replication job. This is called on the target node before replication starts. "
                                + "This call is for internal use, and return a JSON object on stdout."),
                CliCommand.local("finalize-local-job", PvesrTool::finalizeLocalJob)
                        .description("Finalize a replication job. This removes all replications snapshots with timestamps different than <last_sync>."));
    }

    /** Positional arguments and {@code --name value} / {@code --name=value} options of an internal command. */
    record Args(List<String> positional, Map<String, String> options) {
        static Args parse(List<String> args, Set<String> known) {
            List<String> pos = new ArrayList<>();
            Map<String, String> opts = new java.util.TreeMap<>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (!a.startsWith("--")) {
                    pos.add(a);
                    continue;
                }
                String name = a.substring(2), value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new IllegalArgumentException(name + ": missing value");
                }
                if (!known.contains(name)) throw new IllegalArgumentException(name + ": property is not defined in schema and the schema does not allow additional properties");
                opts.put(name, value);
            }
            return new Args(pos, opts);
        }
    }

    /** Runs an internal command: bad arguments as PVE's {@code 400 Parameter verification failed.}, errors on stderr. */
    private static int internal(CliInvocation inv, Set<String> options, int required, java.util.function.Function<Args, String> body) {
        Args a;
        try {
            a = Args.parse(inv.args(), options);
        } catch (IllegalArgumentException e) {
            inv.err().println("400 Parameter verification failed.");
            inv.err().println(e.getMessage());
            return 255;
        }
        if (a.positional().size() < required) {
            inv.err().println("400 not enough arguments");
            return 255;
        }
        try {
            String out = body.apply(a);
            if (out != null) inv.out().println(out);
            return 0;
        } catch (ApiClient.ApiCallException e) {
            inv.err().println(e.getMessage());
            return 255;
        }
    }

    /** {@code pvesr set-state <vmid> <state>}: the guest's job states (JSON) replace those in this node's state file. */
    static int setState(CliInvocation inv) {
        return internal(inv, Set.of(), 2, a -> {
            String vmid = a.positional().get(0);
            if (!vmid.matches("[1-9][0-9]{2,8}")) throw new ApiClient.ApiCallException(400, "vmid: invalid format - value does not look like a valid VM ID", null);
            JsonNode state;
            try {
                state = tools.jackson.databind.json.JsonMapper.builder().build().readTree(a.positional().get(1));
            } catch (RuntimeException e) {
                state = null;
            }
            if (state == null || !state.isObject()) throw new ApiClient.ApiCallException(400, "state: malformed JSON object", null);
            inv.client().peer(PeerSetState.PATH, Map.of("vmid", vmid), a.positional().get(1).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return null;
        });
    }

    /** The query of a job command: the job id, the volumes (extra arguments) and the options. */
    private static Map<String, Object> jobQuery(Args a) {
        Map<String, Object> q = new java.util.LinkedHashMap<>(a.options());
        q.put("id", a.positional().get(0));
        q.put("volumes", String.join(",", a.positional().subList(1, a.positional().size())));
        return q;
    }

    /**
     * {@code pvesr prepare-local-job <id> [<volid>…] [--force 0|1] [--last_sync N] [--parent_snapname S] [--scan storages]}:
     * stale volumes and replication snapshots of the job removed on this node; prints the snapshots kept per volume.
     */
    static int prepareLocalJob(CliInvocation inv) {
        return internal(inv, Set.of("force", "last_sync", "parent_snapname", "scan"), 1, a -> {
            Map<String, Object> q = jobQuery(a);
            if (q.containsKey("force")) q.put("force", List.of("1", "true", "yes", "on").contains(String.valueOf(q.get("force")).toLowerCase()) ? "1" : "0");
            return inv.client().peer(PeerPrepare.PATH, q, new byte[0]);
        });
    }

    /** {@code pvesr finalize-local-job <id> [<volid>…] [--last_sync N]}: the job's other replication snapshots removed on this node. */
    static int finalizeLocalJob(CliInvocation inv) {
        return internal(inv, Set.of("last_sync"), 1, a -> {
            Map<String, Object> q = jobQuery(a);
            q.putIfAbsent("last_sync", "0");
            inv.client().peer(PeerFinalize.PATH, q, new byte[0]);
            return null;
        });
    }

    private static int setDisable(CliInvocation inv, boolean disable) {
        if (inv.args().isEmpty()) {
            inv.err().println("400 not enough arguments");
            return 255;
        }
        String id = inv.args().get(0);
        inv.client().call(HttpMethod.PUT, "/cluster/replication/" + id, disable ? Map.of("disable", 1) : Map.of("delete", "disable"));
        return 0;
    }

    /** {@code pvesr run [--id <jobid>]}: the jobs start on the daemon's scheduler at once; waits until each has run. */
    private static int run(CliInvocation inv) throws InterruptedException {
        String only = null;
        List<String> a = inv.args();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals("--id") && i + 1 < a.size()) only = a.get(++i);
            else if (a.get(i).startsWith("--id=")) only = a.get(i).substring(5);
        }
        ApiClient c = inv.client();
        String base = "/nodes/" + inv.localNode() + "/replication";
        long now = System.currentTimeMillis() / 1000;
        List<String> ids = new ArrayList<>();
        Map<String, Long> tried = new java.util.HashMap<>();
        for (JsonNode j : c.call(HttpMethod.GET, base, Map.of())) {
            String id = j.path("id").asString();
            long next = j.path("next_sync").asLong(0);
            if (only != null ? id.equals(only) : next > 0 && next <= now) {
                ids.add(id);
                tried.put(id, j.path("last_try").asLong(0));
            }
        }
        if (only != null && ids.isEmpty()) {
            inv.err().println("no replication job '" + only + "' on node '" + inv.localNode() + "'");
            return 255;
        }
        int rc = 0;
        for (String id : ids) {
            c.call(HttpMethod.POST, base + "/" + id + "/schedule_now", Map.of());
            JsonNode st;
            do {
                Thread.sleep(200);
                st = c.call(HttpMethod.GET, base + "/" + id + "/status", Map.of());
            } while (st.has("pid") || st.path("last_try").asLong(0) == tried.get(id) || st.path("last_try").asLong(0) == 0);
            if (st.has("error")) {
                inv.err().println(id + ": " + st.path("error").asString());
                rc = 255;
            }
        }
        return rc;
    }

    static void printList(JsonNode data, PrintStream out) {
        String fmt = "%-10s %-20s %-20s %-5s %-5s%n";
        out.printf(fmt, "JobID", "Target", "Schedule", "Rate", "Enabled");
        for (JsonNode j : sorted(data)) {
            out.printf(fmt, j.path("id").asString(), j.path("type").asString() + "/" + j.path("target").asString(),
                    j.path("schedule").asString("*/15"), j.has("rate") ? num(j.get("rate")) : "-", j.path("disable").asInt(0) != 0 ? "no" : "yes");
        }
    }

    static void printStatus(JsonNode data, PrintStream out, ZoneId zone, long now) {
        String fmt = "%-10s %-10s %-20s %-20s %-20s %-10s %-10s %s%n";
        out.printf(fmt, "JobID", "Enabled", "Target", "LastSync", "NextSync", "Duration", "FailCount", "State");
        for (JsonNode j : sorted(data)) {
            long last = j.path("last_sync").asLong(0), next = j.path("next_sync").asLong(0);
            String nextStr = next == 0 ? "-" : next > now ? time(next, zone) : "pending";
            String state = j.has("pid") ? "SYNCING" : j.has("error") ? j.get("error").asString() : "OK";
            out.printf(fmt, j.path("id").asString(), j.path("disable").asInt(0) != 0 ? "No" : "Yes",
                    j.path("type").asString() + "/" + j.path("target").asString(), last == 0 ? "-" : time(last, zone), nextStr,
                    j.has("duration") ? num(j.get("duration")) : "-", j.path("fail_count").asInt(0), state);
        }
    }

    private static List<JsonNode> sorted(JsonNode data) {
        List<JsonNode> l = new ArrayList<>();
        data.forEach(l::add);
        l.sort(java.util.Comparator.comparingInt((JsonNode j) -> j.path("guest").asInt()).thenComparing(j -> j.path("id").asString()));
        return l;
    }

    private static String time(long epoch, ZoneId zone) { return TIME.format(Instant.ofEpochSecond(epoch).atZone(zone)); }

    /** A number as Perl prints it: integers without a decimal point. */
    static String num(JsonNode n) {
        double d = n.asDouble();
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
