package org.haven.guest.config;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.format.ConfigText;

/**
 * A guest configuration file ({@code qemu-server/<vmid>.conf} or {@code lxc/<vmid>.conf}) in PVE's format:
 * <pre>
 * #description line (URI-escaped)
 * key: value
 *
 * [PENDING]
 * delete: net1
 * key: value
 *
 * [special:cloudinit]
 * key: value
 *
 * [snapname]
 * parent: other
 * snaptime: 1700000000
 * </pre>
 * Writing is canonical as PVE does it: description first as {@code #} lines, then keys in sorted order,
 * then {@code lxc.*} raw keys in file order, then the pending section, special sections and snapshots sorted
 * by name. A file written by PVE therefore round-trips byte for byte. Keys are kept whether or not they are
 * known, so values this class does not understand survive.
 */
public final class GuestConfig {

    /** VM configs write {@code [PENDING]}, container configs {@code [pve:pending]}; both are read. */
    private static final Pattern PENDING_HEADER = Pattern.compile("^\\[(?:pve:)?PENDING\\]\\s*$", Pattern.CASE_INSENSITIVE);
    public static final String VM_PENDING = "[PENDING]";
    public static final String CT_PENDING = "[pve:pending]";
    private static final Pattern SPECIAL_HEADER = Pattern.compile("^\\[special:([a-z][a-z0-9_\\-]*)\\]\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern SNAP_HEADER = Pattern.compile("^\\[([a-z][a-z0-9_\\-]+)\\]\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern DESCRIPTION = Pattern.compile("^description:\\s*(.*\\S)\\s*$");
    private static final Pattern DELETE = Pattern.compile("^delete:\\s*(.*\\S)\\s*$");
    private static final String KEY_NAME = "[a-z][a-z_\\-]*\\d*";
    /** A key and its value; a line with a blank value is not a property (it could not be written back). */
    private static final Pattern KEY = Pattern.compile("^(" + KEY_NAME + "):\\s*(\\S.*?)\\s*$");
    private static final Pattern LXC_RAW = Pattern.compile("^(lxc\\.[a-z0-9_\\-.]+)(?::|\\s*=)\\s*(.*?)\\s*$");
    /** Snapshot names as PVE's {@code pve-configid} format accepts them. */
    public static final Pattern SNAPSHOT_NAME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9_\\-]+$");

    /** One part of the file: the current config, the pending changes, a special section or a snapshot. */
    public static final class Section {
        private String description;
        private final TreeMap<String, String> values = new TreeMap<>();
        private final List<Map.Entry<String, String>> rawLxc = new ArrayList<>();

        /** Description (the {@code #} lines), or null when there is none. */
        public String description() { return description; }
        public Section description(String d) { this.description = d; return this; }
        /** Mutable, sorted key → value map (without description). */
        public TreeMap<String, String> values() { return values; }
        /** Raw {@code lxc.*} keys in file order (container configs only). */
        public List<Map.Entry<String, String>> rawLxc() { return rawLxc; }

        public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
        public String getOrNull(String key) { return values.get(key); }
        public Section set(String key, String value) {
            if ("description".equals(key)) { description = value; return this; }
            values.put(key, Objects.requireNonNull(value, key)); return this;
        }
        public Section remove(String key) {
            if ("description".equals(key)) description = null; else values.remove(key);
            return this;
        }
        public boolean has(String key) { return "description".equals(key) ? description != null : values.containsKey(key); }
        public boolean isEmpty() { return description == null && values.isEmpty() && rawLxc.isEmpty(); }

        /** All keys including description, as PVE's hash would have them. */
        public Map<String, String> asMap() {
            TreeMap<String, String> m = new TreeMap<>(values);
            if (description != null) m.put("description", description);
            return m;
        }

        public Section copy() {
            Section s = new Section();
            s.description = description;
            s.values.putAll(values);
            for (var e : rawLxc) s.rawLxc.add(Map.entry(e.getKey(), e.getValue()));
            return s;
        }

        @Override public boolean equals(Object o) {
            return o instanceof Section s && Objects.equals(s.description, description) && s.values.equals(values)
                    && s.rawLxc.equals(rawLxc);
        }
        @Override public int hashCode() { return Objects.hash(description, values); }
        @Override public String toString() { return asMap().toString(); }
    }

    private final Section current = new Section();
    private Section pending = new Section();
    private final TreeMap<String, Section> special = new TreeMap<>();
    private final TreeMap<String, Section> snapshots = new TreeMap<>();
    private final List<String> warnings = new ArrayList<>();
    private String digest;

