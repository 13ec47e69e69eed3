package org.haven.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.haven.core.schema.Schema;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * API methods declared from an extract of PVE's schema: a JSON object keyed {@code "METHOD /path"} with PVE's
 * {@code name}, {@code parameters}, {@code returns}, {@code permissions}, {@code proxyto} and {@code protected}.
 * The module gives the handler and its own descriptions.
 */
public final class SpecMethods {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final JsonNode spec;
    private final Map<String, String> paramDescriptions;

    public SpecMethods(JsonNode spec, Map<String, String> paramDescriptions) {
        this.spec = spec;
        this.paramDescriptions = paramDescriptions;
    }

    /** The extract in resource {@code name} beside {@code owner}. */
    public static SpecMethods load(Class<?> owner, String name, Map<String, String> paramDescriptions) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("no resource " + name + " beside " + owner.getName());
            return new SpecMethods(JSON.readTree(in), paramDescriptions);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The return schema PVE declares for {@code method path}. */
    public Schema returns(String method, String path) {
        JsonNode m = spec.get(method + " " + path);
        if (m == null) throw new IllegalStateException("no schema for " + method + " " + path);
        return Schema.fromJson(m.path("returns"));
    }

    /** Declare {@code method path} with PVE's parameters, returns and permissions, and register it. */
    public void add(ApiRegistry reg, String method, String path, String description, Handler h) {
        JsonNode m = spec.get(method + " " + path);
        if (m == null) throw new IllegalStateException("no schema for " + method + " " + path);
        ApiMethod.Builder b = ApiMethod.of(HttpMethod.valueOf(method), path).name(m.path("name").asString()).description(description);
        for (Map.Entry<String, JsonNode> e : m.path("parameters").path("properties").properties()) {
            Schema s = Schema.fromJson(e.getValue());
            b.param(e.getKey(), s.description(paramDescriptions.getOrDefault(e.getKey(), e.getKey())));
        }
        if (m.has("returns")) b.returns(Schema.fromJson(m.get("returns")));
        JsonNode perm = m.path("permissions");
        String descr = perm.has("description") ? perm.get("description").asString() : null;
        String user = perm.has("user") ? perm.get("user").asString() : null;
        @SuppressWarnings("unchecked")
        List<Object> check = perm.has("check") ? (List<Object>) JSON.convertValue(perm.get("check"), List.class) : null;
        // a method that declares no permissions is root's (PVE's check_api2_permissions)
        b.permissions(user == null && check == null ? Permission.rootOnly() : new Permission(descr, user, check));
        if (m.hasNonNull("proxyto")) b.proxyto(m.get("proxyto").asString());
        if (m.path("protected").asInt(0) == 1) b.protect();
        reg.add(b.handler(h).build());
    }
}
