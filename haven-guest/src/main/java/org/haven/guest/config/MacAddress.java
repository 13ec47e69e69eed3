package org.haven.guest.config;

import java.util.HexFormat;
import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Generated MAC addresses of guest NICs (a VM's {@code netN}, a container's {@code hwaddr}), as PVE's
 * {@code random_ether_addr}: six random bytes, the first one unicast and locally administered, the leading
 * part replaced by the cluster's prefix ({@code mac_prefix} of {@code datacenter.cfg}, by default
 * {@value #DEFAULT_PREFIX}). Written in upper case, {@code XX:XX:XX:XX:XX:XX}.
 */
public final class MacAddress {
    /** PVE's default {@code mac_prefix} (Proxmox's OUI). */
    public static final String DEFAULT_PREFIX = "BC:24:11";

    /** PVE's {@code mac-prefix} format: one to three bytes, the first one unicast. */
    private static final Pattern PREFIX = Pattern.compile("[0-9a-fA-F][02468aceACE](?::[0-9a-fA-F]{2}){0,2}:?");

    private MacAddress() {}

    /** A new address starting with {@code prefix} (none: all random); the prefix must be of PVE's format. */
    public static String random(String prefix, RandomGenerator random) {
        byte[] b = new byte[6];
        random.nextBytes(b);
        b[0] = (byte) ((b[0] & 0xfe) | 0x02);
        String addr = HexFormat.ofDelimiter(":").withUpperCase().formatHex(b);
        if (prefix == null || prefix.isEmpty()) return addr;
        if (!PREFIX.matcher(prefix).matches()) throw new IllegalArgumentException("invalid MAC address prefix '" + prefix + "'");
        return prefix.toUpperCase(Locale.ROOT) + addr.substring(prefix.length());
    }

    /**
     * The {@code mac_prefix} of a {@code datacenter.cfg} text; {@link #DEFAULT_PREFIX} when it is not set or
     * not of PVE's format.
     */
    public static String prefix(String datacenterCfg) {
        return org.haven.core.format.DatacenterConfig.parse(datacenterCfg).get("mac_prefix")
                .filter(v -> PREFIX.matcher(v).matches()).orElse(DEFAULT_PREFIX);
    }
}
