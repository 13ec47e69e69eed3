package org.haven.lxc.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.haven.core.format.PropertyString;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.Validator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The container config options of pve-container ({@code pct set} / {@code PUT /nodes/{node}/lxc/{vmid}/config}):
 * one schema per option, enumerated keys ({@code mp[n]}) expanded to {@code mp0 … mp255}. The schema comes from
 * PVE's API schema (resource {@code lxc-config.json}, made by {@code haven-lxc/tools/gen-config-schema.py}).
 * Pure, no I/O beyond loading the resource once.
 */
public final class LxcOptions {
    private LxcOptions() {}

    /** How many of each enumerated option PVE allows ({@code MAX_MOUNT_POINTS}, {@code MAX_LXC_NETWORKS}, …). */
    public static final Map<String, Integer> COUNTS = Map.of("mp", 256, "net", 32, "unused", 256, "dev", 256);

    private static final Pattern MP_KEY = Pattern.compile("mp(\\d+)");
    private static final TreeMap<String, Schema> OPTIONS = new TreeMap<>();

    static {
        Formats.register("pve-lxc-ipv4-config", v -> {
            if (!v.equals("dhcp") && !v.equals("manual") && !v.matches(Formats.IPV4 + "/(?:3[0-2]|[12]?[0-9])"))
                throw new Formats.FormatException("invalid IPv4 configuration '" + v + "'");
        });
        Formats.register("pve-lxc-ipv6-config", v -> {
            if (!v.matches("dhcp|auto|manual") && !v.matches("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])"))
                throw new Formats.FormatException("invalid IPv6 configuration '" + v + "'");
        });
        Formats.register("pve-startup-order", v -> {
            if (!v.matches("(?:(?:order=)?\\d+)?(?:,?(?:up|down)=\\d+)*"))
                throw new Formats.FormatException("invalid startup order '" + v + "'");
        });
        Formats.register("pve-ct-timezone", v -> {
            if (!v.equals("host") && !v.matches("[A-Za-z0-9_+\\-]+(?:/[A-Za-z0-9_+\\-]+)*"))
                throw new Formats.FormatException("invalid time zone '" + v + "'");
        });
        try (InputStream in = LxcOptions.class.getResourceAsStream("/org/haven/lxc/lxc-config.json")) {
            if (in == null) throw new IllegalStateException("missing resource lxc-config.json");
            JsonNode options = JsonMapper.builder().build().readTree(in);
            for (Map.Entry<String, JsonNode> e : options.properties()) {
                Schema s = Schema.fromJson(e.getValue());
                String k = e.getKey();
                if (k.endsWith("[n]")) {
                    String base = k.substring(0, k.length() - 3);
                    for (int i = 0; i < COUNTS.get(base); i++) OPTIONS.put(base + i, s);
                } else {
                    OPTIONS.put(k, s);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All option keys with their schema, sorted (for API parameter declarations). */
    public static Map<String, Schema> all() { return Collections.unmodifiableMap(OPTIONS); }

    /** The schema of {@code key}, or null for an unknown key. */
    public static Schema option(String key) { return OPTIONS.get(key); }

    /** {@code rootfs} or {@code mpN}: a key holding a mount point. */
    public static boolean isMountKey(String key) {
        return key.equals("rootfs") || (MP_KEY.matcher(key).matches() && OPTIONS.containsKey(key));
    }

    public static boolean isNet(String key) { return key.startsWith("net") && OPTIONS.containsKey(key); }

    /** The property-string format of {@code key}, or null when its value is a plain value. */
    public static Map<String, Schema> format(String key) {
        Schema s = OPTIONS.get(key);
        return s == null ? null : s.formatProperties();
    }

    private static String defaultKey(Map<String, Schema> f) {
        for (var e : f.entrySet()) if (e.getValue().isDefaultKey()) return e.getKey();
        return null;
    }

    /** Split a property-string value into its keys, without validating the values. */
    public static LinkedHashMap<String, String> props(String key, String value) {
        Map<String, Schema> f = format(key);
        if (f == null) throw new IllegalArgumentException("option '" + key + "' is not a property string");
        return PropertyString.parse(value, defaultKey(f));
    }

    /**
     * PVE's print_property_string: the default key bare and first, then the required keys, then the rest, each
     * group sorted ({@code name=eth0,bridge=vmbr0,hwaddr=…,ip=dhcp,type=veth}).
     */
    public static String print(String key, Map<String, String> values) {
        Map<String, Schema> f = format(key);
        String dk = defaultKey(f);
        TreeMap<String, String> first = new TreeMap<>();
        TreeMap<String, String> rest = new TreeMap<>();
        values.forEach((k, v) -> {
            Schema ks = f.get(k);
            (k.equals(dk) || (ks != null && !ks.isOptional()) ? first : rest).put(k, v);
        });
        String head = PropertyString.print(first, dk);
        String tail = PropertyString.print(rest, null);
        return head.isEmpty() ? tail : tail.isEmpty() ? head : head + "," + tail;
    }

    /**
     * Validate one option value as {@code pct set} does and return the value to store: booleans become 1/0,
     * property strings are written in PVE's canonical form. Throws {@link ParamException}.
     */
    public static String check(String key, String value) {
        Schema s = OPTIONS.get(key);
        if (s == null) {
            if (key.startsWith("lxc.")) return value;
            throw ParamException.of(key, "property is not defined in schema and the schema does not allow additional properties");
        }
        Object coerced = Validator.validateValue(key, s, value);
        if (coerced instanceof Boolean b) return b ? "1" : "0";
        if (s.formatProperties() != null) {
            LinkedHashMap<String, String> p = props(key, value);
            Map<String, Schema> f = s.formatProperties();
            p.replaceAll((k, v) -> f.containsKey(k) && "boolean".equals(f.get(k).type()) ? (Boolean.TRUE.equals(Validator.toBoolean(v)) ? "1" : "0") : v);
            return print(key, p);
        }
        if (coerced instanceof Double) return value;
        return String.valueOf(coerced);
    }

    /** Validate several options at once; all errors are reported together. Returns the normalized values. */
    public static LinkedHashMap<String, String> checkAll(Map<String, String> values) {
        return org.haven.guest.config.OptionChecks.checkAll(values, LxcOptions::check);
    }

    /** A config value as the API's JSON has it: integers and numbers as numbers, the rest as strings. */
    public static Object typed(String key, String value) {
        Schema s = OPTIONS.get(key);
        String type = s == null ? (key.equals("snaptime") ? "integer" : null) : s.type();
        try {
            if ("integer".equals(type) || "boolean".equals(type)) return Long.parseLong(value);
            if ("number".equals(type)) {
                double d = Double.parseDouble(value);
                return d == Math.rint(d) ? (Object) (long) d : (Object) d;
            }
        } catch (NumberFormatException e) {
            return value;
        }
        return value;
    }
}
