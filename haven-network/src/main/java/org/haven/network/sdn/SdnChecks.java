package org.haven.network.sdn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.haven.core.format.SectionConfig.Document;
import org.haven.core.format.SectionConfig.Section;
import org.haven.core.schema.ParamException;

/**
 * PVE's checks of SDN objects: which options each zone, controller, IPAM and DNS type takes and which it needs,
 * the tag rules of vnets per zone type, and the subnet rules (gateway and DHCP ranges inside the subnet, DHCP
 * only with an IPAM). Pure: the documents in, a {@link ParamException} or nothing out.
 */
public final class SdnChecks {
    private SdnChecks() {}

    /** Options of a type: the ones it needs and the ones it may have. */
    record Options(Set<String> required, Set<String> optional) {
        boolean allows(String key) { return required.contains(key) || optional.contains(key); }
    }

    private static final Set<String> ZONE_COMMON = Set.of("nodes", "ipam", "dns", "reversedns", "dnszone", "mtu");

    private static Options zone(Set<String> required, String... optional) {
        Set<String> o = new java.util.HashSet<>(ZONE_COMMON);
        o.addAll(List.of(optional));
        return new Options(required, o);
    }

    static final Map<String, Options> ZONES = Map.of(
            "simple", zone(Set.of(), "dhcp"),
            "vlan", zone(Set.of("bridge"), "bridge-disable-mac-learning"),
            "qinq", zone(Set.of("bridge", "tag"), "vlan-protocol", "bridge-disable-mac-learning"),
            "vxlan", zone(Set.of("peers"), "vxlan-port", "bridge-disable-mac-learning"),
            "evpn", zone(Set.of("controller", "vrf-vxlan"), "mac", "exitnodes", "exitnodes-primary", "exitnodes-local-routing",
                    "advertise-subnets", "disable-arp-nd-suppression", "rt-import", "vxlan-port"),
            "faucet", zone(Set.of(), "dp-id", "controller"));

    static final Map<String, Options> CONTROLLERS = Map.of(
            "evpn", new Options(Set.of("asn", "peers"), Set.of()),
            "bgp", new Options(Set.of("node", "asn"), Set.of("peers", "ebgp", "ebgp-multihop", "loopback", "bgp-multipath-as-path-relax")),
            "isis", new Options(Set.of("node", "isis-domain", "isis-net", "isis-ifaces"), Set.of("loopback")),
            "faucet", new Options(Set.of(), Set.of()));

    static final Map<String, Options> IPAMS = Map.of(
            "pve", new Options(Set.of(), Set.of()),
            "netbox", new Options(Set.of("url", "token"), Set.of("fingerprint")),
            "phpipam", new Options(Set.of("url", "token", "section"), Set.of("fingerprint")));

    static final Map<String, Options> DNS = Map.of(
            "powerdns", new Options(Set.of("url", "key"), Set.of("ttl", "reversemaskv6", "reversev6mask", "fingerprint")));

    static final Options VNET = new Options(Set.of("zone"), Set.of("tag", "alias", "vlanaware", "isolate-ports"));
    static final Options SUBNET = new Options(Set.of("vnet"), Set.of("gateway", "snat", "dnszoneprefix", "dhcp-range", "dhcp-dns-server"));

    /** The options table of a kind and type, or null when the type is unknown. */
    static Options options(SdnConfig.Kind k, String type) {
        return switch (k) {
            case ZONES -> ZONES.get(type);
            case CONTROLLERS -> CONTROLLERS.get(type);
            case IPAMS -> IPAMS.get(type);
            case DNS -> DNS.get(type);
            case VNETS -> VNET;
            case SUBNETS -> SUBNET;
        };
    }

    /**
     * Put a changed section's properties in the order PVE's section config writes them: the required ones
     * sorted, then the others sorted.
     */
    public static void order(SdnConfig.Kind k, Section s) {
        Options o = options(k, s.type());
        Map<String, String> req = new TreeMap<>(), rest = new TreeMap<>();
        s.properties().forEach((key, v) -> (o != null && o.required().contains(key) ? req : rest).put(key, v));
        s.properties().clear();
        s.properties().putAll(req);
        s.properties().putAll(rest);
    }

