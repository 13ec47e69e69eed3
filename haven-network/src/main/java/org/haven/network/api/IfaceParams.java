package org.haven.network.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.haven.api.Params;
import org.haven.core.schema.ParamException;
import org.haven.network.apply.Links;
import org.haven.network.ifaces.Iface;
import org.haven.network.ifaces.Interfaces;
import org.haven.network.ifaces.NetworkConfig;
import org.haven.network.ifaces.Stanza;

/**
 * PVE's view of an interface in the API ({@code bridge_ports}, {@code slaves}, {@code cidr}, {@code method6}, …)
 * and the create/update/delete edits of {@code /nodes/{node}/network} on the model, with PVE's checks. Pure.
 */
public final class IfaceParams {
    private IfaceParams() {}

    /** File option name for each API setting name (the ones that differ are PVE's underscore names). */
    static final Map<String, String> SETTING_KEYS = new LinkedHashMap<>();

    static {
        for (String k : List.of("bridge_ports", "bridge_stp", "bridge_fd", "bridge_vids"))
            SETTING_KEYS.put(k, k.replace('_', '-'));
        SETTING_KEYS.put("bridge_vlan_aware", "bridge-vlan-aware");
        SETTING_KEYS.put("slaves", "bond-slaves");
        SETTING_KEYS.put("bond_mode", "bond-mode");
        SETTING_KEYS.put("bond_miimon", "bond-miimon");
        SETTING_KEYS.put("bond_xmit_hash_policy", "bond-xmit-hash-policy");
        for (String k : List.of("bond-primary", "bridge-access", "vlan-raw-device", "vlan-id", "vlan-protocol", "mtu",
                "ovs_ports", "ovs_bonds", "ovs_bridge", "ovs_options", "ovs_tag"))
            SETTING_KEYS.put(k, k);
    }

    private static final Set<String> INTEGERS = Set.of("mtu", "vlan-id", "ovs_tag", "bridge-access");

    /** The interface as PVE's listing shows it; {@code index} is its position in the file (PVE's priority). */
    public static Map<String, Object> view(Iface i, int index, Map<String, Links.Link> live) {
        Map<String, Object> m = new TreeMap<>();
        m.put("iface", i.name());
        String type = i.type();
        m.put("type", type);
        m.put("priority", index + 1);
        if (i.autostart()) m.put("autostart", 1);
        Links.Link l = live.get(i.name());
        if (l != null && l.up()) m.put("active", 1);
        if (l != null && type.equals("eth")) m.put("exists", 1);
        List<String> families = new ArrayList<>();
        for (Stanza s : i.stanzas()) {
            families.add(s.family());
            String sfx = s.family().equals("inet") ? "" : "6";
            m.put("method" + sfx, s.method());
            if (s.address() != null) {
                m.put("address" + sfx, s.ip());
                if (s.prefix() != null) {
                    m.put("cidr" + sfx, s.address());
                    m.put("netmask" + sfx, sfx.isEmpty() || !s.prefix().matches("\\d{1,3}") ? s.prefix() : Integer.valueOf(s.prefix()));
                }
            }
            if (s.gateway() != null) m.put("gateway" + sfx, s.gateway());
            if (!s.options().isEmpty()) m.put("options" + sfx, s.options());
            if (!s.comments().isEmpty()) m.put("comments" + sfx, String.join("\n", s.comments()) + "\n");
        }
        if (!families.isEmpty()) m.put("families", families);
        for (var e : SETTING_KEYS.entrySet()) {
            String v = i.settings().get(e.getValue());
            if (v == null) continue;
            if (e.getKey().equals("bridge_vlan_aware")) m.put("bridge_vlan_aware", 1);
            else if (INTEGERS.contains(e.getKey()) && v.matches("\\d{1,9}")) m.put(e.getKey(), Integer.valueOf(v));
            else m.put(e.getKey(), v);
        }
        if (i.type().startsWith("OVS")) m.put("ovs_type", i.type());
        return m;
    }

    private static ParamException err(String param, String msg) { return ParamException.of(param, msg); }

    /** PVE's {@code POST /nodes/{node}/network}: the configuration with the new interface. */
    public static NetworkConfig create(NetworkConfig config, Params p, boolean ovsAvailable) {
        String name = p.str("iface");
        if (config.ifaces().containsKey(name)) throw err("iface", "interface already exists");
        String type = p.str("type");
        checkOvs(type, ovsAvailable);
        checkGateways(config, name, p);
        TreeMap<String, String> settings = new TreeMap<>();
        if (type.startsWith("OVS")) settings.put("ovs_type", type);
        if (type.equals("bridge")) settings.put("bridge-ports", "none");
        if (type.equals("bond")) settings.put("bond-slaves", "none");
        Iface i = new Iface(name, p.bool("autostart", false), false, settings, List.of(Stanza.of("inet", "manual")));
        i = edit(i, p, List.of());
        checkType(i, type);
        checkVlan(i, p);
        NetworkConfig out = config.with(i);
        checkPorts(out, i);
        return linkOvsBridge(out, i, p);
    }

