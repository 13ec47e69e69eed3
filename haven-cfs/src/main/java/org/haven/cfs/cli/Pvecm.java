package org.haven.cfs.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import tools.jackson.databind.JsonNode;

/** {@code pvecm}: cluster management through the local daemon's {@code /cluster/config} API. */
public final class Pvecm implements CliTool {

    @Override public String name() { return "pvecm"; }

    @Override public String description() { return "Proxmox VE cluster manager toolkit."; }

    @Override
    public List<CliCommand> commands() {
        return List.of(
                CliCommand.api("create", HttpMethod.POST, "/cluster/config").positional("clustername").output(CliCommand.Output.TASK),
                CliCommand.local("add", HttpMethod.POST, "/cluster/config/join", Pvecm::add).positional("hostname")
                        .description("Adds the current node to an existing cluster."),
                CliCommand.api("delnode", HttpMethod.DELETE, "/cluster/config/nodes/{node}").positional("node").output(CliCommand.Output.NONE),
                CliCommand.local("expected", HttpMethod.POST, "/cluster/config/expected", Pvecm::expected).positional("expected")
                        .description("Tells corosync a new value of expected votes."),
                CliCommand.api("qdevice setup", HttpMethod.POST, "/cluster/config/qdevice").positional("address").output(CliCommand.Output.NONE),
                CliCommand.api("qdevice remove", HttpMethod.DELETE, "/cluster/config/qdevice").output(CliCommand.Output.NONE),
                CliCommand.api("updatecerts", HttpMethod.POST, "/nodes/{node}/certificates/updatecerts").fixed("node", CliCommand.LOCAL_NODE)
                        .output(CliCommand.Output.NONE),
                CliCommand.local("status", Pvecm::status).description("Displays the local view of the cluster status."),
                CliCommand.local("nodes", Pvecm::nodes).description("Displays the local view of the cluster nodes."));
    }

    /** Membership as the daemon reports it. */
    record View(String cluster, long configVersion, boolean quorate, List<NodeRow> nodes, String transport, String secauth) {
        int expected() { return nodes.stream().mapToInt(NodeRow::votes).sum(); }

        int total() { return nodes.stream().filter(NodeRow::online).mapToInt(NodeRow::votes).sum(); }

        int quorum() { return expected() / 2 + 1; }
    }

    record NodeRow(String name, int nodeId, int votes, String addr, boolean online, boolean local) {}

    static View view(ApiClient api) {
        JsonNode status = api.call(HttpMethod.GET, "/cluster/status", Map.of());
        JsonNode list = api.call(HttpMethod.GET, "/cluster/config/nodes", Map.of());
        JsonNode totem = api.call(HttpMethod.GET, "/cluster/config/totem", Map.of());
        String name = "";
        long version = 0;
        boolean quorate = false;
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        for (JsonNode e : status) {
            if ("cluster".equals(e.path("type").asString(""))) {
                name = e.path("name").asString("");
                version = e.path("version").asLong(0);
                quorate = e.path("quorate").asInt(0) == 1;
            } else {
                byName.put(e.path("name").asString(""), e);
            }
        }
        List<NodeRow> rows = new ArrayList<>();
        for (JsonNode n : list) {
            String nn = n.path("node").asString("");
            JsonNode st = byName.get(nn);
            rows.add(new NodeRow(nn, Integer.parseInt(n.path("nodeid").asString("0")), Integer.parseInt(n.path("quorum_votes").asString("1")),
                    n.path("ring0_addr").asString(nn), st != null && st.path("online").asInt(0) == 1, st != null && st.path("local").asInt(0) == 1));
        }
        rows.sort((a, b) -> Integer.compare(a.nodeId(), b.nodeId()));
        return new View(name, version, quorate, rows, totem.path("transport").asString("knet"), totem.path("secauth").asString("on"));
    }

    static int status(CliInvocation inv) {
        View v;
        try {
            v = view(inv.client());
        } catch (ApiClient.ApiCallException e) {
            inv.err().println("Error: " + e.getMessage());
            return 2;
        }
        inv.out().print(renderStatus(v, ZonedDateTime.now()));
        return 0;
    }

