package org.haven.firewall.config;

import org.haven.core.format.ConfigDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A firewall configuration file ({@code cluster.fw}, {@code host.fw}, {@code <vmid>.fw} or a vnet's
 * {@code sdn/firewall/<vnet>.fw}) in PVE's format.
 * Every line is kept: comments, blank lines and lines that do not parse are written back as they were, and an
 * entry that is not changed keeps its original text, so a file Haven did not change is written byte for byte.
 * Lines that do not parse are reported by {@link #errors()} and take no part in the model. A rule line that
 * parses but has invalid fields stays in the model (the API lists it with its {@code errors}, as PVE does), is
 * reported by {@link #errors()} too, and the compiler leaves it out.
 */
public final class FwFile {

    public enum Kind { CLUSTER, HOST, GUEST, VNET }

    public enum SectionType { OPTIONS, ALIASES, IPSET, RULES, GROUP }

    public record Option(String key, String value) {}

    public record Alias(String name, String cidr, String comment) {}

    /** An IP set entry: address, network or alias name; {@code nomatch} is PVE's {@code !} prefix. */
    public record IpEntry(String cidr, boolean nomatch, String comment) {}

    /** A line that was skipped, with its 1-based number and the reason. */
    public record Error(int line, String message) {
        @Override public String toString() { return "line " + line + ": " + message; }
    }

    private record Line(String raw, Object item) {}

    private static final class Section {
        final SectionType type;
        final String name;
        String comment;
        String headerRaw;
        final List<Line> body = new ArrayList<>();

        Section(SectionType type, String name, String comment, String headerRaw) {
            this.type = type; this.name = name; this.comment = comment; this.headerRaw = headerRaw;
        }

        boolean is(SectionType t, String n) { return type == t && (n == null || n.equals(name)); }
    }

    private static final Pattern HEADER = Pattern.compile("\\[(\\w+)(?:\\s+(\\S+))?\\]\\s*(?:#\\s*(.*?)\\s*)?");
    private static final Pattern OPTION = Pattern.compile("(\\S+):\\s*(\\S+)\\s*");
    private static final Pattern ALIAS = Pattern.compile("(\\S+)\\s+(\\S+)\\s*(?:#\\s*(.*?)\\s*)?");
    private static final Pattern IPENTRY = Pattern.compile("(!)?\\s*(\\S+)\\s*(?:#\\s*(.*?)\\s*)?");

    private final Kind kind;
    private final List<Line> preamble = new ArrayList<>();
    private final List<Section> sections = new ArrayList<>();
    private final List<Error> errors = new ArrayList<>();
    private boolean trailingNewline = true;

    private FwFile(Kind kind) { this.kind = kind; }

    /** An empty file of this kind. */
    public static FwFile empty(Kind kind) { return new FwFile(kind); }

    public Kind kind() { return kind; }

    /** Parse a file; never throws for bad content, which is reported by {@link #errors()}. */
    public static FwFile parse(Kind kind, String text) {
        FwFile f = new FwFile(kind);
        if (text.isEmpty()) return f;
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        else f.trailingNewline = false;
        Section cur = null;
        boolean skipping = false;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String line = raw.strip();
            int no = i + 1;
            if (line.startsWith("[")) {
                Section s = f.parseHeader(line, raw, no);
                if (s != null) { f.sections.add(s); cur = s; skipping = false; continue; }
                // an invalid header: keep it, skip its lines
                if (cur == null) f.preamble.add(new Line(raw, null)); else cur.body.add(new Line(raw, null));
                skipping = true;
                continue;
            }
            List<Line> target = cur == null ? f.preamble : cur.body;
            if (line.isEmpty() || line.startsWith("#")) { target.add(new Line(raw, null)); continue; }
            if (skipping) { target.add(new Line(raw, null)); continue; }
            if (cur == null) { f.errors.add(new Error(no, "skip line - no section")); target.add(new Line(raw, null)); continue; }
            Object item;
            try {
                item = f.parseItem(cur, line);
            } catch (IllegalArgumentException e) {
                f.errors.add(new Error(no, e.getMessage()));
                item = null;
            }
            if (item instanceof FwRule r) {
                Map<String, String> errs = r.errors(cur.type == SectionType.RULES ? kind : Kind.CLUSTER);
                if (!errs.isEmpty()) {
                    StringBuilder sb = new StringBuilder("invalid rule:");
                    errs.forEach((k, v) -> sb.append(' ').append(k).append(": ").append(v.strip()).append(';'));
                    f.errors.add(new Error(no, sb.substring(0, sb.length() - 1)));
                }
            }
            target.add(new Line(raw, item));
        }
        return f;
    }

    private Section parseHeader(String line, String raw, int no) {
        Matcher m = HEADER.matcher(line);
        if (!m.matches()) { errors.add(new Error(no, "invalid section header '" + line + "'")); return null; }
        String word = m.group(1).toUpperCase(Locale.ROOT);
        String name = m.group(2);
        SectionType type;
        try { type = SectionType.valueOf(word); } catch (IllegalArgumentException e) { type = null; }
        boolean named = type == SectionType.IPSET || type == SectionType.GROUP;
        if (type == null || named != (name != null) || (!named && m.group(3) != null)) {
            errors.add(new Error(no, "invalid section header '" + line + "'"));
            return null;
        }
        if (!allowed(type)) { errors.add(new Error(no, "section '" + word + "' is not allowed in this file")); return null; }
        if (named && !FwSyntax.NAME.matcher(name).matches()) {
            errors.add(new Error(no, "invalid " + word.toLowerCase(Locale.ROOT) + " name '" + name + "'"));
            return null;
        }
        String comment = m.group(3) == null || m.group(3).isEmpty() ? null : m.group(3);
        return new Section(type, name, comment, raw);
    }

    private boolean allowed(SectionType t) {
        return switch (kind) {
            case CLUSTER -> true;
            case HOST, VNET -> t == SectionType.OPTIONS || t == SectionType.RULES;
            case GUEST -> t != SectionType.GROUP;
        };
    }

    private Object parseItem(Section s, String line) {
        switch (s.type) {
            case OPTIONS -> {
                Matcher m = OPTION.matcher(line);
                if (!m.matches()) throw new IllegalArgumentException("unable to parse option: " + line);
                String err = FwOptions.check(kind, m.group(1), m.group(2));
                if (err != null) throw new IllegalArgumentException("option '" + m.group(1) + "': " + err);
                return new Option(m.group(1), m.group(2));
            }
            case ALIASES -> {
                Matcher m = ALIAS.matcher(line);
                if (!m.matches()) throw new IllegalArgumentException("unable to parse alias: " + line);
                Alias a = new Alias(m.group(1), m.group(2), emptyToNull(m.group(3)));
                checkAlias(a);
                for (Alias other : items(Alias.class, SectionType.ALIASES, null))
                    if (other.name().equalsIgnoreCase(a.name())) throw new IllegalArgumentException("duplicate alias '" + a.name() + "'");
                return a;
            }
            case IPSET -> {
                Matcher m = IPENTRY.matcher(line);
                if (!m.matches()) throw new IllegalArgumentException("unable to parse ipset entry: " + line);
                IpEntry e = new IpEntry(m.group(2), m.group(1) != null, emptyToNull(m.group(3)));
                checkIpEntry(e);
                return e;
            }
            default -> { return FwRule.parse(line); }
        }
    }

    private static String emptyToNull(String s) { return s == null || s.isEmpty() ? null : s; }

    /** Checks an alias; throws with PVE's message. */
    public static void checkAlias(Alias a) {
        if (!FwSyntax.NAME.matcher(a.name()).matches()) throw new IllegalArgumentException("invalid alias name '" + a.name() + "'");
        if (!IpNet.isValid(a.cidr())) throw new IllegalArgumentException("invalid IP address '" + a.cidr() + "'");
    }

    /** Checks an IP set entry (address, network or alias reference). */
    public static void checkIpEntry(IpEntry e) {
        if (FwSyntax.SCOPED_NAME.matcher(e.cidr()).matches()) return;
        if (!IpNet.isValid(e.cidr())) throw new IllegalArgumentException("invalid IP address '" + e.cidr() + "'");
    }

    /** Lines skipped while parsing. */
    public List<Error> errors() { return List.copyOf(errors); }

    // ---- reading the model ----

    private <T> List<T> items(Class<T> cls, SectionType type, String name) {
        List<T> out = new ArrayList<>();
        for (Section s : sections)
            if (s.is(type, name))
                for (Line l : s.body) if (cls.isInstance(l.item())) out.add(cls.cast(l.item()));
        return out;
    }

    private List<String> names(SectionType type) {
        List<String> out = new ArrayList<>();
        for (Section s : sections) if (s.type == type && !out.contains(s.name)) out.add(s.name);
        return out;
    }

    private Section first(SectionType type, String name) {
        for (Section s : sections) if (s.is(type, name)) return s;
        return null;
    }

    /** Options in file order (a repeated key: the last one wins). */
    public Map<String, String> options() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Option o : items(Option.class, SectionType.OPTIONS, null)) out.put(o.key(), o.value());
        return out;
    }

    public List<FwRule> rules() { return items(FwRule.class, SectionType.RULES, null); }

    public List<Alias> aliases() { return items(Alias.class, SectionType.ALIASES, null); }

    public List<String> ipsetNames() { return names(SectionType.IPSET); }

    public boolean hasIpset(String name) { return first(SectionType.IPSET, name) != null; }

    public List<IpEntry> ipset(String name) { return items(IpEntry.class, SectionType.IPSET, name); }

    public String ipsetComment(String name) { Section s = first(SectionType.IPSET, name); return s == null ? null : s.comment; }

    public List<String> groupNames() { return names(SectionType.GROUP); }

    public boolean hasGroup(String name) { return first(SectionType.GROUP, name) != null; }

    public List<FwRule> groupRules(String name) { return items(FwRule.class, SectionType.GROUP, name); }

    public String groupComment(String name) { Section s = first(SectionType.GROUP, name); return s == null ? null : s.comment; }

    // ---- changing the model ----

    /** Set ({@code value} non-null) or remove an option; the value is checked for this level. */
    public void setOption(String key, String value) {
        if (value != null) {
            FwSyntax.token(key, value);
            String err = FwOptions.check(kind, key, value);
            if (err != null) throw new IllegalArgumentException(err);
        }
        Map<String, String> opts = options();
        if (value == null) opts.remove(key); else opts.put(key, value);
        List<Option> list = new ArrayList<>();
        opts.forEach((k, v) -> list.add(new Option(k, v)));
        setItems(SectionType.OPTIONS, null, list);
    }

    public void setRules(List<FwRule> rules) { setItems(SectionType.RULES, null, rules); }

    public void setAliases(List<Alias> aliases) {
        for (Alias a : aliases) { checkAlias(a); FwSyntax.noNewline("comment", a.comment()); }
        setItems(SectionType.ALIASES, null, aliases);
    }

    public void setIpset(String name, List<IpEntry> entries) {
        for (IpEntry e : entries) { FwSyntax.token("cidr", e.cidr()); checkIpEntry(e); FwSyntax.noNewline("comment", e.comment()); }
        requireSection(SectionType.IPSET, name);
        setItems(SectionType.IPSET, name, entries);
    }

    public void setGroupRules(String name, List<FwRule> rules) {
        requireSection(SectionType.GROUP, name);
        setItems(SectionType.GROUP, name, rules);
    }

    /** Create an empty IP set (or update the comment of an existing one). */
    public void createIpset(String name, String comment) { createNamed(SectionType.IPSET, name, comment); }

    public void createGroup(String name, String comment) { createNamed(SectionType.GROUP, name, comment); }

    public boolean deleteIpset(String name) { return sections.removeIf(s -> s.is(SectionType.IPSET, name)); }

    public boolean deleteGroup(String name) { return sections.removeIf(s -> s.is(SectionType.GROUP, name)); }

    private void requireSection(SectionType type, String name) {
        if (first(type, name) == null) throw new IllegalArgumentException("no such " + type.name().toLowerCase(Locale.ROOT) + " '" + name + "'");
    }

    private void createNamed(SectionType type, String name, String comment) {
        if (!allowed(type)) throw new IllegalArgumentException("section '" + type + "' is not allowed in this file");
        if (!FwSyntax.NAME.matcher(name).matches()) throw new IllegalArgumentException("invalid name '" + name + "'");
        FwSyntax.noNewline("comment", comment);
        Section s = first(type, name);
        if (s == null) { addSection(type, name, comment); return; }
        s.comment = comment == null || comment.isBlank() ? null : comment.strip();
        s.headerRaw = null;
    }

    private Section addSection(SectionType type, String name, String comment) {
        if (!allowed(type)) throw new IllegalArgumentException("section '" + type + "' is not allowed in this file");
        Section s = new Section(type, name, comment == null || comment.isBlank() ? null : comment.strip(), null);
        s.body.add(new Line("", null));
        s.body.add(new Line("", null));
        int at = sections.size();
        for (int i = 0; i < sections.size(); i++) {
            if (sections.get(i).type.ordinal() > type.ordinal()) { at = i; break; }
        }
        List<Line> before = at == 0 ? preamble : sections.get(at - 1).body;
        boolean fileHasContent = at > 0 || !preamble.isEmpty();
        if (fileHasContent && (before.isEmpty() || !before.get(before.size() - 1).raw().isBlank())) before.add(new Line("", null));
        sections.add(at, s);
        return s;
    }

    /**
     * Replace the entries of a section (all sections of that type and name). Entries that equal an old entry
     * keep its text; comment lines stay where they are; new entries go after the last entry.
     */
    private void setItems(SectionType type, String name, List<?> items) {
        for (Object o : items) if (o instanceof FwRule r) r.format();
        List<Section> secs = new ArrayList<>();
        for (Section s : sections) if (s.is(type, name)) secs.add(s);
        if (secs.isEmpty()) {
            if (items.isEmpty()) return;
            secs.add(addSection(type, name, null));
        }
        Map<Object, Deque<String>> rawOf = new HashMap<>();
        List<int[]> slots = new ArrayList<>();
        for (int si = 0; si < secs.size(); si++) {
            List<Line> body = secs.get(si).body;
            for (int li = 0; li < body.size(); li++) {
                Line l = body.get(li);
                if (l.item() == null) continue;
                slots.add(new int[]{si, li});
                if (l.raw() != null) rawOf.computeIfAbsent(l.item(), k -> new ArrayDeque<>()).add(l.raw());
            }
        }
        int n = Math.min(slots.size(), items.size());
        for (int i = 0; i < n; i++) {
            int[] slot = slots.get(i);
            Object item = items.get(i);
            Deque<String> raws = rawOf.get(item);
            secs.get(slot[0]).body.set(slot[1], new Line(raws == null ? null : raws.poll(), item));
        }
        for (int i = slots.size() - 1; i >= n; i--) {
            int[] slot = slots.get(i);
            secs.get(slot[0]).body.remove(slot[1]);
        }
        if (items.size() > n) {
            Section last = secs.get(secs.size() - 1);
            int at = -1;
            for (int li = 0; li < last.body.size(); li++) if (last.body.get(li).item() != null) at = li + 1;
            if (at < 0) at = !last.body.isEmpty() && last.body.get(0).raw() != null && last.body.get(0).raw().isBlank() ? 1 : 0;
            for (int i = n; i < items.size(); i++) last.body.add(at++, new Line(null, items.get(i)));
        }
    }

    // ---- writing ----

    /** The file text. */
    public String write() {
        List<String> out = new ArrayList<>();
        for (Line l : preamble) out.add(text(l));
        for (Section s : sections) {
            out.add(s.headerRaw != null ? s.headerRaw : header(s));
            for (Line l : s.body) out.add(text(l));
        }
        if (out.isEmpty()) return "";
        return String.join("\n", out) + (trailingNewline ? "\n" : "");
    }

    /** SHA-1 (hex) of the file text, PVE's {@code digest} of a configuration file. */
    public String digest() {
        return sha1(write());
    }

    static String sha1(String s) {
        return ConfigDigest.of(s);
    }

    private static String header(Section s) {
        String h = switch (s.type) {
            case OPTIONS -> "[OPTIONS]";
            case ALIASES -> "[ALIASES]";
            case RULES -> "[RULES]";
            case IPSET -> "[IPSET " + s.name + "]";
            case GROUP -> "[group " + s.name + "]";
        };
        return s.comment == null ? h : h + " # " + s.comment;
    }

    private static String text(Line l) {
        if (l.raw() != null) return l.raw();
        return switch (l.item()) {
            case Option o -> o.key() + ": " + o.value();
            case Alias a -> a.name() + " " + a.cidr() + comment(a.comment());
            case IpEntry e -> (e.nomatch() ? "!" : "") + e.cidr() + comment(e.comment());
            case FwRule r -> r.format();
            default -> throw new IllegalStateException("unknown entry " + l.item());
        };
    }

    private static String comment(String c) {
        if (c == null || c.isBlank()) return "";
        FwSyntax.noNewline("comment", c);
        return " # " + c.strip();
    }
}
