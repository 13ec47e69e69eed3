package org.haven.backup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.haven.core.schema.ParamException;
import org.haven.storage.prune.PruneOptions;

/**
 * The settings of one vzdump run: the call's parameters over the defaults of {@code /etc/vzdump.conf}
 * (PVE's {@code key: value} file), checked.
 */
public record VzdumpOptions(List<Integer> vmids, boolean all, TreeSet<Integer> exclude, String mode, String storage, Path dumpdir,
                            Path tmpdir, Compression compression, int zstd, int pigz, boolean remove, PruneOptions prune,
                            boolean isProtected, String notesTemplate, int stopwaitMinutes, int ionice, List<String> excludePath,
                            boolean stdexcludes, Map<String, String> given, String pool, Path script, boolean stdout, Long bwlimit) {

    /** The options a vzdump.conf may set (PVE's list, without the node-only ones). */
    static final List<String> CONF_KEYS = List.of("tmpdir", "dumpdir", "storage", "mode", "compress", "zstd", "pigz", "ionice",
            "lockwait", "stopwait", "bwlimit", "remove", "prune-backups", "maxfiles", "script", "exclude-path", "mailto",
            "mailnotification", "notes-template", "protected", "pool", "stdexcludes", "fleecing", "performance",
            "notification-mode", "notification-policy", "notification-target");

    /** Parses {@code vzdump.conf}: {@code key: value} lines, {@code #} comments. Unknown keys are errors, as PVE's parser reports them. */
    public static Map<String, String> parseConf(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> errors = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            int c = l.indexOf(':');
            if (c <= 0) { errors.put(l, "unable to parse line"); continue; }
            String k = l.substring(0, c).strip(), v = l.substring(c + 1).strip();
            if (!CONF_KEYS.contains(k)) { errors.put(k, "property is not defined in schema and the schema does not allow additional properties"); continue; }
            out.put(k, v);
        }
        if (!errors.isEmpty()) throw new ParamException(errors);
        return out;
    }

    /** {@code params} (API values as strings) over {@code defaults}. */
    public static VzdumpOptions of(Map<String, String> params, Map<String, String> defaults) {
        Map<String, String> m = new LinkedHashMap<>(defaults);
        m.putAll(params);
        Map<String, String> errors = new LinkedHashMap<>();
        boolean all = truthy(m.get("all"));
        List<Integer> vmids = new ArrayList<>();
        if (m.get("vmid") != null) vmids.addAll(ids(m.get("vmid"), "vmid", errors));
        String pool = params.get("pool") == null || params.get("pool").isBlank() ? null : params.get("pool").strip();
        if (all && !vmids.isEmpty()) errors.put("vmid", "option conflicts with option 'all'");
        if (pool != null && !vmids.isEmpty()) errors.put("pool", "option conflicts with option 'vmid'");
        if (pool != null && all) errors.put("pool", "option conflicts with option 'all'");
        if (!all && pool == null && vmids.isEmpty() && errors.isEmpty()) errors.put("vmid", "property is missing and it is not optional");
        TreeSet<Integer> exclude = new TreeSet<>(m.get("exclude") == null ? List.of() : ids(m.get("exclude"), "exclude", errors));
        if (!exclude.isEmpty() && !all && pool == null) errors.put("exclude", "option only makes sense in combination with option 'all'");
        boolean stdout = truthy(params.get("stdout"));
        if (stdout && (all || pool != null || vmids.size() > 1)) errors.put("stdout", "you can only backup a single VM with option --stdout");
        String mode = m.getOrDefault("mode", "snapshot");
        if (m.get("storage") != null && m.get("dumpdir") != null && params.containsKey("storage") && params.containsKey("dumpdir"))
            errors.put("dumpdir", "option conflicts with option 'storage'");
        for (String k : List.of("dumpdir", "tmpdir"))
            if (m.get(k) != null && m.get(k).indexOf('\0') >= 0) errors.put(k, "value contains a NUL character");
        String storage = params.containsKey("dumpdir") ? null : m.get("storage");
        Path dumpdir = params.containsKey("storage") || m.get("dumpdir") == null || errors.containsKey("dumpdir") ? null : Path.of(m.get("dumpdir"));
        if (storage == null && dumpdir == null) storage = "local";
        Compression comp;
        try {
            comp = Compression.of(m.getOrDefault("compress", "0"));
        } catch (IllegalArgumentException e) {
            errors.put("compress", "value '" + m.get("compress") + "' does not have a value in the enumeration '0, 1, gzip, lzo, zstd'");
            comp = Compression.NONE;
        }
        PruneOptions prune = null;
        if (m.get("prune-backups") != null) {
            try {
                prune = PruneOptions.parse(m.get("prune-backups"));
            } catch (RuntimeException e) {
                errors.put("prune-backups", e.getMessage());
            }
        }
        boolean prot = truthy(m.get("protected"));
        if (prot && storage == null) errors.put("protected", "option requires option 'storage'");
        if (m.get("notes-template") != null && storage == null) errors.put("notes-template", "option requires option 'storage'");
        for (String k : List.of("zstd", "pigz", "stopwait", "ionice", "bwlimit")) {
            String v = m.get(k);
            if (v != null && !v.matches("[+-]?\\d{1,9}")) errors.put(k, "type check ('integer') failed - got '" + v + "'");
        }
        if (!errors.isEmpty()) throw new ParamException(errors);
        return new VzdumpOptions(List.copyOf(vmids), all, exclude, mode, storage, dumpdir, m.get("tmpdir") == null ? null : Path.of(m.get("tmpdir")),
                comp, intOf(m, "zstd", 1), intOf(m, "pigz", 0), !"0".equals(m.getOrDefault("remove", "1")), prune, prot,
                m.get("notes-template"), intOf(m, "stopwait", 10), intOf(m, "ionice", 7), excludePaths(m.get("exclude-path")),
                !"0".equals(m.getOrDefault("stdexcludes", "1")), Map.copyOf(params), pool,
                m.get("script") == null || m.get("script").isBlank() ? null : Path.of(m.get("script").strip()), stdout,
                m.get("bwlimit") == null ? null : Long.valueOf(intOf(m, "bwlimit", 0)));
    }

    /** {@code exclude-path}: the paths separated by white space (as {@code vzdump.conf} and jobs hold the list). */
    static List<String> excludePaths(String value) {
        if (value == null || value.isBlank()) return List.of();
        return List.of(value.strip().split("\\s+"));
    }

    private static List<Integer> ids(String list, String key, Map<String, String> errors) {
        List<Integer> out = new ArrayList<>();
        for (String s : list.split("[,;\\s]+")) {
            if (s.isEmpty()) continue;
            try {
                int v = Integer.parseInt(s);
                if (v < 100 || v > 999_999_999) throw new NumberFormatException();
                out.add(v);
            } catch (NumberFormatException e) {
                errors.put(key, "value '" + s + "' is not a valid VMID");
            }
        }
        return out;
    }

    private static int intOf(Map<String, String> m, String k, int def) {
        String v = m.get(k);
        return v == null ? def : Integer.parseInt(v);
    }

    private static boolean truthy(String v) { return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("on")); }

    /** PVE's first task log line: {@code vzdump 100 --mode stop --storage local …}, from the given parameters. */
    public String commandLine(String node) {
        StringBuilder sb = new StringBuilder("vzdump");
        if (given.get("vmid") != null) sb.append(' ').append(given.get("vmid").replace(',', ' '));
        for (var e : new java.util.TreeMap<>(given).entrySet()) {
            if (e.getKey().equals("vmid") || e.getKey().equals("node")) continue;
            sb.append(" --").append(e.getKey()).append(' ').append(e.getValue().contains(" ") ? "'" + e.getValue() + "'" : e.getValue());
        }
        return sb.append(" --node ").append(node).toString();
    }
}
