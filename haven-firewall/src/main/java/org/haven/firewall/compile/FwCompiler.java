package org.haven.firewall.compile;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.haven.firewall.compile.Nft.Addr;
import org.haven.firewall.compile.Nft.Match;
import org.haven.firewall.compile.Nft.Verdict;
import org.haven.core.net.GuestPorts;
import org.haven.firewall.config.FwFile;
import org.haven.firewall.config.FwRule;
import org.haven.firewall.config.FwSyntax;
import org.haven.firewall.config.IpNet;
import org.haven.firewall.config.Macros;

/**
 * Compiles the firewall configuration of one node into nftables: a pure function of the cluster, host and
 * guest files, the guests' NICs, the cluster members and the local network.
 *
 * <p>Layout. {@code table inet haven-fw} holds the host zone ({@code host-in}/{@code host-out}, hooked to input
 * and output) and the per-NIC guest chains ({@code g<vmid>-net<N>-in}/{@code -out}), entered from the forward
 * and input hooks. Bridged guest traffic reaches the inet hooks through bridge netfilter
 * ({@code net.bridge.bridge-nf-call-iptables}), which also gives it connection tracking. {@code table bridge
 * haven-fw} sees the bridge ports: it drops frames with a foreign MAC ({@code macfilter}) or source IP
 * ({@code ipfilter}, including ARP) and tags each packet with the guest port it came from (mark bits 16-31) and
 * the one it goes to (bits 0-15), which the inet chains dispatch on. In the guest {@code -out} chains an
 * accepting rule returns, so the destination's {@code -in} chain (another guest, or the host) still applies.
 * What the host sends or routes to a guest is seen with its port only in the bridge output hook, which runs a
 * bridge-family copy of the guest's {@code -in} chain ({@link #fromHost}) after the host's {@code -out} chain.
 *
 * <p>Forwarding, as PVE's nftables firewall: the {@code forward} rules of {@code host.fw} and {@code cluster.fw}
 * and the cluster's {@code policy_forward} ({@code host-forward}) apply to what the host routes, never to bridged
 * traffic, which the bridge forward hook flags ({@link #BRIDGED}) before bridge netfilter hands it to the inet
 * forward hook. A vnet with its firewall on ({@code sdn/firewall/<vnet>.fw}) filters what is bridged through it
 * with its {@code forward} rules and {@code policy_forward} ({@code vnet-<vnet>-forward}), after the sending
 * guest's {@code -out} chain and before the receiving guest's {@code -in} chain.
 */
public final class FwCompiler {

    public static final String TABLE = "haven-fw";

    /** A guest NIC: {@code net<index>}, its MAC, bridge, {@code firewall=1} flag and configured IPs (containers). */
    public record Nic(int index, String mac, String bridge, boolean firewall, List<String> ips) {}

    /**
     * A guest on this node with its firewall file (empty when it has none); {@code tapNode} is the node name in
     * its taps' names on an embedded node ({@link GuestPorts#tapNode}), null for PVE's names.
     */
    public record Guest(int vmid, boolean container, FwFile fw, List<Nic> nics, String tapNode) {
        public Guest(int vmid, boolean container, FwFile fw, List<Nic> nics) { this(vmid, container, fw, nics, null); }

        /** The host side device of a NIC, named as the guest types name it. */
        public String port(Nic nic) { return container ? GuestPorts.veth(vmid, nic.index()) : GuestPorts.tap(vmid, nic.index(), tapNode); }
    }

    /**
     * Everything the ruleset depends on. {@code localNetwork} is the detected local network (CIDR) used when
     * {@code cluster.fw} has no {@code local_network} alias; {@code members} are the cluster members' addresses.
     * {@code hostByDefault} says whether the host zone is filtered when {@code host.fw} does not set {@code enable}:
     * true on a node that owns its machine (PVE's default), false on an embedded node, whose machine's own traffic
     * is filtered only when the operator sets {@code enable: 1} in its {@code host.fw}.
     */
    public record Input(String node, FwFile cluster, FwFile host, List<Guest> guests, List<String> members, String localNetwork,
                        boolean hostByDefault, Map<String, FwFile> vnets) {
        public Input(String node, FwFile cluster, FwFile host, List<Guest> guests, List<String> members, String localNetwork) {
            this(node, cluster, host, guests, members, localNetwork, true);
        }

        public Input(String node, FwFile cluster, FwFile host, List<Guest> guests, List<String> members, String localNetwork,
                     boolean hostByDefault) {
            this(node, cluster, host, guests, members, localNetwork, hostByDefault, Map.of());
        }

        /** The same input with the vnets' firewall files ({@code sdn/firewall/<vnet>.fw}) by vnet name. */
        public Input withVnets(Map<String, FwFile> vnets) {
            return new Input(node, cluster, host, guests, members, localNetwork, hostByDefault, Map.copyOf(vnets));
        }

        /** Whether the host zone ({@code host-in}/{@code host-out}) is filtered. */
        public boolean hostZone() { return bool(host.options().get("enable"), hostByDefault); }
    }

    /** The ruleset and the problems found (skipped rules, unknown references). */
    public record Output(List<Nft.Table> tables, List<String> warnings) {
        public String text() { return Nft.render(tables); }

        public Nft.Table table(String family) {
            for (Nft.Table t : tables) if (t.family().equals(family)) return t;
            return null;
        }
    }

    /** PVE's management ports: API, VNC consoles, SPICE proxy, SSH, migration. */
    static final List<FwSyntax.PortRange> MANAGEMENT_PORTS = List.of(new FwSyntax.PortRange(8006, 8006),
            new FwSyntax.PortRange(5900, 5999), new FwSyntax.PortRange(3128, 3128), new FwSyntax.PortRange(22, 22),
            new FwSyntax.PortRange(60000, 60050));

    private static final List<String> NDP_IN = List.of("nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert");
    private static final List<String> NDP_OUT = List.of("nd-router-solicit", "nd-neighbor-solicit", "nd-neighbor-advert");
    private static final String REJECT_CHAIN = "do-reject";

    /**
     * Marks of the packets the host sends or routes out through a bridge with filtered guest ports: their connection
     * state, put there by the inet output and forward hooks for the bridge output hook, which evaluates the guest's
     * {@code -in} chain and has no connection tracking of its own. The upper half (0xffff) is no guest port's.
     */
    static final long HOST_NEW = 0xffff0000L, HOST_ESTABLISHED = 0xffff0001L, HOST_INVALID = 0xffff0002L;

