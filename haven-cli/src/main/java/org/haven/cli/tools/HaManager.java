package org.haven.cli.tools;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import tools.jackson.databind.JsonNode;

/** {@code ha-manager}: HA resources, groups and status through {@code /cluster/ha}. */
public final class HaManager implements CliTool {
    @Override public String name() { return "ha-manager"; }

    @Override public String description() { return "Proxmox VE HA Manager command line interface"; }

    @Override
    public List<CliCommand> commands() {
        List<CliCommand> c = new ArrayList<>();
        c.add(CliCommand.local("status", HaManager::status).description("Display HA manger status."));
        c.add(CliCommand.api("config", HttpMethod.GET, "/cluster/ha/resources").printer(HaManager::printConfig));
        c.add(CliCommand.api("add", HttpMethod.POST, "/cluster/ha/resources").positional("sid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("remove", HttpMethod.DELETE, "/cluster/ha/resources/{sid}").positional("sid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("set", HttpMethod.PUT, "/cluster/ha/resources/{sid}").positional("sid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("migrate", HttpMethod.POST, "/cluster/ha/resources/{sid}/migrate").positional("sid", "node")
            .output(CliCommand.Output.NONE));
        c.add(CliCommand.api("relocate", HttpMethod.POST, "/cluster/ha/resources/{sid}/relocate").positional("sid", "node")
            .output(CliCommand.Output.NONE));
        c.add(CliCommand.api("crm-command migrate", HttpMethod.POST, "/cluster/ha/resources/{sid}/migrate").positional("sid", "node")
            .output(CliCommand.Output.NONE));
        c.add(CliCommand.api("crm-command relocate", HttpMethod.POST, "/cluster/ha/resources/{sid}/relocate").positional("sid", "node")
            .output(CliCommand.Output.NONE));
        for (String action : List.of("enable", "disable"))
            c.add(CliCommand.api("crm-command node-maintenance " + action, HttpMethod.POST, "/cluster/ha/crm-command/node-maintenance")
                .positional("node").fixed("action", action).output(CliCommand.Output.NONE));
        c.add(CliCommand.api("crm-command stop", HttpMethod.POST, "/cluster/ha/crm-command/stop").positional("sid", "timeout")
            .output(CliCommand.Output.NONE));
        c.add(CliCommand.api("timing", HttpMethod.GET, "/cluster/ha/timing")
            .description("Show the cluster-wide HA failover timing in seconds."));
        c.add(CliCommand.api("set-timing", HttpMethod.PUT, "/cluster/ha/timing").output(CliCommand.Output.NONE)
            .description("Set the cluster-wide HA failover timing (values in seconds; unsafe combinations are refused)."));
        c.add(CliCommand.api("groupconfig", HttpMethod.GET, "/cluster/ha/groups").printer(HaManager::printGroups));
        c.add(CliCommand.api("groupadd", HttpMethod.POST, "/cluster/ha/groups").positional("group").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("groupremove", HttpMethod.DELETE, "/cluster/ha/groups/{group}").positional("group").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("groupset", HttpMethod.PUT, "/cluster/ha/groups/{group}").positional("group").output(CliCommand.Output.NONE));
        return c;
    }

    static String text(JsonNode v) {
        return v.isString() ? v.asString() : v.toString();
    }

    /** Section-config style listing, as {@code ha-manager config} prints it. */
    static void printConfig(JsonNode data, PrintStream out) {
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        for (JsonNode r : data) sorted.put(r.path("sid").asString(), r);
        for (JsonNode r : sorted.values()) {
            out.print(r.path("sid").asString() + "\n");
            TreeMap<String, JsonNode> keys = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : r.properties()) keys.put(e.getKey(), e.getValue());
            keys.forEach((k, v) -> {
                if (k.equals("digest") || k.equals("sid") || k.equals("type") || k.equals("errors")) return;
                out.print("\t" + k + " " + text(v) + "\n");
            });
            out.print("\n");
        }
    }

    static void printGroups(JsonNode data, PrintStream out) {
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        for (JsonNode r : data) sorted.put(r.path("group").asString(), r);
        for (JsonNode r : sorted.values()) {
            out.print("group: " + r.path("group").asString() + "\n");
            TreeMap<String, JsonNode> keys = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : r.properties()) keys.put(e.getKey(), e.getValue());
            keys.forEach((k, v) -> {
                if (k.equals("digest") || k.equals("group") || k.equals("type")) return;
                out.print("\t" + k + " " + text(v) + "\n");
            });
            out.print("\n");
        }
    }

    /** One line per status entry: {@code <type> <status>}. */
    static void printStatus(JsonNode data, PrintStream out) {
        for (JsonNode e : data) out.print(e.path("type").asString() + " " + e.path("status").asString() + "\n");
    }

    static int status(CliInvocation inv) {
        boolean verbose = inv.args().contains("--verbose") || inv.args().contains("-verbose");
        JsonNode data = inv.client().call(HttpMethod.GET, "/cluster/ha/status/current", Map.of());
        printStatus(data, inv.out());
        if (verbose) {
            inv.out().print("full cluster state:\n");
            JsonNode full = inv.client().call(HttpMethod.GET, "/cluster/ha/status/manager_status", Map.of());
            inv.out().print(full.toPrettyString() + "\n");
        }
        return 0;
    }
}
