package org.haven.lxc.setup;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /etc/network/interfaces} as PVE's Debian setup writes it (also used for Devuan, older Ubuntu and
 * Alpine). The stanzas of the container's interfaces are rewritten from the config; everything else (other
 * interfaces, comments, user options inside a managed stanza) stays where it is. Routes to a gateway outside the
 * subnet go into a {@code # --- BEGIN PVE ---} block inside the stanza; an unmarked copy of exactly that block
 * (as older setups wrote it) is dropped.
 */
final class DebianInterfaces {
    private DebianInterfaces() {}

    private static final Pattern AUTO = Pattern.compile("^\\s*(?:auto|allow-\\S+)\\s+(.*)$");
    private static final Pattern IFACE = Pattern.compile("^\\s*iface\\s+(\\S+)\\s+(inet6?)\\s+(\\S+).*$");
    private static final Pattern OTHER_STANZA = Pattern.compile("^\\s*(?:mapping|source|source-directory|source-dir)\\b.*$");
    private static final Pattern MANAGED_OPTION = Pattern.compile("^\\s*(?:address|netmask|gateway)\\s.*$");
    static final String LOOPBACK = "auto lo\niface lo inet loopback\niface lo inet6 loopback\n\n";

    /** An open stanza while reading: of a managed interface ({@code v6} tells the family) or of another one. */
    private static final class Stanza {
        final String ifname;
        final boolean v6;
        final boolean managed;
        final List<String> attrs = new ArrayList<>();
        boolean inPveBlock;

        Stanza(String ifname, boolean v6, boolean managed) { this.ifname = ifname; this.v6 = v6; this.managed = managed; }
    }

    /**
     * The new file for {@code nets} given the current text ({@code existing}, null when there is none), or null when
     * no interface has an address setting (then the file is left alone). {@code cidr} writes
     * {@code address A/P} instead of {@code address A} + {@code netmask M}.
     */
    static String render(String existing, List<NetIf> nets, boolean cidr) {
        TreeMap<String, NetIf> managed = new TreeMap<>();
        for (NetIf n : nets) if (n.ip() != null || n.ip6() != null) managed.put(n.name(), n);
        if (managed.isEmpty()) return null;

        StringBuilder out = new StringBuilder();
        Set<String> auto = new HashSet<>();
        Set<String> doneV4 = new HashSet<>();
        Set<String> doneV6 = new HashSet<>();
        boolean loopback = false;
        Stanza st = null;
        for (String line : existing == null ? List.<String>of() : ManagedSection.lines(existing)) {
            if (st != null && st.managed) {
                if (st.inPveBlock) {
                    if (ManagedSection.isEnd(line)) st.inPveBlock = false;
                    continue;
                }
                if (ManagedSection.isBegin(line)) { st.inPveBlock = true; continue; }
            }
            Matcher m;
            if (line.isBlank()) {
                if (st != null && st.managed) {
                    flush(out, st, managed, auto, doneV4, doneV6, cidr);
                } else {
                    out.append('\n');
                }
                st = null;
            } else if ((m = AUTO.matcher(line)).matches()) {
                st = flush(out, st, managed, auto, doneV4, doneV6, cidr);
                if (line.trim().startsWith("auto")) for (String n : m.group(1).trim().split("\\s+")) auto.add(n);
                out.append(line).append('\n');
            } else if ((m = IFACE.matcher(line)).matches()) {
                st = flush(out, st, managed, auto, doneV4, doneV6, cidr);
                String name = m.group(1);
                if (name.equals("lo")) loopback = true;
                st = new Stanza(name, m.group(2).equals("inet6"), managed.containsKey(name));
                if (!st.managed) out.append(line).append('\n');
            } else if (OTHER_STANZA.matcher(line).matches()) {
                st = flush(out, st, managed, auto, doneV4, doneV6, cidr);
                out.append(line).append('\n');
            } else if (st != null && st.managed) {
                if (!MANAGED_OPTION.matcher(line).matches()) st.attrs.add(line);
            } else {
                out.append(line).append('\n');
            }
        }
        flush(out, st, managed, auto, doneV4, doneV6, cidr);

        StringBuilder added = new StringBuilder();
        for (NetIf n : managed.values()) {
            if (n.ip() != null && !doneV4.contains(n.name())) flush(added, new Stanza(n.name(), false, true), managed, auto, doneV4, doneV6, cidr);
            if (n.ip6() != null && !doneV6.contains(n.name())) flush(added, new Stanza(n.name(), true, true), managed, auto, doneV4, doneV6, cidr);
        }
        if (!added.isEmpty() && !out.isEmpty() && !out.toString().endsWith("\n\n")) out.append('\n');
        out.append(added);
        return (loopback ? "" : LOOPBACK) + out;
    }

    /** Writes a finished managed stanza (nothing for another interface's); returns null for the caller's state. */
    private static Stanza flush(StringBuilder out, Stanza st, TreeMap<String, NetIf> managed, Set<String> auto,
                                Set<String> doneV4, Set<String> doneV6, boolean cidr) {
        if (st == null || !st.managed) return null;
        NetIf n = managed.get(st.ifname);
        (st.v6 ? doneV6 : doneV4).add(st.ifname);
        String ip = st.v6 ? n.ip6() : n.ip();
        if (ip == null) return null;
        if (auto.add(st.ifname)) out.append("auto ").append(st.ifname).append('\n');
        String family = st.v6 ? "inet6" : "inet";
        boolean isStatic = st.v6 ? n.staticIp6() : n.staticIp();
        List<String> attrs = st.attrs;
        if (!isStatic) {
            out.append("iface ").append(st.ifname).append(' ').append(family).append(' ').append(ip).append('\n');
        } else {
            out.append("iface ").append(st.ifname).append(' ').append(family).append(" static\n");
            String addr = NetIf.address(ip);
            int prefix = NetIf.prefix(ip);
            if (cidr) {
                out.append("\taddress ").append(addr).append('/').append(prefix).append('\n');
            } else {
                out.append("\taddress ").append(addr).append('\n');
                out.append("\tnetmask ").append(st.v6 ? String.valueOf(prefix) : NetIf.netmask(prefix)).append('\n');
            }
            String gw = st.v6 ? n.gw6() : n.gw();
            if (gw != null) {
                if (st.v6 ? n.gw6NeedsRoute() : n.gwNeedsRoute()) {
                    List<String> routes = routeLines(gw, st.ifname);
                    attrs = withoutRun(attrs, routes);
                    out.append(ManagedSection.wrap(String.join("\n", routes)));
                } else {
                    out.append("\tgateway ").append(gw).append('\n');
                }
            }
        }
        for (String a : attrs) out.append(a).append('\n');
        out.append('\n');
        return null;
    }

    /** The commands that reach a gateway outside the subnet through the interface. */
    static List<String> routeLines(String gw, String ifname) {
        return List.of(
                "\tpost-up ip route add " + gw + " dev " + ifname,
                "\tpost-up ip route add default via " + gw + " dev " + ifname,
                "\tpre-down ip route del default via " + gw + " dev " + ifname,
                "\tpre-down ip route del " + gw + " dev " + ifname);
    }

    /** {@code attrs} without the first run of lines equal (ignoring indentation) to {@code run}. */
    static List<String> withoutRun(List<String> attrs, List<String> run) {
        for (int i = 0; i + run.size() <= attrs.size(); i++) {
            boolean match = true;
            for (int j = 0; j < run.size() && match; j++) match = attrs.get(i + j).trim().equals(run.get(j).trim());
            if (match) {
                List<String> out = new ArrayList<>(attrs.subList(0, i));
                out.addAll(attrs.subList(i + run.size(), attrs.size()));
                return out;
            }
        }
        return attrs;
    }
}
