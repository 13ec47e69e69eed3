package org.haven.api.server;

import java.util.List;
import java.util.Map;
import org.haven.api.ApiMethod;
import org.haven.api.HttpMethod;
import org.haven.api.Permission;
import org.haven.core.schema.Schema;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Exports the registered API: the PVE tree shape of {@code pve-api-8.4.json} ({@code path}, {@code text},
 * {@code leaf}, {@code children}, {@code info.{METHOD}.{…}}) and an OpenAPI 3.1 document.
 */
public final class SchemaExport {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private SchemaExport() {}

    /** The whole tree, as the top-level array of {@code pve-api-8.4.json}. */
    public static ArrayNode apidump(ApiTree tree) {
        ArrayNode out = F.arrayNode();
        for (ApiTree.Node c : tree.root().children()) out.add(node(c));
        return out;
    }

    private static ObjectNode node(ApiTree.Node n) {
        ObjectNode o = F.objectNode();
        if (!n.isLeaf()) {
            ArrayNode ch = F.arrayNode();
            for (ApiTree.Node c : n.children()) ch.add(node(c));
            o.set("children", ch);
        }
        if (!n.methods().isEmpty()) {
            ObjectNode info = F.objectNode();
            for (Map.Entry<HttpMethod, ApiMethod> e : n.methods().entrySet()) info.set(e.getKey().name(), method(e.getValue()));
            o.set("info", info);
        }
        o.put("leaf", n.isLeaf() ? 1 : 0);
        o.put("path", n.path());
        o.put("text", n.segment());
        return o;
    }

    /**
     * The tree node for a concrete or template path, for the CLI: {@code path} (template), {@code text},
     * {@code leaf}, {@code info} and {@code children} as {@code {text, path, leaf, methods}}; null when unknown.
     */
    public static ObjectNode describe(ApiTree tree, String path) {
        ApiTree.Match m = tree.lookup(path);
        if (m == null) return null;
        ApiTree.Node n = m.node();
        ObjectNode o = F.objectNode();
        o.put("path", n.path().isEmpty() ? "/" : n.path());
        o.put("text", n.segment());
        o.put("leaf", n.isLeaf() ? 1 : 0);
        ObjectNode info = o.putObject("info");
        for (Map.Entry<HttpMethod, ApiMethod> e : n.methods().entrySet()) info.set(e.getKey().name(), method(e.getValue()));
        ArrayNode ch = o.putArray("children");
        for (ApiTree.Node c : n.children()) {
            ObjectNode co = ch.addObject();
            co.put("text", c.segment());
            co.put("path", c.path());
            co.put("leaf", c.isLeaf() ? 1 : 0);
            ArrayNode ms = co.putArray("methods");
            c.methods().keySet().forEach(k -> ms.add(k.name()));
        }
        return o;
    }

    /** One method's {@code info} entry. */
    public static ObjectNode method(ApiMethod m) {
        ObjectNode o = F.objectNode();
        o.put("allowtoken", m.allowtoken() ? 1 : 0);
        o.put("description", m.description());
        o.put("method", m.method().name());
        o.put("name", m.name());
        o.set("parameters", withTypetext(m.parameters().toJson()));
        o.set("permissions", permissions(m.permissions()));
        if (m.protect()) o.put("protected", 1);
        if (m.proxyto() != null) o.put("proxyto", m.proxyto());
        o.set("returns", m.returns().toJson());
        return o;
    }

    private static ObjectNode withTypetext(ObjectNode params) {
        JsonNode props = params.get("properties");
        if (props instanceof ObjectNode po)
            for (Map.Entry<String, JsonNode> e : po.properties())
                if (e.getValue() instanceof ObjectNode p && !p.has("typetext")) {
                    String t = typetext(p);
                    if (t != null) p.put("typetext", t);
                }
        return params;
    }

    /** PVE's generated typetext: {@code <integer> (1 - 10)}, {@code <boolean>}, {@code <a | b>}, {@code <string>}. */
    static String typetext(ObjectNode p) {
        String type = p.has("type") ? p.get("type").asString() : null;
        if (p.has("enum")) {
            StringBuilder sb = new StringBuilder("<");
            for (JsonNode e : p.get("enum")) { if (sb.length() > 1) sb.append(" | "); sb.append(e.asString()); }
            return sb.append('>').toString();
        }
        if (type == null) return null;
        return switch (type) {
            case "integer", "number" -> {
                String t = "<" + type + ">";
                if (p.has("minimum") && p.has("maximum")) t += " (" + p.get("minimum").asString() + " - " + p.get("maximum").asString() + ")";
                else if (p.has("minimum")) t += " (" + p.get("minimum").asString() + " - N)";
                else if (p.has("maximum")) t += " (-N - " + p.get("maximum").asString() + ")";
                yield t;
            }
            case "boolean" -> "<boolean>";
            case "string" -> "<string>";
            case "array" -> "<array>";
            default -> null;
        };
    }

