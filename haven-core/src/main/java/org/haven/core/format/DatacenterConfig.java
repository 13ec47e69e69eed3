package org.haven.core.format;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.haven.core.schema.Schema;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code datacenter.cfg}, the cluster-wide options, as PVE reads and writes it: {@code key: value} lines, the
 * description as {@code #} comment lines at the top (text-encoded), property-string options ({@code migration},
 * {@code ha}, {@code crs}, {@code bwlimit}, {@code next-id}, …) shown as objects. Values keep the text they were
 * written with; lines with keys PVE does not know are kept. Pure: parse and write text, no file access.
 */
public final class DatacenterConfig {
    /** The option schemas of PVE 8.4's {@code PUT /cluster/options}, which are the file's keys. */
    public static final Map<String, Schema> OPTIONS = loadOptions();
    private static final List<String> LIST_KEYS = List.of("registered-tags");

    private final TreeMap<String, String> values;
    private final String description;

    private DatacenterConfig(TreeMap<String, String> values, String description) {
        this.values = values;
        this.description = description;
    }

    public static DatacenterConfig empty() { return new DatacenterConfig(new TreeMap<>(), null); }

    /** Parse the file's text (null: no file). */
    public static DatacenterConfig parse(String text) {
        TreeMap<String, String> values = new TreeMap<>();
        StringBuilder comment = new StringBuilder();
        if (text != null) {
            for (String line : text.split("\n")) {
                if (line.startsWith("#")) {
                    comment.append(ConfigText.decodeText(line.substring(1))).append('\n');
                    continue;
                }
                String l = line.strip();
                if (l.isEmpty()) continue;
                int colon = l.indexOf(':');
                if (colon <= 0) continue;
                values.put(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
            }
        }
        String descr = values.remove("description");
        if (!comment.isEmpty()) descr = comment.toString();
        return new DatacenterConfig(values, descr);
    }

    /** The file's text: description comments, a blank line, then the options sorted by key (PVE's dump_config). */
    public String text() {
        StringBuilder out = new StringBuilder();
        if (description != null && !description.isEmpty()) {
            for (String line : description.split("\n")) out.append('#').append(ConfigText.encodeText(line, false)).append('\n');
            out.append('\n');
        }
        for (Map.Entry<String, String> e : values.entrySet()) out.append(e.getKey()).append(": ").append(ConfigText.line(e.getKey(), e.getValue())).append('\n');
        return out.toString();
    }

    /** The raw text of an option. */
    public Optional<String> get(String key) {
        if (key.equals("description")) return Optional.ofNullable(description);
        return Optional.ofNullable(values.get(key));
    }

    /**
     * A property-string option split into its keys (the format's default key named), keys the format does not
     * have left out; empty when unset or unreadable.
     */
    public Map<String, String> properties(String key) {
        String v = values.get(key);
        Schema s = OPTIONS.get(key);
        if (v == null || s == null || s.formatProperties() == null) return Map.of();
        try {
            Map<String, String> out = PropertyString.parse(v, s.formatDefaultKey());
            out.keySet().retainAll(s.formatProperties().keySet());
            return out;
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    /** The range {@code /cluster/nextid} proposes VMIDs from: {@code next-id}'s lower (inclusive) and upper (exclusive) bounds. */
    public record IdRange(long lower, long upper) {}

    /** {@code next-id}, with PVE's defaults 100 and 1000000 for a bound that is unset or not a number. */
    public IdRange nextIds() {
        Map<String, String> r = properties("next-id");
        return new IdRange(bound(r.get("lower"), 100), bound(r.get("upper"), 1_000_000));
    }

    private static long bound(String v, long dflt) { return v != null && v.matches("\\d{1,18}") ? Long.parseLong(v) : dflt; }

    /**
     * The options as {@code GET /cluster/options} shows them: property strings as objects with typed values,
     * {@code registered-tags} and {@code user-allow-list} as lists, integers and booleans as numbers, the
     * {@code migration_unsecure} of old files mapped onto {@code migration.type}, console {@code applet} as {@code html5}.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String k = e.getKey();
            Schema s = OPTIONS.get(k);
            if (s == null) {
                out.put(k, e.getValue());
            } else if (s.formatProperties() != null) {
                Map<String, Object> obj = new TreeMap<>();
                for (Map.Entry<String, String> p : properties(k).entrySet()) {
                    Schema ps = s.formatProperties().get(p.getKey());
                    Object v = typed(ps, p.getValue());
                    if (p.getKey().equals("user-allow-list")) v = Arrays.asList(p.getValue().split(";"));
                    obj.put(p.getKey(), v);
                }
                out.put(k, obj);
            } else if (LIST_KEYS.contains(k)) {
                out.put(k, Arrays.asList(e.getValue().split(";")));
            } else {
                out.put(k, typed(s, e.getValue()));
            }
        }
        if (values.containsKey("migration_unsecure")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) out.computeIfAbsent("migration", x -> new TreeMap<>());
            m.putIfAbsent("type", isTrue(values.get("migration_unsecure")) ? "insecure" : "secure");
        }
        if ("applet".equals(out.get("console"))) out.put("console", "html5");
        if (description != null) out.put("description", description);
        return out;
    }

    /**
     * These options set and the named ones deleted (PVE's {@code set_options}); an old {@code migration_unsecure}
     * becomes the {@code migration} type when that has none, as PVE writes it.
     */
    public DatacenterConfig with(Map<String, String> set, Collection<String> delete) {
        TreeMap<String, String> v = new TreeMap<>(values);
        String descr = description;
        for (String d : delete) {
            if (d.equals("description")) descr = null;
            else v.remove(d);
        }
        for (Map.Entry<String, String> e : set.entrySet()) {
            if (e.getKey().equals("description")) descr = e.getValue();
            else v.put(e.getKey(), e.getValue());
        }
        String unsecure = v.remove("migration_unsecure");
        if (unsecure != null) {
            Map<String, String> m = new LinkedHashMap<>(new DatacenterConfig(v, null).properties("migration"));
            if (!m.containsKey("type")) {
                m.put("type", isTrue(unsecure) ? "insecure" : "secure");
                v.put("migration", PropertyString.print(m, "type"));
            }
        }
        return new DatacenterConfig(v, descr);
    }

    private static Object typed(Schema s, String v) {
        if (s == null || s.type() == null) return v;
        try {
            return switch (s.type()) {
                case "integer" -> Long.parseLong(v);
                case "number" -> {
                    double d = Double.parseDouble(v);
                    yield d == Math.rint(d) && !Double.isInfinite(d) ? (Object) (long) d : (Object) d;
                }
                case "boolean" -> isTrue(v) ? 1 : 0;
                default -> v;
            };
        } catch (NumberFormatException e) {
            return v;
        }
    }

    private static boolean isTrue(String v) {
        return List.of("1", "yes", "on", "true").contains(v.strip().toLowerCase());
    }

    private static Map<String, Schema> loadOptions() {
        try (InputStream in = DatacenterConfig.class.getResourceAsStream("datacenter-options.json")) {
            JsonNode props = JsonMapper.builder().build().readTree(in).path("PUT /cluster/options").path("parameters").path("properties");
            Map<String, Schema> out = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : props.properties()) if (!e.getKey().equals("delete") && !e.getKey().equals("digest")) out.put(e.getKey(), Schema.fromJson(e.getValue()));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatacenterConfig d && d.values.equals(values) && java.util.Objects.equals(d.description, description);
    }

    @Override
    public int hashCode() { return values.hashCode(); }

    @Override
    public String toString() { return text(); }

    /** The names of the options set (without the description). */
    public List<String> keys() { return new ArrayList<>(values.keySet()); }
}
