package org.haven.core.format;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PVE's section-config text format ({@code storage.cfg}, {@code domains.cfg}, {@code ha/resources.cfg},
 * {@code ha/groups.cfg}, {@code jobs.cfg}, …):
 * <pre>
 * type: id
 * 	key value
 * 	flag
 *
 * </pre>
 * Parsing keeps property order, properties without a value, and comment lines (attached to the section that
 * follows them, or kept as a trailer), so an unmodified document is written back byte for byte in canonical form.
 * A {@link Format} names the keys that may repeat (PVE's array properties, one line per element) and, for files
 * whose sections all have one type ({@code mapping/pci.cfg}), a header that is the ID alone.
 */
public final class SectionConfig {

    private static final Pattern HEADER = Pattern.compile("^(\\S+):\\s*(\\S+)\\s*$");
    private static final Pattern PROPERTY = Pattern.compile("^\\s+(\\S+)(?:\\s+(.*?))?\\s*$");

    private static final Pattern ID_HEADER = Pattern.compile("^(\\S+)\\s*$");

    private SectionConfig() {}

    /**
     * How a file's sections are written: {@code fixedType} non-null means headers are the bare ID and every section
     * has that type; a key of {@code arrayKeys} may repeat, its lines kept in order (see {@link Section#values}).
     */
    public record Format(String fixedType, Set<String> arrayKeys) {
        public static final Format STANDARD = new Format(null, Set.of());
        public Format { arrayKeys = Set.copyOf(arrayKeys); }
    }

    /** One section. {@code properties} maps key to value; a key written without a value maps to "". */
    public static final class Section {
        private final String type;
        private final String id;
        private final LinkedHashMap<String, String> properties = new LinkedHashMap<>();
        private final List<String> comments = new ArrayList<>();

        public Section(String type, String id) {
            this.type = Objects.requireNonNull(type);
            this.id = Objects.requireNonNull(id);
        }

        public String type() { return type; }
        public String id() { return id; }
        /** Mutable, ordered view of the properties. */
        public Map<String, String> properties() { return properties; }
        /** Comment lines (with their leading '#') that stood before this section. */
        public List<String> comments() { return comments; }

        public Optional<String> get(String key) { return Optional.ofNullable(properties.get(key)); }
        public Section set(String key, String value) { properties.put(key, value); return this; }
        public Section remove(String key) { properties.remove(key); return this; }

        /**
         * The lines of an array key in order (empty when absent). A repeated key is held in {@link #properties()}
         * as its lines joined by '\n', a character no value can contain.
         */
        public List<String> values(String key) {
            String v = properties.get(key);
            return v == null ? List.of() : List.of(v.split("\n", -1));
        }
        /** Sets an array key to {@code values} (removes it when empty); a value with a line break is refused. */
        public Section setValues(String key, List<String> values) {
            for (String v : values) ConfigText.line(key, v);
            if (values.isEmpty()) properties.remove(key);
            else properties.put(key, String.join("\n", values));
            return this;
        }

        @Override public boolean equals(Object o) {
            return o instanceof Section s && s.type.equals(type) && s.id.equals(id)
                    && s.properties.equals(properties) && s.comments.equals(comments);
        }
        @Override public int hashCode() { return Objects.hash(type, id, properties); }
        @Override public String toString() { return type + ": " + id + " " + properties; }
    }

    /** A parsed file: sections in file order, plus comments after the last section. */
    public static final class Document {
        private final List<Section> sections = new ArrayList<>();
        private final List<String> trailingComments = new ArrayList<>();

        public List<Section> sections() { return sections; }
        public List<String> trailingComments() { return trailingComments; }

        public Optional<Section> find(String id) {
            return sections.stream().filter(s -> s.id.equals(id)).findFirst();
        }
        public boolean remove(String id) { return sections.removeIf(s -> s.id.equals(id)); }
        public void add(Section s) {
            if (find(s.id).isPresent()) throw new IllegalArgumentException("section '" + s.id + "' already exists");
            sections.add(s);
        }
        @Override public boolean equals(Object o) {
            return o instanceof Document d && d.sections.equals(sections) && d.trailingComments.equals(trailingComments);
        }
        @Override public int hashCode() { return sections.hashCode(); }
    }

    /** Thrown for lines that fit neither a header nor a property. */
    public static final class ParseException extends IllegalArgumentException {
        public final int line;
        public ParseException(int line, String message) {
            super("line " + line + ": " + message);
            this.line = line;
        }
    }

    public static Document parse(String text) { return parse(text, Format.STANDARD); }

    public static Document parse(String text, Format format) {
        Document doc = new Document();
        Section current = null;
        List<String> pendingComments = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (line.isBlank()) { current = null; continue; }
            if (line.stripLeading().startsWith("#")) { pendingComments.add(line.strip()); continue; }
            if (current == null) {
                Matcher m = (format.fixedType() == null ? HEADER : ID_HEADER).matcher(line);
                if (!m.matches()) throw new ParseException(i + 1, "syntax error - expected section header, got '" + line + "'");
                current = format.fixedType() == null ? new Section(m.group(1), m.group(2)) : new Section(format.fixedType(), m.group(1));
                if (ConfigText.hasSpace(current.type) || ConfigText.hasSpace(current.id))
                    throw new ParseException(i + 1, "syntax error - white space in section header '" + line + "'");
                current.comments.addAll(pendingComments);
                pendingComments.clear();
                if (doc.find(current.id).isPresent())
                    throw new ParseException(i + 1, "duplicate section '" + current.id + "'");
                doc.sections.add(current);
            } else {
                Matcher m = PROPERTY.matcher(line);
                if (!m.matches()) {
                    // a header directly after a section without blank line also starts a new section
                    Matcher h = (format.fixedType() == null ? HEADER : ID_HEADER).matcher(line);
                    if (!h.matches()) throw new ParseException(i + 1, "syntax error - unable to parse '" + line + "'");
                    current = null;
                    i--;
                    continue;
                }
                String key = m.group(1);
                if (ConfigText.hasSpace(key)) throw new ParseException(i + 1, "syntax error - white space in key '" + key + "'");
                String value = m.group(2) == null ? "" : m.group(2);
                String before = current.properties.get(key);
                if (before != null && !format.arrayKeys().contains(key))
                    throw new ParseException(i + 1, "duplicate attribute '" + key + "' in section '" + current.id + "'");
                current.properties.put(key, before == null ? value : before + "\n" + value);
            }
        }
        doc.trailingComments.addAll(pendingComments);
        return doc;
    }

    /**
     * Canonical text: each section as header plus tab-indented properties, followed by one blank line. A type, ID,
     * key or value the format cannot hold (see {@link ConfigText}) is refused before anything is written.
     */
    public static String write(Document doc) { return write(doc, Format.STANDARD); }

    public static String write(Document doc, Format format) {
        StringBuilder out = new StringBuilder();
        Set<String> ids = new HashSet<>();
        for (Section s : doc.sections) {
            for (String c : s.comments) out.append(comment(c)).append('\n');
            if (s.type.startsWith("#")) throw new ConfigText.UnwritableValueException("type", "value must not start with '#'");
            ConfigText.name("type", s.type, "");
            ConfigText.name("id", s.id, "");
            if (!ids.add(s.id)) throw new ConfigText.UnwritableValueException("id", "duplicate section '" + s.id + "'");
            if (format.fixedType() == null) out.append(s.type).append(": ");
            else if (!s.type.equals(format.fixedType()))
                throw new ConfigText.UnwritableValueException("type", "section '" + s.id + "' is not of type '" + format.fixedType() + "'");
            out.append(s.id).append('\n');
            for (Map.Entry<String, String> e : s.properties.entrySet()) {
                String k = e.getKey();
                if (k.startsWith("#")) throw new ConfigText.UnwritableValueException(k, "property name must not start with '#'");
                ConfigText.name(k, k, "");
                List<String> lines = format.arrayKeys().contains(k) ? s.values(k) : List.of(e.getValue());
                for (String line : lines) {
                    String v = ConfigText.line(k, line);
                    out.append('\t').append(k);
                    if (v != null && !v.isEmpty()) out.append(' ').append(v);
                    out.append('\n');
                }
            }
            out.append('\n');
        }
        for (String c : doc.trailingComments) out.append(comment(c)).append('\n');
        return out.toString();
    }

    /** A comment line as the parser keeps it: '#' first, one line, no surrounding white space. */
    private static String comment(String c) {
        ConfigText.line("comment", c);
        if (!c.startsWith("#") || !c.equals(c.strip()))
            throw new ConfigText.UnwritableValueException("comment", "comment line must start with '#'");
        return c;
    }
}
