package org.haven.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.haven.core.format.SectionConfig;

/**
 * PVE's {@code status.cfg}: the external metric servers as section config, one {@code graphite: <id>} or
 * {@code influxdb: <id>} section each. A header without an ID ({@code graphite:}, the form of PVE 4 to 6) names the
 * section after its type. The checks are PVE's {@code check_config} and the update rules of
 * {@code PUT /cluster/metrics/server/{id}}. Pure: text in, text out.
 */
public final class StatusConfig {
    public static final String FILE = "status.cfg";

    /** The options each plugin type accepts, and whether each is required (PVE's {@code options}). */
    static final Map<String, Map<String, Boolean>> OPTIONS = Map.of(
            "graphite", options("server", "!", "port", "", "mtu", "", "proto", "", "path", "", "timeout", "", "disable", ""),
            "influxdb", options("server", "!", "port", "!", "mtu", "", "disable", "", "organization", "", "bucket", "",
                    "token", "", "influxdbproto", "", "timeout", "", "max-body-size", "", "api-path-prefix", "",
                    "verify-certificate", ""));

    /** Options kept outside {@code status.cfg} ({@code priv/metricserver/<id>.pw}), as PVE keeps the InfluxDB token. */
    public static final Set<String> SENSITIVE = Set.of("token");

    private static final Pattern BARE_HEADER = Pattern.compile("^(graphite|influxdb):\\s*$");

    private StatusConfig() {}

    private static Map<String, Boolean> options(String... kv) {
        Map<String, Boolean> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1].equals("!"));
        return m;
    }

    /** Parses {@code status.cfg}; an ID-less header gets its type as ID. */
    public static SectionConfig.Document parse(String text) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            var m = BARE_HEADER.matcher(lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i]);
            if (m.matches()) lines[i] = m.group(1) + ": " + m.group(1);
        }
        return SectionConfig.parse(String.join("\n", lines));
    }

    public static String write(SectionConfig.Document doc) { return SectionConfig.write(doc); }

    /**
     * PVE's {@code check_config}: every key must be an option of {@code type}; on create the required ones must
     * be there. Returns the values to store, in the order given, without the sensitive ones.
     */
    public static Map<String, String> check(String type, Map<String, String> values, boolean create) {
        Map<String, Boolean> opts = OPTIONS.get(type);
        if (opts == null) throw new IllegalArgumentException("unknown section type '" + type + "'");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (!opts.containsKey(e.getKey())) throw new IllegalArgumentException("unexpected property '" + e.getKey() + "'");
            if (!SENSITIVE.contains(e.getKey())) out.put(e.getKey(), e.getValue());
        }
        if (create) {
            for (Map.Entry<String, Boolean> o : opts.entrySet())
                if (o.getValue() && !values.containsKey(o.getKey())) throw new IllegalArgumentException("missing value for required option '" + o.getKey() + "'");
        }
        return out;
    }

    /** Adds server {@code id}, its properties in PVE's order (the required ones, then the others, each sorted); fails when it exists. */
    public static void create(SectionConfig.Document doc, String id, String type, Map<String, String> values) {
        if (doc.find(id).isPresent()) throw new IllegalArgumentException("Metric server '" + id + "' already exists");
        SectionConfig.Section s = new SectionConfig.Section(type, id);
        Map<String, String> checked = new TreeMap<>(check(type, values, true));
        Map<String, Boolean> opts = OPTIONS.get(type);
        checked.forEach((k, v) -> { if (opts.get(k)) s.set(k, v); });
        checked.forEach((k, v) -> { if (!opts.get(k)) s.set(k, v); });
        doc.add(s);
    }

    /**
     * Sets {@code values} on server {@code id} and removes the options in {@code delete}, with PVE's messages for
     * an unknown server, an unknown or required option, and an option both set and deleted.
     */
    public static void update(SectionConfig.Document doc, String id, Map<String, String> values, List<String> delete) {
        SectionConfig.Section s = section(doc, id);
        Map<String, String> set = check(s.type(), values, false);
        Map<String, Boolean> opts = OPTIONS.get(s.type());
        for (String k : delete) {
            Boolean required = opts.get(k);
            if (required == null) throw new IllegalArgumentException("no such option '" + k + "'");
            if (required) throw new IllegalArgumentException("unable to delete required option '" + k + "'");
            if (values.containsKey(k)) throw new IllegalArgumentException("cannot set and delete property '" + k + "' at the same time!");
        }
        set.forEach(s::set);
        for (String k : delete) s.remove(k);
    }

    /** The section of server {@code id}; "no such server" otherwise. */
    public static SectionConfig.Section section(SectionConfig.Document doc, String id) {
        return doc.find(id).orElseThrow(() -> new IllegalArgumentException("no such server '" + id + "'"));
    }

    /** Every server of the file with its defaults filled in, tokens from {@code tokens} (by ID). */
    public static List<MetricServer> servers(SectionConfig.Document doc, java.util.function.Function<String, String> tokens) {
        List<MetricServer> out = new ArrayList<>();
        for (SectionConfig.Section s : doc.sections()) {
            if (!OPTIONS.containsKey(s.type())) continue;
            out.add(MetricServer.of(s, tokens.apply(s.id())));
        }
        return out;
    }
}
