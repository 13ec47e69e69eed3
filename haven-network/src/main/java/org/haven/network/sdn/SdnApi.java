package org.haven.network.sdn;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.haven.api.ApiException;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.core.format.ConfigDigest;
import org.haven.core.format.SectionConfig.Document;
import org.haven.core.format.SectionConfig.Section;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Validator;
import org.haven.network.apply.IfReload;
import org.haven.network.sdn.SdnConfig.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * PVE's {@code /cluster/sdn} (zones, vnets with their subnets and IPAM addresses, controllers, IPAMs, DNS
 * servers, apply) and {@code /nodes/{node}/sdn} (zone and vnet status). Changes go to the section-config files
 * under {@code sdn/}; {@code PUT /cluster/sdn} writes them as the running configuration
 * ({@code sdn/.running-config}, a new version) and every node applies it (see {@link SdnNode}): the node that
 * was asked in the {@code reloadnetworkall} task, the others when the cluster file system tells them of the new
 * version. An embedded node applies only inside the network namespace {@code haven.network.netns}
 * ({@code HAVEN_NETWORK_NETNS}) names, as the network API does.
 */
public final class SdnApi implements ApiModule {
    private static final Logger LOG = LoggerFactory.getLogger(SdnApi.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String LOCK = "sdn";

    static {
        Formats.register("pve-sdn-zone-id", v -> SdnFormats.id(Kind.ZONES, v));
        Formats.register("pve-sdn-vnet-id", v -> SdnFormats.id(Kind.VNETS, v));
        Formats.register("pve-sdn-controller-id", v -> SdnFormats.id(Kind.CONTROLLERS, v));
        Formats.register("pve-sdn-ipam-id", v -> SdnFormats.id(Kind.IPAMS, v));
        Formats.register("pve-sdn-dns-id", v -> SdnFormats.id(Kind.DNS, v));
        Formats.register("pve-sdn-subnet-id", SdnFormats::subnet);
        Formats.register("pve-sdn-dhcp-range", SdnFormats::dhcpRange);
        Formats.register("pve-node-list", SdnFormats::nodeList);
        Formats.register("ip-list", SdnFormats::ipList);
    }

    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("node", "The cluster node name."),
            Map.entry("zone", "The SDN zone object identifier."),
            Map.entry("vnet", "The SDN vnet object identifier."),
            Map.entry("subnet", "The SDN subnet object identifier (or its CIDR)."),
            Map.entry("controller", "The SDN controller object identifier."),
            Map.entry("ipam", "The SDN IPAM object identifier."),
            Map.entry("dns", "The SDN DNS object identifier."),
            Map.entry("type", "Plugin type (for listing: only this type)."),
            Map.entry("pending", "Display pending config."),
            Map.entry("running", "Display running config."),
            Map.entry("digest", "Prevent changes if current configuration file has a different digest."),
            Map.entry("delete", "A list of settings you want to delete."),
            Map.entry("nodes", "List of cluster nodes the zone is on (default: all)."),
            Map.entry("bridge", "The bridge a vlan or qinq zone sits on."),
            Map.entry("tag", "VLAN tag or VXLAN ID (vnets), service VLAN (qinq zones)."),
            Map.entry("mtu", "MTU of the zone's vnets."),
            Map.entry("peers", "Peer addresses (vxlan zones, controllers)."),
            Map.entry("gateway", "Subnet gateway: the vnet's address on a simple zone."),
            Map.entry("snat", "Masquerade the subnet's traffic leaving it."),
            Map.entry("dhcp", "DHCP server of the zone."),
            Map.entry("dhcp-range", "DHCP ranges of the subnet: start-address=IP,end-address=IP."),
            Map.entry("dhcp-dns-server", "DNS server handed out by DHCP."),
            Map.entry("ip", "IP address."),
            Map.entry("mac", "MAC address."),
            Map.entry("vmid", "The guest the address belongs to."));

    private static final SpecMethods SPEC = SpecMethods.load(SdnApi.class, "sdn-api.json", DESCRIPTIONS);

    private final List<String> netnsPrefix;
    private NodeContext ctx;
    private SdnNode sdn;
    private final List<AutoCloseable> watches = new ArrayList<>();

    /** The node's module: the network namespace comes from {@code haven.network.netns} or {@code HAVEN_NETWORK_NETNS}. */
    public SdnApi() { this(IfReload.netnsFromEnvironment()); }

