package org.haven.firewall.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.firewall.apply.GuestNics;
import org.haven.firewall.compile.FwCompiler;
import org.haven.firewall.config.FwFile;
import org.haven.firewall.config.FwRule;
import tools.jackson.databind.JsonNode;

/**
 * The compiler input as the local daemon serves it: the firewall files rebuilt from the firewall API, the
 * node's guests from {@code /cluster/resources} and their configurations, the members from
 * {@code /cluster/status}, and how the daemon compiles and where it loads ({@code /nodes/{node}/firewall/placement}).
 */
final class ApiSource {
    private final ApiClient api;
    final List<String> warnings = new ArrayList<>();

    ApiSource(ApiClient api) { this.api = api; }

    /**
     * How the node's daemon compiles and where it loads: {@code prefix} runs a command where its rules are
     * ({@code ip netns exec NS}, empty for the machine), null when it loads none.
     */
    record Placement(List<String> prefix, boolean hostByDefault, String tapNode, List<String> addresses) {}

    Placement placement(String node) {
        JsonNode p = get("/nodes/" + node + "/firewall/placement", Map.of());
        List<String> prefix = null;
        if (p.path("active").asInt(0) != 0)
            prefix = p.hasNonNull("netns") ? List.of("ip", "netns", "exec", p.get("netns").asString()) : List.of();
        List<String> addresses = new ArrayList<>();
        for (JsonNode a : p.path("addresses")) addresses.add(a.asString());
        return new Placement(prefix, p.path("host_default").asInt(1) != 0, text(p, "tap_node"), addresses);
    }

    /** The compiler input, compiled as {@code placement} says the daemon does. */
    FwCompiler.Input read(String node, String localNetwork, Placement placement) {
        FwFile cluster = file(FwFile.Kind.CLUSTER, "/cluster/firewall", true);
        FwFile host = file(FwFile.Kind.HOST, "/nodes/" + node + "/firewall", false);
        List<FwCompiler.Guest> guests = new ArrayList<>();
        for (JsonNode r : get("/cluster/resources", Map.of("type", "vm"))) {
            if (!node.equals(r.path("node").asString())) continue;
            String type = r.path("type").asString();
            int vmid = r.path("vmid").asInt();
            String base = "/nodes/" + node + "/" + type + "/" + vmid;
            try {
                StringBuilder conf = new StringBuilder();
                for (Map.Entry<String, JsonNode> e : get(base + "/config", Map.of()).properties())
                    if (e.getKey().matches("net\\d+")) conf.append(e.getKey()).append(": ").append(e.getValue().asString()).append('\n');
                boolean ct = type.equals("lxc");
                guests.add(new FwCompiler.Guest(vmid, ct, file(FwFile.Kind.GUEST, base + "/firewall", true), GuestNics.parseNics(conf.toString(), ct),
                        placement.tapNode()));
            } catch (ApiClient.ApiCallException e) {
                warnings.add("guest " + vmid + ": " + e.getMessage());
            }
        }
        return new FwCompiler.Input(node, cluster, host, guests, memberIps(), localNetwork, placement.hostByDefault()).withVnets(vnets());
    }

    /** The vnets' firewall files (options and rules), by vnet. */
    private Map<String, FwFile> vnets() {
        Map<String, FwFile> out = new java.util.TreeMap<>();
        try {
            for (JsonNode v : get("/cluster/sdn/vnets", Map.of())) {
                String vnet = v.path("vnet").asString();
                out.put(vnet, file(FwFile.Kind.VNET, "/cluster/sdn/vnets/" + vnet + "/firewall", false));
            }
        } catch (ApiClient.ApiCallException e) {
            warnings.add("vnets: " + e.getMessage());
        }
        return out;
    }

    /** Member addresses from {@code /cluster/status}. */
    List<String> memberIps() {
        List<String> out = new ArrayList<>();
        for (JsonNode n : get("/cluster/status", Map.of()))
            if ("node".equals(n.path("type").asString()) && n.hasNonNull("ip")) out.add(n.get("ip").asString());
        return out;
    }

    /** This node's address from {@code /cluster/status}, or null. */
    String nodeIp(String node) {
        for (JsonNode n : get("/cluster/status", Map.of()))
            if ("node".equals(n.path("type").asString()) && node.equals(n.path("name").asString()) && n.hasNonNull("ip")) return n.get("ip").asString();
        return null;
    }

    private FwFile file(FwFile.Kind kind, String base, boolean sets) {
        FwFile f = FwFile.empty(kind);
        for (Map.Entry<String, JsonNode> e : get(base + "/options", Map.of()).properties())
            if (!e.getKey().equals("digest")) f.setOption(e.getKey(), e.getValue().asString());
        if (sets) {
            List<FwFile.Alias> aliases = new ArrayList<>();
            for (JsonNode a : get(base + "/aliases", Map.of()))
                aliases.add(new FwFile.Alias(a.path("name").asString(), a.path("cidr").asString(), text(a, "comment")));
            f.setAliases(aliases);
            for (JsonNode s : get(base + "/ipset", Map.of())) {
                String name = s.path("name").asString();
                f.createIpset(name, text(s, "comment"));
                List<FwFile.IpEntry> entries = new ArrayList<>();
                for (JsonNode e : get(base + "/ipset/" + name, Map.of()))
                    entries.add(new FwFile.IpEntry(e.path("cidr").asString(), e.path("nomatch").asInt(0) != 0, text(e, "comment")));
                f.setIpset(name, entries);
            }
        }
        if (kind == FwFile.Kind.CLUSTER) {
            for (JsonNode g : get(base + "/groups", Map.of())) {
                String name = g.path("group").asString();
                f.createGroup(name, text(g, "comment"));
                f.setGroupRules(name, rules(get(base + "/groups/" + name, Map.of())));
            }
        }
        f.setRules(rules(get(base + "/rules", Map.of())));
        return f;
    }

    private static List<FwRule> rules(JsonNode list) {
        List<FwRule> out = new ArrayList<>();
        for (JsonNode r : list)
            out.add(new FwRule(text(r, "type"), text(r, "action"), text(r, "macro"), text(r, "iface"), text(r, "source"), text(r, "dest"),
                    text(r, "proto"), text(r, "dport"), text(r, "sport"), text(r, "icmp-type"), text(r, "log"), r.path("enable").asInt(1) != 0,
                    text(r, "comment")));
        return out;
    }

    private static String text(JsonNode n, String key) {
        return n.hasNonNull(key) ? n.get(key).asString() : null;
    }

    private JsonNode get(String path, Map<String, ?> params) {
        return api.call(HttpMethod.GET, path, params);
    }
}
