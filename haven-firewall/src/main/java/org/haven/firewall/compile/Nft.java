package org.haven.firewall.compile;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.haven.firewall.config.FwSyntax.PortRange;

/**
 * The subset of nftables the firewall compiler emits, as data: the compiler builds it, {@link #render} prints
 * it as an {@code nft -f} file and the {@link Simulator} evaluates it. Every construct here has exactly one
 * printed form.
 */
public final class Nft {
    private Nft() {}

    /** A match expression. */
    public sealed interface Match permits IfName, L4Proto, Ports, IcmpType, NfProto, EtherType, Addr, EtherSaddr, ArpSaddr, CtState,
            TcpFlags, FibSaddrBroadcast, MarkEq, Limit, OverRate {}

    /** {@code iifname}/{@code oifname} [!=] name. */
    public record IfName(boolean out, boolean negate, String name) implements Match {}
    /** {@code meta l4proto N}. */
    public record L4Proto(int proto) implements Match {}
    /** {@code th dport|sport { … }} (the protocol is matched before). */
    public record Ports(boolean dst, List<PortRange> ports) implements Match {}
    /** {@code icmp type X} / {@code icmpv6 type X}: names or numbers. */
    public record IcmpType(int version, List<String> types) implements Match {}
    /** {@code meta nfproto ipv4|ipv6}. */
    public record NfProto(int version) implements Match {}
    /** Bridge family: {@code meta protocol ip|ip6} (the frame's ether type; {@code nfproto} is {@code bridge} there). */
    public record EtherType(int version) implements Match {}
    /**
     * {@code ip|ip6 saddr|daddr [!=] { elements }} or {@code @set}; elements are CIDRs and ranges
     * ({@code a-b}); {@code set} is a set name in the same table.
     */
    public record Addr(int version, boolean src, boolean negate, List<String> elements, String set) implements Match {}
    /** Bridge family: {@code ether saddr [!=] mac}. */
    public record EtherSaddr(boolean negate, String mac) implements Match {}
    /** Bridge family: {@code arp saddr ip [!=] @set}. */
    public record ArpSaddr(boolean negate, String set) implements Match {}
    /** {@code ct state a,b}. */
    public record CtState(List<String> states) implements Match {}
    /** {@code tcp flags & (mask) == value} with flag names joined by '|'. */
    public record TcpFlags(String mask, String value) implements Match {}
    /** {@code fib saddr type broadcast}. */
    public record FibSaddrBroadcast() implements Match {}
    /** {@code meta mark & mask == value}. */
    public record MarkEq(long mask, long value) implements Match {}
    /** {@code limit rate R burst B packets} (always true when simulating). */
    public record Limit(String rate, int burst) implements Match {}
    /**
     * {@code update @set { ip|ip6 saddr limit rate over R/second burst B packets }}: true for a source that sends
     * faster than the rate, counted per source address in the dynamic set {@code set} (never true when simulating
     * one packet).
     */
    public record OverRate(int version, String set, long rate, long burst) implements Match {}

    /** A statement before the verdict. */
    public sealed interface Stmt permits Log, SetMark, SetHelper {}
    /** {@code log prefix "…" level L}. */
    public record Log(String prefix, String level) implements Stmt {}
    /** {@code meta mark set …}: {@code keep == 0} sets the value, otherwise {@code meta mark & keep | value}. */
    public record SetMark(long keep, long value) implements Stmt {}
    /** {@code ct helper set "name"}: the connection is followed by the table's connection-tracking helper {@code name}. */
    public record SetHelper(String name) implements Stmt {}

    public sealed interface Verdict permits Accept, Drop, Reject, Return, Jump, Goto, Continue, MarkVmap {}
    public record Accept() implements Verdict {}
    public record Drop() implements Verdict {}
    /** {@code reject with tcp reset} or {@code reject} (ICMP port unreachable). */
    public record Reject(boolean tcpReset) implements Verdict {}
    public record Return() implements Verdict {}
    public record Jump(String chain) implements Verdict {}
    public record Goto(String chain) implements Verdict {}
    /** No verdict: evaluation continues with the next rule. */
    public record Continue() implements Verdict {}
    /** {@code meta mark & mask vmap { value : jump chain, … }}. */
    public record MarkVmap(long mask, Map<Long, String> jumps) implements Verdict {}

