package org.haven.node;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;

/**
 * {@code haven apicoverage}: which methods of PVE's API schema Haven has, per area, and which of PVE's parameter
 * names its methods lack. Both trees have the shape of {@code pve-api-8.4.json} ({@code haven apidump}).
 */
final class ApiCoverage {
    private ApiCoverage() {}

    /** One method of the schema: {@code "GET /nodes/{node}/qemu"} and its parameter names. */
    record Method(String key, String path, Set<String> params) {}

    /** Per area: the schema's methods, Haven's, and the methods whose parameters Haven lacks some of. */
    record Area(String name, List<String> missing, Map<String, Set<String>> missingParams, int total) {
        int present() { return total - missing.size(); }
    }

    /** The methods of a schema tree, by {@code "METHOD path"}. */
    static Map<String, Method> methods(JsonNode tree) {
        Map<String, Method> out = new TreeMap<>();
        List<JsonNode> todo = new ArrayList<>();
        tree.forEach(todo::add);
        while (!todo.isEmpty()) {
            JsonNode n = todo.remove(todo.size() - 1);
            String path = n.path("path").asString();
            for (Map.Entry<String, JsonNode> e : n.path("info").properties()) {
                Set<String> params = new TreeSet<>(e.getValue().path("parameters").path("properties").propertyNames());
                String key = e.getKey() + " " + path;
                out.put(key, new Method(key, path, params));
            }
            n.path("children").forEach(todo::add);
        }
        return out;
    }

    /** The area of a path: {@code /nodes/{node}/lxc}, {@code /cluster/ha}, {@code /access/users}, {@code /version}. */
    static String area(String path) {
        String[] s = path.substring(1).split("/");
        int depth = s[0].equals("nodes") ? 3 : 2;
        return "/" + String.join("/", java.util.Arrays.copyOf(s, Math.min(depth, s.length)));
    }

    static List<Area> compare(JsonNode pve, JsonNode haven) {
        Map<String, Method> ours = methods(haven);
        Map<String, List<Method>> byArea = new TreeMap<>();
        for (Method m : methods(pve).values()) byArea.computeIfAbsent(area(m.path()), a -> new ArrayList<>()).add(m);
        List<Area> out = new ArrayList<>();
        byArea.forEach((name, ms) -> {
            List<String> missing = new ArrayList<>();
            Map<String, Set<String>> params = new TreeMap<>();
            for (Method m : ms) {
                Method h = ours.get(m.key());
                if (h == null) { missing.add(m.key()); continue; }
                Set<String> lack = new TreeSet<>(m.params());
                lack.removeAll(h.params());
                if (!lack.isEmpty()) params.put(m.key(), lack);
            }
            out.add(new Area(name, missing, params, ms.size()));
        });
        return out;
    }

    /** Prints the table (and, when asked, the missing methods and parameters); returns the number of present methods. */
    static int print(List<Area> areas, boolean listMissing, boolean listParams, PrintStream out) {
        int total = 0, present = 0, lacking = 0;
        out.printf("%-36s %7s %7s %9s%n", "AREA", "PVE", "HAVEN", "PARAMS<>");
        for (Area a : areas) {
            out.printf("%-36s %7d %7d %9d%n", a.name(), a.total(), a.present(), a.missingParams().size());
            total += a.total();
            present += a.present();
            lacking += a.missingParams().size();
        }
        out.printf("%-36s %7d %7d %9d  (%.1f%%)%n", "total", total, present, lacking, total == 0 ? 0.0 : 100.0 * present / total);
        if (listMissing) {
            out.println();
            out.println("missing methods:");
            for (Area a : areas) for (String m : a.missing()) out.println("  " + m);
        }
        if (listParams) {
            out.println();
            out.println("methods without some of PVE's parameters:");
            for (Area a : areas) a.missingParams().forEach((m, p) -> out.println("  " + m + ": " + String.join(", ", p)));
        }
        return present;
    }
}
