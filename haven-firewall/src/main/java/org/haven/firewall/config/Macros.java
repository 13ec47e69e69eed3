package org.haven.firewall.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * PVE's standard firewall macros ({@code SSH(ACCEPT)}, {@code DNS(ACCEPT)}, …): each expands to one or more
 * rule templates whose action is the action written in the rule. Names are matched without regard to case
 * and written back in their preferred spelling.
 */
public final class Macros {
    private Macros() {}

    /** One expanded part of a macro: the fields it sets (null when the rule's own value applies). */
    public record Part(String proto, String dport, String sport, String source, String dest, String icmpType) {}

    public record Macro(String name, String description, List<Part> parts) {}

    private static final Map<String, Macro> BY_LC = new LinkedHashMap<>();
    private static final Map<String, Macro> SORTED = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    private static void m(String name, String descr, Object... parts) {
        List<Part> ps = new ArrayList<>();
        for (Object p : parts) ps.add((Part) p);
        Macro macro = new Macro(name, descr, List.copyOf(ps));
        BY_LC.put(name.toLowerCase(Locale.ROOT), macro);
        SORTED.put(name, macro);
    }

    private static Part tcp(String dport) { return new Part("tcp", dport, null, null, null, null); }
    private static Part udp(String dport) { return new Part("udp", dport, null, null, null, null); }
    private static Part udp(String dport, String sport) { return new Part("udp", dport, sport, null, null, null); }
    private static Part proto(String proto) { return new Part(proto, null, null, null, null, null); }
    private static Part icmp(String proto, String type) { return new Part(proto, null, null, null, null, type); }

