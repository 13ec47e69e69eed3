package org.haven.lxc.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import org.haven.guest.config.GuestConfig;
import tools.jackson.databind.JsonNode;

/**
 * {@code pct}: the Proxmox container toolkit, bound to {@code /nodes/{node}/lxc/...}. {@code exec}, {@code enter},
 * {@code push} and {@code pull} work on the local node's running container with {@code lxc-attach}, as PVE's do.
 */
public final class Pct implements CliTool {
    private static final String CT = "/nodes/{node}/lxc/{vmid}";

    @Override public String name() { return "pct"; }

    @Override public String description() { return "Proxmox VE Container Toolkit"; }

    private static CliCommand ct(String words, HttpMethod m, String path) {
        return CliCommand.api(words, m, path).positional("vmid").fixed("node", CliCommand.LOCAL_NODE);
    }

    private static CliCommand task(String words, HttpMethod m, String path, String... positional) {
        return ct(words, m, path).positional(positional).output(CliCommand.Output.TASK);
    }

    @Override
    public List<CliCommand> commands() {
        List<CliCommand> c = new ArrayList<>();
        c.add(CliCommand.api("list", HttpMethod.GET, "/nodes/{node}/lxc").fixed("node", CliCommand.LOCAL_NODE).printer((data, out) -> {
            TreeMap<Long, JsonNode> sorted = new TreeMap<>();
            for (JsonNode r : data) sorted.put(r.path("vmid").asLong(), r);
            out.printf("%-10s %-10s %-12s %-20s%n", "VMID", "Status", "Lock", "Name");
            for (JsonNode r : sorted.values())
                out.printf("%-10s %-10s %-12s %-20s%n", r.path("vmid").asLong(), r.path("status").asString(), r.path("lock").asString(""), r.path("name").asString());
        }));
        c.add(task("create", HttpMethod.POST, "/nodes/{node}/lxc", "ostemplate"));
        c.add(task("destroy", HttpMethod.DELETE, CT));
        c.add(ct("config", HttpMethod.GET, CT + "/config").printer(Pct::printConfig));
        c.add(ct("set", HttpMethod.PUT, CT + "/config").output(CliCommand.Output.NONE));
        c.add(ct("pending", HttpMethod.GET, CT + "/pending").printer(Pct::printPending));
        c.add(ct("status", HttpMethod.GET, CT + "/status/current").printer((data, out) -> out.println("status: " + data.path("status").asString())));
        for (String action : List.of("start", "stop", "shutdown", "reboot", "suspend", "resume"))
            c.add(task(action, HttpMethod.POST, CT + "/status/" + action));
        c.add(task("snapshot", HttpMethod.POST, CT + "/snapshot", "snapname"));
        c.add(task("delsnapshot", HttpMethod.DELETE, CT + "/snapshot/{snapname}", "snapname"));
        c.add(task("rollback", HttpMethod.POST, CT + "/snapshot/{snapname}/rollback", "snapname"));
        c.add(ct("listsnapshot", HttpMethod.GET, CT + "/snapshot").printer((data, out) -> {
            for (JsonNode n : data) {
                String name = n.path("name").asString();
                out.printf("%s %-20s %s%n", name.equals("current") ? "`->" : "   ", name, n.path("description").asString(""));
            }
        }));
        c.add(ct("template", HttpMethod.POST, CT + "/template").output(CliCommand.Output.NONE));
        c.add(task("clone", HttpMethod.POST, CT + "/clone", "newid"));
        c.add(task("resize", HttpMethod.PUT, CT + "/resize", "disk", "size"));
        c.add(CliCommand.local("exec", inv -> attach(inv, 1, (vmid, rest) -> rest)).description("Launch a command inside the specified container."));
        c.add(CliCommand.local("enter", inv -> attach(inv, 1, (vmid, rest) -> List.of())).description("Launch a shell for the specified container."));
        c.add(CliCommand.local("push", inv -> copy(inv, true)).description("Copy a local file to the container."));
        c.add(CliCommand.local("pull", inv -> copy(inv, false)).description("Copy a file from the container to the local system."));
        return c;
    }

    private static String text(JsonNode v) { return v.isString() ? v.asString() : v.toString(); }

