package org.haven.qemu.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.core.format.PropertyString;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.Validator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The VM config options of qemu-server ({@code qm set} / {@code POST /nodes/{node}/qemu/{vmid}/config}):
 * one schema per option, enumerated keys ({@code scsi[n]}) expanded to {@code scsi0 … scsi30}. The schema
 * comes from PVE's API schema (resource {@code qemu-config.json}, see {@code tools/gen-config-schema.py});
 * the named property-string formats it refers to are declared in {@code qemu-formats.json}. Pure, no I/O
 * beyond loading the resources once.
 */
public final class QemuOptions {
    private QemuOptions() {}

    /** How many of each enumerated option PVE allows. */
    public static final Map<String, Integer> COUNTS = Map.ofEntries(
            Map.entry("ide", 4), Map.entry("sata", 6), Map.entry("scsi", 31), Map.entry("virtio", 16),
            Map.entry("net", 32), Map.entry("hostpci", 16), Map.entry("usb", 14), Map.entry("serial", 4),
            Map.entry("parallel", 3), Map.entry("numa", 8), Map.entry("unused", 256), Map.entry("ipconfig", 32),
            Map.entry("virtiofs", 10));

    public static final List<String> DISK_BUSES = List.of("ide", "sata", "scsi", "virtio");
    public static final List<String> NET_MODELS = List.of("e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em",
            "e1000e", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3");

    private static final Pattern DRIVE_KEY = Pattern.compile("^(ide|sata|scsi|virtio)(\\d+)$");
    private static final Pattern INDEXED = Pattern.compile("^([a-z]+)(\\d+)$");

    /** Keys that exist in config files but are not settable options. */
    public static final Set<String> INTERNAL_KEYS = Set.of("meta", "parent", "snaptime", "vmstate", "runningmachine",
            "runningcpu", "snapstate", "digest", "pending", "snapshots");

    private static final TreeMap<String, Schema> OPTIONS = new TreeMap<>();

    static {
        JsonMapper json = JsonMapper.builder().build();
        JsonNode formats = load(json, "qemu-formats.json");
        for (Map.Entry<String, JsonNode> f : formats.properties()) {
            LinkedHashMap<String, Schema> props = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> p : f.getValue().properties()) props.put(p.getKey(), Schema.fromJson(p.getValue()));
            Formats.register(f.getKey(), props);
        }
        registerChecks();
        JsonNode options = load(json, "qemu-config.json");
        for (Map.Entry<String, JsonNode> e : options.properties()) {
            Schema s = Schema.fromJson(e.getValue());
            String k = e.getKey();
            if (k.endsWith("[n]")) {
                String base = k.substring(0, k.length() - 3);
                int n = COUNTS.getOrDefault(base, 1);
                for (int i = 0; i < n; i++) OPTIONS.put(base + i, s);
            } else {
                OPTIONS.put(k, s);
            }
        }
        // drive formats by name, for the deprecated 'cdrom' option and for callers that parse one bus
        Formats.register("pve-qm-ide", OPTIONS.get("ide0").formatProperties());
    }

