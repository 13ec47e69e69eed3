package org.haven.firewall.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.time.Duration;
import java.util.function.Function;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.Handler;
import org.haven.api.LogFiles;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.firewall.apply.ConfigReader;
import org.haven.firewall.apply.FirewallService;
import org.haven.firewall.apply.FwInputs;
import org.haven.firewall.apply.GuestNics;
import org.haven.firewall.apply.LocalNetwork;
import org.haven.firewall.apply.NftApplier;
import org.haven.core.schema.ParamException;
import org.haven.firewall.config.FwFile;
import org.haven.firewall.config.FwOptions;
import org.haven.firewall.config.FwRefs;
import org.haven.firewall.config.FwRule;
import org.haven.firewall.config.FwSyntax;
import org.haven.firewall.config.IpNet;
import org.haven.firewall.config.Macros;
import org.haven.firewall.log.FwLog;
import org.haven.firewall.log.KmsgLogger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * PVE's firewall API: {@code /cluster/firewall}, {@code /nodes/{node}/firewall},
 * {@code /nodes/{node}/{qemu,lxc}/{vmid}/firewall} and {@code /cluster/sdn/vnets/{vnet}/firewall} (rules by
 * position with digest, security groups, aliases, IP sets, options, references and macros). Paths, parameters,
 * returns and permissions are PVE 8.4's ({@code firewall-api.json}, taken from its schema); the handlers edit the
 * files through {@link FwFile}.
 */
public final class FirewallApi implements ApiModule {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final JsonNode SPEC = load();
    static final String MODIFIED = org.haven.core.format.ConfigDigest.MODIFIED;

    static {
        Formats.register("pve-fw-addr-spec", v -> check(() -> FwSyntax.parseAddressList(v)));
        Formats.register("pve-fw-dport-spec", v -> check(() -> FwSyntax.parsePorts(v)));
        Formats.register("pve-fw-sport-spec", v -> check(() -> FwSyntax.parsePorts(v)));
        Formats.register("pve-fw-protocol-spec", v -> check(() -> FwSyntax.protocolNumber(v)));
        Formats.register("pve-fw-icmp-type-spec", v -> {
            if (!v.matches("\\d{1,3}") && !FwSyntax.ICMP_TYPES.contains(v) && !FwSyntax.ICMPV6_TYPES.contains(v))
                throw new Formats.FormatException("invalid icmp-type '" + v + "'");
        });
        Formats.register("IPorCIDR", v -> check(() -> IpNet.parse(v)));
        Formats.register("IPorCIDRorAlias", v -> {
            if (!FwSyntax.SCOPED_NAME.matcher(v).matches()) check(() -> IpNet.parse(v));
        });
    }

