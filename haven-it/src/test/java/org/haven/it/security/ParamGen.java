package org.haven.it.security;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.Validator;

/**
 * Parameters for API calls generated from a method's schema: a valid baseline (real objects for the names
 * the fixtures provide, otherwise a value of the declared type and format) and seeded bad-input cases that
 * change one thing each. Whether a case must be refused is decided by the project's own validator applied to
 * the declared schema (the formats every module registers included), so the oracle follows the declarations.
 */
final class ParamGen {
    /** Name of a parameter no method declares. */
    static final String UNKNOWN = "zz-sweep-unknown";
    /** Start of the line a newline injection tries to add to a config file. */
    static final String INJECTED = "sweepinjected";

    /** What the node must answer to a case. */
    enum Expect {
        /** 400 with an error for the named parameter. */
        FIELD_400,
        /** 400 (the whole request cannot be decoded). */
        BAD_REQUEST,
        /** Anything but a success. */
        NOT_2XX,
        /** The value may be valid: any status, but no internals and nothing changed on failure. */
        ANY
    }

    /** One call: the value of every parameter (path parameters included), or a raw form body to append. */
    record Case(String label, String param, Expect expect, Map<String, String> params, String rawBodySuffix) {}

    private final Map<String, String> objects;

    /** {@code objects}: values of existing objects by parameter name or format ({@code vmid}, {@code pve-storage-id}, …). */
    ParamGen(Map<String, String> objects) { this.objects = objects; }

    /** A valid value for one parameter. */
    String valid(String name, Schema s) {
        String v = objects.get(name);
        if (v != null) return v;
        if (s.format() != null && objects.containsKey(s.format())) return objects.get(s.format());
        if (s.enumValues() != null && !s.enumValues().isEmpty()) return s.enumValues().get(0);
        String type = s.type() == null ? "string" : s.type();
        return switch (type) {
            case "boolean" -> "0";
            case "integer", "number" -> {
                long lo = s.minimum() == null ? 1 : (long) Math.ceil(s.minimum());
                long hi = s.maximum() == null ? Long.MAX_VALUE : (long) Math.floor(s.maximum());
                yield Long.toString(Math.max(lo, Math.min(hi, Math.max(lo, 1))));
            }
            default -> validString(s);
        };
    }

    private String validString(Schema s) {
        if (s.formatProperties() != null) return propertyString(s.formatProperties());
        String f = s.format();
        if (f == null) return "sweep";
        String base = f.replaceAll("-(list|alist|opt)$", "");
        String v = objects.get(base);
        if (v != null) return v;
        return switch (base) {
            case "ipv4", "ip", "address", "pve-storage-server", "pve-storage-portal-dns" -> "127.0.0.1";
            case "ipv6" -> "::1";
            case "CIDR", "CIDRv4", "IPorCIDR" -> "10.0.0.0/8";
            case "CIDRv6" -> "fd00::/8";
            case "dns-name" -> "localhost";
            case "email", "email-or-username" -> "sweep@example.com";
            case "mac-addr" -> "bc:24:11:00:00:01";
            case "disk-size" -> "1M";
            case "pve-priv" -> "VM.Audit";
            case "pve-storage-content" -> "images";
            case "pve-tag" -> "sweep";
            case "pve-configid" -> "sweepcfg";
            case "pve-qm-net" -> "virtio,bridge=vmbr0";
            case "pve-qm-ipconfig" -> "ip=dhcp";
            case "pve-qm-boot" -> "order=net0";
            case "pve-startup-order" -> "order=1";
            case "pve-cpuset" -> "0";
            case "urlencoded" -> "sweep";
            case "pve-storage-path" -> "/nonexistent/sweep";
            case "pve-sdn-subnet-id" -> "sweepzone-10.0.0.0-8";
            default -> {
                Map<String, Schema> named = org.haven.core.schema.Formats.propertyFormat(f);
                yield named != null ? propertyString(named) : "sweep";
            }
        };
    }

