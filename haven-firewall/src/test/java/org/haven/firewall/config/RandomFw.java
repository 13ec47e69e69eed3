package org.haven.firewall.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded random firewall content for property tests: valid rules, aliases, IP sets and options. */
public final class RandomFw {
    private final Random rnd;

    public RandomFw(long seed) { this.rnd = new Random(seed); }

    public Random random() { return rnd; }

    public <T> T pick(List<T> l) { return l.get(rnd.nextInt(l.size())); }

    public String v4() { return "10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254)); }

    public String v6() { return "fd00:" + Integer.toHexString(rnd.nextInt(0xffff)) + "::" + Integer.toHexString(1 + rnd.nextInt(0xfffe)); }

    public String name(String prefix) { return prefix + rnd.nextInt(1000); }

    /** An address list of one IP version (4 or 6), or a reference to one of {@code aliases}/{@code ipsets}. */
    public String addr(int version, List<String> aliases, List<String> ipsets) {
        int k = rnd.nextInt(6);
        if (k == 0 && !ipsets.isEmpty()) return "+" + pick(ipsets);
        if (k == 1 && !aliases.isEmpty()) return pick(aliases);
        String a = version == 4 ? v4() : v6();
        if (k == 2) {
            String[] p = a.split(version == 4 ? "\\." : ":");
            return version == 4 ? a + "-" + p[0] + "." + p[1] + "." + p[2] + ".255" : a + "-" + a.substring(0, a.lastIndexOf(':')) + ":ffff";
        }
        if (k == 3) return version == 4 ? "10." + rnd.nextInt(256) + ".0.0/16" : "fd00:" + Integer.toHexString(rnd.nextInt(0xffff)) + "::/64";
        if (k == 4) return a + "," + (version == 4 ? v4() : v6());
        return a;
    }

    public String ports() {
        List<String> parts = new ArrayList<>();
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            int a = 1 + rnd.nextInt(60000);
            switch (rnd.nextInt(3)) {
                case 0 -> parts.add(Integer.toString(a));
                case 1 -> parts.add(a + ":" + (a + rnd.nextInt(100)));
                default -> parts.add(pick(List.of("ssh", "http", "https", "domain")));
            }
        }
        return String.join(",", parts);
    }

    /** A valid in/out rule, or forward rule for a host (or a group reference when {@code groups} is not empty). */
    public FwRule rule(boolean guest, List<String> aliases, List<String> ipsets, List<String> groups) {
        return rule(pick(guest ? List.of("in", "out") : List.of("in", "out", "forward")), guest, aliases, ipsets, groups);
    }

    /** A valid rule of direction {@code type} (or a group reference when {@code groups} is not empty). */
    public FwRule rule(String type, boolean guest, List<String> aliases, List<String> ipsets, List<String> groups) {
        if (!groups.isEmpty() && rnd.nextInt(8) == 0) {
            FwRule g = FwRule.of("group", pick(groups));
            return rnd.nextBoolean() ? g.withIface("net" + rnd.nextInt(3)) : g;
        }
        FwRule r = FwRule.of(type, pick(FwSyntax.ACTIONS));
        int version = rnd.nextBoolean() ? 4 : 6;
        if (rnd.nextInt(4) == 0) {
            r = r.withMacro(pick(List.of("SSH", "HTTP", "DNS", "Web", "SMB", "MySQL", "NTP", "Ceph", "VNC")));
        } else {
            switch (rnd.nextInt(5)) {
                case 0, 1 -> {
                    r = r.withProto(rnd.nextBoolean() ? "tcp" : "udp");
                    if (rnd.nextBoolean()) r = r.withDport(ports());
                    if (rnd.nextInt(3) == 0) r = r.withSport(ports());
                }
                case 2 -> {
                    r = r.withProto(version == 4 ? "icmp" : "icmpv6");
                    if (rnd.nextBoolean()) r = r.withIcmpType(version == 4 ? pick(FwSyntax.ICMP_TYPES) : pick(FwSyntax.ICMPV6_TYPES));
                }
                case 3 -> r = r.withProto(pick(List.of("gre", "esp", "47", "sctp", "ospf")));
                default -> { }
            }
        }
        if (rnd.nextBoolean()) r = r.withSource(addr(version, aliases, ipsets));
        if (rnd.nextBoolean()) r = r.withDest(addr(version, aliases, ipsets));
        if (rnd.nextInt(3) == 0) r = r.withIface(guest ? "net" + rnd.nextInt(3) : pick(List.of("vmbr0", "eth0", "lo")));
        if (rnd.nextInt(4) == 0) r = r.withLog(pick(FwSyntax.LOG_LEVELS));
        if (rnd.nextInt(5) == 0) r = r.withEnable(false);
        if (rnd.nextInt(3) == 0) r = r.withComment("c " + rnd.nextInt(1000) + " äöü");
        return r;
    }
}
