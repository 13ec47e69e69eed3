package org.haven.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.haven.core.schema.Validator;

/**
 * Validated and coerced request parameters (path parameters included). Integers are {@link Long},
 * booleans {@link Boolean}, arrays {@link List}; strings as given.
 */
public final class Params {
    private final Map<String, Object> values;

    public Params(Map<String, Object> values) { this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values)); }

    public boolean has(String name) { return values.get(name) != null; }

    public Object get(String name) { return values.get(name); }

    public String str(String name) {
        Object v = values.get(name);
        if (v == null) throw new IllegalStateException("parameter '" + name + "' not set");
        return v.toString();
    }

    public String str(String name, String def) { Object v = values.get(name); return v == null ? def : v.toString(); }

    public Optional<String> opt(String name) { return Optional.ofNullable(values.get(name)).map(Object::toString); }

    public long lng(String name) { return ((Number) require(name)).longValue(); }

    public long lng(String name, long def) { Object v = values.get(name); return v == null ? def : ((Number) v).longValue(); }

    public int integer(String name) { return (int) lng(name); }

    public int integer(String name, int def) { return (int) lng(name, def); }

    public double dbl(String name, double def) { Object v = values.get(name); return v == null ? def : ((Number) v).doubleValue(); }

    public boolean bool(String name, boolean def) {
        Object v = values.get(name);
        if (v == null) return def;
        Boolean b = Validator.toBoolean(v);
        return b != null ? b : def;
    }

    @SuppressWarnings("unchecked")
    public List<Object> list(String name) {
        Object v = values.get(name);
        if (v == null) return List.of();
        return v instanceof List<?> l ? (List<Object>) l : List.of(v);
    }

    public Map<String, Object> asMap() { return values; }

    private Object require(String name) {
        Object v = values.get(name);
        if (v == null) throw new IllegalStateException("parameter '" + name + "' not set");
        return v;
    }

    @Override public String toString() { return values.toString(); }
}
