package org.haven.api.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.api.AccessChecker;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.TestNodeContext;
import org.haven.api.Permission;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DispatcherTest {
    /** ACL table: authid → path → privileges. */
    final Map<String, Map<String, Set<String>>> acl = new HashMap<>();
    ApiTree tree;
    Dispatcher d;

    final AccessChecker access = new AccessChecker() {
        @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
            Set<String> have = acl.getOrDefault(authid, Map.of()).getOrDefault(path, Set.of());
            return any ? privs.stream().anyMatch(have::contains) : have.containsAll(privs);
        }
        @Override public Set<String> privileges(String authid, String path) { return acl.getOrDefault(authid, Map.of()).getOrDefault(path, Set.of()); }
    };

    final Authenticator auth = new Authenticator() {
        @Override public Optional<String> verifyTicket(String ticket) { return ticket.startsWith("good:") ? Optional.of(ticket.substring(5)) : Optional.empty(); }
        @Override public boolean verifyCsrf(String userid, String token) { return token.equals("csrf:" + userid); }
        @Override public Optional<String> verifyApiToken(String value) {
            return value.equals("alice@pve!tok=secret") ? Optional.of("alice@pve!tok") : Optional.empty();
        }
    };

    final NodeContext node = new TestNodeContext(null, null, access, Path.of("/nonexistent"), Path.of("/nonexistent"), Clock.SYSTEM);

    @BeforeEach
    void setUp() {
        tree = new ApiTree();
        tree.add(ApiMethod.get("/version").permissions(Permission.all()).handler((p, rc) -> Map.of("version", "8.4.1")).build());
        tree.add(ApiMethod.get("/nodes/{node}/qemu/{vmid}/config")
                .param("node", StandardOptions.node()).param("vmid", StandardOptions.vmid())
                .permissions(Permission.perm("/vms/{vmid}", "VM.Audit"))
                .handler((p, rc) -> Map.of("vmid", p.lng("vmid"), "who", rc.authid())).build());
        tree.add(ApiMethod.post("/nodes/{node}/qemu/{vmid}/status/start")
                .param("node", StandardOptions.node()).param("vmid", StandardOptions.vmid())
                .param("timeout", Schema.integer().minimum(0).optional())
                .permissions(Permission.perm("/vms/{vmid}", "VM.PowerMgmt"))
                .proxyto("node")
                .handler((p, rc) -> "started " + p.lng("vmid")).build());
        tree.add(ApiMethod.post("/access/ticket").permissions(Permission.world()).allowtoken(false)
                .param("username", Schema.string()).handler((p, rc) -> "hello " + p.str("username")).build());
        tree.add(ApiMethod.get("/boom").permissions(Permission.all()).handler((p, rc) -> { throw new IllegalStateException("it broke\n"); }).build());
        d = new Dispatcher(tree, node, auth);
    }

    private ApiResponse call(HttpMethod m, String path, Map<String, Object> params, String ticket, String csrf, String authz) {
        return d.handle(new ApiRequest(m, path, params, ticket, csrf, authz, false, "127.0.0.1"));
    }

    @Test
    void routesLiteralAndParameterSegments() {
        acl.put("alice@pve", Map.of("/vms/100", Set.of("VM.Audit")));
        ApiResponse r = call(HttpMethod.GET, "/nodes/n1/qemu/100/config", Map.of(), "good:alice@pve", null, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data()).isEqualTo(Map.of("vmid", 100L, "who", "alice@pve"));
    }

    @Test
    void unknownPathsAndMethodsAre501() {
        ApiResponse r = call(HttpMethod.GET, "/nope", Map.of(), "good:root@pam", null, null);
        assertThat(r.status()).isEqualTo(501);
        assertThat(r.message()).isEqualTo("Method 'GET /api2/json/nope' not implemented");
        assertThat(call(HttpMethod.DELETE, "/version", Map.of(), "good:root@pam", "csrf:root@pam", null).status()).isEqualTo(501);
    }

    @Test
    void directoriesWithoutGetListTheirChildren() {
        ApiResponse r = call(HttpMethod.GET, "/nodes/n1/qemu/100", Map.of(), "good:root@pam", null, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data()).isEqualTo(List.of(Map.of("subdir", "config"), Map.of("subdir", "status")));
    }

    @Test
    void authentication() {
        assertThat(call(HttpMethod.GET, "/version", Map.of(), null, null, null)).extracting(ApiResponse::status, ApiResponse::message)
                .containsExactly(401, "No ticket");
        assertThat(call(HttpMethod.GET, "/version", Map.of(), "forged", null, null).status()).isEqualTo(401);
        assertThat(call(HttpMethod.GET, "/version", Map.of(), null, null, "PVEAPIToken=alice@pve!tok=secret").status()).isEqualTo(200);
        assertThat(call(HttpMethod.GET, "/version", Map.of(), null, null, "PVEAPIToken=alice@pve!tok=wrong").status()).isEqualTo(401);
        // world methods need no credentials
        assertThat(call(HttpMethod.POST, "/access/ticket", Map.of("username", "bob"), null, null, null).data()).isEqualTo("hello bob");
        // the local socket is root
        ApiResponse local = d.handle(new ApiRequest(HttpMethod.GET, "/nodes/n1/qemu/100/config", Map.of(), null, null, null, true, "unix"));
        assertThat(local.data()).isEqualTo(Map.of("vmid", 100L, "who", "root@pam"));
    }

    @Test
    void writesWithCookieNeedCsrfButTokensDoNot() {
        acl.put("alice@pve", Map.of("/vms/100", Set.of("VM.PowerMgmt")));
        acl.put("alice@pve!tok", Map.of("/vms/100", Set.of("VM.PowerMgmt")));
        ApiResponse noCsrf = call(HttpMethod.POST, "/nodes/n1/qemu/100/status/start", Map.of(), "good:alice@pve", null, null);
        assertThat(noCsrf.status()).isEqualTo(401);
        assertThat(noCsrf.message()).isEqualTo("Permission denied - invalid csrf token");
        assertThat(call(HttpMethod.POST, "/nodes/n1/qemu/100/status/start", Map.of(), "good:alice@pve", "csrf:bob@pve", null).status()).isEqualTo(401);
        assertThat(call(HttpMethod.POST, "/nodes/n1/qemu/100/status/start", Map.of(), "good:alice@pve", "csrf:alice@pve", null).data()).isEqualTo("started 100");
        assertThat(call(HttpMethod.POST, "/nodes/n1/qemu/100/status/start", Map.of(), null, null, "PVEAPIToken=alice@pve!tok=secret").status()).isEqualTo(200);
    }

    @Test
    void tokensAreRejectedWhereNotAllowed() {
        assertThat(call(HttpMethod.POST, "/access/ticket", Map.of("username", "x"), null, null, "PVEAPIToken=alice@pve!tok=secret").status()).isEqualTo(401);
    }

    @Test
    void permissionPathsAreSubstitutedFromParameters() {
        acl.put("alice@pve", Map.of("/vms/100", Set.of("VM.Audit")));
        assertThat(call(HttpMethod.GET, "/nodes/n1/qemu/101/config", Map.of(), "good:alice@pve", null, null))
                .extracting(ApiResponse::status, ApiResponse::message).containsExactly(403, "Permission check failed (/vms/101, VM.Audit)");
    }

    @Test
    void validationErrorsAreFieldSpecific400s() {
        ApiResponse r = call(HttpMethod.POST, "/nodes/n1/qemu/99/status/start", Map.of("timeout", "-1", "bogus", "1"),
                "good:root@pam", "csrf:root@pam", null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.message()).isEqualTo("Parameter verification failed.");
        assertThat(r.errors()).containsOnly(
                Map.entry("vmid", "value must have a minimum value of 100"),
                Map.entry("timeout", "value must have a minimum value of 0"),
                Map.entry("bogus", "property is not defined in schema and the schema does not allow additional properties"));
    }

    @Test
    void proxytoOtherNodeUsesTheProxyOrFails() {
        ApiResponse r = call(HttpMethod.POST, "/nodes/n2/qemu/100/status/start", Map.of(), "good:root@pam", "csrf:root@pam", null);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.message()).isEqualTo("no such cluster node 'n2'");
        d.setProxy((nodeName, req, authid) -> ApiResponse.ok("proxied to " + nodeName + " as " + authid));
        assertThat(call(HttpMethod.POST, "/nodes/n2/qemu/100/status/start", Map.of(), "good:root@pam", "csrf:root@pam", null).data())
                .isEqualTo("proxied to n2 as root@pam");
    }

    @Test
    void handlerErrorsBecome500WithTheirMessage() {
        ApiResponse r = call(HttpMethod.GET, "/boom", Map.of(), "good:root@pam", null, null);
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.message()).isEqualTo("it broke");
    }

    @Test
    void unexpectedFailuresHideTheirDetails() {
        tree.add(ApiMethod.get("/npe").permissions(Permission.all()).handler((p, rc) -> { throw new NullPointerException("Cannot invoke \"String.length()\""); }).build());
        tree.add(ApiMethod.get("/io").permissions(Permission.all()).handler((p, rc) -> { throw new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("/x")); }).build());
        tree.add(ApiMethod.get("/named").permissions(Permission.all()).handler((p, rc) -> { throw new IllegalStateException("java.lang.Thread broke"); }).build());
        tree.add(ApiMethod.get("/number").permissions(Permission.all()).handler((p, rc) -> Long.parseLong("x")).build());
        for (String path : List.of("/npe", "/io", "/named", "/number"))
            assertThat(call(HttpMethod.GET, path, Map.of(), "good:root@pam", null, null)).as(path)
                    .extracting(ApiResponse::status, ApiResponse::message).containsExactly(500, Dispatcher.INTERNAL_ERROR);
        // an I/O failure with a plain message keeps it
        tree.add(ApiMethod.get("/disk").permissions(Permission.all()).handler((p, rc) -> { throw new java.io.IOException("No space left on device"); }).build());
        assertThat(call(HttpMethod.GET, "/disk", Map.of(), "good:root@pam", null, null).message()).isEqualTo("No space left on device");
    }

    @Test
    void admissionNeedsNoParameters() {
        ApiRequest head = new ApiRequest(HttpMethod.POST, "/nodes/n1/qemu/100/status/start", Map.of(), "forged", null, null, false, "127.0.0.1");
        assertThat(d.admit(head).answer()).extracting(ApiResponse::status).isEqualTo(401);
        acl.put("alice@pve", Map.of("/vms/100", Set.of("VM.PowerMgmt")));
        Dispatcher.Admission ok = d.admit(new ApiRequest(HttpMethod.POST, "/nodes/n1/qemu/100/status/start", Map.of(), "good:alice@pve",
                "csrf:alice@pve", null, false, "127.0.0.1"));
        assertThat(ok.answer()).isNull();
        assertThat(ok.authid()).isEqualTo("alice@pve");
        assertThat(d.handle(ok, Map.of("timeout", "5")).data()).isEqualTo("started 100");
        assertThat(d.handle(ok, Map.of("timeout", "x")).status()).isEqualTo(400);
        // world methods are admitted without credentials; the body decides
        assertThat(d.admit(new ApiRequest(HttpMethod.POST, "/access/ticket", Map.of(), null, null, null, false, "127.0.0.1")).answer()).isNull();
        assertThat(d.admit(new ApiRequest(HttpMethod.GET, "/nope", Map.of(), null, null, null, false, "127.0.0.1")).answer().status()).isEqualTo(501);
    }

    @Test
    void nulCharactersAreRefusedInEveryParameter() {
        ApiResponse r = call(HttpMethod.POST, "/access/ticket", Map.of("username", "a\0b"), null, null, null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errors()).containsExactly(Map.entry("username", "value must not contain a NUL character"));
        assertThat(call(HttpMethod.POST, "/access/ticket", Map.of("username", List.of("ok", "a\0")), null, null, null).errors()).containsKey("username");
        assertThat(call(HttpMethod.POST, "/access/ticket", Map.of("username", "bob"), null, null, null).data()).isEqualTo("hello bob");
    }

    @Test
    void duplicateRegistrationIsRejected() {
        assertThatThrownBy(() -> tree.add(ApiMethod.get("/version").permissions(Permission.all()).handler((p, rc) -> null).build()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rootOnlyMethods() {
        tree.add(ApiMethod.get("/rootonly").permissions(Permission.rootOnly()).handler((p, rc) -> "ok").build());
        acl.put("alice@pve", Map.of("/", Set.of("Sys.Modify")));
        assertThat(call(HttpMethod.GET, "/rootonly", Map.of(), "good:alice@pve", null, null).status()).isEqualTo(403);
        assertThat(call(HttpMethod.GET, "/rootonly", Map.of(), "good:root@pam", null, null).status()).isEqualTo(200);
    }

    @Test
    void apiExceptionsKeepTheirStatus() {
        tree.add(ApiMethod.get("/gone").permissions(Permission.all()).handler((p, rc) -> { throw ApiException.notFound("no such thing"); }).build());
        assertThat(call(HttpMethod.GET, "/gone", Map.of(), "good:root@pam", null, null))
                .extracting(ApiResponse::status, ApiResponse::message).containsExactly(404, "no such thing");
    }

    @Test
    void apidumpHasThePveTreeShape() {
        var dump = SchemaExport.apidump(tree);
        assertThat(dump.get(0).get("path").asString()).isEqualTo("/access");
        var nodes = dump.get(2);
        assertThat(dump.get(1).get("path").asString()).isEqualTo("/boom");
        assertThat(nodes.get("text").asString()).isEqualTo("nodes");
        assertThat(nodes.get("leaf").asInt()).isZero();
        var cfg = nodes.get("children").get(0).get("children").get(0).get("children").get(0).get("children").get(0);
        assertThat(cfg.get("path").asString()).isEqualTo("/nodes/{node}/qemu/{vmid}/config");
        assertThat(cfg.get("leaf").asInt()).isEqualTo(1);
        var info = cfg.get("info").get("GET");
        assertThat(info.get("parameters").get("properties").get("vmid").get("format").asString()).isEqualTo("pve-vmid");
        assertThat(info.get("parameters").get("properties").get("vmid").get("typetext").asString()).isEqualTo("<integer> (100 - 999999999)");
        assertThat(info.get("permissions").get("check").toString()).isEqualTo("[\"perm\",\"/vms/{vmid}\",[\"VM.Audit\"]]");
        var openapi = SchemaExport.openapi(tree, "8.4.1");
        assertThat(openapi.get("paths").get("/nodes/{node}/qemu/{vmid}/config").get("get").get("parameters").size()).isEqualTo(2);
    }
}
