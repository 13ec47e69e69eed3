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
import org.haven.lxc.run.CpuSets;
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
        c.add(task("restore", HttpMethod.POST, "/nodes/{node}/lxc", "ostemplate").fixed("restore", "1"));
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
        c.add(task("move-volume", HttpMethod.POST, CT + "/move_volume", "volume", "storage", "target-vmid", "target-volume"));
        c.add(task("migrate", HttpMethod.POST, CT + "/migrate", "target"));
        c.add(ct("unlock", HttpMethod.POST, CT + "/unlock").output(CliCommand.Output.NONE));
        c.add(ct("mount", HttpMethod.POST, CT + "/mount").output(CliCommand.Output.RAW));
        c.add(ct("unmount", HttpMethod.POST, CT + "/unmount").output(CliCommand.Output.NONE));
        c.add(ct("fsck", HttpMethod.POST, CT + "/fsck").output(CliCommand.Output.RAW));
        c.add(ct("fstrim", HttpMethod.POST, CT + "/fstrim").printer((data, out) -> data.forEach(l -> out.println(l.asString()))));
        c.add(ct("df", HttpMethod.GET, CT + "/df").printer((data, out) -> printDf(data).forEach(out::println)));
        c.add(CliCommand.api("cpusets", HttpMethod.GET, "/nodes/{node}/lxc/cpusets").fixed("node", CliCommand.LOCAL_NODE).printer((data, out) -> {
            java.util.TreeMap<Integer, java.util.SortedSet<Integer>> sets = new java.util.TreeMap<>();
            for (JsonNode r : data) {
                java.util.TreeSet<Integer> cpus = new java.util.TreeSet<>();
                r.path("cpus").forEach(n -> cpus.add(n.asInt()));
                sets.put(r.path("vmid").asInt(), cpus);
            }
            CpuSets.table(sets).forEach(out::println);
        }));
        c.add(CliCommand.api("rescan", HttpMethod.POST, "/nodes/{node}/lxc/rescan").fixed("node", CliCommand.LOCAL_NODE)
                .printer((data, out) -> data.forEach(l -> out.println(l.asString()))));
        c.add(CliCommand.local("console", inv -> console(inv)).description("Launch a console for the specified container."));
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

    /** PVE's {@code pct df} table: MP, Volume, Size, Used, Avail, Use% (the used fraction), Path. */
    static List<String> printDf(JsonNode data) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"MP", "Volume", "Size", "Used", "Avail", "Use%", "Path"});
        for (JsonNode r : data) {
            long total = r.path("total").asLong(), used = r.path("used").asLong();
            rows.add(new String[] {r.path("mp").asString(), r.path("volume").asString(), bytes(total), bytes(used), bytes(r.path("avail").asLong()),
                    total == 0 ? "-" : String.format(java.util.Locale.ROOT, "%.1f", (double) used / total), r.path("path").asString()});
        }
        int[] w = new int[7];
        for (String[] row : rows) for (int i = 0; i < 7; i++) w[i] = Math.max(w[i], row[i].length());
        List<String> out = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 7; i++) {
                String cell = i < 2 || i == 6 ? "%-" + w[i] + "s" : "%" + w[i] + "s";
                b.append(i == 0 ? "" : " ").append(String.format(cell, row[i]));
            }
            out.add(b.toString().stripTrailing());
        }
        return out;
    }

    /** Bytes with one decimal in the largest unit that keeps the number at least 1 ({@code 7.8G}, {@code 489.1M}). */
    static String bytes(long n) {
        String units = "KMGTP";
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) { v /= 1024; u++; }
        return u < 0 ? Long.toString(n) : String.format(java.util.Locale.ROOT, "%.1f%c", v, units.charAt(u));
    }

    /** {@code pct console <vmid> [--escape ^a]}: {@code lxc-console} on the running container's first tty. */
    private static int console(CliInvocation inv) throws Exception {
        List<String> args = new ArrayList<>(inv.args());
        String escape = "^a";
        int e = args.indexOf("--escape");
        if (e >= 0 && e + 1 < args.size()) { escape = args.get(e + 1); args.subList(e, e + 2).clear(); }
        if (args.size() != 1) { inv.err().println("400 wrong number of arguments"); return 255; }
        Integer rc = running(inv, args.get(0));
        if (rc != null) return rc;
        return new ProcessBuilder("lxc-console", "-P", lxcpath().toString(), "-n", args.get(0), "-t", "0", "-e", escape).inheritIO().start().waitFor();
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