    /**
     * The mark bit of bridged packets, set in the bridge forward hook: the guest port a packet goes to is in bits
     * 0-14, the one it came from in bits 16-30.
     */
    static final long BRIDGED = 0x8000L;

    private final Input in;
    private final java.util.Set<String> warnings = new java.util.LinkedHashSet<>();
    private final Map<String, Nft.Set> inetSets = new TreeMap<>();
    private final Map<String, Nft.Set> bridgeSets = new TreeMap<>();
    private final List<Nft.Chain> inetChains = new ArrayList<>();
    private final Map<String, String> dcAliases = new LinkedHashMap<>();
    private final Nft.Limit logLimit;
    private boolean usesSmurfs;
    private boolean usesTcpflags;

    private FwCompiler(Input in) {
        this.in = in;
        for (FwFile.Alias a : in.cluster().aliases()) dcAliases.put(a.name().toLowerCase(Locale.ROOT), a.cidr());
        if (!dcAliases.containsKey("local_network") && in.localNetwork() != null) dcAliases.put("local_network", in.localNetwork());
        logLimit = rateLimit(in.cluster().options().get("log_ratelimit"));
    }

    /**
     * The connection-tracking settings of {@code host.fw} as kernel settings, as PVE's firewall sets them while it
     * is enabled: {@code nf_conntrack_max} (at least 262144; a larger value rounded up to a multiple of 8192),
     * {@code nf_conntrack_tcp_timeout_established} (default 432000 s) and {@code …_syn_recv} (default 60 s).
     * Empty when the firewall is off.
     */
    public static Map<String, String> sysctls(Input in) {
        Map<String, String> out = new LinkedHashMap<>();
        if (parseInt(in.cluster().options().get("enable"), 0) <= 0) return out;
        if (!in.hostByDefault() && !in.hostZone()) return out;
        Map<String, String> h = in.host().options();
        long max = 262144;
        long want = parseInt(h.get("nf_conntrack_max"), 0);
        if (want > max) max = (want + 8191) / 8192 * 8192;
        out.put("net.netfilter.nf_conntrack_max", Long.toString(max));
        out.put("net.netfilter.nf_conntrack_tcp_timeout_established", Integer.toString(parseInt(h.get("nf_conntrack_tcp_timeout_established"), 432000)));
        out.put("net.netfilter.nf_conntrack_tcp_timeout_syn_recv", Integer.toString(parseInt(h.get("nf_conntrack_tcp_timeout_syn_recv"), 60)));
        return out;
    }

    /** Compile. Never throws for bad configuration: bad rules are left out and reported as warnings. */
    public static Output compile(Input in) {
        return new FwCompiler(in).run();
    }

    private Output run() {
        Map<String, String> copt = in.cluster().options();
        boolean enabled = parseInt(copt.get("enable"), 0) > 0;
        if (!enabled) {
            return new Output(List.of(new Nft.Table("inet", TABLE, List.of(), List.of()),
                    new Nft.Table("bridge", TABLE, List.of(), List.of())), List.of());
        }
        for (FwFile.Error e : in.cluster().errors()) warnings.add("cluster.fw " + e);
        for (FwFile.Error e : in.host().errors()) warnings.add("host.fw " + e);
        inetChains.add(new Nft.Chain(REJECT_CHAIN, null, List.of(
                new Nft.Rule(List.of(new Nft.L4Proto(6)), new Nft.Reject(true)),
                new Nft.Rule(List.of(), new Nft.Reject(false)))));

        // guest ports
        List<Nft.Rule> bridgePre = new ArrayList<>();
        List<Nft.Rule> bridgeFwd = new ArrayList<>();
        List<Nft.Rule> bridgeOut = new ArrayList<>();
        List<Nft.Chain> fromHost = new ArrayList<>();
        java.util.Set<String> bridges = new java.util.TreeSet<>();
        Map<Long, String> outJumps = new TreeMap<>();
        Map<Long, String> inJumps = new TreeMap<>();
        long id = 0;
        List<Guest> guests = new ArrayList<>(in.guests());
        guests.sort(java.util.Comparator.comparingInt(Guest::vmid));
        for (Guest g : guests) {
            for (FwFile.Error e : g.fw().errors()) warnings.add(g.vmid() + ".fw " + e);
            Map<String, String> gopt = g.fw().options();
            if (!bool(gopt.get("enable"), false)) continue;
            List<Nic> nics = new ArrayList<>(g.nics());
            nics.sort(java.util.Comparator.comparingInt(Nic::index));
            for (Nic nic : nics) {
                if (!nic.firewall()) continue;
                id++;
                String port = g.port(nic);
                String base = "g" + g.vmid() + "-net" + nic.index();
                bridgePre.add(new Nft.Rule(List.of(new Nft.IfName(false, false, port)), List.of(new Nft.SetMark(0, id << 16)), Nft.CONTINUE, null));
                bridgeFwd.add(new Nft.Rule(List.of(new Nft.IfName(true, false, port)), List.of(new Nft.SetMark(0xffff0000L, id)), Nft.CONTINUE, null));
                portFilters(bridgePre, g, nic, port, gopt);
                outJumps.put(id << 16, base + "-out");
                inJumps.put(id, base + "-in");
                inetChains.add(guestChain(g, nic, base + "-out", false, gopt));
                Nft.Chain guestIn = guestChain(g, nic, base + "-in", true, gopt);
                inetChains.add(guestIn);
                fromHost.add(fromHost(guestIn));
                for (int v : new int[]{4, 6})
                    bridgeOut.add(new Nft.Rule(List.of(new Nft.IfName(true, false, port), new Nft.EtherType(v)), new Nft.Jump(guestIn.name())));
                if (nic.bridge() != null) bridges.add(nic.bridge());
            }
        }

        Map<String, String> hopt = in.host().options();
        List<Nft.Rule> input = new ArrayList<>();
        List<Nft.Rule> forward = new ArrayList<>();
        List<Nft.Rule> output = new ArrayList<>();
        if (!outJumps.isEmpty()) {
            input.add(new Nft.Rule(List.of(), List.of(), new Nft.MarkVmap(0xffff0000L, outJumps), null));
            forward.add(new Nft.Rule(List.of(), List.of(), new Nft.MarkVmap(0xffff0000L, outJumps), null));
        }
        boolean vnets = vnetChains(forward);
        if (!inJumps.isEmpty()) forward.add(new Nft.Rule(List.of(), List.of(), new Nft.MarkVmap(0x7fffL, inJumps), null));
        boolean routed = in.hostZone() && forwardZone(copt, hopt);
        if (routed) forward.add(new Nft.Rule(List.of(new Nft.MarkEq(BRIDGED, BRIDGED)), List.of(), Nft.ACCEPT, "bridged"));
        if (routed || vnets) bridgeFwd.add(new Nft.Rule(List.of(), List.of(new Nft.SetMark(0xffffffffL, BRIDGED)), Nft.CONTINUE, null));
        for (String b : bridges) {
            markState(forward, b);
            markState(output, b);
        }
        if (routed) {
            inetChains.add(hostForward(copt, hopt));
            forward.add(new Nft.Rule(List.of(), new Nft.Jump("host-forward")));
        }
        if (in.hostZone()) {
            inetChains.add(hostIn(copt, hopt));
            inetChains.add(hostOut(copt, hopt));
            input.add(new Nft.Rule(List.of(), new Nft.Jump("host-in")));
            output.add(new Nft.Rule(List.of(), new Nft.Jump("host-out")));
        }
        if (usesSmurfs) addSmurfChains(hopt);
        if (usesTcpflags) addTcpflagsChains(hopt);
        inetChains.add(new Nft.Chain("input", new Nft.Hook("input", "filter"), input));
        inetChains.add(new Nft.Chain("forward", new Nft.Hook("forward", "filter"), forward));
        inetChains.add(new Nft.Chain("output", new Nft.Hook("output", "filter"), output));

        List<Nft.CtHelper> helpers = new ArrayList<>();
        List<Nft.Rule> prerouting = new ArrayList<>();
        conntrackHelpers(hopt.get("nf_conntrack_helpers"), helpers, prerouting);
        if (!prerouting.isEmpty()) inetChains.add(new Nft.Chain("prerouting", new Nft.Hook("prerouting", "filter"), prerouting));

        List<Nft.Chain> bridgeChains = new ArrayList<>();
        if (bridgePre.isEmpty() && !bridgeFwd.isEmpty()) bridgeChains.add(new Nft.Chain("forward", new Nft.Hook("forward", "filter"), bridgeFwd));
        if (!bridgePre.isEmpty()) {
            bridgeChains.add(new Nft.Chain("prerouting", new Nft.Hook("prerouting", "filter"), bridgePre));
            bridgeChains.add(new Nft.Chain("forward", new Nft.Hook("forward", "filter"), bridgeFwd));
            bridgeChains.add(new Nft.Chain("output", new Nft.Hook("output", "filter"), bridgeOut));
            bridgeChains.addAll(fromHost);
            for (Nft.Chain c : fromHost)
                for (Nft.Rule r : c.rules())
                    for (Match m : r.matches())
                        if (m instanceof Addr a && a.set() != null) bridgeSets.putIfAbsent(a.set(), inetSets.get(a.set()));
        }
        return new Output(List.of(new Nft.Table("inet", TABLE, List.copyOf(inetSets.values()), helpers, List.copyOf(inetChains)),
                new Nft.Table("bridge", TABLE, List.copyOf(bridgeSets.values()), bridgeChains)), List.copyOf(warnings));
    }

