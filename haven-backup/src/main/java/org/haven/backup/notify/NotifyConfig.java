package org.haven.backup.notify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.format.ConfigText;

/**
 * PVE 8's notification configuration: {@code notifications.cfg} (targets {@code sendmail:}, {@code smtp:},
 * {@code gotify:}, {@code webhook:} and {@code matcher:} sections) and {@code priv/notifications.cfg} (the same
 * section headers holding the secrets: smtp {@code password}, gotify {@code token}, webhook {@code secret}).
 *
 * <p>The format is PVE's section config with one difference: a key may repeat, one line per array element
 * ({@code target}, {@code match-field}, {@code mailto}, {@code header}, {@code secret}, …). Parsing keeps the order
 * of sections and of keys, so an unchanged file is written back as it was read (in canonical form).
 *
 * <p>PVE ships a built-in sendmail target {@code mail-to-root} and matcher {@code default-matcher}; a section of
 * the same name in the file overrides it ({@code origin} {@code modified-builtin}).
 */
public final class NotifyConfig {
    public static final String PATH = "notifications.cfg";
    public static final String PRIV_PATH = "priv/notifications.cfg";
    public static final List<String> TARGET_TYPES = List.of("sendmail", "smtp", "gotify", "webhook");
    public static final String MATCHER = "matcher";
    /** Keys stored in the private file, per section type. */
    static final Map<String, List<String>> SECRET_KEYS = Map.of("smtp", List.of("password"), "gotify", List.of("token"), "webhook", List.of("secret"));

    /** The configuration PVE compiles in. */
    public static final String BUILTIN = """
            sendmail: mail-to-root
            	mailto-user root@pam
            	comment Send mails to root@pam's email address

            matcher: default-matcher
            	mode all
            	target mail-to-root
            	comment Route all notifications to mail-to-root

            """;

    private static final Pattern HEADER = Pattern.compile("^([a-z]+):\\s*(\\S+)\\s*$");
    private static final Pattern PROPERTY = Pattern.compile("^\\s+(\\S+)(?:\\s+(.*?))?\\s*$");
    private static final Pattern NAME = Pattern.compile("(?i)[a-z][a-z0-9_\\-]+");

    /** One section: its type, name and properties (each key with its values in file order). */
    public static final class Section {
        private final String type;
        private final String name;
        private final LinkedHashMap<String, List<String>> props = new LinkedHashMap<>();

        public Section(String type, String name) {
            this.type = type;
            this.name = name;
        }

        public String type() { return type; }
        public String name() { return name; }
        /** Mutable view: key → values (a scalar key has one value). */
        public Map<String, List<String>> properties() { return props; }
        public Optional<String> get(String key) { return Optional.ofNullable(props.get(key)).filter(l -> !l.isEmpty()).map(l -> l.getFirst()); }
        public String get(String key, String def) { return get(key).orElse(def); }
        public List<String> all(String key) { return props.getOrDefault(key, List.of()); }
        public Section set(String key, String value) {
            props.put(key, new ArrayList<>(List.of(value)));
            return this;
        }
        public Section set(String key, List<String> values) {
            if (values.isEmpty()) props.remove(key); else props.put(key, new ArrayList<>(values));
            return this;
        }
        public boolean flag(String key) { return get(key).map(NotifyConfig::truthy).orElse(false); }
        public Section copy() {
            Section s = new Section(type, name);
            props.forEach((k, v) -> s.props.put(k, new ArrayList<>(v)));
            return s;
        }
        @Override public boolean equals(Object o) { return o instanceof Section s && s.type.equals(type) && s.name.equals(name) && s.props.equals(props); }
        @Override public int hashCode() { return name.hashCode(); }
        @Override public String toString() { return type + ": " + name + " " + props; }
    }

    /** A parse failure, with PVE's line number. */
    public static final class ParseException extends IllegalArgumentException {
        public ParseException(String file, int line, String message) { super(file + ": line " + line + ": " + message); }
    }

    private final List<Section> sections;
    private final List<Section> secrets;
    private final String digest;

    private NotifyConfig(List<Section> sections, List<Section> secrets, String digest) {
        this.sections = sections;
        this.secrets = secrets;
        this.digest = digest;
    }

    public static NotifyConfig empty() { return parse("", ""); }

    /** Parses the public and the private file; the digest is the SHA-256 of the public text, as PVE's. */
    public static NotifyConfig parse(String text, String privText) {
        return new NotifyConfig(sections(PATH, text), sections(PRIV_PATH, privText), sha256(text));
    }

