package org.haven.firewall.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import org.haven.firewall.apply.ConfigReader;
import org.haven.firewall.apply.FwInputs;
import org.haven.firewall.apply.GuestNics;
import org.haven.firewall.apply.LocalNetwork;
import org.haven.firewall.apply.NftApplier;
import org.haven.firewall.compile.FwCompiler;
import org.haven.firewall.compile.Simulator;
import org.haven.firewall.config.FwFile;

/**
 * {@code pve-firewall}: {@code compile}, {@code simulate}, {@code localnet}, {@code status}, {@code start},
 * {@code stop}, {@code restart}. The configuration comes from the local daemon (through the firewall API), or
 * with {@code --local DIR} from a directory laid out as {@code /etc/pve} ({@code firewall/cluster.fw},
 * {@code nodes/<node>/host.fw}, {@code nodes/<node>/{qemu-server,lxc}/<vmid>.conf}, {@code firewall/<vmid>.fw},
 * {@code corosync.conf}) without a daemon. Against the daemon, the ruleset is compiled as the daemon compiles it
 * (its host zone default, its VMs' tap names, its machine's addresses: {@code /nodes/{node}/firewall/placement}), so
 * that {@code compile} prints and {@code simulate} evaluates what the daemon loads, and {@code status},
 * {@code start} and {@code stop} act where it loads (its network namespace).
 */
public final class PveFirewall implements CliTool {

    @Override public String name() { return "pve-firewall"; }

    @Override public String description() { return "Haven firewall (nftables) compiler, loader and simulator"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(
                CliCommand.local("compile", inv -> run(inv, PveFirewall::compile)).description("Compile and print the ruleset."),
                CliCommand.local("simulate", inv -> run(inv, PveFirewall::simulate))
                        .description("Simulate a packet: --from/--to (host|outside|vm<ID>|ct<ID>|<bridge>/<port>) --protocol --source --dest --dport --sport --verbose."),
                CliCommand.local("localnet", inv -> run(inv, PveFirewall::localnet)).description("Print the detected local network."),
                CliCommand.local("status", inv -> run(inv, PveFirewall::status)).description("Compile the rules, show warnings and the firewall status."),
                CliCommand.local("start", inv -> run(inv, PveFirewall::start)).description("Compile and load the ruleset now."),
                CliCommand.local("restart", inv -> run(inv, PveFirewall::start)).description("Compile and load the ruleset now."),
                CliCommand.local("stop", inv -> run(inv, PveFirewall::stop)).description("Remove the firewall's nftables tables."));
    }

    /** What a subcommand works on: the options, the node, the compiler input and where it came from. */
    record Ctx(Map<String, String> opts, String node, FwCompiler.Input input, String nodeIp, List<String> addresses,
               List<String> warnings, List<String> nftPrefix, PrintStream out, PrintStream err) {}

    @FunctionalInterface
    interface Cmd { int run(Ctx c) throws Exception; }

    private static final Set<String> FLAGS = Set.of("verbose");