    /** A connection-tracking helper of PVE's list: the protocol and port it follows, and whether IPv6 has it. */
    private record Helper(String protocol, int port, boolean v6) {}

    private static final Map<String, Helper> HELPERS = Map.of(
            "amanda", new Helper("udp", 10080, true), "ftp", new Helper("tcp", 21, true), "irc", new Helper("tcp", 6667, false),
            "netbios-ns", new Helper("udp", 137, false), "pptp", new Helper("tcp", 1723, false), "sane", new Helper("tcp", 6566, true),
            "sip", new Helper("udp", 5060, true), "snmp", new Helper("udp", 161, false), "tftp", new Helper("udp", 69, true));

    /**
     * {@code nf_conntrack_helpers} of host.fw: each named helper follows new connections to its port (PVE's raw
     * {@code -j CT --helper} rules), so that the related connections it announces (FTP data, TFTP transfers, …)
     * are let in by the established/related rules.
     */
    private void conntrackHelpers(String option, List<Nft.CtHelper> objects, List<Nft.Rule> rules) {
        if (option == null || option.isBlank()) return;
        for (String name : new java.util.TreeSet<>(List.of(option.split(",")))) {
            Helper h = HELPERS.get(name.strip());
            if (h == null) continue;
            String obj = "helper-" + name.strip();
            objects.add(new Nft.CtHelper(obj, name.strip(), h.protocol()));
            List<Match> m = new ArrayList<>();
            if (!h.v6()) m.add(new Nft.NfProto(4));
            m.add(new Nft.L4Proto(h.protocol().equals("tcp") ? 6 : 17));
            m.add(new Nft.Ports(true, List.of(new FwSyntax.PortRange(h.port(), h.port()))));
            rules.add(new Nft.Rule(m, List.of(new Nft.SetHelper(obj)), Nft.CONTINUE, null));
        }
    }

    // ---- host zone ----

    private Nft.Chain hostIn(Map<String, String> copt, Map<String, String> hopt) {
        List<Nft.Rule> r = new ArrayList<>();
        r.add(new Nft.Rule(List.of(new Nft.IfName(false, false, "lo")), Nft.ACCEPT));
        connFilters(r, hopt, Nft.ACCEPT);
        synflood(r, hopt);
        if (bool(hopt.get("ndp"), true)) r.add(new Nft.Rule(List.of(new Nft.IcmpType(6, NDP_IN)), Nft.ACCEPT));
        inputFilters(r, hopt.getOrDefault("log_level_in", "nolog"), bool(hopt.get("nosmurfs"), true), bool(hopt.get("tcpflags"), false), "0", "host-in");
        r.add(new Nft.Rule(List.of(new Nft.L4Proto(2)), Nft.ACCEPT));
        membersRule(r, true);
        Scope scope = new Scope(null, 0, "host-in", hopt.getOrDefault("log_level_in", "nolog"));
        for (FwRule rule : concat(in.host().rules(), in.cluster().rules())) rule(r, rule, scope, true, Nft.ACCEPT, null);
        for (int v : new int[]{4, 6}) {
            List<Match> mgmt = new ArrayList<>(setMatch(v, true, dcSet("management")));
            mgmt.add(new Nft.L4Proto(6));
            mgmt.add(new Nft.Ports(true, MANAGEMENT_PORTS));
            r.add(new Nft.Rule(mgmt, List.of(), Nft.ACCEPT, "management"));
        }
        String ln = dcAliases.get("local_network");
        if (ln != null) {
            IpNet net = IpNet.parse(ln);
            String cidr = cidr(net);
            r.add(new Nft.Rule(List.of(new Addr(net.version(), true, false, List.of(cidr), null),
                    new Addr(net.version(), false, false, List.of(cidr), null), new Nft.L4Proto(17),
                    new Nft.Ports(true, List.of(new FwSyntax.PortRange(5404, 5405)))), List.of(), Nft.ACCEPT, "corosync"));
        }
        policy(r, copt.getOrDefault("policy_in", "DROP"), hopt.getOrDefault("log_level_in", "nolog"), "0", "host-in", Nft.ACCEPT);
        return new Nft.Chain("host-in", null, r);
    }

