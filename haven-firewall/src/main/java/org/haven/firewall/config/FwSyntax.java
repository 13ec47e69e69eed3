package org.haven.firewall.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The value syntax of firewall rules and sets: address lists, port lists, protocols, ICMP types, log levels
 * and names. Each check throws {@link IllegalArgumentException} with PVE's message.
 */
public final class FwSyntax {
    private FwSyntax() {}

    /** Security group, IP set and alias names. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9\\-_]+");
    /** A reference to an alias or IP set, with an optional {@code dc/} or {@code guest/} scope. */
    public static final Pattern SCOPED_NAME = Pattern.compile("(?:(dc|guest)/)?([A-Za-z][A-Za-z0-9\\-_]+)");

    public static final List<String> LOG_LEVELS = List.of("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog");
    public static final List<String> ACTIONS = List.of("ACCEPT", "DROP", "REJECT");

    /** IP protocol names (as in /etc/protocols) and their numbers. */
    public static final Map<String, Integer> PROTOCOLS = protocols();
    /** Protocols that have ports (by name and number), as PVE's {@code $PROTOCOLS_WITH_PORTS}. */
    public static final Set<String> PROTOCOLS_WITH_PORTS = Set.of("tcp", "6", "udp", "17", "udplite", "136", "dccp", "33", "sctp", "132");
    /** Service names usable in port lists (a subset of /etc/services, the names PVE's macros and users commonly use). */
    public static final Map<String, Integer> SERVICES = services();
    /** ICMP type names nft understands, for {@code icmp}. */
    public static final List<String> ICMP_TYPES = List.of("echo-reply", "destination-unreachable", "source-quench", "redirect",
            "echo-request", "router-advertisement", "router-solicitation", "time-exceeded", "parameter-problem",
            "timestamp-request", "timestamp-reply", "info-request", "info-reply", "address-mask-request", "address-mask-reply");
    /** ICMPv6 type names nft understands, for {@code icmpv6}/{@code ipv6-icmp}. */
    public static final List<String> ICMPV6_TYPES = List.of("destination-unreachable", "packet-too-big", "time-exceeded",
            "parameter-problem", "echo-request", "echo-reply", "mld-listener-query", "mld-listener-report", "mld-listener-done",
            "nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert", "nd-redirect",
            "router-renumbering", "ind-neighbor-solicit", "ind-neighbor-advert", "mld2-listener-report");

    /** One parsed element of an address list. */
    public sealed interface Addr permits Net, Range, Ref {}
    public record Net(IpNet net) implements Addr {}
    public record Range(IpNet from, IpNet to) implements Addr {}
    /** An alias or ({@code ipset}) IP set reference, with its scope ({@code dc}, {@code guest} or null). */
    public record Ref(boolean ipset, String scope, String name) implements Addr {}

    /**
     * Parse a {@code source}/{@code dest} value: {@code +ipset}, an alias, or a comma list of addresses and
     * networks or one range. Returns the elements; the IP version is {@link #ipVersion}.
     */
    public static List<Addr> parseAddressList(String str) {
        if (str.startsWith("+")) {
            var m = SCOPED_NAME.matcher(str.substring(1));
            if (!m.matches()) throw new IllegalArgumentException("malformed ipset name");
            return List.of(new Ref(true, m.group(1), m.group(2)));
        }
        var am = SCOPED_NAME.matcher(str);
        if (am.matches()) {
            if (str.length() > 64) throw new IllegalArgumentException("alias name too long");
            return List.of(new Ref(false, am.group(1), am.group(2)));
        }
        String[] parts = str.split(",", -1);
        List<Addr> out = new ArrayList<>();
        Integer version = null;
        boolean range = false;
        for (String p : parts) {
            if (p.isEmpty()) throw new IllegalArgumentException("extraneous commas in list");
            Addr a;
            int v;
            int dash = p.indexOf('-');
            if (dash > 0) {
                IpNet from = parseHost(p.substring(0, dash), p);
                IpNet to = parseHost(p.substring(dash + 1), p);
                if (from.version() != to.version()) throw new IllegalArgumentException("range '" + p + "' mixes IPv4 and IPv6");
                if (from.address().compareTo(to.address()) > 0) throw new IllegalArgumentException("invalid IP range '" + p + "'");
                a = new Range(from, to);
                v = from.version();
                range = true;
            } else {
                IpNet n;
                try { n = IpNet.parse(p); } catch (IllegalArgumentException e) { throw new IllegalArgumentException("invalid IP address: " + p); }
                a = new Net(n);
                v = n.version();
            }
            if (version != null && version != v) throw new IllegalArgumentException("you can't mix ipv4 and ipv6 addresses in a list");
            version = v;
            out.add(a);
        }
        if (range && out.size() > 1) throw new IllegalArgumentException("you can't use a range in a list");
        return out;
    }

