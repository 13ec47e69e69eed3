package org.haven.storage.config;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.core.format.PropertyString;
import org.haven.storage.ContentType;

/**
 * One storage definition, read-only view with PVE's effective values: default content per type, {@code shared}
 * forced on for network types, bare flags read as true. Raw values are what the file holds.
 */
public final class StorageEntry {
    private final String id;
    private final StorageType type;
    private final Map<String, String> raw;

    public StorageEntry(String id, StorageType type, Map<String, String> raw) {
        this.id = id;
        this.type = type;
        this.raw = Collections.unmodifiableMap(new LinkedHashMap<>(raw));
    }

    public String id() { return id; }
    public StorageType type() { return type; }
    /** The properties as written in the file (flags without a value map to ""). */
    public Map<String, String> raw() { return raw; }

    public Optional<String> get(String key) {
        return Optional.ofNullable(raw.get(key));
    }

    public String require(String key) {
        String v = raw.get(key);
        if (v == null || v.isEmpty()) throw new org.haven.storage.StorageException(
                "storage '" + id + "' - missing value for required option '" + key + "'");
        return v;
    }

    /** A boolean property; a bare flag counts as true, an absent one as {@code dflt}. */
    public boolean flag(String key, boolean dflt) {
        String v = raw.get(key);
        if (v == null) return dflt;
        if (v.isEmpty()) return true;
        Boolean b = PropertyDef.parseBoolean(v);
        return b == null ? dflt : b;
    }

    public boolean disabled() { return flag("disable", false); }

    public boolean shared() { return type.alwaysShared() || flag("shared", false); }

    /** Effective content types: the configured list, or the type's default. */
    public Set<ContentType> content() {
        String v = raw.get("content");
        if (v == null || v.isBlank()) return type.defaultContent();
        Set<ContentType> out = EnumSet.noneOf(ContentType.class);
        for (String c : v.split("[,;\\s]+")) ContentType.of(c).ifPresent(out::add);
        out.remove(ContentType.NONE);
        return Collections.unmodifiableSet(out);
    }

    /** Nodes the storage is restricted to; empty means every node. */
    public Set<String> nodes() {
        String v = raw.get("nodes");
        Set<String> out = new LinkedHashSet<>();
        if (v != null) for (String n : v.split("[,;\\s]+")) if (!n.isEmpty()) out.add(n);
        return Collections.unmodifiableSet(out);
    }

    /** True when the storage is usable on {@code node} (not restricted to other nodes). */
    public boolean availableOn(String node) {
        Set<String> n = nodes();
        return n.isEmpty() || n.contains(node);
    }

    /** Default image format for new volumes. */
    public String format() {
        return get("format").filter(f -> !f.isEmpty()).orElse(type.defaultFormat().orElse("raw"));
    }

    public Optional<String> path() { return get("path"); }

    /** Parsed {@code prune-backups}; falls back to {@code maxfiles} (keep-last) as PVE does; empty when unset. */
    public Map<String, String> pruneBackups() {
        String v = raw.get("prune-backups");
        if (v != null && !v.isEmpty()) return PropertyString.parse(v, null);
        String maxfiles = raw.get("maxfiles");
        if (maxfiles != null && !maxfiles.isEmpty()) {
            return "0".equals(maxfiles) ? Map.of("keep-all", "1") : Map.of("keep-last", maxfiles);
        }
        return Map.of();
    }

    /** Override subdirectories from {@code content-dirs} (content type → relative dir). */
    public Map<ContentType, String> contentDirs() {
        String v = raw.get("content-dirs");
        Map<ContentType, String> out = new LinkedHashMap<>();
        if (v == null) return out;
        for (String part : v.split("[,;\\s]+")) {
            int eq = part.indexOf('=');
            if (eq < 0) continue;
            ContentType.of(part.substring(0, eq)).ifPresent(c -> out.put(c, part.substring(eq + 1).replaceAll("^/+", "")));
        }
        return out;
    }

    @Override public String toString() { return type.id() + ": " + id + " " + raw; }
}