    private Nft.Chain hostOut(Map<String, String> copt, Map<String, String> hopt) {
        List<Nft.Rule> r = new ArrayList<>();
        r.add(new Nft.Rule(List.of(new Nft.IfName(true, false, "lo")), Nft.ACCEPT));
        connFilters(r, hopt, Nft.ACCEPT);
        r.add(new Nft.Rule(List.of(new Nft.L4Proto(2)), Nft.ACCEPT));
        membersRule(r, false);
        Scope scope = new Scope(null, 0, "host-out", hopt.getOrDefault("log_level_out", "nolog"));
        for (FwRule rule : concat(in.host().rules(), in.cluster().rules())) rule(r, rule, scope, false, Nft.ACCEPT, null);
        String ln = dcAliases.get("local_network");
        if (ln != null) {
            IpNet net = IpNet.parse(ln);
            r.add(new Nft.Rule(List.of(new Addr(net.version(), false, false, List.of(cidr(net)), null), new Nft.L4Proto(17),
                    new Nft.Ports(true, List.of(new FwSyntax.PortRange(5404, 5405)))), List.of(), Nft.ACCEPT, "corosync"));
        }
        policy(r, copt.getOrDefault("policy_out", "ACCEPT"), hopt.getOrDefault("log_level_out", "nolog"), "0", "host-out", Nft.ACCEPT);
        return new Nft.Chain("host-out", null, r);
    }

    /**
     * Whether the host filters what it routes: a {@code forward} rule in {@code host.fw} or {@code cluster.fw}
     * (directly or in a security group they use), a {@code policy_forward} of DROP or a {@code log_level_forward}.
     */
    private boolean forwardZone(Map<String, String> copt, Map<String, String> hopt) {
        if ("DROP".equals(copt.get("policy_forward"))) return true;
        if (!"nolog".equals(hopt.getOrDefault("log_level_forward", "nolog"))) return true;
        for (FwRule r : concat(in.host().rules(), in.cluster().rules())) if (hasForward(r)) return true;
        return false;
    }

    private boolean hasForward(FwRule r) {
        if (!r.enable()) return false;
        if (r.type().equals("forward")) return true;
        if (!r.type().equals("group") || !in.cluster().hasGroup(r.action())) return false;
        for (FwRule g : in.cluster().groupRules(r.action())) if (g.enable() && g.type().equals("forward")) return true;
        return false;
    }

    /** What the host routes: the {@code forward} rules of host.fw, then of cluster.fw, then the cluster's {@code policy_forward}. */
    private Nft.Chain hostForward(Map<String, String> copt, Map<String, String> hopt) {
        List<Nft.Rule> r = new ArrayList<>();
        String level = hopt.getOrDefault("log_level_forward", "nolog");
        connFilters(r, hopt, Nft.ACCEPT);
        Scope scope = new Scope(null, 0, "host-forward", level);
        for (FwRule rule : concat(in.host().rules(), in.cluster().rules())) rule(r, rule, scope, "forward", Nft.ACCEPT, null);
        policy(r, copt.getOrDefault("policy_forward", "ACCEPT"), level, "0", "host-forward", Nft.ACCEPT);
        return new Nft.Chain("host-forward", null, r);
    }

    /**
     * The chains of the vnets whose firewall is on, and their entries in the inet forward hook for what is bridged
     * through the vnet's bridge. An accepting rule returns, so the receiving guest's {@code -in} chain still applies.
     * True when there is one.
     */
    private boolean vnetChains(List<Nft.Rule> forward) {
        boolean any = false;
        for (Map.Entry<String, FwFile> e : new TreeMap<>(in.vnets()).entrySet()) {
            FwFile fw = e.getValue();
            for (FwFile.Error err : fw.errors()) warnings.add("vnet " + e.getKey() + ".fw " + err);
            Map<String, String> opt = fw.options();
            if (!bool(opt.get("enable"), false)) continue;
            String chain = "vnet-" + e.getKey() + "-forward";
            String level = opt.getOrDefault("log_level_forward", "nolog");
            List<Nft.Rule> r = new ArrayList<>();
            connFilters(r, in.host().options(), Nft.RETURN);
            Scope scope = new Scope(null, 0, chain, level);
            for (FwRule rule : fw.rules()) rule(r, rule, scope, "forward", Nft.RETURN, null);
            policy(r, opt.getOrDefault("policy_forward", "ACCEPT"), level, "0", chain, Nft.RETURN);
            inetChains.add(new Nft.Chain(chain, null, r));
            forward.add(new Nft.Rule(List.of(new Nft.MarkEq(BRIDGED, BRIDGED), new Nft.IfName(false, false, e.getKey()),
                    new Nft.IfName(true, false, e.getKey())), new Nft.Jump(chain)));
            any = true;
        }
        return any;
    }

    /** Traffic between cluster members is always allowed, before user rules, so that no rule can cut the cluster. */
    private void membersRule(List<Nft.Rule> r, boolean src) {
        Map<Integer, List<String>> byVersion = new TreeMap<>();
        for (String m : in.members()) {
            try {
                IpNet n = IpNet.parse(m);
                byVersion.computeIfAbsent(n.version(), k -> new ArrayList<>()).add(cidr(n));
            } catch (IllegalArgumentException e) {
                warnings.add("cluster member address '" + m + "' is not an IP address");
            }
        }
        for (var e : byVersion.entrySet()) {
            String name = "cluster-members-v" + e.getKey();
            inetSets.put(name, new Nft.Set(name, e.getKey(), e.getValue()));
            r.add(new Nft.Rule(List.of(new Addr(e.getKey(), src, false, null, name)), List.of(), Nft.ACCEPT, "cluster members"));
        }
    }

