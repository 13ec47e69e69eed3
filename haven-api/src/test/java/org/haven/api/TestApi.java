package org.haven.api;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * API modules behind the real dispatcher on node {@code n1} (a {@link TestNodeContext} with file tasks below
 * {@code tmp}), for module tests: a request is made as a user whose ticket is its name, or as root over the
 * local socket. Permissions come from the test's {@link Privileges}; root@pam has all.
 */
public final class TestApi {
    static final JsonMapper JSON = JsonMapper.builder().build();

    /** Whether {@code authid} has {@code privs} (all of them, or one with {@code any}) on {@code path}; root@pam is not asked. */
    @FunctionalInterface
    public interface Privileges {
        boolean check(String authid, String path, Collection<String> privs, boolean any);
    }

    public final NodeContext node;
    public final Dispatcher dispatcher;

    public TestApi(ClusterFs cfs, Path tmp, Privileges privileges, ApiModule... modules) {
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                return authid.equals("root@pam") || privileges.check(authid, path, privs, any);
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        node = new TestNodeContext(cfs, new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM), access, tmp, Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        for (ApiModule m : modules) m.register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    /** A request of {@code user} over the network; parameters as name, value pairs (lists kept, other values as text). */
    public ApiResponse as(String user, HttpMethod m, String path, Object... kv) {
        return dispatcher.handle(new ApiRequest(m, path, params(kv), user, "csrf", null, false, "127.0.0.1"));
    }

    /** A request of root over the node's local socket. */
    public ApiResponse local(HttpMethod m, String path, Object... kv) {
        return dispatcher.handle(new ApiRequest(m, path, params(kv), null, null, null, true, "unix"));
    }

    /** The data of a response that must be a 200. */
    public static JsonNode data(ApiResponse r) {
        if (r.status() != 200) throw new AssertionError("expected 200, got " + r.status() + ": " + r.message() + " " + r.errors());
        return JSON.valueToTree(r.data());
    }

    private static Map<String, Object> params(Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], kv[i + 1] instanceof List<?> l ? l : String.valueOf(kv[i + 1]));
        return params;
    }
}
