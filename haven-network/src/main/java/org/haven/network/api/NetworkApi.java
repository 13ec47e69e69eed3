package org.haven.network.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.network.apply.IfReload;
import org.haven.network.apply.Links;
import org.haven.network.guest.GuestNetwork;
import org.haven.network.ifaces.Iface;
import org.haven.network.ifaces.Interfaces;
import org.haven.network.ifaces.NetworkConfig;
import org.haven.network.ifaces.Stanza;
import org.haven.network.sdn.SdnConfig;
import org.haven.network.sdn.SdnGen;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PVE's {@code /nodes/{node}/network}: list (with the {@code type} filter), create, read, update and delete
 * interfaces in {@code interfaces.new}, apply it with {@code ifreload -a} (a {@code srvreload} task), or revert.
 * In system mode the file is {@code /etc/network/interfaces}; in embedded mode it is
 * {@code <data-dir>/network/interfaces}, applied only inside the network namespace named by
 * {@code haven.network.netns} (or {@code HAVEN_NETWORK_NETNS}), never to the machine's own interfaces.
 *
 * <p>An embedded node also sets up the {@link GuestNetwork} (NAT and DHCP for guests) on the bridge named by
 * {@code haven.network.guest} (or {@code HAVEN_GUEST_NETWORK}, as {@code ./run} sets it) when that bridge does
 * not exist yet, and takes it down when the node stops.
 */