    private static void check(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            throw new Formats.FormatException(e.getMessage());
        }
    }

    private static JsonNode load() {
        try (InputStream in = FirewallApi.class.getResourceAsStream("firewall-api.json")) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private FwStore store;
    private ClusterFs cfs;
    private FirewallService service;
    private NftApplier applier;
    private boolean clearOnStop;
    private KmsgLogger logger;
    private java.nio.file.Path logFile;
    private volatile Placement where;
    private String tapNode;

    /**
     * Where a node loads its ruleset: the command prefix of the network namespace ({@code ip netns exec NS}, empty
     * for the machine's) and whether the host zone is filtered when {@code host.fw} does not say
     * ({@link org.haven.firewall.compile.FwCompiler.Input#hostByDefault}).
     */
    record Placement(List<String> prefix, boolean hostByDefault) {
        /** The network namespace, or null for the machine's. */
        String netns() { return prefix.isEmpty() ? null : prefix.getLast(); }
    }

    /**
     * Where the rules go. A node with its own machine (system mode) loads them into the machine's nftables, as
     * PVE. An embedded node (one of possibly several on a machine) loads them into the namespace
     * {@code firewallNetns} names, which stands for its machine; else, when it runs the guest network on a bridge
     * ({@code guestBridge}, as {@code ./run} sets it up), into the namespace of that bridge ({@code networkNetns},
     * or the machine's) for its guests, with the host zone off unless its {@code host.fw} sets {@code enable: 1}:
     * that machine's traffic is its owner's, not the node's. Otherwise (no guest bridge of its own) nowhere: null.
     */
    static Placement placement(boolean embedded, String firewallNetns, String guestBridge, String networkNetns) {
        if (present(firewallNetns)) return new Placement(List.of("ip", "netns", "exec", firewallNetns), true);
        if (!embedded) return new Placement(List.of(), true);
        if (!present(guestBridge) || guestBridge.equals("off") || guestBridge.equals("0")) return null;
        return new Placement(present(networkNetns) ? List.of("ip", "netns", "exec", networkNetns) : List.of(), false);
    }

    private static boolean present(String s) { return s != null && !s.isBlank(); }

    private static String setting(String property, String env) { return System.getProperty(property, System.getenv(env)); }

    /**
     * Follow the configuration and load the node's ruleset where {@link #placement} says, from the settings
     * {@code haven.firewall.netns} ({@code HAVEN_FIREWALL_NETNS}), and the guest network's {@code haven.network.guest}
     * ({@code HAVEN_GUEST_NETWORK}) and {@code haven.network.netns} ({@code HAVEN_NETWORK_NETNS}).
     */
    @Override
    public void start(NodeContext ctx) {
        Placement where = this.where = placement(ctx.embedded(), setting("haven.firewall.netns", "HAVEN_FIREWALL_NETNS"),
                setting("haven.network.guest", "HAVEN_GUEST_NETWORK"), setting("haven.network.netns", "HAVEN_NETWORK_NETNS"));
        if (where == null) return;
        List<String> prefix = where.prefix();
        applier = NftApplier.local(prefix);
        clearOnStop = !where.hostByDefault();
        service = new FirewallService(ctx.cfs(), ctx.nodeName(), GuestNics.fromCfs(ctx.cfs(), org.haven.core.net.GuestPorts.tapNode(ctx.embedded(), ctx.nodeName())),
                () -> LocalNetwork.addresses(prefix), applier, Duration.ofSeconds(10), where.hostByDefault());
        service.start();
        logger = KmsgLogger.system(logFile);
        try {
            logger.start();
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(FirewallApi.class).warn("firewall log: cannot follow the kernel log: {}", e.toString());
        }
    }

    @Override
    public void stop() {
        if (logger != null) logger.close();
        if (service != null) service.close();
        // an embedded node leaves the machine's nftables as it found them; a node's own machine keeps its rules
        if (clearOnStop) applier.clear();
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        store = new FwStore(ctx.cfs());
        cfs = ctx.cfs();
        // PVE's pvefw-logger writes /var/log/pve-firewall.log; an embedded node keeps it in its data directory
        logFile = ctx.embedded() ? ctx.dataDir().resolve("firewall/pve-firewall.log") : java.nio.file.Path.of("/var/log/pve-firewall.log");
        String c = "/cluster/firewall";
        add(reg, "GET", c, "Directory index.", (p, rc) -> index("aliases", "groups", "ipset", "macros", "options", "refs", "rules"));
        ruleMethods(reg, c + "/rules", p -> FwStore.Target.cluster(), Rules.MAIN);
        add(reg, "GET", c + "/groups", "List security groups.", (p, rc) -> listGroups());
        add(reg, "POST", c + "/groups", "Create or rename a security group.", (p, rc) -> createGroup(p));
        add(reg, "DELETE", c + "/groups/{group}", "Delete an empty security group.", (p, rc) -> deleteGroup(p));
        ruleMethods(reg, c + "/groups/{group}", p -> FwStore.Target.cluster(), Rules.GROUP);
        setMethods(reg, c, p -> FwStore.Target.cluster());
        optionMethods(reg, c, p -> FwStore.Target.cluster());
        add(reg, "GET", c + "/macros", "List the standard macros.", (p, rc) -> macros());
        add(reg, "GET", c + "/refs", "IP sets and aliases that rules can refer to.", (p, rc) -> refs(p, FwStore.Target.cluster()));

        String n = "/nodes/{node}/firewall";
        add(reg, "GET", n, "Directory index.", (p, rc) -> index("options", "rules"));
        ruleMethods(reg, n + "/rules", p -> FwStore.Target.host(p.str("node")), Rules.MAIN);
        optionMethods(reg, n, p -> FwStore.Target.host(p.str("node")));
        add(reg, "GET", n + "/log", "Read firewall log", (p, rc) -> log(p, rc, null));
        tapNode = org.haven.core.net.GuestPorts.tapNode(ctx.embedded(), ctx.nodeName());
        reg.add(ApiMethod.get(n + "/placement").name("firewall_placement")
                .description("Where this node loads its firewall ruleset and what it compiles it with (Haven extension, for pve-firewall): "
                        + "whether it loads one, the network namespace (none: the machine's), whether the host zone is filtered when "
                        + "host.fw does not set 'enable', the node part of its VMs' tap names and the addresses of its machine.")
                .param("node", StandardOptions.node()).proxyto("node")
                .returns(Schema.object()
                        .property("active", Schema.bool().description("Whether the daemon loads a ruleset."))
                        .property("netns", Schema.string().optional().description("The network namespace the ruleset goes to; absent for the machine's."))
                        .property("host_default", Schema.bool().description("Whether the host zone is filtered when host.fw does not set 'enable'."))
                        .property("tap_node", Schema.string().optional().description("The node name in the VMs' tap device names; absent for PVE's names."))
                        .property("addresses", Schema.array(Schema.string()).description("The machine's addresses (addr/prefix).")))
                .permissions(Permission.perm("/nodes/{node}", "Sys.Audit"))
                .handler((p, rc) -> placementInfo()).build());

        String v = "/cluster/sdn/vnets/{vnet}/firewall";
        add(reg, "GET", v, "Directory index.", (p, rc) -> index("options", "rules"));
        ruleMethods(reg, v + "/rules", this::vnetTarget, Rules.MAIN);
        optionMethods(reg, v, this::vnetTarget);

        for (String type : List.of("qemu", "lxc")) {
            String g = "/nodes/{node}/" + type + "/{vmid}/firewall";
            String dir = type.equals("qemu") ? "qemu-server" : "lxc";
            Function<Params, FwStore.Target> t = p -> guestTarget(ctx, p, dir);
            add(reg, "GET", g, "Directory index.", (p, rc) -> index("aliases", "ipset", "options", "refs", "rules"));
            ruleMethods(reg, g + "/rules", t, Rules.MAIN);
            setMethods(reg, g, t);
            optionMethods(reg, g, t);
            add(reg, "GET", g + "/refs", "IP sets and aliases that rules of this guest can refer to.", (p, rc) -> refs(p, t.apply(p)));
            add(reg, "GET", g + "/log", "Read firewall log", (p, rc) -> log(p, rc, p.integer("vmid")));
        }
    }

    /**
     * A vnet's firewall file, once the caller may read it ({@code SDN.Audit} or {@code SDN.Allocate}) or change it
     * ({@code SDN.Allocate}) on {@code /sdn/zones/<zone>/<vnet>}, as PVE's vnet firewall methods check with SDN's
     * check_vnet_access: an unknown vnet is checked on {@code /sdn/zones//<vnet>}.
     */
    private FwStore.Target vnetTarget(Params p, RequestContext rc, boolean write) {
        String vnet = p.str("vnet");
        String zone = FwInputs.vnetZones(ConfigReader.of(cfs)).getOrDefault(vnet, "");
        String[] privs = write ? new String[]{"SDN.Allocate"} : new String[]{"SDN.Audit", "SDN.Allocate"};
        if (!rc.hasPermission("/sdn/zones/" + zone + "/" + vnet, true, privs)) throw ApiException.forbidden();
        return FwStore.Target.vnet(vnet);
    }

    private static FwStore.Target guestTarget(NodeContext ctx, Params p, String dir) {
        int vmid = p.integer("vmid");
        String conf = "nodes/" + p.str("node") + "/" + dir + "/" + vmid + ".conf";
        if (ctx.cfs().stat(conf).isEmpty()) throw ApiException.error("Configuration file '" + conf + "' does not exist");
        return FwStore.Target.guest(vmid);
    }

    // ---- declaration from PVE's schema ----

    private static final Map<String, String> PARAM_DESCRIPTIONS = Map.ofEntries(
            Map.entry("action", "ACCEPT, DROP or REJECT, or the security group of a group rule."),
            Map.entry("type", "Rule direction: in, out, forward, or group."),
            Map.entry("macro", "Standard macro (see /cluster/firewall/macros)."),
            Map.entry("iface", "Interface: net<N> for guests, any name for hosts."),
            Map.entry("source", "Source: address, network, range, list, alias or +ipset."),
            Map.entry("dest", "Destination: address, network, range, list, alias or +ipset."),
            Map.entry("proto", "IP protocol, by name or number."),
            Map.entry("dport", "Destination ports: numbers, service names, a:b ranges, comma separated."),
            Map.entry("sport", "Source ports: numbers, service names, a:b ranges, comma separated."),
            Map.entry("icmp-type", "ICMP type (proto icmp or icmpv6)."),
            Map.entry("log", "Log level for packets that match."),
            Map.entry("enable", "1 to enable the rule."),
            Map.entry("comment", "Free text comment."),
            Map.entry("digest", "Refuse the change when the current configuration's digest differs."),
            Map.entry("pos", "Rule position, 0 is the first rule."),
            Map.entry("moveto", "Move the rule to this position; other arguments are ignored."),
            Map.entry("delete", "Settings to remove."),
            Map.entry("node", "The cluster node name."),
            Map.entry("vmid", "The guest ID."),
            Map.entry("group", "Security group name."),
            Map.entry("rename", "Old name, to rename."),
            Map.entry("name", "Name."),
            Map.entry("cidr", "Address, network or alias."),
            Map.entry("nomatch", "Exclude this entry from the set."),
            Map.entry("force", "Delete the IP set even when it has entries."));

    private static final SpecMethods METHODS = new SpecMethods(SPEC, PARAM_DESCRIPTIONS);

    private void add(ApiRegistry reg, String method, String path, String description, Handler h) {
        METHODS.add(reg, method, path, description, h);
    }

    /** What {@link #placement} decided for this daemon, as {@code pve-firewall} needs it to compile what the daemon loads. */
    private Map<String, Object> placementInfo() {
        Placement w = where;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("active", w != null ? 1 : 0);
        if (w != null && w.netns() != null) m.put("netns", w.netns());
        m.put("host_default", w == null || w.hostByDefault() ? 1 : 0);
        if (tapNode != null) m.put("tap_node", tapNode);
        m.put("addresses", LocalNetwork.addresses(w == null ? List.of() : w.prefix()));
        return m;
    }

    /** The firewall log (of one guest when {@code vmid} is set), paged and filtered by time as PVE's. */
    private Object log(Params p, org.haven.api.RequestContext rc, Integer vmid) {
        Long since = p.has("since") ? p.lng("since", 0) : null;
        Long until = p.has("until") ? p.lng("until", 0) : null;
        LogFiles.Page page = LogFiles.dump(logFile, (int) p.lng("start", 0), (int) p.lng("limit", 50), FwLog.filter(vmid, since, until));
        rc.setResultAttribute("total", page.total());
        return page.lines();
    }

    private static List<Map<String, Object>> index(String... names) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String n : names) out.add(Map.of("name", n));
        return out;
    }

    // ---- rules ----

    /** Which rule list of a file: the [RULES] section or a security group. */
    private enum Rules {
        MAIN, GROUP;

        List<FwRule> get(FwFile f, Params p) {
            if (this == MAIN) return f.rules();
            String g = p.str("group");
            if (!f.hasGroup(g)) throw ApiException.error("no such security group '" + g + "'");
            return f.groupRules(g);
        }

        void set(FwFile f, Params p, List<FwRule> rules) {
            if (this == MAIN) f.setRules(rules); else f.setGroupRules(p.str("group"), rules);
        }
    }

    /** The file a method works on, once the caller may read it ({@code write} false) or change it. */
    private interface TargetOf {
        FwStore.Target of(Params p, RequestContext rc, boolean write);
    }

    private void ruleMethods(ApiRegistry reg, String path, Function<Params, FwStore.Target> target, Rules which) {
        ruleMethods(reg, path, (p, rc, write) -> target.apply(p), which);
    }

    private void ruleMethods(ApiRegistry reg, String path, TargetOf target, Rules which) {
        add(reg, "GET", path, "List rules.", (p, rc) -> {
            FwStore.Target t = target.of(p, rc, false);
            return ruleList(which.get(store.load(t), p), t);
        });
        add(reg, "POST", path, "Create a rule (it becomes the first one).", (p, rc) -> {
            FwStore.Target t = target.of(p, rc, true);
            FwFile cluster = t.kind() == FwFile.Kind.CLUSTER ? null : store.cluster();
            return store.update(t, f -> {
                List<FwRule> rules = new ArrayList<>(which.get(f, p));
                checkDigest(p, digest(ruleMaps(rules, t)));
                FwRule r = verify(copyRuleData(FwRule.of(p.str("type"), p.str("action")).withEnable(p.has("enable") && p.integer("enable") != 0), p),
                        t, cluster == null ? f : cluster, f, which);
                rules.add(0, r);
                which.set(f, p, rules);
                return null;
            });
        });
        add(reg, "GET", path + "/{pos}", "Get one rule.", (p, rc) -> {
            FwStore.Target t = target.of(p, rc, false);
            List<Map<String, Object>> list = ruleList(which.get(store.load(t), p), t);
            int pos = p.integer("pos");
            if (pos >= list.size()) throw ParamException.of("pos", "no rule at position " + pos);
            return list.get(pos);
        });
        add(reg, "PUT", path + "/{pos}", "Change or move a rule.", (p, rc) -> {
            FwStore.Target t = target.of(p, rc, true);
            FwFile cluster = t.kind() == FwFile.Kind.CLUSTER ? null : store.cluster();
            return store.update(t, f -> {
                List<FwRule> rules = new ArrayList<>(which.get(f, p));
                checkDigest(p, digest(ruleMaps(rules, t)));
                int pos = p.integer("pos");
                if (pos >= rules.size()) throw ParamException.of("pos", "no rule at position " + pos);
                if (p.has("moveto")) {
                    FwRule r = rules.remove(pos);
                    rules.add(Math.min(p.integer("moveto") > pos ? p.integer("moveto") - 1 : p.integer("moveto"), rules.size()), r);
                } else {
                    FwRule r = rules.get(pos);
                    if (p.has("delete")) for (String k : Formats.splitList(p.str("delete"))) r = without(r, k);
                    rules.set(pos, verify(copyRuleData(r, p), t, cluster == null ? f : cluster, f, which));
                }
                which.set(f, p, rules);
                return null;
            });
        });
        add(reg, "DELETE", path + "/{pos}", "Delete a rule.", (p, rc) -> {
            FwStore.Target t = target.of(p, rc, true);
            return store.update(t, f -> {
                List<FwRule> rules = new ArrayList<>(which.get(f, p));
                checkDigest(p, digest(ruleMaps(rules, t)));
                int pos = p.integer("pos");
                if (pos >= rules.size()) throw ParamException.of("pos", "no rule at position " + pos);
                rules.remove(pos);
                which.set(f, p, rules);
                return null;
            });
        });
    }

    private static List<Map<String, Object>> ruleMaps(List<FwRule> rules, FwStore.Target t) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            FwRule r = rules.get(i);
            Map<String, Object> m = new TreeMap<>();
            put(m, "type", r.type());
            put(m, "action", r.action());
            put(m, "macro", r.macro());
            put(m, "iface", r.iface());
            put(m, "source", r.source());
            put(m, "dest", r.dest());
            put(m, "proto", r.proto());
            put(m, "dport", r.dport());
            put(m, "sport", r.sport());
            put(m, "icmp-type", r.icmpType());
            put(m, "log", r.log());
            put(m, "comment", r.comment());
            m.put("enable", r.enable() ? 1 : 0);
            m.put("pos", i);
            if (r.ipVersion() != 0) m.put("ipversion", r.ipVersion());
            out.add(m);
        }
        return out;
    }

    private List<Map<String, Object>> ruleList(List<FwRule> rules, FwStore.Target t) {
        List<Map<String, Object>> out = withDigest(ruleMaps(rules, t));
        FwFile cluster = store.cluster();
        FwFile guest = t.vmid() != null ? store.load(t) : null;
        for (int i = 0; i < rules.size(); i++) {
            Map<String, String> errs = new TreeMap<>(rules.get(i).errors(t.kind()));
            FwRefs.errors(rules.get(i), cluster, guest).forEach(errs::putIfAbsent);
            if (!errs.isEmpty()) out.get(i).put("errors", errs);
        }
        return out;
    }

    private static void put(Map<String, Object> m, String k, String v) { if (v != null) m.put(k, v); }

    private static FwRule copyRuleData(FwRule r, Params p) {
        if (p.has("type")) r = new FwRule(p.str("type"), r.action(), r.macro(), r.iface(), r.source(), r.dest(), r.proto(), r.dport(), r.sport(), r.icmpType(), r.log(), r.enable(), r.comment());
        if (p.has("action")) r = new FwRule(r.type(), p.str("action"), r.macro(), r.iface(), r.source(), r.dest(), r.proto(), r.dport(), r.sport(), r.icmpType(), r.log(), r.enable(), r.comment());
        if (p.has("macro")) r = r.withMacro(emptyToNull(p.str("macro")));
        if (p.has("iface")) r = r.withIface(emptyToNull(p.str("iface")));
        if (p.has("source")) r = r.withSource(emptyToNull(p.str("source")));
        if (p.has("dest")) r = r.withDest(emptyToNull(p.str("dest")));
        if (p.has("proto")) r = r.withProto(emptyToNull(p.str("proto")));
        if (p.has("dport")) r = r.withDport(emptyToNull(p.str("dport")));
        if (p.has("sport")) r = r.withSport(emptyToNull(p.str("sport")));
        if (p.has("icmp-type")) r = r.withIcmpType(emptyToNull(p.str("icmp-type")));
        if (p.has("log")) r = r.withLog(p.str("log"));
        if (p.has("enable")) r = r.withEnable(p.integer("enable") != 0);
        if (p.has("comment")) r = r.withComment(emptyToNull(p.str("comment")));
        if (r.macro() != null && Macros.get(r.macro()) != null) r = r.withMacro(Macros.get(r.macro()).name());
        return r;
    }

    private static FwRule without(FwRule r, String key) {
        return switch (key) {
            case "macro" -> r.withMacro(null);
            case "iface" -> r.withIface(null);
            case "source" -> r.withSource(null);
            case "dest" -> r.withDest(null);
            case "proto" -> r.withProto(null);
            case "dport" -> r.withDport(null);
            case "sport" -> r.withSport(null);
            case "icmp-type" -> r.withIcmpType(null);
            case "log" -> r.withLog(null);
            case "comment" -> r.withComment(null);
            default -> throw ParamException.of("delete", "unable to delete '" + key + "'");
        };
    }

    private static String emptyToNull(String s) { return s == null || s.isEmpty() ? null : s; }

    /** PVE's verify_rule: field errors and unresolved references become a 400 with one error per field. */
    private static FwRule verify(FwRule r, FwStore.Target t, FwFile cluster, FwFile own, Rules which) {
        Map<String, String> errs = new TreeMap<>(r.errors(t.kind()));
        if ("group".equals(r.type()) && which == Rules.GROUP) errs.putIfAbsent("type", "security groups not allowed");
        FwRefs.errors(r, cluster, t.vmid() != null ? own : null).forEach(errs::putIfAbsent);
        if (!errs.isEmpty()) throw new ParamException(errs);
        return r;
    }

    // ---- digests ----

    /** PVE's copy_list_with_digest: one SHA-1 over all entries' sorted key/value pairs, set on every entry. */
    static List<Map<String, Object>> withDigest(List<Map<String, Object>> list) {
        String d = digest(list);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> m : list) {
            Map<String, Object> c = new LinkedHashMap<>(m);
            c.put("digest", d);
            out.add(c);
        }
        return out;
    }

    static String digest(List<Map<String, Object>> list) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-1");
            for (Map<String, Object> m : list)
                for (Map.Entry<String, Object> e : new TreeMap<>(m).entrySet())
                    if (e.getValue() != null && !(e.getValue() instanceof Map))
                        sha.update((e.getKey() + ":" + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkDigest(Params p, String current) {
        if (p.has("digest") && !p.str("digest").equals(current)) throw ApiException.error(MODIFIED);
    }

    // ---- security groups ----

    private List<Map<String, Object>> listGroups() {
        FwFile f = store.cluster();
        List<Map<String, Object>> out = new ArrayList<>();
        for (String g : new java.util.TreeSet<>(f.groupNames())) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("group", g);
            put(m, "comment", f.groupComment(g));
            m.put("digest", f.digest());
            out.add(m);
        }
        return out;
    }

    private Object createGroup(Params p) {
        return store.update(FwStore.Target.cluster(), f -> {
            checkDigest(p, f.digest());
            String g = p.str("group");
            if (p.has("rename")) {
                String old = p.str("rename");
                if (!f.hasGroup(old)) throw ApiException.error("Security group '" + old + "' does not exist");
                if (!old.equals(g)) {
                    if (f.hasGroup(g)) throw ApiException.error("Security group '" + g + "' already exists");
                    List<FwRule> rules = f.groupRules(old);
                    f.createGroup(g, p.has("comment") ? p.str("comment") : f.groupComment(old));
                    f.setGroupRules(g, rules);
                    f.deleteGroup(old);
                    List<FwRule> refs = new ArrayList<>();
                    for (FwRule r : f.rules()) refs.add("group".equals(r.type()) && old.equals(r.action()) ? new FwRule(r.type(), g, r.macro(), r.iface(), r.source(), r.dest(), r.proto(), r.dport(), r.sport(), r.icmpType(), r.log(), r.enable(), r.comment()) : r);
                    f.setRules(refs);
                } else if (p.has("comment")) f.createGroup(g, p.str("comment"));
                return null;
            }
            if (f.hasGroup(g)) throw ApiException.error("Security group '" + g + "' already exists");
            f.createGroup(g, p.str("comment", null));
            return null;
        });
    }

    private Object deleteGroup(Params p) {
        return store.update(FwStore.Target.cluster(), f -> {
            checkDigest(p, f.digest());
            String g = p.str("group");
            if (!f.hasGroup(g)) return null;
            if (!f.groupRules(g).isEmpty()) throw ApiException.error("Security group '" + g + "' is not empty");
            f.deleteGroup(g);
            return null;
        });
    }

    // ---- aliases and IP sets ----

    private void setMethods(ApiRegistry reg, String base, Function<Params, FwStore.Target> target) {
        add(reg, "GET", base + "/aliases", "List aliases.", (p, rc) -> aliasList(store.load(target.apply(p))));
        add(reg, "POST", base + "/aliases", "Create an alias.", (p, rc) -> store.update(target.apply(p), f -> {
            List<FwFile.Alias> list = new ArrayList<>(f.aliases());
            String name = p.str("name");
            if (FwRefs.hasAlias(f, name)) throw ApiException.error("alias '" + name + "' already exists");
            list.add(new FwFile.Alias(name, p.str("cidr"), p.str("comment", null)));
            f.setAliases(list);
            return null;
        }));
        add(reg, "GET", base + "/aliases/{name}", "Read an alias.", (p, rc) -> {
            for (Map<String, Object> a : aliasList(store.load(target.apply(p))))
                if (((String) a.get("name")).equalsIgnoreCase(p.str("name"))) return a;
            throw ParamException.of("name", "no such alias");
        });
        add(reg, "PUT", base + "/aliases/{name}", "Change or rename an alias.", (p, rc) -> store.update(target.apply(p), f -> {
            checkDigest(p, digest(aliasList(f)));
            List<FwFile.Alias> list = new ArrayList<>(f.aliases());
            int i = aliasIndex(list, p.str("name"));
            if (i < 0) throw ApiException.error("no such alias '" + p.str("name") + "'");
            String newName = p.has("rename") ? p.str("rename") : list.get(i).name();
            if (p.has("rename") && !newName.equalsIgnoreCase(list.get(i).name()) && aliasIndex(list, newName) >= 0)
                throw ApiException.error("alias '" + newName + "' already exists");
            list.set(i, new FwFile.Alias(newName, p.str("cidr"), p.has("comment") ? emptyToNull(p.str("comment")) : list.get(i).comment()));
            f.setAliases(list);
            return null;
        }));
        add(reg, "DELETE", base + "/aliases/{name}", "Remove an alias.", (p, rc) -> store.update(target.apply(p), f -> {
            checkDigest(p, digest(aliasList(f)));
            List<FwFile.Alias> list = new ArrayList<>(f.aliases());
            int i = aliasIndex(list, p.str("name"));
            if (i >= 0) list.remove(i);
            f.setAliases(list);
            return null;
        }));

        add(reg, "GET", base + "/ipset", "List IP sets.", (p, rc) -> {
            FwFile f = store.load(target.apply(p));
            List<Map<String, Object>> out = new ArrayList<>();
            for (String n : new java.util.TreeSet<>(f.ipsetNames())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", n);
                put(m, "comment", f.ipsetComment(n));
                m.put("digest", f.digest());
                out.add(m);
            }
            return out;
        });
        add(reg, "POST", base + "/ipset", "Create or rename an IP set.", (p, rc) -> store.update(target.apply(p), f -> {
            checkDigest(p, f.digest());
            String name = p.str("name");
            if (p.has("rename")) {
                String old = p.str("rename");
                if (!f.hasIpset(old)) throw ApiException.error("IPSet '" + old + "' does not exist");
                if (!old.equals(name)) {
                    if (f.hasIpset(name)) throw ApiException.error("IPSet '" + name + "' already exists");
                    List<FwFile.IpEntry> entries = f.ipset(old);
                    f.createIpset(name, p.has("comment") ? p.str("comment") : f.ipsetComment(old));
                    f.setIpset(name, entries);
                    f.deleteIpset(old);
                } else if (p.has("comment")) f.createIpset(name, p.str("comment"));
                return null;
            }
            if (f.hasIpset(name)) throw ApiException.error("IPSet '" + name + "' already exists");
            f.createIpset(name, p.str("comment", null));
            return null;
        }));
        add(reg, "DELETE", base + "/ipset/{name}", "Delete an IP set.", (p, rc) -> store.update(target.apply(p), f -> {
            checkDigest(p, f.digest());
            String name = p.str("name");
            if (!f.hasIpset(name)) return null;
            if (!f.ipset(name).isEmpty() && !p.bool("force", false)) throw ApiException.error("IPSet '" + name + "' is not empty");
            f.deleteIpset(name);
            return null;
        }));
        add(reg, "GET", base + "/ipset/{name}", "List the entries of an IP set.", (p, rc) -> entryList(store.load(target.apply(p)), p.str("name")));
        add(reg, "POST", base + "/ipset/{name}", "Add an entry to an IP set.", (p, rc) -> store.update(target.apply(p), f -> {
            String name = p.str("name");
            List<FwFile.IpEntry> list = new ArrayList<>(entries(f, name));
            String cidr = normalizeCidr(p.str("cidr"));
            for (FwFile.IpEntry e : list) if (e.cidr().equals(cidr)) throw ApiException.error("address '" + cidr + "' already exists");
            checkAliasEntry(cidr, f);
            list.add(new FwFile.IpEntry(cidr, p.bool("nomatch", false), p.str("comment", null)));
            f.setIpset(name, list);
            return null;
        }));
        add(reg, "GET", base + "/ipset/{name}/{cidr}", "Read an IP set entry.", (p, rc) -> {
            String cidr = normalizeCidr(p.str("cidr"));
            for (Map<String, Object> e : entryList(store.load(target.apply(p)), p.str("name")))
                if (e.get("cidr").equals(cidr)) return e;
            throw ApiException.error("no such IP/Network");
        });
        add(reg, "PUT", base + "/ipset/{name}/{cidr}", "Change an IP set entry.", (p, rc) -> store.update(target.apply(p), f -> {
            String name = p.str("name");
            checkDigest(p, digest(entryMaps(entries(f, name))));
            List<FwFile.IpEntry> list = new ArrayList<>(entries(f, name));
            String cidr = normalizeCidr(p.str("cidr"));
            for (int i = 0; i < list.size(); i++) {
                FwFile.IpEntry e = list.get(i);
                if (!e.cidr().equals(cidr)) continue;
                list.set(i, new FwFile.IpEntry(cidr, p.has("nomatch") ? p.bool("nomatch", false) : e.nomatch(),
                        p.has("comment") ? emptyToNull(p.str("comment")) : e.comment()));
                f.setIpset(name, list);
                return null;
            }
            throw ApiException.error("no such IP/Network");
        }));
        add(reg, "DELETE", base + "/ipset/{name}/{cidr}", "Remove an IP set entry.", (p, rc) -> store.update(target.apply(p), f -> {
            String name = p.str("name");
            checkDigest(p, digest(entryMaps(entries(f, name))));
            String cidr = normalizeCidr(p.str("cidr"));
            List<FwFile.IpEntry> list = new ArrayList<>(entries(f, name));
            list.removeIf(e -> e.cidr().equals(cidr));
            f.setIpset(name, list);
            return null;
        }));
    }

    private static int aliasIndex(List<FwFile.Alias> list, String name) {
        for (int i = 0; i < list.size(); i++) if (list.get(i).name().equalsIgnoreCase(name)) return i;
        return -1;
    }

    private static List<Map<String, Object>> aliasList(FwFile f) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<FwFile.Alias> sorted = new ArrayList<>(f.aliases());
        sorted.sort((a, b) -> a.name().toLowerCase(Locale.ROOT).compareTo(b.name().toLowerCase(Locale.ROOT)));
        for (FwFile.Alias a : sorted) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", a.name());
            m.put("cidr", a.cidr());
            put(m, "comment", a.comment());
            m.put("ipversion", IpNet.parse(a.cidr()).version());
            out.add(m);
        }
        return withDigest(out);
    }

    private static List<FwFile.IpEntry> entries(FwFile f, String name) {
        if (!f.hasIpset(name)) throw ApiException.error("no such IPSet '" + name + "'");
        return f.ipset(name);
    }

    private static List<Map<String, Object>> entryMaps(List<FwFile.IpEntry> entries) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (FwFile.IpEntry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cidr", e.cidr());
            if (e.nomatch()) m.put("nomatch", 1);
            put(m, "comment", e.comment());
            out.add(m);
        }
        return out;
    }

    private static List<Map<String, Object>> entryList(FwFile f, String name) {
        return withDigest(entryMaps(entries(f, name)));
    }

    /** Addresses are stored as PVE writes them: a host address without {@code /32} or {@code /128}. */
    private static String normalizeCidr(String cidr) {
        if (FwSyntax.SCOPED_NAME.matcher(cidr).matches()) return cidr;
        try {
            IpNet n = IpNet.parse(cidr);
            return n.toString();
        } catch (IllegalArgumentException e) {
            throw ParamException.of("cidr", e.getMessage());
        }
    }

    private void checkAliasEntry(String cidr, FwFile own) {
        var m = FwSyntax.SCOPED_NAME.matcher(cidr);
        if (!m.matches()) return;
        boolean guest = own.kind() == FwFile.Kind.GUEST && !"dc".equals(m.group(1)) && FwRefs.hasAlias(own, m.group(2));
        boolean dc = !"guest".equals(m.group(1)) && (FwRefs.hasAlias(own.kind() == FwFile.Kind.CLUSTER ? own : store.cluster(), m.group(2)));
        if (!guest && !dc) throw ApiException.error("no such alias '" + cidr + "'");
    }

    // ---- options ----

    private void optionMethods(ApiRegistry reg, String base, Function<Params, FwStore.Target> target) {
        optionMethods(reg, base, (p, rc, write) -> target.apply(p));
    }

    private void optionMethods(ApiRegistry reg, String base, TargetOf target) {
        add(reg, "GET", base + "/options", "Get firewall options.", (p, rc) -> {
            FwFile f = store.load(target.of(p, rc, false));
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : new TreeMap<>(f.options()).entrySet())
                out.put(e.getKey(), e.getValue().matches("-?\\d{1,18}") && !e.getKey().equals("nf_conntrack_helpers") ? (Object) Long.parseLong(e.getValue()) : e.getValue());
            out.put("digest", f.digest());
            return out;
        });
        add(reg, "PUT", base + "/options", "Set firewall options.", (p, rc) -> {
            FwStore.Target t = target.of(p, rc, true);
            return store.update(t, f -> {
                checkDigest(p, f.digest());
                if (p.has("delete")) for (String k : Formats.splitList(p.str("delete"))) {
                    if (!FwOptions.keys(t.kind()).contains(k)) throw ParamException.of("delete", "unknown option '" + k + "'");
                    f.setOption(k, null);
                }
                for (String k : FwOptions.keys(t.kind())) {
                    if (!p.has(k)) continue;
                    Object v = p.get(k);
                    f.setOption(k, v instanceof Boolean b ? (b ? "1" : "0") : v.toString());
                }
                return null;
            });
        });
    }

    // ---- macros and references ----

    private static List<Map<String, Object>> macros() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Macros.Macro m : Macros.all()) out.add(Map.of("macro", m.name(), "descr", m.description()));
        return out;
    }

    private List<Map<String, Object>> refs(Params p, FwStore.Target t) {
        String type = p.str("type", null);
        List<Map<String, Object>> out = new ArrayList<>();
        FwFile cluster = store.cluster();
        List<Object[]> scopes = new ArrayList<>();
        if (t.vmid() != null) scopes.add(new Object[]{"guest", store.load(t)});
        scopes.add(new Object[]{"dc", cluster});
        for (Object[] s : scopes) {
            String scope = (String) s[0];
            FwFile f = (FwFile) s[1];
            if (type == null || type.equals("ipset"))
                for (String n : new java.util.TreeSet<>(f.ipsetNames())) out.add(ref("ipset", n, "+" + scope + "/" + n, scope, f.ipsetComment(n)));
            if (type == null || type.equals("alias")) {
                List<FwFile.Alias> aliases = new ArrayList<>(f.aliases());
                aliases.sort((a, b) -> a.name().compareToIgnoreCase(b.name()));
                for (FwFile.Alias a : aliases) out.add(ref("alias", a.name(), scope + "/" + a.name(), scope, a.comment()));
            }
        }
        return out;
    }

    private static Map<String, Object> ref(String type, String name, String ref, String scope, String comment) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("name", name);
        m.put("ref", ref);
        m.put("scope", scope);
        put(m, "comment", comment);
        return m;
    }
}
