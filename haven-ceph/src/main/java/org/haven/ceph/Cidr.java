package org.haven.ceph;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Whether an address lies in a network given as {@code address/prefix} (IPv4 or IPv6, literals only). */
final class Cidr {
    private Cidr() {}

    static boolean contains(String cidr, String ip) {
        int slash = cidr.indexOf('/');
        if (slash < 0) return false;
        byte[] net = literal(cidr.substring(0, slash));
        byte[] addr = literal(ip);
        if (net == null || addr == null || net.length != addr.length) return false;
        int bits;
        try {
            bits = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            return false;
        }
        int width = net.length * 8;
        if (bits < 0 || bits > width) return false;
        BigInteger mask = bits == 0 ? BigInteger.ZERO : BigInteger.ONE.shiftLeft(width).subtract(BigInteger.ONE).shiftRight(width - bits).shiftLeft(width - bits);
        return new BigInteger(1, net).and(mask).equals(new BigInteger(1, addr).and(mask));
    }

    /** The bytes of an address literal, or null when it is none (no name is ever resolved). */
    private static byte[] literal(String s) {
        if (!s.matches("[0-9.]+") && !s.matches("[0-9a-fA-F:.]+")) return null;
        if (s.matches("[0-9.]+") && !s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) return null;
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
