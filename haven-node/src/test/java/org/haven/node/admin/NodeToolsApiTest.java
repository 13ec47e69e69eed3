package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** report, wakeonlan, execute, query-url-metadata and subscription behind the real dispatcher, on a scratch host root. */
@RealTest
class NodeToolsApiTest {
    @TempDir Path tmp;
    Path root;
    LocalClusterFs cfs;
    TestApi api;

    @BeforeEach
    void setUp() throws Exception {
        root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc/apt"));
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n192.0.2.10 n1.example n1\n");
        Files.writeString(root.resolve("etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
        Files.writeString(root.resolve("proc/cpuinfo"), "processor\t: 0\nphysical id\t: 0\n\nprocessor\t: 1\nphysical id\t: 1\n\nprocessor\t: 2\nphysical id\t: 1\n");
        Files.writeString(root.resolve("etc/apt/sources.list"), "deb http://deb.debian.org/debian bookworm main\n");
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        cfs.mkdirs("nodes/n1/qemu-server");
        cfs.writeString("nodes/n1/qemu-server/100.conf", "memory: 512\nname: web\n");
        cfs.writeString("storage.cfg", "dir: local\n\tpath /var/lib/vz\n");
        ProcessCommandRunner runner = new ProcessCommandRunner();
        Host host = new Host(root, root.resolve("etc"), null);
        Apt apt = new Apt(root, runner);
        api = new TestApi(cfs, tmp, (authid, path, privs, any) -> authid.equals("audit@pve") && privs.contains("Sys.Audit"),
                (reg, ctx) -> {
                    new HostApi(ctx, host).register(reg);
                    new AptApi(ctx, apt, runner).register(reg);
                    new NodeToolsApi(ctx, host, apt, runner, () -> api.dispatcher).register(reg);
                });
    }

    @Test
    void subscriptionIsNotFoundAndAKeyIsRefused() {
        JsonNode s = TestApi.data(api.as("audit@pve", HttpMethod.GET, "/nodes/n1/subscription", "node", "n1"));
        assertThat(s.get("status").asString()).isEqualTo("notfound");
        assertThat(s.get("message").asString()).isEqualTo("There is no subscription key");
        assertThat(s.get("serverid").asString()).matches("[0-9A-F]{32}");
        assertThat(s.get("sockets").asInt()).isEqualTo(2);
        JsonNode anyone = TestApi.data(api.as("nobody@pve", HttpMethod.GET, "/nodes/n1/subscription", "node", "n1"));
        assertThat(anyone.has("serverid")).isFalse();
        assertThat(anyone.get("status").asString()).isEqualTo("notfound");

        ApiResponse set = api.local(HttpMethod.PUT, "/nodes/n1/subscription", "node", "n1", "key", "pve1c-0123456789");
        assertThat(set.status()).isEqualTo(500);
        assertThat(set.message()).contains(NodeToolsApi.NO_SUBSCRIPTION);
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/subscription", "node", "n1").status()).isEqualTo(200);
        assertThat(api.local(HttpMethod.DELETE, "/nodes/n1/subscription", "node", "n1").status()).isEqualTo(200);
        assertThat(api.as("audit@pve", HttpMethod.DELETE, "/nodes/n1/subscription", "node", "n1").status()).isEqualTo(403);
    }

    @Test
    void executeRunsEachCallInOrderAndReportsFailuresPerCall() {
        String cmds = """
                [{"method":"GET","path":"hosts"},
                 {"method":"POST","path":"hosts","args":{"data":"127.0.0.1 localhost\\n"}},
                 {"method":"GET","path":"/hosts"},
                 {"method":"GET","path":"nothere"},
                 {"method":"PATCH","path":"hosts"},
                 {"method":"PUT","path":"dns","args":{"dns1":"192.0.2.1"}}]""";
        JsonNode r = TestApi.data(api.local(HttpMethod.POST, "/nodes/n1/execute", "node", "n1", "commands", cmds));
        assertThat(r).hasSize(6);
        assertThat(r.get(0).get("status").asInt()).isEqualTo(200);
        assertThat(r.get(0).get("data").get("data").asString()).contains("n1.example");
        assertThat(r.get(1).get("status").asInt()).isEqualTo(200);
        assertThat(r.get(2).get("data").get("data").asString()).isEqualTo("127.0.0.1 localhost\n");
        assertThat(r.get(3).get("status").asInt()).isNotEqualTo(200);
        assertThat(r.get(4).get("message").asString()).isEqualTo("PATCH hosts: unsupported method\n");
        assertThat(r.get(5).get("status").asInt()).isEqualTo(400);
        assertThat(r.get(5).get("errors").has("search")).isTrue();
        assertThat(api.as("audit@pve", HttpMethod.POST, "/nodes/n1/execute", "node", "n1", "commands", "[]").status()).isEqualTo(403);
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/execute", "node", "n1", "commands", "{}").status()).isEqualTo(400);
    }

    @Test
    void queryUrlMetadataAsksTheServerWithHead() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> methods = new ArrayList<>();
        server.createContext("/images/", ex -> {
            methods.add(ex.getRequestMethod());
            if (ex.getRequestURI().getPath().endsWith("missing.iso")) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.getResponseHeaders().add("Content-Type", "application/x-iso9660-image; charset=binary");
                if (ex.getRequestURI().getPath().endsWith("named")) ex.getResponseHeaders().add("Content-Disposition", "attachment; filename=\"debian-12.iso\"");
                ex.getResponseHeaders().add("Content-Length", "1048576");
                ex.sendResponseHeaders(200, -1);
            }
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/images/";
            JsonNode m = TestApi.data(api.as("audit@pve", HttpMethod.GET, "/nodes/n1/query-url-metadata", "node", "n1", "url", base + "alpine.iso?x=1"));
            assertThat(m.get("filename").asString()).isEqualTo("alpine.iso");
            assertThat(m.get("size").asLong()).isEqualTo(1048576);
            assertThat(m.get("mimetype").asString()).isEqualTo("application/x-iso9660-image");
            JsonNode named = TestApi.data(api.local(HttpMethod.GET, "/nodes/n1/query-url-metadata", "node", "n1", "url", base + "named"));
            assertThat(named.get("filename").asString()).isEqualTo("debian-12.iso");
            ApiResponse missing = api.local(HttpMethod.GET, "/nodes/n1/query-url-metadata", "node", "n1", "url", base + "missing.iso");
            assertThat(missing.message()).contains("invalid server response: '404'");
            assertThat(methods).containsOnly("HEAD");
            assertThat(api.as("nobody@pve", HttpMethod.GET, "/nodes/n1/query-url-metadata", "node", "n1", "url", base + "a.iso").status()).isEqualTo(403);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void reportHasPveSectionsWithFilesCommandsAndApiListings() {
        String report = TestApi.data(api.as("audit@pve", HttpMethod.GET, "/nodes/n1/report", "node", "n1")).asString();
        assertThat(report).contains("\n==== general system info ====\n\n# hostname\n", "==== storage ====", "==== virtual guests ====", "==== network ====",
                "==== cluster ====", "==== volumes ====");
        assertThat(report).contains("# cat /etc/hosts\n127.0.0.1 localhost\n192.0.2.10 n1.example n1\n");
        assertThat(report).contains("# cat /etc/apt/sources.list\ndeb http://deb.debian.org/debian bookworm main\n");
        assertThat(report).contains("# cat /etc/pve/nodes/n1/qemu-server/100.conf\nmemory: 512\nname: web\n");
        assertThat(report).contains("# cat /etc/pve/storage.cfg\ndir: local\n");
        assertThat(report).containsPattern("# pveversion --verbose\nhaven: \\S+ \\(running kernel: ");
        assertThat(report).contains("# pvesubscription get\nstatus: notfound\n");
        assertThat(report).containsPattern("# ip -details -4 route show\n(.*\n)*?\\S");
        assertThat(api.as("nobody@pve", HttpMethod.GET, "/nodes/n1/report", "node", "n1").status()).isEqualTo(403);
    }

    @Test
    void wakeOnLanNeedsAMacAndAnotherNode() {
        cfs.mkdirs("nodes/n2");
        assertThat(api.local(HttpMethod.POST, "/nodes/n2/wakeonlan", "node", "n2").message()).contains("No wake on LAN MAC address defined for 'n2'!");
        cfs.writeString("nodes/n1/config", "wakeonlan: 52:54:00:12:34:56\n");
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/wakeonlan", "node", "n1").message()).contains("n1 is local node, cannot wake my self!");
        cfs.writeString("nodes/n2/config", "wakeonlan: mac=52:54:00:12:34:56,bind-interface=hvnothere0\n");
        assertThat(api.local(HttpMethod.POST, "/nodes/n2/wakeonlan", "node", "n2").message())
                .contains("Unable to bind socket to interface 'hvnothere0'");
        assertThat(api.as("audit@pve", HttpMethod.POST, "/nodes/n2/wakeonlan", "node", "n2").status()).isEqualTo(403);
    }

    /**
     * The packet reaches a listener in a network namespace the test makes: a veth pair whose host end is bound by
     * {@code bind-interface} and whose subnet's broadcast address is the {@code broadcast-address}.
     */
    @Test
    void wakeOnLanSendsTheMagicPacketToTheBroadcastAddress() throws Exception {
        Tools.requireRoot("network namespaces");
        Tools.require("iproute2", "ip");
        Tools.require("python3", "python3");
        String id = Long.toString(ProcessHandle.current().pid() % 100000);
        String ns = "hvwol" + id, veth = "hvw" + id;
        try {
            sh("ip", "netns", "add", ns);
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
            sh("ip", "addr", "add", "198.18.77.1/24", "dev", veth);
            sh("ip", "link", "set", veth, "up");
            sh("ip", "-n", ns, "addr", "add", "198.18.77.2/24", "dev", "eth0");
            sh("ip", "-n", ns, "link", "set", "eth0", "up");
            Process rx = new ProcessBuilder("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", """
                    import socket
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                    s.bind(('', 9))
                    s.settimeout(20)
                    print('ready', flush=True)
                    d, a = s.recvfrom(2048)
                    print(d.hex(), a[0], flush=True)
                    """).redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(rx.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(out.readLine()).isEqualTo("ready");
                cfs.mkdirs("nodes/n2");
                cfs.writeString("nodes/n2/config", "wakeonlan: mac=52:54:00:AB:cd:01,bind-interface=" + veth + ",broadcast-address=198.18.77.255\n");
                assertThat(TestApi.data(api.local(HttpMethod.POST, "/nodes/n2/wakeonlan", "node", "n2")).asString()).isEqualTo("52:54:00:AB:cd:01");
                String[] got = out.readLine().split(" ");
                assertThat(got[0]).isEqualTo(HexFormat.of().formatHex(WakeOnLan.packet("52:54:00:ab:cd:01")));
                assertThat(got[0]).startsWith("ffffffffffff525400abcd01525400abcd01").hasSize(2 * 102);
                assertThat(got[1]).isEqualTo("198.18.77.1");
            } finally {
                rx.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } finally {
            new ProcessBuilder("ip", "link", "del", veth).start().waitFor(10, TimeUnit.SECONDS);
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }
}