    /** A property string with the default key (when required) and the other required keys. */
    private String propertyString(Map<String, Schema> format) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Schema> e : format.entrySet()) {
            Schema p = e.getValue();
            if (p.isOptional() || p.alias() != null) continue;
            String v = valid(e.getKey(), p);
            parts.add(p.isDefaultKey() ? v : e.getKey() + "=" + v);
        }
        return String.join(",", parts);
    }

    /** The baseline: path parameters and required parameters, with valid values. */
    Map<String, String> baseline(ApiCatalog.Method m) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : m.pathParams()) out.put(p, valid(p, m.params().getOrDefault(p, Schema.string())));
        for (Map.Entry<String, Schema> e : m.params().entrySet())
            if (!e.getValue().isOptional() && !out.containsKey(e.getKey())) out.put(e.getKey(), valid(e.getKey(), e.getValue()));
        return out;
    }

    /** Bad strings: NUL, a newline that tries to add a config line, an undecodable escape, 10 kB, path traversal, empty. */
    static List<String[]> badStrings() {
        return List.of(
                new String[] {"NUL", "sw\0eep"},
                new String[] {"newline", "sweep\n" + INJECTED + ": 1"},
                new String[] {"%zz", "%zz"},
                new String[] {"10kB", "a".repeat(10_240)},
                new String[] {"..", "../../../../etc/passwd"},
                new String[] {"empty", ""},
                new String[] {"control", "sw\reep\t\u001b"});
    }

    /** Bad numbers and booleans. */
    static List<String[]> badScalars(String type) {
        return switch (type) {
            case "integer" -> List.of(new String[] {"huge", "99999999999999999999"}, new String[] {"negative", "-9223372036854775808"},
                    new String[] {"-1", "-1"}, new String[] {"fraction", "1.5"}, new String[] {"text", "abc"}, new String[] {"empty", ""});
            case "number" -> List.of(new String[] {"huge", "1e999"}, new String[] {"NaN", "NaN"}, new String[] {"negative", "-1e300"},
                    new String[] {"text", "abc"});
            case "boolean" -> List.of(new String[] {"maybe", "maybe"}, new String[] {"2", "2"}, new String[] {"-1", "-1"});
            default -> List.of();
        };
    }

    /**
     * Path parameter values that must not reach an object: traversal, separators, undecodable escapes, NUL, 10 kB.
     * A bare {@code ..} segment is not among them: HTTP resolves it to the parent path before any routing.
     */
    static List<String[]> badPathValues() {
        return List.of(
                new String[] {"../", "../../etc/passwd"},
                new String[] {"slash", "a/b"},
                new String[] {"%zz", "%zz"},
                new String[] {"NUL", "a\0b"},
                new String[] {"newline", "a\nb"},
                new String[] {"10kB", "a".repeat(10_240)});
    }

    /** Every candidate case of a method; {@link #cases} draws a fixed number of them. */
    List<Case> candidates(ApiCatalog.Method m) {
        Map<String, String> base = baseline(m);
        List<Case> out = new ArrayList<>();
        if (!m.parameters().additionalPropertiesAllowed()) {
            Map<String, String> p = new LinkedHashMap<>(base);
            p.put(UNKNOWN, "1");
            out.add(new Case("unknown parameter", UNKNOWN, Expect.FIELD_400, p, null));
        }
        for (String req : base.keySet()) {
            if (m.pathParams().contains(req)) continue;
            Map<String, String> p = new LinkedHashMap<>(base);
            p.remove(req);
            out.add(new Case("missing required", req, Expect.FIELD_400, p, null));
        }
        for (String pp : m.pathParams()) {
            for (String[] bad : badPathValues()) {
                Map<String, String> p = new LinkedHashMap<>(base);
                p.put(pp, bad[1]);
                out.add(new Case("path " + bad[0], pp, Expect.NOT_2XX, p, null));
            }
        }
        for (Map.Entry<String, Schema> e : m.params().entrySet()) {
            String name = e.getKey();
            if (m.pathParams().contains(name)) continue;
            Schema s = e.getValue();
            String type = s.type() == null ? "string" : s.type();
            List<String[]> bad = type.equals("string") || type.equals("array") ? badStrings() : badScalars(type);
            for (String[] b : bad) {
                Map<String, String> p = new LinkedHashMap<>(base);
                p.put(name, b[1]);
                out.add(new Case(type + " " + b[0], name, expectation(name, s, b[1]), p, null));
            }
            if (!m.isGet() && !m.http().equals("DELETE")) {
                Map<String, String> p = new LinkedHashMap<>(base);
                p.remove(name);
                out.add(new Case("raw %zz in the body", name, Expect.BAD_REQUEST, p, name + "=%zz"));
            }
        }
        return out;
    }

    /** A fixed number of cases for a method, drawn with the given seed: the unknown and missing parameters first. */
    List<Case> cases(ApiCatalog.Method m, long seed, int count) {
        List<Case> all = candidates(m);
        List<Case> out = new ArrayList<>();
        List<Case> rest = new ArrayList<>();
        for (Case c : all) (c.label().equals("unknown parameter") || c.label().equals("missing required") ? out : rest).add(c);
        Random rnd = new Random(seed ^ m.key().hashCode());
        java.util.Collections.shuffle(rest, rnd);
        for (int i = 0; out.size() < count && !rest.isEmpty(); i++) out.add(rest.get(i % rest.size()));
        return out.size() > count ? out.subList(0, count) : out;
    }

    /** The declared schema decides: a value it refuses must get a field error. */
    static Expect expectation(String name, Schema s, String value) {
        try {
            Validator.validateValue(name, s, value);
        } catch (ParamException e) {
            return Expect.FIELD_400;
        }
        return Expect.ANY;
    }
}