    SdnApi(List<String> netnsPrefix) { this.netnsPrefix = List.copyOf(netnsPrefix); }


    /** This node's SDN (for tests). */
    SdnNode node() { return sdn; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        Path main = IfReload.nodeFile(ctx.embedded(), ctx.dataDir());
        sdn = new SdnNode(ctx.nodeName(), netnsPrefix, main, main.resolveSibling("interfaces.d").resolve("sdn"),
                IfReload.forNode(ctx.embedded(), ctx.dataDir(), netnsPrefix), ctx.dataDir().resolve("sdn"));

        SPEC.add(reg, "GET", "/cluster/sdn", "SDN index.", (p, rc) ->
                List.of(Map.of("id", "vnets"), Map.of("id", "zones"), Map.of("id", "controllers"), Map.of("id", "ipams"), Map.of("id", "dns")));
        SPEC.add(reg, "PUT", "/cluster/sdn", "Apply the SDN configuration on every node.", (p, rc) -> applyAll(rc));

        crud(reg, Kind.ZONES, "/cluster/sdn/zones");
        crud(reg, Kind.VNETS, "/cluster/sdn/vnets");
        crud(reg, Kind.SUBNETS, "/cluster/sdn/vnets/{vnet}/subnets");
        crud(reg, Kind.CONTROLLERS, "/cluster/sdn/controllers");
        crud(reg, Kind.IPAMS, "/cluster/sdn/ipams");
        crud(reg, Kind.DNS, "/cluster/sdn/dns");
        SPEC.add(reg, "GET", "/cluster/sdn/ipams/{ipam}/status", "List the addresses of an IPAM.", (p, rc) -> ipamStatus(p.str("ipam"), rc));

        String ips = "/cluster/sdn/vnets/{vnet}/ips";
        SPEC.add(reg, "POST", ips, "Add an address mapping (IP and MAC) to the IPAM.", (p, rc) -> ipChange(p, "add"));
        SPEC.add(reg, "PUT", ips, "Change the MAC or guest of an address in the IPAM.", (p, rc) -> ipChange(p, "update"));
        SPEC.add(reg, "DELETE", ips, "Remove an address from the IPAM.", (p, rc) -> ipChange(p, "delete"));

        String n = "/nodes/{node}/sdn";
        SPEC.add(reg, "GET", n, "SDN index of the node.", (p, rc) -> List.of(Map.of("name", "zones")));
        SPEC.add(reg, "GET", n + "/zones", "Status of the SDN zones on the node.", (p, rc) -> zoneStatus(rc));
        SPEC.add(reg, "GET", n + "/zones/{zone}", "Zone index.", (p, rc) -> List.of(Map.of("subdir", "content")));
        SPEC.add(reg, "GET", n + "/zones/{zone}/content", "Status of the vnets of a zone on the node.", (p, rc) -> zoneContent(p.str("zone")));
        reg.addResources(this::resources);
    }

    @Override
    public void start(NodeContext ctx) {
        watches.add(ctx.cfs().watch(SdnConfig.RUNNING, path -> Thread.ofVirtual().start(this::applyWatched)));
        watches.add(ctx.cfs().watch(Ipam.FILE, path -> Thread.ofVirtual().start(this::refreshHosts)));
        if (ctx.cfs().readString(SdnConfig.RUNNING).isPresent()) Thread.ofVirtual().start(() -> {
            try {
                sdn.resume(running(), ipam(), s -> LOG.info("{}", s));
            } catch (IOException | RuntimeException e) {
                LOG.warn("SDN not resumed: {}", e.getMessage());
            } finally {
                publishStatus();
            }
        });
    }

    /** A new running configuration reported by the cluster file system: applied here, a failure logged. */
    private void applyWatched() {
        try {
            applyLocal(s -> LOG.info("{}", s));
        } catch (RuntimeException e) {
            // logged by applyLocal
        }
    }

    @Override
    public void stop() throws Exception {
        for (AutoCloseable w : watches) w.close();
        watches.clear();
    }

    // ---- files ----

    private String text(Kind k) { return ctx.cfs().readString(k.file()).orElse(""); }

    private Document doc(Kind k) { return k == Kind.IPAMS ? SdnConfig.ipams(text(k)) : SdnConfig.parse(k, text(k)); }

