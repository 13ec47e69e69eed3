package org.haven.backup.notify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.haven.core.format.SectionConfig;

/**
 * PVE 8's notification configuration: {@code notifications.cfg} (targets {@code sendmail:}, {@code smtp:},
 * {@code gotify:}, {@code webhook:} and {@code matcher:} sections) and {@code priv/notifications.cfg} (the same
 * section headers holding the secrets: smtp {@code password}, gotify {@code token}, webhook {@code secret}).
 *
 * <p>The format is PVE's section config ({@link SectionConfig} with {@link #FORMAT}): the array properties
 * ({@code target}, {@code match-field}, {@code mailto}, {@code header}, {@code secret}, …) repeat their key, one
 * line per element. Parsing keeps the order of sections and of keys and the comments, so an unchanged file is
 * written back as it was read.
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

    /** The array properties of PVE's notification section types: one line per element. */
    public static final SectionConfig.Format FORMAT = new SectionConfig.Format(null, java.util.Set.of("mailto", "mailto-user", "target",
            "match-field", "match-severity", "match-calendar", "header", "secret"));

    private static final Pattern NAME = Pattern.compile("(?i)[a-z][a-z0-9_\\-]+");

    /** One section: its type, name and properties (an array key with its values in file order), over a {@link SectionConfig.Section}. */
    public static final class Section {
        private final SectionConfig.Section raw;

        public Section(String type, String name) { this(new SectionConfig.Section(type, name)); }

        private Section(SectionConfig.Section raw) { this.raw = raw; }

        public String type() { return raw.type(); }
        public String name() { return raw.id(); }
        public boolean isEmpty() { return raw.properties().isEmpty(); }
        public Optional<String> get(String key) { return all(key).stream().findFirst(); }
        public String get(String key, String def) { return get(key).orElse(def); }
        /** The values of {@code key}: the lines of an array key, the one value of another. */
        public List<String> all(String key) { return raw.values(key); }
        public Section set(String key, String value) {
            raw.set(key, value);
            return this;
        }
        public Section set(String key, List<String> values) {
            if (values.isEmpty()) raw.remove(key); else raw.properties().put(key, String.join("\n", values));
            return this;
        }
        public Section remove(String key) {
            raw.remove(key);
            return this;
        }
        public boolean flag(String key) { return get(key).map(NotifyConfig::truthy).orElse(false); }
        public Section copy() {
            Section s = new Section(type(), name());
            s.raw.comments().addAll(raw.comments());
            s.raw.properties().putAll(raw.properties());
            return s;
        }
        @Override public boolean equals(Object o) { return o instanceof Section s && s.raw.equals(raw); }
        @Override public int hashCode() { return raw.hashCode(); }
        @Override public String toString() { return raw.toString(); }
    }

    /** A parse failure, with PVE's line number. */
    public static final class ParseException extends IllegalArgumentException {
        public ParseException(String file, int line, String message) { super(file + ": line " + line + ": " + message); }
    }

    private final List<Section> sections;
    private final List<Section> secrets;
    private final String digest;
    private final List<String> trailer, privTrailer;

    private NotifyConfig(SectionConfig.Document pub, SectionConfig.Document priv, String digest) {
        this.sections = wrap(pub);
        this.secrets = wrap(priv);
        this.trailer = pub.trailingComments();
        this.privTrailer = priv.trailingComments();
        this.digest = digest;
    }

    private static List<Section> wrap(SectionConfig.Document doc) {
        List<Section> out = new ArrayList<>();
        for (SectionConfig.Section s : doc.sections()) out.add(new Section(s));
        return out;
    }

    public static NotifyConfig empty() { return parse("", ""); }

    /** Parses the public and the private file; the digest is the SHA-256 of the public text, as PVE's. */
    public static NotifyConfig parse(String text, String privText) {
        return new NotifyConfig(document(PATH, text), document(PRIV_PATH, privText), sha256(text));
    }

    /** One file parsed with {@link #FORMAT}; a section of a type PVE does not know is an error, as in PVE. */
    static SectionConfig.Document document(String file, String text) {
        SectionConfig.Document doc;
        try {
            doc = SectionConfig.parse(text, FORMAT);
        } catch (SectionConfig.ParseException e) {
            throw new ParseException(file, e.line, e.getMessage().substring(("line " + e.line + ": ").length()));
        }
        String[] lines = text.split("\n", -1);
        for (SectionConfig.Section s : doc.sections()) {
            boolean known = s.type().equals(MATCHER) || TARGET_TYPES.contains(s.type());
            if (known && NAME.matcher(s.id()).matches() && s.id().length() <= 128) continue;
            int line = 1;
            for (int i = 0; i < lines.length; i++) if (lines[i].startsWith(s.type() + ":")) { line = i + 1; break; }
            // a name the writer refuses (PVE's pve-configid) is refused when read, so what is read can be written back
            throw new ParseException(file, line, known ? "invalid configuration ID '" + s.id() + "'" : "unknown section type '" + s.type() + "'");
        }
        return doc;
    }

    static List<Section> sections(String file, String text) { return wrap(document(file, text)); }

    /** Canonical text of sections: header, tab-indented key/value lines (one per array element), blank line. */
    static String write(List<Section> list) { return write(list, List.of()); }

    static String write(List<Section> list, List<String> trailer) {
        SectionConfig.Document doc = new SectionConfig.Document();
        for (Section s : list) {
            checkName(s.name());
            for (var e : s.raw.properties().entrySet()) {
                boolean array = FORMAT.arrayKeys().contains(e.getKey());
                for (String v : array ? s.raw.values(e.getKey()) : List.of(e.getValue())) {
                    if (v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0)
                        throw new IllegalArgumentException("value of '" + e.getKey() + "' must not contain a line break");
                }
            }
            doc.add(s.raw);
        }
        doc.trailingComments().addAll(trailer);
        return SectionConfig.write(doc, FORMAT);
    }

    /** Refuses names PVE's {@code pve-configid} format refuses. */
    static void checkName(String name) {
        if (!NAME.matcher(name).matches() || name.length() > 128) throw new IllegalArgumentException("invalid configuration ID '" + name + "'");
    }

    public String text() { return write(sections, trailer); }
    public String privText() { return write(secrets, privTrailer); }
    public String digest() { return digest; }

    /** The sections of the public file, in file order (mutable). */
    public List<Section> sections() { return sections; }
    /** The sections of the private file (mutable). */
    public List<Section> secrets() { return secrets; }

    /** The section {@code name} of the file, or else the built-in one. */
    public Optional<Section> find(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst().or(() -> builtin(name));
    }

    /** The target (not matcher) {@code name}, from the file or built in. */
    public Optional<Section> target(String name) {
        return find(name).filter(s -> TARGET_TYPES.contains(s.type()));
    }

    /** The private section of {@code name}, if it has one. */
    public Optional<Section> secret(String name) {
        return secrets.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    static Optional<Section> builtin(String name) {
        return sections(PATH, BUILTIN).stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** Built-ins and the file's sections together: built-ins first (unless overridden), then the file's in order. */
    public List<Section> effective() {
        List<Section> out = new ArrayList<>();
        for (Section b : sections(PATH, BUILTIN)) out.add(sections.stream().filter(s -> s.name().equals(b.name())).findFirst().orElse(b));
        for (Section s : sections) if (out.stream().noneMatch(o -> o.name().equals(s.name()))) out.add(s);
        return out;
    }

    /** {@code builtin}, {@code modified-builtin} or {@code user-created}. */
    public String origin(String name) {
        boolean inFile = sections.stream().anyMatch(s -> s.name().equals(name));
        if (builtin(name).isEmpty()) return "user-created";
        return inFile ? "modified-builtin" : "builtin";
    }

    /** Puts {@code s} in place of the section of the same name, or appends it. */
    public void put(Section s) {
        put(sections, s);
    }

    /** Stores the secrets of {@code name} (removing the private section when {@code s} holds none). */
    public void putSecret(Section s) {
        if (s.isEmpty()) secrets.removeIf(x -> x.name().equals(s.name())); else put(secrets, s);
    }

    private static void put(List<Section> list, Section s) {
        for (int i = 0; i < list.size(); i++) if (list.get(i).name().equals(s.name())) { list.set(i, s); return; }
        list.add(s);
    }

    /** Removes {@code name} from both files. */
    public boolean remove(String name) {
        secrets.removeIf(s -> s.name().equals(name));
        return sections.removeIf(s -> s.name().equals(name));
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
