package org.haven.cfs.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code /cluster/options} behind the real dispatcher on a local cluster file system. */
class ClusterOptionsApiTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir Path tmp;
    LocalClusterFs cfs;
    Dispatcher dispatcher;

    @BeforeEach
    void start() {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                if (authid.equals("root@pam")) return true;
                return authid.equals("audit@pve") && path.equals("/") && privs.stream().allMatch(p -> p.equals("Sys.Audit"));
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        TestNodeContext node = new TestNodeContext(cfs, new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM), access, tmp.resolve("data"), Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        new ClusterOptionsApi().register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    ApiResponse call(String user, HttpMethod m, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], String.valueOf(kv[i + 1]));
        return dispatcher.handle(new ApiRequest(m, "/cluster/options", params, user, "csrf", null, false, "127.0.0.1"));
    }

    JsonNode data(ApiResponse r) {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    @Test
    void setReadAndDelete() {
        assertThat(data(call("root@pam", HttpMethod.GET)).isEmpty()).isTrue();
        data(call("root@pam", HttpMethod.PUT, "keyboard", "de", "migration", "type=insecure,network=10.1.0.0/24",
                "max_workers", "3", "description", "Rack: 3", "ha", "shutdown_policy=migrate"));
        assertThat(cfs.readString("datacenter.cfg")).contains("""
                #Rack%3A 3

                ha: shutdown_policy=migrate
                keyboard: de
                max_workers: 3
                migration: type=insecure,network=10.1.0.0/24
                """);
        JsonNode got = data(call("audit@pve", HttpMethod.GET));
        assertThat(got.path("migration").path("type").asString()).isEqualTo("insecure");
        assertThat(got.path("migration").path("network").asString()).isEqualTo("10.1.0.0/24");
        assertThat(got.path("max_workers").asInt()).isEqualTo(3);
        assertThat(got.path("description").asString()).isEqualTo("Rack: 3\n");

        data(call("root@pam", HttpMethod.PUT, "delete", "keyboard,description", "language", "de"));
        assertThat(cfs.readString("datacenter.cfg")).contains("ha: shutdown_policy=migrate\nlanguage: de\nmax_workers: 3\nmigration: type=insecure,network=10.1.0.0/24\n");
    }

    @Test
    void badInputLeavesTheFileAsItWas() {
        cfs.writeString("datacenter.cfg", "keyboard: de\n");
        ApiResponse r = call("root@pam", HttpMethod.PUT, "keyboard", "xx");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errors().get("keyboard")).contains("xx");
        assertThat(call("root@pam", HttpMethod.PUT, "ha", "shutdown_policy=never").status()).isEqualTo(400);
        assertThat(call("root@pam", HttpMethod.PUT, "max_workers", "0").status()).isEqualTo(400);
        ApiResponse range = call("root@pam", HttpMethod.PUT, "next-id", "lower=500,upper=400");
        assertThat(range.status()).isEqualTo(400);
        assertThat(range.errors().get("next-id")).isEqualTo("lower (500) <= upper (400) boundary rule broken");
        assertThat(call("root@pam", HttpMethod.PUT, "keyboard", "fr", "delete", "keyboard").status()).isEqualTo(400);
        assertThat(cfs.readString("datacenter.cfg")).contains("keyboard: de\n");
    }

    @Test
    void permissions() {
        assertThat(call("audit@pve", HttpMethod.PUT, "keyboard", "de").status()).isEqualTo(403);
        assertThat(call("nobody@pve", HttpMethod.GET).status()).isEqualTo(403);
        assertThat(cfs.readString("datacenter.cfg")).isEmpty();
    }
}