    private void write(Kind k, Document d) {
        ctx.cfs().mkdirs("sdn");
        ctx.cfs().writeString(k.file(), SdnConfig.write(k, d));
    }

    private <T> T locked(Supplier<T> body) { return ctx.cfs().withLock(LOCK, Duration.ofSeconds(10), body); }

    Map<String, Object> running() { return SdnConfig.running(ctx.cfs().readString(SdnConfig.RUNNING).orElse(null)); }

    private Ipam ipam() { return Ipam.parse(ctx.cfs().readString(Ipam.FILE).orElse("")); }

    // ---- apply ----

    private Object applyAll(RequestContext rc) {
        long version = locked(() -> {
            Map<Kind, Document> docs = new TreeMap<>();
            for (Kind k : Kind.values()) docs.put(k, doc(k));
            long v = SdnConfig.version(running()) + 1;
            ctx.cfs().mkdirs("sdn");
            ctx.cfs().writeString(SdnConfig.RUNNING, JSON.writeValueAsString(SdnConfig.running(v, docs)));
            return v;
        });
        return ctx.tasks().start("reloadnetworkall", "", rc.authid(), log -> {
            log.log("SDN configuration version " + version + " committed");
            applyLocal(log::log);
            awaitOthers(version, log::log);
        });
    }

    /**
     * The other nodes apply the new version when the cluster file system reports it: wait a bounded time for each
     * online node to publish it, and say which did and which did not (an offline node applies it when it starts).
     */
    private void awaitOthers(long version, Consumer<String> log) throws InterruptedException {
        Map<String, Boolean> online = online();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (String other : otherNodes()) {
            if (!online.getOrDefault(other, false)) {
                log.accept("node " + other + ": offline, applies version " + version + " when it starts");
                continue;
            }
            while (publishedVersion(other) < version && System.nanoTime() < deadline) Thread.sleep(200);
            log.accept(publishedVersion(other) >= version ? "node " + other + ": applied version " + version
                    : "node " + other + ": has not reported version " + version + " yet");
        }
    }

    /** Node → online, from {@code .members}; a node it does not list (a standalone node lists none) is not online. */
    private Map<String, Boolean> online() {
        Map<String, Boolean> out = new TreeMap<>();
        try {
            ctx.cfs().readString(".members").ifPresent(m -> JSON.readTree(m).path("nodelist").properties()
                    .forEach(e -> out.put(e.getKey(), e.getValue().path("online").asInt(0) == 1)));
        } catch (RuntimeException e) {
            // an unreadable member list: no node counts as online
        }
        return out;
    }

    private long publishedVersion(String node) { return status(node).get("version") instanceof Number n ? n.longValue() : -1; }

