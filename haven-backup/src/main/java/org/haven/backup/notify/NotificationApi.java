package org.haven.backup.notify;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.backup.jobs.BackupJobs;
import org.haven.core.schema.Schema;

/**
 * {@code /cluster/notifications}: CRUD of the sendmail, smtp, gotify and webhook endpoints and of the matchers in
 * {@code notifications.cfg} (secrets in {@code priv/notifications.cfg}), the target list, the test endpoint and the
 * known matcher fields, with PVE's permissions on {@code /mapping/notifications}, digests and messages.
 */
public final class NotificationApi implements ApiModule {
    static final String ACL = "/mapping/notifications";

    /** One property of a section type: its schema, whether it repeats, whether it lives in the private file. */
    record Prop(String key, Schema schema, boolean array, boolean secret, boolean required) {}

    private NodeContext ctx;

    @Override public String name() { return "notifications"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        reg.addAll(methods());
    }

    static Prop str(String k, String d) { return new Prop(k, Schema.string().description(d), false, false, false); }
    static Prop arr(String k, String d) { return new Prop(k, Schema.array(Schema.string()).description(d), true, false, false); }

    static final Prop COMMENT = str("comment", "Comment");
    static final Prop DISABLE = new Prop("disable", Schema.bool().defaultValue(0).description("Disable this target"), false, false, false);
    static final List<Prop> MAIL = List.of(arr("mailto", "List of email recipients"), arr("mailto-user", "List of users"), str("author", "Author of the mail"));

    /** The properties of each section type, as PVE's API lists them. */
    static final Map<String, List<Prop>> PROPS = Map.of(
            "sendmail", concat(MAIL, List.of(str("from-address", "`From` address for the mail"), COMMENT, DISABLE)),
            "smtp", concat(MAIL, List.of(new Prop("from-address", Schema.string().description("`From` address for the mail"), false, false, true),
                    new Prop("server", Schema.string().description("The address of the SMTP server."), false, false, true),
                    new Prop("port", Schema.integer().description("The port to be used. Defaults to 465 for TLS based connections, 587 for STARTTLS based connections and port 25 for insecure plain-text connections."), false, false, false),
                    new Prop("mode", Schema.string().enumValues("insecure", "starttls", "tls").defaultValue("tls").description("Determine which encryption method shall be used for the connection."), false, false, false),
                    str("username", "Username for SMTP authentication"),
                    new Prop("password", Schema.string().description("Password for SMTP authentication"), false, true, false), COMMENT, DISABLE)),
            "gotify", List.of(new Prop("server", Schema.string().description("Server URL"), false, false, true),
                    new Prop("token", Schema.string().description("Secret token"), false, true, true), COMMENT, DISABLE),
            "webhook", List.of(new Prop("url", Schema.string().description("Server URL"), false, false, true),
                    new Prop("method", Schema.string().enumValues("post", "put", "get").description("HTTP method"), false, false, true),
                    arr("header", "HTTP headers to set. These have to be formatted as a property string in the format name=<name>,value=<base64 of value>"),
                    str("body", "HTTP body, base64 encoded"),
                    new Prop("secret", Schema.array(Schema.string()).description("Secrets to set. These have to be formatted as a property string in the format name=<name>,value=<base64 of value>"), true, true, false),
                    COMMENT, DISABLE),
            NotifyConfig.MATCHER, List.of(arr("match-field", "Metadata fields to match (regex or exact match). Must be in the form (regex|exact):<field>=<value>"),
                    arr("match-severity", "Notification severities to match"), arr("match-calendar", "Match notification timestamp"),
                    arr("target", "Targets to notify on match"),
                    new Prop("mode", Schema.string().enumValues("all", "any").defaultValue("all").description("Choose between 'all' and 'any' for when multiple properties are specified"), false, false, false),
                    new Prop("invert-match", Schema.bool().description("Invert match of the whole matcher"), false, false, false),
                    COMMENT, new Prop("disable", Schema.bool().defaultValue(0).description("Disable this matcher"), false, false, false)));

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    // ---- permissions ----
    static Permission perm(String priv) { return Permission.perm(ACL, priv); }
    static final Permission READ = Permission.or(perm("Mapping.Modify"), perm("Mapping.Audit"));
    static final Permission USE = Permission.check("or", perm("Mapping.Modify").check(), perm("Mapping.Audit").check(), perm("Mapping.Use").check());
    static final Permission WRITE = Permission.and(perm("Mapping.Modify"), Permission.or(Permission.perm("/", "Sys.Audit", "Sys.Modify"), Permission.perm("/", "Sys.AccessNetwork")));

