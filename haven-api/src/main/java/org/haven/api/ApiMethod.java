package org.haven.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.schema.Schema;

/**
 * One API method, declared once: the router, validation, permission check, index listings, schema export
 * ({@code haven apidump}, {@code /api2/openapi.json}) and the CLI tools all derive from it.
 *
 * <pre>{@code
 * ApiMethod.get("/nodes/{node}/qemu")
 *     .name("vmlist").description("Virtual machine index (per node).")
 *     .param("node", StandardOptions.node())
 *     .param("full", Schema.bool().optional().description("Determine the full status of active VMs."))
 *     .returns(Schema.array(Schema.object().property("vmid", StandardOptions.vmid())))
 *     .permissions(Permission.all("Only list VMs where you have VM.Audit permissions on /vms/<vmid>."))
 *     .proxyto("node")
 *     .handler((p, rc) -> list(p.str("node"), p.bool("full", false), rc))
 *     .build();
 * }</pre>
 *
 * @param path        PVE path with {@code {param}} segments, starting with '/' (without {@code /api2/json})
 * @param method      HTTP method
 * @param name        PVE's method name (e.g. {@code vmlist}, {@code create_vm}); used by the CLI and exports
 * @param description what it does
 * @param parameters  object schema of all parameters, path parameters included
 * @param returns     schema of the {@code data} in the response
 * @param permissions permission requirement
 * @param proxyto     name of the parameter holding the node that must execute the call (PVE's proxyto), or null
 * @param protect     PVE's {@code protected}: in PVE the call runs in the privileged daemon; here it marks
 *                    methods that need root on the host (exported as {@code protected: 1})
 * @param allowtoken  whether API tokens may call it (PVE default: yes)
 * @param handler     the code
 */
public record ApiMethod(String path, HttpMethod method, String name, String description, Schema parameters,
                        Schema returns, Permission permissions, String proxyto, boolean protect, boolean allowtoken,
                        Handler handler) {

    private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z0-9_-]+)\\}");

    public ApiMethod {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(handler, "handler of " + method + " " + path);
        if (!path.startsWith("/")) throw new IllegalArgumentException("path must start with '/': " + path);
    }

    /** Names of the {@code {param}} segments of the path, in order. */
    public List<String> pathParams() {
        List<String> out = new ArrayList<>();
        Matcher m = PARAM.matcher(path);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    public static Builder get(String path) { return new Builder(path, HttpMethod.GET); }
    public static Builder post(String path) { return new Builder(path, HttpMethod.POST); }
    public static Builder put(String path) { return new Builder(path, HttpMethod.PUT); }
    public static Builder delete(String path) { return new Builder(path, HttpMethod.DELETE); }
    public static Builder of(HttpMethod method, String path) { return new Builder(path, method); }

    public static final class Builder {
        private final String path;
        private final HttpMethod method;
        private String name;
        private String description;
        private final Schema parameters = Schema.object().additionalProperties(false);
        private Schema returns = Schema.nullType();
        private Permission permissions;
        private String proxyto;
        private boolean protect;
        private boolean allowtoken = true;
        private Handler handler;

        private Builder(String path, HttpMethod method) { this.path = path; this.method = method; }

        public Builder name(String n) { this.name = n; return this; }
        public Builder description(String d) { this.description = d; return this; }
        /** Add a parameter (keep PVE's name and type). */
        public Builder param(String n, Schema s) { parameters.property(n, s); return this; }
        /** Allow parameters not declared (rare in PVE: e.g. {@code pvesh} passthrough). */
        public Builder additionalParams() { parameters.additionalProperties(true); return this; }
        public Builder returns(Schema r) { this.returns = r; return this; }
        public Builder permissions(Permission p) { this.permissions = p; return this; }
        public Builder proxyto(String param) { this.proxyto = param; return this; }
        public Builder protect() { this.protect = true; return this; }
        public Builder allowtoken(boolean a) { this.allowtoken = a; return this; }
        public Builder handler(Handler h) { this.handler = h; return this; }

        public ApiMethod build() {
            String n = name != null ? name : method.name().toLowerCase() + path.replaceAll("[^A-Za-z0-9]+", "_");
            ApiMethod m = new ApiMethod(path, method, n, description == null ? "" : description, parameters, returns,
                    permissions == null ? Permission.rootOnly() : permissions, proxyto, protect, allowtoken, handler);
            for (String p : m.pathParams())
                if (!parameters.properties().containsKey(p)) parameters.property(p, Schema.string());
            return m;
        }
    }
}
