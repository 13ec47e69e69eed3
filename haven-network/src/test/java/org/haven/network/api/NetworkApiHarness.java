package org.haven.network.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.network.apply.Links;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** An embedded node with the network API behind the real dispatcher, for the API tests. */
abstract class NetworkApiHarness {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;
    Dispatcher dispatcher;
    FileTaskManager tasks;
    Path file;
    NodeContext node;
    NetworkApi module;

    /** A node whose interfaces are applied through {@code prefix} and whose live links come from {@code live}. */
    void start(List<String> prefix, Supplier<Map<String, Links.Link>> live) {
        start(prefix, live, null);
    }

    /** The same with the embedded node's guest network on {@code guestBridge}. */
    void start(List<String> prefix, Supplier<Map<String, Links.Link>> live, String guestBridge) {
        LocalClusterFs cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                if (authid.equals("root@pam")) return true;
                return authid.equals("audit@pve") && path.equals("/nodes/n1") && privs.stream().allMatch(p -> p.equals("Sys.Audit"));
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        node = new TestNodeContext(cfs, tasks, access, tmp.resolve("data"), Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        module = new NetworkApi(prefix, live, guestBridge);
        module.register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
        file = node.dataDir().resolve("network/interfaces");
    }

    ApiResponse call(String user, HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], String.valueOf(kv[i + 1]));
        return dispatcher.handle(new ApiRequest(m, path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    ApiResponse call(HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], String.valueOf(kv[i + 1]));
        return dispatcher.handle(new ApiRequest(m, path, params, null, null, null, true, "unix"));
    }

    JsonNode ok(HttpMethod m, String path, Object... kv) {
        ApiResponse r = call(m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    Map<String, String> errors(HttpMethod m, String path, Object... kv) {
        ApiResponse r = call(m, path, kv);
        assertThat(r.status()).as("%s %s", m, path).isEqualTo(400);
        return r.errors();
    }

}