    static void printConfig(JsonNode data, java.io.PrintStream out) {
        TreeMap<String, String> sorted = new TreeMap<>();
        data.properties().forEach(e -> { if (!e.getKey().equals("digest") && !e.getKey().equals("lxc")) sorted.put(e.getKey(), text(e.getValue())); });
        sorted.forEach((k, v) -> out.println(k + ": " + (k.equals("description") ? GuestConfig.encodeText(v) : v)));
        for (JsonNode kv : data.path("lxc")) out.println(kv.get(0).asString() + ": " + kv.get(1).asString());
    }

    static void printPending(JsonNode data, java.io.PrintStream out) {
        for (JsonNode e : data) {
            String k = e.path("key").asString();
            String cur = e.has("value") ? text(e.get("value")) : null;
            if (e.has("delete")) out.println((e.path("delete").asInt() == 2 ? "del(force) " : "del ") + k + ": " + (cur == null ? "" : cur));
            else {
                if (cur != null) out.println("cur " + k + ": " + cur);
                if (e.has("pending")) out.println("new " + k + ": " + text(e.get("pending")));
            }
        }
    }

    /** The lxcpath of the local daemon: below {@code $HAVEN_DATA_DIR} in embedded mode, else {@code /var/lib/lxc}. */
    static Path lxcpath() {
        String dd = System.getenv("HAVEN_DATA_DIR");
        return dd == null || dd.isEmpty() ? Path.of("/var/lib/lxc") : Path.of(dd, "lxc");
    }

    static List<String> attachCmd(String vmid, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("lxc-attach", "-P", lxcpath().toString(), "-n", vmid, "--clear-env"));
        if (!command.isEmpty()) {
            cmd.add("--");
            cmd.addAll(command);
        }
        return cmd;
    }

    interface Command { List<String> of(String vmid, List<String> rest); }

    /** Check that the container runs on this node; null when it does, else the exit code. */
    private static Integer running(CliInvocation inv, String vmid) {
        JsonNode st = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/lxc/" + vmid + "/status/current", Map.of());
        if ("running".equals(st.path("status").asString())) return null;
        inv.err().println("CT " + vmid + " not running");
        return 255;
    }

    private static int attach(CliInvocation inv, int min, Command command) throws Exception {
        List<String> args = new ArrayList<>(inv.args());
        if (args.size() < min) { inv.err().println("400 not enough arguments"); return 255; }
        String vmid = args.remove(0);
        if (!args.isEmpty() && args.get(0).equals("--")) args.remove(0);
        Integer rc = running(inv, vmid);
        if (rc != null) return rc;
        return new ProcessBuilder(attachCmd(vmid, command.of(vmid, args))).inheritIO().start().waitFor();
    }

    /** {@code pct push <vmid> <file> <destination> [--perms MODE] [--user UID] [--group GID]} and {@code pct pull <vmid> <path> <destination>}. */
    private static int copy(CliInvocation inv, boolean push) throws Exception {
        List<String> pos = new ArrayList<>();
        Map<String, String> opts = new TreeMap<>();
        List<String> args = inv.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--") && i + 1 < args.size()) opts.put(a.substring(2), args.get(++i));
            else pos.add(a);
        }
        if (pos.size() != 3) { inv.err().println("400 not enough arguments"); return 255; }
        String vmid = pos.get(0);
        Integer rc = running(inv, vmid);
        if (rc != null) return rc;
        ProcessBuilder pb;
        if (push) {
            String script = "cat > \"$1\"" + (opts.containsKey("perms") ? " && chmod \"$2\" \"$1\"" : "")
                    + (opts.containsKey("user") || opts.containsKey("group") ? " && chown \"$3:$4\" \"$1\"" : "");
            pb = new ProcessBuilder(attachCmd(vmid, List.of("/bin/sh", "-c", script, "sh", pos.get(2), opts.getOrDefault("perms", ""),
                    opts.getOrDefault("user", "0"), opts.getOrDefault("group", "0"))))
                    .redirectInput(new File(pos.get(1))).redirectOutput(ProcessBuilder.Redirect.INHERIT);
        } else {
            pb = new ProcessBuilder(attachCmd(vmid, List.of("/bin/cat", "--", pos.get(1)))).redirectOutput(new File(pos.get(2)));
        }
        int exit = pb.redirectError(ProcessBuilder.Redirect.INHERIT).start().waitFor();
        if (exit != 0) inv.err().println("failed to " + (push ? "push" : "pull") + " file");
        return exit;
    }
}
