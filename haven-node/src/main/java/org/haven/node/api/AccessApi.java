package org.haven.node.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.haven.access.AccessControl;
import org.haven.access.AuthenticationException;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.api.server.ApiTree;
import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /access} index, login ({@code /access/ticket}) and {@code /access/permissions}. */
public final class AccessApi implements ApiModule {
    private static final Logger LOG = LoggerFactory.getLogger(AccessApi.class);

    private final AccessControl ac;
    private final ApiTree tree;
    private NodeContext ctx;

    /** Login and permissions with the node's access control; {@code tree} (the node's methods) lists the index of {@code /access}. */
    public AccessApi(AccessControl ac, ApiTree tree) {
        this.ac = ac;
        this.tree = tree;
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;

        reg.add(ApiMethod.get("/access").name("index").description("Directory index.")
                .returns(Schema.array(Schema.object().property("subdir", Schema.string()))
                        .attr("links", List.of(Map.of("href", "{subdir}", "rel", "child"))))
                .permissions(Permission.all())
                .handler((p, rc) -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    ApiTree.Match m = tree.lookup("/access");
                    if (m != null) for (ApiTree.Node c : m.node().children()) if (!c.isParam()) out.add(Map.of("subdir", c.segment()));
                    return out;
                }).build());

        reg.add(ApiMethod.get("/access/ticket").name("get_ticket")
                .description("Dummy. Useful for formatters which want to provide a login page.")
                .permissions(Permission.world())
                .handler((p, rc) -> null).build());

        reg.add(ApiMethod.post("/access/ticket").name("create_ticket")
                .description("Create or verify authentication ticket.")
                .param("username", Schema.string().maxLength(64).description("User name"))
                .param("realm", Schema.string().format("pve-realm").maxLength(32).optional()
                        .description("You can optionally pass the realm using this parameter. Normally the realm is simply added to the username <username>@<realm>."))
                .param("password", Schema.string().description("The secret password. This can also be a valid ticket."))
                .param("otp", Schema.string().optional().description("One-time password for Two-factor authentication."))
                .param("path", Schema.string().maxLength(64).optional().requires("privs")
                        .description("Verify ticket, and check if user have access 'privs' on 'path'"))
                .param("privs", Schema.string().format("pve-priv-list").maxLength(64).optional().requires("path")
                        .description("Verify ticket, and check if user have access 'privs' on 'path'"))
                .param("new-format", Schema.bool().defaultValue(1).optional().description("This parameter is now ignored and assumed to be 1."))
                .param("tfa-challenge", Schema.string().optional().description("The signed TFA challenge string the user wants to respond to."))
                .returns(Schema.object()
                        .property("username", Schema.string())
                        .property("ticket", Schema.string().optional())
                        .property("CSRFPreventionToken", Schema.string().optional())
                        .property("clustername", Schema.string().optional()))
                .permissions(Permission.world().withDescription("You need to pass valid credientials."))
                .protect().allowtoken(false)
                .handler(this::createTicket).build());

