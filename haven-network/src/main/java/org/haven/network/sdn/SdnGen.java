package org.haven.network.sdn;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a node makes of the running SDN configuration (pure): the ifupdown2 file
 * {@code /etc/network/interfaces.d/sdn} as PVE generates it (first line {@code #version:N}, then one stanza per
 * interface, sorted by name), the nftables masquerade of the SNAT subnets, and the dnsmasq configuration and
 * hosts file of each simple zone with DHCP.
 *
 * <ul>
 *   <li>simple: the vnet is a bridge without ports carrying its subnets' gateways ({@code ip-forward on} when one is IPv4);</li>
 *   <li>vlan: the vnet bridge's port is {@code ln_<vnet>}, a VLAN with the vnet's tag on the zone's bridge;</li>
 *   <li>qinq: the zone's service VLAN {@code sv_<zone>} (zone tag and protocol) on the zone's bridge, and the vnet's
 *       VLAN {@code ln_<vnet>} inside it;</li>
 *   <li>vxlan: the vnet bridge's port is {@code vxlan_<vnet>} with the vnet's tag as VNI and the zone's peers
 *       other than this node's own addresses as remote IPs;</li>
 *   <li>evpn and faucet need their controllers (FRR, Faucet): their vnets are not generated here.</li>
 * </ul>
 */
public final class SdnGen {
    private SdnGen() {}

    /** The running configuration's objects: zones, vnets and subnets by ID, each with {@code type} and its options. */
    public record Running(long version, Map<String, Map<String, Object>> zones, Map<String, Map<String, Object>> vnets,
                          Map<String, Map<String, Object>> subnets) {
        public static Running of(Map<String, Object> running) {
            return new Running(SdnConfig.version(running), SdnConfig.runningObjects(running, SdnConfig.Kind.ZONES),
                    SdnConfig.runningObjects(running, SdnConfig.Kind.VNETS), SdnConfig.runningObjects(running, SdnConfig.Kind.SUBNETS));
        }

        /** The zones that apply to {@code node}: those without {@code nodes}, or naming it. */
        public Map<String, Map<String, Object>> zonesOf(String node) {
            Map<String, Map<String, Object>> out = new TreeMap<>();
            zones.forEach((id, z) -> {
                if (!(z.get("nodes") instanceof Map<?, ?> n) || n.isEmpty() || n.containsKey(node)) out.put(id, z);
            });
            return out;
        }

        /** The vnets of the zones that apply to {@code node}: vnet → zone. */
        public Map<String, String> localVnets(String node) {
            Map<String, String> out = new TreeMap<>();
            for (String zone : zonesOf(node).keySet()) for (String vnet : vnetsOf(zone)) out.put(vnet, zone);
            return out;
        }

        public List<String> vnetsOf(String zone) {
            return vnets.entrySet().stream().filter(e -> zone.equals(str(e.getValue(), "zone"))).map(Map.Entry::getKey).sorted().toList();
        }

        /** Subnet ID → subnet of a vnet. */
        public Map<String, Map<String, Object>> subnetsOf(String vnet) {
            Map<String, Map<String, Object>> out = new TreeMap<>();
            subnets.forEach((id, s) -> { if (vnet.equals(str(s, "vnet"))) out.put(id, s); });
            return out;
        }
    }

    static String str(Map<String, Object> o, String key) { return o.get(key) == null ? null : SdnConfig.encode(o.get(key)); }

    private static boolean flag(Map<String, Object> o, String key) { return "1".equals(str(o, key)); }

    /** Zone types whose vnets this node generates. */
    public static final Set<String> GENERATED = Set.of("simple", "vlan", "qinq", "vxlan");

    /** The interfaces file for {@code node}; {@code localAddresses} are left out of the vxlan peers. */
    public static String interfaces(Running r, String node, Set<String> localAddresses) {
        Map<String, List<String>> ifaces = new TreeMap<>();
        for (Map.Entry<String, Map<String, Object>> ze : r.zonesOf(node).entrySet()) {
            String zoneId = ze.getKey();
            Map<String, Object> zone = ze.getValue();
            String type = str(zone, "type");
            if (!GENERATED.contains(type)) continue;
            // a VXLAN header takes 50 bytes of a 1500-byte underlay
            String mtu = str(zone, "mtu") == null && type.equals("vxlan") ? "1450" : str(zone, "mtu");
            for (String vnetId : r.vnetsOf(zoneId)) {
                Map<String, Object> vnet = r.vnets().get(vnetId);
                List<String> opts = new ArrayList<>();
                String port = "none";
                switch (type) {
                    case "simple" -> {
                        boolean v4 = false, v6 = false;
                        for (Map.Entry<String, Map<String, Object>> se : r.subnetsOf(vnetId).entrySet()) {
                            String gw = str(se.getValue(), "gateway");
                            if (gw == null) continue;
                            Cidr net = Cidr.parse(SdnConfig.subnetCidr(se.getKey()));
                            opts.add("address " + gw + "/" + net.bits());
                            if (net.v6()) v6 = true;
                            else v4 = true;
                        }
                        if (v4) opts.add("ip-forward on");
                        if (v6) opts.add("ip6-forward on");
                    }
                    case "vlan" -> {
                        port = "ln_" + vnetId;
                        ifaces.put(port, vlanLink(str(zone, "bridge"), str(vnet, "tag"), null, mtu));
                    }
                    case "qinq" -> {
                        String sv = "sv_" + zoneId;
                        ifaces.put(sv, vlanLink(str(zone, "bridge"), str(zone, "tag"), str(zone, "vlan-protocol") == null ? "802.1q" : str(zone, "vlan-protocol"), mtu));
                        port = "ln_" + vnetId;
                        ifaces.put(port, vlanLink(sv, str(vnet, "tag"), null, mtu));
                    }
                    case "vxlan" -> {
                        port = "vxlan_" + vnetId;
                        List<String> vx = new ArrayList<>();
                        vx.add("vxlan-id " + str(vnet, "tag"));
                        String peers = str(zone, "peers");
                        if (peers != null)
                            for (String p : peers.split("[,;\\s]+")) if (!p.isEmpty() && !localAddresses.contains(p)) vx.add("vxlan_remoteip " + p);
                        if (str(zone, "vxlan-port") != null) vx.add("vxlan-port " + str(zone, "vxlan-port"));
                        if (flag(zone, "bridge-disable-mac-learning")) vx.add("bridge-learning off");
                        vx.add("mtu " + mtu);
                        ifaces.put(port, vx);
                    }
                    default -> throw new IllegalStateException(type);
                }
                opts.add("bridge_ports " + port);
                opts.add("bridge_stp off");
                opts.add("bridge_fd 0");
                if (flag(vnet, "vlanaware")) {
                    opts.add("bridge-vlan-aware yes");
                    opts.add("bridge-vids 2-4094");
                }
                if (mtu != null) opts.add("mtu " + mtu);
                if (str(vnet, "alias") != null) opts.add("alias " + str(vnet, "alias"));
                ifaces.put(vnetId, opts);
            }
        }
        StringBuilder sb = new StringBuilder("#version:").append(r.version()).append('\n');
        ifaces.forEach((name, opts) -> {
            sb.append("\nauto ").append(name).append('\n').append("iface ").append(name).append('\n');
            for (String o : opts) sb.append('\t').append(o).append('\n');
        });
        return sb.toString();
    }

    private static List<String> vlanLink(String raw, String tag, String protocol, String mtu) {
        List<String> o = new ArrayList<>();
        o.add("vlan-raw-device " + raw);
        o.add("vlan-id " + tag);
        if (protocol != null) o.add("vlan-protocol " + protocol);
        if (mtu != null) o.add("mtu " + mtu);
        return o;
    }

    /** The version an interfaces file was generated from ({@code #version:N} on its first line), or -1. */
    public static long fileVersion(String text) {
        if (text == null || !text.startsWith("#version:")) return -1;
        String v = text.substring(9, text.indexOf('\n') < 0 ? text.length() : text.indexOf('\n')).strip();
        return v.matches("\\d+") ? Long.parseLong(v) : -1;
    }

    /** A SNAT subnet of this node: its network and the vnet bridge it sits on. */
    public record Snat(String network, String vnet) {}

    public static List<Snat> snats(Running r, String node) {
        List<Snat> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> ze : r.zonesOf(node).entrySet()) {
            if (!"simple".equals(str(ze.getValue(), "type"))) continue;
            for (String vnetId : r.vnetsOf(ze.getKey()))
                for (Map.Entry<String, Map<String, Object>> se : r.subnetsOf(vnetId).entrySet()) {
                    Cidr net = Cidr.parse(SdnConfig.subnetCidr(se.getKey()));
                    if (flag(se.getValue(), "snat") && !net.v6()) out.add(new Snat(net.toString(), vnetId));
                }
        }
        return out;
    }

    public static final String NFT_TABLE = "haven-sdn";

    /** The nftables input that replaces the SNAT table (and only deletes it when there is nothing to masquerade). */
    public static String nft(List<Snat> snats) {
        StringBuilder sb = new StringBuilder("table ip " + NFT_TABLE + "\ndelete table ip " + NFT_TABLE + "\n");
        if (snats.isEmpty()) return sb.toString();
        sb.append("table ip ").append(NFT_TABLE).append(" {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
        for (Snat s : snats)
            sb.append("\t\tip saddr ").append(s.network()).append(" ip daddr != ").append(s.network())
                    .append(" oifname != \"").append(s.vnet()).append("\" masquerade\n");
        return sb.append("\t}\n}\n").toString();
    }

    /** The simple zones of {@code node} with DHCP through dnsmasq. */
    public static List<String> dhcpZones(Running r, String node) {
        List<String> out = new ArrayList<>();
        r.zonesOf(node).forEach((id, z) -> { if ("simple".equals(str(z, "type")) && "dnsmasq".equals(str(z, "dhcp"))) out.add(id); });
        return out;
    }

    /**
     * The configuration of a zone's dnsmasq, as PVE's: DHCP only (no DNS), on the zone's vnets, one tagged range
     * per DHCP range of a subnet with a gateway as router, and the hosts file of the IPAM's MAC mappings.
     */
    public static String dnsmasq(Running r, String zone, Path dir, Path leases, Path pidFile) {
        StringBuilder sb = new StringBuilder();
        sb.append("# dnsmasq of SDN zone ").append(zone).append(", generated from version ").append(r.version()).append('\n');
        sb.append("port=0\nno-resolv\nno-hosts\nbind-interfaces\nexcept-interface=lo\ndhcp-authoritative\n");
        sb.append("dhcp-leasefile=").append(leases).append('\n');
        sb.append("dhcp-hostsfile=").append(dir.resolve("ethers")).append('\n');
        sb.append("pid-file=").append(pidFile).append('\n');
        for (String vnetId : r.vnetsOf(zone)) {
            boolean any = false;
            StringBuilder v = new StringBuilder();
            for (Map.Entry<String, Map<String, Object>> se : r.subnetsOf(vnetId).entrySet()) {
                Map<String, Object> s = se.getValue();
                Object ranges = s.get("dhcp-range");
                if (!(ranges instanceof List<?> list) || list.isEmpty()) continue;
                Cidr net = Cidr.parse(SdnConfig.subnetCidr(se.getKey()));
                String tag = se.getKey();
                for (Object o : list) {
                    SdnChecks.Range range = SdnChecks.Range.parse(String.valueOf(o));
                    v.append("dhcp-range=set:").append(tag).append(',').append(range.start()).append(',').append(range.end())
                            .append(',').append(net.v6() ? String.valueOf(net.bits()) : net.netmask()).append(",infinite\n");
                    any = true;
                }
                String gw = str(s, "gateway");
                if (gw != null && !net.v6()) v.append("dhcp-option=tag:").append(tag).append(",option:router,").append(gw).append('\n');
                String dns = str(s, "dhcp-dns-server");
                if (dns != null && !net.v6()) v.append("dhcp-option=tag:").append(tag).append(",option:dns-server,").append(dns).append('\n');
            }
            if (any) sb.append("interface=").append(vnetId).append('\n').append(v);
        }
        return sb.toString();
    }

    /** dnsmasq's hosts file of a zone from the IPAM: one {@code MAC,IP} line per address with a MAC. */
    public static String ethers(List<Ipam.Entry> entries) {
        StringBuilder sb = new StringBuilder();
        for (Ipam.Entry e : entries) if (e.mac() != null) sb.append(e.mac()).append(',').append(e.ip().contains(":") ? "[" + e.ip() + "]" : e.ip()).append('\n');
        return sb.toString();
    }
}
