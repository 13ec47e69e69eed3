package org.haven.storage.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.haven.core.format.ConfigDigest;
import org.haven.core.format.SectionConfig;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;

/**
 * {@code storage.cfg}: parse, validate, modify and write, on top of {@link SectionConfig}.
 * <ul>
 * <li>An unmodified file is written back byte for byte (comments, order, unknown keys and types survive).</li>
 * <li>Sections created or changed through {@link #create}/{@link #update} are written in PVE's order:
 * {@code disable} first, then the fixed properties sorted, then the optional ones sorted; booleans as {@code 0/1}.</li>
 * <li>As in PVE, a {@code local} dir storage always exists at the storage root; when the file lacks it (or defines
 * it differently) the effective view has it, and it is written out with the next modification.</li>
 * </ul>
 * Secret properties ({@code password}, {@code keyring}, {@code encryption-key}, {@code master-pubkey}) never go into
 * the file; {@link #create}/{@link #update} return them to the caller, which keeps them under {@code priv/}.
 */
public final class StorageConfig {
    public static final String LOCAL = "local";

    private final SectionConfig.Document doc;
    private final String localPath;
    private final String digest;

    private StorageConfig(SectionConfig.Document doc, String localPath, String digest) {
        this.doc = doc;
        this.localPath = localPath;
        this.digest = digest;
    }

    /** Parse file text; {@code localPath} is the directory of the {@code local} storage (PVE: /var/lib/vz). */
    public static StorageConfig parse(String text, String localPath) {
        SectionConfig.Document doc;
        try {
            doc = SectionConfig.parse(text == null ? "" : text);
        } catch (SectionConfig.ParseException e) {
            throw new StorageException("storage.cfg " + e.getMessage(), e);
        }
        return new StorageConfig(doc, localPath, sha1(text == null ? "" : text));
    }

    public static StorageConfig empty(String localPath) { return parse("", localPath); }

    /** SHA-1 hex of the text this configuration was parsed from (PVE's {@code digest}). */
    public String digest() { return digest; }

    public String localPath() { return localPath; }

    /** Canonical text of the configuration. */
    public String write() { return SectionConfig.write(doc); }

    /** All storages of known types in file order, with the implicit {@code local} first when the file lacks it. */
    public List<StorageEntry> entries() {
        List<StorageEntry> out = new ArrayList<>();
        if (!localIsValid()) out.add(defaultLocal());
        for (SectionConfig.Section s : doc.sections()) {
            Optional<StorageType> t = StorageType.of(s.type());
            if (t.isEmpty()) continue;
            if (s.id().equals(LOCAL) && !localIsValid()) continue;
            out.add(toEntry(s, t.get()));
        }
        return out;
    }

    /** Storage IDs in sorted order. */
    public Set<String> ids() {
        Set<String> ids = new TreeSet<>();
        for (StorageEntry e : entries()) ids.add(e.id());
        return ids;
    }

    public Optional<StorageEntry> get(String id) {
        return entries().stream().filter(e -> e.id().equals(id)).findFirst();
    }

    /** Like {@link #get} but fails with PVE's message. */
    public StorageEntry require(String id) {
        return get(id).orElseThrow(() -> new StorageException("storage '" + id + "' does not exist"));
    }

    private StorageEntry toEntry(SectionConfig.Section s, StorageType t) {
        Map<String, String> raw = new LinkedHashMap<>(s.properties());
        if (s.id().equals(LOCAL)) raw.remove("nodes");
        return new StorageEntry(s.id(), t, raw);
    }

    private boolean localIsValid() {
        Optional<SectionConfig.Section> s = doc.find(LOCAL);
        if (s.isEmpty() || !s.get().type().equals("dir")) return false;
        String p = s.get().properties().get("path");
        return p == null || p.isEmpty() || p.equals(localPath);
    }

    private SectionConfig.Section defaultLocalSection() {
        SectionConfig.Section s = new SectionConfig.Section("dir", LOCAL);
        s.set("path", localPath);
        s.set("content", "backup,images,iso,rootdir,snippets,vztmpl");
        s.set("prune-backups", "keep-all=1");
        return s;
    }

