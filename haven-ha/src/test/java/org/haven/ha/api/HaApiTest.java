package org.haven.ha.api;

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
import org.haven.api.NodeContext;
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
import org.haven.ha.HaJson;
import org.haven.ha.LrmStatus;
import org.haven.ha.ManagerStatus;
import org.haven.ha.ServiceState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The /cluster/ha API behind the real dispatcher, on a directory-backed cluster file system. */
class HaApiTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir Path tmp;
    LocalClusterFs cfs;
    Dispatcher dispatcher;
    long now = 1_700_000_000L;

    @BeforeEach
    void setUp() {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        TaskManager tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) { return authid.equals("root@pam"); }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        Clock clock = new Clock() {
            @Override public long epochSeconds() { return now; }
            @Override public long epochMillis() { return now * 1000; }
        };
        NodeContext node = new TestNodeContext(cfs, tasks, access, tmp, clock);
        ApiTree tree = new ApiTree();
        new HaApi(Optional.empty()).register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
        cfs.mkdirs("nodes/n1/qemu-server");
        cfs.mkdirs("nodes/n2/lxc");
        cfs.writeString("nodes/n1/qemu-server/100.conf", "memory: 1024\n");
        cfs.writeString("nodes/n2/lxc/101.conf", "memory: 512\n");
    }

    ApiResponse call(HttpMethod m, String path, Map<String, ?> params) {
        return dispatcher.handle(new ApiRequest(m, path, new LinkedHashMap<>(params), null, null, null, true, "unix"));
    }

    JsonNode ok(HttpMethod m, String path, Map<String, ?> params) {
        ApiResponse r = call(m, path, params);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    @Test
    void resourcesLifecycle() {
        ok(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "100", "max_restart", "2", "comment", "web server"));
        ok(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "ct:101", "state", "stopped"));
        assertThat(cfs.readString("ha/resources.cfg").orElseThrow())
            .isEqualTo("vm: 100\n\tcomment web server\n\tmax_restart 2\n\nct: 101\n\tstate stopped\n\n");

        JsonNode list = ok(HttpMethod.GET, "/cluster/ha/resources", Map.of());
        assertThat(list).hasSize(2);
        assertThat(list.get(0).path("sid").asString()).isEqualTo("ct:101");
        assertThat(list.get(1).path("sid").asString()).isEqualTo("vm:100");
        assertThat(list.get(1).path("state").asString()).isEqualTo("started");
        assertThat(list.get(1).path("max_restart").asInt()).isEqualTo(2);
        assertThat(ok(HttpMethod.GET, "/cluster/ha/resources", Map.of("type", "ct"))).hasSize(1);

        ApiResponse dup = call(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "vm:100"));
        assertThat(dup.status()).isEqualTo(500);
        assertThat(dup.message()).contains("create resource failed: resource ID 'vm:100' already defined");
        ApiResponse missing = call(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "vm:555"));
        assertThat(missing.message()).contains("resource 'vm:555' does not exist in cluster");
        ApiResponse bad = call(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "vm:abc"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errors()).containsKey("sid");

        JsonNode rec = ok(HttpMethod.GET, "/cluster/ha/resources/vm:100", Map.of());
        String digest = rec.path("digest").asString();
        ok(HttpMethod.PUT, "/cluster/ha/resources/vm:100", Map.of("state", "disabled", "delete", "comment", "digest", digest));
        assertThat(ok(HttpMethod.GET, "/cluster/ha/resources/100", Map.of()).has("comment")).isFalse();
        ApiResponse stale = call(HttpMethod.PUT, "/cluster/ha/resources/vm:100", Map.of("state", "started", "digest", digest));
        assertThat(stale.message()).contains("detected modified configuration");

        ok(HttpMethod.POST, "/cluster/ha/resources/vm:100/migrate", Map.of("node", "n2"));
        ok(HttpMethod.POST, "/cluster/ha/resources/100/relocate", Map.of("node", "n3"));
        assertThat(cfs.readString("ha/crm_commands").orElseThrow()).isEqualTo("migrate vm:100 n2\nrelocate vm:100 n3\n");

        ok(HttpMethod.DELETE, "/cluster/ha/resources/vm:100", Map.of());
        ApiResponse gone = call(HttpMethod.DELETE, "/cluster/ha/resources/vm:100", Map.of());
        assertThat(gone.message()).contains("cannot delete service 'vm:100', not HA managed!");
        assertThat(cfs.readString("ha/resources.cfg").orElseThrow()).isEqualTo("ct: 101\n\tstate stopped\n\n");
    }

    @Test
    void groupsLifecycle() {
        ok(HttpMethod.POST, "/cluster/ha/groups", Map.of("group", "prefer1", "nodes", "n1:2,n2", "restricted", "1"));
        ApiResponse badNodes = call(HttpMethod.POST, "/cluster/ha/groups", Map.of("group", "x", "nodes", "n1,bad node"));
        assertThat(badNodes.status()).isEqualTo(400);
        JsonNode g = ok(HttpMethod.GET, "/cluster/ha/groups/prefer1", Map.of());
        assertThat(g.path("nodes").asString()).isEqualTo("n1:2,n2");
        assertThat(g.path("restricted").asInt()).isEqualTo(1);
        ok(HttpMethod.PUT, "/cluster/ha/groups/prefer1", Map.of("nofailback", "1", "delete", "restricted"));
        assertThat(cfs.readString("ha/groups.cfg").orElseThrow()).isEqualTo("group: prefer1\n\tnodes n1:2,n2\n\tnofailback 1\n\n");
        ok(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "vm:100", "group", "prefer1"));
        ApiResponse inUse = call(HttpMethod.DELETE, "/cluster/ha/groups/prefer1", Map.of());
        assertThat(inUse.message()).contains("ha group is used by service 'vm:100'");
        ApiResponse unknownGroup = call(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "ct:101", "group", "nope"));
        assertThat(unknownGroup.message()).contains("group 'nope' does not exist");
        ok(HttpMethod.DELETE, "/cluster/ha/resources/vm:100", Map.of());
        ok(HttpMethod.DELETE, "/cluster/ha/groups/prefer1", Map.of());
        assertThat(ok(HttpMethod.GET, "/cluster/ha/groups", Map.of())).isEmpty();
    }

    @Test
    void statusShowsQuorumMasterLrmsAndServices() {
        ok(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "vm:100"));
        ok(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "ct:101"));
        ManagerStatus ms = new ManagerStatus();
        ms.masterNode = "n1";
        ms.timestamp = now - 5;
        ms.nodeStatus.put("n1", "online");
        ms.nodeStatus.put("n2", "online");
        ServiceState sd = new ServiceState("started", "n1", "u1");
        sd.running = true;
        ms.serviceStatus.put("vm:100", sd);
        cfs.mkdirs("ha");
        cfs.writeString("ha/manager_status", HaJson.write(HaJson.toJson(ms)));
        LrmStatus l1 = new LrmStatus();
        l1.state = "active";
        l1.mode = "active";
        l1.timestamp = now - 3;
        cfs.writeString("nodes/n1/lrm_status", HaJson.write(HaJson.toJson(l1)));
        LrmStatus l2 = new LrmStatus();
        l2.state = "wait_for_agent_lock";
        l2.mode = "active";
        l2.timestamp = now - 100;
        cfs.writeString("nodes/n2/lrm_status", HaJson.write(HaJson.toJson(l2)));

        JsonNode st = ok(HttpMethod.GET, "/cluster/ha/status/current", Map.of());
        List<String> lines = new java.util.ArrayList<>();
        for (JsonNode e : st) lines.add(e.path("type").asString() + " " + e.path("status").asString());
        assertThat(lines).containsExactly(
            "quorum OK",
            "master n1 (active, " + HaResources.localtime(now - 5) + ")",
            "lrm n1 (active, " + HaResources.localtime(now - 3) + ")",
            "lrm n2 (old timestamp - dead?, " + HaResources.localtime(now - 100) + ")",
            "service vm:100 (n1, started)",
            "service ct:101 (n2, queued)");
        JsonNode svc = st.get(4);
        assertThat(svc.path("crm_state").asString()).isEqualTo("started");
        assertThat(svc.path("request_state").asString()).isEqualTo("started");
        assertThat(svc.path("max_relocate").asInt()).isEqualTo(1);

        JsonNode full = ok(HttpMethod.GET, "/cluster/ha/status/manager_status", Map.of());
        assertThat(full.path("manager_status").path("master_node").asString()).isEqualTo("n1");
        assertThat(full.path("lrm_status").path("n1").path("state").asString()).isEqualTo("active");
        assertThat(full.path("quorum").path("quorate").asInt()).isEqualTo(1);
        assertThat(HaResources.localtime(0).length()).isEqualTo(24);
    }

    @Test
    void timingIsValidatedAndKeptInTheHavenOwnedFile() {
        JsonNode t = ok(HttpMethod.GET, "/cluster/ha/timing", Map.of());
        assertThat(t.toString()).isEqualTo("{\"round\":10,\"watchdog_timeout\":60,\"device_timeout\":10,\"lock_lifetime\":120,\"fence_delay\":60}");
        ApiResponse unsafe = call(HttpMethod.PUT, "/cluster/ha/timing", Map.of("lock_lifetime", "60"));
        assertThat(unsafe.status()).isEqualTo(400);
        assertThat(unsafe.errors()).containsOnlyKeys("lock_lifetime");
        assertThat(unsafe.errors().get("lock_lifetime")).startsWith("unsafe: lock_lifetime (60 s) must be more than watchdog_timeout"
            + " + device_timeout + safety margin (60 + 10 + 5 = 75 s)");
        assertThat(cfs.readString(org.haven.cfs.LockTable.HA_TIMING_FILE)).isEmpty();
        ApiResponse range = call(HttpMethod.PUT, "/cluster/ha/timing", Map.of("lock_lifetime", "200"));
        assertThat(range.status()).isEqualTo(400);
        assertThat(range.errors()).containsOnlyKeys("lock_lifetime");

        ok(HttpMethod.PUT, "/cluster/ha/timing", Map.of("round", "2", "watchdog_timeout", "8", "device_timeout", "4",
            "lock_lifetime", "18", "fence_delay", "8"));
        assertThat(cfs.readString(org.haven.cfs.LockTable.HA_TIMING_FILE).orElseThrow()).endsWith(
            "round: 2\nwatchdog_timeout: 8\ndevice_timeout: 4\nlock_lifetime: 18\nfence_delay: 8\n");
        assertThat(ok(HttpMethod.GET, "/cluster/ha/timing", Map.of()).path("lock_lifetime").asInt()).isEqualTo(18);
        // raising the watchdog alone would be unsafe with the short lock lifetime
        ApiResponse wd = call(HttpMethod.PUT, "/cluster/ha/timing", Map.of("watchdog_timeout", "20"));
        assertThat(wd.status()).isEqualTo(400);
        assertThat(wd.errors().get("lock_lifetime")).startsWith("unsafe: lock_lifetime (18 s)");
        ApiResponse slow = call(HttpMethod.PUT, "/cluster/ha/timing", Map.of("round", "5"));
        assertThat(slow.errors()).containsOnlyKeys("watchdog_timeout");
        ApiResponse badDelete = call(HttpMethod.PUT, "/cluster/ha/timing", Map.of("delete", "nope"));
        assertThat(badDelete.errors()).containsOnlyKeys("delete");
        // datacenter.cfg is untouched
        assertThat(cfs.readString("datacenter.cfg")).isEmpty();
        // back to PVE's values: the file goes away
        ok(HttpMethod.PUT, "/cluster/ha/timing", Map.of("delete", "round,watchdog_timeout,device_timeout,lock_lifetime,fence_delay"));
        assertThat(cfs.readString(org.haven.cfs.LockTable.HA_TIMING_FILE)).isEmpty();
    }

    @Test
    void fencingDevicesAreWrittenToFenceCfgOnlyWhenTheyParse() {
        String cfg = "device bmc2 fence_ipmilan ip=127.0.0.1 ipport=6230 username=admin password=secret lanplus\n"
            + "connect bmc2 node=n2\n";
        ok(HttpMethod.PUT, "/cluster/ha/fence", Map.of("config", cfg));
        assertThat(cfs.readString("ha/fence.cfg")).contains(cfg);
        ApiResponse bad = call(HttpMethod.PUT, "/cluster/ha/fence", Map.of("config", "connect nope node=n2\n"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errors().get("config")).isEqualTo("line 1: unknown device 'nope'");
        assertThat(cfs.readString("ha/fence.cfg")).contains(cfg);
        ok(HttpMethod.PUT, "/cluster/ha/fence", Map.of("config", ""));
        assertThat(cfs.readString("ha/fence.cfg")).isEmpty();
    }

    @Test
    void anAgentIsCalledDeadAfterThreeRoundsOfTheConfiguredTiming() {
        LrmStatus l1 = new LrmStatus();
        l1.state = "active";
        l1.mode = "active";
        l1.timestamp = now - 10;
        cfs.writeString("nodes/n1/lrm_status", HaJson.write(HaJson.toJson(l1)));
        ManagerStatus ms = new ManagerStatus();
        ms.masterNode = "n1";
        ms.timestamp = now - 10;
        ms.nodeStatus.put("n1", "online");
        cfs.mkdirs("ha");
        cfs.writeString("ha/manager_status", HaJson.write(HaJson.toJson(ms)));
        // PVE's 10 s rounds: 10 s old is alive (dead after 30 s)
        assertThat(statusLines()).contains("lrm n1 (active, " + HaResources.localtime(now - 10) + ")");
        ok(HttpMethod.PUT, "/cluster/ha/timing", Map.of("round", "2", "watchdog_timeout", "8", "device_timeout", "4",
            "lock_lifetime", "18", "fence_delay", "8"));
        // 2 s rounds: 10 s is more than three rounds
        assertThat(statusLines()).contains("lrm n1 (old timestamp - dead?, " + HaResources.localtime(now - 10) + ")",
            "master n1 (old timestamp - dead?, " + HaResources.localtime(now - 10) + ")");
    }

    private List<String> statusLines() {
        List<String> lines = new java.util.ArrayList<>();
        for (JsonNode e : ok(HttpMethod.GET, "/cluster/ha/status/current", Map.of()))
            lines.add(e.path("type").asString() + " " + e.path("status").asString());
        return lines;
    }

    @Test
    void crmCommandsAreCheckedAndQueuedForTheManager() {
        ok(HttpMethod.POST, "/cluster/ha/resources", Map.of("sid", "vm:100"));
        ok(HttpMethod.POST, "/cluster/ha/crm-command/node-maintenance", Map.of("action", "enable", "node", "n2"));
        ok(HttpMethod.POST, "/cluster/ha/crm-command/stop", Map.of("sid", "100", "timeout", "30"));
        ok(HttpMethod.POST, "/cluster/ha/crm-command/node-maintenance", Map.of("action", "disable", "node", "n2"));
        assertThat(cfs.readString("ha/crm_commands").orElseThrow())
            .isEqualTo("enable-node-maintenance n2\nstop vm:100 30\ndisable-node-maintenance n2\n");

        ApiResponse noNode = call(HttpMethod.POST, "/cluster/ha/crm-command/node-maintenance", Map.of("action", "enable", "node", "n9"));
        assertThat(noNode.status()).isEqualTo(500);
        assertThat(noNode.message()).contains("no such cluster node 'n9'");
        ApiResponse unmanaged = call(HttpMethod.POST, "/cluster/ha/crm-command/stop", Map.of("sid", "vm:101", "timeout", "0"));
        assertThat(unmanaged.status()).isEqualTo(500);
        assertThat(unmanaged.message()).contains("service 'vm:101' is not HA managed");
        ApiResponse badAction = call(HttpMethod.POST, "/cluster/ha/crm-command/node-maintenance", Map.of("action", "on", "node", "n1"));
        assertThat(badAction.errors()).containsOnlyKeys("action");
        ApiResponse badTimeout = call(HttpMethod.POST, "/cluster/ha/crm-command/stop", Map.of("sid", "vm:100", "timeout", "-1"));
        assertThat(badTimeout.errors()).containsOnlyKeys("timeout");
        assertThat(cfs.readString("ha/crm_commands").orElseThrow().lines()).hasSize(3);
    }
}