    static String renderStatus(View v, ZonedDateTime now) {
        StringBuilder sb = new StringBuilder();
        NodeRow local = v.nodes().stream().filter(NodeRow::local).findFirst().orElse(null);
        sb.append("Cluster information\n-------------------\n");
        sb.append(String.format("Name:             %s%n", v.cluster()));
        sb.append(String.format("Config Version:   %d%n", v.configVersion()));
        sb.append(String.format("Transport:        %s%n", v.transport()));
        sb.append(String.format("Secure auth:      %s%n%n", v.secauth()));
        sb.append("Quorum information\n------------------\n");
        sb.append(String.format("Date:             %s%n", now.format(DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss yyyy", Locale.ENGLISH))));
        sb.append("Quorum provider:  corosync_votequorum\n");
        long online = v.nodes().stream().filter(NodeRow::online).count();
        sb.append(String.format("Nodes:            %d%n", online));
        sb.append(String.format("Node ID:          0x%08x%n", local == null ? 0 : local.nodeId()));
        int lowest = v.nodes().stream().filter(NodeRow::online).mapToInt(NodeRow::nodeId).min().orElse(0);
        sb.append(String.format("Ring ID:          %d.%x%n", lowest, v.configVersion()));
        sb.append(String.format("Quorate:          %s%n%n", v.quorate() ? "Yes" : "No"));
        sb.append("Votequorum information\n----------------------\n");
        sb.append(String.format("Expected votes:   %d%n", v.expected()));
        sb.append(String.format("Highest expected: %d%n", v.expected()));
        sb.append(String.format("Total votes:      %d%n", v.total()));
        sb.append(String.format("Quorum:           %d %s%n", v.quorum(), v.quorate() ? "" : "Activity blocked"));
        sb.append(String.format("Flags:            %s%n%n", v.quorate() ? "Quorate " : ""));
        sb.append("Membership information\n----------------------\n");
        sb.append("    Nodeid      Votes Name\n");
        for (NodeRow n : v.nodes()) {
            if (!n.online()) continue;
            sb.append(String.format("0x%08x %10d %s%s%n", n.nodeId(), n.votes(), n.addr(), n.local() ? " (local)" : ""));
        }
        return sb.toString();
    }

    static int nodes(CliInvocation inv) {
        View v;
        try {
            v = view(inv.client());
        } catch (ApiClient.ApiCallException e) {
            inv.err().println("Error: " + e.getMessage());
            return 2;
        }
        inv.out().print(renderNodes(v));
        return 0;
    }

    static String renderNodes(View v) {
        StringBuilder sb = new StringBuilder("\nMembership information\n----------------------\n    Nodeid      Votes Name\n");
        for (NodeRow n : v.nodes()) {
            if (!n.online()) continue;
            sb.append(String.format("%10d %10d %s%s%n", n.nodeId(), n.votes(), n.name(), n.local() ? " (local)" : ""));
        }
        return sb.toString();
    }

    static int expected(CliInvocation inv) {
        inv.client().call(HttpMethod.POST, "/cluster/config/expected", Map.of("expected", inv.params().get("expected")));
        return 0;
    }

    static int add(CliInvocation inv) throws Exception {
        Map<String, Object> params = new LinkedHashMap<>(inv.params());
        PrintStream out = inv.out();
        String host = String.valueOf(params.get("hostname"));
        if (!params.containsKey("password")) {
            String pw = System.getenv("PVE_CLUSTER_JOIN_PASSWORD");
            if (pw == null) pw = readLine(out, "Please enter superuser (root) password for '" + host + "': ", true);
            params.put("password", pw);
        }
        if (!params.containsKey("fingerprint")) {
            // as PVE's manual certificate verification: show the peer's fingerprint and ask
            String fp = org.haven.cfs.api.ClusterConfigApi.peerFingerprint(host);
            out.println("The authenticity of host '" + host + "' can't be established.");
            out.println("X509 SHA256 key fingerprint is " + fp + ".");
            String answer = readLine(out, "Are you sure you want to continue connecting (yes/no)? ", false);
            if (answer == null || !answer.strip().equalsIgnoreCase("yes")) {
                inv.err().println("Certificate verification failed, aborting.");
                return 255;
            }
            params.put("fingerprint", fp);
        }
        JsonNode upid = inv.client().call(HttpMethod.POST, "/cluster/config/join", params);
        return followTask(inv, upid.asString());
    }

    private static BufferedReader stdin;

    /** A line from the terminal (not echoed when {@code secret}), else from standard input; null at its end. */
    private static String readLine(PrintStream out, String prompt, boolean secret) throws Exception {
        Console c = System.console();
        if (c != null) {
            if (secret) {
                char[] pw = c.readPassword("%s", prompt);
                return pw == null ? "" : new String(pw);
            }
            return c.readLine("%s", prompt);
        }
        out.print(prompt);
        out.flush();
        if (stdin == null) stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = stdin.readLine();
        if (secret) out.println();
        return line == null && secret ? "" : line;
    }

    /** Prints a task's log while it runs; 0 when it ends OK, 255 otherwise (PVE's upid_exit). */
    static int followTask(CliInvocation inv, String upid) throws InterruptedException {
        String node = upid.split(":")[1];
        String base = "/nodes/" + node + "/tasks/" + upid;
        int printed = 0;
        while (true) {
            JsonNode st = inv.client().call(HttpMethod.GET, base + "/status", Map.of());
            JsonNode log = inv.client().call(HttpMethod.GET, base + "/log", Map.of("start", printed, "limit", 10000));
            for (JsonNode l : log) {
                inv.out().println(l.path("t").asString(""));
                printed = Math.max(printed, l.path("n").asInt(printed) );
            }
            if (!"running".equals(st.path("status").asString(""))) {
                String exit = st.path("exitstatus").asString("");
                return exit.equals("OK") ? 0 : 255;
            }
            Thread.sleep(200);
        }
    }
}
