package org.haven.network.ifaces;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Random interface configurations survive writing and reading back, and the written form is a fixed point. */
class InterfacesPropertyTest {
    private static final long SEED = Long.getLong("haven.seed", 0x18_4e7L);

    @Test
    void parseOfWriteGivesTheSameConfig() {
        Random r = new Random(SEED);
        for (int n = 0; n < 500; n++) {
            NetworkConfig x = config(r);
            String text = Interfaces.write(x);
            NetworkConfig back = Interfaces.parse(text);
            assertThat(back).as("seed %d case %d:\n%s", SEED, n, text).isEqualTo(x);
            assertThat(Interfaces.write(back)).isEqualTo(text);
            assertThat(Interfaces.write(back, text)).isSameAs(text);
        }
    }

    /** Any text made of interfaces-file pieces reads without error, and its written form reads back the same. */
    @Test
    void arbitraryTextReadsAndRewritesStably() {
        Random r = new Random(SEED + 1);
        List<String> words = List.of("auto", "allow-hotplug", "allow-ovs", "iface", "source", "mapping", "#", "# c", "address",
                "netmask", "gateway", "bridge-ports", "bridge_stp", "bridge-vlan-aware", "bond-slaves", "bond-mode", "vlan-raw-device",
                "vlan-id", "mtu", "ovs_type", "ovs_mtu", "OVSBridge", "inet", "inet6", "ipx", "static", "manual", "dhcp", "loopback",
                "lo", "eno1", "vmbr0", "bond0", "eno1.5", "vlan9", "10.0.0.1", "10.0.0.1/24", "255.255.255.0", "255.0.255.0", "24",
                "yes", "no", "none", "\t", " ", "", "x");
        for (int n = 0; n < 2000; n++) {
            StringBuilder sb = new StringBuilder();
            int lines = r.nextInt(15);
            for (int i = 0; i < lines; i++) {
                if (r.nextInt(3) == 0) sb.append(r.nextBoolean() ? "\t" : "  ");
                int w = r.nextInt(5);
                for (int j = 0; j < w; j++) sb.append(j == 0 ? "" : " ").append(pick(r, words).replace("\\t", "\t"));
                sb.append('\n');
            }
            String text = sb.toString();
            NetworkConfig c = Interfaces.parse(text);
            String written = Interfaces.write(c);
            assertThat(Interfaces.parse(written)).as("seed %d case %d:\n%s\n---\n%s", SEED + 1, n, text, written).isEqualTo(c);
            assertThat(Interfaces.write(c, text)).isSameAs(text);
        }
    }

    private static <T> T pick(Random r, List<T> l) { return l.get(r.nextInt(l.size())); }

    static NetworkConfig config(Random r) {
        LinkedHashMap<String, Iface> m = new LinkedHashMap<>();
        int count = r.nextInt(8);
        for (int i = 0; i < count; i++) {
            Iface f = iface(r);
            m.put(f.name(), f);
        }
        List<String> dirs = new ArrayList<>();
        if (r.nextBoolean()) dirs.add("source /etc/network/interfaces.d/*");
        if (r.nextInt(4) == 0) dirs.add("source-directory /run/net" + r.nextInt(9));
        return new NetworkConfig(m, dirs);
    }

