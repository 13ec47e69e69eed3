package org.haven.node.admin;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.HexFormat;
import java.util.Map;

import org.haven.core.format.PropertyString;

/**
 * PVE's wake-on-LAN: the magic packet (six 0xff bytes, then the MAC address sixteen times) sent by UDP to the
 * discard port (9) of the node's {@code broadcast-address} (default 255.255.255.255), from the address of its
 * {@code bind-interface} where one is set.
 */
public final class WakeOnLan {
    private WakeOnLan() {}

    public static final int PORT = 9;

    /** The settings of a node's {@code wakeonlan} property: {@code mac}, and {@code bind-interface}/{@code broadcast-address} if set. */
    public static Map<String, String> settings(String value) {
        @SuppressWarnings("unchecked")
        Map<String, String> m = (Map<String, String>) PropertyString.parse(value, "mac");
        return m;
    }

    public static byte[] packet(String mac) {
        String hex = mac.replace(":", "").replace("-", "");
        if (!hex.matches("[0-9a-fA-F]{12}")) throw new IllegalArgumentException("invalid MAC address '" + mac + "'");
        byte[] addr = HexFormat.of().parseHex(hex);
        ByteBuffer b = ByteBuffer.allocate(6 + 16 * 6);
        for (int i = 0; i < 6; i++) b.put((byte) 0xff);
        for (int i = 0; i < 16; i++) b.put(addr);
        return b.array();
    }

    /** Sends the magic packet for {@code mac} as {@code settings} say. */
    public static void send(String mac, String bindInterface, String broadcast) throws IOException {
        byte[] packet = packet(mac);
        try (DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)) {
            ch.setOption(StandardSocketOptions.SO_BROADCAST, true);
            if (bindInterface != null) {
                NetworkInterface nif = NetworkInterface.getByName(bindInterface);
                if (nif == null) throw new SocketException("Unable to bind socket to interface '" + bindInterface + "': no such device");
                InetAddress local = nif.inetAddresses().filter(a -> a instanceof Inet4Address).findFirst()
                        .orElseThrow(() -> new SocketException("Unable to bind socket to interface '" + bindInterface + "': it has no IPv4 address"));
                ch.bind(new InetSocketAddress(local, 0));
            }
            ch.send(ByteBuffer.wrap(packet), new InetSocketAddress(InetAddress.getByName(broadcast == null ? "255.255.255.255" : broadcast), PORT));
        }
    }
}