    /** PVE's {@code PUT /nodes/{node}/network/{iface}}. */
    public static NetworkConfig update(NetworkConfig config, Params p, boolean ovsAvailable) {
        String name = p.str("iface");
        Iface old = config.ifaces().get(name);
        if (old == null) throw err("iface", "interface does not exist");
        String type = p.str("type");
        if (!type.equals(old.type())) throw err("type", "interface type '" + type + "' does not match the existing type '" + old.type() + "'");
        checkOvs(type, ovsAvailable);
        checkGateways(config, name, p);
        List<String> delete = p.has("delete") ? List.of(p.str("delete").split("[,;\\s]+")) : List.of();
        Iface i = edit(old, p, delete);
        checkVlan(i, p);
        NetworkConfig out = config.with(i);
        checkPorts(out, i);
        return linkOvsBridge(out, i, p);
    }

    /** PVE's {@code DELETE /nodes/{node}/network/{iface}}: also drops it from its OVS bridge's port list. */
    public static NetworkConfig delete(NetworkConfig config, String name) {
        Iface old = config.ifaces().get(name);
        if (old == null) throw err("iface", "interface does not exist");
        NetworkConfig out = config.without(name);
        String br = old.settings().get("ovs_bridge");
        Iface bridge = br == null ? null : out.ifaces().get(br);
        if (bridge != null && bridge.settings().containsKey("ovs_ports")) {
            TreeMap<String, String> s = new TreeMap<>(bridge.settings());
            List<String> ports = new ArrayList<>(List.of(s.get("ovs_ports").trim().split("\\s+")));
            ports.remove(name);
            if (ports.isEmpty()) s.remove("ovs_ports"); else s.put("ovs_ports", String.join(" ", ports));
            out = out.with(bridge.withSettings(s));
        }
        return out;
    }

    private static void checkOvs(String type, boolean ovsAvailable) {
        if (type.startsWith("OVS") && !ovsAvailable) throw err("type", "Open VSwitch is not installed (need package 'openvswitch-switch')");
    }

    private static void checkType(Iface i, String type) {
        String got = i.type();
        if (got.equals(type) || type.equals("unknown")) return;
        if (type.equals("vlan")) throw err("vlan-raw-device", "vlan-raw-device is missing");
        throw err("type", "interface '" + i.name() + "' cannot have type '" + type + "' (it is '" + got + "')");
    }

    private static void checkGateways(NetworkConfig config, String name, Params p) {
        for (String sfx : List.of("", "6")) {
            if (!p.has("gateway" + sfx)) continue;
            String family = sfx.isEmpty() ? "inet" : "inet6";
            for (Iface other : config.ifaces().values()) {
                if (other.name().equals(name)) continue;
                if (other.stanza(family).map(Stanza::gateway).orElse(null) != null)
                    throw err("gateway" + sfx, (sfx.isEmpty() ? "Default gateway" : "Default ipv6 gateway")
                            + " already exists on interface '" + other.name() + "'.");
            }
        }
    }

    private static void checkVlan(Iface i, Params p) {
        if (!i.type().equals("vlan")) return;
        if (i.vlanRawDevice() == null) throw err("vlan-raw-device", "vlan-raw-device is missing");
        if (i.vlanId() == null) throw err("vlan-id", "vlan-id is missing");
        if (i.vlanRawDevice().equals(i.name())) throw err("vlan-raw-device", "vlan-raw-device cannot be the interface itself");
    }

    /** PVE refuses a bridge port or bond slave that another bridge or bond already uses. */
    private static void checkPorts(NetworkConfig config, Iface i) {
        String key = i.settings().containsKey("bridge-ports") ? "bridge-ports" : i.settings().containsKey("bond-slaves") ? "bond-slaves" : null;
        if (key == null) return;
        String param = key.equals("bridge-ports") ? "bridge_ports" : "slaves";
        Set<String> mine = new LinkedHashSet<>(List.of(i.settings().get(key).trim().split("\\s+")));
        mine.remove("none");
        for (Iface other : config.ifaces().values()) {
            if (other.name().equals(i.name())) continue;
            for (String k : List.of("bridge-ports", "bond-slaves")) {
                String v = other.settings().get(k);
                if (v == null) continue;
                for (String port : v.trim().split("\\s+"))
                    if (mine.contains(port)) throw err(param, port + " is already used on interface '" + other.name() + "'");
            }
        }
    }

