package org.haven.core.schema;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.haven.core.format.PropertyString;

/**
 * Validates and coerces values against a {@link Schema}, with PVE's error messages.
 *
 * <p>Coercion follows PVE's HTTP parameter handling: strings become integers/numbers where the schema
 * says so; booleans accept {@code 1/0}, {@code true/false}, {@code yes/no}, {@code on/off} (case
 * insensitive) and become {@link Boolean}; a scalar given for an array becomes a one-element list.
 * Integers are {@link Long}, numbers {@link Long} when integral and {@link Double} otherwise.
 * Named formats ({@link Formats}) with {@code -list}/{@code -alist} (split on {@code ,;} and
 * whitespace) and {@code -opt} (empty allowed) variants are checked; property-string formats are
 * parsed and every key validated. No I/O.
 */
public final class Validator {
    private Validator() {}

    private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

    /**
     * Validate request parameters against an object schema. Unknown parameters are rejected unless
     * {@code additionalProperties} is set. Returns the coerced parameters in schema order (then extra
     * ones), or throws {@link ParamException} listing every failing parameter.
     */
    public static LinkedHashMap<String, Object> validateParams(Schema schema, Map<String, ?> raw) {
        Map<String, String> errors = new TreeMap<>();
        LinkedHashMap<String, Object> out = checkObject("", schema, raw, errors);
        if (!errors.isEmpty()) throw new ParamException(errors);
        return out;
    }

    /** Validate one value; returns the coerced value, or throws {@link ParamException} keyed by {@code name}. */
    public static Object validateValue(String name, Schema schema, Object value) {
        Map<String, String> errors = new TreeMap<>();
        Object v = checkProp(name, schema, value, errors);
        if (!errors.isEmpty()) throw new ParamException(errors);
        return v;
    }

    /**
     * Parse and validate a property string against a property-string format. Keys are resolved through
     * aliases; values coerced. Throws {@link ParamException} with keys {@code path.key}.
     */
    public static LinkedHashMap<String, Object> parsePropertyString(String path, Map<String, Schema> format, String value) {
        Map<String, String> errors = new TreeMap<>();
        LinkedHashMap<String, Object> out = propertyString(path, format, value, errors);
        if (!errors.isEmpty()) throw new ParamException(errors);
        return out;
    }

