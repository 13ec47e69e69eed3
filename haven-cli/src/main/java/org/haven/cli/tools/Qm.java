package org.haven.cli.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;
import tools.jackson.databind.JsonNode;

/** {@code qm}: QEMU/KVM virtual machine manager, bound to {@code /nodes/{node}/qemu/...}. */
public final class Qm implements CliTool {
    private static final String VM = "/nodes/{node}/qemu/{vmid}";

    @Override public String name() { return "qm"; }

    @Override public String description() { return "Qemu/KVM Virtual Machine Manager"; }

    private static CliCommand vm(String words, HttpMethod m, String path) {
        return CliCommand.api(words, m, path).positional("vmid").fixed("node", CliCommand.LOCAL_NODE);
    }

    @Override
    public List<CliCommand> commands() {
        List<CliCommand> c = new ArrayList<>();
        c.add(CliCommand.api("list", HttpMethod.GET, "/nodes/{node}/qemu").fixed("node", CliCommand.LOCAL_NODE)
                .printer((data, out) -> {
                    out.printf("%10s %-20s %-10s %-10s %12s %-10s%n", "VMID", "NAME", "STATUS", "MEM(MB)", "BOOTDISK(GB)", "PID");
                    TreeMap<Long, JsonNode> sorted = new TreeMap<>();
                    for (JsonNode r : data) sorted.put(r.path("vmid").asLong(), r);
                    for (JsonNode r : sorted.values()) {
                        String status = r.hasNonNull("qmpstatus") ? r.path("qmpstatus").asString() : r.path("status").asString();
                        out.printf("%10s %-20s %-10s %-10s %12.2f %-10s%n", r.path("vmid").asLong(), r.path("name").asString(), status,
                                fmtNum(r.path("maxmem").asLong() / (1024.0 * 1024)), r.path("maxdisk").asLong() / (1024.0 * 1024 * 1024),
                                r.path("pid").asLong(0));
                    }
                }));
        c.add(vm("create", HttpMethod.POST, "/nodes/{node}/qemu").output(CliCommand.Output.TASK));
        c.add(vm("set", HttpMethod.PUT, VM + "/config").output(CliCommand.Output.NONE));
        c.add(vm("config", HttpMethod.GET, VM + "/config").printer((data, out) -> {
            TreeMap<String, String> sorted = new TreeMap<>();
            data.properties().forEach(e -> sorted.put(e.getKey(), text(e.getValue())));
            sorted.forEach((k, v) -> {
                if (k.equals("digest")) return;
                if (k.equals("description")) v = encodeText(v);
                out.println(k + ": " + v);
            });
        }));
        c.add(vm("pending", HttpMethod.GET, VM + "/pending").printer((data, out) -> {
            for (JsonNode e : data) {
                String k = e.path("key").asString();
                if (k.equals("digest")) continue;
                String value = e.has("value") ? text(e.get("value")) : null;
                if (k.equals("description") && value != null) value = encodeText(value);
                if (e.has("delete")) {
                    int d = e.path("delete").asInt();
                    out.println((d == 2 ? "del(force) " : "del ") + k + ": " + (value == null ? "" : value));
                } else if (e.has("pending")) {
                    String p = text(e.get("pending"));
                    if (value != null) out.println("cur " + k + ": " + value);
                    out.println("new " + k + ": " + (k.equals("description") ? encodeText(p) : p));
                } else {
                    out.println("cur " + k + ": " + value);
                }
            }
        }));
        c.add(vm("start", HttpMethod.POST, VM + "/status/start").output(CliCommand.Output.TASK));
        c.add(vm("stop", HttpMethod.POST, VM + "/status/stop").output(CliCommand.Output.TASK));
        c.add(vm("shutdown", HttpMethod.POST, VM + "/status/shutdown").output(CliCommand.Output.TASK));
        c.add(vm("reboot", HttpMethod.POST, VM + "/status/reboot").output(CliCommand.Output.TASK));
        c.add(vm("reset", HttpMethod.POST, VM + "/status/reset").output(CliCommand.Output.TASK));
        c.add(vm("suspend", HttpMethod.POST, VM + "/status/suspend").output(CliCommand.Output.TASK));
        c.add(vm("resume", HttpMethod.POST, VM + "/status/resume").output(CliCommand.Output.TASK));
        c.add(CliCommand.local("status", inv -> {
            // qm status <vmid> [--verbose]
            List<String> args = inv.args();
            if (args.isEmpty()) { inv.err().println("400 not enough arguments"); return 255; }
            boolean verbose = args.contains("--verbose") || args.contains("-verbose") || args.contains("--verbose=1");
            JsonNode st = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/qemu/" + args.get(0) + "/status/current", Map.of());
            if (!verbose) {
                inv.out().println("status: " + st.path("status").asString());
                return 0;
            }
            TreeMap<String, String> sorted = new TreeMap<>();
            st.properties().forEach(e -> sorted.put(e.getKey(), text(e.getValue())));
            sorted.forEach((k, v) -> inv.out().println(k + ": " + v));
            return 0;
        }).description("Show VM status."));
        c.add(CliCommand.api("rescan", HttpMethod.POST, "/nodes/{node}/qemu/rescan").fixed("node", CliCommand.LOCAL_NODE)
                .printer((data, out) -> { for (JsonNode l : data) out.println(l.asString()); }));
        c.add(vm("destroy", HttpMethod.DELETE, VM).output(CliCommand.Output.TASK));
        c.add(vm("showcmd", HttpMethod.GET, VM + "/showcmd").output(CliCommand.Output.RAW));
        c.add(vm("snapshot", HttpMethod.POST, VM + "/snapshot").positional("snapname").output(CliCommand.Output.TASK));
        c.add(vm("delsnapshot", HttpMethod.DELETE, VM + "/snapshot/{snapname}").positional("snapname").output(CliCommand.Output.TASK));
        c.add(vm("rollback", HttpMethod.POST, VM + "/snapshot/{snapname}/rollback").positional("snapname").output(CliCommand.Output.TASK));
        c.add(vm("listsnapshot", HttpMethod.GET, VM + "/snapshot").printer((data, out) -> {
            // PVE prints the snapshot tree: children indented under their parent, "current" last
            Map<String, List<JsonNode>> children = new TreeMap<>();
            List<JsonNode> roots = new ArrayList<>();
            for (JsonNode n : data) {
                if (n.hasNonNull("parent")) children.computeIfAbsent(n.path("parent").asString(), k -> new ArrayList<>()).add(n);
                else roots.add(n);
            }
            for (JsonNode r : roots) printTree(r, children, 0, out);
        }));
        c.add(vm("template", HttpMethod.POST, VM + "/template").output(CliCommand.Output.TASK));
        c.add(vm("clone", HttpMethod.POST, VM + "/clone").positional("newid").output(CliCommand.Output.TASK));
        c.add(vm("guest cmd", HttpMethod.POST, VM + "/agent").positional("command").printer((data, out) ->
                out.println(data.path("result").toPrettyString())));
        c.add(vm("guest exec-status", HttpMethod.GET, VM + "/agent/exec-status").positional("pid").printer((data, out) ->
                out.println(data.toPrettyString())));
        c.add(CliCommand.local("guest exec", inv -> {
            // qm guest exec <vmid> [<command> ...]: start, wait for the end, print the status as JSON
            List<String> args = new ArrayList<>(inv.args());
            if (args.isEmpty()) { inv.err().println("400 not enough arguments"); return 255; }
            String vmid = args.remove(0);
            String base = "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/agent/";
            JsonNode r = inv.client().call(HttpMethod.POST, base + "exec", Map.of("command", args));
            long pid = r.path("pid").asLong();
            long deadline = System.nanoTime() + 30_000_000_000L;
            JsonNode st;
            do {
                st = inv.client().call(HttpMethod.GET, base + "exec-status", Map.of("pid", Long.toString(pid)));
                if (st.path("exited").asInt() == 1) break;
                Thread.sleep(100);
            } while (System.nanoTime() < deadline);
            inv.out().println(st.toPrettyString());
            return 0;
        }).description("Executes the given command via the guest agent."));
        c.add(vm("resize", HttpMethod.PUT, VM + "/resize").positional("disk", "size").output(CliCommand.Output.TASK));
        c.add(vm("disk resize", HttpMethod.PUT, VM + "/resize").positional("disk", "size").output(CliCommand.Output.TASK));
        c.add(vm("move-disk", HttpMethod.POST, VM + "/move_disk").positional("disk", "storage").output(CliCommand.Output.TASK));
        c.add(vm("disk move", HttpMethod.POST, VM + "/move_disk").positional("disk", "storage").output(CliCommand.Output.TASK));
        c.add(vm("unlink", HttpMethod.PUT, VM + "/unlink").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("importovf", HttpMethod.POST, "/nodes/{node}/qemu/importovf").positional("vmid", "manifest", "storage")
                .fixed("node", CliCommand.LOCAL_NODE).printer((data, out) -> out.println(data.toPrettyString())));
        c.add(vm("importdisk", HttpMethod.POST, VM + "/importdisk").positional("source", "storage").output(CliCommand.Output.TASK));
        c.add(vm("disk import", HttpMethod.POST, VM + "/importdisk").positional("source", "storage").output(CliCommand.Output.TASK));
        c.add(vm("disk unlink", HttpMethod.PUT, VM + "/unlink").output(CliCommand.Output.NONE));
        c.add(vm("sendkey", HttpMethod.PUT, VM + "/sendkey").positional("key").output(CliCommand.Output.NONE));
        c.add(vm("monitor", HttpMethod.POST, VM + "/monitor").positional("command").output(CliCommand.Output.RAW));
        c.add(CliCommand.local("wait", inv -> {
            // qm wait <vmid> [--timeout N]: until the VM is stopped
            List<String> args = inv.args();
            if (args.isEmpty()) { inv.err().println("400 not enough arguments"); return 255; }
            String vmid = args.get(0);
            long timeout = args.size() > 2 && args.get(1).equals("--timeout") ? Long.parseLong(args.get(2)) : 0;
            long deadline = System.nanoTime() + timeout * 1_000_000_000L;
            while (true) {
                JsonNode st = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/status/current", Map.of());
                if (st.path("status").asString().equals("stopped")) return 0;
                if (timeout > 0 && System.nanoTime() > deadline) { inv.err().println("timeout while waiting for VM " + vmid); return 255; }
                Thread.sleep(200);
            }
        }).description("Wait until the VM is stopped."));
        c.add(CliCommand.local("terminal", inv -> {
            // qm terminal <vmid> [--iface serialN]: the serial socket lives beside the daemon's socket
            List<String> args = inv.args();
            if (args.isEmpty()) { inv.err().println("400 not enough arguments"); return 255; }
            String vmid = args.get(0);
            String iface = args.size() > 2 && args.get(1).equals("--iface") ? args.get(2) : "serial0";
            JsonNode cfg = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/config", Map.of());
            if (!"socket".equals(cfg.path(iface).asString(""))) { inv.err().println("unable to find a serial interface"); return 255; }
            java.nio.file.Path sock = org.haven.cli.CliEnv.socketPath(System.getenv()).getParent().resolve("qemu-server").resolve(vmid + "." + iface);
            inv.err().println("starting serial terminal on interface " + iface + " (press Ctrl+O to exit)");
            try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock))) {
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        var in = java.nio.channels.Channels.newInputStream(ch);
                        byte[] buf = new byte[4096];
                        int n;
                        while ((n = in.read(buf)) > 0) { inv.out().write(buf, 0, n); inv.out().flush(); }
                    } catch (java.io.IOException ignored) { }
                });
                var out = java.nio.channels.Channels.newOutputStream(ch);
                int b;
                while ((b = System.in.read()) >= 0 && b != 0x0f) { out.write(b); out.flush(); }
                reader.interrupt();
            }
            return 0;
        }).description("Open a terminal using a serial device."));
        c.add(CliCommand.local("unlock", HttpMethod.GET, VM + "/pending", inv -> {
            Object vmid = inv.params().get("vmid");
            inv.client().call(HttpMethod.PUT, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/config",
                    Map.of("delete", "lock", "skiplock", "1"));
            return 0;
        }).positional("vmid").fixed("node", CliCommand.LOCAL_NODE).description("Unlock the VM."));
        return c;
    }

    private static void printTree(JsonNode n, Map<String, List<JsonNode>> children, int depth, java.io.PrintStream out) {
        String name = n.path("name").asString();
        String prefix = "  ".repeat(depth) + "`-> ";
        String time = n.has("snaptime") ? Pvenode.ts(n.path("snaptime").asLong()) : "";
        out.printf("%-" + (depth * 2 + 24) + "s %-19s %s%n", prefix + name, time, n.path("description").asString(""));
        for (JsonNode c : children.getOrDefault(name, List.of())) printTree(c, children, depth + 1, out);
    }

    private static String text(JsonNode v) {
        return v.isString() ? v.asString() : v.toString();
    }

    private static String fmtNum(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** PVE::Tools::encode_text, as qm config prints descriptions. */
    static String encodeText(String text) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int ch = b & 0xff;
            if (ch >= 0x20 && ch <= 0x7e && ch != ':') sb.append((char) ch);
            else sb.append('%').append(String.format("%02X", ch));
        }
        return sb.toString();
    }
}
