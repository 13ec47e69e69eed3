package org.haven.firewall.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.PropertyString;
import org.haven.firewall.compile.FwCompiler;

/**
 * The guests of a node and their NICs, as the firewall needs them. The default implementation reads the guest
 * configuration files in the cluster file system ({@code nodes/<node>/qemu-server/<vmid>.conf} and
 * {@code nodes/<node>/lxc/<vmid>.conf}, their {@code net<N>} keys).
 */
public interface GuestNics {

    /** A guest's identity and NICs (without its firewall file); {@code tapNode} as {@link FwCompiler.Guest} has it. */
    record GuestInfo(int vmid, boolean container, List<FwCompiler.Nic> nics, String tapNode) {
        GuestInfo(int vmid, boolean container, List<FwCompiler.Nic> nics) { this(vmid, container, nics, null); }
    }

    List<GuestInfo> guests(String node);

    /** The guests whose configuration lies on {@code node} in the cluster file system. */
    static GuestNics fromCfs(ClusterFs cfs) {
        return fromConfig(ConfigReader.of(cfs), null);
    }

    /** The same for a node whose VM taps carry {@code tapNode} in their names ({@link org.haven.core.net.GuestPorts#tapNode}). */
    static GuestNics fromCfs(ClusterFs cfs, String tapNode) {
        return fromConfig(ConfigReader.of(cfs), tapNode);
    }

    /** The guests whose configuration files lie below {@code nodes/<node>/} of a configuration tree. */
    static GuestNics fromConfig(ConfigReader reader) {
        return fromConfig(reader, null);
    }

    private static GuestNics fromConfig(ConfigReader reader, String tapNode) {
        return node -> {
            List<GuestInfo> out = new ArrayList<>();
            for (String[] dir : new String[][]{{"qemu-server", "0"}, {"lxc", "1"}}) {
                String base = "nodes/" + node + "/" + dir[0];
                for (String name : reader.files(base)) {
                    Matcher m = Pattern.compile("(\\d+)\\.conf").matcher(name);
                    if (!m.matches()) continue;
                    boolean ct = dir[1].equals("1");
                    reader.read(base + "/" + name).ifPresent(text ->
                            out.add(new GuestInfo(Integer.parseInt(m.group(1)), ct, parseNics(text, ct), tapNode)));
                }
            }
            return out;
        };
    }

    Set<String> QEMU_MODELS = Set.of("e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551",
            "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3");

    /** The {@code net<N>} entries of a guest configuration (the current section only, not snapshots). */
    static List<FwCompiler.Nic> parseNics(String conf, boolean container) {
        List<FwCompiler.Nic> out = new ArrayList<>();
        Pattern key = Pattern.compile("net(\\d+):\\s*(\\S+)\\s*");
        for (String line : conf.split("\n")) {
            if (line.startsWith("[")) break;
            Matcher m = key.matcher(line.strip());
            if (!m.matches()) continue;
            Map<String, String> p;
            try {
                p = PropertyString.parse(m.group(2), container ? "name" : "model");
            } catch (IllegalArgumentException e) {
                continue;
            }
            String mac = container ? p.get("hwaddr") : p.get("macaddr");
            if (!container && mac == null)
                for (String model : QEMU_MODELS) if (p.containsKey(model)) mac = p.get(model);
            List<String> ips = new ArrayList<>();
            if (container) {
                for (String k : List.of("ip", "ip6")) {
                    String v = p.get(k);
                    if (v != null && !v.equals("dhcp") && !v.equals("auto") && !v.equals("manual")) ips.add(v);
                }
            }
            out.add(new FwCompiler.Nic(Integer.parseInt(m.group(1)), mac, p.get("bridge"), "1".equals(p.get("firewall")), ips));
        }
        return out;
    }
}