    static List<Section> sections(String file, String text) {
        List<Section> out = new ArrayList<>();
        Section cur = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) { cur = null; continue; }
            if (line.stripLeading().startsWith("#")) continue;
            Matcher h = HEADER.matcher(line);
            if (cur == null || h.matches()) {
                if (!h.matches()) throw new ParseException(file, i + 1, "syntax error - expected header, got '" + line + "'");
                String type = h.group(1), name = h.group(2);
                if (!NAME.matcher(name).matches() || name.length() > 128) throw new ParseException(file, i + 1, "invalid configuration ID '" + name + "'");
                if (!type.equals(MATCHER) && !TARGET_TYPES.contains(type)) throw new ParseException(file, i + 1, "unknown section type '" + type + "'");
                String n = name;
                if (out.stream().anyMatch(s -> s.name.equals(n))) throw new ParseException(file, i + 1, "duplicate section '" + name + "'");
                cur = new Section(type, name);
                out.add(cur);
                continue;
            }
            Matcher p = PROPERTY.matcher(line);
            if (!p.matches()) throw new ParseException(file, i + 1, "syntax error - unable to parse '" + line + "'");
            cur.props.computeIfAbsent(p.group(1), k -> new ArrayList<>()).add(p.group(2) == null ? "" : p.group(2));
        }
        return out;
    }

    /** Canonical text of sections: header, tab-indented key/value lines (one per array element), blank line. */
    static String write(List<Section> list) {
        StringBuilder sb = new StringBuilder();
        for (Section s : list) {
            checkName(s.name);
            sb.append(s.type).append(": ").append(s.name).append('\n');
            s.props.forEach((k, vs) -> {
                for (String v : vs) {
                    ConfigText.line(k, v);
                    sb.append('\t').append(k);
                    if (!v.isEmpty()) sb.append(' ').append(v.strip());
                    sb.append('\n');
                }
            });
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Refuses names PVE's {@code pve-configid} format refuses. */
    static void checkName(String name) {
        if (!NAME.matcher(name).matches() || name.length() > 128) throw new IllegalArgumentException("invalid configuration ID '" + name + "'");
    }

    public String text() { return write(sections); }
    public String privText() { return write(secrets); }
    public String digest() { return digest; }

    /** The sections of the public file, in file order (mutable). */
    public List<Section> sections() { return sections; }
    /** The sections of the private file (mutable). */
    public List<Section> secrets() { return secrets; }

    /** The section {@code name} of the file, or else the built-in one. */
    public Optional<Section> find(String name) {
        return sections.stream().filter(s -> s.name.equals(name)).findFirst().or(() -> builtin(name));
    }

    /** The target (not matcher) {@code name}, from the file or built in. */
    public Optional<Section> target(String name) {
        return find(name).filter(s -> TARGET_TYPES.contains(s.type()));
    }

    /** The private section of {@code name}, if it has one. */
    public Optional<Section> secret(String name) {
        return secrets.stream().filter(s -> s.name.equals(name)).findFirst();
    }

    static Optional<Section> builtin(String name) {
        return sections(PATH, BUILTIN).stream().filter(s -> s.name.equals(name)).findFirst();
    }

    /** Built-ins and the file's sections together: built-ins first (unless overridden), then the file's in order. */
    public List<Section> effective() {
        List<Section> out = new ArrayList<>();
        for (Section b : sections(PATH, BUILTIN)) out.add(sections.stream().filter(s -> s.name.equals(b.name)).findFirst().orElse(b));
        for (Section s : sections) if (out.stream().noneMatch(o -> o.name.equals(s.name))) out.add(s);
        return out;
    }

    /** {@code builtin}, {@code modified-builtin} or {@code user-created}. */
    public String origin(String name) {
        boolean inFile = sections.stream().anyMatch(s -> s.name.equals(name));
        if (builtin(name).isEmpty()) return "user-created";
        return inFile ? "modified-builtin" : "builtin";
    }

    /** Puts {@code s} in place of the section of the same name, or appends it. */
    public void put(Section s) {
        put(sections, s);
    }

    /** Stores the secrets of {@code name} (removing the private section when {@code s} holds none). */
    public void putSecret(Section s) {
        if (s.props.isEmpty()) secrets.removeIf(x -> x.name.equals(s.name)); else put(secrets, s);
    }

    private static void put(List<Section> list, Section s) {
        for (int i = 0; i < list.size(); i++) if (list.get(i).name.equals(s.name)) { list.set(i, s); return; }
        list.add(s);
    }

    /** Removes {@code name} from both files. */
    public boolean remove(String name) {
        secrets.removeIf(s -> s.name.equals(name));
        return sections.removeIf(s -> s.name.equals(name));
    }

    static boolean truthy(String v) { return v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("on"); }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