    /** PVE's ID formats of zones, vnets, controllers, IPAMs and DNS servers. */
    public static void checkId(SdnConfig.Kind k, String id) {
        String what = switch (k) {
            case ZONES -> "zone";
            case VNETS -> "vnet";
            case CONTROLLERS -> "controller";
            case IPAMS -> "ipam";
            case DNS -> "dns";
            case SUBNETS -> "subnet";
        };
        if (k == SdnConfig.Kind.SUBNETS) return;
        String re = k == SdnConfig.Kind.CONTROLLERS ? "[a-z][a-z0-9_-]*[a-z0-9]" : "[a-z][a-z0-9]*[a-z0-9]";
        if (!id.matches(re)) throw ParamException.of(k.idParam, what + " ID '" + id + "' contains illegal characters");
        if ((k == SdnConfig.Kind.ZONES || k == SdnConfig.Kind.VNETS) && id.length() > 8)
            throw ParamException.of(k.idParam, what + " ID '" + id + "' is too long (max 8 characters)");
    }

    /** The options of a section against its type: none unknown, none missing. */
    public static void checkOptions(SdnConfig.Kind k, Section s) {
        Options o = options(k, s.type());
        if (o == null) throw ParamException.of("type", "invalid type '" + s.type() + "'");
        Map<String, String> errors = new TreeMap<>();
        for (String key : s.properties().keySet())
            if (!o.allows(key)) errors.put(key, "property is not defined in schema and the schema does not allow additional properties");
        for (String key : o.required()) if (!s.properties().containsKey(key)) errors.put(key, "property is missing and it is not optional");
        if (!errors.isEmpty()) throw new ParamException(errors);
    }

    /** A zone: its options, and the objects it names exist (IPAM, DNS servers, controller). */
    public static void checkZone(Section z, Document ipams, Document dns, Document controllers) {
        checkOptions(SdnConfig.Kind.ZONES, z);
        z.get("ipam").ifPresent(i -> { if (ipams.find(i).isEmpty()) throw ParamException.of("ipam", "ipam '" + i + "' does not exist"); });
        for (String key : List.of("dns", "reversedns"))
            z.get(key).ifPresent(d -> { if (dns.find(d).isEmpty()) throw ParamException.of(key, "dns server '" + d + "' does not exist"); });
        if (z.get("dhcp").isPresent() && z.get("ipam").isEmpty())
            throw ParamException.of("dhcp", "DHCP needs an IPAM: set 'ipam' on the zone");
        z.get("tag").ifPresent(t -> vlanTag("tag", t));
        if (z.type().equals("evpn")) {
            String c = z.get("controller").orElseThrow();
            Section cs = controllers.find(c).orElseThrow(() -> ParamException.of("controller", "controller '" + c + "' does not exist"));
            if (!cs.type().equals("evpn")) throw ParamException.of("controller", "controller '" + c + "' is not an evpn controller");
            vxlanTag("vrf-vxlan", z.get("vrf-vxlan").orElseThrow());
        }
        z.get("mtu").ifPresent(m -> { if (Long.parseLong(m) < 0) throw ParamException.of("mtu", "invalid mtu"); });
    }

    private static long vlanTag(String key, String v) {
        long t = Long.parseLong(v);
        if (t < 1 || t > 4094) throw ParamException.of(key, "vlan tag must be between 1 and 4094");
        return t;
    }

    private static long vxlanTag(String key, String v) {
        long t = Long.parseLong(v);
        if (t < 1 || t > 16777215) throw ParamException.of(key, "vxlan tag must be between 1 and 16777215");
        return t;
    }

    /** A vnet: its zone exists, its tag follows the zone type's rule and is not used by another vnet of a zone on the same wire. */
    public static void checkVnet(Section v, Document zones, Document vnets) {
        checkOptions(SdnConfig.Kind.VNETS, v);
        String zoneId = v.get("zone").orElseThrow();
        Section zone = zones.find(zoneId).orElseThrow(() -> ParamException.of("zone", "zone '" + zoneId + "' does not exist"));
        String tag = v.get("tag").orElse(null);
        switch (zone.type()) {
            case "simple" -> {
                if (tag != null) throw ParamException.of("tag", "vlan tag is not allowed on simple zone");
            }
            case "vlan", "qinq" -> {
                if (tag == null) throw ParamException.of("tag", "missing vlan tag");
                vlanTag("tag", tag);
            }
            case "vxlan", "evpn" -> {
                if (tag == null) throw ParamException.of("tag", "missing vxlan tag");
                vxlanTag("tag", tag);
                if (tag.equals(zone.get("vrf-vxlan").orElse(null)))
                    throw ParamException.of("tag", "vnet tag " + tag + " is the zone's vrf-vxlan");
            }
            default -> { }
        }
        if (v.get("vlanaware").map("1"::equals).orElse(false) && zone.type().equals("evpn"))
            throw ParamException.of("vlanaware", "vlanaware is not supported by evpn zones");
        if (tag == null) return;
        for (Section other : vnets.sections()) {
            if (other.id().equals(v.id()) || !tag.equals(other.get("tag").orElse(null))) continue;
            Section oz = zones.find(other.get("zone").orElse("")).orElse(null);
            if (oz != null && sameWire(zone, oz)) throw ParamException.of("tag", "tag " + tag + " already exists in vnet " + other.id());
        }
    }