    public static final Verdict ACCEPT = new Accept();
    public static final Verdict DROP = new Drop();
    public static final Verdict RETURN = new Return();
    public static final Verdict CONTINUE = new Continue();

    public record Rule(List<Match> matches, List<Stmt> stmts, Verdict verdict, String comment) {
        public Rule(List<Match> matches, Verdict verdict) { this(matches, List.of(), verdict, null); }
    }

    /** A base chain's hook (type filter) and priority keyword. */
    public record Hook(String hook, String priority) {}

    public record Chain(String name, Hook hook, List<Rule> rules) {}

    /** A set of addresses; a {@code dynamic} one is filled by the rules (with a timeout for its entries). */
    public record Set(String name, int version, List<String> elements, boolean dynamic) {
        public Set(String name, int version, List<String> elements) { this(name, version, elements, false); }
    }

    /** A connection-tracking helper object ({@code ct helper name { type "ftp" protocol tcp; l3proto inet; }}). */
    public record CtHelper(String name, String type, String protocol) {}

    public record Table(String family, String name, List<Set> sets, List<CtHelper> helpers, List<Chain> chains) {
        public Table(String family, String name, List<Set> sets, List<Chain> chains) { this(family, name, sets, List.of(), chains); }

        public Chain chain(String n) {
            for (Chain c : chains) if (c.name().equals(n)) return c;
            return null;
        }
    }

    /**
     * The {@code nft -f} file for these tables: each table is created (so that deleting it cannot fail),
     * deleted and defined again, all in the one transaction {@code nft -f} makes of a file. A table with no
     * chains is only deleted. Every list of several ports, ICMP types or addresses in a rule becomes a named set
     * shared by all rules of the table with the same list ({@code lst-N}): {@code nft}'s time for anonymous sets
     * grows with the square of their number, and a node's guests repeat the same few lists thousands of times.
     */
    public static String render(List<Table> tables) {
        StringBuilder sb = new StringBuilder();
        for (Table t : tables) {
            String id = t.family() + " " + t.name();
            sb.append("table ").append(id).append('\n');
            sb.append("delete table ").append(id).append('\n');
            if (t.chains().isEmpty()) continue;
            sb.append("table ").append(id).append(" {\n");
            for (Set s : t.sets()) {
                String type = s.version() == 4 ? "ipv4_addr" : "ipv6_addr";
                if (s.dynamic()) sb.append("  set ").append(s.name()).append(" {\n    type ").append(type)
                        .append("\n    flags dynamic,timeout\n    timeout 60s\n    size 65535\n  }\n");
                else appendSet(sb, s.name(), type, s.elements());
            }
            for (CtHelper h : t.helpers()) sb.append("  ct helper ").append(h.name()).append(" {\n    type \"").append(h.type())
                    .append("\" protocol ").append(h.protocol()).append("\n    l3proto inet\n  }\n");
            Map<List<String>, String> lists = new java.util.LinkedHashMap<>();
            StringBuilder chains = new StringBuilder();
            for (Chain c : t.chains()) {
                chains.append("  chain ").append(c.name()).append(" {\n");
                if (c.hook() != null)
                    chains.append("    type filter hook ").append(c.hook().hook()).append(" priority ").append(c.hook().priority()).append("; policy accept;\n");
                for (Rule r : c.rules()) chains.append("    ").append(render(r, lists)).append('\n');
                chains.append("  }\n");
            }
            lists.forEach((key, name) -> appendSet(sb, name, key.get(0), key.subList(1, key.size())));
            sb.append(chains).append("}\n");
        }
        return sb.toString();
    }

    /** A named set; address and port sets hold ranges ({@code flags interval}), merged where they overlap. */
    private static void appendSet(StringBuilder sb, String name, String type, List<String> elements) {
        sb.append("  set ").append(name).append(" {\n");
        sb.append("    type ").append(type).append('\n');
        if (!type.endsWith("_type")) sb.append("    flags interval\n    auto-merge\n");
        if (!elements.isEmpty()) sb.append("    elements = { ").append(String.join(", ", elements)).append(" }\n");
        sb.append("  }\n");
    }

    /** One rule as it stands alone (lists as anonymous sets). */
    public static String render(Rule r) {
        return render(r, null);
    }

