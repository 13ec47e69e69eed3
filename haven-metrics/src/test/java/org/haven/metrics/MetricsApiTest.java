package org.haven.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.RawResult;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The /cluster/metrics API behind the real dispatcher, on a node with a directory cluster file system. */
class MetricsApiTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;
    LocalClusterFs cfs;
    FileTaskManager tasks;
    Dispatcher dispatcher;
    MetricsModule module;
    long now = 1_700_000_000L;

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
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        Clock clock = () -> now;
        TestNodeContext node = new TestNodeContext(cfs, tasks, access, tmp, clock);
        ApiTree tree = new ApiTree();
        module = new MetricsModule(ctx -> ctime -> new Snapshot(ctime, ctx.nodeName(), Map.of("uptime", ctime - 1_699_999_000L),
                List.of(new Snapshot.Guest("qemu", 100, Map.of("cpu", 0.5, "mem", 10L))), List.of()), Duration.ofHours(1), new MetricSender());
        module.register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    @AfterEach
    void stop() { tasks.close(); }

    ApiResponse call(String user, HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], String.valueOf(kv[i + 1]));
        return dispatcher.handle(new ApiRequest(m, path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    JsonNode ok(HttpMethod m, String path, Object... kv) {
        ApiResponse r = call("root@pam", m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    String file() { return cfs.readString("status.cfg").orElse(""); }

    @Test
    void createReadUpdateDelete() throws Exception {
        try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            ok(HttpMethod.POST, "/cluster/metrics/server/g1", "type", "graphite", "server", "127.0.0.1", "port", udp.getLocalPort(),
                    "path", "haven.c1", "mtu", 1000);
            ok(HttpMethod.POST, "/cluster/metrics/server/i1", "type", "influxdb", "server", "localhost", "port", 8086,
                    "influxdbproto", "http", "organization", "o", "bucket", "b", "token", "s3cret", "verify-certificate", 0);
            assertThat(file()).isEqualTo("graphite: g1\n\tserver 127.0.0.1\n\tmtu 1000\n\tpath haven.c1\n\tport " + udp.getLocalPort() + "\n\n"
                    + "influxdb: i1\n\tport 8086\n\tserver localhost\n\tbucket b\n\tinfluxdbproto http\n\torganization o\n\tverify-certificate 0\n\n");
            assertThat(cfs.readString("priv/metricserver/i1.pw")).contains("s3cret");

            JsonNode list = ok(HttpMethod.GET, "/cluster/metrics/server");
            assertThat(list.toString()).isEqualTo("[{\"id\":\"g1\",\"disable\":0,\"port\":" + udp.getLocalPort()
                    + ",\"server\":\"127.0.0.1\",\"type\":\"graphite\"},{\"id\":\"i1\",\"disable\":0,\"port\":8086,\"server\":\"localhost\",\"type\":\"influxdb\"}]");

            JsonNode i1 = ok(HttpMethod.GET, "/cluster/metrics/server/i1");
            assertThat(i1.path("type").asString()).isEqualTo("influxdb");
            assertThat(i1.path("verify-certificate").asInt()).isZero();
            assertThat(i1.has("token")).isFalse();
            String digest = i1.path("digest").asString();
            assertThat(digest).isEqualTo(MetricsModule.digest(file()));

            // PVE's update schema requires server and port as well
            ok(HttpMethod.PUT, "/cluster/metrics/server/i1", "server", "localhost", "port", 8086, "bucket", "b2", "delete", "organization,token", "digest", digest);
            assertThat(file()).contains("\tbucket b2\n").doesNotContain("organization");
            assertThat(cfs.readString("priv/metricserver/i1.pw")).isEmpty();

            ApiResponse stale = call("root@pam", HttpMethod.PUT, "/cluster/metrics/server/i1", "server", "localhost", "port", 8086, "bucket", "b3", "digest", digest);
            assertThat(stale.status()).isEqualTo(500);
            assertThat(stale.message()).contains("detected modified configuration - file changed by other user? Try again.");

            ApiResponse required = call("root@pam", HttpMethod.PUT, "/cluster/metrics/server/i1", "server", "localhost", "port", 8086, "delete", "server");
            assertThat(required.message()).contains("unable to delete required option 'server'");
            ApiResponse wrongType = call("root@pam", HttpMethod.PUT, "/cluster/metrics/server/g1", "server", "127.0.0.1", "port", 2003, "bucket", "x");
            assertThat(wrongType.message()).contains("unexpected property 'bucket'");

            ok(HttpMethod.DELETE, "/cluster/metrics/server/g1");
            assertThat(file()).doesNotContain("g1");
            assertThat(call("root@pam", HttpMethod.GET, "/cluster/metrics/server/g1").message()).contains("no such server 'g1'");
            assertThat(call("root@pam", HttpMethod.DELETE, "/cluster/metrics/server/g1").message()).contains("no such server 'g1'");
        }
    }

    @Test
    void parameterErrorsAndDuplicates() {
        ApiResponse r = call("root@pam", HttpMethod.POST, "/cluster/metrics/server/g1", "type", "graphite", "server", "127.0.0.1",
                "port", 2003, "path", "bad path", "mtu", 100, "proto", "sctp");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errors()).containsOnlyKeys("path", "mtu", "proto");
        assertThat(r.errors().get("path")).contains("value does not look like a valid graphite path");
        assertThat(call("root@pam", HttpMethod.POST, "/cluster/metrics/server/g1", "type", "graphite", "server", "127.0.0.1").errors())
                .containsKey("port");
        ok(HttpMethod.POST, "/cluster/metrics/server/g1", "type", "graphite", "server", "127.0.0.1", "port", 2003);
        assertThat(call("root@pam", HttpMethod.POST, "/cluster/metrics/server/g1", "type", "graphite", "server", "127.0.0.1", "port", 2003)
                .message()).contains("Metric server 'g1' already exists");
    }

    @Test
    void aFailingConnectionTestKeepsTheServerOut() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        ApiResponse r = call("root@pam", HttpMethod.POST, "/cluster/metrics/server/t1", "type", "graphite", "server", "127.0.0.1",
                "port", closed, "proto", "tcp");
        assertThat(r.status()).as("%s %s", r.message(), r.errors()).isEqualTo(500);
        assertThat(r.message()).startsWith("failed to create socket - ");
        assertThat(file()).isEmpty();
        ok(HttpMethod.POST, "/cluster/metrics/server/t1", "type", "graphite", "server", "127.0.0.1", "port", closed, "proto", "tcp", "disable", 1);
        assertThat(file()).contains("\tdisable 1\n");
    }

    @Test
    void permissions() {
        assertThat(call("audit@pve", HttpMethod.GET, "/cluster/metrics/server").status()).isEqualTo(200);
        assertThat(call("audit@pve", HttpMethod.GET, "/cluster/metrics/export").status()).isEqualTo(200);
        assertThat(call("audit@pve", HttpMethod.POST, "/cluster/metrics/server/g1", "type", "graphite", "server", "h", "port", 1).status())
                .isEqualTo(403);
        assertThat(call("nobody@pve", HttpMethod.GET, "/cluster/metrics/server").status()).isEqualTo(403);
        assertThat(call("nobody@pve", HttpMethod.GET, "/cluster/metrics").status()).isEqualTo(200);
        assertThat(file()).isEmpty();
    }

    @Test
    void indexAndExport() {
        assertThat(ok(HttpMethod.GET, "/cluster/metrics").toString()).isEqualTo("[{\"name\":\"server\"},{\"name\":\"export\"}]");
        assertThat(ok(HttpMethod.GET, "/cluster/metrics/export").path("data")).isEmpty();
        module.tick();
        now += 10;
        module.tick();
        JsonNode latest = ok(HttpMethod.GET, "/cluster/metrics/export", "local-only", 1).path("data");
        assertThat(latest.toString()).isEqualTo("[{\"id\":\"node/n1\",\"metric\":\"uptime\",\"timestamp\":1700000010,\"type\":\"gauge\",\"value\":1010.0},"
                + "{\"id\":\"node/n1\",\"metric\":\"net_in\",\"timestamp\":1700000010,\"type\":\"derive\",\"value\":0.0},"
                + "{\"id\":\"node/n1\",\"metric\":\"net_out\",\"timestamp\":1700000010,\"type\":\"derive\",\"value\":0.0},"
                + "{\"id\":\"qemu/100\",\"metric\":\"cpu_current\",\"timestamp\":1700000010,\"type\":\"gauge\",\"value\":0.5},"
                + "{\"id\":\"qemu/100\",\"metric\":\"mem_used\",\"timestamp\":1700000010,\"type\":\"gauge\",\"value\":10.0}]");
        assertThat(ok(HttpMethod.GET, "/cluster/metrics/export", "history", 1).path("data")).hasSize(10);
        assertThat(ok(HttpMethod.GET, "/cluster/metrics/export", "history", 1, "start-time", 1_700_000_005L).path("data")).hasSize(5);

        ApiResponse prom = call("audit@pve", HttpMethod.GET, MetricsModule.PROMETHEUS_PATH);
        assertThat(prom.data()).isInstanceOf(RawResult.class);
        RawResult raw = (RawResult) prom.data();
        assertThat(raw.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(new String(raw.body(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("# TYPE haven_uptime gauge\nhaven_uptime{id=\"node/n1\",type=\"node\"} 1010\n")
                .contains("haven_cpu_current{id=\"qemu/100\",type=\"qemu\"} 0.5\n");
        assertThat(call("nobody@pve", HttpMethod.GET, MetricsModule.PROMETHEUS_PATH).status()).isEqualTo(403);
    }
}
