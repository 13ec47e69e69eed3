package org.haven.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /nodes} shows a node's figures only to callers with Sys.Audit on it, as PVE's extract_node_stats. */
class NodeIndexPermissionTest {

    @Test
    @SuppressWarnings("unchecked")
    void figuresNeedSysAudit(@TempDir Path tmp) {
        LocalClusterFs cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        try (FileTaskManager tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM)) {
            AccessChecker access = new AccessChecker() {
                @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                    return authid.equals("root@pam") || (authid.equals("vmuser@pve") && path.startsWith("/vms"));
                }
                @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
            };
            NodeContext ctx = new TestNodeContext(cfs, tasks, access, tmp, Clock.SYSTEM);
            ApiTree tree = new ApiTree();
            new NodeApi(tree).register(tree, ctx);
            Authenticator auth = new Authenticator() {
                @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
                @Override public boolean verifyCsrf(String userid, String token) { return true; }
                @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
            };
            Dispatcher d = new Dispatcher(tree, ctx, auth);

            ApiResponse user = d.handle(new ApiRequest(HttpMethod.GET, "/nodes", Map.of(), "vmuser@pve", "csrf", null, false, "127.0.0.1"));
            assertThat(user.status()).isEqualTo(200);
            List<Map<String, Object>> plain = (List<Map<String, Object>>) user.data();
            assertThat(plain).hasSize(1);
            assertThat(plain.get(0)).containsEntry("node", "n1").containsEntry("status", "online")
                    .doesNotContainKeys("cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime", "level");

            ApiResponse root = d.handle(new ApiRequest(HttpMethod.GET, "/nodes", Map.of(), "root@pam", "csrf", null, false, "127.0.0.1"));
            Map<String, Object> full = ((List<Map<String, Object>>) root.data()).get(0);
            assertThat(full).containsKeys("cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime").containsEntry("node", "n1");
        }
    }
}
