package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code /cluster/notifications} behind the real dispatcher, with PVE's permissions, digests and messages. */
class NotificationApiTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** Privileges on /mapping/notifications per user; root@pam has all. */
    static final Map<String, Set<String>> PRIVS = Map.of("audit@pve", Set.of("Mapping.Audit"), "use@pve", Set.of("Mapping.Use"),
            "modify@pve", Set.of("Mapping.Modify"));

    @TempDir Path tmp;
    final MemoryClusterFs cfs = new MemoryClusterFs("n1");
    Dispatcher dispatcher;

    @BeforeEach
    void start() {
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                if (authid.equals("root@pam")) return true;
                Set<String> has = path.equals(NotificationApi.ACL) ? PRIVS.getOrDefault(authid, Set.of()) : Set.of();
                return any ? privs.stream().anyMatch(has::contains) : has.containsAll(privs);
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        var node = new TestNodeContext(cfs, new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM), access, tmp, Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        new NotificationApi().register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    ApiResponse as(String user, HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], kv[i + 1] instanceof List<?> l ? l : String.valueOf(kv[i + 1]));
        return dispatcher.handle(new ApiRequest(m, path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    JsonNode ok(HttpMethod m, String path, Object... kv) {
        ApiResponse r = as("root@pam", m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    String fails(int status, HttpMethod m, String path, Object... kv) {
        ApiResponse r = as("root@pam", m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(status);
        return r.errors() != null && !r.errors().isEmpty() ? r.errors().toString() : r.message().strip();
    }

    static final String SMTP = "/cluster/notifications/endpoints/smtp";

    @Test
    void smtpEndpointKeepsItsPasswordPrivate() {
        ok(HttpMethod.POST, SMTP, "name", "relay", "server", "mail.example.com", "from-address", "pve@example.com", "mailto", List.of("a@example.com", "b@example.com"),
                "mode", "starttls", "username", "u", "password", "secret pw", "port", 2525);
        assertThat(cfs.readString(NotifyConfig.PATH).orElseThrow()).isEqualTo("smtp: relay\n\tmailto a@example.com\n\tmailto b@example.com\n"
                + "\tfrom-address pve@example.com\n\tserver mail.example.com\n\tport 2525\n\tmode starttls\n\tusername u\n\n");
        assertThat(cfs.readString(NotifyConfig.PRIV_PATH).orElseThrow()).isEqualTo("smtp: relay\n\tpassword secret pw\n\n");
        JsonNode e = ok(HttpMethod.GET, SMTP + "/relay");
        assertThat(e.get("mailto")).extracting(JsonNode::asString).containsExactly("a@example.com", "b@example.com");
        assertThat(e.get("port").asLong()).isEqualTo(2525);
        assertThat(e.has("password")).isFalse();
        assertThat(e.get("digest").asString()).isEqualTo(NotifyConfig.sha256(cfs.readString(NotifyConfig.PATH).orElseThrow()));
        assertThat(ok(HttpMethod.GET, SMTP).get(0).get("origin").asString()).isEqualTo("user-created");

        assertThat(fails(400, HttpMethod.PUT, SMTP + "/relay", "comment", "x", "digest", "0".repeat(64)))
                .isEqualTo("detected modified configuration - file changed by other user? Try again.");
        ok(HttpMethod.PUT, SMTP + "/relay", "comment", "relay host", "delete", List.of("username", "password"), "digest", e.get("digest").asString());
        assertThat(cfs.readString(NotifyConfig.PRIV_PATH).orElseThrow()).isEmpty();
        assertThat(ok(HttpMethod.GET, SMTP + "/relay").get("comment").asString()).isEqualTo("relay host");
        assertThat(fails(400, HttpMethod.POST, SMTP, "name", "relay", "server", "x", "from-address", "a@b.c", "mailto", List.of("a@b.c")))
                .isEqualTo("Cannot create 'relay', an entity with the same name already exists");
        assertThat(fails(400, HttpMethod.PUT, SMTP + "/relay", "delete", List.of("mailto")))
                .isEqualTo("must at least provide one recipient, either in mailto or in mailto-user");
        assertThat(fails(404, HttpMethod.GET, SMTP + "/nope")).isEqualTo("endpoint 'nope' not found");
    }

    @Test
    void builtinsCanBeModifiedAndReset() {
        JsonNode targets = ok(HttpMethod.GET, "/cluster/notifications/targets");
        assertThat(targets).hasSize(1);
        assertThat(targets.get(0).get("name").asString()).isEqualTo("mail-to-root");
        assertThat(targets.get(0).get("type").asString()).isEqualTo("sendmail");
        assertThat(targets.get(0).get("origin").asString()).isEqualTo("builtin");
        assertThat(ok(HttpMethod.GET, "/cluster/notifications/matchers").get(0).get("target")).extracting(JsonNode::asString).containsExactly("mail-to-root");

        assertThat(fails(400, HttpMethod.DELETE, "/cluster/notifications/endpoints/sendmail/mail-to-root"))
                .isEqualTo("cannot delete 'mail-to-root', referenced by: default-matcher");
        ok(HttpMethod.PUT, "/cluster/notifications/matchers/default-matcher", "disable", 1);
        assertThat(ok(HttpMethod.GET, "/cluster/notifications/matchers").get(0).get("origin").asString()).isEqualTo("modified-builtin");
        assertThat(ok(HttpMethod.GET, "/cluster/notifications/matchers/default-matcher").get("disable").asLong()).isEqualTo(1);
        ok(HttpMethod.DELETE, "/cluster/notifications/matchers/default-matcher");
        assertThat(ok(HttpMethod.GET, "/cluster/notifications/matchers").get(0).get("origin").asString()).isEqualTo("builtin");
        assertThat(fails(400, HttpMethod.DELETE, "/cluster/notifications/matchers/default-matcher"))
                .isEqualTo("cannot delete built-in matcher 'default-matcher'");
    }

    @Test
    void matchersAreChecked() {
        assertThat(fails(404, HttpMethod.POST, "/cluster/notifications/matchers", "name", "m1", "target", List.of("nope")))
                .isEqualTo("endpoint 'nope' does not exist");
        assertThat(fails(400, HttpMethod.POST, "/cluster/notifications/matchers", "name", "m1", "match-field", List.of("type=vzdump")))
                .isEqualTo("invalid match-field statement: type=vzdump");
        assertThat(fails(400, HttpMethod.POST, "/cluster/notifications/matchers", "name", "m1", "match-calendar", List.of("mon 8-7")))
                .isEqualTo("invalid daily duration 'mon 8-7' - end is not after start");
        ok(HttpMethod.POST, "/cluster/notifications/matchers", "name", "m1", "match-severity", List.of("error,warning"), "mode", "any",
                "match-field", List.of("exact:type=vzdump", "regex:hostname=^n\\d$"), "invert-match", 1, "target", List.of("mail-to-root"));
        assertThat(cfs.readString(NotifyConfig.PATH).orElseThrow()).isEqualTo("matcher: m1\n\tmatch-field exact:type=vzdump\n\tmatch-field regex:hostname=^n\\d$\n"
                + "\tmatch-severity error,warning\n\ttarget mail-to-root\n\tmode any\n\tinvert-match true\n\n");
        JsonNode m = ok(HttpMethod.GET, "/cluster/notifications/matchers/m1");
        assertThat(m.get("invert-match").asLong()).isEqualTo(1);
        assertThat(m.get("match-field")).extracting(JsonNode::asString).containsExactly("exact:type=vzdump", "regex:hostname=^n\\d$");
        assertThat(fails(404, HttpMethod.GET, "/cluster/notifications/matchers/xx")).isEqualTo("matcher 'xx' not found");
    }

    @Test
    void permissionsFollowPve() {
        assertThat(as("audit@pve", HttpMethod.GET, "/cluster/notifications/endpoints/gotify").status()).isEqualTo(200);
        assertThat(as("modify@pve", HttpMethod.GET, "/cluster/notifications/endpoints/gotify").status()).isEqualTo(403);
        assertThat(as("modify@pve", HttpMethod.GET, SMTP).status()).isEqualTo(200);
        assertThat(as("use@pve", HttpMethod.GET, "/cluster/notifications/targets").status()).isEqualTo(200);
        assertThat(as("use@pve", HttpMethod.GET, "/cluster/notifications/matchers").status()).isEqualTo(200);
        assertThat(as("use@pve", HttpMethod.GET, "/cluster/notifications/matchers/default-matcher").status()).isEqualTo(403);
        assertThat(as("audit@pve", HttpMethod.POST, "/cluster/notifications/matchers", "name", "m1").status()).isEqualTo(403);
        assertThat(as("modify@pve", HttpMethod.POST, "/cluster/notifications/matchers", "name", "m1").status()).isEqualTo(200);
        // an endpoint also needs Sys.Audit+Sys.Modify or Sys.AccessNetwork on /
        assertThat(as("modify@pve", HttpMethod.POST, "/cluster/notifications/endpoints/gotify", "name", "gt", "server", "http://x", "token", "t").status()).isEqualTo(403);
        assertThat(as("modify@pve", HttpMethod.DELETE, "/cluster/notifications/matchers/m1").status()).isEqualTo(200);
    }

    @Test
    void webhookSecretsAndTestEndpoint() throws Exception {
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 5);
        http.createContext("/", ex -> {
            got.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders().getFirst("X-Key") + " "
                    + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        http.start();
        try {
            String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/t";
            String hook = "/cluster/notifications/endpoints/webhook";
            ok(HttpMethod.POST, hook, "name", "hook", "method", "post", "url", url, "body", b64("{{ severity }} {{ message }}"),
                    "header", List.of("name=X-Key,value=" + b64("{{ secrets.key }}")), "secret", List.of("name=key,value=" + b64("k1")));
            assertThat(cfs.readString(NotifyConfig.PATH).orElseThrow()).doesNotContain(b64("k1"));
            JsonNode e = ok(HttpMethod.GET, hook + "/hook");
            assertThat(e.get("secret")).extracting(JsonNode::asString).containsExactly("name=key");
            ok(HttpMethod.PUT, hook + "/hook", "secret", List.of("name=key"), "comment", "kept");
            assertThat(cfs.readString(NotifyConfig.PRIV_PATH).orElseThrow()).isEqualTo("webhook: hook\n\tsecret name=key,value=" + b64("k1") + "\n\n");
            assertThat(fails(400, HttpMethod.PUT, hook + "/hook", "header", List.of("X-Key: v"))).isEqualTo("invalid property string 'X-Key: v'");

            ok(HttpMethod.POST, "/cluster/notifications/targets/hook/test");
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("POST /t k1 info This is a test of the notification target 'hook'.");
            assertThat(fails(404, HttpMethod.POST, "/cluster/notifications/targets/nope/test")).isEqualTo("target 'nope' does not exist");
            ok(HttpMethod.PUT, hook + "/hook", "url", url.replace("/t", "/gone").replace(":" + http.getAddress().getPort(), ":1"));
            assertThat(fails(500, HttpMethod.POST, "/cluster/notifications/targets/hook/test")).startsWith("could not notify via target(s): hook: ");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void matcherFieldValues() {
        cfs.writeString("jobs.cfg", "vzdump: backup-nightly\n\tschedule 02:00\n\tall 1\n\tcomment nightly\n\n");
        assertThat(ok(HttpMethod.GET, "/cluster/notifications/matcher-fields")).extracting(n -> n.get("name").asString()).containsExactly("type", "hostname", "job-id");
        JsonNode v = ok(HttpMethod.GET, "/cluster/notifications/matcher-field-values");
        assertThat(v).extracting(n -> n.get("field").asString() + "=" + n.get("value").asString())
                .contains("type=vzdump", "type=replication", "hostname=n1", "job-id=backup-nightly");
        assertThat(v.get(v.size() - 1).get("comment").asString()).isEqualTo("nightly");
    }

    static String b64(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
}
