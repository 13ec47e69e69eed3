package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
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
import org.haven.core.testing.RealTest;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The node's host methods behind the real dispatcher, on a scratch root with its own etc, proc, sys and journal. */
@RealTest
class HostApiTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;
    Path root;
    LocalClusterFs cfs;
    FileTaskManager tasks;
    Dispatcher dispatcher;

    @BeforeEach
    void start() throws Exception {
        root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/resolv.conf"), "# local\ndomain old.example\nnameserver 192.0.2.53\noptions edns0\n");
        Files.writeString(root.resolve("etc/hosts"), "127.0.0.1 localhost\n192.0.2.10 node1.example node1\n");
        Files.createDirectories(root.resolve("proc/net"));
        Files.writeString(root.resolve("proc/net/dev"), """
                Inter-|   Receive                                                |  Transmit
                 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                tap100i0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
                """);
        HardwareTest.pci(root.resolve("sys/bus/pci/devices"), "0000:00:03.0", "0x020000", "0x8086", "0x100e", null, null, 2);
        HardwareTest.pci(root.resolve("sys/bus/pci/devices"), "0000:00:00.0", "0x060000", "0x8086", "0x1237", null, null, 0);
        HardwareTest.file(root.resolve("usr/share/misc/pci.ids"), HardwareTest.PCI_IDS);
        HardwareTest.usb(root.resolve("sys/bus/usb/devices"), "usb1", 1, 1, "09", "1d6b", "0002", "480", "EHCI Host Controller");
        Path journal = JournalFixture.write(tmp.resolve("journal"), "cron", "havend", "sshd");

        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                return authid.equals("root@pam") || (authid.equals("audit@pve") && privs.contains("Sys.Audit"));
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        TestNodeContext node = new TestNodeContext(cfs, tasks, access, tmp, Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        new HostApi(node, new Host(root, root.resolve("etc"), journal)).register(tree);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        dispatcher = new Dispatcher(tree, node, auth);
    }

    ApiResponse call(String user, HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], String.valueOf(kv[i + 1]));
        if (user == null) return dispatcher.handle(new ApiRequest(m, path, params, null, null, null, true, "unix"));
        return dispatcher.handle(new ApiRequest(m, path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    JsonNode ok(HttpMethod m, String path, Object... kv) {
        ApiResponse r = call(null, m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    @Test
    void dnsReadsAndWritesResolvConf() throws Exception {
        JsonNode dns = ok(HttpMethod.GET, "/nodes/n1/dns");
        assertThat(dns.properties()).extracting(Map.Entry::getKey).containsExactly("search", "dns1");
        assertThat(dns.get("search").asString()).isEqualTo("old.example");
        ok(HttpMethod.PUT, "/nodes/n1/dns", "search", "new.example", "dns1", "192.0.2.1", "dns2", "2001:db8::1");
        assertThat(Files.readString(root.resolve("etc/resolv.conf")))
                .isEqualTo("search new.example\nnameserver 192.0.2.1\nnameserver 2001:db8::1\n# local\noptions edns0\n");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/dns").get("dns2").asString()).isEqualTo("2001:db8::1");
        assertThat(call(null, HttpMethod.PUT, "/nodes/n1/dns", "search", "x", "dns1", "not-an-ip").errors()).containsKey("dns1");
        assertThat(call(null, HttpMethod.PUT, "/nodes/n1/dns", "dns1", "192.0.2.1").errors()).containsKey("search");
        assertThat(call("audit@pve", HttpMethod.PUT, "/nodes/n1/dns", "search", "x").status()).isEqualTo(403);
        assertThat(call("audit@pve", HttpMethod.GET, "/nodes/n1/dns").status()).isEqualTo(200);
    }

    @Test
    void hostsWithDigest() throws Exception {
        JsonNode hosts = ok(HttpMethod.GET, "/nodes/n1/hosts");
        String text = Files.readString(root.resolve("etc/hosts"));
        assertThat(hosts.get("data").asString()).isEqualTo(text);
        String digest = hosts.get("digest").asString();
        assertThat(digest).isEqualTo(EtcHosts.digest(text));

        String next = text + "192.0.2.11 node2.example node2\n";
        ok(HttpMethod.POST, "/nodes/n1/hosts", "data", next, "digest", digest);
        assertThat(Files.readString(root.resolve("etc/hosts"))).isEqualTo(next);
        ApiResponse stale = call(null, HttpMethod.POST, "/nodes/n1/hosts", "data", text, "digest", digest);
        assertThat(stale.status()).isEqualTo(500);
        assertThat(stale.message()).contains("detected modified configuration");
        ApiResponse bad = call(null, HttpMethod.POST, "/nodes/n1/hosts", "data", "node3 192.0.2.12\n");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errors()).containsEntry("data", "Invalid IP 'node3'");
        assertThat(Files.readString(root.resolve("etc/hosts"))).isEqualTo(next);
        ok(HttpMethod.POST, "/nodes/n1/hosts", "data", text);
        assertThat(Files.readString(root.resolve("etc/hosts"))).isEqualTo(text);
        try (var s = Files.list(root.resolve("etc"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("hosts", "resolv.conf");
        }
    }

    @Test
    void nodeConfigWithDescriptionDigestAndDelete() {
        JsonNode empty = ok(HttpMethod.GET, "/nodes/n1/config");
        assertThat(empty.properties()).extracting(Map.Entry::getKey).containsExactly("digest");
        ok(HttpMethod.PUT, "/nodes/n1/config", "description", "rack 4\nsecond line", "wakeonlan", "mac=aa:bb:cc:dd:ee:ff", "startall-onboot-delay", "30");
        assertThat(cfs.readString("nodes/n1/config")).contains("#rack 4\n#second line\nstartall-onboot-delay: 30\nwakeonlan: mac=aa:bb:cc:dd:ee:ff\n");
        JsonNode conf = ok(HttpMethod.GET, "/nodes/n1/config");
        assertThat(conf.get("description").asString()).isEqualTo("rack 4\nsecond line\n");
        assertThat(conf.get("startall-onboot-delay").isNumber()).isTrue();
        assertThat(conf.get("startall-onboot-delay").asInt()).isEqualTo(30);
        JsonNode one = ok(HttpMethod.GET, "/nodes/n1/config", "property", "wakeonlan");
        assertThat(one.properties()).extracting(Map.Entry::getKey).containsExactly("wakeonlan");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/config", "property", "acme").isEmpty()).isTrue();

        String digest = conf.get("digest").asString();
        ok(HttpMethod.PUT, "/nodes/n1/config", "delete", "wakeonlan,description", "digest", digest);
        assertThat(cfs.readString("nodes/n1/config")).contains("startall-onboot-delay: 30\n");
        ApiResponse stale = call(null, HttpMethod.PUT, "/nodes/n1/config", "startall-onboot-delay", "5", "digest", digest);
        assertThat(stale.status()).isEqualTo(500);
        assertThat(stale.message()).contains("detected modified configuration");
        assertThat(call(null, HttpMethod.PUT, "/nodes/n1/config", "startall-onboot-delay", "301").errors()).containsKey("startall-onboot-delay");
        assertThat(call(null, HttpMethod.PUT, "/nodes/n1/config", "wakeonlan", "mac=zz").errors()).containsKey("wakeonlan");
        assertThat(call(null, HttpMethod.PUT, "/nodes/n1/config", "nosuch", "1").errors()).containsKey("nosuch");
    }

    @Test
    void logsFromTheJournal() {
        ApiResponse r = call(null, HttpMethod.GET, "/nodes/n1/syslog", "start", 1, "limit", 1);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.attributes()).containsEntry("total", 3);
        JsonNode lines = JSON.valueToTree(r.data());
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).get("n").asInt()).isEqualTo(2);
        assertThat(lines.get(0).get("t").asString()).endsWith(" node1 havend[102]: message 2");
        JsonNode sshd = ok(HttpMethod.GET, "/nodes/n1/syslog", "service", "sshd.service");
        assertThat(sshd).hasSize(1);
        assertThat(sshd.get(0).get("t").asString()).endsWith("sshd[103]: message 3");
        assertThat(call(null, HttpMethod.GET, "/nodes/n1/syslog", "since", "yesterday").errors()).containsKey("since");

        JsonNode journal = ok(HttpMethod.GET, "/nodes/n1/journal", "lastentries", 2);
        assertThat(journal).hasSize(4);
        assertThat(journal.get(1).asString()).endsWith("havend[102]: message 2");
        assertThat(journal.get(2).asString()).endsWith("sshd[103]: message 3");
        JsonNode after = ok(HttpMethod.GET, "/nodes/n1/journal", "startcursor", journal.get(0).asString());
        assertThat(after).extracting(JsonNode::asString).containsExactly(journal.get(3).asString(), journal.get(2).asString(), journal.get(3).asString());
    }

    @Test
    void netstatAndHardware() {
        JsonNode net = ok(HttpMethod.GET, "/nodes/n1/netstat");
        assertThat(net).hasSize(1);
        assertThat(net.get(0).get("vmid").asString()).isEqualTo("100");
        assertThat(net.get(0).get("in").asString()).isEqualTo("2000");

        assertThat(ok(HttpMethod.GET, "/nodes/n1/hardware")).extracting(n -> n.get("type").asString()).containsExactly("pci", "usb");
        JsonNode pci = ok(HttpMethod.GET, "/nodes/n1/hardware/pci");
        assertThat(pci).extracting(n -> n.get("id").asString()).containsExactly("0000:00:03.0");
        assertThat(pci.get(0).get("device_name").asString()).isEqualTo("82540EM Gigabit Ethernet Controller");
        assertThat(pci.get(0).get("iommugroup").asInt()).isEqualTo(2);
        JsonNode all = ok(HttpMethod.GET, "/nodes/n1/hardware/pci", "pci-class-blacklist", "", "verbose", 0);
        assertThat(all).extracting(n -> n.get("id").asString()).containsExactly("0000:00:00.0", "0000:00:03.0");
        assertThat(all.get(1).has("vendor_name")).isFalse();
        JsonNode usb = ok(HttpMethod.GET, "/nodes/n1/hardware/usb");
        assertThat(usb).hasSize(1);
        assertThat(usb.get(0).get("vendid").asString()).isEqualTo("1d6b");
        assertThat(call("audit@pve", HttpMethod.GET, "/nodes/n1/hardware/usb").status()).isEqualTo(403);
    }

    @Test
    void mediatedDeviceTypesOfADeviceOrAMapping() throws Exception {
        Path devices = root.resolve("sys/bus/pci/devices");
        HardwareTest.pci(devices, "0000:01:00.0", "0x030000", "0x10de", "0x1eb8", null, null, 5);
        HardwareTest.pci(devices, "0000:02:00.0", "0x030000", "0x10de", "0x1eb8", null, null, 6);
        for (String dev : List.of("0000:01:00.0", "0000:02:00.0")) {
            Path t = devices.resolve(dev).resolve("mdev_supported_types/nvidia-222");
            HardwareTest.file(t.resolve("available_instances"), dev.startsWith("0000:01") ? "4" : "2");
            HardwareTest.file(t.resolve("description"), "num_heads=4, frl_config=60");
            HardwareTest.file(t.resolve("name"), "GRID T4-1B");
        }
        HardwareTest.file(devices.resolve("0000:01:00.0/mdev_supported_types/nvidia-223/available_instances"), "1");
        HardwareTest.file(devices.resolve("0000:01:00.0/mdev_supported_types/nvidia-223/description"), "two");

        assertThat(ok(HttpMethod.GET, "/nodes/n1/hardware/pci/01:00.0")).extracting(n -> n.get("method").asString()).containsExactly("mdev");
        JsonNode one = ok(HttpMethod.GET, "/nodes/n1/hardware/pci/0000:01:00.0/mdev");
        assertThat(one).hasSize(2);
        assertThat(one.get(0).get("type").asString()).isEqualTo("nvidia-222");
        assertThat(one.get(0).get("available").asInt()).isEqualTo(4);
        assertThat(one.get(0).get("name").asString()).isEqualTo("GRID T4-1B");
        assertThat(one.get(1).has("name")).isFalse();
        assertThat(ok(HttpMethod.GET, "/nodes/n1/hardware/pci/0000:00:03.0/mdev")).isEmpty();

        // a mapping: every path of this node's entries, free instances of one type added up
        cfs.mkdirs("mapping");
        cfs.writeString("mapping/pci.cfg", "cards\n\tmdev 1\n\tmap id=10de:1eb8,node=n1,path=0000:01:00.0;0000:02:00.0\n"
                + "\tmap id=10de:1eb8,node=n2,path=0000:09:00.0\n\n");
        JsonNode mapped = ok(HttpMethod.GET, "/nodes/n1/hardware/pci/cards/mdev");
        assertThat(mapped.get(0).get("available").asInt()).isEqualTo(6);
        assertThat(call(null, HttpMethod.GET, "/nodes/n1/hardware/pci/nocards/mdev").message()).contains("mapping 'nocards' not found");
        assertThat(call("audit@pve", HttpMethod.GET, "/nodes/n1/hardware/pci/cards/mdev").status()).isEqualTo(200);
    }

    @Test
    void servicesListStateAndCommands() throws Exception {
        JsonNode list = ok(HttpMethod.GET, "/nodes/n1/services");
        assertThat(list).extracting(n -> n.get("service").asString()).containsExactlyElementsOf(Services.LIST.keySet());
        for (JsonNode s : list) assertThat(s.get("state").asString()).as(s.toString()).isNotEmpty();
        JsonNode state = ok(HttpMethod.GET, "/nodes/n1/services/cron/state");
        assertThat(state.get("service").asString()).isEqualTo("cron");
        assertThat(ok(HttpMethod.GET, "/nodes/n1/services/cron")).extracting(n -> n.get("subdir").asString())
                .containsExactly("state", "start", "stop", "restart", "reload");
        assertThat(call(null, HttpMethod.GET, "/nodes/n1/services/nosuch/state").errors()).containsKey("service");

        ApiResponse refused = call(null, HttpMethod.POST, "/nodes/n1/services/pveproxy/stop");
        assertThat(refused.status()).isEqualTo(500);
        assertThat(refused.message()).contains("part of havend");

        String upid = ok(HttpMethod.POST, "/nodes/n1/services/cron/reload").asString();
        TaskManager.TaskInfo info = tasks.await(upid, 30_000);
        assertThat(info.type()).isEqualTo("srvreload");
        assertThat(info.id()).isEqualTo("cron");
        assertThat(tasks.log(upid, 0, 50).lines()).first().isEqualTo("systemctl try-reload-or-restart cron");
        boolean systemd = Files.isDirectory(Path.of("/run/systemd/system"));
        if (!systemd) assertThat(info.status()).contains("exit code");
    }
}
