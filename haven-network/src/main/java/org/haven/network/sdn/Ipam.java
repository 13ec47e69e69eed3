package org.haven.network.sdn;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * PVE's built-in IPAM, {@code priv/ipam.db}: JSON {@code {"zones":{ZONE:{"subnets":{CIDR:{"ips":{IP:{...}}}}}}}}
 * where an address holds {@code gateway: 1} or its {@code mac}, {@code vmid} and {@code hostname}. Pure: the
 * text in, the text out; the caller holds the cluster lock around a change.
 */
public final class Ipam {
    public static final String FILE = "priv/ipam.db";
    public static final String LOCK = "sdn-ipam";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One address of a subnet. */
    public record Entry(String zone, String subnet, String ip, String mac, String vmid, String hostname, boolean gateway) {}

    private final Map<String, Object> db;

    private Ipam(Map<String, Object> db) { this.db = db; }

    public static Ipam parse(String text) {
        if (text == null || text.isBlank()) return new Ipam(new TreeMap<>());
        return new Ipam(JSON.readValue(text, new TypeReference<TreeMap<String, Object>>() {}));
    }

    public String write() { return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(db) + "\n"; }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> m, String key, boolean create) {
        Object c = m.get(key);
        if (c instanceof Map<?, ?> map) return (Map<String, Object>) map;
        if (!create) return null;
        Map<String, Object> n = new TreeMap<>();
        m.put(key, n);
        return n;
    }

    private Map<String, Object> ips(String zone, String cidr, boolean create) {
        Map<String, Object> zones = child(db, "zones", create);
        Map<String, Object> z = zones == null ? null : child(zones, zone, create);
        Map<String, Object> subnets = z == null ? null : child(z, "subnets", create);
        Map<String, Object> s = subnets == null ? null : child(subnets, cidr, create);
        return s == null ? null : child(s, "ips", create);
    }

    public void addSubnet(String zone, String cidr) { ips(zone, cidr, true); }

    /** Remove a subnet whose only addresses are gateways (PVE refuses a subnet with guest addresses). */
    public void deleteSubnet(String zone, String cidr) {
        Map<String, Object> ips = ips(zone, cidr, false);
        if (ips == null) return;
        for (Entry e : entries(zone)) if (e.subnet().equals(cidr) && !e.gateway())
            throw new IllegalStateException("cannot delete subnet '" + cidr + "', not empty");
        Map<String, Object> subnets = child(child(child(db, "zones", false), zone, false), "subnets", false);
        subnets.remove(cidr);
    }

    public void addIp(String zone, String cidr, String ip, String mac, String vmid, String hostname, boolean gateway) {
        Map<String, Object> ips = ips(zone, cidr, false);
        if (ips == null) throw new IllegalStateException("subnet '" + cidr + "' is not in the IPAM");
        if (ips.containsKey(ip)) throw new IllegalStateException("IP '" + ip + "' already exist");
        ips.put(ip, data(mac, vmid, hostname, gateway));
    }

    public void updateIp(String zone, String cidr, String ip, String mac, String vmid, String hostname) {
        Map<String, Object> ips = ips(zone, cidr, false);
        if (ips == null || !ips.containsKey(ip)) throw new IllegalStateException("IP '" + ip + "' does not exist in IPAM");
        ips.put(ip, data(mac, vmid, hostname, false));
    }

    public boolean deleteIp(String zone, String cidr, String ip) {
        Map<String, Object> ips = ips(zone, cidr, false);
        return ips != null && ips.remove(ip) != null;
    }

    private static Map<String, Object> data(String mac, String vmid, String hostname, boolean gateway) {
        Map<String, Object> d = new TreeMap<>();
        if (gateway) d.put("gateway", 1);
        if (mac != null) d.put("mac", mac.toLowerCase());
        if (vmid != null) d.put("vmid", vmid);
        if (hostname != null) d.put("hostname", hostname);
        return d;
    }

    /** The first address of the DHCP ranges not in the IPAM (PVE's {@code add_range_next_freeip}). */
    public String nextFree(String zone, String cidr, List<SdnChecks.Range> ranges) {
        Map<String, Object> ips = ips(zone, cidr, false);
        Cidr net = Cidr.parse(cidr);
        for (SdnChecks.Range r : ranges) {
            BigInteger end = Cidr.address(r.end());
            for (BigInteger a = Cidr.address(r.start()); a.compareTo(end) <= 0; a = a.add(BigInteger.ONE)) {
                String ip = net.format(a);
                if (ips == null || !ips.containsKey(ip)) return ip;
            }
        }
        throw new IllegalStateException("no free IP left in the dhcp-range of subnet " + cidr);
    }

    /** The addresses of a zone (all zones when null), sorted by zone, subnet and address. */
    @SuppressWarnings("unchecked")
    public List<Entry> entries(String zoneFilter) {
        List<Entry> out = new ArrayList<>();
        Map<String, Object> zones = child(db, "zones", false);
        if (zones == null) return out;
        for (Map.Entry<String, Object> z : new TreeMap<>(zones).entrySet()) {
            if (zoneFilter != null && !zoneFilter.equals(z.getKey()) || !(z.getValue() instanceof Map<?, ?> zm)) continue;
            Map<String, Object> subnets = child((Map<String, Object>) zm, "subnets", false);
            if (subnets == null) continue;
            for (Map.Entry<String, Object> s : new TreeMap<>(subnets).entrySet()) {
                Map<String, Object> ips = s.getValue() instanceof Map<?, ?> sm ? child((Map<String, Object>) sm, "ips", false) : null;
                if (ips == null) continue;
                List<String> sorted = new ArrayList<>(ips.keySet());
                sorted.sort((a, b) -> Cidr.address(a).compareTo(Cidr.address(b)));
                for (String ip : sorted) {
                    Map<String, Object> d = ips.get(ip) instanceof Map<?, ?> dm ? (Map<String, Object>) dm : Map.of();
                    out.add(new Entry(z.getKey(), s.getKey(), ip, str(d.get("mac")), str(d.get("vmid")), str(d.get("hostname")),
                            "1".equals(str(d.get("gateway")))));
                }
            }
        }
        return out;
    }

    private static String str(Object o) { return o == null ? null : String.valueOf(o); }
}