    static {
        m("Amanda", "Amanda Backup", udp("10080"), tcp("10080"));
        m("Auth", "Auth (identd) traffic", tcp("113"));
        m("BGP", "Border Gateway Protocol traffic", tcp("179"));
        m("BitTorrent", "BitTorrent traffic for BitTorrent 3.1 and earlier", tcp("6881:6889"), udp("6881"));
        m("BitTorrent32", "BitTorrent traffic for BitTorrent 3.2 and later", tcp("6881:6999"), udp("6881"));
        m("CVS", "Concurrent Versions System pserver traffic", tcp("2401"));
        m("Ceph", "Ceph Storage Cluster traffic (Ceph Monitors, OSD & MDS Daemons)", tcp("6789"), tcp("3300"), tcp("6800:7300"));
        m("Citrix", "Citrix/ICA traffic (ICA, ICA Browser, CGP)", tcp("1494"), udp("1604"), tcp("2598"));
        m("DAAP", "Digital Audio Access Protocol traffic (iTunes, Rythmbox daemons)", tcp("3689"), udp("3689"));
        m("DCC", "Distributed Checksum Clearinghouse spam filtering mechanism", tcp("6277"));
        m("DHCPfwd", "Forwarded DHCP traffic", udp("67:68", "67:68"));
        m("DHCPv6", "DHCPv6 traffic", udp("546:547", "546:547"));
        m("DNS", "Domain Name System traffic (upd and tcp)", udp("53"), tcp("53"));
        m("Distcc", "Distributed Compiler service", tcp("3632"));
        m("FTP", "File Transfer Protocol", tcp("21"));
        m("Finger", "Finger protocol (RFC 742)", tcp("79"));
        m("GNUnet", "GNUnet secure peer-to-peer networking traffic", tcp("2086"), udp("2086"), tcp("1080"), udp("1080"));
        m("GRE", "Generic Routing Encapsulation tunneling protocol", proto("47"));
        m("Git", "Git distributed revision control traffic", tcp("9418"));
        m("HKP", "OpenPGP HTTP key server protocol traffic", tcp("11371"));
        m("HTTP", "Hypertext Transfer Protocol (WWW)", tcp("80"));
        m("HTTPS", "Hypertext Transfer Protocol (WWW) over SSL", tcp("443"));
        m("ICPV2", "Internet Cache Protocol V2 (Squid) traffic", udp("3130"));
        m("ICQ", "AOL Instant Messenger traffic", tcp("5190"));
        m("IMAP", "Internet Message Access Protocol", tcp("143"));
        m("IMAPS", "Internet Message Access Protocol over SSL", tcp("993"));
        m("IPIP", "IPIP capsulation traffic", proto("94"));
        m("IPsec", "IPsec traffic", udp("500", "500"), proto("50"));
        m("IPsecah", "IPsec authentication (AH) traffic", udp("500", "500"), proto("51"));
        m("IPsecnat", "IPsec traffic and Nat-Traversal", udp("500"), udp("4500"), proto("50"));
        m("IRC", "Internet Relay Chat traffic", tcp("6667"));
        m("Jetdirect", "HP Jetdirect printing", tcp("9100"));
        m("L2TP", "Layer 2 Tunneling Protocol traffic", udp("1701"));
        m("LDAP", "Lightweight Directory Access Protocol traffic", tcp("389"));
        m("LDAPS", "Secure Lightweight Directory Access Protocol traffic", tcp("636"));
        m("MDNS", "Multicast DNS", new Part("udp", "5353", null, null, "224.0.0.251", null));
        m("MSNP", "Microsoft Notification Protocol", tcp("1863"));
        m("MSSQL", "Microsoft SQL Server", tcp("1433"));
        m("Mail", "Mail traffic (SMTP, SMTPS, Submission)", tcp("25"), tcp("465"), tcp("587"));
        m("Munin", "Munin networked resource monitoring traffic", tcp("4949"));
        m("MySQL", "MySQL server", tcp("3306"));
        m("NNTP", "NNTP traffic (Usenet).", tcp("119"));
        m("NNTPS", "Encrypted NNTP traffic (Usenet)", tcp("563"));
        m("NTP", "Network Time Protocol (ntpd)", udp("123"));
        m("NeighborDiscovery", "IPv6 neighbor solicitation, neighbor and router advertisement",
                icmp("icmpv6", "nd-router-solicit"), icmp("icmpv6", "nd-router-advert"),
                icmp("icmpv6", "nd-neighbor-solicit"), icmp("icmpv6", "nd-neighbor-advert"));
        m("OSPF", "OSPF multicast traffic", proto("89"));
        m("OpenVPN", "OpenVPN traffic", udp("1194"));
        m("PCA", "Symantec PCAnywere (tm)", udp("5632"), tcp("5631"));
        m("PMG", "Proxmox Mail Gateway web interface", tcp("8006"));
        m("POP3", "POP3 traffic", tcp("110"));
        m("POP3S", "Encrypted POP3 traffic", tcp("995"));
        m("PPtP", "Point-to-Point Tunneling Protocol", proto("47"), tcp("1723"));
        m("Ping", "ICMP echo request", icmp("icmp", "echo-request"));
        m("PostgreSQL", "PostgreSQL server", tcp("5432"));
        m("Printer", "Line Printer protocol printing", tcp("515"));
        m("RDP", "Microsoft Remote Desktop Protocol traffic", tcp("3389"));
        m("RIP", "Routing Information Protocol (bidirectional)", udp("520"));
        m("RNDC", "BIND remote management protocol", tcp("953"));
        m("Razor", "Razor Antispam System", tcp("2703"));
        m("Rdate", "Remote time retrieval (rdate)", tcp("37"));
        m("Rsync", "Rsync server", tcp("873"));
        m("SANE", "SANE network scanning", tcp("6566"));
        m("SMB", "Microsoft SMB traffic", udp("135,445"), udp("137:139"), udp("1024:65535", "137"), tcp("135,139,445"));
        m("SMBswat", "Samba Web Administration Tool", tcp("901"));
        m("SMTP", "Simple Mail Transfer Protocol", tcp("25"));
        m("SMTPS", "Encrypted Simple Mail Transfer Protocol", tcp("465"));
        m("SNMP", "Simple Network Management Protocol", udp("161:162"), tcp("161"));
        m("SPAMD", "Spam Assassin SPAMD traffic", tcp("783"));
        m("SPICEproxy", "Proxmox VE SPICE display proxy traffic", tcp("3128"));
        m("SSH", "Secure shell traffic", tcp("22"));
        m("SVN", "Subversion server (svnserve)", tcp("3690"));
        m("SixXS", "SixXS IPv6 Deployment and Tunnel Broker", tcp("3874"), udp("3740"), proto("41"), udp("5072,8374"));
        m("Squid", "Squid web proxy traffic", tcp("3128"));
        m("Submission", "Mail message submission traffic", tcp("587"));
        m("Syslog", "Syslog protocol (RFC 5424) traffic", udp("514"), tcp("514"));
        m("TFTP", "Trivial File Transfer Protocol traffic", udp("69"));
        m("Telnet", "Telnet traffic", tcp("23"));
        m("Telnets", "Telnet over SSL", tcp("992"));
        m("Time", "RFC 868 Time protocol", tcp("37"));
        m("Trcrt", "Traceroute (for up to 30 hops) traffic", udp("33434:33524"), icmp("icmp", "echo-request"));
        m("VNC", "VNC traffic for VNC display's 0 - 99", tcp("5900:5999"));
        m("VNCL", "VNC traffic from Vncservers to Vncviewers in listen mode", tcp("5500"));
        m("Web", "WWW traffic (HTTP and HTTPS)", tcp("80"), tcp("443"));
        m("Webcache", "Web Cache/Proxy traffic (port 8080)", tcp("8080"));
        m("Webmin", "Webmin traffic", tcp("10000"));
        m("Whois", "Whois (nicname, RFC 3912) traffic", tcp("43"));
    }

    /** The macro with this name in any case, or null. */
    public static Macro get(String name) {
        return name == null ? null : BY_LC.get(name.toLowerCase(Locale.ROOT));
    }

    /** All macros sorted by name (case-insensitive), as {@code GET /cluster/firewall/macros} lists them. */
    public static List<Macro> all() {
        return List.copyOf(SORTED.values());
    }
}