    private static IpNet parseHost(String s, String whole) {
        try {
            IpNet n = IpNet.parse(s);
            if (n.prefix() != n.bits() || s.contains("/")) throw new IllegalArgumentException();
            return n;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid IP range '" + whole + "'");
        }
    }

    /** IP version of a literal address list (4 or 6), or 0 for references. */
    public static int ipVersion(List<Addr> list) {
        return switch (list.get(0)) {
            case Net n -> n.net().version();
            case Range r -> r.from().version();
            case Ref r -> 0;
        };
    }

    /** A port or port range. */
    public record PortRange(int from, int to) {
        @Override public String toString() { return from == to ? Integer.toString(from) : from + "-" + to; }
    }

    private static final Pattern SMALL_NUMBER = Pattern.compile("\\d{1,3}");
    private static final Pattern NOT_A_WORD = Pattern.compile("[\\s#]");
    private static final Pattern PORT = Pattern.compile("(\\d+)(?::(\\d+))?");

    /** Parse a {@code dport}/{@code sport} value: comma list of numbers, service names and {@code a:b} ranges. */
    public static List<PortRange> parsePorts(String str) {
        List<PortRange> out = new ArrayList<>();
        for (String item : str.split(",", -1)) {
            var m = PORT.matcher(item);
            if (m.matches()) {
                int a = port(m.group(1), str);
                int b = m.group(2) == null ? a : port(m.group(2), str);
                if (b < a) throw new IllegalArgumentException("invalid port range '" + item + "'");
                out.add(new PortRange(a, b));
            } else {
                Integer p = SERVICES.get(item);
                if (p == null) throw new IllegalArgumentException("invalid port '" + item + "'");
                out.add(new PortRange(p, p));
            }
        }
        return out;
    }

    private static int port(String s, String whole) {
        if (s.length() > 5 || Integer.parseInt(s) > 65535) throw new IllegalArgumentException("invalid port '" + s + "'");
        return Integer.parseInt(s);
    }

    /** Protocol number of a name or number; throws for an unknown protocol. */
    public static int protocolNumber(String proto) {
        if (SMALL_NUMBER.matcher(proto).matches() && Integer.parseInt(proto) <= 255) return Integer.parseInt(proto);
        Integer n = PROTOCOLS.get(proto);
        if (n == null) throw new IllegalArgumentException("unknown protocol '" + proto + "'");
        return n;
    }

    public static boolean isIcmp(String proto) {
        return proto != null && (proto.equals("icmp") || proto.equals("icmpv6") || proto.equals("ipv6-icmp") || proto.equals("1") || proto.equals("58"));
    }

    /** Check an {@code icmp-type} for the given protocol; a number 0-255 is always valid. */
    public static void checkIcmpType(String type, String proto) {
        if (SMALL_NUMBER.matcher(type).matches() && Integer.parseInt(type) <= 255) return;
        boolean v6 = proto != null && !proto.equals("icmp") && !proto.equals("1");
        if (!(v6 ? ICMPV6_TYPES : ICMP_TYPES).contains(type)) throw new IllegalArgumentException("invalid icmp-type '" + type + "'");
    }