    private StorageEntry defaultLocal() {
        SectionConfig.Section s = defaultLocalSection();
        return new StorageEntry(LOCAL, StorageType.DIR, s.properties());
    }

    private void materializeLocal() {
        if (localIsValid()) {
            SectionConfig.Section s = doc.find(LOCAL).get();
            if (!s.properties().containsKey("path")) {
                s.properties().put("path", localPath);
                reorder(s, StorageType.DIR);
            }
            s.properties().remove("nodes");
            return;
        }
        List<String> comments = List.of();
        Optional<SectionConfig.Section> old = doc.find(LOCAL);
        if (old.isPresent()) {
            comments = new ArrayList<>(old.get().comments());
            doc.remove(LOCAL);
        }
        SectionConfig.Section s = defaultLocalSection();
        s.comments().addAll(comments);
        doc.sections().add(0, s);
    }

    /** The storage ID check of PVE's {@code pve-storage-id} format. */
    public static void checkId(String id) {
        if (id == null || !PropertyDef.STORAGE_ID.matcher(id).matches())
            throw StorageException.param("storage", "invalid format - storage ID '" + id + "' contains illegal characters");
    }

    /**
     * Add a storage. {@code params} holds API-style values (booleans as 0/1 etc.). Returns the secret properties
     * that were given (they are not stored in the file).
     */
    public Map<String, String> create(String typeName, String id, Map<String, String> params) {
        checkId(id);
        StorageType type = StorageType.of(typeName).orElseThrow(() -> StorageException.param("type",
                "value '" + typeName + "' does not have a value in the enumeration '"
                        + String.join(", ", java.util.Arrays.stream(StorageType.values()).map(StorageType::id).sorted().toList()) + "'"));
        if (doc.find(id).isPresent() || (id.equals(LOCAL)))
            throw new StorageException("storage ID '" + id + "' already defined");
        Map<String, String> values = new TreeMap<>();
        Map<String, String> secrets = new TreeMap<>();
        validate(type, params, true, values, secrets);
        for (var e : type.options().entrySet()) {
            if (!e.getValue().optional() && !values.containsKey(e.getKey()))
                throw new StorageException("missing value for required option '" + e.getKey() + "'");
        }
        checkOverlap(id, type, values);
        materializeLocal();
        SectionConfig.Section s = new SectionConfig.Section(type.id(), id);
        s.properties().putAll(values);
        reorder(s, type);
        doc.add(s);
        return secrets;
    }

    /**
     * Change a storage: set {@code params}, remove the keys in {@code delete}. Fixed properties cannot change.
     * Returns given secrets; a deleted secret maps to null.
     */
    public Map<String, String> update(String id, Map<String, String> params, List<String> delete) {
        StorageEntry cur = require(id);
        StorageType type = cur.type();
        Map<String, String> values = new TreeMap<>();
        Map<String, String> secrets = new TreeMap<>();
        for (String k : params.keySet()) {
            StorageType.Option o = type.options().get(k);
            if (o != null && o.fixed()) throw new StorageException("can't change value of fixed parameter '" + k + "'");
        }
        validate(type, params, false, values, secrets);
        Set<String> del = new LinkedHashSet<>();
        for (String d : delete) {
            for (String k : d.split("[,;\\s]+")) {
                if (k.isEmpty()) continue;
                if (params.containsKey(k)) throw StorageException.param("delete", "cannot set and delete property '" + k + "' at the same time");
                StorageType.Option o = type.options().get(k);
                if (o == null) throw new StorageException("unexpected property '" + k + "'");
                if (o.fixed()) throw new StorageException("can't change value of fixed parameter '" + k + "'");
                if (StorageType.PROPERTIES.get(k).sensitive()) secrets.put(k, null);
                del.add(k);
            }
        }
        materializeLocal();
        SectionConfig.Section s = doc.find(id).orElseThrow();
        if (id.equals(LOCAL) && values.containsKey("nodes")) values.remove("nodes");
        s.properties().putAll(values);
        for (String k : del) s.properties().remove(k);
        reorder(s, type);
        return secrets;
    }

    /** Remove a storage from the configuration (data stays). */
    public void remove(String id) {
        require(id);
        materializeLocal();
        doc.remove(id);
    }