    /**
     * {@code protection_synflood}: new TCP connections (SYN alone) from a source faster than
     * {@code protection_synflood_rate} per second (default 200) beyond a burst of {@code protection_synflood_burst}
     * (default 1000) are dropped, counted per source address.
     */
    private void synflood(List<Nft.Rule> r, Map<String, String> hopt) {
        if (!bool(hopt.get("protection_synflood"), false)) return;
        long rate = parseInt(hopt.get("protection_synflood_rate"), 200);
        long burst = parseInt(hopt.get("protection_synflood_burst"), 1000);
        for (int v : new int[]{4, 6}) {
            String set = "synflood-v" + v;
            inetSets.put(set, new Nft.Set(set, v, List.of(), true));
            r.add(new Nft.Rule(List.of(new Nft.NfProto(v), new Nft.L4Proto(6), new Nft.TcpFlags("fin|syn|rst|ack", "syn"),
                    new Nft.OverRate(v, set, rate, burst)), List.of(), Nft.DROP, "synflood"));
        }
    }

    private void connFilters(List<Nft.Rule> r, Map<String, String> opt, Verdict accept) {
        if (!bool(opt.get("nf_conntrack_allow_invalid"), false)) r.add(new Nft.Rule(List.of(new Nft.CtState(List.of("invalid"))), Nft.DROP));
        r.add(new Nft.Rule(List.of(new Nft.CtState(List.of("established", "related"))), accept));
    }

    private void inputFilters(List<Nft.Rule> r, String level, boolean nosmurfs, boolean tcpflags, String vmid, String chain) {
        if (in.cluster().hasIpset("blacklist")) {
            for (int v : new int[]{4, 6}) {
                List<Match> m = setMatch(v, true, dcSet("blacklist"));
                if (!"nolog".equals(level)) r.add(new Nft.Rule(withLimit(m), List.of(log(vmid, level, chain, "DROP")), Nft.CONTINUE, null));
                r.add(new Nft.Rule(m, List.of(), Nft.DROP, "blacklist"));
            }
        }
        if (nosmurfs) {
            usesSmurfs = true;
            r.add(new Nft.Rule(List.of(new Nft.NfProto(4), new Nft.CtState(List.of("new", "invalid"))), new Nft.Jump("smurfs")));
        }
        if (tcpflags) {
            usesTcpflags = true;
            r.add(new Nft.Rule(List.of(new Nft.L4Proto(6)), new Nft.Jump("tcpflags")));
        }
    }

    private void addSmurfChains(Map<String, String> hopt) {
        inetChains.add(new Nft.Chain("smurfs", null, List.of(
                new Nft.Rule(List.of(new Addr(4, true, false, List.of("0.0.0.0"), null)), Nft.RETURN),
                new Nft.Rule(List.of(new Nft.FibSaddrBroadcast()), new Nft.Goto("smurflog")),
                new Nft.Rule(List.of(new Addr(4, true, false, List.of("224.0.0.0/4"), null)), new Nft.Goto("smurflog")))));
        inetChains.add(new Nft.Chain("smurflog", null, logThenDrop(hopt.getOrDefault("smurf_log_level", "nolog"), "smurfs")));
    }

    private void addTcpflagsChains(Map<String, String> hopt) {
        String all = "fin|syn|rst|psh|ack|urg";
        List<Nft.Rule> r = new ArrayList<>();
        for (String[] f : new String[][]{{all, "fin|psh|urg"}, {"fin|syn", "fin|syn"}, {"syn|rst", "syn|rst"}, {"fin|rst", "fin|rst"}, {"fin|ack", "fin"}})
            r.add(new Nft.Rule(List.of(new Nft.TcpFlags(f[0], f[1])), new Nft.Goto("logflags")));
        r.add(new Nft.Rule(List.of(new Nft.Ports(false, List.of(new FwSyntax.PortRange(0, 0))), new Nft.TcpFlags("fin|syn|rst|ack", "syn")), new Nft.Goto("logflags")));
        inetChains.add(new Nft.Chain("tcpflags", null, r));
        inetChains.add(new Nft.Chain("logflags", null, logThenDrop(hopt.getOrDefault("tcp_flags_log_level", "nolog"), "logflags")));
    }

    private List<Nft.Rule> logThenDrop(String level, String chain) {
        List<Nft.Rule> r = new ArrayList<>();
        if (!"nolog".equals(level)) r.add(new Nft.Rule(withLimit(List.of()), List.of(log("0", level, chain, "DROP")), Nft.CONTINUE, null));
        r.add(new Nft.Rule(List.of(), Nft.DROP));
        return r;
    }

    private void policy(List<Nft.Rule> r, String policy, String level, String vmid, String chain, Verdict accept) {
        if (!"nolog".equals(level)) r.add(new Nft.Rule(withLimit(List.of()), List.of(log(vmid, level, chain, "policy " + policy)), Nft.CONTINUE, null));
        r.add(new Nft.Rule(List.of(), List.of(), verdict(policy, accept), "policy " + policy));
    }

    // ---- guest zone ----

    /**
     * Rules that put the connection state of what leaves through {@code bridge} from the host or routed by it
     * into the mark ({@link #HOST_NEW}, …) for the guest chains of the bridge output hook. In the forward hook
     * they come after the guest chains, so bridged guest traffic is decided before.
     */
    private static void markState(List<Nft.Rule> r, String bridge) {
        Nft.IfName oif = new Nft.IfName(true, false, bridge);
        r.add(new Nft.Rule(List.of(oif), List.of(new Nft.SetMark(0, HOST_NEW)), Nft.CONTINUE, null));
        r.add(new Nft.Rule(List.of(oif, new Nft.CtState(List.of("established", "related"))), List.of(new Nft.SetMark(0, HOST_ESTABLISHED)), Nft.CONTINUE, null));
        r.add(new Nft.Rule(List.of(oif, new Nft.CtState(List.of("invalid"))), List.of(new Nft.SetMark(0, HOST_INVALID)), Nft.CONTINUE, null));
    }

