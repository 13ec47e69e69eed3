package org.haven.network.sdn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
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
import org.haven.api.task.TaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An embedded node {@code n1} with the SDN API behind the real dispatcher. Users: {@code root@pam} may do
 * everything; {@code audit@pve} has SDN.Audit and {@code alloc@pve} SDN.Allocate on {@code /sdn/zones/z1}
 * (and below).
 */
abstract class SdnApiHarness {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;
    Dispatcher dispatcher;
    FileTaskManager tasks;
    LocalClusterFs cfs;
    TestNodeContext node;
    SdnApi module;

    void start(List<String> prefix) {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                if (authid.equals("root@pam")) return true;
                String granted = authid.equals("audit@pve") ? "SDN.Audit" : authid.equals("alloc@pve") ? "SDN.Allocate" : null;
                boolean onPath = path.equals("/sdn/zones/z1") || path.startsWith("/sdn/zones/z1/");
                return granted != null && onPath && (any ? privs.contains(granted) : privs.stream().allMatch(granted::equals));
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        node = new TestNodeContext(cfs, tasks, access, tmp.resolve("data"), Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        module = new SdnApi(prefix);
        module.register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    static Map<String, Object> params(Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], kv[i + 1] instanceof List<?> ? kv[i + 1] : String.valueOf(kv[i + 1]));
        return params;
    }

    ApiResponse as(String user, HttpMethod m, String path, Object... kv) {
        return dispatcher.handle(new ApiRequest(m, path, params(kv), user, "csrf", null, false, "127.0.0.1"));
    }

    ApiResponse call(HttpMethod m, String path, Object... kv) {
        return dispatcher.handle(new ApiRequest(m, path, params(kv), null, null, null, true, "unix"));
    }

    JsonNode ok(HttpMethod m, String path, Object... kv) {
        ApiResponse r = call(m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    /** Apply through {@code PUT /cluster/sdn} and wait for the task; its log. */
    List<String> apply() throws InterruptedException {
        String upid = ok(HttpMethod.PUT, "/cluster/sdn").asString();
        assertThat(upid).contains(":reloadnetworkall:");
        TaskManager.TaskInfo info = tasks.await(upid, 120_000);
        List<String> log = tasks.log(upid, 0, 0).lines();
        assertThat(info.status()).as("task log %s", log).isEqualTo("OK");
        return log;
    }
}
