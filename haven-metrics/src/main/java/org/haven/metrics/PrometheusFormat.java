package org.haven.metrics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The metrics of {@code /cluster/metrics/export} in Prometheus' text exposition format (version 0.0.4), served at
 * {@code GET /api2/prometheus/metrics}: one family per metric name, {@code haven_<metric>} for gauges and
 * {@code haven_<metric>_total} for PVE's derived counters, labelled with the object ({@code id="qemu/100"}) and its
 * kind ({@code type="qemu"}). Families and samples are sorted; no timestamps, so the scrape time counts.
 */
public final class PrometheusFormat {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusFormat() {}

    public static String exposition(List<Map<String, Object>> metrics) {
        Map<String, String> types = new TreeMap<>();
        Map<String, Map<String, Double>> families = new TreeMap<>();
        for (Map<String, Object> m : metrics) {
            boolean counter = "derive".equals(m.get("type")) || "counter".equals(m.get("type"));
            String name = "haven_" + ((String) m.get("metric")).replaceAll("[^a-zA-Z0-9_]", "_") + (counter ? "_total" : "");
            types.put(name, counter ? "counter" : "gauge");
            String id = (String) m.get("id");
            String kind = id.contains("/") ? id.substring(0, id.indexOf('/')) : id;
            // the newest sample of an object wins (the export is sorted by time)
            families.computeIfAbsent(name, k -> new TreeMap<>())
                    .put("{id=\"" + label(id) + "\",type=\"" + label(kind) + "\"}", ((Number) m.get("value")).doubleValue());
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Map<String, Double>> f : families.entrySet()) {
            out.append("# TYPE ").append(f.getKey()).append(' ').append(types.get(f.getKey())).append('\n');
            for (Map.Entry<String, Double> s : f.getValue().entrySet())
                out.append(f.getKey()).append(s.getKey()).append(' ').append(value(s.getValue())).append('\n');
        }
        return out.toString();
    }

    private static String label(String v) { return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"); }

    static String value(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        return Values.number(v);
    }
}