public final class NetworkApi implements ApiModule {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkApi.class);

    static {
        Formats.register("ipv4mask", v -> {
            try {
                if (!v.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) throw new IllegalArgumentException();
                Interfaces.maskBits(v);
            } catch (IllegalArgumentException e) {
                throw new Formats.FormatException("value does not look like a valid netmask");
            }
        });
        Formats.register("pve-vlan-id-or-range", v -> {
            if (!v.matches("\\d+(-\\d+)?")) throw new Formats.FormatException("invalid vlan id or range '" + v + "'");
            for (String n : v.split("-")) {
                int x = Integer.parseInt(n);
                if (x < 1 || x > 4094) throw new Formats.FormatException("invalid vlan id '" + n + "'");
            }
        });
    }

    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("node", "The cluster node name."),
            Map.entry("iface", "Interface name."),
            Map.entry("type", "Interface type (for listing: only this type; any_bridge and any_local_bridge match Linux and OVS bridges)."),
            Map.entry("address", "IPv4 address, with netmask."),
            Map.entry("netmask", "IPv4 netmask (dotted)."),
            Map.entry("cidr", "IPv4 address with prefix length."),
            Map.entry("gateway", "IPv4 default gateway."),
            Map.entry("address6", "IPv6 address, with netmask6."),
            Map.entry("netmask6", "IPv6 prefix length."),
            Map.entry("cidr6", "IPv6 address with prefix length."),
            Map.entry("gateway6", "IPv6 default gateway."),
            Map.entry("autostart", "Bring the interface up at boot (auto)."),
            Map.entry("comments", "Comment lines of the IPv4 stanza."),
            Map.entry("comments6", "Comment lines of the IPv6 stanza."),
            Map.entry("bridge_ports", "Ports of the bridge."),
            Map.entry("bridge_vlan_aware", "Make the bridge VLAN aware."),
            Map.entry("bridge_vids", "VLANs a VLAN-aware bridge carries, like '2 4 100-200'."),
            Map.entry("slaves", "Interfaces of the bond."),
            Map.entry("bond_mode", "Bond mode."),
            Map.entry("bond-primary", "Primary interface of an active-backup bond."),
            Map.entry("bond_xmit_hash_policy", "Transmit hash policy of balance-xor and 802.3ad bonds."),
            Map.entry("mtu", "MTU."),
            Map.entry("vlan-raw-device", "Interface the VLAN sits on."),
            Map.entry("vlan-id", "VLAN tag of a VLAN with a custom name."),
            Map.entry("ovs_bonds", "Interfaces of the OVS bond."),
            Map.entry("ovs_bridge", "OVS bridge of the port."),
            Map.entry("ovs_options", "Further OVS options."),
            Map.entry("ovs_ports", "Ports of the OVS bridge."),
            Map.entry("ovs_tag", "VLAN tag of the OVS port."),
            Map.entry("delete", "Settings to remove."));

    private static final SpecMethods SPEC = SpecMethods.load(NetworkApi.class, "network-api.json", DESCRIPTIONS);

    private final List<String> netnsPrefix;
    private final String guestBridge;
    private NetworkStore store;
    private IfReload reload;
    private Supplier<Map<String, Links.Link>> live;
    private GuestNetwork guestNetwork;

    /**
     * The node's module: the namespace comes from {@code haven.network.netns} or {@code HAVEN_NETWORK_NETNS}, the
     * guest network's bridge from {@code haven.network.guest} or {@code HAVEN_GUEST_NETWORK}.
     */
    public NetworkApi() {
        this(IfReload.netnsFromEnvironment(), null, guestBridgeFromEnvironment());
    }

    /**
     * @param netnsPrefix the {@code ip netns exec NS} prefix of the namespace the interfaces are applied in (empty: the host)
     * @param live the live links ({@code null}: read with {@code ip -j -d link} in the namespace)
     * @param guestBridge the bridge of the embedded node's guest network, or null for none
     */
    NetworkApi(List<String> netnsPrefix, Supplier<Map<String, Links.Link>> live, String guestBridge) {
        this.netnsPrefix = List.copyOf(netnsPrefix);
        this.live = live;
        this.guestBridge = guestBridge;
    }

    private static String guestBridgeFromEnvironment() {
        String b = System.getProperty("haven.network.guest", System.getenv("HAVEN_GUEST_NETWORK"));
        return b == null || b.isBlank() || b.equals("off") || b.equals("0") ? null : b;
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        Path file = IfReload.nodeFile(ctx.embedded(), ctx.dataDir());
        store = new NetworkStore(file);
        reload = IfReload.forNode(ctx.embedded(), ctx.dataDir(), netnsPrefix);
        if (live == null) live = () -> {
            try {
                return Links.read(netnsPrefix);
            } catch (RuntimeException e) {
                return Map.of();
            }
        };
        String n = "/nodes/{node}/network";
        SPEC.add(reg, "GET", n, "List the network interfaces (pending changes included).", (p, rc) -> {
            store.changes().ifPresent(d -> rc.setResultAttribute("changes", d));
            List<Map<String, Object>> out = list(p);
            if ("any_bridge".equals(p.str("type", null)) || "vnet".equals(p.str("type", null))) out.addAll(vnets(ctx, rc));
            return out;
        });
        SPEC.add(reg, "POST", n, "Create an interface in the pending configuration.", (p, rc) -> change(c -> IfaceParams.create(c, p, ovs())));
        SPEC.add(reg, "PUT", n, "Apply the pending configuration (ifreload -a).",
                (p, rc) -> ctx.tasks().start("srvreload", "networking", rc.authid(), log -> apply(log::log)));
        SPEC.add(reg, "DELETE", n, "Drop the pending configuration.", (p, rc) -> { store.revert(); return null; });
        SPEC.add(reg, "GET", n + "/{iface}", "Read one interface.", (p, rc) -> get(p));
        SPEC.add(reg, "PUT", n + "/{iface}", "Change an interface in the pending configuration.", (p, rc) -> change(c -> IfaceParams.update(c, p, ovs())));
        SPEC.add(reg, "DELETE", n + "/{iface}", "Remove an interface from the pending configuration.", (p, rc) -> change(c -> IfaceParams.delete(c, p.str("iface"))));
    }

    @Override
    public void start(NodeContext ctx) {
        String bridge = guestBridge;
        if (!ctx.embedded() || bridge == null) return;
        GuestNetwork gn = new GuestNetwork(GuestNetwork.Config.defaults(bridge), netnsPrefix, ctx.dataDir().resolve("network").resolve("guest"));
        try {
            if (gn.up()) {
                guestNetwork = gn;
                LOG.info("guest network on {}: {} with NAT and DHCP", bridge, GuestNetwork.Config.defaults(bridge).cidr());
            } else LOG.info("guest network: {} exists already and is not this node's, left as it is", bridge);
        } catch (IOException | RuntimeException e) {
            LOG.warn("guest network on {} not set up: {}", bridge, e.getMessage());
            try {
                gn.down();
            } catch (IOException | RuntimeException e2) {
                LOG.warn("guest network on {}: cleanup failed: {}", bridge, e2.getMessage());
            }
        }
    }

    @Override
    public void stop() throws IOException {
        if (guestNetwork != null) guestNetwork.down();
        guestNetwork = null;
    }

    private static boolean ovs() {
        return Files.isDirectory(Path.of("/sys/module/openvswitch"));
    }

    private Object change(UnaryOperator<NetworkConfig> edit) throws IOException {
        synchronized (store) {
            store.write(edit.apply(store.read(live.get())));
        }
        return null;
    }

    static final Set<String> BRIDGES = Set.of("bridge", "OVSBridge");

    /** The configuration as listed: the file's, plus the guest network's bridge that guests attach to. */
    private NetworkConfig listed(Map<String, Links.Link> links) throws IOException {
        NetworkConfig c = store.read(links);
        GuestNetwork gn = guestNetwork;
        if (gn == null || c.ifaces().containsKey(gn.config().bridge())) return c;
        return c.with(new Iface(gn.config().bridge(), true, false, new TreeMap<>(),
                List.of(Stanza.of("inet", "static").withAddress(gn.config().cidr()))));
    }

    /**
     * The SDN vnets this node carries, as PVE lists them for {@code any_bridge} and {@code vnet}: type {@code vnet},
     * their zone, only those the caller may audit or use.
     */
    private static List<Map<String, Object>> vnets(NodeContext ctx, RequestContext rc) {
        SdnGen.Running r = SdnGen.Running.of(SdnConfig.running(ctx.cfs().readString(SdnConfig.RUNNING).orElse(null)));
        List<Map<String, Object>> out = new ArrayList<>();
        r.localVnets(ctx.nodeName()).forEach((vnet, zone) -> {
            if (!rc.hasPermission("/sdn/zones/" + zone + "/" + vnet, true, "SDN.Audit", "SDN.Allocate", "SDN.Use")) return;
            Map<String, Object> m = new TreeMap<>();
            m.put("iface", vnet);
            m.put("type", "vnet");
            m.put("active", 1);
            m.put("zone", zone);
            Object alias = r.vnets().get(vnet).get("alias");
            if (alias != null) m.put("alias", alias);
            out.add(m);
        });
        return out;
    }

    private List<Map<String, Object>> list(Params p) throws IOException {
        Map<String, Links.Link> links = live.get();
        NetworkConfig c = listed(links);
        String want = p.str("type", null);
        List<Map<String, Object>> out = new ArrayList<>();
        int index = 0;
        for (Iface i : c.ifaces().values()) {
            int idx = index++;
            if (i.name().equals("lo")) continue;
            String t = i.type();
            if (want != null && !(want.equals(t) || ((want.equals("any_bridge") || want.equals("any_local_bridge")) && BRIDGES.contains(t))))
                continue;
            out.add(IfaceParams.view(i, idx, links));
        }
        return out;
    }

    private Object get(Params p) throws IOException {
        Map<String, Links.Link> links = live.get();
        NetworkConfig c = listed(links);
        String name = p.str("iface");
        int idx = new ArrayList<>(c.ifaces().keySet()).indexOf(name);
        if (idx < 0) throw ParamException.of("iface", "interface does not exist");
        return IfaceParams.view(c.ifaces().get(name), idx, links);
    }

    /** Move the pending file in place and reload it where this node may: the work of PUT's task. */
    void apply(Consumer<String> log) throws IOException {
        synchronized (store) {
            if (store.commit()) log.accept("moved " + store.pending() + " to " + store.file());
            else log.accept("no pending changes in " + store.pending());
        }
        if (reload == null) {
            log.accept("embedded node without a network namespace: " + store.file() + " is not applied to the machine's interfaces");
            return;
        }
        if (!store.file().toFile().exists()) {
            log.accept("no " + store.file() + ": nothing to reload");
            return;
        }
        String out = reload.apply();
        for (String line : out.split("\n")) if (!line.isBlank()) log.accept(line);
    }
}