    private static NetworkConfig linkOvsBridge(NetworkConfig config, Iface i, Params p) {
        if (!(i.type().equals("OVSIntPort") || i.type().equals("OVSBond") || i.type().equals("OVSPort")) || !p.has("ovs_bridge")) return config;
        String br = p.str("ovs_bridge");
        Iface bridge = config.ifaces().get(br);
        if (bridge == null) throw err("ovs_bridge", br + " does not exist");
        if (!bridge.type().equals("OVSBridge")) throw err("ovs_bridge", br + " is not a OVSBridge");
        TreeMap<String, String> s = new TreeMap<>(bridge.settings());
        java.util.TreeSet<String> ports = new java.util.TreeSet<>();
        if (s.containsKey("ovs_ports")) ports.addAll(List.of(s.get("ovs_ports").trim().split("\\s+")));
        ports.add(i.name());
        s.put("ovs_ports", String.join(" ", ports));
        return config.with(bridge.withSettings(s));
    }

    /** Apply the deletions, then the given parameters, to an interface. */
    static Iface edit(Iface i, Params p, List<String> delete) {
        TreeMap<String, String> settings = new TreeMap<>(i.settings());
        Map<String, Stanza> st = new LinkedHashMap<>();
        for (Stanza s : i.stanzas()) st.put(s.family(), s);
        for (String d : delete) {
            if (d.isEmpty()) continue;
            if (SETTING_KEYS.containsKey(d)) { settings.remove(SETTING_KEYS.get(d)); continue; }
            for (String sfx : List.of("", "6")) {
                String fam = sfx.isEmpty() ? "inet" : "inet6";
                Stanza s = st.get(fam);
                if (s == null) continue;
                if (d.equals("address" + sfx) || d.equals("cidr" + sfx) || d.equals("netmask" + sfx)) {
                    st.remove(fam);
                    if (st.isEmpty()) st.put("inet", new Stanza("inet", "manual", null, null, s.options(), s.comments()));
                } else if (d.equals("gateway" + sfx)) st.put(fam, s.withGateway(null));
                else if (d.equals("comments" + sfx)) st.put(fam, s.withComments(List.of()));
            }
        }
        if (p.has("autostart")) i = i.withAutostart(p.bool("autostart", false));
        for (String sfx : List.of("", "6")) {
            String fam = sfx.isEmpty() ? "inet" : "inet6";
            String address = address(p, sfx);
            Stanza s = st.get(fam);
            if (address != null) s = (s == null ? Stanza.of(fam, "static") : s.withMethod("static")).withAddress(address);
            if (p.has("gateway" + sfx)) {
                if (s == null || s.address() == null) throw err("gateway" + sfx, "gateway" + sfx + " needs an address" + sfx);
                s = s.withGateway(p.str("gateway" + sfx));
            }
            if (p.has("comments" + sfx)) {
                if (s == null) s = Stanza.of(fam, "manual");
                List<String> lines = new ArrayList<>(List.of(p.str("comments" + sfx).split("\n")));
                lines.replaceAll(String::stripTrailing);
                while (!lines.isEmpty() && lines.getLast().isEmpty()) lines.removeLast();
                s = s.withComments(lines);
            }
            if (s != null) st.put(fam, s);
        }
        for (var e : SETTING_KEYS.entrySet()) {
            if (!p.has(e.getKey())) continue;
            String v = p.get(e.getKey()).toString();
            if (e.getKey().equals("bridge_vlan_aware")) {
                if (p.bool("bridge_vlan_aware", false)) settings.put("bridge-vlan-aware", "yes");
                else settings.remove("bridge-vlan-aware");
                continue;
            }
            if (List.of("bridge_ports", "slaves", "ovs_ports", "ovs_bonds", "bridge_vids").contains(e.getKey()))
                v = String.join(" ", v.trim().split("[;,\\s]+"));
            settings.put(e.getValue(), v);
        }
        List<Stanza> ordered = new ArrayList<>();
        for (Stanza s : i.stanzas()) if (st.containsKey(s.family())) ordered.add(st.remove(s.family()));
        ordered.addAll(st.values());
        return new Iface(i.name(), i.autostart(), i.hotplug(), settings, ordered);
    }

    /** The CIDR address of {@code cidr[6]}, or {@code address[6]}+{@code netmask[6]}; null when none is given. */
    private static String address(Params p, String sfx) {
        if (p.has("cidr" + sfx)) return p.str("cidr" + sfx);
        if (!p.has("address" + sfx)) return null;
        if (!p.has("netmask" + sfx)) throw err("netmask" + sfx, "address" + sfx + " needs a netmask" + sfx);
        String bits = sfx.isEmpty() ? Interfaces.maskBits(p.get("netmask").toString()) : p.get("netmask6").toString();
        return p.str("address" + sfx) + "/" + bits;
    }
}
