package org.haven.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * Result printing as PVE's CLI formatter does it: {@code json} (canonical, one line), {@code json-pretty}
 * (3-space indent, {@code " : "}), {@code yaml}, and {@code text}: objects as a key/value table, lists of
 * objects as a table with one column per property, scalars as is. Tables have Unicode borders on a UTF-8
 * terminal, ASCII borders otherwise, none with {@code --noborder}. Pure formatting, no I/O besides the stream.
 */
public final class Output {

    public enum Format { TEXT, JSON, JSON_PRETTY, YAML;
        public static Format parse(String s) {
            return switch (s) {
                case "text" -> TEXT;
                case "json" -> JSON;
                case "json-pretty" -> JSON_PRETTY;
                case "yaml" -> YAML;
                default -> throw new IllegalArgumentException("value '" + s + "' does not have a value in the enumeration 'json, json-pretty, text, yaml'");
            };
        }
    }

    public record Options(Format format, boolean border, boolean header, boolean utf8) {}

    private Output() {}

    /** Print {@code data} described by {@code returns} (a PVE schema node, may be null). */
    public static void print(PrintStream out, JsonNode data, JsonNode returns, List<String> columns, Options o) {
        String type = returns != null && returns.has("type") ? returns.get("type").asString() : null;
        if ("null".equals(type) && (data == null || data.isNull())) return;
        switch (o.format()) {
            case JSON -> out.println(json(data, false, 0));
            case JSON_PRETTY -> out.print(json(data, true, 0) + "\n");
            case YAML -> out.print(yaml(data));
            case TEXT -> text(out, data, returns, columns, o);
        }
    }

    static void text(PrintStream out, JsonNode data, JsonNode returns, List<String> columns, Options o) {
        if (data == null || data.isNull()) return;
        if (data.isObject()) {
            List<String> keys = columns != null ? columns : new ArrayList<>(new TreeSet<>(data.propertyNames()));
            List<Map<String, String>> rows = new ArrayList<>();
            for (String k : keys) {
                JsonNode v = data.get(k);
                if (v == null || v.isNull()) continue;
                rows.add(Map.of("key", k, "value", scalar(v)));
            }
            out.print(table(rows, List.of("key", "value"), Map.of(), o, true));
        } else if (data.isArray()) {
            if (data.isEmpty()) return;
            boolean objects = data.get(0).isObject();
            if (objects) {
                List<String> cols = columns;
                Map<String, String> titles = new TreeMap<>();
                JsonNode props = returns == null ? null : returns.path("items").get("properties");
                if (cols == null) {
                    TreeSet<String> set = new TreeSet<>();
                    if (props != null && props.isObject() && !props.isEmpty()) set.addAll(props.propertyNames());
                    else for (JsonNode item : data) set.addAll(item.propertyNames());
                    cols = new ArrayList<>(set);
                }
                if (props != null) for (String c : cols) if (props.has(c) && props.get(c).has("title")) titles.put(c, props.get(c).get("title").asString());
                List<Map<String, String>> rows = new ArrayList<>();
                for (JsonNode item : data) {
                    Map<String, String> r = new TreeMap<>();
                    for (String c : cols) { JsonNode v = item.get(c); r.put(c, v == null || v.isNull() ? "" : scalar(v)); }
                    rows.add(r);
                }
                out.print(table(rows, cols, titles, o, true));
            } else {
                List<Map<String, String>> rows = new ArrayList<>();
                for (JsonNode v : data) rows.add(Map.of("value", scalar(v)));
                out.print(table(rows, List.of("value"), Map.of(), new Options(o.format(), o.border(), false, o.utf8()), false));
            }
        } else {
            out.println(scalar(data));
        }
    }

    static String scalar(JsonNode v) {
        if (v.isString()) return v.asString();
        if (v.isBoolean()) return v.asBoolean() ? "1" : "0";
        if (v.isNumber()) return numberText(v);
        if (v.isContainer()) return json(v, false, 0);
        return v.isNull() ? "" : v.toString();
    }

    private static String numberText(JsonNode v) {
        if (v.isIntegralNumber()) return v.asString();
        double d = v.asDouble();
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return v.asString();
    }

    /** Render a table; rows sorted by the first column (numerically when all values are numbers). */
    static String table(List<Map<String, String>> rows, List<String> cols, Map<String, String> titles, Options o, boolean sort) {
        List<Map<String, String>> sorted = new ArrayList<>(rows);
        if (sort && !cols.isEmpty()) {
            String k = cols.get(0);
            boolean numeric = sorted.stream().allMatch(r -> r.getOrDefault(k, "").matches("-?\\d+(\\.\\d+)?"));
            Comparator<Map<String, String>> cmp = numeric
                    ? Comparator.comparingDouble(r -> Double.parseDouble(r.get(k)))
                    : Comparator.comparing(r -> r.getOrDefault(k, ""));
            sorted.sort(cmp);
        }
        int[] w = new int[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            w[i] = o.header() ? titles.getOrDefault(cols.get(i), cols.get(i)).length() : 0;
            for (Map<String, String> r : sorted) for (String line : r.getOrDefault(cols.get(i), "").split("\n", -1)) w[i] = Math.max(w[i], line.length());
        }
        StringBuilder sb = new StringBuilder();
        if (!o.border()) {
            if (o.header()) row(sb, cols.stream().map(c -> titles.getOrDefault(c, c)).toList(), w, "", " ", "");
            for (Map<String, String> r : sorted) row(sb, cols.stream().map(c -> r.getOrDefault(c, "")).toList(), w, "", " ", "");
            return sb.toString();
        }
        boolean u = o.utf8();
        String top = line(w, u ? "┌─" : "+-", u ? "─┬─" : "-+-", u ? "─┐" : "-+", u ? '─' : '-');
        String head = line(w, u ? "╞═" : "+=", u ? "═╪═" : "=+=", u ? "═╡" : "=+", u ? '═' : '=');
        String mid = line(w, u ? "├─" : "+-", u ? "─┼─" : "-+-", u ? "─┤" : "-+", u ? '─' : '-');
        String bottom = line(w, u ? "└─" : "+-", u ? "─┴─" : "-+-", u ? "─┘" : "-+", u ? '─' : '-');
        String l = u ? "│ " : "| ";
        String m = u ? " │ " : " | ";
        String r = u ? " │" : " |";
        sb.append(top);
        if (o.header()) {
            row(sb, cols.stream().map(c -> titles.getOrDefault(c, c)).toList(), w, l, m, r);
            sb.append(head);
        }
        for (int i = 0; i < sorted.size(); i++) {
            Map<String, String> rr = sorted.get(i);
            row(sb, cols.stream().map(c -> rr.getOrDefault(c, "")).toList(), w, l, m, r);
            sb.append(i + 1 < sorted.size() ? mid : bottom);
        }
        if (sorted.isEmpty()) sb.append(bottom);
        return sb.toString();
    }