    /** Refuse values that would change a file's structure when written (newlines). */
    public static String noNewline(String what, String value) {
        if (value != null && (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0))
            throw new IllegalArgumentException(what + ": value must not contain a newline");
        return value;
    }

    /** Refuse whitespace, '#' and newlines in a single-token value. */
    public static String token(String what, String value) {
        noNewline(what, value);
        if (value != null && (value.isEmpty() || NOT_A_WORD.matcher(value).find()))
            throw new IllegalArgumentException(what + ": value must be one word without '#'");
        return value;
    }

    private static Map<String, Integer> protocols() {
        Map<String, Integer> m = new TreeMap<>();
        Object[][] t = {{"ip", 0}, {"icmp", 1}, {"igmp", 2}, {"ggp", 3}, {"ipencap", 4}, {"st", 5}, {"tcp", 6}, {"egp", 8},
                {"igp", 9}, {"pup", 12}, {"udp", 17}, {"hmp", 20}, {"xns-idp", 22}, {"rdp", 27}, {"iso-tp4", 29},
                {"dccp", 33}, {"xtp", 36}, {"ddp", 37}, {"idpr-cmtp", 38}, {"ipv6", 41}, {"ipv6-route", 43},
                {"ipv6-frag", 44}, {"idrp", 45}, {"rsvp", 46}, {"gre", 47}, {"esp", 50}, {"ah", 51}, {"skip", 57},
                {"ipv6-icmp", 58}, {"icmpv6", 58}, {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"rspf", 73}, {"vmtp", 81},
                {"eigrp", 88}, {"ospf", 89}, {"ax.25", 93}, {"ipip", 94}, {"etherip", 97}, {"encap", 98}, {"pim", 103},
                {"ipcomp", 108}, {"vrrp", 112}, {"l2tp", 115}, {"isis", 124}, {"sctp", 132}, {"fc", 133},
                {"mobility-header", 135}, {"udplite", 136}, {"mpls-in-ip", 137}, {"manet", 138}, {"hip", 139},
                {"shim6", 140}, {"wesp", 141}, {"rohc", 142}};
        for (Object[] r : t) m.put((String) r[0], (Integer) r[1]);
        return Map.copyOf(m);
    }

    private static Map<String, Integer> services() {
        Object[][] t = {{"ftp-data", 20}, {"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25}, {"time", 37}, {"whois", 43},
                {"tacacs", 49}, {"domain", 53}, {"bootps", 67}, {"bootpc", 68}, {"tftp", 69}, {"gopher", 70},
                {"finger", 79}, {"http", 80}, {"kerberos", 88}, {"pop3", 110}, {"sunrpc", 111}, {"auth", 113},
                {"nntp", 119}, {"ntp", 123}, {"epmap", 135}, {"netbios-ns", 137}, {"netbios-dgm", 138},
                {"netbios-ssn", 139}, {"imap2", 143}, {"snmp", 161}, {"snmp-trap", 162}, {"bgp", 179}, {"irc", 194},
                {"ldap", 389}, {"https", 443}, {"microsoft-ds", 445}, {"kpasswd", 464}, {"submissions", 465},
                {"syslog", 514}, {"printer", 515}, {"submission", 587}, {"ldaps", 636}, {"rsync", 873},
                {"ftps", 990}, {"imaps", 993}, {"pop3s", 995}, {"openvpn", 1194}, {"ms-sql-s", 1433},
                {"radius", 1812}, {"nfs", 2049}, {"mysql", 3306}, {"postgresql", 5432}, {"x11", 6000},
                {"http-alt", 8080}, {"webmin", 10000}};
        Map<String, Integer> m = new TreeMap<>();
        for (Object[] r : t) m.put((String) r[0], (Integer) r[1]);
        return Map.copyOf(m);
    }
}
