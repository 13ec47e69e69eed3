package org.haven.storage.api;

import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.TestNodeContext;
import org.haven.api.cli.ApiClient;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A node with the storage API behind the real dispatcher, and an {@link ApiClient} that calls it as root. */
public final class ApiFixture implements ApiClient {
    static final JsonMapper JSON = JsonMapper.builder().build();

    public final LocalClusterFs cfs;
    public final FileTaskManager tasks;
    public final Dispatcher dispatcher;
    public final StorageManager sm;
    public final NodeContext node;
    public final org.haven.storage.disks.DisksApi disks;

    public ApiFixture(Path tmp) {
        cfs = TestSupport.cfs(tmp.resolve("cfs"), "n1");
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) { return authid.equals("root@pam"); }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        node = new TestNodeContext(cfs, tasks, access, tmp, Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        sm = StorageApi.storageManager(node);
        new StorageApi(sm).register(tree, node);
        // the disk API with loop devices as disks: its tests use loop devices they create
        disks = new org.haven.storage.disks.DisksApi(sm, true);
        disks.register(tree, node);
        // the task endpoints the CLI follows
        tree.add(org.haven.api.ApiMethod.get("/nodes/{node}/tasks/{upid}/status").permissions(org.haven.api.Permission.all())
                .handler((p, rc) -> {
                    var i = tasks.info(p.str("upid")).orElseThrow();
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("status", i.running() ? "running" : "stopped");
                    if (!i.running()) m.put("exitstatus", i.status());
                    return m;
                }).build());
        tree.add(org.haven.api.ApiMethod.get("/nodes/{node}/tasks/{upid}/log").permissions(org.haven.api.Permission.all())
                .param("start", org.haven.core.schema.Schema.integer().optional()).param("limit", org.haven.core.schema.Schema.integer().optional())
                .handler((p, rc) -> {
                    var page = tasks.log(p.str("upid"), 0, 0);
                    java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
                    int n = 1;
                    for (String l : page.lines()) out.add(Map.of("n", n++, "t", l));
                    return out;
                }).build());
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    public ApiResponse root(HttpMethod m, String path, Map<String, ?> params) {
        return dispatcher.handle(new ApiRequest(m, path, new LinkedHashMap<>(params), null, null, null, true, "unix"));
    }

    @Override
    public JsonNode call(HttpMethod method, String path, Map<String, ?> params) {
        Map<String, Object> strings = new LinkedHashMap<>();
        params.forEach((k, v) -> strings.put(k, String.valueOf(v)));
        ApiResponse r = root(method, path, strings);
        if (r.status() != 200) throw new ApiCallException(r.status(), r.message(), r.errors());
        return JSON.valueToTree(r.data());
    }
}
