package org.haven.lxc.setup;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.format.PropertyString;

/**
 * One container network interface as setup needs it, from a {@code netN} property string: the name inside the
 * container, {@code ip} (CIDR, {@code dhcp} or {@code manual}), {@code gw}, {@code ip6} (CIDR, {@code auto},
 * {@code dhcp} or {@code manual}) and {@code gw6}; absent values are null.
 */
record NetIf(int index, String name, String ip, String gw, String ip6, String gw6) {
    private static final Pattern NET_KEY = Pattern.compile("^net(\\d+)$");

    /** The {@code netN} entries of a config that name an interface, by index. */
    static List<NetIf> fromConfig(Map<String, String> config) {
        List<NetIf> out = new ArrayList<>();
        for (var e : config.entrySet()) {
            Matcher m = NET_KEY.matcher(e.getKey());
            if (!m.matches()) continue;
            Map<String, String> p = PropertyString.parse(e.getValue(), "name");
            String name = p.get("name");
            if (name == null || name.isEmpty()) continue;
            out.add(new NetIf(Integer.parseInt(m.group(1)), name, p.get("ip"), p.get("gw"), p.get("ip6"), p.get("gw6")));
        }
        out.sort((a, b) -> Integer.compare(a.index, b.index));
        return out;
    }

    /** A copy with another {@code ip6}. */
    NetIf withIp6(String v) { return new NetIf(index, name, ip, gw, v, gw6); }

    /** {@code ip} is an address (not absent, {@code dhcp} or {@code manual}). */
    boolean staticIp() { return ip != null && !ip.equals("dhcp") && !ip.equals("manual"); }

    /** {@code ip6} is an address (not absent, {@code auto}, {@code dhcp} or {@code manual}). */
    boolean staticIp6() { return ip6 != null && !ip6.equals("auto") && !ip6.equals("dhcp") && !ip6.equals("manual"); }

    /** The IPv4 gateway lies outside the interface's subnet, so it needs a host route of its own. */
    boolean gwNeedsRoute() { return gw != null && staticIp() && !inCidr(gw, ip); }

    /** The IPv6 gateway lies outside the subnet and is not link-local, so it needs a host route of its own. */
    boolean gw6NeedsRoute() { return gw6 != null && staticIp6() && !inCidr(gw6, ip6) && !inCidr(gw6, "fe80::/10"); }

    /** The address part of a CIDR ({@code 10.0.0.1/24} → {@code 10.0.0.1}). */
    static String address(String cidr) {
        int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    /** The prefix length of a CIDR (the full address length when it has none). */
    static int prefix(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) return cidr.contains(":") ? 128 : 32;
        return Integer.parseInt(cidr.substring(slash + 1));
    }

    /** The dotted IPv4 netmask of a prefix length ({@code 20} → {@code 255.255.240.0}). */
    static String netmask(int prefix) {
        long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        return (mask >> 24) + "." + ((mask >> 16) & 255) + "." + ((mask >> 8) & 255) + "." + (mask & 255);
    }

    /** True when {@code ip} lies inside {@code cidr}; false for anything that is not a literal of the same family. */
    static boolean inCidr(String ip, String cidr) {
        byte[] a = literal(ip);
        byte[] net = literal(address(cidr));
        if (a == null || net == null || a.length != net.length) return false;
        int bits = a.length * 8;
        int prefix = prefix(cidr);
        if (prefix < 0 || prefix > bits) return false;
        BigInteger mask = prefix == 0 ? BigInteger.ZERO
                : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(bits - prefix).shiftLeft(bits - prefix);
        return new BigInteger(1, a).and(mask).equals(new BigInteger(1, net).and(mask));
    }

    private static final Pattern V4 = Pattern.compile("^\\d{1,3}(\\.\\d{1,3}){3}$");
    private static final Pattern V6 = Pattern.compile("^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$");

    /** The bytes of an IP literal (never a name lookup), or null. */
    private static byte[] literal(String s) {
        if (s == null || !(V4.matcher(s).matches() || V6.matcher(s).matches())) return null;
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