    /**
     * A guest's {@code -in} chain for the bridge output hook, which sees what the host sends (or routes) to the
     * guest's port: such packets never reach the inet forward hook. PVE applies the guest's IN rules to them, so
     * this is the same chain with the frame's ether type for {@code nfproto}, the connection state from the mark
     * ({@link #markState}) for {@code ct state}, DROP for REJECT and without the smurf check (whose {@code fib}
     * lookup the bridge family lacks; the host's own source is never a broadcast address).
     *
     * <p>Why DROP: the kernel's bridge {@code reject} ({@code nft_reject_bridge}) is valid only in the prerouting,
     * input and forward hooks, and the kernel these nodes run has none at all (a bridge {@code reject} fails to
     * load with "No such file or directory" in every hook); nor can the bridge hook leave the decision to an inet
     * hook where {@code reject} exists: the host's packet has passed the inet output and postrouting hooks before the
     * bridge picks the port (they see only {@code vmbr0}), the skb's mark ends with it, and a {@code ct mark} that
     * a retransmission could carry back to the inet output hook needs connection tracking in the bridge family
     * ({@code ct} there fails with "Protocol error" without {@code nf_conntrack_bridge}). PVE gets the port in the
     * inet forward hook instead, because each filtered tap sits on a firewall bridge of its own ({@code fwbr}) behind
     * a veth pair, so what the host sends is forwarded, not sent, into the tap; Haven's guest NICs are plugged
     * straight into the bridge.
     */
    private static Nft.Chain fromHost(Nft.Chain c) {
        List<Nft.Rule> out = new ArrayList<>();
        for (Nft.Rule r : c.rules()) {
            if (r.verdict() instanceof Nft.Jump j && j.chain().equals("smurfs")) continue;
            List<Match> m = new ArrayList<>();
            for (Match x : r.matches()) m.add(switch (x) {
                case Nft.NfProto n -> new Nft.EtherType(n.version());
                case Nft.CtState st -> new Nft.MarkEq(0xffffffffL, st.states().contains("established") ? HOST_ESTABLISHED
                        : st.states().equals(List.of("invalid")) ? HOST_INVALID : illegal("ct state " + st.states()));
                default -> x;
            });
            Verdict v = r.verdict() instanceof Nft.Goto g && g.chain().equals(REJECT_CHAIN) ? Nft.DROP : r.verdict();
            out.add(new Nft.Rule(m, r.stmts(), v, r.comment()));
        }
        return new Nft.Chain(c.name(), null, out);
    }

    private static long illegal(String what) { throw new IllegalStateException("no bridge form for " + what); }

    private void portFilters(List<Nft.Rule> pre, Guest g, Nic nic, String port, Map<String, String> gopt) {
        Nft.IfName iif = new Nft.IfName(false, false, port);
        if (bool(gopt.get("macfilter"), true) && nic.mac() != null)
            pre.add(new Nft.Rule(List.of(iif, new Nft.EtherSaddr(true, nic.mac().toLowerCase(Locale.ROOT))), List.of(), Nft.DROP, "macfilter"));
        String setName = "ipfilter-net" + nic.index();
        boolean has = g.fw().hasIpset(setName);
        if (!has && !bool(gopt.get("ipfilter"), false)) return;
        Map<Integer, List<String>> elems = new TreeMap<>();
        elems.put(4, new ArrayList<>(List.of("0.0.0.0")));
        elems.put(6, new ArrayList<>(List.of("::")));
        if (nic.mac() != null) elems.get(6).add(linkLocal(nic.mac()));
        for (String ip : nic.ips()) addElem(elems, ip.replaceFirst("/.*", ""), "net" + nic.index() + " ip");
        if (has) collectSet(elems, g.fw().ipset(setName), new Scope(g, g.vmid(), "", "nolog"), "ipset " + setName);
        String base = "g" + g.vmid() + "-" + setName;
        for (int v : new int[]{4, 6}) {
            String n = base + "-v" + v;
            bridgeSets.put(n, new Nft.Set(n, v, elems.get(v)));
            pre.add(new Nft.Rule(List.of(iif, new Addr(v, true, true, null, n)), List.of(), Nft.DROP, "ipfilter"));
        }
        pre.add(new Nft.Rule(List.of(iif, new Nft.ArpSaddr(true, base + "-v4")), List.of(), Nft.DROP, "ipfilter"));
    }

    private Nft.Chain guestChain(Guest g, Nic nic, String chain, boolean incoming, Map<String, String> gopt) {
        List<Nft.Rule> r = new ArrayList<>();
        Verdict accept = incoming ? Nft.ACCEPT : Nft.RETURN;
        String vmid = Integer.toString(g.vmid());
        String level = gopt.getOrDefault(incoming ? "log_level_in" : "log_level_out", "nolog");
        if (bool(gopt.get("dhcp"), true)) {
            int[][] ports = incoming ? new int[][]{{4, 67, 68}, {6, 547, 546}} : new int[][]{{4, 68, 67}, {6, 546, 547}};
            for (int[] p : ports)
                r.add(new Nft.Rule(List.of(new Nft.NfProto(p[0]), new Nft.L4Proto(17), new Nft.Ports(false, List.of(new FwSyntax.PortRange(p[1], p[1]))),
                        new Nft.Ports(true, List.of(new FwSyntax.PortRange(p[2], p[2])))), List.of(), accept, "dhcp"));
        }
        connFilters(r, Map.of(), accept);
        if (!incoming && !bool(gopt.get("radv"), false)) r.add(new Nft.Rule(List.of(new Nft.IcmpType(6, List.of("nd-router-advert"))), Nft.DROP));
        if (bool(gopt.get("ndp"), true)) r.add(new Nft.Rule(List.of(new Nft.IcmpType(6, incoming ? NDP_IN : NDP_OUT)), accept));
        if (incoming) inputFilters(r, level, true, false, vmid, chain);
        Scope scope = new Scope(g, g.vmid(), chain, level);
        for (FwRule rule : g.fw().rules()) rule(r, rule, scope, incoming, accept, "net" + nic.index());
        policy(r, gopt.getOrDefault(incoming ? "policy_in" : "policy_out", incoming ? "DROP" : "ACCEPT"), level, vmid, chain, accept);
        return new Nft.Chain(chain, null, r);
    }

    // ---- rules ----