    private static String line(int[] w, String left, String mid, String right, char fill) {
        StringBuilder sb = new StringBuilder(left);
        for (int i = 0; i < w.length; i++) {
            if (i > 0) sb.append(mid);
            sb.append(String.valueOf(fill).repeat(w[i]));
        }
        return sb.append(right).append('\n').toString();
    }

    private static void row(StringBuilder sb, List<String> cells, int[] w, String left, String mid, String right) {
        List<String[]> split = cells.stream().map(c -> c.split("\n", -1)).toList();
        int lines = split.stream().mapToInt(a -> a.length).max().orElse(1);
        for (int li = 0; li < lines; li++) {
            StringBuilder line = new StringBuilder(left);
            for (int i = 0; i < cells.size(); i++) {
                if (i > 0) line.append(mid);
                String[] parts = split.get(i);
                String t = li < parts.length ? parts[li] : "";
                line.append(t).append(" ".repeat(w[i] - t.length()));
            }
            line.append(right);
            String s = line.toString();
            if (left.isEmpty()) s = s.stripTrailing();
            sb.append(s).append('\n');
        }
    }

    /** JSON with sorted keys; pretty in the style of Perl's JSON (3-space indent, {@code " : "}). */
    public static String json(JsonNode n, boolean pretty, int indent) {
        if (n == null) return "null";
        if (n.isObject()) {
            if (n.isEmpty()) return "{}";
            StringBuilder sb = new StringBuilder("{");
            Iterator<String> it = new TreeSet<>(n.propertyNames()).iterator();
            boolean first = true;
            while (it.hasNext()) {
                String k = it.next();
                if (!first) sb.append(',');
                first = false;
                if (pretty) sb.append('\n').append("   ".repeat(indent + 1));
                sb.append(SocketClient.JSON.writeValueAsString(k)).append(pretty ? " : " : ":").append(json(n.get(k), pretty, indent + 1));
            }
            if (pretty) sb.append('\n').append("   ".repeat(indent));
            return sb.append('}').toString();
        }
        if (n.isArray()) {
            if (n.isEmpty()) return "[]";
            StringBuilder sb = new StringBuilder("[");
            boolean first = true;
            for (JsonNode x : n) {
                if (!first) sb.append(',');
                first = false;
                if (pretty) sb.append('\n').append("   ".repeat(indent + 1));
                sb.append(json(x, pretty, indent + 1));
            }
            if (pretty) sb.append('\n').append("   ".repeat(indent));
            return sb.append(']').toString();
        }
        return n.toString();
    }

    /** YAML in the style of CPAN::Meta::YAML. */
    public static String yaml(JsonNode n) {
        StringBuilder sb = new StringBuilder("---");
        if (n == null || n.isNull()) return sb.append(" ~\n").toString();
        if (!n.isContainer()) return sb.append(' ').append(yamlScalar(n)).append('\n').toString();
        if (n.isEmpty()) return sb.append(n.isArray() ? " []\n" : " {}\n").toString();
        sb.append('\n');
        yamlBlock(sb, n, 0);
        return sb.toString();
    }

    private static void yamlBlock(StringBuilder sb, JsonNode n, int indent) {
        String pad = "  ".repeat(indent);
        if (n.isObject()) {
            for (String k : new TreeSet<>(n.propertyNames())) {
                JsonNode v = n.get(k);
                sb.append(pad).append(yamlKey(k)).append(':');
                yamlValue(sb, v, indent);
            }
        } else {
            for (JsonNode v : n) {
                sb.append(pad).append('-');
                yamlValue(sb, v, indent);
            }
        }
    }

    private static void yamlValue(StringBuilder sb, JsonNode v, int indent) {
        if (v.isContainer() && !v.isEmpty()) { sb.append('\n'); yamlBlock(sb, v, indent + 1); }
        else if (v.isContainer()) sb.append(v.isArray() ? " []\n" : " {}\n");
        else sb.append(' ').append(yamlScalar(v)).append('\n');
    }

    private static String yamlKey(String k) { return k.matches("[A-Za-z0-9_./-]+") ? k : "'" + k.replace("'", "''") + "'"; }

    private static String yamlScalar(JsonNode v) {
        if (v.isNull()) return "~";
        String s = scalar(v);
        if (s.isEmpty()) return "''";
        if (v.isNumber()) return s;
        if (s.matches("[A-Za-z0-9_./@+=-][A-Za-z0-9_./@+=:, -]*") && !s.endsWith(" ") && !s.contains(": ") && !s.equals("~")) return s;
        if (s.contains("\n")) return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
        return "'" + s.replace("'", "''") + "'";
    }
}
