package org.haven.core.schema;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * One node of a schema in PVE's JSON-schema dialect: {@code type}, {@code optional}, {@code default},
 * {@code minimum}/{@code maximum}, {@code minLength}/{@code maxLength}, {@code pattern}, {@code enum},
 * named {@code format}s (e.g. {@code pve-vmid}, {@code pve-configid-list}) or a property-string format
 * (a map of sub-schemas, one of which may carry {@code default_key}), {@code alias}, {@code typetext},
 * {@code properties}/{@code additionalProperties} for objects and {@code items} for arrays.
 *
 * <p>Built fluently ({@code Schema.integer().minimum(1).optional()}) or parsed from the JSON the PVE API
 * schema uses ({@link #fromJson(String)}). A schema is mutable while it is being built; once handed to a
 * registry it must not be changed. Attributes this class does not model are kept and exported unchanged.
 */
public final class Schema {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private String type;
    private String description;
    private String verboseDescription;
    private String typetext;
    private String formatDescription;
    private boolean optional;
    private Object defaultValue;
    private Double minimum;
    private Double maximum;
    private Integer minLength;
    private Integer maxLength;
    private String pattern;
    private List<String> enumValues;
    private String format;
    private LinkedHashMap<String, Schema> formatProperties;
    private boolean defaultKey;
    private String alias;
    private String requires;
    private LinkedHashMap<String, Schema> properties;
    private Boolean additionalProperties;
    private Schema items;
    private final LinkedHashMap<String, JsonNode> extra = new LinkedHashMap<>();

    private Schema(String type) { this.type = type; }

    // ---- constructors -------------------------------------------------------------------------

    public static Schema string() { return new Schema("string"); }
    public static Schema integer() { return new Schema("integer"); }
    public static Schema number() { return new Schema("number"); }
    public static Schema bool() { return new Schema("boolean"); }
    /** The JSON null type (PVE's "returns: {type: null}"). */
    public static Schema nullType() { return new Schema("null"); }
    /** A schema without a type: anything is accepted. */
    public static Schema any() { return new Schema(null); }
    /** An object; without properties and with additionalProperties unset (PVE's default: not allowed for parameters). */
    public static Schema object() { return new Schema("object"); }
    public static Schema array(Schema items) { Schema s = new Schema("array"); s.items = items; return s; }

    /** Parse one schema node in the PVE dialect. */
    public static Schema fromJson(String json) { return fromJson(JSON.readTree(json)); }

    public static Schema fromJson(JsonNode n) {
        Schema s = new Schema(null);
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            String k = e.getKey();
            JsonNode v = e.getValue();
            switch (k) {
                case "type" -> s.type = v.isArray() ? null : v.asString();
                case "description" -> s.description = v.asString();
                case "verbose_description" -> s.verboseDescription = v.asString();
                case "typetext" -> s.typetext = v.asString();
                case "format_description" -> s.formatDescription = v.asString();
                case "optional" -> s.optional = truthy(v);
                case "default" -> s.defaultValue = JSON.convertValue(v, Object.class);
                case "minimum" -> s.minimum = v.asDouble();
                case "maximum" -> s.maximum = v.asDouble();
                case "minLength" -> s.minLength = v.asInt();
                case "maxLength" -> s.maxLength = v.asInt();
                case "pattern" -> s.pattern = v.asString();
                case "enum" -> { s.enumValues = new ArrayList<>(); for (JsonNode x : v) s.enumValues.add(x.asString()); }
                case "format" -> {
                    if (v.isObject()) {
                        s.formatProperties = new LinkedHashMap<>();
                        for (Map.Entry<String, JsonNode> f : v.properties()) s.formatProperties.put(f.getKey(), fromJson(f.getValue()));
                    } else s.format = v.asString();
                }
                case "default_key" -> s.defaultKey = truthy(v);
                case "alias" -> s.alias = v.asString();
                case "requires" -> s.requires = v.asString();
                case "properties" -> {
                    s.properties = new LinkedHashMap<>();
                    for (Map.Entry<String, JsonNode> f : v.properties()) s.properties.put(f.getKey(), fromJson(f.getValue()));
                }
                case "additionalProperties" -> s.additionalProperties = v.isObject() || truthy(v);
                case "items" -> s.items = fromJson(v);
                default -> s.extra.put(k, v);
            }
        }
        if (n.has("type") && n.get("type").isArray()) s.extra.put("type", n.get("type"));
        return s;
    }

    private static boolean truthy(JsonNode v) {
        if (v.isBoolean()) return v.asBoolean();
        if (v.isNumber()) return v.asInt() != 0;
        return v.isString() && (v.asString().equals("1") || v.asString().equalsIgnoreCase("true"));
    }

    // ---- fluent setters -----------------------------------------------------------------------

    public Schema description(String d) { this.description = d; return this; }
    public Schema verboseDescription(String d) { this.verboseDescription = d; return this; }
    public Schema typetext(String t) { this.typetext = t; return this; }
    public Schema formatDescription(String t) { this.formatDescription = t; return this; }
    public Schema optional() { this.optional = true; return this; }
    public Schema optional(boolean o) { this.optional = o; return this; }
    public Schema defaultValue(Object d) { this.defaultValue = d; return this; }
    public Schema minimum(double m) { this.minimum = m; return this; }
    public Schema maximum(double m) { this.maximum = m; return this; }
    public Schema minLength(int m) { this.minLength = m; return this; }
    public Schema maxLength(int m) { this.maxLength = m; return this; }
    public Schema pattern(String p) { this.pattern = p; return this; }
    public Schema enumValues(String... v) { this.enumValues = List.of(v); return this; }
    public Schema enumValues(List<String> v) { this.enumValues = List.copyOf(v); return this; }
    /**
     * A named format, see {@link Formats}; {@code NAME-list}/{@code NAME-alist}/{@code NAME-opt} variants are understood.
     * A format with a length bound ({@link Formats#maxLength}) also sets {@code maxLength}.
     */
    public Schema format(String f) {
        this.format = f;
        this.formatProperties = null;
        Integer max = Formats.maxLength(f);
        if (max != null && (maxLength == null || maxLength > max)) maxLength = max;
        return this;
    }
    /** A property-string format: the value is {@code v,key=v,…} validated against these sub-schemas. */
    public Schema format(Map<String, Schema> props) { this.formatProperties = new LinkedHashMap<>(props); this.format = null; return this; }
    /** Marks this sub-schema of a property-string format as the key of a bare leading value. */
    public Schema defaultKey() { this.defaultKey = true; return this; }
    /** This property-string key is an alias of another key. */
    public Schema alias(String a) { this.alias = a; return this; }
    public Schema requires(String r) { this.requires = r; return this; }
    /** Add an object property (keeps insertion order; export sorts). */
    public Schema property(String name, Schema s) {
        if (properties == null) properties = new LinkedHashMap<>();
        properties.put(name, s);
        return this;
    }
    public Schema properties(Map<String, Schema> props) { this.properties = new LinkedHashMap<>(props); return this; }
    public Schema additionalProperties(boolean a) { this.additionalProperties = a; return this; }
    public Schema items(Schema i) { this.items = i; return this; }
    /** Any other attribute, exported as is (e.g. {@code "renderer"}). */
    public Schema attr(String name, Object value) { extra.put(name, JSON.valueToTree(value)); return this; }

    /** A deep copy (so a shared standard option can be adjusted per method). */
    public Schema copy() { return fromJson(toJson()); }

    // ---- getters ------------------------------------------------------------------------------

    public String type() { return type; }
    public String description() { return description; }
    public String typetext() { return typetext; }
    public boolean isOptional() { return optional; }
    public Object defaultValue() { return defaultValue; }
    public Double minimum() { return minimum; }
    public Double maximum() { return maximum; }
    public Integer minLength() { return minLength; }
    public Integer maxLength() { return maxLength; }
    public String pattern() { return pattern; }
    public List<String> enumValues() { return enumValues; }
    public String format() { return format; }
    public Map<String, Schema> formatProperties() { return formatProperties; }
    public boolean isDefaultKey() { return defaultKey; }
    public String alias() { return alias; }
    public String requires() { return requires; }
    public Map<String, Schema> properties() { return properties == null ? Map.of() : properties; }
    public boolean hasProperties() { return properties != null; }
    public boolean additionalPropertiesAllowed() { return additionalProperties != null && additionalProperties; }
    public Boolean additionalProperties() { return additionalProperties; }
    public Schema items() { return items; }
    public Map<String, JsonNode> extra() { return extra; }

    /** Name of the default key of a property-string format, or null. */
    public String formatDefaultKey() {
        if (formatProperties == null) return null;
        for (Map.Entry<String, Schema> e : formatProperties.entrySet()) if (e.getValue().defaultKey) return e.getKey();
        return null;
    }

    // ---- export -------------------------------------------------------------------------------

    /** JSON in the shape of {@code pve-api-8.4.json}: keys sorted, booleans as 0/1. */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        TreeMap<String, JsonNode> m = new TreeMap<>(extra);
        if (type != null) m.put("type", f.stringNode(type));
        if (description != null) m.put("description", f.stringNode(description));
        if (verboseDescription != null) m.put("verbose_description", f.stringNode(verboseDescription));
        if (typetext != null) m.put("typetext", f.stringNode(typetext));
        if (formatDescription != null) m.put("format_description", f.stringNode(formatDescription));
        if (optional) m.put("optional", f.numberNode(1));
        if (defaultValue != null) m.put("default", JSON.valueToTree(defaultValue));
        if (minimum != null) m.put("minimum", num(minimum));
        if (maximum != null) m.put("maximum", num(maximum));
        if (minLength != null) m.put("minLength", f.numberNode(minLength));
        if (maxLength != null) m.put("maxLength", f.numberNode(maxLength));
        if (pattern != null) m.put("pattern", f.stringNode(pattern));
        if (enumValues != null) { ArrayNode a = f.arrayNode(); enumValues.forEach(a::add); m.put("enum", a); }
        if (format != null) m.put("format", f.stringNode(format));
        if (formatProperties != null) m.put("format", propsJson(formatProperties));
        if (defaultKey) m.put("default_key", f.numberNode(1));
        if (alias != null) m.put("alias", f.stringNode(alias));
        if (requires != null) m.put("requires", f.stringNode(requires));
        if (properties != null) m.put("properties", propsJson(properties));
        if (additionalProperties != null) m.put("additionalProperties", f.numberNode(additionalProperties ? 1 : 0));
        if (items != null) m.put("items", items.toJson());
        ObjectNode o = f.objectNode();
        m.forEach(o::set);
        return o;
    }

    private static ObjectNode propsJson(Map<String, Schema> props) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        new TreeMap<>(props).forEach((k, v) -> o.set(k, v.toJson()));
        return o;
    }

    private static JsonNode num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? JsonNodeFactory.instance.numberNode((long) d) : JsonNodeFactory.instance.numberNode(d);
    }

    @Override public String toString() { return toJson().toString(); }

    /** Iterate property names in declaration order. */
    public Iterator<String> propertyNames() { return properties().keySet().iterator(); }
}