    static Iface iface(Random r) {
        String kind = pick(r, List.of("lo", "eth", "bridge", "bond", "vlan", "vlanN", "ovs", "custom"));
        TreeMap<String, String> s = new TreeMap<>();
        String name = switch (kind) {
            case "lo" -> "lo";
            case "eth" -> pick(r, List.of("eno", "eth", "enp1s")) + r.nextInt(4);
            case "bridge" -> "vmbr" + r.nextInt(5);
            case "bond" -> "bond" + r.nextInt(3);
            case "vlan" -> "eno" + r.nextInt(3) + "." + (1 + r.nextInt(4094));
            case "vlanN" -> "vlan" + (1 + r.nextInt(4094));
            case "ovs" -> "ovs" + r.nextInt(5);
            default -> "net" + r.nextInt(9);
        };
        switch (kind) {
            case "bridge" -> {
                s.put("bridge-ports", r.nextBoolean() ? "none" : "eno" + r.nextInt(3) + (r.nextBoolean() ? " eno9" : ""));
                if (r.nextBoolean()) s.put("bridge-stp", r.nextBoolean() ? "on" : "off");
                if (r.nextBoolean()) s.put("bridge-fd", Integer.toString(2 + r.nextInt(29)));
                if (r.nextBoolean()) s.put("bridge-vlan-aware", "yes");
                if (r.nextBoolean()) s.put("bridge-vids", r.nextBoolean() ? "2-4094" : "10 20 100-200");
            }
            case "bond" -> {
                s.put("bond-slaves", "eno" + r.nextInt(3) + " eno" + (3 + r.nextInt(3)));
                s.put("bond-mode", pick(r, Iface.BOND_MODES));
                if (r.nextBoolean()) s.put("bond-xmit-hash-policy", pick(r, List.of("layer2", "layer2+3", "layer3+4")));
                if (r.nextBoolean()) s.put("bond-primary", "eno0");
                if (r.nextBoolean()) s.put("bond-miimon", Integer.toString(r.nextInt(500)));
            }
            case "vlanN" -> s.put("vlan-raw-device", "eno" + r.nextInt(3));
            case "ovs" -> {
                String t = pick(r, List.copyOf(new java.util.TreeSet<>(Iface.OVS_TYPES)));
                s.put("ovs_type", t);
                if (t.equals("OVSBridge")) s.put("ovs_ports", "ovs1 ovs2");
                if (t.equals("OVSBond")) s.put("ovs_bonds", "eno1 eno2");
                if (!t.equals("OVSBridge")) s.put("ovs_bridge", "ovs0");
                if (r.nextBoolean()) s.put("ovs_options", "tag=" + r.nextInt(100) + " vlan_mode=native-untagged");
                if (r.nextBoolean()) s.put("ovs_tag", Integer.toString(1 + r.nextInt(4094)));
            }
            case "custom" -> {
                if (r.nextBoolean()) { s.put("vlan-raw-device", "eno1"); s.put("vlan-id", Integer.toString(1 + r.nextInt(4094))); }
            }
            default -> {}
        }
        if (r.nextInt(3) == 0 && !kind.equals("lo")) s.put("mtu", Integer.toString(1280 + r.nextInt(8000)));
        List<Stanza> stanzas = new ArrayList<>();
        if (kind.equals("lo")) stanzas.add(Stanza.of("inet", "loopback"));
        else {
            List<String> fams = new ArrayList<>(List.of("inet", "inet6"));
            if (r.nextBoolean()) java.util.Collections.reverse(fams);
            int nf = r.nextInt(3);
            for (int i = 0; i < nf; i++) stanzas.add(stanza(r, fams.get(i)));
        }
        if (stanzas.isEmpty()) s.clear();
        boolean auto = r.nextBoolean() || stanzas.isEmpty();
        return new Iface(name, auto, r.nextInt(5) == 0, s, stanzas);
    }

    static Stanza stanza(Random r, String family) {
        String method = pick(r, List.of("static", "manual", "dhcp", "auto"));
        String addr = null, gw = null;
        if (method.equals("static") || r.nextInt(6) == 0) {
            addr = family.equals("inet") ? "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254)) : "fd00:" + Integer.toHexString(r.nextInt(65536)) + "::" + Integer.toHexString(1 + r.nextInt(65535));
            if (r.nextInt(5) > 0) addr += "/" + (family.equals("inet") ? 8 + r.nextInt(25) : 48 + r.nextInt(81));
            if (r.nextBoolean()) gw = family.equals("inet") ? "10.0.0.1" : "fd00::1";
        }
        List<String> opts = new ArrayList<>();
        int no = r.nextInt(3);
        for (int i = 0; i < no; i++) {
            String o = pick(r, List.of("post-up ip route add 10.9.0.0/16 via 10.0.0.9", "dns-nameservers 10.0.0.53", "hwaddress ether 02:00:00:00:0" + r.nextInt(10) + ":01",
                    "bridge-learning off", "pre-down  echo  bye", "up true", "address 10.7.7." + r.nextInt(255) + "/24"));
            if (addr != null || !o.startsWith("address")) opts.add(o); // a second address stays an option
        }
        List<String> comments = new ArrayList<>();
        int nc = r.nextInt(3);
        for (int i = 0; i < nc; i++) comments.add(pick(r, List.of("uplink", " spare", "VLAN 42 for # storage", "ünïcode ok", "")));
        return new Stanza(family, method, addr, gw, opts, comments);
    }
}
