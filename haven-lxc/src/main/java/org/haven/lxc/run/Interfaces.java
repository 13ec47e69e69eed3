package org.haven.lxc.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The interfaces of a running container as {@code GET /nodes/{node}/lxc/{vmid}/interfaces} lists them, read from
 * the output of {@code ip addr} run inside it: name, MAC address, the first IPv4 and IPv6 address with prefix,
 * and every address. Pure.
 */
public final class Interfaces {
    private Interfaces() {}

    private static final Pattern LINK = Pattern.compile("^\\d+:\\s+([^:@\\s]+)(?:@\\S+)?:.*");
    private static final Pattern ETHER = Pattern.compile("^\\s+link/\\S+\\s+([0-9a-fA-F:]{17}).*");
    private static final Pattern INET = Pattern.compile("^\\s+(inet6?)\\s+([0-9a-fA-F:.]+)/(\\d+).*");

    public static List<Map<String, Object>> parse(String ipAddr) {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> cur = null;
        List<Map<String, Object>> addrs = null;
        for (String line : ipAddr.split("\n")) {
            Matcher m;
            if ((m = LINK.matcher(line)).matches()) {
                cur = new LinkedHashMap<>();
                addrs = new ArrayList<>();
                cur.put("name", m.group(1));
                cur.put("ip-addresses", addrs);
                out.add(cur);
            } else if (cur == null) {
                continue;
            } else if ((m = ETHER.matcher(line)).matches()) {
                cur.put("hwaddr", m.group(1).toLowerCase());
                cur.put("hardware-address", m.group(1).toLowerCase());
            } else if ((m = INET.matcher(line)).matches()) {
                String kind = m.group(1);
                cur.putIfAbsent(kind, m.group(2) + "/" + m.group(3));
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("ip-address", m.group(2));
                a.put("ip-address-type", kind);
                a.put("prefix", Integer.parseInt(m.group(3)));
                addrs.add(a);
            }
        }
        for (Map<String, Object> i : out) i.putIfAbsent("hwaddr", "00:00:00:00:00:00");
        for (Map<String, Object> i : out) i.putIfAbsent("hardware-address", "00:00:00:00:00:00");
        return out;
    }
}