    private void validate(StorageType type, Map<String, String> params, boolean create,
                          Map<String, String> values, Map<String, String> secrets) {
        Map<String, String> errors = new TreeMap<>();
        for (var e : new TreeMap<>(params).entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k.equals("type") || k.equals("storage") || k.equals("digest") || k.equals("delete")) continue;
            PropertyDef def = StorageType.PROPERTIES.get(k);
            if (def == null) { errors.put(k, "property is not defined in schema and the schema does not allow additional properties"); continue; }
            if (!type.options().containsKey(k)) throw new StorageException("unexpected property '" + k + "'");
            if (v == null) continue;
            if (v.contains("\n") || v.contains("\r")) { errors.put(k, "property contains a line feed"); continue; }
            String err = def.check(v);
            if (err != null) { errors.put(k, err); continue; }
            if (def.sensitive()) { secrets.put(k, v); continue; }
            values.put(k, normalize(type, def, v));
        }
        if (!errors.isEmpty()) throw StorageException.params(errors);
        if (values.containsKey("server2") && !values.containsKey("server") && create)
            throw StorageException.param("server2", "missing property - 'server' is required by 'server2'");
    }

    private static String normalize(StorageType type, PropertyDef def, String v) {
        switch (def.kind()) {
            case BOOLEAN:
                return PropertyDef.parseBoolean(v) ? "1" : "0";
            case CONTENT_LIST: {
                Set<String> cts = new LinkedHashSet<>();
                for (String c : v.split("[,;\\s]+")) {
                    if (c.isEmpty()) continue;
                    ContentType ct = ContentType.of(c).orElseThrow();
                    if (!type.supportedContent().contains(ct))
                        throw new StorageException("unsupported content type '" + c + "'");
                    cts.add(c);
                }
                if (cts.contains("none") && cts.size() > 1)
                    throw new StorageException("unable to combine 'none' with other content types");
                return cts.isEmpty() ? "none" : String.join(",", cts);
            }
            case NODE_LIST: {
                Set<String> nodes = new LinkedHashSet<>();
                for (String n : v.split("[,;\\s]+")) if (!n.isEmpty()) nodes.add(n);
                return String.join(",", nodes);
            }
            case ENUM:
                if (def.name().equals("format") && !type.formats().contains(v))
                    throw new StorageException("unsupported format '" + v + "'");
                return v;
            case PATH:
                return v.length() > 1 ? v.replaceAll("/+$", "") : v;
            default:
                return v;
        }
    }

    private void checkOverlap(String id, StorageType type, Map<String, String> values) {
        String path = values.get("path");
        if (path == null || !type.isFileBased()) return;
        for (StorageEntry e : entries()) {
            if (!e.type().isFileBased() || e.path().isEmpty()) continue;
            String other = e.path().get();
            if (other.equals(path))
                throw StorageException.param("path", "path '" + path + "' is already used by storage '" + e.id() + "'");
            if (e.type() == StorageType.BTRFS || type == StorageType.BTRFS) {
                if (path.startsWith(other + "/") || other.startsWith(path + "/"))
                    throw StorageException.param("path", "path '" + path + "' overlaps with storage '" + e.id() + "' at '" + other + "'");
            }
        }
    }

    /** Put a section's properties in PVE's write order. */
    static void reorder(SectionConfig.Section s, StorageType type) {
        Map<String, String> props = new LinkedHashMap<>(s.properties());
        s.properties().clear();
        String disable = props.remove("disable");
        if (disable != null && (disable.isEmpty() || Boolean.TRUE.equals(PropertyDef.parseBoolean(disable))))
            s.properties().put("disable", "");
        TreeMap<String, String> sorted = new TreeMap<>(props);
        for (var e : sorted.entrySet()) {
            StorageType.Option o = type.options().get(e.getKey());
            if (o != null && !o.optional()) s.properties().put(e.getKey(), e.getValue());
        }
        for (var e : sorted.entrySet()) {
            if (!s.properties().containsKey(e.getKey())) s.properties().put(e.getKey(), e.getValue());
        }
    }

    static String sha1(String text) {
        return ConfigDigest.of(text);
    }
}
