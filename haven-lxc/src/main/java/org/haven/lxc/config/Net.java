package org.haven.lxc.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

import org.haven.guest.config.MacAddress;

/** A container network interface ({@code netN}): a veth pair whose host end joins {@code bridge}. */
public record Net(int index, Map<String, String> props) {

    public static Net parse(String key, String value) {
        return new Net(Integer.parseInt(key.substring(3)), LxcOptions.props(key, value));
    }

    public String key() { return "net" + index; }
    public String name() { return props.get("name"); }
    public String bridge() { return props.get("bridge"); }
    public String hwaddr() { return props.get("hwaddr"); }
    public String ip() { return props.get("ip"); }
    public String gw() { return props.get("gw"); }
    public String ip6() { return props.get("ip6"); }
    public String gw6() { return props.get("gw6"); }
    public Integer tag() { return props.containsKey("tag") ? Integer.valueOf(props.get("tag")) : null; }
    public Integer mtu() { return props.containsKey("mtu") ? Integer.valueOf(props.get("mtu")) : null; }
    public String trunks() { return props.get("trunks"); }
    public boolean firewall() { return "1".equals(props.get("firewall")); }
    public boolean linkDown() { return "1".equals(props.get("link_down")); }

    /** The host end of the pair, as PVE names it: {@code veth<vmid>i<index>}. */
    public String hostIface(int vmid) { return org.haven.core.net.GuestPorts.veth(vmid, index); }

    /** With a generated {@code hwaddr} (prefix of the cluster, PVE's {@code BC:24:11} by default) when it has none; type veth. */
    public Net withDefaults(String macPrefix, RandomGenerator random) {
        LinkedHashMap<String, String> p = new LinkedHashMap<>(props);
        p.putIfAbsent("hwaddr", MacAddress.random(macPrefix, random));
        p.putIfAbsent("type", "veth");
        return new Net(index, p);
    }

    public String print() { return LxcOptions.print(key(), props); }
}
