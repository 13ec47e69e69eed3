package org.haven.firewall.config;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address with a prefix length ({@code 10.0.0.1}, {@code 10.0.0.0/8}, {@code fe80::1/64}).
 * Parsing accepts only literals: it never resolves names.
 */
public record IpNet(int version, BigInteger address, int prefix) {

    private static final Pattern V4 = Pattern.compile("(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    public int bits() { return version == 4 ? 32 : 128; }

    /** Parse an address with an optional {@code /prefix}; throws {@link IllegalArgumentException} when it is not one. */
    public static IpNet parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        BigInteger a;
        int version;
        if (V4.matcher(addr).matches()) { version = 4; a = toBig(literal(addr)); }
        else if (V6.matcher(addr).matches()) {
            byte[] b = literal(addr);
            if (b.length != 16) throw new IllegalArgumentException("invalid IP address '" + text + "'");
            version = 6; a = toBig(b);
        } else throw new IllegalArgumentException("invalid IP address '" + text + "'");
        int bits = version == 4 ? 32 : 128;
        int prefix = bits;
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > bits) throw new IllegalArgumentException("invalid IP address '" + text + "'");
            prefix = Integer.parseInt(p);
        }
        return new IpNet(version, a, prefix);
    }

    /** True when {@code text} parses as an address or network. */
    public static boolean isValid(String text) {
        try { parse(text); return true; } catch (IllegalArgumentException e) { return false; }
    }

    private static byte[] literal(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            throw new IllegalArgumentException("invalid IP address '" + s + "'");
        }
    }

    private static BigInteger toBig(byte[] b) {
        if (b.length == 16 && isMappedV4(b)) throw new IllegalArgumentException("IPv4-mapped IPv6 address not supported");
        return new BigInteger(1, b);
    }

    private static boolean isMappedV4(byte[] b) {
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    /** First address of the network. */
    public BigInteger first() {
        BigInteger mask = BigInteger.ONE.shiftLeft(bits() - prefix).subtract(BigInteger.ONE);
        return address.andNot(mask);
    }

    /** Last address of the network. */
    public BigInteger last() {
        return first().or(BigInteger.ONE.shiftLeft(bits() - prefix).subtract(BigInteger.ONE));
    }

    public boolean contains(int version, BigInteger addr) {
        return this.version == version && addr.compareTo(first()) >= 0 && addr.compareTo(last()) <= 0;
    }

    /** The address as nft and {@code ip} print it (without prefix). */
    public static String format(int version, BigInteger addr) {
        byte[] raw = addr.toByteArray();
        byte[] b = new byte[version == 4 ? 4 : 16];
        int n = Math.min(raw.length, b.length);
        System.arraycopy(raw, raw.length - n, b, b.length - n, n);
        try {
            String s = InetAddress.getByAddress(b).getHostAddress();
            return version == 6 ? compress6(s) : s;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Network in CIDR form with the host bits as written ({@code 10.0.0.1/8} stays as is). */
    @Override public String toString() {
        String a = format(version, address);
        return prefix == bits() ? a : a + "/" + prefix;
    }

    private static String compress6(String full) {
        String[] parts = full.split(":");
        int bestStart = -1, bestLen = 0;
        for (int i = 0; i < parts.length; ) {
            if (parts[i].equals("0")) {
                int j = i;
                while (j < parts.length && parts[j].equals("0")) j++;
                if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
                i = j;
            } else i++;
        }
        if (bestStart < 0) return full;
        String left = String.join(":", java.util.Arrays.copyOfRange(parts, 0, bestStart));
        String right = String.join(":", java.util.Arrays.copyOfRange(parts, bestStart + bestLen, parts.length));
        return left + "::" + right;
    }
}
