package org.haven.firewall.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.format.SectionConfig;
import org.haven.firewall.compile.FwCompiler;
import org.haven.firewall.config.FwFile;

/**
 * Gathers what the compiler needs from a configuration tree: {@code firewall/cluster.fw},
 * {@code nodes/<node>/host.fw}, the node's guests and their {@code firewall/<vmid>.fw}, the vnets of
 * {@code sdn/vnets.cfg} and their {@code sdn/firewall/<vnet>.fw}, and the cluster members ({@code .members}, else
 * the {@code ringX_addr} entries of {@code corosync.conf}).
 */
public final class FwInputs {
    private FwInputs() {}

    public static FwCompiler.Input read(ConfigReader r, String node, GuestNics guests, List<String> localAddresses) {
        return read(r, node, guests, localAddresses, true);
    }

    /** The same; {@code hostByDefault} as {@link FwCompiler.Input} has it. */
    public static FwCompiler.Input read(ConfigReader r, String node, GuestNics guests, List<String> localAddresses, boolean hostByDefault) {
        FwFile cluster = FwFile.parse(FwFile.Kind.CLUSTER, r.read("firewall/cluster.fw").orElse(""));
        FwFile host = FwFile.parse(FwFile.Kind.HOST, r.read("nodes/" + node + "/host.fw").orElse(""));
        List<FwCompiler.Guest> gs = new ArrayList<>();
        for (GuestNics.GuestInfo g : guests.guests(node)) {
            FwFile fw = FwFile.parse(FwFile.Kind.GUEST, r.read("firewall/" + g.vmid() + ".fw").orElse(""));
            gs.add(new FwCompiler.Guest(g.vmid(), g.container(), fw, g.nics(), g.tapNode()));
        }
        return new FwCompiler.Input(node, cluster, host, gs, members(r), localNetwork(r, node, localAddresses), hostByDefault)
                .withVnets(vnets(r));
    }

    /** The firewall files of the vnets in {@code sdn/vnets.cfg} that have one. */
    static Map<String, FwFile> vnets(ConfigReader r) {
        Map<String, FwFile> out = new TreeMap<>();
        for (String vnet : vnetZones(r).keySet())
            r.read("sdn/firewall/" + vnet + ".fw").ifPresent(text -> out.put(vnet, FwFile.parse(FwFile.Kind.VNET, text)));
        return out;
    }

    /** The vnets of {@code sdn/vnets.cfg} and their zones ("" for a vnet without one); none when the file does not parse. */
    public static Map<String, String> vnetZones(ConfigReader r) {
        Map<String, String> out = new TreeMap<>();
        try {
            for (SectionConfig.Section s : SectionConfig.parse(r.read("sdn/vnets.cfg").orElse("")).sections())
                if (s.type().equals("vnet")) out.put(s.id(), s.get("zone").orElse(""));
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
        return out;
    }

    /** The detected local network: the network of the interface that has this node's cluster address. */
    public static String localNetwork(ConfigReader r, String node, List<String> localAddresses) {
        return LocalNetwork.detect(nodeIp(r, node), localAddresses);
    }

    /** This node's cluster address ({@code .members}, else {@code corosync.conf}), or null. */
    public static String nodeIp(ConfigReader r, String node) {
        String ip = nodeIp(r.read(".members").orElse(""), node);
        return ip != null ? ip : corosyncNodeIp(r.read("corosync.conf").orElse(""), node);
    }

    static List<String> members(ConfigReader r) {
        List<String> ips = memberIps(r.read(".members").orElse(""));
        return ips.isEmpty() ? corosyncIps(r.read("corosync.conf").orElse("")) : ips;
    }

    private static final Pattern IP = Pattern.compile("\"ip\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern RING = Pattern.compile("ring\\d+_addr\\s*:\\s*(\\S+)");

    /** Addresses of the members in {@code .members}. */
    static List<String> memberIps(String members) {
        List<String> out = new ArrayList<>();
        Matcher m = IP.matcher(members);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** This node's address in {@code .members}, or null. */
    static String nodeIp(String members, String node) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(node) + "\"\\s*:\\s*\\{[^}]*\"ip\"\\s*:\\s*\"([^\"]+)\"").matcher(members);
        return m.find() ? m.group(1) : null;
    }

    /** The {@code ringX_addr} addresses of {@code corosync.conf}'s nodelist. */
    static List<String> corosyncIps(String conf) {
        List<String> out = new ArrayList<>();
        Matcher m = RING.matcher(conf);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** The {@code ring0_addr} of the node {@code name: <node>} in {@code corosync.conf}, or null. */
    static String corosyncNodeIp(String conf, String node) {
        Matcher m = Pattern.compile("node\\s*\\{[^}]*?name\\s*:\\s*" + Pattern.quote(node) + "\\s[^}]*?ring0_addr\\s*:\\s*(\\S+)").matcher(conf);
        if (m.find()) return m.group(1);
        m = Pattern.compile("node\\s*\\{[^}]*?ring0_addr\\s*:\\s*(\\S+)[^}]*?name\\s*:\\s*" + Pattern.quote(node) + "\\s").matcher(conf);
        return m.find() ? m.group(1) : null;
    }
}