        reg.add(ApiMethod.get("/access/permissions").name("permissions")
                .description("Retrieve effective permissions of given user/token.")
                .param("userid", Schema.string().optional().pattern("[^\\s:/]+@[A-Za-z][A-Za-z0-9.\\-_]+(?:![A-Za-z][A-Za-z0-9.\\-_]+)?")
                        .description("User ID or full API token ID"))
                .param("path", Schema.string().optional().description("Only dump this specific path, not the whole tree."))
                .returns(Schema.object().description("Map of \"path\" => (Map of \"privilege\" => \"propagate boolean\")."))
                .permissions(Permission.all("Each user/token is allowed to dump their own permissions (or that of owned tokens). A user can dump the permissions of another user or their tokens if they have 'Sys.Audit' permission on /access."))
                .handler(this::permissions).build());
    }

    private Object createTicket(Params p, RequestContext rc) throws Exception {
        String username = p.str("username");
        String realm = p.str("realm", null);
        String password = p.str("password");
        String userid;
        try {
            userid = null;
            if (password.startsWith("PVE:")) {
                try {
                    String t = ac.verifyTicket(password);
                    String wanted = realm != null && !username.contains("@") ? username + "@" + realm : username;
                    if (t.equals(wanted) || (!wanted.contains("@") && t.startsWith(wanted + "@"))) userid = t;
                } catch (AuthenticationException e) {
                    userid = null;
                }
            }
            if (userid == null) {
                AccessControl.LoginResult lr = ac.authenticate(username, password, realm, p.str("otp", null), p.str("tfa-challenge", null));
                if (lr.needTfa()) {
                    // PVE's two-step login: a partial ticket that only the second factor can complete
                    Map<String, Object> partial = new LinkedHashMap<>();
                    partial.put("NeedTFA", 1);
                    partial.put("ticket", lr.ticket());
                    partial.put("username", lr.userid());
                    return partial;
                }
                userid = lr.userid();
            }
        } catch (AuthenticationException | IllegalArgumentException e) {
            LOG.warn("authentication failure; rhost={} user={} msg={}", rc.clientAddress(), username, e.getMessage());
            // the HTTP server delays every 401
            throw new ApiException(401, "authentication failure");
        }
        if (p.has("path") && p.has("privs")) {
            List<String> privs = Formats.splitList(p.str("privs"));
            String path = normalizePath(p.str("path"));
            if (!ac.check(userid, path, new LinkedHashSet<>(privs), true))
                throw ApiException.forbidden("no permission (" + path + ", " + String.join(",", privs) + ")");
            return Map.of("username", userid);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("CSRFPreventionToken", ac.csrfToken(userid));
        out.put("cap", capabilities(userid));
        String cluster = clusterName();
        if (cluster != null) out.put("clustername", cluster);
        out.put("ticket", ac.createTicket(userid));
        out.put("username", userid);
        return out;
    }

    private String clusterName() {
        return ctx.cfs().readString("corosync.conf").map(c -> {
            java.util.regex.Matcher m = Pattern.compile("cluster_name:\\s*(\\S+)").matcher(c);
            return m.find() ? m.group(1) : null;
        }).orElse(null);
    }

    static String normalizePath(String p) {
        String s = ("/" + p).replaceAll("/+", "/");
        if (s.length() > 1 && s.endsWith("/")) s = s.substring(0, s.length() - 1);
        return s;
    }

    private static final Map<String, Pattern> CAP = new LinkedHashMap<>();
    static {
        CAP.put("vms", Pattern.compile("^(VM\\.|Permissions\\.Modify)"));
        CAP.put("access", Pattern.compile("^((User|Group)\\.|Permissions\\.Modify)"));
        CAP.put("storage", Pattern.compile("^(Datastore\\.|Permissions\\.Modify)"));
        CAP.put("nodes", Pattern.compile("^(Sys\\.|Permissions\\.Modify)"));
        CAP.put("sdn", Pattern.compile("^(SDN\\.|Permissions\\.Modify)"));
        CAP.put("dc", Pattern.compile("^(Sys\\.Audit|Sys\\.Modify|SDN\\.)"));
        CAP.put("mapping", Pattern.compile("^(Mapping\\.|Permissions\\.Modify)"));
    }

    /** PVE's compute_api_permission: the privileges the web UI uses to show or hide features. */
    Map<String, Map<String, Integer>> capabilities(String authid) {
        Map<String, Map<String, Integer>> res = new TreeMap<>();
        for (String k : CAP.keySet()) res.put(k, new TreeMap<>());
        Set<String> paths = new LinkedHashSet<>(List.of("/", "/nodes", "/access/groups", "/vms", "/storage", "/sdn", "/mapping"));
        try { paths.addAll(ac.permissionMap(authid, null).keySet()); } catch (RuntimeException ignored) { }
        for (String path : paths) {
            Set<String> privs = ac.privileges(authid, path).keySet();
            java.util.regex.Matcher m = Pattern.compile("^/(\\w+)").matcher(path);
            String top = m.find() ? m.group(1) : "dc";
            if (top.equals("pool")) {
                for (String priv : privs) {
                    if (priv.startsWith("VM.")) res.get("vms").put(priv, 1);
                    else if (priv.startsWith("Datastore.")) res.get("storage").put(priv, 1);
                }
                continue;
            }
            Pattern re = CAP.get(top);
            if (re == null) continue;
            for (String priv : privs) if (re.matcher(priv).find()) res.get(top).put(priv, 1);
        }
        return res;
    }

    private Object permissions(Params p, RequestContext rc) {
        String target = p.str("userid", rc.authid());
        if (!target.equals(rc.authid())) {
            boolean ownToken = !rc.isToken() && target.startsWith(rc.userid() + "!");
            if (!ownToken) rc.requirePermission("/access", "Sys.Audit");
        }
        String path = p.has("path") ? normalizePath(p.str("path")) : null;
        if ("root@pam".equals(target)) {
            // root has every privilege everywhere
            Map<String, Map<String, Integer>> out = new TreeMap<>();
            Map<String, Integer> all = new TreeMap<>();
            for (String priv : ac.privileges("root@pam", path == null ? "/" : path).keySet()) all.put(priv, 1);
            out.put(path == null ? "/" : path, all);
            return out;
        }
        return ac.permissionMap(target, path);
    }
}
