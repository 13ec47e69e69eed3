package org.haven.api.server;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.api.AccessChecker;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Validator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one API request: route, authenticate, check permissions, validate parameters, proxy or call the
 * handler, and map errors to PVE's statuses. Transport independent (used by the HTTPS server, the Unix
 * socket server and tests).
 */
public final class Dispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    public static final String ROOT = "root@pam";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_-]+)\\}");

    private final ApiTree tree;
    private final NodeContext node;
    private final Authenticator auth;
    private volatile NodeProxy proxy;

    public Dispatcher(ApiTree tree, NodeContext node, Authenticator auth) {
        this.tree = tree;
        this.node = node;
        this.auth = auth;
    }

    public ApiTree tree() { return tree; }

    public String nodeName() { return node.nodeName(); }

    public void setProxy(NodeProxy proxy) { this.proxy = proxy; }

    public ApiResponse handle(ApiRequest req) {
        Admission a = admit(req);
        return a.answer() != null ? a.answer() : handle(a, req.params());
    }

    /**
     * The outcome of the first phase of a request, decided from its method, path and credentials alone: either
     * a final {@link #answer()} (401, 501, a directory index), or an admitted call that
     * {@link Dispatcher#handle(Admission, Map)} completes once the parameters are read.
     */
    public static final class Admission {
        private final ApiRequest request;
        private final ApiTree.Match match;
        private final ApiMethod method;
        private final String authid;
        private final ApiResponse answer;

        private Admission(ApiRequest request, ApiTree.Match match, ApiMethod method, String authid, ApiResponse answer) {
            this.request = request;
            this.match = match;
            this.method = method;
            this.authid = authid;
            this.answer = answer;
        }

        /** The final response when the request ends in this phase, else null. */
        public ApiResponse answer() { return answer; }

        /** The authenticated caller, or null. */
        public String authid() { return authid; }
    }

    /**
     * Routes and authenticates a request without looking at its parameters, so that a body is read only for
     * callers who may send one (PVE checks credentials from the request headers, before the body).
     */
    public Admission admit(ApiRequest req) {
        try {
            ApiTree.Match match = tree.lookup(req.path());
            ApiMethod m = match == null ? null : match.node().methods().get(req.method());
            if (m == null) {
                if (match == null || req.method() != HttpMethod.GET || match.node().isLeaf()) return answered(req, notImplemented(req), null);
                String authid = authenticate(req, false);
                return answered(req, ApiResponse.ok(autoIndex(match.node())), authid);
            }
            String authid = m.permissions().isWorld() ? optionalAuth(req) : authenticate(req, req.method() != HttpMethod.GET);
            if (authid != null && authid.indexOf('!') >= 0 && !m.allowtoken())
                return answered(req, ApiResponse.error(401, "API tokens are not allowed for this endpoint"), authid);
            return new Admission(req, match, m, authid, null);
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            return answered(req, failure(req, e), null);
        }
    }

    private static Admission answered(ApiRequest req, ApiResponse answer, String authid) {
        return new Admission(req, null, null, authid, answer.withAuthid(authid));
    }

    /** Completes an admitted request with its query and body parameters. */
    public ApiResponse handle(Admission a, Map<String, Object> params) {
        if (a.answer != null) throw new IllegalArgumentException("request already answered");
        ApiRequest req = new ApiRequest(a.request.method(), a.request.path(), params, a.request.ticket(), a.request.csrfToken(),
                a.request.authorization(), a.request.local(), a.request.remote());
        try {
            return call(req, a.match, a.method, a.authid).withAuthid(a.authid);
        } catch (Exception | LinkageError | StackOverflowError e) {
            return failure(req, e).withAuthid(a.authid);
        }
    }

    /**
     * PVE's answer for a failure: 400 with the field errors of a {@link ParamException}, the status of an
     * {@link ApiException}, else 500 with the message {@link #clientMessage} allows.
     */
    ApiResponse failure(ApiRequest req, Throwable e) {
        if (e instanceof ParamException p) return new ApiResponse(400, null, p.errors(), "Parameter verification failed.");
        if (e instanceof ApiException a) return ApiResponse.error(a.status(), a.getMessage());
        String msg = clientMessage(e);
        if (msg == null) {
            LOG.error("{} {}: {}", req.method(), req.path(), e, e);
            return ApiResponse.error(500, INTERNAL_ERROR);
        }
        if (!(e instanceof IllegalArgumentException) && !(e instanceof IllegalStateException) && !(e instanceof org.haven.core.cfs.CfsException))
            LOG.warn("{} {}: {}", req.method(), req.path(), msg, e);
        return ApiResponse.error(500, msg.endsWith("\n") ? msg.substring(0, msg.length() - 1) : msg);
    }

    /** The message of an unexpected failure: no details, those are in the daemon's log. */
    public static final String INTERNAL_ERROR = "internal error (see the node's log)";

    private static final Pattern JAVA_NAME = Pattern.compile("\\b(?:java|javax|jdk|sun|com\\.sun|tools\\.jackson|com\\.fasterxml|org\\.eclipse|org\\.apache)\\.[a-z]\\w*\\.");

    /**
     * The message a handler's failure may show to a client, as PVE shows the text a handler dies with: the
     * message of Haven's own exceptions, of plain {@link IllegalArgumentException}/{@link IllegalStateException}
     * (the handlers' "die") and of I/O failures (a path, an OS error). Null for anything else (a bug or a
     * library's internals: class names, stack details) and for messages that name Java classes.
     */
    static String clientMessage(Throwable e) {
        Class<?> c = e.getClass();
        boolean ours = c.getName().startsWith("org.haven.") || c == IllegalArgumentException.class || c == IllegalStateException.class
                || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException;
        String msg = e.getMessage();
        if (!ours || msg == null || msg.isBlank() || mentionsJava(msg)) return null;
        return msg;
    }

    /** Does {@code text} name a Java class or package (of the JDK or a library)? */
    static boolean mentionsJava(String text) { return JAVA_NAME.matcher(text).find(); }

    private ApiResponse call(ApiRequest req, ApiTree.Match match, ApiMethod m, String authid) throws Exception {
        Permission perm = m.permissions();
        Map<String, Object> raw = new LinkedHashMap<>(req.params());
        raw.putAll(match.pathParams());
        if (!perm.isWorld() && perm.check() != null && !evaluate(perm.check(), authid, raw))
            throw ApiException.forbidden(denial(perm.check(), authid, raw));

        refuseNul(raw);
        Map<String, Object> valid = Validator.validateParams(m.parameters(), raw);

        if (m.proxyto() != null) {
            Object target = valid.get(m.proxyto());
            if (target != null && !target.toString().equals(node.nodeName()) && !"localhost".equals(target.toString())) {
                NodeProxy p = proxy;
                if (p == null) throw ApiException.error("no such cluster node '" + target + "'");
                return p.forward(target.toString(), req, authid);
            }
        }
        Ctx rc = new Ctx(authid, req.local(), req.remote());
        Object result = m.handler().handle(new Params(valid), rc);
        return new ApiResponse(200, result, null, null, rc.attributes);
    }

    /** No parameter of any method takes a NUL character; refusing it here keeps it out of paths, files and commands. */
    static void refuseNul(Map<String, Object> params) {
        Map<String, String> errors = new TreeMap<>();
        params.forEach((k, v) -> { if (containsNul(v)) errors.put(k, "value must not contain a NUL character"); });
        if (!errors.isEmpty()) throw new ParamException(errors);
    }

    private static boolean containsNul(Object v) {
        if (v instanceof CharSequence s) return s.chars().anyMatch(c -> c == 0);
        if (v instanceof Collection<?> c) return c.stream().anyMatch(Dispatcher::containsNul);
        if (v instanceof Map<?, ?> m) return m.entrySet().stream().anyMatch(e -> containsNul(e.getKey()) || containsNul(e.getValue()));
        return false;
    }

    private static ApiResponse notImplemented(ApiRequest req) {
        return ApiResponse.error(501, "Method '" + req.method() + " /api2/json" + req.path() + "' not implemented");
    }

    private List<Map<String, Object>> autoIndex(ApiTree.Node n) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ApiTree.Node c : n.children()) if (!c.isParam()) out.add(Map.of("subdir", c.segment()));
        return out;
    }

    private String optionalAuth(ApiRequest req) {
        try { return authenticate(req, false); } catch (ApiException e) { return null; }
    }

    /** Resolve the caller; 401 when no valid credentials are presented. */
    String authenticate(ApiRequest req, boolean write) {
        if (req.local()) return ROOT;
        String a = req.authorization();
        if (a != null && a.startsWith("PVEAPIToken")) {
            String v = a.substring("PVEAPIToken".length());
            if (v.startsWith("=") || v.startsWith(" ") || v.startsWith(":")) v = v.substring(1).trim();
            return auth.verifyApiToken(v).orElseThrow(() -> new ApiException(401, "authentication failure"));
        }
        String ticket = req.ticket();
        if (ticket == null && a != null && a.startsWith("PVEAuthCookie=")) ticket = a.substring("PVEAuthCookie=".length());
        if (ticket == null || ticket.isEmpty()) throw new ApiException(401, "No ticket");
        String user = auth.verifyTicket(ticket).orElseThrow(() -> new ApiException(401, "authentication failure"));
        if (write && (req.csrfToken() == null || !auth.verifyCsrf(user, req.csrfToken())))
            throw new ApiException(401, "Permission denied - invalid csrf token");
        return user;
    }

    /** PVE's detail for a failed simple perm check: {@code path, priv} (the first missing one) or {@code path, a|b} for any. */
    private String denial(List<Object> check, String authid, Map<String, Object> params) {
        if (check.size() < 3 || !"perm".equals(check.get(0))) return null;
        String path = substitute(String.valueOf(check.get(1)), params);
        Collection<String> privs = privList(check.get(2));
        if (privs.contains("__root__")) return null;
        boolean any = false;
        for (int i = 3; i + 1 < check.size(); i += 2) if ("any".equals(check.get(i))) any = truthy(check.get(i + 1));
        if (any) return path + ", " + String.join("|", privs);
        for (String p : privs) if (!node.access().check(authid, path, List.of(p), false)) return path + ", " + p;
        return path + ", " + String.join(", ", privs);
    }

    /** Evaluate a PVE permission check array. */
    boolean evaluate(List<Object> check, String authid, Map<String, Object> params) {
        if (check == null || check.isEmpty()) return true;
        if (ROOT.equals(authid)) return true;
        if (!containsRootMarker(check)) {
            Boolean r = node.access().evaluate(check, authid, params);
            if (r != null) return r;
        }
        String kind = String.valueOf(check.get(0));
        AccessChecker access = node.access();
        switch (kind) {
            case "perm" -> {
                String path = substitute(String.valueOf(check.get(1)), params);
                Collection<String> privs = privList(check.get(2));
                boolean any = false;
                for (int i = 3; i + 1 < check.size(); i += 2)
                    if ("any".equals(check.get(i))) any = truthy(check.get(i + 1));
                if (privs.contains("__root__")) return ROOT.equals(authid);
                if (ROOT.equals(authid)) return true;
                return access.check(authid, path, privs, any);
            }
            case "and" -> {
                for (int i = 1; i < check.size(); i++) if (!evaluate(asList(check.get(i)), authid, params)) return false;
                return true;
            }
            case "or" -> {
                for (int i = 1; i < check.size(); i++) if (evaluate(asList(check.get(i)), authid, params)) return true;
                return false;
            }
            case "userid-param" -> {
                if (ROOT.equals(authid)) return true;
                Object u = params.get("userid");
                String user = authid.contains("!") ? authid.substring(0, authid.indexOf('!')) : authid;
                return "self".equals(check.get(1)) && u != null && u.toString().equals(user);
            }
            case "userid-group" -> {
                if (ROOT.equals(authid)) return true;
                Object u = params.get("userid");
                return access.checkUserGroup(authid, u == null ? null : u.toString(), privList(check.get(1)));
            }
            default -> { return ROOT.equals(authid); }
        }
    }

    private static boolean containsRootMarker(Object o) {
        if (o instanceof Collection<?> c) { for (Object x : c) if (containsRootMarker(x)) return true; return false; }
        return "__root__".equals(o);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object o) { return (List<Object>) o; }

    private static Collection<String> privList(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof Collection<?> c) for (Object x : c) out.add(String.valueOf(x));
        else out.add(String.valueOf(o));
        return out;
    }

    private static boolean truthy(Object o) { return o != null && !"0".equals(o.toString()) && !"false".equals(o.toString()); }

    static String substitute(String path, Map<String, Object> params) {
        Matcher m = PLACEHOLDER.matcher(path);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = params.get(m.group(1));
            if (v instanceof List<?> l && !l.isEmpty()) v = l.get(0);
            m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : v.toString()));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private final class Ctx implements RequestContext {
        private final String authid;
        private final boolean local;
        private final String remote;
        Map<String, Object> attributes;

        Ctx(String authid, boolean local, String remote) {
            this.authid = authid;
            this.local = local;
            this.remote = remote;
        }

        @Override public String authid() { return authid; }
        @Override public NodeContext node() { return node; }
        @Override public boolean viaCli() { return local; }
        @Override public String clientAddress() { return remote; }
        @Override public void setResultAttribute(String name, Object value) {
            if (attributes == null) attributes = new LinkedHashMap<>();
            attributes.put(name, value);
        }
        @Override public boolean hasPermission(String path, boolean any, String... privs) {
            if (ROOT.equals(authid)) return true;
            return authid != null && node.access().check(authid, path, List.of(privs), any);
        }
    }
}
