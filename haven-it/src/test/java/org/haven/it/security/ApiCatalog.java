package org.haven.it.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.schema.Schema;
import tools.jackson.databind.JsonNode;

/**
 * The methods a running node serves, read from the node itself: its tree is walked through
 * {@code /api2/haven/schema} (the same {@code info} entries as {@code haven apidump}), so the sweeps cover
 * every {@code ApiMethod} registered in the daemon's {@code ApiTree}, including modules only the daemon loads.
 */
final class ApiCatalog {
    private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z0-9_-]+)\\}");

    /** One method: its template path, HTTP method and exported {@code info} entry. */
    record Method(String path, String http, JsonNode info, Schema parameters) {
        String key() { return http + " " + path; }
        JsonNode permissions() { return info.path("permissions"); }
        JsonNode check() { return permissions().get("check"); }
        boolean isWorld() { return "world".equals(permissions().path("user").asString("")); }
        /** Declared root-only: the {@code __root__} check ({@code Permission.rootOnly()}). */
        boolean isRootOnly() { return check() != null && check().toString().contains("\"__root__\""); }
        boolean allowToken() { return info.path("allowtoken").asInt(1) != 0; }
        boolean isGet() { return http.equals("GET"); }
        List<String> pathParams() {
            List<String> out = new ArrayList<>();
            Matcher m = PARAM.matcher(path);
            while (m.find()) out.add(m.group(1));
            return out;
        }
        Map<String, Schema> params() { return parameters.properties(); }
    }

    /** A GET of a Haven extension path (not under {@code /api2/json}); returns the parsed body. */
    interface Fetch { JsonNode get(String extensionPath) throws Exception; }

    private ApiCatalog() {}

    /** Every method of the node's tree, in tree order. */
    static List<Method> load(Fetch fetch) throws Exception {
        List<Method> out = new ArrayList<>();
        walk(fetch, "/", out);
        return out;
    }

    private static void walk(Fetch fetch, String path, List<Method> out) throws Exception {
        JsonNode n = fetch.get("/api2/haven/schema?path=" + java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8)).path("data");
        if (!n.isObject()) throw new IllegalStateException("no schema for " + path + ": " + n);
        for (Map.Entry<String, JsonNode> e : n.path("info").properties()) {
            JsonNode params = e.getValue().path("parameters");
            out.add(new Method(path, e.getKey(), e.getValue(), Schema.fromJson(params.isObject() ? params : org.haven.it.HavenNode.JSON.createObjectNode())));
        }
        for (JsonNode c : n.path("children")) walk(fetch, c.path("path").asString(), out);
    }
}
