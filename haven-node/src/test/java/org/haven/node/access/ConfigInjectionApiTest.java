package org.haven.node.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.haven.access.AccessControl;
import org.haven.access.UserConfig;
import org.haven.api.HttpMethod;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.node.AccessAdapter;
import org.haven.node.NodePaths;
import org.haven.node.NodeServices;
import org.haven.node.OfflineApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config injection and unbounded IDs through the real API handlers (every module of the node, the real dispatcher,
 * real tickets and the real permission checks): what would add lines to a config file is a 400 on the field and
 * leaves the file as it was; IDs of 10 kB are a 400 on the ID.
 */
class ConfigInjectionApiTest {
    static final String ACL_LINE = "x\nacl:1:/:useradmin@pve:Administrator:";

    @TempDir Path tmp;
    LocalClusterFs cfs;
    AccessControl ac;
    FileTaskManager tasks;
    Dispatcher dispatcher;

    @BeforeEach
    void setUp() throws Exception {
        NodePaths paths = NodePaths.embedded(tmp);
        Files.createDirectories(paths.cfsDir());
        cfs = new LocalClusterFs(paths.cfsDir(), "n1");
        ac = new AccessControl(cfs, Clock.SYSTEM);
        AccessAdapter adapter = new AccessAdapter(ac);
        tasks = new FileTaskManager(paths.taskDir(), "n1", Clock.SYSTEM);
        NodeServices services = new NodeServices("n1", cfs, tasks, adapter, paths, Clock.SYSTEM);
        dispatcher = OfflineApi.register(services, ac);
        // a user administrator of one group and of the pve realm, PVE's delegation example
        ac.modifyUserConfig(c -> {
            c.users.put("useradmin@pve", new UserConfig.User());
            UserConfig.User member = new UserConfig.User();
            member.groups.add("staff");
            c.users.put("member@pve", member);
            UserConfig.Group staff = new UserConfig.Group();
            staff.users.add("member@pve");
            c.groups.put("staff", staff);
            for (String path : List.of("/access/groups/staff", "/access/realm/pve"))
                c.aclNode(path).users.computeIfAbsent("useradmin@pve", k -> new TreeMap<>()).put("PVEUserAdmin", true);
            return null;
        });
    }

    @AfterEach
    void tearDown() { tasks.close(); }

    ApiResponse as(String userid, HttpMethod m, String path, Map<String, ?> params) {
        String ticket = userid == null ? null : ac.createTicket(userid);
        String csrf = userid == null ? null : ac.csrfToken(userid);
        return dispatcher.handle(new ApiRequest(m, path, new LinkedHashMap<>(params), ticket, csrf, null, userid == null, "127.0.0.1"));
    }

    /** As root over the local socket. */
    ApiResponse root(HttpMethod m, String path, Map<String, ?> params) { return as(null, m, path, params); }

    String file(String path) { return cfs.readString(path).orElse(null); }

    @Test
    void keysInjectionByAGroupUserAdministratorIsRefused() {
        String before = file("user.cfg");
        ApiResponse put = as("useradmin@pve", HttpMethod.PUT, "/access/users/member@pve", Map.of("groups", "staff", "keys", ACL_LINE));
        assertThat(put.status()).as(put.message()).isEqualTo(400);
        assertThat(put.errors()).isEqualTo(Map.of("keys", "value does not match the regex pattern"));
        ApiResponse post = as("useradmin@pve", HttpMethod.POST, "/access/users",
                Map.of("userid", "new@pve", "groups", "staff", "keys", "y\nuser:evil@pve:1:0::::::"));
        assertThat(post.status()).isEqualTo(400);
        assertThat(post.errors()).containsOnlyKeys("keys");
        assertThat(file("user.cfg")).isEqualTo(before);
        assertThat(ac.permissions().check("useradmin@pve", "/", List.of("Sys.Modify"), false)).isFalse();
        // the delegation itself works, and the legitimate alphabet of keys is accepted
        assertThat(as("useradmin@pve", HttpMethod.PUT, "/access/users/member@pve", Map.of("groups", "staff", "keys", "x!yubi=1")).status()).isEqualTo(200);
        assertThat(file("user.cfg")).contains("user:member@pve:1:0:::::x!yubi=1:\n");
        // free text is encoded: a line feed in a comment is data, not a line
        assertThat(as("useradmin@pve", HttpMethod.PUT, "/access/users/member@pve", Map.of("groups", "staff", "comment", ACL_LINE)).status()).isEqualTo(200);
        assertThat(file("user.cfg")).doesNotContain("acl:1:/:");
        assertThat(as("useradmin@pve", HttpMethod.GET, "/access/users/member@pve", Map.of()).data())
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("comment", ACL_LINE);
    }