    /** What a node published about its SDN: {@code version} applied and {@code zones} (zone → status). */
    private Map<String, Object> status(String node) {
        try {
            return ctx.cfs().nodeStatus(node, STATUS_KEY).map(b -> JSON.readValue(b, new TypeReference<Map<String, Object>>() {})).orElse(Map.of());
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private List<String> otherNodes() {
        List<String> out = new ArrayList<>();
        for (var e : ctx.cfs().list("nodes")) {
            String name = e.name();
            if (!name.equals(ctx.nodeName())) out.add(name);
        }
        out.sort(null);
        return out;
    }

    /** Apply the running configuration on this node (a task's or a watcher's work), then tell the cluster the zones' status. */
    void applyLocal(Consumer<String> log) {
        try {
            sdn.apply(running(), ipam(), log);
        } catch (IOException | RuntimeException e) {
            log.accept("node " + ctx.nodeName() + ": SDN apply failed: " + e.getMessage());
            LOG.warn("SDN apply failed", e);
            throw new IllegalStateException("SDN apply on node " + ctx.nodeName() + " failed: " + e.getMessage(), e);
        } finally {
            publishStatus();
        }
    }

    private static final String STATUS_KEY = "sdn";

    /** This node's zone status for every node's {@code /cluster/resources} (PVE's broadcast of the SDN status). */
    private void publishStatus() {
        try {
            ctx.cfs().setNodeStatus(STATUS_KEY, JSON.writeValueAsBytes(Map.of("version", sdn.applied(), "zones", sdn.status(running()))));
        } catch (RuntimeException e) {
            LOG.debug("SDN status not published: {}", e.getMessage());
        }
    }

    /** The {@code sdn} entries of {@code /cluster/resources}: one per zone and node, with the status that node published. */
    private List<Map<String, Object>> resources(RequestContext rc) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<String> nodes = new ArrayList<>(otherNodes());
        nodes.add(ctx.nodeName());
        for (String node : nodes) {
            if (!(status(node).get("zones") instanceof Map<?, ?> zones)) continue;
            zones.forEach((zone, st) -> {
                if (!rc.hasPermission("/sdn/zones/" + zone, true, "SDN.Audit", "SDN.Allocate")) return;
                out.add(Map.of("id", "sdn/" + node + "/" + zone, "type", "sdn", "sdn", zone, "node", node, "status", String.valueOf(st)));
            });
        }
        return out;
    }

    private void refreshHosts() {
        try {
            sdn.refreshHosts(ipam());
        } catch (IOException | RuntimeException e) {
            LOG.warn("SDN DHCP hosts not refreshed: {}", e.getMessage());
        }
    }

    // ---- config CRUD ----

    private static String what(Kind k) {
        return switch (k) {
            case ZONES -> "zone";
            case VNETS -> "vnet";
            case SUBNETS -> "subnet";
            case CONTROLLERS -> "controller";
            case IPAMS -> "ipam";
            case DNS -> "dns";
        };
    }

    private void crud(ApiRegistry reg, Kind k, String base) {
        String item = base + "/{" + k.idParam + "}";
        String w = what(k);
        SPEC.add(reg, "GET", base, "List SDN " + w + " objects.", (p, rc) -> list(k, p, rc));
        SPEC.add(reg, "POST", base, "Create a new SDN " + w + " object.", (p, rc) -> create(k, p, rc));
        SPEC.add(reg, "GET", item, "Read an SDN " + w + " object.", (p, rc) -> read(k, p, rc));
        SPEC.add(reg, "PUT", item, "Update an SDN " + w + " object.", (p, rc) -> update(k, p, rc));
        SPEC.add(reg, "DELETE", item, "Delete an SDN " + w + " object.", (p, rc) -> delete(k, p, rc));
    }

    /** The objects of a kind as asked: the current ones, the running ones, or PVE's pending view. */
    private Map<String, Map<String, Object>> objects(Kind k, Params p) {
        if (p.bool("pending", false)) return SdnConfig.pending(SdnConfig.runningObjects(running(), k), SdnConfig.objects(k, doc(k)));
        if (p.bool("running", false)) return SdnConfig.runningObjects(running(), k);
        return SdnConfig.objects(k, doc(k));
    }

    /** The ACL path of a vnet: {@code /sdn/zones/<zone>/<vnet>}. */
    private static String vnetPath(String zone, String vnet) { return "/sdn/zones/" + zone + "/" + vnet; }

    private String zoneOfVnet(String vnet) {
        return doc(Kind.VNETS).find(vnet).flatMap(s -> s.get("zone"))
                .or(() -> java.util.Optional.ofNullable(SdnConfig.runningObjects(running(), Kind.VNETS).get(vnet)).map(o -> SdnGen.str(o, "zone")))
                // PVE's check_vnet_access checks an unknown vnet on /sdn/zones//<vnet>: refused unless allowed there
                .orElse("");
    }

    /** May the caller see the object (the list methods' filter)? */
    private boolean visible(Kind k, String id, Map<String, Object> o, RequestContext rc) {
        String path = switch (k) {
            case ZONES -> "/sdn/zones/" + id;
            case VNETS -> vnetPath(String.valueOf(zoneOf(o)), id);
            case SUBNETS -> vnetPath(SdnConfig.subnetZone(id), String.valueOf(SdnGen.str(o, "vnet")));
            case CONTROLLERS -> "/sdn/controllers/" + id;
            case IPAMS -> "/sdn/ipams/" + id;
            case DNS -> "/sdn/dns/" + id;
        };
        return rc.hasPermission(path, true, "SDN.Audit", "SDN.Allocate");
    }

    private static Object zoneOf(Map<String, Object> o) {
        Object z = o.get("zone");
        if (z == null && o.get("pending") instanceof Map<?, ?> pm) z = pm.get("zone");
        return z;
    }

    private List<Map<String, Object>> list(Kind k, Params p, RequestContext rc) {
        String type = p.str("type", null);
        String vnet = k == Kind.SUBNETS ? p.str("vnet") : null;
        if (vnet != null) {
            String zone = zoneOfVnet(vnet);
            rc.requireAnyPermission(vnetPath(zone, vnet), "SDN.Audit", "SDN.Allocate");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : objects(k, p).entrySet()) {
            Map<String, Object> o = e.getValue();
            if (type != null && !type.equals(SdnGen.str(o, "type"))) continue;
            if (vnet != null && !vnet.equals(SdnGen.str(o, "vnet"))) continue;
            if (!visible(k, e.getKey(), o, rc)) continue;
            out.add(view(k, e.getKey(), o, null));
        }
        return out;
    }

    /** An object as PVE's API shows it: the ID, its options in text form (dhcp ranges as objects), pending and state. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> view(Kind k, String id, Map<String, Object> o, String digest) {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<String, Object> e : o.entrySet()) {
            if (e.getKey().equals("pending") && e.getValue() instanceof Map<?, ?> pm) {
                Map<String, Object> pv = new TreeMap<>();
                ((Map<String, Object>) pm).forEach((key, v) -> pv.put(key, apiValue(key, v)));
                out.put("pending", pv);
            } else out.put(e.getKey(), apiValue(e.getKey(), e.getValue()));
        }
        out.put(k.idParam, id);
        if (k == Kind.SUBNETS) {
            String cidr = SdnConfig.subnetCidr(id);
            out.put("cidr", cidr);
            out.put("network", cidr.substring(0, cidr.indexOf('/')));
            out.put("mask", cidr.substring(cidr.indexOf('/') + 1));
            out.put("zone", SdnConfig.subnetZone(id));
        }
        if (digest != null) out.put("digest", digest);
        return out;
    }

    private static Object apiValue(String key, Object v) {
        if (SdnConfig.NODE_SETS.contains(key)) return SdnConfig.encode(v);
        if (key.equals("dhcp-range")) {
            List<Object> ranges = new ArrayList<>();
            List<?> items = v instanceof List<?> l ? l : List.of(String.valueOf(v));
            for (Object r : items) {
                try {
                    SdnChecks.Range range = SdnChecks.Range.parse(String.valueOf(r));
                    ranges.add(Map.of("start-address", range.start(), "end-address", range.end()));
                } catch (IllegalArgumentException e) {
                    ranges.add(String.valueOf(r));
                }
            }
            return ranges;
        }
        return v;
    }

    /** The section ID a request names: a subnet's CIDR becomes its {@code zone-ip-mask} ID. */
    private String idOf(Kind k, Params p) {
        String id = p.str(k.idParam);
        if (k == Kind.SUBNETS && id.contains("/")) return SdnConfig.subnetId(zoneOfVnet(p.str("vnet")), Cidr.parse(id).toString());
        return id;
    }

    private Object read(Kind k, Params p, RequestContext rc) {
        String id = idOf(k, p);
        String text = text(k);
        Map<String, Map<String, Object>> objs = objects(k, p);
        Map<String, Object> o = objs.get(id);
        if (o == null || (k == Kind.SUBNETS && !p.str("vnet").equals(SdnGen.str(o, "vnet"))))
            throw ApiException.error("sdn " + what(k) + " '" + id + "' does not exist");
        if (k == Kind.VNETS || k == Kind.SUBNETS) {
            String vnet = k == Kind.VNETS ? id : p.str("vnet");
            String zone = k == Kind.VNETS ? String.valueOf(zoneOf(o)) : SdnConfig.subnetZone(id);
            rc.requireAnyPermission(vnetPath(zone, vnet), "SDN.Audit", "SDN.Allocate");
        }
        return view(k, id, o, ConfigDigest.of(text));
    }

    /** The options a create or update request sets, in text form ({@code dhcp-range} as its list). */
    private static Map<String, Object> options(Kind k, Params p) {
        Map<String, Object> out = new LinkedHashMap<>();
        p.asMap().forEach((key, v) -> {
            if (v == null || List.of("type", "delete", "digest", "pending", "running").contains(key)) return;
            if (key.equals(k.idParam) && k != Kind.VNETS) return;
            if (k == Kind.VNETS && key.equals("vnet")) return;
            if (v instanceof List<?> l) out.put(key, l.stream().map(Validator::text).toList());
            else out.put(key, Validator.text(v));
        });
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void set(Section s, Map<String, Object> options) {
        options.forEach((key, v) -> {
            if (v instanceof List<?> l) s.setValues(key, (List<String>) l);
            else s.set(key, (String) v);
        });
    }

    /** The SDN.Allocate check of a change that the schema leaves to the handler (vnets and subnets). */
    private void allocate(Kind k, String vnet, String zone, RequestContext rc) {
        if (k == Kind.VNETS || k == Kind.SUBNETS) rc.requirePermission(vnetPath(zone, vnet), "SDN.Allocate");
    }

    private Object create(Kind k, Params p, RequestContext rc) {
        Map<String, Object> options = options(k, p);
        return locked(() -> {
            String id;
            String type;
            switch (k) {
                case VNETS -> { id = p.str("vnet"); type = "vnet"; }
                case SUBNETS -> {
                    String zone = zoneOfVnet(p.str("vnet"));
                    Cidr net;
                    try {
                        net = Cidr.parse(SdnConfig.subnetCidr(p.str("subnet")));
                    } catch (IllegalArgumentException e) {
                        throw ParamException.of("subnet", "value does not look like a valid CIDR network");
                    }
                    id = SdnConfig.subnetId(zone, net.toString());
                    type = "subnet";
                    allocate(k, p.str("vnet"), zone, rc);
                }
                default -> { id = p.str(k.idParam); type = p.str("type"); }
            }
            SdnChecks.checkId(k, id);
            Document doc = doc(k);
            if (doc.find(id).isPresent()) throw ApiException.error("sdn " + what(k) + " object ID '" + id + "' already defined");
            Section s = new Section(type, id);
            set(s, options);
            check(k, s, doc);
            SdnChecks.order(k, s);
            doc.add(s);
            if (k == Kind.SUBNETS) ipamSubnet(s, null);
            write(k, doc);
            return null;
        });
    }

    private Object update(Kind k, Params p, RequestContext rc) {
        String id = idOf(k, p);
        Map<String, Object> options = options(k, p);
        List<String> delete = p.opt("delete").map(d -> List.of(d.split("[,;\\s]+"))).orElse(List.of()).stream().filter(x -> !x.isEmpty()).toList();
        return locked(() -> {
            String text = text(k);
            ConfigDigest.check(p.str("digest", null), text);
            // the caller's right first, as PVE's check_vnet_access: an unknown subnet is no answer to a stranger
            if (k == Kind.SUBNETS) allocate(k, p.str("vnet"), SdnConfig.subnetZone(id), rc);
            if (k == Kind.VNETS) allocate(k, id, zoneOfVnet(id), rc);
            Document doc = doc(k);
            Section s = doc.find(id).orElseThrow(() -> ApiException.error("sdn " + what(k) + " '" + id + "' does not exist"));
            if (k == Kind.SUBNETS && !p.str("vnet").equals(s.get("vnet").orElse(null)))
                throw ApiException.error("sdn subnet '" + id + "' does not exist");
            if (k == Kind.VNETS) {
                allocate(k, id, s.get("zone").orElse(""), rc);
                if (options.containsKey("zone")) allocate(k, id, (String) options.get("zone"), rc);
            }
            if (k == Kind.SUBNETS) allocate(k, p.str("vnet"), SdnConfig.subnetZone(id), rc);
            Section before = copy(s);
            SdnChecks.Options table = SdnChecks.options(k, s.type());
            for (String key : delete) {
                if (table != null && table.required().contains(key)) throw ParamException.of("delete", "cannot delete required option '" + key + "'");
                if (options.containsKey(key)) throw ParamException.of("delete", "cannot set and delete property '" + key + "' at the same time");
                s.remove(key);
            }
            set(s, options);
            check(k, s, doc);
            SdnChecks.order(k, s);
            if (k == Kind.SUBNETS) ipamSubnet(s, before);
            write(k, doc);
            return null;
        });
    }

    private static Section copy(Section s) {
        Section c = new Section(s.type(), s.id());
        c.properties().putAll(s.properties());
        return c;
    }

    private Object delete(Kind k, Params p, RequestContext rc) {
        String id = idOf(k, p);
        return locked(() -> {
            if (k == Kind.SUBNETS) allocate(k, p.str("vnet"), SdnConfig.subnetZone(id), rc);
            if (k == Kind.VNETS) allocate(k, id, zoneOfVnet(id), rc);
            Document doc = doc(k);
            Section s = doc.find(id).orElseThrow(() -> ApiException.error("sdn " + what(k) + " '" + id + "' does not exist"));
            switch (k) {
                case ZONES -> used(Kind.VNETS, "zone", id, "zone");
                case VNETS -> {
                    allocate(k, id, s.get("zone").orElse(""), rc);
                    used(Kind.SUBNETS, "vnet", id, "vnet");
                }
                case SUBNETS -> {
                    if (!p.str("vnet").equals(s.get("vnet").orElse(null))) throw ApiException.error("sdn subnet '" + id + "' does not exist");
                    allocate(k, p.str("vnet"), SdnConfig.subnetZone(id), rc);
                    ipamRemoveSubnet(s);
                }
                case CONTROLLERS -> used(Kind.ZONES, "controller", id, "controller");
                case IPAMS -> used(Kind.ZONES, "ipam", id, "ipam");
                case DNS -> {
                    used(Kind.ZONES, "dns", id, "dns");
                    used(Kind.ZONES, "reversedns", id, "dns");
                }
            }
            doc.remove(id);
            write(k, doc);
            return null;
        });
    }

    /** Refuse to delete an object that others still name. */
    private void used(Kind by, String key, String id, String what) {
        List<Section> users = SdnConfig.where(doc(by), key, id);
        if (!users.isEmpty())
            throw ApiException.error("cannot delete " + what + " '" + id + "', " + what(by) + " '" + users.get(0).id() + "' is using it");
    }

    private void check(Kind k, Section s, Document doc) {
        switch (k) {
            case ZONES -> SdnChecks.checkZone(s, doc(Kind.IPAMS), doc(Kind.DNS), doc(Kind.CONTROLLERS));
            case VNETS -> {
                Document vnets = new Document();
                for (Section x : doc.sections()) if (!x.id().equals(s.id())) vnets.add(x);
                SdnChecks.checkVnet(s, doc(Kind.ZONES), vnets);
            }
            case SUBNETS -> SdnChecks.checkSubnet(s, doc(Kind.VNETS), doc(Kind.ZONES));
            default -> SdnChecks.checkOptions(k, s);
        }
    }

    // ---- IPAM ----

    /** The IPAM of a zone when it is PVE's own; null when the zone has none; an external one is refused. */
    private String pveIpam(String zone) {
        String ipam = doc(Kind.ZONES).find(zone).flatMap(z -> z.get("ipam")).orElse(null);
        if (ipam == null) return null;
        Section i = doc(Kind.IPAMS).find(ipam).orElseThrow(() -> ApiException.error("sdn ipam '" + ipam + "' does not exist"));
        if (!i.type().equals("pve")) throw ApiException.error("ipam '" + ipam + "' of type " + i.type() + " is not reachable from this cluster");
        return ipam;
    }

    private <T> T withIpam(java.util.function.Function<Ipam, T> change) {
        return ctx.cfs().withLock(Ipam.LOCK, Duration.ofSeconds(10), () -> {
            Ipam db = ipam();
            T r = change.apply(db);
            ctx.cfs().mkdirs("priv");
            ctx.cfs().writeString(Ipam.FILE, db.write());
            return r;
        });
    }

    /** PVE's subnet hook: the subnet in the zone's IPAM, its gateway registered (and moved when it changed). */
    private void ipamSubnet(Section s, Section before) {
        String zone = SdnConfig.subnetZone(s.id());
        if (pveIpam(zone) == null) return;
        String cidr = SdnConfig.subnetCidr(s.id());
        String gw = s.get("gateway").orElse(null), old = before == null ? null : before.get("gateway").orElse(null);
        withIpam(db -> {
            db.addSubnet(zone, cidr);
            if (old != null && !old.equals(gw)) db.deleteIp(zone, cidr, old);
            if (gw != null && !gw.equals(old)) {
                try {
                    db.addIp(zone, cidr, gw, null, null, null, true);
                } catch (IllegalStateException e) {
                    throw ParamException.of("gateway", e.getMessage());
                }
            }
            return null;
        });
    }

    private void ipamRemoveSubnet(Section s) {
        String zone = SdnConfig.subnetZone(s.id());
        if (pveIpam(zone) == null) return;
        withIpam(db -> {
            db.deleteSubnet(zone, SdnConfig.subnetCidr(s.id()));
            return null;
        });
    }

    private Object ipChange(Params p, String op) {
        String vnet = p.str("vnet"), zone = p.str("zone"), ip = p.str("ip");
        Section v = doc(Kind.VNETS).find(vnet).orElseThrow(() -> ApiException.error("sdn vnet '" + vnet + "' does not exist"));
        if (!zone.equals(v.get("zone").orElse(null))) throw ParamException.of("zone", "vnet '" + vnet + "' is not in zone '" + zone + "'");
        if (pveIpam(zone) == null) throw ApiException.error("zone '" + zone + "' has no IPAM");
        String cidr = null;
        for (Section s : SdnConfig.where(doc(Kind.SUBNETS), "vnet", vnet))
            if (Cidr.parse(SdnConfig.subnetCidr(s.id())).contains(ip)) cidr = SdnConfig.subnetCidr(s.id());
        if (cidr == null) throw ParamException.of("ip", "no subnet of vnet '" + vnet + "' contains " + ip);
        String subnet = cidr;
        String mac = p.str("mac", null), vmid = p.opt("vmid").orElse(null);
        try {
            withIpam(db -> {
                switch (op) {
                    case "add" -> db.addIp(zone, subnet, ip, mac, null, null, false);
                    case "update" -> db.updateIp(zone, subnet, ip, mac, vmid, null);
                    default -> { if (!db.deleteIp(zone, subnet, ip)) throw new IllegalStateException("IP '" + ip + "' does not exist in IPAM"); }
                }
                return null;
            });
        } catch (IllegalStateException e) {
            throw ApiException.error(e.getMessage());
        }
        refreshHosts();
        return null;
    }

    private List<Map<String, Object>> ipamStatus(String ipamId, RequestContext rc) {
        Section i = doc(Kind.IPAMS).find(ipamId).orElseThrow(() -> ApiException.error("sdn ipam '" + ipamId + "' does not exist"));
        if (!i.type().equals("pve")) throw ApiException.error("ipam '" + ipamId + "' of type " + i.type() + " is not reachable from this cluster");
        Document zones = doc(Kind.ZONES), subnets = doc(Kind.SUBNETS);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Ipam.Entry e : ipam().entries(null)) {
            if (!ipamId.equals(zones.find(e.zone()).flatMap(z -> z.get("ipam")).orElse(null))) continue;
            String vnet = subnets.find(SdnConfig.subnetId(e.zone(), e.subnet())).flatMap(s -> s.get("vnet")).orElse(null);
            if (vnet == null || !rc.hasPermission(vnetPath(e.zone(), vnet), true, "SDN.Audit", "SDN.Allocate")) continue;
            Map<String, Object> m = new TreeMap<>();
            m.put("zone", e.zone());
            m.put("vnet", vnet);
            m.put("subnet", e.subnet());
            m.put("ip", e.ip());
            if (e.mac() != null) m.put("mac", e.mac());
            if (e.vmid() != null) m.put("vmid", e.vmid());
            if (e.hostname() != null) m.put("hostname", e.hostname());
            if (e.gateway()) m.put("gateway", 1);
            out.add(m);
        }
        return out;
    }

    // ---- node status ----

    private List<Map<String, Object>> zoneStatus(RequestContext rc) {
        List<Map<String, Object>> out = new ArrayList<>();
        sdn.status(running()).forEach((zone, status) -> {
            if (rc.hasPermission("/sdn/zones/" + zone, false, "SDN.Audit")) out.add(Map.of("zone", zone, "status", status));
        });
        return out;
    }

    private List<Map<String, Object>> zoneContent(String zone) {
        SdnGen.Running r = SdnGen.Running.of(running());
        if (!r.zonesOf(ctx.nodeName()).containsKey(zone)) throw ApiException.error("zone '" + zone + "' is not applied on node " + ctx.nodeName());
        List<Map<String, Object>> out = new ArrayList<>();
        String pending = sdn.status(running()).get(zone);
        sdn.vnetStatus(r, zone).forEach((vnet, status) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vnet", vnet);
            if ("pending".equals(pending)) m.put("status", "pending");
            else if (status.equals("available")) m.put("status", "available");
            else {
                m.put("status", "error");
                m.put("statusmsg", status);
            }
            out.add(m);
        });
        return out;
    }
}