    static LinkedHashMap<String, Object> checkObject(String path, Schema schema, Map<String, ?> raw, Map<String, String> errors) {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        Map<String, Schema> props = schema.properties();
        for (Map.Entry<String, Schema> e : props.entrySet()) {
            String k = e.getKey();
            String p = path.isEmpty() ? k : path + "." + k;
            Object v = raw.get(k);
            if (v == null) {
                if (!e.getValue().isOptional()) errors.put(p, "property is missing and it is not optional");
                continue;
            }
            Object c = checkProp(p, e.getValue(), v, errors);
            if (c != null) out.put(k, c);
            String req = e.getValue().requires();
            if (req != null && raw.get(req) == null) errors.put(path.isEmpty() ? req : path + "." + req, "missing property - '" + k + "' requires this property");
        }
        for (Map.Entry<String, ?> e : raw.entrySet()) {
            if (props.containsKey(e.getKey())) continue;
            if (schema.additionalPropertiesAllowed()) { if (e.getValue() != null) out.put(e.getKey(), e.getValue()); }
            else errors.put(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), "property is not defined in schema and the schema does not allow additional properties");
        }
        return out;
    }

    /** Check one property; records an error and returns null on failure. */
    static Object checkProp(String path, Schema s, Object value, Map<String, String> errors) {
        String type = s.type();
        if (type == null) return value;
        switch (type) {
            case "array" -> {
                List<?> list = value instanceof List<?> l ? l : List.of(value);
                List<Object> out = new ArrayList<>();
                int before = errors.size();
                for (Object item : list) {
                    Object c = s.items() == null ? item : checkProp(path, s.items(), item, errors);
                    out.add(c);
                }
                return errors.size() == before ? out : null;
            }
            case "object" -> {
                if (!(value instanceof Map<?, ?> m)) { errors.put(path, "type check ('object') failed - got '" + text(value) + "'"); return null; }
                @SuppressWarnings("unchecked") Map<String, ?> mm = (Map<String, ?>) m;
                if (!s.hasProperties()) return value;
                return checkObject(path, s, mm, errors);
            }
            default -> { }
        }
        if (value instanceof List<?> l) {
            if (l.size() == 1) value = l.get(0);
            else { errors.put(path, "type check ('" + type + "') failed - got ARRAY"); return null; }
        }
        if (value instanceof Map<?, ?>) { errors.put(path, "type check ('" + type + "') failed - got HASH"); return null; }
        String text = text(value);
        Object coerced;
        switch (type) {
            case "boolean" -> {
                Boolean b = toBoolean(value);
                if (b == null) { errors.put(path, "type check ('boolean') failed - got '" + text + "'"); return null; }
                coerced = b;
            }
            case "integer" -> {
                Long l = toLong(value);
                if (l == null) { errors.put(path, "type check ('integer') failed - got '" + text + "'"); return null; }
                if (!range(path, s, l, errors)) return null;
                coerced = l;
            }
            case "number" -> {
                Number n = toNumber(value);
                if (n == null) { errors.put(path, "type check ('number') failed - got '" + text + "'"); return null; }
                if (!range(path, s, n.doubleValue(), errors)) return null;
                coerced = n;
            }
            case "string" -> coerced = text;
            case "null" -> coerced = value;
            default -> coerced = value;
        }
        if (s.enumValues() != null && !s.enumValues().contains(text)) {
            errors.put(path, "value '" + text + "' does not have a value in the enumeration '" + String.join(", ", s.enumValues()) + "'");
            return null;
        }
        if ("string".equals(type)) {
            if (s.maxLength() != null && text.length() > s.maxLength()) { errors.put(path, "value may only be " + s.maxLength() + " characters long"); return null; }
            if (s.minLength() != null && text.length() < s.minLength()) { errors.put(path, "value must be at least " + s.minLength() + " characters long"); return null; }
            if (s.pattern() != null && !PATTERNS.computeIfAbsent(s.pattern(), Validator::compilePerl).matcher(text).matches()) {
                errors.put(path, "value does not match the regex pattern"); return null;
            }
        }
        if (s.formatProperties() != null || s.format() != null) {
            Map<String, String> sub = new TreeMap<>();
            try {
                checkFormat(path, s, text, sub);
            } catch (Formats.FormatException | IllegalArgumentException e) {
                errors.put(path, "invalid format - " + e.getMessage() + "\n");
                return null;
            }
            if (!sub.isEmpty()) {
                StringBuilder sb = new StringBuilder("invalid format - format error\n");
                sub.forEach((k, v) -> sb.append(k).append(": ").append(v.endsWith("\n") ? v : v + "\n"));
                errors.put(path, sb.toString());
                return null;
            }
        }
        return coerced;
    }

    private static void checkFormat(String path, Schema s, String text, Map<String, String> sub) {
        if (s.formatProperties() != null) { propertyString(path, s.formatProperties(), text, sub); return; }
        String f = s.format();
        Map<String, Schema> named = Formats.propertyFormat(f);
        if (named != null) { propertyString(path, named, text, sub); return; }
        if (f.endsWith("-list") || f.endsWith("-alist")) {
            String base = f.substring(0, f.lastIndexOf('-'));
            for (String item : Formats.splitList(text)) Formats.check(base, item);
            return;
        }
        if (f.endsWith("-opt")) {
            if (!text.isEmpty()) Formats.check(f.substring(0, f.length() - 4), text);
            return;
        }
        Formats.check(f, text);
    }

    static LinkedHashMap<String, Object> propertyString(String path, Map<String, Schema> format, String text, Map<String, String> errors) {
        String defaultKey = null;
        for (Map.Entry<String, Schema> e : format.entrySet()) if (e.getValue().isDefaultKey()) defaultKey = e.getKey();
        LinkedHashMap<String, String> parsed = PropertyString.parse(text, defaultKey);
        LinkedHashMap<String, Object> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : parsed.entrySet()) {
            String k = e.getKey();
            Schema ks = format.get(k);
            if (ks != null && ks.alias() != null) {
                k = ks.alias();
                if (parsed.containsKey(k)) throw new IllegalArgumentException("duplicate key in comma-separated list property: " + k);
            }
            if (!format.containsKey(k)) throw new IllegalArgumentException("invalid key in comma-separated list property: " + k);
            resolved.put(k, e.getValue());
        }
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Schema> e : format.entrySet()) {
            Schema ks = e.getValue();
            if (ks.alias() != null) continue;
            String kp = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            Object v = resolved.get(e.getKey());
            if (v == null) {
                if (!ks.isOptional()) errors.put(kp, "property is missing and it is not optional");
                continue;
            }
            Object c = checkProp(kp, ks, v, errors);
            if (c != null) out.put(e.getKey(), c);
        }
        return out;
    }

    private static boolean range(String path, Schema s, double v, Map<String, String> errors) {
        if (s.minimum() != null && v < s.minimum()) { errors.put(path, "value must have a minimum value of " + fmt(s.minimum())); return false; }
        if (s.maximum() != null && v > s.maximum()) { errors.put(path, "value must have a maximum value of " + fmt(s.maximum())); return false; }
        return true;
    }

    private static String fmt(double d) { return d == Math.rint(d) ? Long.toString((long) d) : BigDecimal.valueOf(d).stripTrailingZeros().toPlainString(); }

    /** The text a checked parameter value stands as in a config file or property string: booleans as 1/0, whole numbers without a fraction. */
    public static String text(Object v) {
        if (v instanceof Boolean b) return b ? "1" : "0";
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
        return String.valueOf(v);
    }

    /** PVE's boolean parsing; null when the value is not a boolean. */
    public static Boolean toBoolean(Object v) {
        if (v instanceof Boolean b) return b;
        if (v instanceof Number n) { long l = n.longValue(); if (l == 1 && n.doubleValue() == 1) return true; if (n.doubleValue() == 0) return false; return null; }
        String t = String.valueOf(v).toLowerCase(java.util.Locale.ROOT);
        return switch (t) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> null;
        };
    }

    private static final Pattern INT = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern NUM = Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");

    static Long toLong(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Number n) { double d = n.doubleValue(); return d == Math.rint(d) && !Double.isInfinite(d) ? (long) d : null; }
        if (v instanceof Boolean) return null;
        String t = String.valueOf(v);
        if (!INT.matcher(t).matches()) return null;
        try { return Long.parseLong(t.startsWith("+") ? t.substring(1) : t); } catch (NumberFormatException e) { return null; }
    }

    static Number toNumber(Object v) {
        if (v instanceof Number n) return n instanceof Double || n instanceof Float ? (Number) n.doubleValue() : (Number) n.longValue();
        if (v instanceof Boolean) return null;
        String t = String.valueOf(v);
        if (INT.matcher(t).matches()) { Long l = toLong(t); if (l != null) return l; }
        if (!NUM.matcher(t).matches()) return null;
        return Double.parseDouble(t);
    }

    /**
     * A pattern of PVE's schema as a Java pattern: Perl writes embedded patterns as {@code (?^i:…)} ("default flags,
     * then i"), Java as {@code (?i:…)}.
     */
    static Pattern compilePerl(String perl) {
        return Pattern.compile(perl.replace("(?^:", "(?:").replace("(?^", "(?"));
    }
}
