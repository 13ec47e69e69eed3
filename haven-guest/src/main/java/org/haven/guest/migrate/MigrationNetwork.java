package org.haven.guest.migrate;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The data channel of a migration ({@code datacenter.cfg}'s {@code migration: [type=]<secure|insecure>[,network=<CIDR>]}
 * and the {@code migration_type}/{@code migration_network} parameters, which win over it): the type, default
 * {@code secure}; the network, when set, in which the target picks its own address to listen on (PVE's
 * {@code get_local_migration_ip}), else the target's cluster address is used. Pure except {@link #localAddresses}.
 */
public final class MigrationNetwork {
    private MigrationNetwork() {}

    /** {@code secure} or {@code insecure}: the request's, else the datacenter's, else {@code secure}. */
    public static String type(String requested, Map<String, String> datacenter) {
        if (requested != null) return requested;
        return datacenter.getOrDefault("type", "secure");
    }

    /** The migration network (CIDR): the request's, else the datacenter's, else null. */
    public static String network(String requested, Map<String, String> datacenter) {
        return requested != null ? requested : datacenter.get("network");
    }

    /**
     * The first of {@code addresses} inside {@code cidr} (IPv4 or IPv6, a bare address meaning a host route);
     * null when none is, or when {@code cidr} is not one.
     */
    public static String addressIn(String cidr, List<String> addresses) {
        byte[] net;
        int bits;
        try {
            String[] parts = cidr.split("/", 2);
            if (!parts[0].matches("[0-9a-fA-F:.]+")) return null;
            net = InetAddress.getByName(parts[0]).getAddress();
            bits = parts.length > 1 ? Integer.parseInt(parts[1]) : net.length * 8;
        } catch (Exception e) {
            return null;
        }
        if (bits < 0 || bits > net.length * 8) return null;
        for (String address : addresses) {
            byte[] a;
            try {
                String plain = address.replaceAll("%.*$", "");
                if (!plain.matches("[0-9a-fA-F:.]+")) continue;
                a = InetAddress.getByName(plain).getAddress();
            } catch (Exception e) {
                continue;
            }
            if (a.length != net.length) continue;
            boolean match = true;
            for (int i = 0; i < bits && match; i++) {
                int mask = 0x80 >> (i % 8);
                match = (a[i / 8] & mask) == (net[i / 8] & mask);
            }
            if (match) return address.replaceAll("%.*$", "");
        }
        return null;
    }

    /** The addresses of this host's interfaces (the one place here that looks at the host). */
    public static List<String> localAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress ia : Collections.list(ni.getInetAddresses())) out.add(ia.getHostAddress());
            }
        } catch (Exception e) {
            // no interfaces readable: no address
        }
        return out;
    }
}
