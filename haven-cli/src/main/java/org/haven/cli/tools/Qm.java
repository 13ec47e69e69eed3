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
        c.add(vm("migrate", HttpMethod.POST, VM + "/migrate").positional("target").output(CliCommand.Output.TASK));
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
            // qm wait <vmid> [--timeout N]: until the VM is stopped, polled once a second as PVE does
            Map<String, String> o = options(inv, "timeout");
            if (o == null) return 255;
            String vmid = o.get("");
            long timeout = 0;
            if (o.containsKey("timeout")) {
                String t = o.get("timeout");
                if (!t.matches("\\d+") || t.length() > 9 || Long.parseLong(t) < 1) {
                    inv.err().println("400 Parameter verification failed.");
                    inv.err().println("timeout: " + (t.matches("-?\\d+") ? "value must have a minimum value of 1" : "type check ('integer') failed - got '" + t + "'"));
                    return 255;
                }
                timeout = Long.parseLong(t);
            }
            JsonNode st = status(inv, vmid);
            if (!"running".equals(st.path("status").asString())) return 0;
            inv.out().println("waiting until VM " + vmid + " stopps (PID " + st.path("pid").asLong() + ")");
            inv.out().flush();
            long count = 0;
            while ((timeout == 0 || count < timeout) && "running".equals(status(inv, vmid).path("status").asString())) {
                count++;
                Thread.sleep(1000);
            }
            if ("running".equals(status(inv, vmid).path("status").asString())) { inv.err().println("wait failed - got timeout"); return 255; }
            return 0;
        }).description("Wait until the VM is stopped."));
        c.add(CliCommand.local("terminal", inv -> {
            // qm terminal <vmid> [--iface serialN] [--escape ^O|0]: the serial socket lives beside the daemon's socket
            Map<String, String> o = options(inv, "iface", "escape");
            if (o == null) return 255;
            String vmid = o.get("");
            String iface = o.get("iface");
            String escape = o.getOrDefault("escape", "^O");
            JsonNode cfg = inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/config", Map.of());
            if (iface != null) {
                if (!cfg.has(iface)) { inv.err().println("serial interface '" + iface + "' is not configured"); return 255; }
                if (!"socket".equals(cfg.path(iface).asString(""))) { inv.err().println("wrong serial type on interface '" + iface + "'"); return 255; }
            } else {
                for (String opt : List.of("serial0", "serial1", "serial2", "serial3")) {
                    if ("socket".equals(cfg.path(opt).asString(""))) { iface = opt; break; }
                }
                if (iface == null) { inv.err().println("unable to find a serial interface"); return 255; }
            }
            if (!"running".equals(status(inv, vmid).path("status").asString())) { inv.err().println("VM " + vmid + " not running"); return 255; }
            int esc = -1;
            String escapeMsg = "";
            if (!escape.equals("0")) {
                if (escape.length() != 2 || escape.charAt(0) != '^' || Character.toUpperCase(escape.charAt(1)) < '@'
                        || Character.toUpperCase(escape.charAt(1)) > '_') {
                    inv.err().println("400 Parameter verification failed.\nescape: invalid escape character");
                    return 255;
                }
                char k = Character.toUpperCase(escape.charAt(1));
                esc = k - '@';
                escapeMsg = " (press Ctrl+" + k + " to exit)";
            }
            inv.out().println("starting serial terminal on interface " + iface + escapeMsg);
            inv.out().flush();
            try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(runDir().resolve(vmid + "." + iface)))) {
                // like socat's STDIO,raw,echo=0: a terminal on stdin passes every key (Ctrl+O too) at once
                String saved = stty("-g");
                // a SIGTERM/SIGHUP ends the JVM without the finally block: the hook restores the terminal then
                Thread restore = new Thread(() -> stty(saved.strip()), "qm-terminal-restore");
                if (saved != null) {
                    Runtime.getRuntime().addShutdownHook(restore);
                    stty("raw", "-echo");
                }
                try {
                    pipe(ch, System.in, inv.out(), esc);
                } finally {
                    if (saved != null) {
                        stty(saved.strip());
                        Runtime.getRuntime().removeShutdownHook(restore);
                    }
                }
            }
            return 0;
        }).description("Open a terminal using a serial device."));
        c.add(CliCommand.local("vncproxy", inv -> {
            // qm vncproxy <vmid>: the VM's VNC socket on stdin/stdout (run behind an ssh or websocket proxy)
            Map<String, String> o = options(inv);
            if (o == null) return 255;
            String vmid = o.get("");
            inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/config", Map.of());
            if (!"running".equals(status(inv, vmid).path("status").asString())) { inv.err().println("VM " + vmid + " not running"); return 255; }
            String ticket = System.getenv("LC_PVE_TICKET");
            if (ticket != null && !ticket.isEmpty()) {
                // the caller authenticates with its ticket as VNC password, valid for 30 seconds
                String mon = "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/monitor";
                inv.client().call(HttpMethod.POST, mon, Map.of("command", "set_password vnc " + ticket));
                inv.client().call(HttpMethod.POST, mon, Map.of("command", "expire_password vnc +30"));
            }
            java.nio.file.Path sock = runDir().resolve(vmid + ".vnc");
            for (int c0 = 1; c0 < 10 && !java.nio.file.Files.exists(sock); c0++) Thread.sleep(1000);
            java.nio.channels.SocketChannel ch;
            try {
                ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock));
            } catch (java.io.IOException e) {
                inv.err().println("unable to connect to socket '" + sock + "' - " + e.getMessage());
                return 255;
            }
            try (ch) {
                pipe(ch, System.in, inv.out(), -1);
            }
            return 0;
        }).description("Proxy VM VNC traffic to stdin/stdout"));
        c.add(CliCommand.local("unlock", HttpMethod.GET, VM + "/pending", inv -> {
            Object vmid = inv.params().get("vmid");
            inv.client().call(HttpMethod.PUT, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/config",
                    Map.of("delete", "lock", "skiplock", "1"));
            return 0;
        }).positional("vmid").fixed("node", CliCommand.LOCAL_NODE).description("Unlock the VM."));
        return c;
    }

    /**
     * Options of the CLI-only commands ({@code qm wait|terminal|vncproxy}): the one positional {@code <vmid>}
     * (under the key {@code ""}) and {@code --name value} or {@code --name=value} for the given names. Prints
     * PVE's error and returns {@code null} on bad input.
     */
    static Map<String, String> options(org.haven.api.cli.CliInvocation inv, String... names) {
        Map<String, String> o = new TreeMap<>();
        List<String> positional = new ArrayList<>();
        List<String> args = inv.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("-") || a.equals("-")) { positional.add(a); continue; }
            String name = a.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) { value = name.substring(eq + 1); name = name.substring(0, eq); }
            if (!List.of(names).contains(name)) {
                inv.err().println("Unknown option: " + name);
                inv.err().println("400 unable to parse option");
                return null;
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    inv.err().println("Option " + name + " requires an argument");
                    inv.err().println("400 unable to parse option");
                    return null;
                }
                value = args.get(++i);
            }
            o.put(name, value);
        }
        if (positional.isEmpty()) { inv.err().println("400 not enough arguments"); return null; }
        if (positional.size() > 1) { inv.err().println("400 too many arguments"); return null; }
        String vmid = positional.get(0);
        if (!vmid.matches("[1-9]\\d{2,8}")) {
            inv.err().println("400 Parameter verification failed.");
            inv.err().println("vmid: " + (vmid.matches("-?\\d{1,18}") ? (Long.parseLong(vmid) < 100 ? "value must have a minimum value of 100" : "value must have a maximum value of 999999999") : "type check ('integer') failed - got '" + vmid + "'"));
            return null;
        }
        o.put("", vmid);
        return o;
    }

    /** Runs {@code stty} on this process's stdin; its output, or {@code null} when stdin is not a terminal. */
    private static String stty(String... args) {
        List<String> cmd = new ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static JsonNode status(org.haven.api.cli.CliInvocation inv, String vmid) {
        return inv.client().call(HttpMethod.GET, "/nodes/" + inv.localNode() + "/qemu/" + vmid + "/status/current", Map.of());
    }

    /** The daemon's run directory for VM sockets ({@code <vmid>.vnc}, {@code <vmid>.serialN}), beside its API socket. */
    private static java.nio.file.Path runDir() {
        return org.haven.cli.CliEnv.socketPath(System.getenv()).getParent().resolve("qemu-server");
    }

    /**
     * Copies bytes both ways between {@code ch} and {@code in}/{@code out} until either side closes, or until
     * {@code escape} (a byte value, -1 for none) arrives on {@code in}.
     */
    static void pipe(java.nio.channels.SocketChannel ch, java.io.InputStream in, java.io.OutputStream out, int escape)
            throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread.ofPlatform().daemon().name("pipe-out").start(() -> {
            try {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(65536);
                while (ch.read(buf) > 0) {
                    out.write(buf.array(), 0, buf.position());
                    out.flush();
                    buf.clear();
                }
            } catch (java.io.IOException ignored) {
                // the other side went away
            } finally {
                done.countDown();
            }
        });
        Thread.ofPlatform().daemon().name("pipe-in").start(() -> {
            try {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int len = n;
                    boolean stop = false;
                    if (escape >= 0) {
                        for (int i = 0; i < n; i++) if ((buf[i] & 0xff) == escape) { len = i; stop = true; break; }
                    }
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf, 0, len);
                    while (b.hasRemaining()) ch.write(b);
                    if (stop) break;
                }
            } catch (java.io.IOException ignored) {
                // the other side went away
            } finally {
                done.countDown();
            }
        });
        done.await();
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