    public Section current() { return current; }
    /** Pending changes (empty section when there are none). */
    public Section pending() { return pending; }
    /** Special sections such as {@code cloudinit}, by name without the {@code special:} prefix. */
    public TreeMap<String, Section> special() { return special; }
    /** Snapshots by name. */
    public TreeMap<String, Section> snapshots() { return snapshots; }
    /** Lines that could not be parsed (as PVE warns about them, then drops them). */
    public List<String> warnings() { return warnings; }
    /** SHA-1 (hex) of the text this config was parsed from; null for a config built in memory. */
    public String digest() { return digest; }

    public Optional<String> get(String key) { return current.get(key); }
    public GuestConfig set(String key, String value) { current.set(key, value); return this; }
    public GuestConfig remove(String key) { current.remove(key); return this; }
    public Optional<String> lock() { return current.get("lock"); }
    public boolean isTemplate() { return current.get("template").map(v -> v.equals("1")).orElse(false); }

    public static GuestConfig parse(byte[] raw) {
        return parse(new String(raw, StandardCharsets.UTF_8));
    }

    public static GuestConfig parse(String raw) {
        GuestConfig cfg = new GuestConfig();
        cfg.digest = sha1Hex(raw.getBytes(StandardCharsets.UTF_8));
        Section sec = cfg.current;
        StringBuilder descr = null;
        boolean inPending = false;
        for (String line : raw.split("\n")) {
            if (line.isBlank()) continue;
            Matcher m;
            if (PENDING_HEADER.matcher(line).matches()) {
                finishDescription(sec, descr); descr = null;
                sec = cfg.pending; inPending = true;
                continue;
            } else if ((m = SPECIAL_HEADER.matcher(line)).matches()) {
                finishDescription(sec, descr); descr = null;
                sec = cfg.special.computeIfAbsent(m.group(1).toLowerCase(), k -> new Section()); inPending = false;
                continue;
            } else if ((m = SNAP_HEADER.matcher(line)).matches()) {
                finishDescription(sec, descr); descr = null;
                sec = new Section(); inPending = false;
                cfg.snapshots.put(m.group(1), sec);
                continue;
            }
            if (line.startsWith("#")) {
                if (descr == null) descr = new StringBuilder();
                descr.append(decodeText(line.substring(1))).append('\n');
            } else if ((m = DESCRIPTION.matcher(line)).matches()) {
                if (descr == null) descr = new StringBuilder();
                descr.append(decodeText(m.group(1))).append('\n');
            } else if ((m = DELETE.matcher(line)).matches()) {
                if (inPending) sec.values.put("delete", m.group(1));
                else cfg.warnings.add("property 'delete' is only allowed in [PENDING]");
            } else if ((m = LXC_RAW.matcher(line)).matches()) {
                sec.rawLxc.add(Map.entry(m.group(1), m.group(2)));
            } else if ((m = KEY.matcher(line)).matches()) {
                sec.values.put(m.group(1), m.group(2));
            } else {
                cfg.warnings.add("unable to parse config: " + line);
            }
        }
        finishDescription(sec, descr);
        return cfg;
    }

    private static void finishDescription(Section sec, StringBuilder descr) {
        if (descr == null) return;
        String d = descr.toString().replaceAll("\\s+$", "");
        sec.description = d;
    }

    /**
     * The canonical file text. A key, section name or value the parser would not read back as written (see
     * {@link ConfigText}: a line break in a value, a key or name outside the format) is refused before anything is
     * written.
     */
    public String write() { return write(VM_PENDING); }

    /** The canonical file text with {@code pendingHeader} ({@link #VM_PENDING} or {@link #CT_PENDING}) before the pending values. */
    public String write(String pendingHeader) {
        StringBuilder raw = new StringBuilder();
        writeSection(raw, current, false);
        if (!pending.isEmpty()) {
            raw.append("\n").append(pendingHeader).append("\n");
            writeSection(raw, pending, true);
        }
        for (var e : special.entrySet()) {
            if (e.getValue().isEmpty()) continue;
            raw.append("\n[special:").append(header("special", e.getKey(), SPECIAL_HEADER, "[special:" + e.getKey() + "]")).append("]\n");
            writeSection(raw, e.getValue(), false);
        }
        for (var e : snapshots.entrySet()) {
            if (e.getKey().equalsIgnoreCase("pending")) throw new ConfigText.UnwritableValueException("snapname", "invalid snapshot name 'pending'");
            raw.append("\n[").append(header("snapname", e.getKey(), SNAP_HEADER, "[" + e.getKey() + "]")).append("]\n");
            writeSection(raw, e.getValue(), false);
        }
        return raw.toString();
    }

    private static String header(String key, String name, Pattern header, String line) {
        ConfigText.name(key, name, "");
        if (!header.matcher(line).matches()) throw new ConfigText.UnwritableValueException(key, "invalid section name '" + name + "'");
        return name;
    }

