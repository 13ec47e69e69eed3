package org.haven.firewall.config;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One firewall rule as PVE writes it: {@code [|]TYPE ACTION|MACRO(ACTION) [-i iface] [-source s] [-dest d]
 * [-p proto] [-dport p] [-sport p] [-icmp-type t] [-log level] [# comment]}, or {@code GROUP name [-i iface]}.
 * Null fields are unset. {@code type} is lower case ({@code in}, {@code out}, {@code forward}, {@code group}).
 */
public record FwRule(String type, String action, String macro, String iface, String source, String dest, String proto,
                     String dport, String sport, String icmpType, String log, boolean enable, String comment) {

    private static final Pattern HEAD = Pattern.compile("(\\S+)\\s+(\\S+)\\s*");
    private static final Pattern MACRO_ACTION = Pattern.compile("(\\S+)\\((ACCEPT|DROP|REJECT)\\)");
    private static final Pattern IFACE = Pattern.compile("[a-zA-Z][a-zA-Z0-9_.\\-]{1,19}");
    private static final Pattern GUEST_IFACE = Pattern.compile("net\\d+");
    private static final Pattern OPT = Pattern.compile("-(i|iface|p|proto|source|dest|dport|sport|log|icmp-type)\\s+(\\S+)\\s*");

    public static FwRule of(String type, String action) {
        return new FwRule(type, action, null, null, null, null, null, null, null, null, null, true, null);
    }

    public FwRule withEnable(boolean e) { return new FwRule(type, action, macro, iface, source, dest, proto, dport, sport, icmpType, log, e, comment); }
    public FwRule withMacro(String m) { return new FwRule(type, action, m, iface, source, dest, proto, dport, sport, icmpType, log, enable, comment); }
    public FwRule withIface(String i) { return new FwRule(type, action, macro, i, source, dest, proto, dport, sport, icmpType, log, enable, comment); }
    public FwRule withSource(String s) { return new FwRule(type, action, macro, iface, s, dest, proto, dport, sport, icmpType, log, enable, comment); }
    public FwRule withDest(String d) { return new FwRule(type, action, macro, iface, source, d, proto, dport, sport, icmpType, log, enable, comment); }
    public FwRule withProto(String p) { return new FwRule(type, action, macro, iface, source, dest, p, dport, sport, icmpType, log, enable, comment); }
    public FwRule withDport(String p) { return new FwRule(type, action, macro, iface, source, dest, proto, p, sport, icmpType, log, enable, comment); }
    public FwRule withSport(String p) { return new FwRule(type, action, macro, iface, source, dest, proto, dport, p, icmpType, log, enable, comment); }
    public FwRule withIcmpType(String t) { return new FwRule(type, action, macro, iface, source, dest, proto, dport, sport, t, log, enable, comment); }
    public FwRule withLog(String l) { return new FwRule(type, action, macro, iface, source, dest, proto, dport, sport, icmpType, l, enable, comment); }
    public FwRule withComment(String c) { return new FwRule(type, action, macro, iface, source, dest, proto, dport, sport, icmpType, log, enable, c); }

    /**
     * Parse a rule line (already trimmed). Throws {@link IllegalArgumentException} when the line cannot be split
     * into a rule at all; field values are checked by {@link #errors}.
     */
    public static FwRule parse(String line) {
        String comment = null;
        int hash = line.indexOf('#');
        if (hash >= 0) {
            comment = line.substring(hash + 1).strip();
            line = line.substring(0, hash);
        }
        line = line.strip();
        boolean enable = true;
        if (line.startsWith("|")) { enable = false; line = line.substring(1); }
        Matcher h = HEAD.matcher(line);
        if (!h.lookingAt()) throw new IllegalArgumentException("unable to parse rule: " + line);
        String type = h.group(1).toLowerCase(java.util.Locale.ROOT);
        String action = h.group(2);
        String macro = null;
        if (!type.equals("group")) {
            Matcher ma = MACRO_ACTION.matcher(action);
            if (ma.matches()) { macro = ma.group(1); action = ma.group(2); }
        }
        String rest = line.substring(h.end());
        Map<String, String> opts = new TreeMap<>();
        while (!rest.isEmpty()) {
            Matcher o = OPT.matcher(rest);
            if (!o.lookingAt()) break;
            String key = switch (o.group(1)) { case "i" -> "iface"; case "p" -> "proto"; default -> o.group(1); };
            if (type.equals("group") && !key.equals("iface")) break;
            if (opts.put(key, o.group(2)) != null) throw new IllegalArgumentException("duplicate option '" + key + "'");
            rest = rest.substring(o.end());
        }
        if (!rest.isEmpty()) throw new IllegalArgumentException("unable to parse rule parameters: " + rest);
        return new FwRule(type, action, macro, opts.get("iface"), opts.get("source"), opts.get("dest"), opts.get("proto"),
                opts.get("dport"), opts.get("sport"), opts.get("icmp-type"), opts.get("log"), enable,
                comment == null || comment.isEmpty() ? null : comment);
    }

    /** The rule line as PVE writes it (without newline). Refuses values that would break the line. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        if (!enable) sb.append('|');
        sb.append(FwSyntax.token("type", type).toUpperCase(java.util.Locale.ROOT));
        sb.append(' ');
        if (macro != null && !macro.isEmpty()) sb.append(FwSyntax.token("macro", macro)).append('(').append(FwSyntax.token("action", action)).append(')');
        else sb.append(FwSyntax.token("action", action));
        opt(sb, "-i", "iface", iface);
        if (!type.equals("group")) {
            opt(sb, "-source", "source", source);
            opt(sb, "-dest", "dest", dest);
            opt(sb, "-p", "proto", proto);
            opt(sb, "-dport", "dport", dport);
            opt(sb, "-sport", "sport", sport);
            opt(sb, "-icmp-type", "icmp-type", icmpType);
            opt(sb, "-log", "log", log);
        }
        if (comment != null && !comment.isBlank()) {
            FwSyntax.noNewline("comment", comment);
            sb.append(" # ").append(comment.strip());
        }
        return sb.toString();
    }

    private static void opt(StringBuilder sb, String flag, String name, String v) {
        if (v != null && !v.isEmpty()) sb.append(' ').append(flag).append(' ').append(FwSyntax.token(name, v));
    }

    /** {@link #errors(FwFile.Kind)} of a guest's rule ({@code guest}) or of a host's. */
    public Map<String, String> errors(boolean guest) {
        return errors(guest ? FwFile.Kind.GUEST : FwFile.Kind.HOST);
    }

    /**
     * Field errors of this rule, keyed by parameter name, with PVE's messages, for a rule of a file of this kind: a
     * guest's rules have no {@code forward} direction and name interfaces {@code net<N>}, a vnet's have only the
     * {@code forward} direction. References to sets, aliases and groups are checked by the compiler, which knows
     * the other files.
     */
    public Map<String, String> errors(FwFile.Kind kind) {
        boolean guest = kind == FwFile.Kind.GUEST;
        Map<String, String> err = new TreeMap<>();
        int[] version = {0};
        java.util.function.BiConsumer<String, String> add = err::putIfAbsent;
        switch (type) {
            case "group" -> {
                if (action == null || !FwSyntax.NAME.matcher(action).matches()) add.accept("action", "invalid characters in security group name");
                if (macro != null) add.accept("macro", "macros are not allowed in group rules");
            }
            case "in", "out", "forward" -> {
                if (!FwSyntax.ACTIONS.contains(action)) add.accept("action", "unknown action '" + action + "'");
                if (type.equals("forward") && guest) add.accept("type", "forward rules are not allowed here");
                if (!type.equals("forward") && kind == FwFile.Kind.VNET) add.accept("type", type + " rules are not allowed here");
            }
            default -> add.accept("type", "unknown rule type '" + type + "'");
        }
        if (iface != null) {
            if (!IFACE.matcher(iface).matches()) add.accept("iface", "invalid format - invalid interface name '" + iface + "'");
            else if (guest && !GUEST_IFACE.matcher(iface).matches()) add.accept("iface", "wrong interface name ('" + iface + "')");
        }
        if (macro != null && Macros.get(macro) == null) add.accept("macro", "unknown macro '" + macro + "'");
        boolean icmp = false;
        if (proto != null) {
            try { FwSyntax.protocolNumber(proto); } catch (IllegalArgumentException e) { add.accept("proto", e.getMessage()); }
            if (proto.equals("icmp")) version[0] = 4;
            if (proto.equals("icmpv6") || proto.equals("ipv6-icmp")) version[0] = 6;
            icmp = FwSyntax.isIcmp(proto);
        }
        if (dport != null) {
            try { FwSyntax.parsePorts(dport); } catch (IllegalArgumentException e) { add.accept("dport", e.getMessage()); }
            if (proto == null && macro == null) add.accept("proto", "missing property - 'dport' requires this property");
            else if (proto != null && !FwSyntax.PROTOCOLS_WITH_PORTS.contains(proto)) add.accept("dport", "protocol '" + proto + "' does not support ports");
        }
        if (sport != null) {
            try { FwSyntax.parsePorts(sport); } catch (IllegalArgumentException e) { add.accept("sport", e.getMessage()); }
            if (proto == null && macro == null) add.accept("proto", "missing property - 'sport' requires this property");
            else if (proto != null && !FwSyntax.PROTOCOLS_WITH_PORTS.contains(proto)) add.accept("sport", "protocol '" + proto + "' does not support ports");
        }
        if (icmpType != null) {
            if (!icmp) add.accept("proto", "missing property - 'icmp-type' requires this property");
            else try { FwSyntax.checkIcmpType(icmpType, proto); } catch (IllegalArgumentException e) { add.accept("icmp-type", e.getMessage()); }
        }
        for (String[] f : new String[][]{{"source", source}, {"dest", dest}}) {
            if (f[1] == null) continue;
            try {
                int v = FwSyntax.ipVersion(FwSyntax.parseAddressList(f[1]));
                if (v != 0 && version[0] != 0 && v != version[0]) add.accept(f[0], "inconsistent IP versions");
                else if (v != 0) version[0] = v;
            } catch (IllegalArgumentException e) {
                add.accept(f[0], e.getMessage());
            }
        }
        if (log != null && !FwSyntax.LOG_LEVELS.contains(log)) add.accept("log", "value '" + log + "' does not have a value in the enumeration '" + String.join(", ", FwSyntax.LOG_LEVELS) + "'");
        if (macro != null && !err.containsKey("macro")) {
            for (Macros.Part p : Macros.get(macro).parts()) {
                for (String[] f : new String[][]{{"proto", p.proto(), proto}, {"dport", p.dport(), dport}, {"sport", p.sport(), sport},
                        {"source", p.source(), source}, {"dest", p.dest(), dest}, {"icmp-type", p.icmpType(), icmpType}}) {
                    if (f[1] != null && f[2] != null && !f[1].equals(f[2]))
                        add.accept(f[0], "error in macro: parameter '" + f[0] + "' is set in macro and rule");
                }
            }
        }
        return err;
    }

    /** The IP version the rule's literal addresses or ICMP protocol restrict it to, or 0. */
    public int ipVersion() {
        if ("icmp".equals(proto)) return 4;
        if ("icmpv6".equals(proto) || "ipv6-icmp".equals(proto)) return 6;
        for (String s : new String[]{source, dest}) {
            if (s == null) continue;
            try {
                int v = FwSyntax.ipVersion(FwSyntax.parseAddressList(s));
                if (v != 0) return v;
            } catch (IllegalArgumentException ignored) {
                // reported by errors()
            }
        }
        return 0;
    }
}
