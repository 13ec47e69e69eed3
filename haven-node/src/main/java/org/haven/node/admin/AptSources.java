package org.haven.node.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * APT repository files as PVE's {@code proxmox-apt} reads them: the one-line format of {@code sources.list} and
 * {@code *.list} ({@code [# ]deb [opt=val ...] uri suite [component ...] [# comment]}, a commented-out repository
 * line is a disabled repository, plain comment lines above a repository are its comment) and the deb822 format of
 * {@code *.sources} (stanzas of {@code Types}, {@code URIs}, {@code Suites}, {@code Components}, {@code Enabled} and
 * options, comment lines above a stanza are its comment). A file keeps its lines: changing whether a repository is
 * enabled edits only that repository's line or stanza, so everything else stays byte for byte.
 */
public final class AptSources {
    private AptSources() {}

    /** One repository; {@code first}..{@code last} are its lines in the file (a stanza's, or the one line). */
    public record Repo(List<String> types, List<String> uris, List<String> suites, List<String> components,
                       Map<String, List<String>> options, String comment, String fileType, boolean enabled, int first, int last) {

        /** PVE's JSON shape of a repository. */
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("Types", types);
            m.put("URIs", uris);
            m.put("Suites", suites);
            m.put("Components", components);
            if (!options.isEmpty()) {
                List<Map<String, Object>> o = new ArrayList<>();
                options.forEach((k, v) -> o.add(Map.of("Key", k, "Values", v)));
                m.put("Options", o);
            }
            m.put("Comment", comment);
            m.put("FileType", fileType);
            m.put("Enabled", enabled);
            return m;
        }
    }

    /** A parsed file: its lines (each without its newline), whether the text ended in a newline, its repositories. */
    public record File(String path, String fileType, List<String> lines, boolean finalNewline, List<Repo> repos) {

        public String text() {
            String t = String.join("\n", lines);
            return finalNewline && !lines.isEmpty() ? t + "\n" : t;
        }
    }

    /** A file that cannot be parsed. */
    public static final class ParseError extends IllegalArgumentException {
        public ParseError(String message) { super(message); }
    }

    /** The type of a file by its name ({@code list} or {@code sources}), or null for a file APT ignores. */
    public static String fileType(String name) {
        if (name.endsWith(".list")) return "list";
        if (name.endsWith(".sources")) return "sources";
        return null;
    }

    public static File parse(String path, String text) {
        String type = fileType(path);
        if (type == null) throw new ParseError("unknown file extension");
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        boolean finalNewline = text.endsWith("\n");
        if (finalNewline || text.isEmpty()) lines.removeLast();
        List<Repo> repos = type.equals("list") ? parseList(lines) : parseSources(lines);
        return new File(path, type, lines, finalNewline, repos);
    }

    // ---- one-line format ----------------------------------------------------------------------------------

    private static List<Repo> parseList(List<String> lines) {
        List<Repo> out = new ArrayList<>();
        StringBuilder comment = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                comment.setLength(0);
                continue;
            }
            boolean enabled = true;
            String body = line;
            if (body.startsWith("#")) {
                body = body.substring(1).strip();
                Repo r = body.startsWith("deb") ? tryLine(body, false, comment, i) : null;
                if (r != null) {
                    out.add(r);
                    comment.setLength(0);
                } else {
                    comment.append(line.substring(1).strip()).append('\n');
                }
                continue;
            }
            Repo r = tryLine(body, enabled, comment, i);
            if (r == null) throw new ParseError("malformed entry on line " + (i + 1));
            out.add(r);
            comment.setLength(0);
        }
        return out;
    }

    /** A repository line (without a leading '#'), or null when it is none. */
    private static Repo tryLine(String body, boolean enabled, StringBuilder above, int index) {
        String comment = above.toString().strip();
        int hash = body.indexOf('#');
        if (hash >= 0) {
            String tail = body.substring(hash + 1).strip();
            comment = comment.isEmpty() ? tail : tail.isEmpty() ? comment : comment + "\n" + tail;
            body = body.substring(0, hash);
        }
        String[] words = body.strip().split("\\s+");
        int w = 0;
        if (!words[w].equals("deb") && !words[w].equals("deb-src")) return null;
        String type = words[w++];
        Map<String, List<String>> options = new LinkedHashMap<>();
        if (w < words.length && words[w].startsWith("[")) {
            StringBuilder opts = new StringBuilder();
            while (w < words.length) {
                opts.append(words[w]).append(' ');
                if (words[w++].endsWith("]")) break;
            }
            String inner = opts.toString().strip();
            if (!inner.endsWith("]")) return null;
            inner = inner.substring(1, inner.length() - 1).strip();
            for (String kv : inner.isEmpty() ? new String[0] : inner.split("\\s+")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) return null;
                options.put(kv.substring(0, eq), List.of(kv.substring(eq + 1).split(",")));
            }
        }
        if (words.length - w < 2) return null;
        String uri = words[w++];
        String suite = words[w++];
        List<String> components = List.of(words).subList(w, words.length);
        if (suite.endsWith("/") != components.isEmpty()) return null;
        return new Repo(List.of(type), List.of(uri), List.of(suite), List.copyOf(components), options, comment, "list", enabled, index, index);
    }

    // ---- deb822 --------------------------------------------------------------------------------------------

    private static final List<String> KNOWN = List.of("types", "uris", "suites", "components", "enabled");

    private static List<Repo> parseSources(List<String> lines) {
        List<Repo> out = new ArrayList<>();
        StringBuilder comment = new StringBuilder();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank()) {
                comment.setLength(0);
                i++;
                continue;
            }
            if (line.startsWith("#")) {
                comment.append(line.substring(1).strip()).append('\n');
                i++;
                continue;
            }
            int first = i;
            Map<String, List<String>> fields = new LinkedHashMap<>();
            Map<String, String> names = new LinkedHashMap<>();
            String key = null;
            for (; i < lines.size() && !lines.get(i).isBlank(); i++) {
                String l = lines.get(i);
                if (l.startsWith("#")) continue;
                if (Character.isWhitespace(l.charAt(0))) {
                    if (key == null) throw new ParseError("continuation line without a field on line " + (i + 1));
                    String v = l.strip();
                    if (!v.equals(".")) fields.get(key).add(v);
                    continue;
                }
                int colon = l.indexOf(':');
                if (colon <= 0) throw new ParseError("malformed line " + (i + 1) + ": no field");
                String name = l.substring(0, colon).strip();
                key = name.toLowerCase(Locale.ROOT);
                if (fields.containsKey(key)) throw new ParseError("duplicate field '" + name + "' on line " + (i + 1));
                names.put(key, name);
                List<String> values = new ArrayList<>();
                String v = l.substring(colon + 1).strip();
                if (!v.isEmpty()) values.add(v);
                fields.put(key, values);
            }
            out.add(stanza(fields, names, comment.toString().strip(), first, i - 1));
            comment.setLength(0);
        }
        return out;
    }

    private static Repo stanza(Map<String, List<String>> fields, Map<String, String> names, String comment, int first, int last) {
        List<String> types = words(fields.get("types"));
        List<String> uris = words(fields.get("uris"));
        List<String> suites = words(fields.get("suites"));
        List<String> components = words(fields.get("components"));
        String where = " (lines " + (first + 1) + "-" + (last + 1) + ")";
        if (types.isEmpty()) throw new ParseError("missing field 'Types'" + where);
        for (String t : types) if (!t.equals("deb") && !t.equals("deb-src")) throw new ParseError("unknown package type '" + t + "'" + where);
        if (uris.isEmpty()) throw new ParseError("missing field 'URIs'" + where);
        if (suites.isEmpty()) throw new ParseError("missing field 'Suites'" + where);
        boolean flat = suites.stream().anyMatch(s -> s.endsWith("/"));
        if (flat && !components.isEmpty()) throw new ParseError("an exact suite path takes no components" + where);
        if (!flat && components.isEmpty()) throw new ParseError("missing field 'Components'" + where);
        boolean enabled = true;
        if (fields.containsKey("enabled")) {
            String e = String.join(" ", fields.get("enabled")).toLowerCase(Locale.ROOT);
            enabled = switch (e) {
                case "yes", "true", "1" -> true;
                case "no", "false", "0" -> false;
                default -> throw new ParseError("invalid value '" + e + "' for 'Enabled'" + where);
            };
        }
        Map<String, List<String>> options = new LinkedHashMap<>();
        fields.forEach((k, v) -> {
            if (!KNOWN.contains(k)) options.put(names.get(k), k.equals("signed-by") && v.size() > 1 ? List.copyOf(v) : words(v));
        });
        return new Repo(types, uris, suites, components, options, comment, "sources", enabled, first, last);
    }

    private static List<String> words(List<String> values) {
        if (values == null) return List.of();
        List<String> out = new ArrayList<>();
        for (String v : values) for (String w : v.split("\\s+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    // ---- changes ---------------------------------------------------------------------------------------------

    /** {@code file} with repository {@code index} enabled or disabled; the other lines unchanged. */
    public static File setEnabled(File file, int index, boolean enabled) {
        if (index < 0 || index >= file.repos().size()) throw new IllegalArgumentException("unable to find repository with index " + index);
        Repo r = file.repos().get(index);
        if (r.enabled() == enabled) return file;
        List<String> lines = new ArrayList<>(file.lines());
        if (file.fileType().equals("list")) {
            String l = lines.get(r.first());
            lines.set(r.first(), enabled ? l.replaceFirst("^\\s*#\\s*", "") : "# " + l);
        } else {
            int at = -1;
            for (int i = r.first(); i <= r.last(); i++) if (lines.get(i).toLowerCase(Locale.ROOT).matches("enabled\\s*:.*")) at = i;
            if (at >= 0) lines.set(at, "Enabled: " + (enabled ? "yes" : "no"));
            else lines.add(r.last() + 1, "Enabled: " + (enabled ? "yes" : "no"));
        }
        return parse(file.path(), textOf(lines, file.finalNewline()));
    }

    /** {@code file} with a new enabled one-line repository appended (a deb822 stanza for a .sources file). */
    public static File append(File file, String type, String uri, String suite, List<String> components, String comment) {
        List<String> lines = new ArrayList<>(file.lines());
        boolean sources = file.fileType().equals("sources");
        if (sources && !lines.isEmpty() && !lines.getLast().isBlank()) lines.add("");
        if (comment != null) lines.add("# " + comment);
        if (sources) {
            lines.add("Types: " + type);
            lines.add("URIs: " + uri);
            lines.add("Suites: " + suite);
            lines.add("Components: " + String.join(" ", components));
        } else {
            lines.add(type + " " + uri + " " + suite + (components.isEmpty() ? "" : " " + String.join(" ", components)));
        }
        return parse(file.path(), textOf(lines, true));
    }

    private static String textOf(List<String> lines, boolean finalNewline) {
        String t = String.join("\n", lines);
        return finalNewline ? t + "\n" : t;
    }

    // ---- standard repositories and infos -----------------------------------------------------------------------

    /** A repository Haven knows by handle: Debian's main archive, its updates and its security archive. */
    public record Standard(String handle, String name, String description, String uri, String suiteSuffix, List<String> components) {
        public String suite(String codename) { return codename + suiteSuffix; }
    }

    public static final List<Standard> STANDARD = List.of(
            new Standard("debian", "Debian", "The Debian archive of the node's release, with QEMU, LXC and the other packages Haven uses.",
                    "http://deb.debian.org/debian", "", List.of("main", "contrib")),
            new Standard("debian-updates", "Debian Updates", "Updates of the Debian release published between point releases.",
                    "http://deb.debian.org/debian", "-updates", List.of("main", "contrib")),
            new Standard("debian-security", "Debian Security", "Security updates of the Debian release.",
                    "http://security.debian.org/debian-security", "-security", List.of("main", "contrib")));

    public static Standard standard(String handle) {
        for (Standard s : STANDARD) if (s.handle().equals(handle)) return s;
        throw new IllegalArgumentException("unknown repository handle '" + handle + "'");
    }

    /** Whether {@code r} is standard repository {@code s} of release {@code codename}. */
    public static boolean matches(Repo r, Standard s, String codename) {
        return r.types().contains("deb") && r.suites().contains(s.suite(codename))
                && r.uris().stream().anyMatch(u -> u.replaceFirst("/+$", "").replaceFirst("^https:", "http:").equals(s.uri()));
    }

    /** The standard repositories with {@code status} (enabled or not) where one is configured, as PVE lists them. */
    public static List<Map<String, Object>> standardRepos(List<File> files, String codename) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Standard s : STANDARD) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("handle", s.handle());
            m.put("name", s.name());
            m.put("description", s.description());
            Boolean status = null;
            for (File f : files) for (Repo r : f.repos()) if (codename != null && matches(r, s, codename)) status = (status != null && status) || r.enabled();
            if (status != null) m.put("status", status);
            out.add(m);
        }
        return out;
    }

    private static final List<String> DEBIAN_RELEASES = List.of("jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "duke");

    /**
     * PVE's infos on repositories: the origin of a Debian repository, and a warning on a suite of another release
     * than the node's (older: "old suite", newer: "newer suite") or a suite named by its role ("stable").
     */
    public static List<Map<String, Object>> infos(List<File> files, String codename) {
        List<Map<String, Object>> out = new ArrayList<>();
        int current = DEBIAN_RELEASES.indexOf(codename);
        for (File f : files) {
            for (int i = 0; i < f.repos().size(); i++) {
                Repo r = f.repos().get(i);
                if (r.uris().stream().anyMatch(u -> u.matches("(?i)[a-z]+://([^/]*\\.)?debian\\.org(/.*)?"))) out.add(info(f, i, "origin", null, "Debian"));
                for (String suite : r.suites()) {
                    String base = suite.replaceFirst("-(updates|security|backports|proposed-updates)$", "").replaceFirst("/updates$", "");
                    if (List.of("stable", "oldstable", "testing", "unstable").contains(base)) {
                        out.add(info(f, i, "warning", "Suites", "use the name of the release instead of '" + base + "' in '" + suite + "'"));
                        continue;
                    }
                    int at = DEBIAN_RELEASES.indexOf(base);
                    if (current < 0 || at < 0 || at == current) continue;
                    out.add(info(f, i, "warning", "Suites", (at < current ? "old suite '" : "newer suite '") + suite + "' configured!"));
                }
            }
        }
        return out;
    }

    private static Map<String, Object> info(File f, int index, String kind, String property, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", f.path());
        m.put("index", String.valueOf(index));
        m.put("kind", kind);
        if (property != null) m.put("property", property);
        m.put("message", message);
        return m;
    }

    // ---- digests ---------------------------------------------------------------------------------------------

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** proxmox-apt's common digest: SHA-256 over the files' digests in path order, hex. */
    public static String commonDigest(Map<String, byte[]> digestsByPath) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            new java.util.TreeMap<>(digestsByPath).values().forEach(md::update);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The digest of a file's text. */
    public static byte[] digest(String text) { return sha256(text.getBytes(StandardCharsets.UTF_8)); }
}