    /** Where a rule is compiled: the guest (null for the host), for logging the vmid, chain and default log level. */
    private record Scope(Guest guest, int vmid, String chain, String level) {
        /** Where the rules come from, for warnings: the guest, the vnet ({@code vnet-<vnet>-forward}) or the host. */
        String where() {
            if (guest != null) return "VM " + vmid;
            if (chain.startsWith("vnet-") && chain.endsWith("-forward")) return "vnet " + chain.substring(5, chain.length() - 8);
            return "host";
        }
    }

    private void rule(List<Nft.Rule> out, FwRule r, Scope s, boolean incoming, Verdict accept, String nic) {
        rule(out, r, s, incoming ? "in" : "out", accept, nic);
    }

    /** Compile rule {@code r} where it applies to direction {@code dir} ({@code in}, {@code out} or {@code forward}). */
    private void rule(List<Nft.Rule> out, FwRule r, Scope s, String dir, Verdict accept, String nic) {
        boolean incoming = !dir.equals("out");
        if (!r.enable()) return;
        String where = s.where();
        if (r.type().equals("group")) {
            if (!in.cluster().hasGroup(r.action())) { warnings.add(where + ": no such security group '" + r.action() + "'"); return; }
            if (r.iface() != null && nic != null && !r.iface().equals(nic)) return;
            for (FwRule gr : in.cluster().groupRules(r.action())) {
                if (gr.type().equals("group")) continue;
                FwRule eff = gr.iface() == null && r.iface() != null ? gr.withIface(r.iface()) : gr;
                rule(out, eff, s, dir, accept, nic);
            }
            return;
        }
        if (!r.type().equals(dir)) return;
        Map<String, String> errs = r.errors(s.guest() != null);
        if (!errs.isEmpty()) { warnings.add(where + ": skipped rule '" + r.format() + "': " + errs); return; }
        if (nic != null && r.iface() != null && !r.iface().equals(nic)) return;
        List<FwRule> parts = new ArrayList<>();
        if (r.macro() != null) {
            for (Macros.Part p : Macros.get(r.macro()).parts())
                parts.add(r.withProto(or(p.proto(), r.proto())).withDport(or(p.dport(), r.dport())).withSport(or(p.sport(), r.sport()))
                        .withSource(or(p.source(), r.source())).withDest(or(p.dest(), r.dest())).withIcmpType(or(p.icmpType(), r.icmpType())));
        } else parts.add(r);
        for (FwRule p : parts) {
            try {
                part(out, p, s, incoming, accept, nic == null);
            } catch (IllegalArgumentException e) {
                warnings.add(where + ": skipped rule '" + r.format() + "': " + e.getMessage());
                return;
            }
        }
    }

    private static String or(String a, String b) { return a != null ? a : b; }

    private void part(List<Nft.Rule> out, FwRule r, Scope s, boolean incoming, Verdict accept, boolean host) {
        Map<Integer, List<Match>> src = r.source() == null ? null : addr(r.source(), true, s);
        Map<Integer, List<Match>> dst = r.dest() == null ? null : addr(r.dest(), false, s);
        List<Integer> versions = new ArrayList<>();
        int fixed = 0;
        if (r.proto() != null) {
            int pn = FwSyntax.protocolNumber(r.proto());
            if (pn == 1) fixed = 4;
            if (pn == 58) fixed = 6;
        }
        if (src == null && dst == null && fixed == 0) versions.add(0);
        else for (int v : new int[]{4, 6}) {
            if (fixed != 0 && v != fixed) continue;
            if (src != null && !src.containsKey(v)) continue;
            if (dst != null && !dst.containsKey(v)) continue;
            versions.add(v);
        }
        String level = r.log() != null ? r.log() : "nolog";
        for (int v : versions) {
            List<Match> m = new ArrayList<>();
            if (host && r.iface() != null) m.add(new Nft.IfName(!incoming, false, r.iface()));
            if (v != 0) m.add(new Nft.NfProto(v));
            if (src != null) m.addAll(src.get(v));
            if (dst != null) m.addAll(dst.get(v));
            if (r.proto() != null) {
                int pn = FwSyntax.protocolNumber(r.proto());
                m.add(new Nft.L4Proto(pn));
                if (r.dport() != null) m.add(new Nft.Ports(true, FwSyntax.parsePorts(r.dport())));
                if (r.sport() != null) m.add(new Nft.Ports(false, FwSyntax.parsePorts(r.sport())));
                if (r.icmpType() != null) m.add(new Nft.IcmpType(pn == 1 ? 4 : 6, List.of(r.icmpType())));
            }
            if (!"nolog".equals(level)) out.add(new Nft.Rule(withLimit(m), List.of(log(Integer.toString(s.vmid()), level, s.chain(), r.action())), Nft.CONTINUE, null));
            out.add(new Nft.Rule(m, List.of(), verdict(r.action(), accept), r.comment()));
        }
    }

    private Verdict verdict(String action, Verdict accept) {
        return switch (action) {
            case "ACCEPT" -> accept;
            case "DROP" -> Nft.DROP;
            default -> new Nft.Goto(REJECT_CHAIN);
        };
    }

    /** Address matches per IP version of a {@code source}/{@code dest} value; a version missing from the map cannot match. */
    private Map<Integer, List<Match>> addr(String spec, boolean src, Scope s) {
        Map<Integer, List<Match>> out = new TreeMap<>();
        List<FwSyntax.Addr> list = FwSyntax.parseAddressList(spec);
        if (list.get(0) instanceof FwSyntax.Ref ref) {
            if (ref.ipset()) {
                SetRef set = resolveSet(ref, s);
                for (int v : new int[]{4, 6}) out.put(v, setMatch(v, src, set));
            } else {
                IpNet n = resolveAlias(ref, s);
                out.put(n.version(), List.of(new Addr(n.version(), src, false, List.of(cidr(n)), null)));
            }
            return out;
        }
        int v = FwSyntax.ipVersion(list);
        List<String> elems = new ArrayList<>();
        for (FwSyntax.Addr a : list) elems.add(element(a));
        out.put(v, List.of(new Addr(v, src, false, elems, null)));
        return out;
    }

    private static String element(FwSyntax.Addr a) {
        return switch (a) {
            case FwSyntax.Net n -> cidr(n.net());
            case FwSyntax.Range r -> r.from() + "-" + r.to();
            case FwSyntax.Ref r -> throw new IllegalStateException();
        };
    }

    /** An nft set pair (base name; {@code -v4}/{@code -v6}, and {@code -v4-nm}/{@code -v6-nm} for nomatch entries). */
    private record SetRef(String base, boolean v4nomatch, boolean v6nomatch) {}

