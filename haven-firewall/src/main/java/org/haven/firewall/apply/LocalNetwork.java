package org.haven.firewall.apply;

import java.util.List;
import org.haven.firewall.config.IpNet;

/** PVE's {@code local_network} detection: the network of the interface that carries the node's address. */
public final class LocalNetwork {
    private LocalNetwork() {}

    /**
     * The network (CIDR, host bits cleared) of the entry in {@code addresses} ({@code addr/prefix} as
     * {@code ip -o addr} prints them) that equals {@code nodeIp}, or null.
     */
    public static String detect(String nodeIp, List<String> addresses) {
        if (nodeIp == null) return null;
        IpNet node;
        try { node = IpNet.parse(nodeIp); } catch (IllegalArgumentException e) { return null; }
        for (String a : addresses) {
            try {
                IpNet n = IpNet.parse(a);
                if (n.version() == node.version() && n.address().equals(node.address())) {
                    String net = IpNet.format(n.version(), n.first());
                    return net + "/" + n.prefix();
                }
            } catch (IllegalArgumentException ignored) {
                // not an address
            }
        }
        return null;
    }

    /** This machine's addresses ({@code ip -o addr show}, run with the command prefix, e.g. {@code ip netns exec <ns>}). */
    public static List<String> addresses(List<String> prefix) {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of("ip", "-o", "addr", "show"));
        NftApplier.Result r = NftApplier.runProcess(cmd, null);
        return r.ok() ? parseIpAddr(r.message()) : List.of();
    }

    /** The {@code addr/prefix} entries of {@code ip -o addr show} output. */
    public static List<String> parseIpAddr(String output) {
        List<String> out = new java.util.ArrayList<>();
        for (String line : output.split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) if (f[i].equals("inet") || f[i].equals("inet6")) out.add(f[i + 1]);
        }
        return out;
    }
}
