package org.haven.ceph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.StorageManager;
import org.haven.storage.api.StorageApi;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * A real single-node Ceph cluster built through the API on loopback ({@code pveceph init --network 127.0.0.0/8},
 * a monitor that brings the first manager, a BlueStore OSD on a loop device), shared by the ordered tests of this
 * class: the read-only views, pools with their storage, flags, services, and taking the cluster down again. The
 * daemons and the loop device are removed after the class, also when a test fails.
 */
@RealTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CephClusterTest {
    static final String N = "/nodes/n1/ceph";
    Path tmp;
    LocalClusterFs cfs;
    TestApi api;
    CephApi module;
    StorageManager storage;
    String loop;

    @BeforeAll
    void cluster() throws Exception {
        Tools.requireRoot("Ceph daemons and loop devices");
        Tools.require("ceph-mon", "ceph-mon", "monmaptool");
        Tools.require("ceph-mgr", "ceph-mgr");
        Tools.require("ceph-osd", "ceph-osd");
        Tools.require("ceph-mds", "ceph-mds");
        Tools.require("ceph-common", "ceph", "ceph-authtool", "crushtool", "rbd");
        Tools.require("util-linux", "losetup", "blkid", "lsblk");
        tmp = Files.createTempDirectory("haven-ceph");
        Files.createDirectories(tmp.resolve("cfs"));
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        // as the node builds it: its rbd storages read the local ceph.conf the Ceph module writes
        storage = new StorageManager(cfs, "n1", tmp.resolve("data/storage/local"), new ProcessCommandRunner(),
                StorageManager.cephEtc(true, tmp.resolve("data")).resolve("ceph.conf"));
        module = new CephApi(storage);
        api = new TestApi(cfs, tmp, (a, p, privs, any) -> false, new StorageApi(storage), module, CephClusterTest::taskMethods);
        Path img = tmp.resolve("osd0.img");
        try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        loop = run("losetup", "--find", "--show", img.toString()).strip();
    }

    /** The task status and log the CLI follows. */
    static void taskMethods(org.haven.api.ApiRegistry reg, org.haven.api.NodeContext node) {
        reg.add(org.haven.api.ApiMethod.get("/nodes/{node}/tasks/{upid}/status").permissions(org.haven.api.Permission.all()).handler((p, rc) -> {
            var i = node.tasks().info(p.str("upid")).orElseThrow();
            return i.running() ? java.util.Map.of("status", "running") : java.util.Map.of("status", "stopped", "exitstatus", i.status());
        }).build());
        reg.add(org.haven.api.ApiMethod.get("/nodes/{node}/tasks/{upid}/log").permissions(org.haven.api.Permission.all())
                .param("start", org.haven.core.schema.Schema.integer().optional()).param("limit", org.haven.core.schema.Schema.integer().optional())
                .handler((p, rc) -> {
                    List<java.util.Map<String, Object>> out = new ArrayList<>();
                    int n = 1;
                    for (String l : node.tasks().log(p.str("upid"), 0, 0).lines()) out.add(java.util.Map.of("n", n++, "t", l));
                    return out;
                }).build());
    }

    @AfterAll
    void teardown() throws Exception {
        try {
            if (module != null && module.node() != null) module.node().stopAll();
        } finally {
            // a daemon whose PID file is gone still names this test's configuration on its command line
            String conf = tmp.resolve("data/ceph/etc/ceph.conf").toString();
            try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
                for (ProcessHandle h : all.filter(h -> h.info().arguments().map(a -> List.of(a).contains(conf)).orElse(false)).toList()) {
                    h.destroyForcibly();
                    h.onExit().get(10, TimeUnit.SECONDS);
                }
            }
            if (loop != null) run("losetup", "-d", loop);
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        return out;
    }

    ApiResponse call(HttpMethod m, String path, Object... kv) { return api.local(m, path, kv); }

    JsonNode get(String path, Object... kv) { return TestApi.data(call(HttpMethod.GET, path, kv)); }

    /** Start a task-returning method and wait for its end; returns its status ({@code OK} or the error). */
    String task(HttpMethod m, String path, Object... kv) throws InterruptedException {
        ApiResponse r = call(m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        String upid = (String) r.data();
        var info = api.node.tasks().await(upid, 180_000);
        if (!"OK".equals(info.status())) System.err.println(String.join("\n", api.node.tasks().log(upid, 0, 0).lines()));
        return info.status();
    }

    static void await(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
        for (int i = 0; i < 240; i++) {
            try {
                if (cond.getAsBoolean()) return;
            } catch (RuntimeException | AssertionError e) {
                // not yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    /** Runs the local command {@code words} of pveceph on node n1 of this test, with no options. */
    int pveceph(String words, java.io.ByteArrayOutputStream out) throws Exception {
        var cmd = new Pveceph().commands().stream().filter(c -> c.words().equals(words)).findFirst().orElseThrow();
        org.haven.api.cli.ApiClient client = (m, path, params) -> {
            Object[] kv = params.entrySet().stream().flatMap(e -> Stream.of(e.getKey(), e.getValue())).toArray();
            return TestApi.data(call(m, path, kv));
        };
        java.io.PrintStream ps = new java.io.PrintStream(out, true);
        return cmd.action().run(new org.haven.api.cli.CliInvocation() {
            @Override public java.util.Map<String, Object> params() { return java.util.Map.of("node", "n1"); }
            @Override public List<String> args() { return List.of(); }
            @Override public org.haven.api.cli.ApiClient client() { return client; }
            @Override public String localNode() { return "n1"; }
            @Override public java.io.PrintStream out() { return ps; }
            @Override public java.io.PrintStream err() { return ps; }
        });
    }

    /** A boolean of a result (a Java boolean before serialization, 1/0 after). */
    static boolean truth(JsonNode n) { return n.isBoolean() ? n.asBoolean() : n.asInt() != 0; }

    JsonNode osd0() {
        JsonNode host = get(N + "/osd").path("root").path("children").path(0).path("children").path(0);
        return host.path("children").path(0);
    }

    @Test
    @Order(1)
    void initMonitorManagerAndOsdBuildAHealthyCluster() throws Exception {
        ApiResponse before = call(HttpMethod.GET, N + "/status");
        assertThat(before.status()).isEqualTo(500);
        assertThat(before.message()).contains("pveceph configuration not initialized");

        assertThat(call(HttpMethod.POST, N + "/init", "network", "127.0.0.0/8", "size", 1, "min_size", 1).status()).isEqualTo(200);
        CephConfig conf = CephConfig.parse(cfs.readString("ceph.conf").orElseThrow());
        assertThat(conf.get("global", "fsid")).matches("[0-9a-f-]{36}");
        assertThat(conf.get("global", "public_network")).isEqualTo("127.0.0.0/8");
        assertThat(conf.get("global", "osd_pool_default_size")).isEqualTo("1");
        assertThat(conf.get("client", "keyring")).isEqualTo("/etc/pve/priv/$cluster.$name.keyring");
        assertThat(cfs.readString("priv/ceph.client.admin.keyring").orElseThrow()).contains("[client.admin]");

        assertThat(task(HttpMethod.POST, N + "/mon/a")).isEqualTo("OK");
        conf = CephConfig.parse(cfs.readString("ceph.conf").orElseThrow());
        assertThat(conf.get("global", "mon_host")).isEqualTo("127.0.0.1");
        assertThat(conf.get("mon.a", "public_addr")).isEqualTo("127.0.0.1");
        assertThat(cfs.readString("priv/ceph.mon.keyring").orElseThrow()).contains("[mon.]");
        ApiResponse again = call(HttpMethod.POST, N + "/mon/a");
        assertThat(task(HttpMethod.POST, N + "/mon/a")).contains("monitor 'a' already exists");

        // a disk with data is refused
        assertThat(task(HttpMethod.POST, N + "/osd", "dev", "/dev/null")).isNotEqualTo("OK");
        assertThat(task(HttpMethod.POST, N + "/osd", "dev", loop)).isEqualTo("OK");
        await("osd.0 up", () -> get(N + "/status").path("osdmap").path("num_up_osds").asInt() == 1);
        await("the manager active", () -> get(N + "/mgr").path(0).path("state").asString().equals("active"));
        assertThat(again.status()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void readOnlyViewsShowTheCluster() throws Exception {
        String fsid = CephConfig.parse(cfs.readString("ceph.conf").orElseThrow()).get("global", "fsid");
        JsonNode status = get(N + "/status");
        assertThat(status.path("fsid").asString()).isEqualTo(fsid);
        assertThat(status.path("health").path("status").asString()).startsWith("HEALTH_");
        assertThat(status.path("monmap").path("mons").path(0).path("name").asString()).isEqualTo("a");
        assertThat(status.path("mgrmap").path("active_name").asString()).isEqualTo("a");
        assertThat(get("/cluster/ceph/status").path("fsid").asString()).isEqualTo(fsid);

        JsonNode mon = get(N + "/mon").path(0);
        assertThat(mon.path("name").asString()).isEqualTo("a");
        assertThat(truth(mon.path("quorum"))).isTrue();
        assertThat(mon.path("addr").asString()).contains("127.0.0.1");
        assertThat(mon.path("ceph_version_short").asString()).startsWith("16.");

        JsonNode tree = get(N + "/osd");
        JsonNode root = tree.path("root").path("children").path(0);
        assertThat(root.path("name").asString()).isEqualTo("default");
        assertThat(root.path("type").asString()).isEqualTo("root");
        JsonNode osd = osd0();
        assertThat(osd.path("name").asString()).isEqualTo("osd.0");
        assertThat(osd.path("status").asString()).isEqualTo("up");
        assertThat(osd.path("in").asInt()).isEqualTo(1);
        assertThat(osd.path("osdtype").asString()).isEqualTo("bluestore");
        assertThat(osd.path("total_space").asLong()).isEqualTo(3L << 30);
        assertThat(tree.path("flags").asString()).contains("sortbitwise");

        JsonNode md = get(N + "/osd/0/metadata");
        assertThat(md.path("osd").path("osd_objectstore").asString()).isEqualTo("bluestore");
        assertThat(md.path("osd").path("pid").asLong()).isPositive();
        assertThat(md.path("devices").path(0).path("dev_node").asString()).isEqualTo(loop);

        assertThat(TestApi.data(call(HttpMethod.GET, N + "/cfg/raw")).asString()).contains("fsid = " + fsid).contains("[mon.a]");
        assertThat(get(N + "/cfg/value", "config-keys", "global:fsid;mon.a:public_addr").path("mon.a").path("public_addr").asString()).isEqualTo("127.0.0.1");
        assertThat(get(N + "/cfg/db").isArray()).isTrue();
        assertThat(TestApi.data(call(HttpMethod.GET, N + "/crush")).asString()).contains("root default").contains("device 0 osd.0");
        assertThat(get(N + "/rules").toString()).contains("replicated_rule");
        assertThat(get(N + "/fs").isEmpty()).isTrue();
        JsonNode log = get(N + "/log", "limit", 1000);
        assertThat(log.toString()).contains("mon.a");
        JsonNode meta = get("/cluster/ceph/metadata");
        assertThat(meta.path("mon").propertyNames()).anyMatch(k -> k.startsWith("a@"));
        assertThat(meta.path("osd").path("0").path("osd_objectstore").asString()).isEqualTo("bluestore");
        assertThat(get("/cluster/ceph/metadata", "scope", "versions").path("osd").path("0").has("osd_objectstore")).isFalse();
        assertThat(get(N).toString()).contains("\"status\"").contains("\"pool\"");
        JsonNode safety = get(N + "/cmd-safety", "service", "mon", "id", "a", "action", "stop");
        assertThat(truth(safety.path("safe"))).isFalse();
        assertThat(safety.path("status").asString()).isNotEmpty();
    }

    @Test
    @Order(3)
    void poolsAreCreatedChangedAndDestroyedWithTheirStorage() throws Exception {
        assertThat(task(HttpMethod.POST, N + "/pool", "name", "tank", "size", 2, "min_size", 1, "pg_num", 8, "pg_autoscale_mode", "off",
                "add_storages", 1)).isEqualTo("OK");
        JsonNode pool = null;
        for (JsonNode p : get(N + "/pool")) if (p.path("pool_name").asString().equals("tank")) pool = p;
        assertThat(pool).isNotNull();
        assertThat(pool.path("size").asInt()).isEqualTo(2);
        assertThat(pool.path("pg_num").asInt()).isEqualTo(8);
        assertThat(pool.path("pg_autoscale_mode").asString()).isEqualTo("off");
        assertThat(pool.path("type").asString()).isEqualTo("replicated");
        assertThat(pool.path("crush_rule_name").asString()).isEqualTo("replicated_rule");
        assertThat(pool.path("application_metadata").has("rbd")).isTrue();
        assertThat(cfs.readString("storage.cfg").orElseThrow()).contains("rbd: tank").contains("pool tank").contains("content rootdir,images");

        assertThat(task(HttpMethod.PUT, N + "/pool/tank", "size", 3, "pg_autoscale_mode", "warn", "target_size_ratio", 0.5)).isEqualTo("OK");
        JsonNode st = get(N + "/pool/tank/status", "verbose", 1);
        assertThat(st.path("size").asInt()).isEqualTo(3);
        assertThat(st.path("pg_autoscale_mode").asString()).isEqualTo("warn");
        assertThat(st.path("target_size_ratio").asDouble()).isEqualTo(0.5);
        assertThat(st.path("application").asString()).isEqualTo("rbd");
        assertThat(st.path("statistics").has("stored")).isTrue();
        // a pool that exists cannot be created twice; one that does not cannot be changed
        assertThat(task(HttpMethod.POST, N + "/pool", "name", "tank")).contains("pool 'tank' already exists");
        assertThat(call(HttpMethod.PUT, N + "/pool/nope", "size", 2).message()).contains("pool 'nope' does not exist");

        // an image on the pool keeps it unless forced
        String conf = module.node().sync().toString();
        assertThat(conf).isEqualTo(StorageManager.cephEtc(true, tmp.resolve("data")).resolve("ceph.conf").toString());
        run("rbd", "-c", conf, "-p", "tank", "create", "--size", "4M", "vm-100-disk-0");
        // the storage made for the pool works: its status and its images come from the cluster
        assertThat(storage.status("tank").active()).isTrue();
        assertThat(storage.status("tank").total()).isPositive();
        assertThat(storage.list("tank", null, null)).extracting(v -> v.volid()).contains("tank:vm-100-disk-0");
        assertThat(task(HttpMethod.DELETE, N + "/pool/tank")).contains("ceph pool 'tank' still in use by storage 'tank'");
        assertThat(task(HttpMethod.DELETE, N + "/pool/tank", "force", 1, "remove_storages", 1)).isEqualTo("OK");
        assertThat(get(N + "/pool").toString()).doesNotContain("\"tank\"");
        assertThat(cfs.readString("storage.cfg").orElse("")).doesNotContain("rbd: tank");
    }

    @Test
    @Order(4)
    void flagsAreSetAndUnset() throws Exception {
        JsonNode flags = get("/cluster/ceph/flags");
        assertThat(flags).hasSize(11);
        assertThat(flags.toString()).contains("\"name\":\"noout\"");
        assertThat(call(HttpMethod.PUT, "/cluster/ceph/flags/noout", "value", 1).status()).isEqualTo(200);
        assertThat(truth(get("/cluster/ceph/flags/noout"))).isTrue();
        assertThat(get(N + "/osd").path("flags").asString()).contains("noout");
        assertThat(task(HttpMethod.PUT, "/cluster/ceph/flags", "noout", 0, "noscrub", 1, "pause", 1)).isEqualTo("OK");
        for (JsonNode f : get("/cluster/ceph/flags")) {
            String name = f.path("name").asString();
            assertThat(truth(f.path("value"))).as(name).isEqualTo(name.equals("noscrub") || name.equals("pause"));
        }
        assertThat(task(HttpMethod.PUT, "/cluster/ceph/flags", "noscrub", 0, "pause", 0)).isEqualTo("OK");
        assertThat(truth(get("/cluster/ceph/flags/pause"))).isFalse();
    }

    @Test
    @Order(5)
    void aMetadataServerServesANewCephFs() throws Exception {
        assertThat(task(HttpMethod.POST, N + "/fs/cephfs", "pg_num", 8)).contains("no running Metadata Server (MDS) found!");
        // pveceph mds create: the ID is the node's name
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        assertThat(pveceph("mds create", out)).isZero();
        assertThat(out.toString()).contains("starting service 'ceph-mds@n1'");
        assertThat(CephConfig.parse(cfs.readString("ceph.conf").orElseThrow()).get("mds.n1", "host")).isEqualTo("n1");
        await("mds.n1 standby", () -> get(N + "/mds").path(0).path("state").asString().equals("standby"));
        assertThat(task(HttpMethod.POST, N + "/fs/cephfs", "pg_num", 8)).isEqualTo("OK");
        JsonNode fs = get(N + "/fs").path(0);
        assertThat(fs.path("name").asString()).isEqualTo("cephfs");
        assertThat(fs.path("data_pool").asString()).isEqualTo("cephfs_data");
        assertThat(fs.path("metadata_pool").asString()).isEqualTo("cephfs_metadata");
        await("mds.n1 active", () -> get(N + "/mds").path(0).path("state").asString().equals("active"));
        assertThat(get(N + "/pool/cephfs_data/status").path("application").asString()).isEqualTo("cephfs");
        assertThat(task(HttpMethod.DELETE, N + "/mds/n1")).isEqualTo("OK");
        assertThat(module.node().running("mds", "n1")).isFalse();
        assertThat(CephConfig.parse(cfs.readString("ceph.conf").orElseThrow()).has("mds.n1")).isFalse();
    }

    @Test
    @Order(6)
    void servicesStopAndStart() throws Exception {
        long pid = module.node().pid("osd", "0");
        assertThat(pid).isPositive();
        String upid = (String) call(HttpMethod.POST, N + "/stop", "service", "osd.0").data();
        assertThat(upid).contains(":srvstop:osd.0:");
        assertThat(api.node.tasks().await(upid, 120_000).status()).isEqualTo("OK");
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(module.node().running("osd", "0")).isFalse();
        assertThat(task(HttpMethod.POST, N + "/start", "service", "osd")).isEqualTo("OK");
        await("osd.0 up again", () -> osd0().path("status").asString().equals("up"));
        assertThat(task(HttpMethod.POST, N + "/restart", "service", "mgr.a")).isEqualTo("OK");
        assertThat(module.node().running("mgr", "a")).isTrue();
        assertThat(task(HttpMethod.POST, N + "/stop", "service", "mds.x")).contains("no such service 'mds.x'");
    }

    @Test
    @Order(7)
    void destroyTakesTheClusterDown() throws Exception {
        assertThat(task(HttpMethod.DELETE, N + "/osd/0")).contains("osd is in - please set out first");
        assertThat(call(HttpMethod.POST, N + "/osd/0/out").status()).isEqualTo(200);
        assertThat(task(HttpMethod.DELETE, N + "/osd/0")).contains("osd is still running - please stop first");
        assertThat(task(HttpMethod.POST, N + "/stop", "service", "osd.0")).isEqualTo("OK");
        await("osd.0 down", () -> osd0().path("status").asString().equals("down"));
        assertThat(task(HttpMethod.DELETE, N + "/osd/0", "cleanup", 1)).isEqualTo("OK");
        assertThat(get(N + "/osd").toString()).doesNotContain("osd.0");
        Process blkid = new ProcessBuilder("blkid", "-p", "-o", "value", "-s", "TYPE", loop).start();
        assertThat(new String(blkid.getInputStream().readAllBytes()).strip()).isEmpty();

        assertThat(task(HttpMethod.DELETE, N + "/mgr/a")).isEqualTo("OK");
        assertThat(module.node().running("mgr", "a")).isFalse();
        assertThat(task(HttpMethod.DELETE, N + "/mon/a")).contains("can't remove last monitor");
        List<String> left = new ArrayList<>(module.node().localDaemons().get("mon"));
        assertThat(left).containsExactly("a");
    }
}