    // ---- config access ----
    NotifyConfig read() {
        return NotifyConfig.parse(ctx.cfs().readString(NotifyConfig.PATH).orElse(""), ctx.cfs().readString(NotifyConfig.PRIV_PATH).orElse(""));
    }

    <T> T modify(String digest, Function<NotifyConfig, T> change) {
        return ctx.cfs().withLock("file-notifications_cfg", Duration.ofSeconds(10), () -> {
            NotifyConfig cfg = read();
            if (digest != null && !digest.isEmpty() && !digest.equalsIgnoreCase(cfg.digest()))
                throw new ApiException(400, "detected modified configuration - file changed by other user? Try again.");
            T r = change.apply(cfg);
            ctx.cfs().writeString(NotifyConfig.PATH, cfg.text());
            ctx.cfs().writeString(NotifyConfig.PRIV_PATH, cfg.privText());
            return r;
        });
    }

    /** The API view of a section: public properties, secrets shown by name only (webhook) or not at all. */
    static Map<String, Object> view(NotifyConfig cfg, NotifyConfig.Section s, boolean withDigest) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", s.name());
        for (Prop p : PROPS.get(s.type())) {
            if (p.secret()) {
                if (p.key().equals("secret")) cfg.secret(s.name()).ifPresent(sec -> {
                    List<String> names = sec.all("secret").stream().map(v -> "name=" + Targets.KeyValue.parse(v).name()).toList();
                    if (!names.isEmpty()) out.put("secret", names);
                });
                continue;
            }
            List<String> vs = s.all(p.key());
            if (vs.isEmpty()) continue;
            String type = p.schema().toJson().get("type").asString();
            if (p.array()) out.put(p.key(), List.copyOf(vs));
            else if (type.equals("boolean")) out.put(p.key(), NotifyConfig.truthy(vs.getFirst()) ? 1L : 0L);
            else if (type.equals("integer")) out.put(p.key(), Long.parseLong(vs.getFirst()));
            else out.put(p.key(), vs.getFirst());
        }
        if (withDigest) out.put("digest", cfg.digest());
        else out.put("origin", cfg.origin(s.name()));
        return out;
    }

    /** Applies API parameters to {@code s} (public) and {@code secret} (private). */
    static void apply(String type, Params p, NotifyConfig.Section s, NotifyConfig.Section secret) {
        for (Prop prop : PROPS.get(type)) {
            if (!p.has(prop.key())) continue;
            NotifyConfig.Section target = prop.secret() ? secret : s;
            if (prop.array()) {
                List<String> values = new ArrayList<>();
                for (Object o : p.list(prop.key())) values.add(o.toString());
                if (prop.key().equals("secret")) values = mergeSecrets(values, secret.all("secret"));
                target.set(prop.key(), values);
            } else {
                Object v = p.get(prop.key());
                target.set(prop.key(), v instanceof Boolean b ? (b ? "true" : "false") : v.toString());
            }
        }
    }

    /** A webhook secret given by name only keeps its stored value. */
    static List<String> mergeSecrets(List<String> given, List<String> stored) {
        List<String> out = new ArrayList<>();
        for (String g : given) {
            if (g.contains("value=")) { Targets.KeyValue.parse(g); out.add(g); continue; }
            String name = g.replaceFirst("^name=", "").strip();
            String kept = stored.stream().filter(s -> Targets.KeyValue.parse(s).name().equals(name)).findFirst()
                    .orElseThrow(() -> ApiException.param("secret", "secret '" + name + "' has no value"));
            out.add(kept);
        }
        return out;
    }

    /** Applies the parameters to the section and its secrets, checks the result and puts both into {@code cfg}. */
    static void store(NotifyConfig cfg, Params p, NotifyConfig.Section s, NotifyConfig.Section secret) {
        apply(s.type(), p, s, secret);
        check(cfg, s, secret);
        cfg.put(s);
        cfg.putSecret(secret);
    }

    /** Checks a section as it will be stored; throws PVE's messages. */
    static void check(NotifyConfig cfg, NotifyConfig.Section s, NotifyConfig.Section secret) {
        try {
            switch (s.type()) {
                case "sendmail", "smtp" -> {
                    if (s.all("mailto").isEmpty() && s.all("mailto-user").isEmpty())
                        throw new ApiException(400, "must at least provide one recipient, either in mailto or in mailto-user");
                }
                case "webhook" -> {
                    for (String h : s.all("header")) Targets.KeyValue.parse(h);
                    for (String h : secret.all("secret")) Targets.KeyValue.parse(h);
                    s.get("body").ifPresent(Targets::decode);
                }
                case NotifyConfig.MATCHER -> {
                    Matchers.check(s);
                    for (String t : s.all("target"))
                        if (cfg.target(t).isEmpty())
                            throw new ApiException(404, "endpoint '" + t + "' does not exist");
                }
                default -> { }
            }
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
    }

    static String what(String type) { return type.equals(NotifyConfig.MATCHER) ? "matcher" : "endpoint"; }

    NotifyConfig.Section find(NotifyConfig cfg, String type, String name) {
        return cfg.find(name).filter(s -> s.type().equals(type))
                .orElseThrow(() -> ApiException.notFound(what(type) + " '" + name + "' not found"));
    }

    List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        Schema nameSchema = Schema.string().format("pve-configid");
        m.add(ApiMethod.get("/cluster/notifications").name("index").description("Index for notification-related API endpoints.")
                .returns(Schema.array(Schema.object())).permissions(Permission.all())
                .handler((p, rc) -> names("endpoints", "matcher-fields", "matcher-field-values", "matchers", "targets")).build());
        m.add(ApiMethod.get("/cluster/notifications/endpoints").name("endpoints_index").description("Index for all available endpoint types.")
                .returns(Schema.array(Schema.object())).permissions(Permission.all())
                .handler((p, rc) -> names("gotify", "sendmail", "smtp", "webhook")).build());
        for (String type : List.of("sendmail", "smtp", "gotify", "webhook", NotifyConfig.MATCHER)) {
            boolean matcher = type.equals(NotifyConfig.MATCHER);
            String base = matcher ? "/cluster/notifications/matchers" : "/cluster/notifications/endpoints/" + type;
            String label = matcher ? "matcher" : type + " endpoint";
            Permission list = matcher ? USE : type.equals("gotify") || type.equals("webhook") ? perm("Mapping.Audit") : READ;
            Permission write = matcher ? perm("Mapping.Modify") : WRITE;
            m.add(ApiMethod.get(base).name(matcher ? "get_matchers" : "get_" + type + "_endpoints")
                    .description("Returns a list of all " + (matcher ? "matchers" : type + " endpoints"))
                    .returns(Schema.array(Schema.object())).permissions(list).protect()
                    .handler((p, rc) -> {
                        NotifyConfig cfg = read();
                        return cfg.effective().stream().filter(s -> s.type().equals(type)).map(s -> view(cfg, s, false)).toList();
                    }).build());
            m.add(ApiMethod.get(base + "/{name}").name(matcher ? "get_matcher" : "get_" + type + "_endpoint").description("Return a specific " + label)
                    .param("name", nameSchema.copy())
                    .returns(Schema.object()).permissions(READ).protect()
                    .handler((p, rc) -> {
                        NotifyConfig cfg = read();
                        return view(cfg, find(cfg, type, p.str("name")), true);
                    }).build());
            ApiMethod.Builder create = ApiMethod.post(base).name(matcher ? "create_matcher" : "create_" + type + "_endpoint").description("Create a new " + label)
                    .param("name", nameSchema.copy().description("The name of the " + (matcher ? "matcher" : "endpoint") + "."));
            ApiMethod.Builder update = ApiMethod.put(base + "/{name}").name(matcher ? "update_matcher" : "update_" + type + "_endpoint").description("Update existing " + label)
                    .param("name", nameSchema.copy())
                    .param("delete", Schema.array(Schema.string().format("pve-configid")).optional().description("A list of settings you want to delete."))
                    .param("digest", Schema.string().maxLength(64).optional().description("Prevent changes if current configuration file has a different digest. This can be used to prevent concurrent modifications."));
            for (Prop prop : PROPS.get(type)) {
                create.param(prop.key(), prop.schema().copy().optional(!prop.required()));
                update.param(prop.key(), prop.schema().copy().optional());
            }
            m.add(create.returns(Schema.nullType()).permissions(write).protect().handler((p, rc) -> {
                String name = p.str("name");
                return modify(null, cfg -> {
                    if (cfg.find(name).isPresent()) throw new ApiException(400, "Cannot create '" + name + "', an entity with the same name already exists");
                    NotifyConfig.Section s = new NotifyConfig.Section(type, name), secret = new NotifyConfig.Section(type, name);
                    store(cfg, p, s, secret);
                    return null;
                });
            }).build());
            m.add(update.returns(Schema.nullType()).permissions(write).protect().handler((p, rc) -> {
                String name = p.str("name");
                return modify(p.str("digest", null), cfg -> {
                    NotifyConfig.Section s = find(cfg, type, name).copy();
                    NotifyConfig.Section secret = cfg.secret(name).map(NotifyConfig.Section::copy).orElseGet(() -> new NotifyConfig.Section(type, name));
                    if (p.has("delete")) for (Object d : p.list("delete")) {
                        String k = d.toString();
                        if (PROPS.get(type).stream().noneMatch(x -> x.key().equals(k) && !x.required()))
                            throw ApiException.param("delete", "cannot delete property '" + k + "'");
                        s.remove(k);
                        secret.remove(k);
                    }
                    store(cfg, p, s, secret);
                    return null;
                });
            }).build());
            m.add(ApiMethod.delete(base + "/{name}").name(matcher ? "delete_matcher" : "delete_" + type + "_endpoint").description("Remove " + label)
                    .param("name", nameSchema.copy())
                    .returns(Schema.nullType()).permissions(perm("Mapping.Modify")).protect().handler((p, rc) -> {
                        String name = p.str("name");
                        return modify(null, cfg -> {
                            find(cfg, type, name);
                            if (!matcher) {
                                List<String> refs = cfg.effective().stream().filter(s -> s.type().equals(NotifyConfig.MATCHER) && s.all("target").contains(name)).map(NotifyConfig.Section::name).toList();
                                if (!refs.isEmpty()) throw new ApiException(400, "cannot delete '" + name + "', referenced by: " + String.join(", ", refs));
                            }
                            if (!cfg.remove(name)) throw new ApiException(400, "cannot delete built-in " + what(type) + " '" + name + "'");
                            return null;
                        });
                    }).build());
        }
        m.add(ApiMethod.get("/cluster/notifications/targets").name("get_all_targets").description("Returns a list of all entities that can be used as notification targets.")
                .returns(Schema.array(Schema.object())).permissions(USE).protect()
                .handler((p, rc) -> {
                    NotifyConfig cfg = read();
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (NotifyConfig.Section s : cfg.effective()) {
                        if (!NotifyConfig.TARGET_TYPES.contains(s.type())) continue;
                        Map<String, Object> t = new LinkedHashMap<>();
                        t.put("name", s.name());
                        t.put("type", s.type());
                        s.get("comment").ifPresent(c -> t.put("comment", c));
                        t.put("disable", s.flag("disable") ? 1L : 0L);
                        t.put("origin", cfg.origin(s.name()));
                        out.add(t);
                    }
                    return out;
                }).build());
        m.add(ApiMethod.post("/cluster/notifications/targets/{name}/test").name("test_target").description("Send a test notification to a provided target.")
                .param("name", nameSchema.copy().description("Name of the target."))
                .returns(Schema.nullType()).permissions(USE).protect()
                .handler((p, rc) -> {
                    String name = p.str("name");
                    NotifyConfig cfg = read();
                    if (cfg.target(name).isEmpty()) throw ApiException.notFound("target '" + name + "' does not exist");
                    try {
                        Notifier.of(ctx.cfs(), ctx.nodeName(), ZoneId.systemDefault()).send(cfg, name, Notification.test(name, ctx.clock().epochSeconds()));
                    } catch (Exception e) {
                        throw new ApiException(500, "could not notify via target(s): " + name + ": " + e.getMessage());
                    }
                    return null;
                }).build());
        m.add(ApiMethod.get("/cluster/notifications/matcher-fields").name("get_matcher_fields").description("Returns known notification metadata fields")
                .returns(Schema.array(Schema.object())).permissions(READ)
                .handler((p, rc) -> fieldValues().stream().map(v -> v.get("field")).distinct().map(f -> Map.of("name", f)).toList()).build());
        m.add(ApiMethod.get("/cluster/notifications/matcher-field-values").name("get_matcher_field_values")
                .description("Returns known notification metadata fields and their known values")
                .returns(Schema.array(Schema.object())).permissions(READ).protect()
                .handler((p, rc) -> fieldValues()).build());
        return m;
    }

    static List<Map<String, String>> names(String... names) {
        return java.util.Arrays.stream(names).map(n -> Map.of("name", n)).toList();
    }

    /** The values the system knows for the matcher fields: notification types, cluster nodes, backup job ids. */
    List<Map<String, Object>> fieldValues() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String t : List.of("fencing", "package-updates", "replication", "system-mail", "vzdump"))
            out.add(Map.of("field", "type", "value", t));
        java.util.TreeSet<String> nodes = new java.util.TreeSet<>(List.of(ctx.nodeName()));
        try {
            ctx.cfs().list("nodes").stream().filter(e -> e.directory()).forEach(e -> nodes.add(e.name()));
        } catch (RuntimeException e) {
            // no node directory yet: this node only
        }
        for (String n : nodes) out.add(Map.of("field", "hostname", "value", n));
        new BackupJobs(ctx.cfs()).list().forEach((id, job) -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("field", "job-id");
            v.put("value", id);
            if (job.containsKey("comment")) v.put("comment", job.get("comment"));
            out.add(v);
        });
        return out;
    }
}