    /** Two zones whose vnet tags share one number space: vlan zones on the same bridge, the same qinq service vlan, any vxlan/evpn. */
    private static boolean sameWire(Section a, Section b) {
        boolean ax = a.type().equals("vxlan") || a.type().equals("evpn"), bx = b.type().equals("vxlan") || b.type().equals("evpn");
        if (ax || bx) return ax && bx;
        if (a.type().equals("vlan") && b.type().equals("vlan")) return a.get("bridge").equals(b.get("bridge"));
        if (a.type().equals("qinq") && b.type().equals("qinq"))
            return a.get("bridge").equals(b.get("bridge")) && a.get("tag").equals(b.get("tag"));
        return false;
    }

    /** One DHCP range: {@code start-address=IP,end-address=IP}. */
    public record Range(String start, String end) {
        public static Range parse(String text) {
            String start = null, end = null;
            for (String part : text.split(",")) {
                int eq = part.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException("invalid dhcp-range '" + text + "'");
                String k = part.substring(0, eq).strip(), v = part.substring(eq + 1).strip();
                switch (k) {
                    case "start-address" -> start = v;
                    case "end-address" -> end = v;
                    default -> throw new IllegalArgumentException("invalid dhcp-range key '" + k + "'");
                }
            }
            if (start == null || end == null) throw new IllegalArgumentException("dhcp-range needs start-address and end-address");
            Cidr.address(start);
            Cidr.address(end);
            return new Range(start, end);
        }

        @Override public String toString() { return "start-address=" + start + ",end-address=" + end; }
    }

    /** A subnet: valid CIDR, its vnet exists, the gateway and the DHCP ranges lie inside it, SNAT only where routed. */
    public static void checkSubnet(Section s, Document vnets, Document zones) {
        checkOptions(SdnConfig.Kind.SUBNETS, s);
        Cidr net;
        try {
            net = Cidr.parse(SdnConfig.subnetCidr(s.id()));
        } catch (IllegalArgumentException e) {
            throw ParamException.of("subnet", "value does not look like a valid CIDR network");
        }
        if (!net.toString().equals(SdnConfig.subnetCidr(s.id())))
            throw ParamException.of("subnet", "subnet " + SdnConfig.subnetCidr(s.id()) + " is not a network address, use " + net);
        String vnetId = s.get("vnet").orElseThrow();
        Section vnet = vnets.find(vnetId).orElseThrow(() -> ParamException.of("vnet", "vnet '" + vnetId + "' does not exist"));
        Section zone = zones.find(vnet.get("zone").orElse("")).orElse(null);
        s.get("gateway").ifPresent(g -> {
            if (!net.contains(g)) throw ParamException.of("gateway", "gateway " + g + " is not in subnet " + net);
        });
        for (String key : List.of("dhcp-dns-server")) s.get(key).ifPresent(Cidr::address);
        List<Range> ranges = new ArrayList<>();
        for (String r : s.values("dhcp-range")) {
            Range range;
            try {
                range = Range.parse(r);
            } catch (IllegalArgumentException e) {
                throw ParamException.of("dhcp-range", e.getMessage());
            }
            if (!net.contains(range.start())) throw ParamException.of("dhcp-range", "start-address " + range.start() + " is not in subnet " + net);
            if (!net.contains(range.end())) throw ParamException.of("dhcp-range", "end-address " + range.end() + " is not in subnet " + net);
            if (Cidr.address(range.start()).compareTo(Cidr.address(range.end())) > 0)
                throw ParamException.of("dhcp-range", "start-address " + range.start() + " is after end-address " + range.end());
            ranges.add(range);
        }
        if (s.get("snat").map("1"::equals).orElse(false) && zone != null && !List.of("simple", "evpn").contains(zone.type()))
            throw ParamException.of("snat", "snat is only supported in simple and evpn zones");
    }
}
