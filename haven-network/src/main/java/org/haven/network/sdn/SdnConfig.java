package org.haven.network.sdn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.haven.core.format.SectionConfig;
import org.haven.core.format.SectionConfig.Document;
import org.haven.core.format.SectionConfig.Section;

/**
 * PVE's SDN configuration files in the cluster file system ({@code sdn/zones.cfg}, {@code vnets.cfg},
 * {@code subnets.cfg}, {@code controllers.cfg}, {@code ipams.cfg}, {@code dns.cfg}, all section config) and the
 * running configuration ({@code sdn/.running-config}, JSON written on apply) with PVE's view of what is pending.
 * Pure: text in, text or maps out.
 */
public final class SdnConfig {
    private SdnConfig() {}

    /** One of the six files: its name, the API's ID parameter and the keys that repeat. */
    public enum Kind {
        ZONES("zones", "zone", Set.of()),
        VNETS("vnets", "vnet", Set.of()),
        SUBNETS("subnets", "subnet", Set.of("dhcp-range")),
        CONTROLLERS("controllers", "controller", Set.of()),
        IPAMS("ipams", "ipam", Set.of()),
        DNS("dns", "dns", Set.of());

        public final String name;
        public final String idParam;
        final SectionConfig.Format format;

        Kind(String name, String idParam, Set<String> arrays) {
            this.name = name;
            this.idParam = idParam;
            this.format = new SectionConfig.Format(null, arrays);
        }

        public String file() { return "sdn/" + name + ".cfg"; }
        public String lock() { return "sdn-" + name; }
    }

    public static final String RUNNING = "sdn/.running-config";
    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

    /** Keys whose values are numbers in the running configuration (PVE's integer and boolean properties). */
    static final Set<String> NUMERIC = Set.of("tag", "mtu", "vrf-vxlan", "vxlan-port", "dp-id", "asn", "ebgp-multihop",
            "snat", "vlanaware", "isolate-ports", "advertise-subnets", "disable-arp-nd-suppression", "exitnodes-local-routing",
            "bridge-disable-mac-learning", "ebgp", "bgp-multipath-as-path-relax", "ttl", "reversemaskv6", "reversev6mask");
    /** Keys PVE decodes into a set ({@code {"node1":1}}) in the running configuration. */
    static final Set<String> NODE_SETS = Set.of("nodes", "exitnodes");

    public static Document parse(Kind k, String text) { return SectionConfig.parse(text, k.format); }

    public static String write(Kind k, Document doc) { return SectionConfig.write(doc, k.format); }

    /** The IPAM file as PVE reads it: the built-in {@code pve} IPAM is always there. */
    public static Document ipams(String text) {
        Document d = parse(Kind.IPAMS, text);
        if (d.find("pve").isEmpty()) d.add(new Section("pve", "pve"));
        return d;
    }

    /** The objects of a file as PVE's parsed config: ID → properties with {@code type}. */
    public static Map<String, Map<String, Object>> objects(Kind k, Document doc) {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        for (Section s : doc.sections()) {
            Map<String, Object> o = new TreeMap<>();
            o.put("type", s.type());
            for (Map.Entry<String, String> e : s.properties().entrySet()) o.put(e.getKey(), decode(k, e.getKey(), s));
            out.put(s.id(), o);
        }
        return out;
    }

    private static Object decode(Kind k, String key, Section s) {
        String v = s.properties().get(key);
        if (k.format.arrayKeys().contains(key)) return s.values(key);
        if (NODE_SETS.contains(key)) {
            Map<String, Object> set = new TreeMap<>();
            for (String n : v.split("[,;\\s]+")) if (!n.isEmpty()) set.put(n, 1);
            return set;
        }
        if (NUMERIC.contains(key) && v.matches("-?\\d{1,18}")) return Long.parseLong(v);
        return v;
    }

    /** A value of the parsed form back in the file's text form (PVE's {@code encode_value}). */
    @SuppressWarnings("unchecked")
    public static String encode(Object v) {
        if (v == null) return null;
        if (v instanceof Map<?, ?> m) return String.join(",", ((Map<String, Object>) m).keySet());
        if (v instanceof List<?> l) return String.join(",", l.stream().map(String::valueOf).toList());
        return String.valueOf(v);
    }