    private static JsonNode load(JsonMapper json, String name) {
        try (InputStream in = QemuOptions.class.getResourceAsStream("/org/haven/qemu/" + name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return json.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void registerChecks() {
        Formats.register("pve-qm-bootdev", v -> {
            if (!v.matches("(ide|sata|scsi|virtio)\\d+|net\\d+|hostpci\\d+|usb\\d+"))
                throw new Formats.FormatException("invalid boot device '" + v + "'");
        });
        Formats.register("pve-ipv4-config", v -> {
            if (!v.equals("dhcp") && !v.matches(Formats.IPV4 + "/(?:3[0-2]|[12]?[0-9])"))
                throw new Formats.FormatException("invalid IPv4 configuration '" + v + "'");
        });
        Formats.register("pve-ipv6-config", v -> {
            if (!v.equals("dhcp") && !v.equals("auto") && !v.matches("[0-9a-fA-F:.]+/\\d{1,3}"))
                throw new Formats.FormatException("invalid IPv6 configuration '" + v + "'");
        });
        Formats.register("pve-hotplug-features", v -> {
            if (v.matches("[01]")) return;
            for (String f : v.split(",")) {
                if (!f.matches("network|disk|cpu|memory|usb|cloudinit"))
                    throw new Formats.FormatException("invalid hotplug feature '" + f + "'");
            }
        });
        Formats.register("pve-cpuset", v -> {
            if (!v.matches("\\d+(?:-\\d+)?(?:,\\d+(?:-\\d+)?)*"))
                throw new Formats.FormatException("invalid cpuset '" + v + "'");
        });
        Formats.register("pve-qm-bootdisk", v -> {
            if (!DRIVE_KEY.matcher(v).matches()) throw new Formats.FormatException("invalid drive name '" + v + "'");
        });
    }

    /** All option keys, sorted. */
    public static Set<String> keys() { return Collections.unmodifiableSet(OPTIONS.keySet()); }

    /** The schema of {@code key}, or null for an unknown key. */
    public static Schema option(String key) { return OPTIONS.get(key); }

    public static boolean isDisk(String key) {
        return DRIVE_KEY.matcher(key).matches() || key.equals("efidisk0") || key.equals("tpmstate0");
    }

    /** ide/sata/scsi/virtio keys only (not efidisk0/tpmstate0). */
    public static boolean isBusDrive(String key) { return DRIVE_KEY.matcher(key).matches(); }

    public static boolean isNet(String key) { return key.matches("net\\d+"); }

    /** Base name and index of an indexed key ({@code scsi12} → ("scsi", 12)), or null. */
    public static Map.Entry<String, Integer> split(String key) {
        Matcher m = INDEXED.matcher(key);
        return m.matches() ? Map.entry(m.group(1), Integer.parseInt(m.group(2))) : null;
    }

    /** The option schema as an object schema of all options (for API parameter declarations). */
    public static Map<String, Schema> all() { return Collections.unmodifiableMap(OPTIONS); }

    /**
     * Validate one option value as {@code qm set} does and return the value to store: booleans become
     * 1/0, drive and nic property strings are written in PVE's canonical form. Throws {@link ParamException}.
     */
    public static String check(String key, String value) {
        Schema s = OPTIONS.get(key);
        if (s == null) throw ParamException.of(key, "property is not defined in schema and the schema does not allow additional properties");
        String v = value;
        if (isNet(key)) v = normalizeNetKeys(key, v);
        Object coerced = Validator.validateValue(key, s, v);
        if (coerced instanceof Boolean b) return b ? "1" : "0";
        if (isDisk(key) || isNet(key) || key.startsWith("unused")) return print(key, props(key, v));
        if (coerced instanceof Double d) return v;
        return String.valueOf(coerced);
    }

    /** Validate several options at once; all errors are reported together. Returns the normalized values. */
    public static LinkedHashMap<String, String> checkAll(Map<String, String> values) {
        return org.haven.guest.config.OptionChecks.checkAll(values, QemuOptions::check);
    }

    /** A nic string with every key spelled out, as the generic validator understands it. */
    private static String normalizeNetKeys(String key, String value) {
        List<String> parts = new ArrayList<>();
        props(key, value).forEach((k, v) -> parts.add(k + "=" + quote(v)));
        return String.join(",", parts);
    }

    /** The default key of {@code key}'s property-string format, or null. */
    public static String defaultKey(String key) {
        Map<String, Schema> f = format(key);
        if (f == null) return null;
        for (Map.Entry<String, Schema> e : f.entrySet()) if (e.getValue().isDefaultKey()) return e.getKey();
        return null;
    }

    /** The property-string format of {@code key}, or null when it has none. */
    public static Map<String, Schema> format(String key) {
        Schema s = OPTIONS.get(key);
        if (s == null) return null;
        if (s.formatProperties() != null) return s.formatProperties();
        return s.format() == null ? null : Formats.propertyFormat(s.format());
    }

    /**
     * Split a property-string value into its keys (aliases resolved, {@code model=MAC} of nics turned into
     * {@code model} + {@code macaddr}), without validating the values.
     */
    public static LinkedHashMap<String, String> props(String key, String value) {
        Map<String, Schema> f = format(key);
        if (f == null) throw new IllegalArgumentException("option '" + key + "' is not a property string");
        String dk = defaultKey(key);
        LinkedHashMap<String, String> raw = PropertyString.parse(value, dk);
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String k = e.getKey();
            Schema ks = f.get(k);
            if (ks != null && ks.extra().containsKey("keyAlias")) {
                String target = ks.extra().get("keyAlias").asString();
                put(out, target, k);
                put(out, ks.alias(), e.getValue());
                continue;
            }
            if (ks != null && ks.alias() != null) k = ks.alias();
            put(out, k, e.getValue());
        }
        return out;
    }

    private static void put(Map<String, String> m, String k, String v) {
        if (m.containsKey(k)) throw new IllegalArgumentException("duplicate key in comma-separated list property: " + k);
        m.put(k, v);
    }

    /**
     * PVE's print_property_string: the default key bare and first (a nic's model as {@code model=MAC}), then
     * required keys, then the rest, each group sorted.
     */
    public static String print(String key, Map<String, String> values) {
        Map<String, Schema> f = format(key);
        String dk = defaultKey(key);
        List<String> parts = new ArrayList<>();
        java.util.HashSet<String> done = new java.util.HashSet<>();
        if (dk != null && values.containsKey(dk)) {
            done.add(dk);
            String v = values.get(dk);
            if (isNet(key) && values.containsKey("macaddr")) {
                parts.add(v + "=" + values.get("macaddr"));
                done.add("macaddr");
            } else {
                parts.add(quote(v));
            }
        }
        TreeMap<String, String> sorted = new TreeMap<>(values);
        for (var e : sorted.entrySet()) {
            Schema ks = f == null ? null : f.get(e.getKey());
            if (ks != null && !ks.isOptional() && done.add(e.getKey())) parts.add(e.getKey() + "=" + quote(e.getValue()));
        }
        for (var e : sorted.entrySet()) {
            if (done.add(e.getKey())) parts.add(e.getKey() + "=" + quote(e.getValue()));
        }
        return String.join(",", parts);
    }

    private static String quote(String v) {
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0) return v;
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