    static Map<String, String> options(List<String> args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("-")) throw new IllegalArgumentException("unexpected argument '" + a + "'");
            String k = a.replaceFirst("^--?", "");
            int eq = k.indexOf('=');
            if (eq > 0) { m.put(k.substring(0, eq), k.substring(eq + 1)); continue; }
            boolean hasValue = i + 1 < args.size() && !args.get(i + 1).startsWith("--");
            if (FLAGS.contains(k) && (!hasValue || !args.get(i + 1).matches("0|1"))) { m.put(k, "1"); continue; }
            if (!hasValue) throw new IllegalArgumentException("option '" + k + "' needs a value");
            m.put(k, args.get(++i));
        }
        return m;
    }

    private static int run(CliInvocation inv, Cmd cmd) {
        try {
            Map<String, String> opts = options(inv.args());
            List<String> addresses;
            List<String> prefix;
            List<String> warnings = new ArrayList<>();
            FwCompiler.Input input;
            String node;
            String nodeIp;
            if (opts.containsKey("local")) {
                Path dir = Path.of(opts.get("local"));
                if (!Files.isDirectory(dir)) throw new IllegalArgumentException("directory '" + dir + "' does not exist");
                ConfigReader r = ConfigReader.of(dir);
                prefix = nftPrefix();
                addresses = LocalNetwork.addresses(prefix);
                node = opts.containsKey("node") ? opts.get("node") : localNode(dir);
                input = FwInputs.read(r, node, GuestNics.fromConfig(r), addresses);
                nodeIp = FwInputs.nodeIp(r, node);
            } else {
                node = opts.containsKey("node") ? opts.get("node") : inv.localNode();
                ApiSource api = new ApiSource(inv.client());
                ApiSource.Placement placement = api.placement(node);
                prefix = placement.prefix();
                addresses = placement.addresses();
                nodeIp = api.nodeIp(node);
                input = api.read(node, LocalNetwork.detect(nodeIp, addresses), placement);
                warnings.addAll(api.warnings);
            }
            return cmd.run(new Ctx(opts, node, input, nodeIp, addresses, warnings, prefix, inv.out(), inv.err()));
        } catch (IllegalArgumentException e) {
            inv.err().println(e.getMessage());
            return 255;
        } catch (Exception e) {
            inv.err().println(e.getMessage() == null ? e.toString() : e.getMessage());
            return 255;
        }
    }

    /** With --local and no --node: the only node directory, else this machine's host name. */
    private static String localNode(Path dir) throws java.io.IOException {
        Path nodes = dir.resolve("nodes");
        if (Files.isDirectory(nodes)) {
            try (var s = Files.list(nodes)) {
                List<Path> l = s.filter(Files::isDirectory).toList();
                if (l.size() == 1) return l.get(0).getFileName().toString();
            }
        }
        return java.net.InetAddress.getLocalHost().getHostName().replaceFirst("\\..*", "");
    }

    private static FwCompiler.Output compileWithWarnings(Ctx c) {
        FwCompiler.Output out = FwCompiler.compile(c.input());
        for (String w : c.warnings()) c.err().println("warning: " + w);
        for (String w : out.warnings()) c.err().println("warning: " + w);
        return out;
    }

    /** Where start/stop/status act with {@code --local}: the namespace {@code HAVEN_FIREWALL_NETNS} names (as for the daemon), else this machine. */
    static List<String> nftPrefix() {
        String ns = System.getenv("HAVEN_FIREWALL_NETNS");
        return ns == null || ns.isBlank() ? List.of() : List.of("ip", "netns", "exec", ns);
    }

    static int compile(Ctx c) {
        c.out().print(compileWithWarnings(c).text());
        return 0;
    }

    static int localnet(Ctx c) {
        PrintStream out = c.out();
        out.println("local hostname: " + c.node());
        out.println("local IP address: " + (c.nodeIp() == null ? "unknown" : c.nodeIp()));
        String detected = LocalNetwork.detect(c.nodeIp(), c.addresses());
        out.println("network auto detect: " + (detected == null ? "unknown" : detected));
        String alias = null;
        for (FwFile.Alias a : c.input().cluster().aliases()) if (a.name().equalsIgnoreCase("local_network")) alias = a.cidr();
        if (alias != null) out.println("using user defined local_network: " + alias);
        else if (detected != null) out.println("using detected local_network: " + detected);
        else out.println("unable to detect local_network");
        out.println();
        out.println("accepting corosync traffic from/to:");
        for (String ip : c.input().members()) out.println(" - " + ip);
        return 0;
    }

    static int status(Ctx c) {
        FwCompiler.Output out = compileWithWarnings(c);
        boolean enabled = !out.table("inet").chains().isEmpty();
        boolean running = false;
        if (c.nftPrefix() != null) {
            NftApplier.Result live = NftApplier.local(c.nftPrefix()).list();
            running = live.ok() && !live.message().isBlank();
        }
        c.out().println("Status: " + (enabled ? "enabled" : "disabled") + "/" + (running ? "running" : "stopped"));
        return 0;
    }

    /** The applier where the node's rules go; null (with the reason printed) when the node loads none. */
    private static NftApplier applier(Ctx c) {
        if (c.nftPrefix() != null) return NftApplier.local(c.nftPrefix());
        c.err().println("node '" + c.node() + "' loads no firewall rules (an embedded node without a guest network of its own "
                + "or haven.firewall.netns)");
        return null;
    }

    static int start(Ctx c) {
        NftApplier applier = applier(c);
        if (applier == null) return 255;
        FwCompiler.Output out = compileWithWarnings(c);
        for (String refused : applier.sysctls(FwCompiler.sysctls(c.input()))) c.err().println("warning: cannot set " + refused);
        NftApplier.Result r = applier.apply(out.text(), !out.table("bridge").chains().isEmpty());
        if (!r.ok()) { c.err().println("unable to load the ruleset: " + r.message().strip()); return 255; }
        return 0;
    }

    static int stop(Ctx c) {
        NftApplier applier = applier(c);
        if (applier == null) return 255;
        NftApplier.Result r = applier.clear();
        if (!r.ok()) { c.err().println("unable to remove the ruleset: " + r.message().strip()); return 255; }
        return 0;
    }

    static int simulate(Ctx c) {
        Map<String, String> o = c.opts();
        String from = o.getOrDefault("from", "outside");
        String to = o.getOrDefault("to", "host");
        String proto = o.getOrDefault("protocol", "tcp");
        Simulator.Zone fz = zone(from, c);
        Simulator.Zone tz = zone(to, c);
        String source = o.containsKey("source") ? o.get("source") : defaultIp(from, c);
        String dest = o.containsKey("dest") ? o.get("dest") : defaultIp(to, c);
        if (source == null) throw new IllegalArgumentException("please specify --source (no address known for '" + from + "')");
        if (dest == null) throw new IllegalArgumentException("please specify --dest (no address known for '" + to + "')");
        Integer dport = o.containsKey("dport") ? Integer.valueOf(o.get("dport")) : null;
        Integer sport = o.containsKey("sport") ? Integer.valueOf(o.get("sport")) : null;
        FwCompiler.Output out = compileWithWarnings(c);
        Simulator.Result r = new Simulator(out.tables()).simulate(new Simulator.Packet(fz, tz, proto, source, dest, sport, dport,
                o.get("icmp-type"), "new", bridge(from, c) != null ? bridge(from, c) : bridge(to, c)));
        PrintStream p = c.out();
        if ("1".equals(o.get("verbose"))) {
            p.println("Test packet:");
            p.printf("  from    : %s%n  to      : %s%n  proto   : %s%n  source  : %s%n  dest    : %s%n", from, to, proto, source, dest);
            if (dport != null) p.printf("  dport   : %d%n", dport);
            if (sport != null) p.printf("  sport   : %d%n", sport);
            for (String t : r.trace()) p.println("  " + t);
        }
        p.println("ACTION: " + r.action());
        return 0;
    }

    /** PVE's zone of a bridge and the port a packet comes in or leaves by ({@code vmbr1/eth1}): the outside there. */
    private static final java.util.regex.Pattern BRIDGE_PORT = java.util.regex.Pattern.compile("([a-zA-Z][a-zA-Z0-9]{0,9})/(\\S+)");

    private static Simulator.Zone zone(String name, Ctx c) {
        if (name.equals("host")) return Simulator.Zone.host();
        if (name.equals("outside") || BRIDGE_PORT.matcher(name).matches()) return new Simulator.Zone(name, null, null);
        var m = java.util.regex.Pattern.compile("(vm|ct)(\\d+)").matcher(name);
        if (!m.matches()) throw new IllegalArgumentException("invalid zone '" + name + "'");
        FwCompiler.Guest g = guest(c, Integer.parseInt(m.group(2)));
        if (g == null) throw new IllegalArgumentException("no such guest '" + m.group(2) + "' on node '" + c.node() + "'");
        FwCompiler.Nic nic = g.nics().stream().filter(FwCompiler.Nic::firewall).findFirst()
                .orElse(g.nics().isEmpty() ? null : g.nics().get(0));
        if (nic == null) throw new IllegalArgumentException("guest " + g.vmid() + " has no network device");
        return new Simulator.Zone(name, g.port(nic), nic.mac() == null ? null : nic.mac().toLowerCase(java.util.Locale.ROOT));
    }

    /** The bridge a zone is on: a {@code <bridge>/<port>} zone's, a guest's (its simulated NIC's), else null (vmbr0). */
    private static String bridge(String zone, Ctx c) {
        var bp = BRIDGE_PORT.matcher(zone);
        if (bp.matches()) return bp.group(1);
        if (!zone.matches("(vm|ct)\\d+")) return null;
        FwCompiler.Guest g = guest(c, Integer.parseInt(zone.substring(2)));
        if (g == null) return null;
        return g.nics().stream().filter(FwCompiler.Nic::firewall).findFirst().or(() -> g.nics().stream().findFirst())
                .map(FwCompiler.Nic::bridge).orElse(null);
    }

    private static FwCompiler.Guest guest(Ctx c, int vmid) {
        for (FwCompiler.Guest g : c.input().guests()) if (g.vmid() == vmid) return g;
        return null;
    }

    /** The address of a zone when the options do not give one: the node's, a container's or the guest's ipfilter set. */
    private static String defaultIp(String zone, Ctx c) {
        if (zone.equals("host")) return c.nodeIp();
        if (zone.equals("outside")) return null;
        FwCompiler.Guest g = guest(c, Integer.parseInt(zone.substring(2)));
        if (g == null) return null;
        for (FwCompiler.Nic n : g.nics()) if (!n.ips().isEmpty()) return n.ips().get(0).replaceFirst("/.*", "");
        for (String set : g.fw().ipsetNames())
            if (set.startsWith("ipfilter-net"))
                for (FwFile.IpEntry e : g.fw().ipset(set)) if (!e.nomatch() && !e.cidr().contains("/")) return e.cidr();
        return null;
    }
}
