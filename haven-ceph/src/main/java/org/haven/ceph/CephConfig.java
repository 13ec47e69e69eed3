package org.haven.ceph;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * PVE's {@code ceph.conf} (in the cluster file system as {@code ceph.conf}): INI sections of {@code key = value}.
 * Parsing follows {@code PVE::CephConfig::parse_ceph_config}: comments ({@code #}, {@code ;}) and blank lines are
 * dropped, a key's spaces and dashes become underscores (Ceph treats them alike), the last value of a key wins.
 * Writing follows {@code write_ceph_config}: {@code global}, {@code client}, {@code mds}, {@code mon}, {@code osd},
 * {@code mgr}, then their instance sections ({@code mon.a}, …), then the rest, each with sorted keys written as
 * {@code <TAB>key = value} and followed by a blank line.
 */
public final class CephConfig {
    private static final List<Pattern> ORDER = List.of("global", "client", "mds", "mon", "osd", "mgr", "mds\\..*", "mon\\..*",
            "osd\\..*", "mgr\\..*", ".*").stream().map(Pattern::compile).toList();

    private final Map<String, Map<String, String>> sections = new LinkedHashMap<>();

    public static CephConfig parse(String text) {
        CephConfig c = new CephConfig();
        String section = null;
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) continue;
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1).strip();
                c.sections.computeIfAbsent(section, k -> new TreeMap<>());
                continue;
            }
            int eq = line.indexOf('=');
            if (section == null || eq <= 0) continue;
            String key = line.substring(0, eq).strip().replaceAll("[- ]", "_");
            String value = line.substring(eq + 1).strip();
            if (!value.isEmpty()) c.sections.get(section).put(key, value);
        }
        return c;
    }

    /** The text PVE writes. */
    public String write() {
        StringBuilder out = new StringBuilder();
        List<String> written = new ArrayList<>();
        for (Pattern p : ORDER) {
            for (String s : new TreeMap<>(sections).keySet()) {
                if (written.contains(s) || !p.matcher(s).matches()) continue;
                written.add(s);
                out.append('[').append(s).append("]\n");
                sections.get(s).forEach((k, v) -> out.append('\t').append(k).append(" = ").append(v).append('\n'));
                out.append('\n');
            }
        }
        return out.toString();
    }

    public boolean has(String section) { return sections.containsKey(section); }

    /** The value of {@code key} in {@code section}, or null. */
    public String get(String section, String key) {
        Map<String, String> s = sections.get(section);
        return s == null ? null : s.get(key);
    }

    /** The sections and their keys (read only views are not needed: callers change through {@link #set}). */
    public Map<String, Map<String, String>> sections() { return sections; }

    public void set(String section, String key, String value) {
        sections.computeIfAbsent(section, k -> new TreeMap<>()).put(key, value);
    }

    public void remove(String section, String key) {
        Map<String, String> s = sections.get(section);
        if (s != null) s.remove(key);
    }

    public void removeSection(String section) { sections.remove(section); }

    /** A copy with every value's {@code from} replaced by {@code to}. */
    public CephConfig replaceInValues(String from, String to) {
        CephConfig c = new CephConfig();
        sections.forEach((s, kv) -> kv.forEach((k, v) -> c.set(s, k, v.replace(from, to))));
        sections.keySet().forEach(s -> c.sections.computeIfAbsent(s, k -> new TreeMap<>()));
        return c;
    }
}
