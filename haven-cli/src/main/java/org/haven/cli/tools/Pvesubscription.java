package org.haven.cli.tools;

import java.io.PrintStream;
import java.util.List;
import java.util.TreeMap;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;
import tools.jackson.databind.JsonNode;

/** {@code pvesubscription}: the node's subscription status (Haven has no subscription service, so no key can be set). */
public final class Pvesubscription implements CliTool {
    @Override public String name() { return "pvesubscription"; }

    @Override public String description() { return "Proxmox VE subscription management"; }

    @Override
    public List<CliCommand> commands() {
        String path = "/nodes/{node}/subscription";
        return List.of(
                CliCommand.api("get", HttpMethod.GET, path).fixed("node", CliCommand.LOCAL_NODE).printer(Pvesubscription::printSorted),
                CliCommand.api("set", HttpMethod.PUT, path).positional("key").fixed("node", CliCommand.LOCAL_NODE),
                CliCommand.api("update", HttpMethod.POST, path).fixed("node", CliCommand.LOCAL_NODE),
                CliCommand.api("delete", HttpMethod.DELETE, path).fixed("node", CliCommand.LOCAL_NODE));
    }

    /** PVE's output of {@code get}: {@code key: value} lines sorted by key. */
    static void printSorted(JsonNode data, PrintStream out) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (var e : data.properties()) sorted.put(e.getKey(), e.getValue().isString() ? e.getValue().asString() : e.getValue().toString());
        sorted.forEach((k, v) -> out.println(k + ": " + v));
    }
}
