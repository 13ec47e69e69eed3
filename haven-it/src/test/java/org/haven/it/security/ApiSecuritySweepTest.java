package org.haven.it.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.security.ParamGen.Case;
import org.haven.it.security.ParamGen.Expect;
import org.haven.it.security.SweepNode.Answer;
import org.haven.node.OfflineApi;
import org.haven.core.testing.E2eTest;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The API-wide checks over every method a real node serves, through its HTTPS front door:
 * <ul>
 * <li>the permission matrix: a user without privileges, a user with only {@code PVEAuditor} on {@code /}, a
 * privilege-separated token (of an administrator) without ACLs, and a non-root administrator for root-only
 * methods get PVE's answer (403, or a filtered listing without objects they may not audit), never a success that
 * changed something, never a server error with Java internals, never a secret of {@code priv/}; every declared
 * permission is exported by {@code haven apidump} exactly as the node enforces it;</li>
 * <li>the bad-input sweep: as {@code root@pam}, a fixed number of seeded cases per method (unknown and missing
 * parameters, NUL, newlines, undecodable escapes, 10 kB strings, huge, negative and mistyped numbers, path
 * parameters with {@code ..} and {@code /}) get a 400 with a field error where the declared schema refuses the
 * value, never a server error with Java internals, never a secret, and a refused call leaves the cluster file
 * system as it was. Reproducible with {@code -Dhaven.sweep.seed=N}.</li>
 * </ul>
 * Every failure is collected and reported at once, as a table.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class ApiSecuritySweepTest {
    static final long SEED = Long.getLong("haven.sweep.seed", 16017L);
    static final int CASES_PER_METHOD = Integer.getInteger("haven.sweep.cases", 10);

    /** Methods the root sweep does not call, and why. The permission matrix still calls them (they must be refused). */
    static final Map<String, String> SKIPPED_AS_ROOT = Map.of(
            "POST /nodes/{node}/status", "reboots or powers off the host",
            "PUT /nodes/{node}/time", "rewrites the host's /etc/timezone and /etc/localtime",
            "POST /cluster/config", "turns the node into a cluster (new corosync.conf, restarted cluster file system)",
            "POST /cluster/config/join", "replaces the node's cluster file system by another cluster's",
            "POST /cluster/config/qdevice", "sets up a QDevice through SSH to the given host",
            "DELETE /cluster/config/qdevice", "removes the QDevice setup through SSH",
            "PUT /access/password", "changes a password: with a pam user it would be the host's (the matrix covers refusals)");

    @TempDir static Path dir;
    static SweepNode sweep;
    static List<ApiCatalog.Method> methods;
    static ParamGen gen;

    @BeforeAll
    static void start() throws Exception {
        Tools.requireRoot("a PAM service of the test's own in /etc/pam.d, to log in as root@pam");
        Tools.requireFile(java.nio.file.Path.of("/lib/x86_64-linux-gnu/security/pam_exec.so"), "libpam-modules");
        OfflineApi.build(); // registers every module's formats in this JVM, for the schema oracle
        sweep = SweepNode.start(dir);
        methods = ApiCatalog.load(sweep::getExtension);
        gen = new ParamGen(sweep.objects);
    }

    @AfterAll
    static void stop() throws Exception { if (sweep != null) sweep.close(); }

    record Caller(String name, Auth auth, Set<String> privs, boolean administrator) {}

    // ---- permission matrix ---------------------------------------------------------------------------------

    @Test @Order(1)
    void permissionMatrixOverEveryMethod() throws Exception {
        Set<String> auditorPrivs = new HashSet<>();
        JsonNode role = sweep.ok("GET", "/access/roles/PVEAuditor", Map.of()).path("data");
        for (Map.Entry<String, JsonNode> p : role.properties()) if (p.getValue().asInt(0) == 1) auditorPrivs.add(p.getKey());
        assertThat(auditorPrivs).contains("Sys.Audit", "VM.Audit");
        HavenNode n = sweep.node;
        List<Caller> callers = List.of(
                new Caller("nobody@pve", n.login("nobody@pve", "nobody-pw-sweep"), Set.of(), false),
                new Caller("auditor@pve", n.login("auditor@pve", "auditor-pw-sweep"), auditorPrivs, false),
                new Caller("token richie!empty", Auth.token("richie@pve!empty=" + SweepNode.CALLER_TOKEN_SECRET), Set.of(), false),
                new Caller("admin richie@pve", n.login("richie@pve", "richie-pw-sweep"), Set.of(), true));
        Findings f = new Findings();
        checkApidump(f);
        int calls = 0, rootOnly = 0;
        Map<String, String> before = sweep.snapshot();
        for (ApiCatalog.Method m : methods) {
            if (m.isRootOnly()) rootOnly++;
            for (Caller c : callers) {
                if (c.administrator() && !m.isRootOnly()) continue;
                Map<String, String> params = gen.baseline(m);
                Answer a = sweep.call(m.http(), m.path(), params, c.auth(), null);
                calls++;
                Map<String, String> after = sweep.snapshot();
                judgeMatrix(f, m, c, a, sweep.changes(before, after));
                before = after;
            }
        }
        System.out.println("permission matrix: " + methods.size() + " methods (" + rootOnly + " root-only), " + calls + " calls, "
                + sweep.connectionResets + " connections closed without an answer");
        assertThat(methods.size()).isGreaterThan(150);
        assertThat(rootOnly).isGreaterThan(5);
        assertThat(f.isEmpty()).as(f.table("permission matrix")).isTrue();
    }

    /** Every method of the node is in {@code haven apidump} with the permissions the node enforces, declared (check or user). */
    private static void checkApidump(Findings f) throws Exception {
        CliResult r = sweep.node.cli("haven", "apidump");
        assertThat(r.exit()).as(r.err()).isZero();
        Map<String, JsonNode> dumped = new HashMap<>();
        collect(HavenNode.JSON.readTree(r.out()), dumped);
        for (ApiCatalog.Method m : methods) {
            if (m.path().equals(org.haven.it.platform.TestTaskModule.TASK)) continue; // the test daemon's own method
            JsonNode d = dumped.get(m.key());
            JsonNode perms = m.permissions();
            if (!perms.has("check") && !perms.has("user"))
                f.add("permission undeclared", m.http(), m.path(), "-", "check or user", String.valueOf(perms), "");
            if (d == null) f.add("missing in apidump", m.http(), m.path(), "-", "in haven apidump", "absent", "");
            else if (!d.path("permissions").equals(perms))
                f.add("apidump differs", m.http(), m.path(), "-", String.valueOf(perms), String.valueOf(d.path("permissions")), "");
        }
    }

    private static void collect(JsonNode tree, Map<String, JsonNode> out) {
        for (JsonNode n : tree) {
            for (Map.Entry<String, JsonNode> e : n.path("info").properties()) out.put(e.getKey() + " " + n.path("path").asString(), e.getValue());
            collect(n.path("children"), out);
        }
    }

    private static void judgeMatrix(Findings f, ApiCatalog.Method m, Caller c, Answer a, List<String> changed) {
        String got = Integer.toString(a.status());
        common(f, m, c.name(), a, got);
        if (a.status() < 200 || a.status() >= 300 ? !changed.isEmpty() : !m.isGet() && !changed.isEmpty())
            f.add("changed the cfs", m.http(), m.path(), c.name(), "nothing changed", got + " " + changed, a.excerpt());
        if (m.isWorld()) return;
        // PVE refuses a token on a method that does not allow tokens with 401 "API tokens are not allowed for this endpoint"
        boolean refused = a.status() == 403 || a.status() == 401 && c.auth().apiToken() != null && !m.allowToken();
        if (m.isRootOnly() || c.administrator()) {
            if (!refused) f.add("root-only not refused", m.http(), m.path(), c.name(), "403", got, a.excerpt());
            return;
        }
        if (m.check() != null) {
            boolean allowed = allows(m.check(), c.privs());
            if (!allowed && !refused) f.add("not refused", m.http(), m.path(), c.name(), "403 (" + m.check() + ")", got, a.excerpt());
            if (allowed && (refused || a.status() == 401)) f.add("wrongly refused", m.http(), m.path(), c.name(), "allowed by " + c.privs().size() + " privs", got, a.excerpt());
            return;
        }
        if (!m.isGet()) {
            if (!refused) f.add("not refused", m.http(), m.path(), c.name(), "403 (user: all, own check)", got, a.excerpt());
            return;
        }
        if (!c.privs().contains("Sys.Audit") && a.status() == 200)
            for (String mark : SweepNode.PRIVILEGED)
                if (a.body().contains(mark)) f.add("unfiltered listing", m.http(), m.path(), c.name(), "no '" + mark + "'", got, a.excerpt());
    }

    /** PVE's check array evaluated for a caller holding {@code privs} on every path (propagated from '/'), acting on another user. */
    static boolean allows(JsonNode check, Set<String> privs) {
        String kind = check.path(0).asString("");
        return switch (kind) {
            case "perm" -> {
                List<String> need = new ArrayList<>();
                for (JsonNode p : check.path(2)) need.add(p.asString());
                boolean any = check.size() > 4 && "any".equals(check.path(3).asString(""));
                yield need.contains("__root__") ? false : any ? need.stream().anyMatch(privs::contains) : privs.containsAll(need);
            }
            case "and" -> { boolean all = true; for (int i = 1; i < check.size(); i++) all &= allows(check.get(i), privs); yield all; }
            case "or" -> { boolean one = false; for (int i = 1; i < check.size(); i++) one |= allows(check.get(i), privs); yield one; }
            case "userid-param" -> !"self".equals(check.path(1).asString("")) && privs.contains(check.path(1).asString(""));
            case "userid-group" -> {
                boolean one = false;
                for (JsonNode p : check.path(1)) one |= privs.contains(p.asString());
                yield one;
            }
            case "perm-modify" -> privs.contains("Permissions.Modify");
            default -> false;
        };
    }

    /** Checks for every answer: no secret of priv/, no Java internals, no server error without a message. */
    private static void common(Findings f, ApiCatalog.Method m, String who, Answer a, String got) {
        if (a.status() == SweepNode.NO_ANSWER) f.add("no answer", m.http(), m.path(), who, "an HTTP answer", "none", a.excerpt());
        else if (a.reset()) f.add("connection reset", m.http(), m.path(), who, "kept alive or Connection: close", "closed before this call", "");
        List<String> leaked = sweep.leakedSecrets(a.body());
        if (!leaked.isEmpty()) f.add("secret disclosed", m.http(), m.path(), who, "no priv/ secret", got + " " + leaked, a.excerpt());
        String internals = a.status() >= 400 ? SweepNode.internals(a.body()) : null;
        if (internals != null) f.add(internals.equalsIgnoreCase("<html") ? "html error page" : "java internals", m.http(), m.path(), who,
                "plain message", got + " '" + internals + "'", a.excerpt());
        else if (a.status() >= 500 && a.message().isBlank()) f.add("5xx without message", m.http(), m.path(), who, "plain message", got, a.excerpt());
    }

    // ---- bad-input sweep ---------------------------------------------------------------------------------

    @Test @Order(2)
    void badInputSweepOverEveryMethod() throws Exception {
        Findings f = new Findings();
        long started = System.nanoTime();
        int calls = 0, accepted = 0;
        List<String> skipped = new ArrayList<>(), slow = new ArrayList<>();
        Set<String> unrestorable = new HashSet<>();
        Map<String, String> before = sweep.snapshot();
        for (ApiCatalog.Method m : methods) {
            String why = SKIPPED_AS_ROOT.get(m.key());
            if (why != null) { skipped.add(m.key() + ": " + why); continue; }
            boolean dirty = false;
            long t0 = System.nanoTime();
            List<Case> cases = gen.cases(m, SEED, CASES_PER_METHOD);
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                Answer a = sweep.call(m.http(), m.path(), c.params(), sweep.root, c.rawBodySuffix());
                calls++;
                boolean ok = a.status() >= 200 && a.status() < 300;
                if (ok) {
                    accepted++;
                    String upid = a.json() == null ? "" : a.json().path("data").asString("");
                    if (upid.startsWith("UPID:")) awaitQuietly(upid);
                    dirty |= !m.isGet();
                }
                Map<String, String> after = sweep.snapshot();
                judgeSweep(f, m, "#" + i + " " + c.label() + " " + c.param(), c, a, sweep.changes(before, after));
                before = after;
            }
            if (dirty) {
                for (String problem : sweep.ensureObjects())
                    if (unrestorable.add(problem)) // reported after the first method that left it, once
                        f.add("objects not restorable", m.http(), m.path(), "after its cases", "objects recreated", "failed",
                                problem.replace("\n", "\\n").substring(0, Math.min(problem.length(), 300)));
                before = sweep.snapshot();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms > 3000) slow.add(m.key() + " " + ms + " ms");
        }
        double secs = (System.nanoTime() - started) / 1e9;
        System.out.printf("bad-input sweep (seed %d, %d cases per method): %d calls in %.1f s, %d accepted, %d connections closed"
                + " without an answer; skipped:%n  %s%nslow methods:%n  %s%n", SEED, CASES_PER_METHOD, calls, secs, accepted, sweep.connectionResets,
                String.join("\n  ", skipped), String.join("\n  ", slow));
        assertThat(calls).isGreaterThan(methods.size() * 5);
        assertThat(f.isEmpty()).as(f.table("bad-input sweep, seed " + SEED)).isTrue();
    }

    /** Let a started task end, so that its writes are not taken for those of the next call; a long one is stopped. */
    private static void awaitQuietly(String upid) {
        try {
            sweep.awaitTask(upid, java.time.Duration.ofSeconds(4));
        } catch (Exception | AssertionError e) {
            try {
                sweep.call("DELETE", "/nodes/{node}/tasks/{upid}", Map.of("node", SweepNode.NODE, "upid", upid), sweep.root, null);
                sweep.awaitTask(upid, java.time.Duration.ofSeconds(4));
            } catch (Exception | AssertionError again) {
                System.out.println("sweep: task still running: " + upid);
            }
        }
    }

    private static void judgeSweep(Findings f, ApiCatalog.Method m, String label, Case c, Answer a, List<String> changed) throws Exception {
        String got = Integer.toString(a.status());
        common(f, m, label, a, got);
        boolean ok = a.status() >= 200 && a.status() < 300;
        if (!ok && !changed.isEmpty()) f.add("refused but changed", m.http(), m.path(), label, "cfs unchanged", got + " " + changed, a.excerpt());
        if (ok && !m.isGet() && c.label().endsWith("newline")) {
            List<String> injected = sweep.injectedLines(changed);
            if (!injected.isEmpty()) f.add("newline injected", m.http(), m.path(), label, "no new config line", got + " " + injected, a.excerpt());
        }
        Expect e = c.expect();
        // a value too long for a URL may be refused by HTTP itself (414), before any parameter is looked at
        boolean tooLongForUrl = a.status() == 414 && (m.isGet() || m.http().equals("DELETE") || m.pathParams().contains(c.param()));
        boolean pass = switch (e) {
            case FIELD_400 -> a.status() == 400 && a.fieldError(c.param()) || tooLongForUrl;
            case BAD_REQUEST -> a.status() == 400;
            case NOT_2XX -> !ok;
            case ANY -> true;
        };
        if (!pass) f.add(switch (e) {
            case FIELD_400 -> a.status() == 400 ? "400 without field" : ok ? "invalid accepted" : "invalid: not 400";
            case BAD_REQUEST -> "undecodable: not 400";
            default -> "bad path accepted";
        }, m.http(), m.path(), label, e.name(), got, a.excerpt());
    }
}
