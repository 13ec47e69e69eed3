package org.haven.network.ifaces;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One interface of {@code /etc/network/interfaces}: its {@code auto}/{@code allow-hotplug} marks, the
 * interface-wide settings Haven interprets (bridge, bond, VLAN, OVS and MTU options, under their file names)
 * and one {@link Stanza} per address family in file order. The type follows PVE's rules (name patterns and
 * the options present); the settings get PVE's defaults for the type, the ones PVE's writer adds, and lose the
 * bond options PVE's writer leaves out for the bond's mode.
 */
public record Iface(String name, boolean autostart, boolean hotplug, SortedMap<String, String> settings, List<Stanza> stanzas) {

    /** The options kept as settings; every other option stays verbatim in its stanza. */
    public static final Set<String> SETTINGS = Set.of(
            "bridge-ports", "bridge-stp", "bridge-fd", "bridge-vlan-aware", "bridge-vids", "bridge-access",
            "bond-slaves", "bond-mode", "bond-miimon", "bond-primary", "bond-xmit-hash-policy",
            "vlan-raw-device", "vlan-id", "vlan-protocol", "mtu",
            "ovs_type", "ovs_ports", "ovs_bonds", "ovs_bridge", "ovs_options", "ovs_tag", "ovs_mtu");

    public static final List<String> BOND_MODES = List.of("balance-rr", "active-backup", "balance-xor", "broadcast",
            "802.3ad", "balance-tlb", "balance-alb", "balance-slb", "lacp-balance-slb", "lacp-balance-tcp");
    public static final Set<String> OVS_TYPES = Set.of("OVSBridge", "OVSBond", "OVSPort", "OVSIntPort");

    /** PVE's pattern of physical NIC names. */
    public static final Pattern PHYSICAL = Pattern.compile("(?:eth\\d+|en[^:.]+|ib[^:.]+)");
    private static final Pattern DOT_VLAN = Pattern.compile("(\\S+)\\.(\\d+)");
    private static final Pattern VLAN_N = Pattern.compile("vlan(\\d+)");

    public Iface {
        TreeMap<String, String> s = new TreeMap<>(settings);
        if (s.containsKey("ovs_mtu")) s.put("mtu", s.remove("ovs_mtu"));
        if (s.containsKey("bridge-vlan-aware")) {
            if (isTrue(s.get("bridge-vlan-aware"))) s.put("bridge-vlan-aware", "yes");
            else s.remove("bridge-vlan-aware");
        }
        String type = typeOf(name, s);
        if (type.equals("bridge")) {
            s.putIfAbsent("bridge-ports", "none");
            s.putIfAbsent("bridge-stp", "off");
            if (s.get("bridge-stp").equals("off")) s.putIfAbsent("bridge-fd", "0");
            if (s.containsKey("bridge-vlan-aware")) s.putIfAbsent("bridge-vids", "2-4094");
            else s.remove("bridge-vids");
        } else if (type.equals("bond")) {
            s.putIfAbsent("bond-slaves", "none");
            s.putIfAbsent("bond-miimon", "100");
            s.putIfAbsent("bond-mode", "balance-rr");
            // as PVE writes bonds: the hash policy only for the modes that hash, the primary only for active-backup
            String mode = s.get("bond-mode");
            if (!mode.equals("balance-xor") && !mode.equals("802.3ad")) s.remove("bond-xmit-hash-policy");
            if (!mode.equals("active-backup")) s.remove("bond-primary");
        }
        settings = java.util.Collections.unmodifiableSortedMap(s);
        stanzas = List.copyOf(stanzas);
    }

    static boolean isTrue(String v) {
        return v.equals("yes") || v.equals("on") || v.equals("1");
    }

    /** PVE's interface type: loopback, eth, bridge, bond, vlan, alias, OVS types, vxlan or unknown. */
    public String type() { return typeOf(name, settings); }

    static String typeOf(String name, Map<String, String> s) {
        if (name.equals("lo")) return "loopback";
        String ovs = s.get("ovs_type");
        if (ovs != null && OVS_TYPES.contains(ovs)) return ovs;
        if (name.matches("vmbr\\d+") || s.containsKey("bridge-ports")) return "bridge";
        if (name.matches("bond\\d+") || s.containsKey("bond-slaves")) return "bond";
        if (name.matches("\\S+:\\d+")) return "alias";
        if (s.containsKey("vlan-raw-device") || DOT_VLAN.matcher(name).matches() || VLAN_N.matcher(name).matches()) return "vlan";
        if (PHYSICAL.matcher(name).matches()) return "eth";
        return "unknown";
    }

    /** The VLAN's raw device: {@code vlan-raw-device}, or the part before the dot of {@code ethX.N}. */
    public String vlanRawDevice() {
        if (settings.containsKey("vlan-raw-device")) return settings.get("vlan-raw-device");
        var m = DOT_VLAN.matcher(name);
        return m.matches() ? m.group(1) : null;
    }

    /** The VLAN tag: {@code vlan-id}, or the number of {@code ethX.N} or {@code vlanN}. */
    public Integer vlanId() {
        if (settings.containsKey("vlan-id")) return settings.get("vlan-id").matches("\\d{1,4}") ? Integer.valueOf(settings.get("vlan-id")) : null;
        var m = DOT_VLAN.matcher(name);
        if (m.matches()) return m.group(2).length() <= 4 ? Integer.valueOf(m.group(2)) : null;
        var v = VLAN_N.matcher(name);
        return v.matches() && v.group(1).length() <= 4 ? Integer.valueOf(v.group(1)) : null;
    }

    /** The names of the interfaces this one uses as ports, slaves or raw device. */
    public List<String> lowerDevices() {
        List<String> out = new ArrayList<>();
        for (String k : List.of("bridge-ports", "bond-slaves", "ovs_ports", "ovs_bonds"))
            if (settings.containsKey(k)) out.addAll(words(settings.get(k)));
        String raw = type().equals("vlan") ? vlanRawDevice() : null;
        if (raw != null) out.add(raw);
        out.remove("none");
        return out;
    }

    static List<String> words(String v) {
        List<String> out = new ArrayList<>();
        for (String w : v.trim().split("[;,\\s]+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    public Optional<Stanza> stanza(String family) {
        return stanzas.stream().filter(st -> st.family().equals(family)).findFirst();
    }

    public Iface withSettings(Map<String, String> s) { return new Iface(name, autostart, hotplug, new TreeMap<>(s), stanzas); }
    public Iface withAutostart(boolean a) { return new Iface(name, a, hotplug, settings, stanzas); }

    /** This interface with the stanza of {@code st.family()} replaced (or added after the others); null removes it. */
    public Iface withStanza(String family, Stanza st) {
        List<Stanza> out = new ArrayList<>();
        boolean done = false;
        for (Stanza x : stanzas) {
            if (!x.family().equals(family)) out.add(x);
            else if (st != null && !done) { out.add(st); done = true; }
        }
        if (st != null && !done) out.add(st);
        return new Iface(name, autostart, hotplug, settings, out);
    }
}