    /** A rule; with {@code lists}, several values become a reference to the table's named set of that type and list. */
    private static String render(Rule r, Map<List<String>, String> lists) {
        StringBuilder sb = new StringBuilder();
        for (Match m : r.matches()) sb.append(render(m, lists)).append(' ');
        for (Stmt s : r.stmts()) sb.append(render(s)).append(' ');
        String v = render(r.verdict());
        if (v.isEmpty() && !sb.isEmpty()) sb.setLength(sb.length() - 1);
        sb.append(v);
        if (r.comment() != null) sb.append(" comment \"").append(quote(r.comment())).append('"');
        return sb.toString();
    }

    static String render(Match m) {
        return render(m, null);
    }

    private static String render(Match m, Map<List<String>, String> lists) {
        return switch (m) {
            case IfName i -> (i.out() ? "oifname " : "iifname ") + (i.negate() ? "!= " : "") + '"' + quote(i.name()) + '"';
            case L4Proto p -> "meta l4proto " + p.proto();
            case Ports p -> "th " + (p.dst() ? "dport " : "sport ") + set("inet_service", p.ports().stream().map(PortRange::toString).toList(), lists);
            case IcmpType t -> (t.version() == 4 ? "icmp" : "icmpv6") + " type " + set(t.version() == 4 ? "icmp_type" : "icmpv6_type", t.types(), lists);
            case NfProto n -> "meta nfproto " + (n.version() == 4 ? "ipv4" : "ipv6");
            case EtherType e -> "meta protocol " + (e.version() == 4 ? "ip" : "ip6");
            case Addr a -> (a.version() == 4 ? "ip " : "ip6 ") + (a.src() ? "saddr " : "daddr ") + (a.negate() ? "!= " : "")
                    + (a.set() != null ? "@" + a.set() : set(a.version() == 4 ? "ipv4_addr" : "ipv6_addr", a.elements(), lists));
            case EtherSaddr e -> "ether saddr " + (e.negate() ? "!= " : "") + e.mac();
            case ArpSaddr a -> "arp saddr ip " + (a.negate() ? "!= " : "") + "@" + a.set();
            case CtState c -> "ct state " + String.join(",", c.states());
            case TcpFlags f -> "tcp flags & (" + f.mask() + ") == " + f.value();
            case FibSaddrBroadcast f -> "fib saddr type broadcast";
            case MarkEq k -> "meta mark & " + hex(k.mask()) + " == " + hex(k.value());
            case Limit l -> "limit rate " + l.rate() + " burst " + l.burst() + " packets";
            case OverRate o -> "update @" + o.set() + " { " + (o.version() == 4 ? "ip" : "ip6") + " saddr limit rate over "
                    + o.rate() + "/second burst " + o.burst() + " packets }";
        };
    }

    static String render(Stmt s) {
        return switch (s) {
            case Log l -> "log prefix \"" + quote(l.prefix()) + "\" level " + l.level();
            case SetMark k -> "meta mark set " + (k.keep() == 0 ? hex(k.value()) : "meta mark & " + hex(k.keep()) + " | " + hex(k.value()));
            case SetHelper h -> "ct helper set \"" + quote(h.name()) + '"';
        };
    }

    static String render(Verdict v) {
        return switch (v) {
            case Accept a -> "accept";
            case Drop d -> "drop";
            case Reject r -> r.tcpReset() ? "reject with tcp reset" : "reject";
            case Return r -> "return";
            case Jump j -> "jump " + j.chain();
            case Goto g -> "goto " + g.chain();
            case Continue c -> "";
            case MarkVmap m -> "meta mark & " + hex(m.mask()) + " vmap { " + m.jumps().entrySet().stream()
                    .map(e -> hex(e.getKey()) + " : jump " + e.getValue()).collect(Collectors.joining(", ")) + " }";
        };
    }

    /** A single value as is; several as the table's named set for that list when rendering a table, else an anonymous set. */
    private static String set(String type, List<String> values, Map<List<String>, String> lists) {
        if (values.size() == 1) return values.get(0);
        if (lists == null) return "{ " + String.join(", ", values) + " }";
        List<String> key = new java.util.ArrayList<>(values.size() + 1);
        key.add(type);
        key.addAll(values);
        return "@" + lists.computeIfAbsent(List.copyOf(key), k -> "lst-" + lists.size());
    }

    private static String hex(long v) { return String.format("0x%08x", v); }

    private static String quote(String s) {
        return s.replace("\\", "").replace("\"", "'").replace("\n", " ");
    }
}
