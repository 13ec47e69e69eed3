package org.haven.replication.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import tools.jackson.databind.JsonNode;

/**
 * {@code pvesr}: storage replication jobs, as PVE's tool: {@code list}, {@code read}, {@code status},
 * {@code create-local-job}, {@code update}, {@code delete}, {@code enable}, {@code disable}, {@code schedule-now},
 * {@code run}.
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
                CliCommand.local("run", PvesrTool::run).description("Run the replication jobs of this node that are due, or the one given with --id, and wait for them."));
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
