package org.haven.it.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Failures collected over a whole sweep and reported at once, as a table and counted by cause. */
final class Findings {
    record Row(String cause, String method, String path, String caller, String expected, String got, String excerpt) {}

    private final List<Row> rows = new ArrayList<>();

    synchronized void add(String cause, String method, String path, String caller, String expected, String got, String excerpt) {
        rows.add(new Row(cause, method, path, caller, expected, got, excerpt));
    }

    synchronized boolean isEmpty() { return rows.isEmpty(); }

    synchronized int size() { return rows.size(); }

    /** A readable table: cause, method, path, caller, expected, got, body excerpt; with counts by cause first. */
    synchronized String table(String title) {
        Map<String, Integer> byCause = new TreeMap<>();
        for (Row r : rows) byCause.merge(r.cause(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder(title).append(": ").append(rows.size()).append(" failures\n");
        byCause.forEach((c, n) -> sb.append(String.format("  %5d  %s%n", n, c)));
        sb.append(String.format("%-22s | %-6s | %-58s | %-22s | %-24s | %-26s | %s%n", "cause", "method", "path", "caller/case", "expected", "got", "body"));
        for (Row r : rows) {
            sb.append(String.format("%-22s | %-6s | %-58s | %-22s | %-24s | %-26s | %s%n", r.cause(), r.method(), r.path(), r.caller(),
                    r.expected(), r.got(), r.excerpt()));
        }
        return sb.toString();
    }
}