    @Test
    void writersRefuseLineBreaksInFieldsWithoutPattern() {
        ApiResponse ha = root(HttpMethod.POST, "/cluster/ha/groups", Map.of("group", "g1", "nodes", "n1", "comment", "x\ngroup: evil\n\tnodes n1"));
        assertThat(ha.status()).isEqualTo(400);
        assertThat(ha.errors()).containsOnlyKeys("comment");
        assertThat(file("ha/groups.cfg")).isNull();
        assertThat(root(HttpMethod.POST, "/cluster/ha/groups", Map.of("group", "g1", "nodes", "n1", "comment", "fine")).status()).isEqualTo(200);
        String groups = file("ha/groups.cfg");
        assertThat(root(HttpMethod.PUT, "/cluster/ha/groups/g1", Map.of("comment", "a\rb")).errors()).containsOnlyKeys("comment");
        assertThat(file("ha/groups.cfg")).isEqualTo(groups);

        Path dir = tmp.resolve("store");
        ApiResponse storage = root(HttpMethod.POST, "/storage", Map.of("storage", "s1", "type", "dir", "path", dir.toString(), "comment", "x\ndir: evil"));
        assertThat(storage.status()).isEqualTo(400);
        assertThat(storage.errors()).containsOnlyKeys("comment");
        assertThat(file("storage.cfg")).isNull();
    }

    @Test
    void tenKilobyteIdsAreRefusedOnTheField() {
        String big = "a".repeat(10_000);
        Map<String, Map<String, Object>> calls = new LinkedHashMap<>();
        calls.put("/storage", Map.of("storage", big, "type", "dir", "path", tmp.resolve("s").toString()));
        calls.put("/access/groups", Map.of("groupid", big));
        calls.put("/access/roles", Map.of("roleid", big));
        calls.put("/pools", Map.of("poolid", big));
        calls.put("/cluster/ha/groups", Map.of("group", big, "nodes", "n1"));
        calls.put("/access/domains", Map.of("realm", big, "type", "pve"));
        calls.put("/access/users", Map.of("userid", big + "@pve"));
        calls.put("/access/users/member@pve/token/" + big, Map.of());
        Map<String, String> field = Map.of("/storage", "storage", "/access/groups", "groupid", "/access/roles", "roleid", "/pools", "poolid",
                "/cluster/ha/groups", "group", "/access/domains", "realm", "/access/users", "userid");
        calls.forEach((path, params) -> {
            ApiResponse r = root(HttpMethod.POST, path, params);
            assertThat(r.status()).as(path).isEqualTo(400);
            String f = field.getOrDefault(path, "tokenid");
            assertThat(Optional.ofNullable(r.errors()).map(e -> e.get(f)).orElse("")).as(path + " " + r.errors())
                    .startsWith(f.equals("userid") ? "value may only be 64 characters long" : "value may only be ");
        });
        for (String f : List.of("storage.cfg", "ha/groups.cfg")) assertThat(file(f)).isNull();
        assertThat(file("user.cfg")).doesNotContain("aaaaaaaaaaaaaaaa");
        // the longest allowed IDs work and can be removed again
        String id64 = "g" + "a".repeat(63);
        assertThat(root(HttpMethod.POST, "/access/groups", Map.of("groupid", id64)).status()).isEqualTo(200);
        assertThat(root(HttpMethod.DELETE, "/access/groups/" + id64, Map.of()).status()).isEqualTo(200);
        assertThat(root(HttpMethod.POST, "/cluster/ha/groups", Map.of("group", id64, "nodes", "n1")).status()).isEqualTo(200);
        assertThat(root(HttpMethod.DELETE, "/cluster/ha/groups/" + id64, Map.of()).status()).isEqualTo(200);
    }
}
