package org.haven.cli.tools;

import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;

/** {@code pvenode}: node management (certificates, tasks, starting and stopping all guests). */
public final class Pvenode implements CliTool {
    @Override public String name() { return "pvenode"; }

    @Override public String description() { return "Proxmox VE Node Management"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(
                CliCommand.api("cert info", HttpMethod.GET, "/nodes/{node}/certificates/info")
                        .fixed("node", CliCommand.LOCAL_NODE)
                        .columns("filename", "fingerprint", "subject", "issuer", "notbefore", "notafter", "public-key-type", "public-key-bits", "san")
                        .printer((data, out) -> {
                            for (var c : data) {
                                out.println("filename: " + c.path("filename").asString());
                                out.println("fingerprint: " + c.path("fingerprint").asString());
                                out.println("subject: " + c.path("subject").asString());
                                out.println("issuer: " + c.path("issuer").asString());
                                out.println("notbefore: " + ts(c.path("notbefore").asLong()));
                                out.println("notafter: " + ts(c.path("notafter").asLong()));
                                out.println("public-key-type: " + c.path("public-key-type").asString());
                                out.println("public-key-bits: " + c.path("public-key-bits").asString());
                                StringBuilder san = new StringBuilder();
                                for (var s : c.path("san")) { if (!san.isEmpty()) san.append(", "); san.append(s.asString()); }
                                if (!san.isEmpty()) out.println("SANs: " + san);
                                out.println();
                            }
                        }),
                CliCommand.api("startall", HttpMethod.POST, "/nodes/{node}/startall").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("stopall", HttpMethod.POST, "/nodes/{node}/stopall").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("suspendall", HttpMethod.POST, "/nodes/{node}/suspendall").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("task list", HttpMethod.GET, "/nodes/{node}/tasks").fixed("node", CliCommand.LOCAL_NODE)
                        .columns("upid", "type", "id", "user", "starttime", "endtime", "status"),
                CliCommand.api("task status", HttpMethod.GET, "/nodes/{node}/tasks/{upid}/status").positional("upid").fixed("node", CliCommand.LOCAL_NODE),
                CliCommand.local("task log", HttpMethod.GET, "/nodes/{node}/tasks/{upid}/log", inv -> {
                            var lines = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/tasks/" + inv.params().get("upid") + "/log",
                                    java.util.Map.of("start", inv.params().getOrDefault("start", "0"), "limit", inv.params().getOrDefault("limit", "0")));
                            for (var l : lines) inv.out().println(l.path("t").asString());
                            return 0;
                        }).positional("upid").fixed("node", CliCommand.LOCAL_NODE).description("Read task log."));
    }

    static String ts(long epoch) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                .withZone(java.time.ZoneId.systemDefault()).format(java.time.Instant.ofEpochSecond(epoch));
    }
}
