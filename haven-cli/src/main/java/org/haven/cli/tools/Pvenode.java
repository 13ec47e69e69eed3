package org.haven.cli.tools;

import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;

/** {@code pvenode}: node management (configuration, wake-on-LAN, certificates and ACME, tasks, starting and stopping all guests). */
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
                CliCommand.api("config get", HttpMethod.GET, "/nodes/{node}/config").fixed("node", CliCommand.LOCAL_NODE).printer(Pvenode::printConfig),
                CliCommand.api("config set", HttpMethod.PUT, "/nodes/{node}/config").fixed("node", CliCommand.LOCAL_NODE),
                CliCommand.api("wakeonlan", HttpMethod.POST, "/nodes/{node}/wakeonlan").positional("node"),
                CliCommand.api("startall", HttpMethod.POST, "/nodes/{node}/startall").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("stopall", HttpMethod.POST, "/nodes/{node}/stopall").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("suspendall", HttpMethod.POST, "/nodes/{node}/suspendall").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.local("cert set", HttpMethod.POST, "/nodes/{node}/certificates/custom", Pvenode::certSet)
                        .positional("certificates", "key").fixed("node", CliCommand.LOCAL_NODE)
                        .description("Upload or update custom certificate chain and key (file names)."),
                CliCommand.api("cert delete", HttpMethod.DELETE, "/nodes/{node}/certificates/custom")
                        .positional("restart").fixed("node", CliCommand.LOCAL_NODE),
                CliCommand.api("acme account list", HttpMethod.GET, "/cluster/acme/account").printer((data, out) -> {
                    for (var a : data) out.println(a.path("name").asString());
                }),
                CliCommand.api("acme account info", HttpMethod.GET, "/cluster/acme/account/{name}").positional("name"),
                CliCommand.local("acme account register", HttpMethod.POST, "/cluster/acme/account", Pvenode::register)
                        .positional("name", "contact")
                        .description("Register a new ACME account with a compatible CA (asks to agree to its terms of service)."),
                CliCommand.api("acme account update", HttpMethod.PUT, "/cluster/acme/account/{name}").positional("name").output(CliCommand.Output.TASK),
                CliCommand.api("acme account deactivate", HttpMethod.DELETE, "/cluster/acme/account/{name}").positional("name").output(CliCommand.Output.TASK),
                CliCommand.api("acme plugin list", HttpMethod.GET, "/cluster/acme/plugins").columns("plugin", "type", "api", "nodes", "disable"),
                CliCommand.api("acme plugin config", HttpMethod.GET, "/cluster/acme/plugins/{id}").positional("id"),
                CliCommand.api("acme plugin add", HttpMethod.POST, "/cluster/acme/plugins").positional("type", "id"),
                CliCommand.api("acme plugin set", HttpMethod.PUT, "/cluster/acme/plugins/{id}").positional("id"),
                CliCommand.api("acme plugin remove", HttpMethod.DELETE, "/cluster/acme/plugins/{id}").positional("id"),
                CliCommand.api("acme cert order", HttpMethod.POST, "/nodes/{node}/certificates/acme/certificate")
                        .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("acme cert renew", HttpMethod.PUT, "/nodes/{node}/certificates/acme/certificate")
                        .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
                CliCommand.api("acme cert revoke", HttpMethod.DELETE, "/nodes/{node}/certificates/acme/certificate")
                        .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK),
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

    /** {@code config get} prints the node configuration as its file has it: the description as comments, then sorted keys. */
    static void printConfig(tools.jackson.databind.JsonNode data, java.io.PrintStream out) {
        java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>();
        for (var e : data.properties()) {
            if (e.getKey().equals("digest")) continue;
            String v = e.getValue().isString() ? e.getValue().asString() : e.getValue().toString();
            if (e.getKey().equals("description")) for (String l : v.split("\n")) out.println("#" + l);
            else sorted.put(e.getKey(), v);
        }
        sorted.forEach((k, v) -> out.println(k + ": " + v));
    }

    static String ts(long epoch) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                .withZone(java.time.ZoneId.systemDefault()).format(java.time.Instant.ofEpochSecond(epoch));
    }

    /** {@code pvenode cert set CERTFILE [KEYFILE]}: the API takes the PEM texts, the CLI their files. */
    static int certSet(org.haven.api.cli.CliInvocation inv) throws java.io.IOException {
        java.util.Map<String, Object> p = new java.util.LinkedHashMap<>(inv.params());
        p.remove("node");
        p.put("certificates", java.nio.file.Files.readString(java.nio.file.Path.of(String.valueOf(p.get("certificates")))));
        if (p.get("key") != null) p.put("key", java.nio.file.Files.readString(java.nio.file.Path.of(String.valueOf(p.get("key")))));
        var info = inv.client().call(HttpMethod.POST, "/nodes/" + inv.localNode() + "/certificates/custom", p);
        inv.out().println("fingerprint: " + info.path("fingerprint").asString());
        return 0;
    }

    /**
     * {@code pvenode acme account register [NAME] CONTACT [--directory URL]}: shows the CA's terms of service and
     * registers only when they are agreed to ({@code y} on the terminal, or as the first line of standard input).
     */
    static int register(org.haven.api.cli.CliInvocation inv) throws java.io.IOException {
        java.util.Map<String, Object> p = new java.util.LinkedHashMap<>(inv.params());
        if (p.get("contact") == null && p.get("name") != null) { // one positional argument: the contact
            p.put("contact", p.remove("name"));
        }
        String directory = String.valueOf(p.getOrDefault("directory", "https://acme-v02.api.letsencrypt.org/directory"));
        p.put("directory", directory);
        inv.out().println("\nAttempting to fetch Terms of Service from '" + directory + "'..");
        var tos = inv.client().call(HttpMethod.GET, "/cluster/acme/tos", java.util.Map.of("directory", directory));
        if (tos != null && tos.isString() && !tos.asString().isEmpty()) {
            inv.out().println("Terms of Service: " + tos.asString());
            inv.out().print("Do you agree to the above terms? [y|N]: ");
            inv.out().flush();
            String answer = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)).readLine();
            if (answer == null || !answer.strip().equalsIgnoreCase("y")) {
                inv.err().println("Cannot continue without agreeing to ToS, aborting.");
                return 255;
            }
            p.put("tos_url", tos.asString());
        } else {
            inv.out().println("No Terms of Service found, proceeding.");
        }
        inv.out().println("\nAttempting to register account with '" + directory + "'..");
        var upid = inv.client().call(HttpMethod.POST, "/cluster/acme/account", p);
        return org.haven.cli.CliSupport.follow(inv.client(), upid.asString(), inv.out(), inv.err());
    }
}