    public byte[] writeBytes() { return write().getBytes(StandardCharsets.UTF_8); }

    public byte[] writeBytes(String pendingHeader) { return write(pendingHeader).getBytes(StandardCharsets.UTF_8); }

    private static void writeSection(StringBuilder raw, Section s, boolean pending) {
        if (s.description != null) {
            if (!s.description.isEmpty()) {
                for (String line : splitLines(s.description)) raw.append('#').append(encodeText(line)).append('\n');
            } else if (pending) {
                raw.append("#\n");
            }
        }
        for (var e : s.values.entrySet()) {
            String k = e.getKey();
            if (k.equals("digest") || k.equals("description") || k.equals("pending") || k.equals("snapshots")) continue;
            String v = ConfigText.line(k, e.getValue());
            if (v.isBlank()) throw new ConfigText.UnwritableValueException(k, "value must not be empty");
            if (!k.matches(KEY_NAME)) throw new ConfigText.UnwritableValueException(k, "invalid property name '" + k + "'");
            raw.append(k).append(": ").append(v).append('\n');
        }
        for (var e : s.rawLxc) {
            if (!LXC_RAW.matcher(e.getKey() + ":").matches()) throw new ConfigText.UnwritableValueException(e.getKey(), "invalid property name '" + e.getKey() + "'");
            raw.append(e.getKey()).append(": ").append(ConfigText.line(e.getKey(), e.getValue())).append('\n');
        }
    }

    /** Perl's split(/\n/): trailing empty fields are dropped. */
    private static List<String> splitLines(String s) {
        List<String> out = new ArrayList<>(List.of(s.split("\n", -1)));
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
        return out;
    }

    public GuestConfig copy() {
        GuestConfig c = new GuestConfig();
        c.current.description = current.description;
        c.current.values.putAll(current.values);
        c.current.rawLxc.addAll(current.rawLxc);
        c.pending = pending.copy();
        special.forEach((k, v) -> c.special.put(k, v.copy()));
        snapshots.forEach((k, v) -> c.snapshots.put(k, v.copy()));
        c.digest = digest;
        return c;
    }

    // ---- pending deletions --------------------------------------------------------------------------

    /** The pending {@code delete:} list as key → force ({@code !key}), in written order. */
    public LinkedHashMap<String, Boolean> pendingDeletes() {
        LinkedHashMap<String, Boolean> out = new LinkedHashMap<>();
        String v = pending.values.get("delete");
        if (v == null) return out;
        for (String part : v.split("[,;\\s]+")) {
            if (part.isEmpty()) continue;
            boolean force = part.startsWith("!");
            String key = force ? part.substring(1) : part;
            out.put(key, force || out.getOrDefault(key, false));
        }
        return out;
    }

    public void setPendingDeletes(Map<String, Boolean> deletes) {
        if (deletes.isEmpty()) { pending.values.remove("delete"); return; }
        StringBuilder sb = new StringBuilder();
        for (var e : new TreeMap<>(deletes).entrySet()) {
            if (!sb.isEmpty()) sb.append(',');
            if (e.getValue()) sb.append('!');
            sb.append(e.getKey());
        }
        pending.values.put("delete", sb.toString());
    }

    /** Mark {@code key} for deletion on the next apply; a pending new value for it is dropped. */
    public void addPendingDelete(String key, boolean force) {
        LinkedHashMap<String, Boolean> d = pendingDeletes();
        d.put(key, force || d.getOrDefault(key, false));
        pending.remove(key);
        setPendingDeletes(d);
    }

    public void removePendingDelete(String key) {
        LinkedHashMap<String, Boolean> d = pendingDeletes();
        if (d.remove(key) != null) setPendingDeletes(d);
    }

    // ---- text encoding ------------------------------------------------------------------------------

    /** PVE::Tools::encode_text (a '%' that starts an escape is encoded too, so the text reads back exactly). */
    public static String encodeText(String text) { return ConfigText.encodeText(text, false); }

    /** PVE::Tools::decode_text: percent-decoding, then UTF-8. */
    public static String decodeText(String text) { return ConfigText.decodeText(text); }

    public static String sha1Hex(byte[] data) { return org.haven.core.format.ConfigDigest.of(data); }

    @Override public boolean equals(Object o) {
        return o instanceof GuestConfig g && g.current.equals(current) && g.pending.equals(pending)
                && nonEmpty(g.special).equals(nonEmpty(special)) && g.snapshots.equals(snapshots);
    }

    private static TreeMap<String, Section> nonEmpty(TreeMap<String, Section> m) {
        TreeMap<String, Section> out = new TreeMap<>(m);
        out.values().removeIf(Section::isEmpty);
        return out;
    }
    @Override public int hashCode() { return Objects.hash(current, snapshots); }
    @Override public String toString() { return write(); }
}