    /** The running configuration PVE's {@code commit_config} writes: the current objects under a new version. */
    public static Map<String, Object> running(long version, Map<Kind, Document> current) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", version);
        for (Kind k : List.of(Kind.CONTROLLERS, Kind.SUBNETS, Kind.VNETS, Kind.ZONES))
            out.put(k.name, Map.of("ids", objects(k, current.getOrDefault(k, new Document()))));
        return out;
    }

    /** The objects of one kind in a running configuration (empty when there is none; an entry that is no object is left out). */
    @SuppressWarnings("unchecked")
    public static Map<String, Map<String, Object>> runningObjects(Map<String, Object> running, Kind k) {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        Object kind = running.get(k.name);
        if (!(kind instanceof Map<?, ?> m) || !(m.get("ids") instanceof Map<?, ?> ids)) return out;
        ids.forEach((id, o) -> { if (o instanceof Map<?, ?> obj) out.put(String.valueOf(id), (Map<String, Object>) obj); });
        return out;
    }

    /** The running configuration from the text of {@code sdn/.running-config} (empty when there is none). */
    public static Map<String, Object> running(String json) {
        if (json == null || json.isBlank()) return Map.of();
        return JSON.readValue(json, new tools.jackson.core.type.TypeReference<Map<String, Object>>() {});
    }

    public static long version(Map<String, Object> running) {
        return running.get("version") instanceof Number n ? n.longValue() : 0;
    }

    /**
     * PVE's {@code pending_config}: each object with its running values, {@code state} (new, changed, deleted)
     * when it differs, and {@code pending} holding the current values that differ ({@code deleted} for a key
     * that was removed).
     */
    public static Map<String, Map<String, Object>> pending(Map<String, Map<String, Object>> running, Map<String, Map<String, Object>> current) {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        for (Map.Entry<String, Map<String, Object>> e : running.entrySet()) {
            String id = e.getKey();
            Map<String, Object> cur = current.get(id);
            Map<String, Object> o = out.computeIfAbsent(id, x -> new TreeMap<>());
            for (Map.Entry<String, Object> kv : e.getValue().entrySet()) {
                String key = kv.getKey();
                o.put(key, key.equals("type") || key.equals("vnet") ? encode(kv.getValue()) : kv.getValue());
                if (cur == null) o.put("state", "deleted");
                else if (!cur.containsKey(key)) {
                    pendingMap(o).put(key, "deleted");
                    o.put("state", "changed");
                } else if (!encode(kv.getValue()).equals(encode(cur.get(key)))) o.put("state", "changed");
            }
            if (o.containsKey("state")) pendingMap(o);
        }
        for (Map.Entry<String, Map<String, Object>> e : current.entrySet()) {
            String id = e.getKey();
            Map<String, Object> run = running.get(id);
            Map<String, Object> o = out.computeIfAbsent(id, x -> new TreeMap<>());
            for (Map.Entry<String, Object> kv : e.getValue().entrySet()) {
                String key = kv.getKey();
                String value = encode(kv.getValue());
                String before = run == null ? null : encode(run.get(key));
                if (key.equals("type") || key.equals("vnet")) o.put(key, value);
                else if (before == null || !before.equals(value)) pendingMap(o).put(key, value);
                if (run == null) o.put("state", "new");
                else if (before == null) o.put("state", "changed");
            }
            if (o.containsKey("state")) pendingMap(o);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> pendingMap(Map<String, Object> o) {
        return (Map<String, Object>) o.computeIfAbsent("pending", x -> new TreeMap<String, Object>());
    }

    /** PVE's subnet section ID of a CIDR in a zone: {@code zone-10.0.0.0-24}. */
    public static String subnetId(String zone, String cidr) { return zone + "-" + cidr.replace('/', '-'); }

    /** The CIDR of a subnet ID ({@code zone-10.0.0.0-24} → {@code 10.0.0.0/24}), or the CIDR itself. */
    public static String subnetCidr(String id) {
        if (id.contains("/")) return id;
        int last = id.lastIndexOf('-');
        int first = id.indexOf('-');
        if (first < 0 || last == first) throw new IllegalArgumentException("invalid subnet ID '" + id + "'");
        return id.substring(first + 1, last) + "/" + id.substring(last + 1);
    }

    /** The zone of a subnet ID. */
    public static String subnetZone(String id) { return id.substring(0, Math.max(0, id.indexOf('-'))); }

    /** The sections of a document whose {@code key} is {@code value}, sorted by ID. */
    public static List<Section> where(Document doc, String key, String value) {
        List<Section> out = new ArrayList<>();
        for (Section s : doc.sections()) if (value.equals(s.properties().get(key))) out.add(s);
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }
}