    public static ObjectNode permissions(Permission p) {
        ObjectNode o = F.objectNode();
        if (p.check() != null) o.set("check", Json.MAPPER.valueToTree(p.check()));
        if (p.description() != null) o.put("description", p.description());
        if (p.user() != null) o.put("user", p.user());
        return o;
    }

    /** An OpenAPI 3.1 document of the API under {@code /api2/json}. */
    public static ObjectNode openapi(ApiTree tree, String version) {
        ObjectNode doc = F.objectNode();
        doc.put("openapi", "3.1.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Haven API (Proxmox VE compatible)");
        info.put("version", version);
        doc.putArray("servers").addObject().put("url", "/api2/json");
        ObjectNode comps = doc.putObject("components");
        ObjectNode sec = comps.putObject("securitySchemes");
        sec.putObject("ticket").put("type", "apiKey").put("in", "cookie").put("name", "PVEAuthCookie");
        sec.putObject("csrf").put("type", "apiKey").put("in", "header").put("name", "CSRFPreventionToken");
        sec.putObject("token").put("type", "apiKey").put("in", "header").put("name", "Authorization")
                .put("description", "PVEAPIToken=USER@REALM!TOKENID=SECRET");
        ObjectNode paths = doc.putObject("paths");
        for (ApiMethod m : tree.allMethods()) {
            ObjectNode pi = paths.has(m.path()) ? (ObjectNode) paths.get(m.path()) : paths.putObject(m.path());
            ObjectNode op = pi.putObject(m.method().name().toLowerCase());
            op.put("operationId", m.name() + "_" + m.method().name().toLowerCase() + m.path().replaceAll("[^A-Za-z0-9]+", "_"));
            op.put("summary", firstLine(m.description()));
            op.put("description", m.description());
            op.putArray("tags").add(m.path().split("/").length > 1 ? m.path().split("/")[1] : "root");
            ArrayNode params = op.putArray("parameters");
            List<String> pathParams = m.pathParams();
            ObjectNode body = F.objectNode().put("type", "object");
            ObjectNode bodyProps = body.putObject("properties");
            ArrayNode required = F.arrayNode();
            boolean inQuery = m.method() == HttpMethod.GET || m.method() == HttpMethod.DELETE;
            for (Map.Entry<String, Schema> e : m.parameters().properties().entrySet()) {
                boolean inPath = pathParams.contains(e.getKey());
                if (inPath || inQuery) {
                    ObjectNode p = params.addObject();
                    p.put("name", e.getKey());
                    p.put("in", inPath ? "path" : "query");
                    p.put("required", inPath || !e.getValue().isOptional());
                    if (e.getValue().description() != null) p.put("description", e.getValue().description());
                    p.set("schema", openapiSchema(e.getValue()));
                } else {
                    bodyProps.set(e.getKey(), openapiSchema(e.getValue()));
                    if (!e.getValue().isOptional()) required.add(e.getKey());
                }
            }
            if (!bodyProps.isEmpty()) {
                if (!required.isEmpty()) body.set("required", required);
                ObjectNode content = op.putObject("requestBody").putObject("content");
                content.putObject("application/json").set("schema", body);
                content.putObject("application/x-www-form-urlencoded").set("schema", body.deepCopy());
            }
            ObjectNode ok = op.putObject("responses").putObject("200");
            ok.put("description", "success");
            ObjectNode env = F.objectNode().put("type", "object");
            env.putObject("properties").set("data", openapiSchema(m.returns()));
            ok.putObject("content").putObject("application/json").set("schema", env);
            ArrayNode security = op.putArray("security");
            if (!m.permissions().isWorld()) {
                security.addObject().putArray("ticket");
                if (m.allowtoken()) security.addObject().putArray("token");
            }
        }
        return doc;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    /** Translate a PVE schema to JSON Schema 2020-12 as OpenAPI 3.1 uses it. */
    static ObjectNode openapiSchema(Schema s) {
        ObjectNode o = F.objectNode();
        if (s.type() != null) o.put("type", s.type());
        if (s.description() != null) o.put("description", s.description());
        if (s.enumValues() != null) { ArrayNode a = o.putArray("enum"); s.enumValues().forEach(a::add); }
        if (s.minimum() != null) o.put("minimum", s.minimum());
        if (s.maximum() != null) o.put("maximum", s.maximum());
        if (s.minLength() != null) o.put("minLength", s.minLength());
        if (s.maxLength() != null) o.put("maxLength", s.maxLength());
        if (s.pattern() != null) o.put("pattern", s.pattern());
        if (s.format() != null) o.put("format", s.format());
        if (s.defaultValue() != null) o.set("default", Json.MAPPER.valueToTree(s.defaultValue()));
        if (s.items() != null) o.set("items", openapiSchema(s.items()));
        if (s.hasProperties()) {
            ObjectNode p = o.putObject("properties");
            ArrayNode req = F.arrayNode();
            s.properties().forEach((k, v) -> { p.set(k, openapiSchema(v)); if (!v.isOptional()) req.add(k); });
            if (!req.isEmpty() && "object".equals(s.type())) o.set("required", req);
        }
        if (s.additionalProperties() != null) o.put("additionalProperties", s.additionalProperties());
        return o;
    }
}
