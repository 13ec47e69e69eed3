package org.haven.network.sdn;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network in CIDR form, with the arithmetic the SDN checks and IPAM need (pure, no lookups). */
public record Cidr(BigInteger network, int bits, boolean v6) {

    public static Cidr parse(String cidr) {
        int i = cidr.indexOf('/');
        if (i < 0) throw new IllegalArgumentException("'" + cidr + "' is not a CIDR network");
        BigInteger a = address(cidr.substring(0, i));
        boolean v6 = cidr.indexOf(':') >= 0;
        int bits = Integer.parseInt(cidr.substring(i + 1));
        int width = v6 ? 128 : 32;
        if (bits < 0 || bits > width) throw new IllegalArgumentException("invalid prefix length in '" + cidr + "'");
        return new Cidr(a.shiftRight(width - bits).shiftLeft(width - bits), bits, v6);
    }

    /** The numeric value of an IPv4 or IPv6 address literal. */
    public static BigInteger address(String ip) {
        if (!ip.matches("[0-9.]+|[0-9a-fA-F:.]+")) throw new IllegalArgumentException("invalid IP address '" + ip + "'");
        try {
            return new BigInteger(1, InetAddress.getByName(ip).getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address '" + ip + "'");
        }
    }

    public static boolean isV6(String ip) { return ip.indexOf(':') >= 0; }

    int width() { return v6 ? 128 : 32; }

    public boolean contains(String ip) {
        if (isV6(ip) != v6) return false;
        return address(ip).shiftRight(width() - bits).shiftLeft(width() - bits).equals(network);
    }

    public String format(BigInteger a) {
        byte[] raw = a.toByteArray();
        byte[] b = new byte[width() / 8];
        for (int i = 0; i < b.length && i < raw.length; i++) b[b.length - 1 - i] = raw[raw.length - 1 - i];
        try {
            String s = InetAddress.getByAddress(b).getHostAddress();
            return v6 ? compress(s) : s;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RFC 5952's short form of a full IPv6 address: the longest run of zero groups becomes {@code ::}. */
    static String compress(String full) {
        String[] g = full.split(":");
        int best = -1, bestLen = 1;
        for (int i = 0; i < g.length; i++) {
            int j = i;
            while (j < g.length && g[j].equals("0")) j++;
            if (j - i > bestLen) { best = i; bestLen = j - i; }
            if (j > i) i = j - 1;
        }
        if (best < 0) return full;
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, best));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, g.length));
        return head + "::" + tail;
    }

    public String networkAddress() { return format(network); }

    /** The network in canonical form, like {@code 10.0.0.0/24}. */
    @Override public String toString() { return networkAddress() + "/" + bits; }

    /** The dotted netmask of an IPv4 network. */
    public String netmask() {
        BigInteger all = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
        return format(all.shiftRight(32 - bits).shiftLeft(32 - bits).and(all));
    }
}