    private List<Match> setMatch(int v, boolean src, SetRef set) {
        List<Match> m = new ArrayList<>();
        m.add(new Addr(v, src, false, null, set.base() + "-v" + v));
        if (v == 4 ? set.v4nomatch() : set.v6nomatch()) m.add(new Addr(v, src, true, null, set.base() + "-v" + v + "-nm"));
        return m;
    }

    private SetRef resolveSet(FwSyntax.Ref ref, Scope s) {
        String name = ref.name();
        boolean guestScope = s.guest() != null && !"dc".equals(ref.scope()) && s.guest().fw().hasIpset(name);
        if ("guest".equals(ref.scope()) && !guestScope) throw new IllegalArgumentException("no such ipset '" + name + "'");
        if (guestScope) return defineSet("g" + s.vmid() + "-" + name, s.guest().fw().ipset(name), s);
        if (!in.cluster().hasIpset(name) && !name.equals("management")) throw new IllegalArgumentException("no such ipset '" + name + "'");
        return dcSet(name);
    }

    private SetRef dcSet(String name) {
        List<FwFile.IpEntry> entries = new ArrayList<>(in.cluster().ipset(name));
        if (name.equals("management") && dcAliases.containsKey("local_network")) entries.add(new FwFile.IpEntry("local_network", false, null));
        return defineSet("dc-" + name, entries, new Scope(null, 0, "", "nolog"));
    }

    private SetRef defineSet(String base, List<FwFile.IpEntry> entries, Scope s) {
        Map<Integer, List<String>> match = new TreeMap<>(Map.of(4, new ArrayList<>(), 6, new ArrayList<>()));
        Map<Integer, List<String>> nomatch = new TreeMap<>(Map.of(4, new ArrayList<>(), 6, new ArrayList<>()));
        for (FwFile.IpEntry e : entries) collectSet(e.nomatch() ? nomatch : match, List.of(new FwFile.IpEntry(e.cidr(), false, null)), s, "ipset " + base);
        for (int v : new int[]{4, 6}) {
            inetSets.put(base + "-v" + v, new Nft.Set(base + "-v" + v, v, match.get(v)));
            if (!nomatch.get(v).isEmpty()) inetSets.put(base + "-v" + v + "-nm", new Nft.Set(base + "-v" + v + "-nm", v, nomatch.get(v)));
        }
        return new SetRef(base, !nomatch.get(4).isEmpty(), !nomatch.get(6).isEmpty());
    }

    private void collectSet(Map<Integer, List<String>> into, List<FwFile.IpEntry> entries, Scope s, String what) {
        for (FwFile.IpEntry e : entries) {
            if (e.nomatch()) continue;
            if (FwSyntax.SCOPED_NAME.matcher(e.cidr()).matches()) {
                try {
                    IpNet n = resolveAlias((FwSyntax.Ref) FwSyntax.parseAddressList(e.cidr()).get(0), s);
                    into.get(n.version()).add(cidr(n));
                } catch (IllegalArgumentException ex) {
                    warnings.add(what + ": " + ex.getMessage());
                }
            } else addElem(into, e.cidr(), what);
        }
    }

    private void addElem(Map<Integer, List<String>> into, String ip, String what) {
        try {
            IpNet n = IpNet.parse(ip);
            into.get(n.version()).add(cidr(n));
        } catch (IllegalArgumentException ex) {
            warnings.add(what + ": " + ex.getMessage());
        }
    }

    private IpNet resolveAlias(FwSyntax.Ref ref, Scope s) {
        String key = ref.name().toLowerCase(Locale.ROOT);
        if (s.guest() != null && !"dc".equals(ref.scope())) {
            for (FwFile.Alias a : s.guest().fw().aliases()) if (a.name().equalsIgnoreCase(key)) return IpNet.parse(a.cidr());
            if ("guest".equals(ref.scope())) throw new IllegalArgumentException("no such alias '" + ref.name() + "'");
        }
        String cidr = dcAliases.get(key);
        if (cidr == null) throw new IllegalArgumentException("no such alias '" + ref.name() + "'");
        return IpNet.parse(cidr);
    }

    // ---- helpers ----

    /** A network as nft wants it: host bits cleared, no prefix for a single address. */
    static String cidr(IpNet n) {
        String a = IpNet.format(n.version(), n.first());
        return n.prefix() == n.bits() ? a : a + "/" + n.prefix();
    }

    /** The IPv6 link-local address derived from a MAC (EUI-64). */
    static String linkLocal(String mac) {
        String[] b = mac.split(":");
        int first = Integer.parseInt(b[0], 16) ^ 0x02;
        String eui = (first < 16 ? "0" : "") + Integer.toHexString(first) + b[1] + b[2] + "fffe" + b[3] + b[4] + b[5];
        BigInteger v = new BigInteger("fe800000000000000000000000000000", 16).or(new BigInteger(eui, 16));
        return IpNet.format(6, v);
    }

    private Nft.Log log(String vmid, String level, String chain, String action) {
        return new Nft.Log(":" + vmid + ":" + levelNumber(level) + ":" + chain + ": " + action + ": ", nftLevel(level));
    }

    private List<Match> withLimit(List<Match> m) {
        if (logLimit == null) return m;
        List<Match> out = new ArrayList<>(m);
        out.add(logLimit);
        return out;
    }

    private static Nft.Limit rateLimit(String opt) {
        Map<String, String> m = new LinkedHashMap<>();
        if (opt != null) {
            try { m = org.haven.core.format.PropertyString.parse(opt, "enable"); } catch (IllegalArgumentException ignored) { }
        }
        if ("0".equals(m.get("enable"))) return null;
        return new Nft.Limit(m.getOrDefault("rate", "1/second"), parseInt(m.get("burst"), 5));
    }

    static int levelNumber(String level) { return FwSyntax.LOG_LEVELS.indexOf(level); }

    private static String nftLevel(String level) { return level.equals("warning") ? "warn" : level; }

    private static boolean bool(String v, boolean dflt) { return v == null ? dflt : v.equals("1"); }

    private static int parseInt(String v, int dflt) {
        try { return v == null ? dflt : Integer.parseInt(v); } catch (NumberFormatException e) { return dflt; }
    }

    private static List<FwRule> concat(List<FwRule> a, List<FwRule> b) {
        List<FwRule> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
