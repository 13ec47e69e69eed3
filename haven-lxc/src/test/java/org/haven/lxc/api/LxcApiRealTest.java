package org.haven.lxc.api;

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
import org.haven.core.testing.RealTest;
import org.haven.core.time.Clock;
import org.haven.lxc.CtBed;
import org.haven.guest.GuestWiring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container API over real containers: create from a template volume as a {@code vzcreate} task, start,
 * status, config changes (pending while running), destroy refused while running, full clone of a stopped
 * container, and a VMID taken by a VM refused with PVE's message.
 */
@RealTest
class LxcApiRealTest {
    @TempDir Path tmp;

    record Api(Dispatcher d, FileTaskManager tasks) {
        ApiResponse call(HttpMethod m, String path, Object... kv) { return callAs("root@pam", m, path, kv); }

        ApiResponse callAs(String user, HttpMethod m, String path, Object... kv) {
            Map<String, Object> params = new LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], kv[i + 1]);
            return d.handle(new ApiRequest(m, "/nodes/n1/lxc" + path, params, user, "csrf", null, false, "127.0.0.1"));
        }

        /** The call's task, run to its end: its exit status. */
        String task(HttpMethod m, String path, Object... kv) throws InterruptedException {
            ApiResponse r = call(m, path, kv);
            assertThat(r.status()).as(r.message() + r.errors()).isEqualTo(200);
            assertThat((String) r.data()).startsWith("UPID:n1:");
            return tasks.await((String) r.data(), 120_000).status();
        }
    }

    static Api api(CtBed bed, Path tmp) {
        FileTaskManager tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        AccessChecker all = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) { return true; }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        NodeContext node = new TestNodeContext(bed.cfs, tasks, all, tmp, Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        new LxcApi(bed.service, GuestWiring.alone(bed.sm)).register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        return new Api(new Dispatcher(tree, node, auth), tasks);
    }

    @Test
    void lifecycleThroughTheApi() throws Exception {
        try (CtBed bed = new CtBed(tmp, "dir: other\n\tpath " + tmp.resolve("other") + "\n\tcontent rootdir\n")) {
            Api a = api(bed, tmp);
            String tmpl = "local:vztmpl/" + bed.template.getFileName();
            assertThat(a.task(HttpMethod.POST, "", "vmid", 9201, "ostemplate", tmpl, "hostname", "api1", "memory", 64,
                    "rootfs", "local:0.05", "start", true)).isEqualTo("OK");
            ApiResponse st = a.call(HttpMethod.GET, "/9201/status/current");
            assertThat((Map<String, Object>) st.data()).containsEntry("status", "running").containsEntry("name", "api1")
                    .containsEntry("maxmem", 64L * 1024 * 1024).containsEntry("ha", Map.of("managed", 0));
            assertThat((List<Map<String, Object>>) a.call(HttpMethod.GET, "").data()).extracting(m -> m.get("vmid")).containsExactly(9201);

            // a running container takes memory at its next start: pending
            assertThat(a.call(HttpMethod.PUT, "/9201/config", "memory", 80, "description", "web").status()).isEqualTo(200);
            Map<String, Object> cfg = (Map<String, Object>) a.call(HttpMethod.GET, "/9201/config", "current", true).data();
            assertThat(cfg).containsEntry("memory", 64L).containsEntry("description", "web").containsEntry("ostype", "unmanaged");
            assertThat((List<Map<String, Object>>) a.call(HttpMethod.GET, "/9201/pending").data())
                    .anySatisfy(e -> assertThat(e).containsEntry("key", "memory").containsEntry("value", 64L).containsEntry("pending", 80L));

            ApiResponse del = a.call(HttpMethod.DELETE, "/9201");
            assertThat(del.status()).isEqualTo(500);
            assertThat(del.message()).isEqualTo("unable to destroy CT 9201 - container is running");
            assertThat((List<Map<String, Object>>) a.call(HttpMethod.GET, "/9201/interfaces").data()).extracting(i -> i.get("name")).contains("lo");
            assertThat(a.call(HttpMethod.GET, "/9201/feature", "feature", "snapshot").data()).isEqualTo(Map.of("hasFeature", 0, "nodes", List.of()));
            ApiResponse snap = a.call(HttpMethod.POST, "/9201/snapshot", "snapname", "s1");
            assertThat(a.tasks().await((String) snap.data(), 60_000).status()).isEqualTo("snapshot feature is not available");

            // grown online: the volume and the config at once; the file system where the kernel lets resize2fs grow it
            // (it needs CAP_SYS_RESOURCE), else the task fails as PVE's does
            String online = a.task(HttpMethod.PUT, "/9201/resize", "disk", "rootfs", "size", "+20M");
            assertThat(bed.service.store().load(9201).get("rootfs").orElseThrow()).endsWith(",size=71M");
            assertThat(bed.sm.imagesOf(9201).getFirst().size()).isEqualTo(71L << 20);
            if (hasCapability(24)) {
                assertThat(online).isEqualTo("OK");
                assertThat(rootBlocks(bed, 9201)).isGreaterThan(60_000);
            } else {
                assertThat(online).startsWith("command 'resize2fs /dev/loop").endsWith("Permission denied to resize filesystem");
            }
            assertThat(a.task(HttpMethod.POST, "/9201/status/shutdown", "timeout", 5, "forceStop", true)).isEqualTo("OK");
            // offline after e2fsck, seen at the next start
            assertThat(a.task(HttpMethod.PUT, "/9201/resize", "disk", "rootfs", "size", "80M")).isEqualTo("OK");
            assertThat(a.task(HttpMethod.PUT, "/9201/resize", "disk", "rootfs", "size", "60M")).isEqualTo("shrinking disks is not supported");
            // pct mount/unmount, fsck, df and unlock on the stopped container
            Path rootfs = bed.service.runtime().lxc().rootfs(9201);
            assertThat(a.call(HttpMethod.POST, "/9201/mount").data()).isEqualTo("mounted CT 9201 in '" + rootfs + "'");
            assertThat(rootfs.resolve("bin/busybox")).exists();
            assertThat(a.task(HttpMethod.POST, "/9201/status/start")).isEqualTo("CT is locked (mounted)");
            assertThat(a.call(HttpMethod.POST, "/9201/unmount").status()).isEqualTo(200);
            assertThat(rootfs.resolve("bin/busybox")).doesNotExist();
            assertThat(bed.service.store().load(9201).lock()).isEmpty();
            assertThat(a.call(HttpMethod.POST, "/9201/unlock").message()).isEqualTo("no lock found trying to remove any lock");
            assertThat((String) a.call(HttpMethod.POST, "/9201/fsck", "force", true).data()).contains(bed.sm.path(bed.sm.imagesOf(9201).getFirst().volid()) + ": ", "/81920 blocks");
            List<Map<String, Object>> df = (List<Map<String, Object>>) a.call(HttpMethod.GET, "/9201/df").data();
            assertThat(df).singleElement().satisfies(d -> assertThat(d).containsEntry("mp", "rootfs").containsEntry("path", "/")
                    .containsEntry("volume", bed.sm.imagesOf(9201).getFirst().volid()));
            assertThat((long) df.getFirst().get("total")).isGreaterThan(68_000L * 1024);
            assertThat((List<String>) a.call(HttpMethod.POST, "/9201/fstrim").data()).singleElement().asString()
                    .startsWith(rootfs + ": ").contains("trimmed");
            assertThat(bed.service.store().load(9201).lock()).isEmpty();
            assertThat(rootfs.resolve("bin/busybox")).doesNotExist();

            // moved to another storage with its files, the old volume kept as unused0
            String oldVol = bed.sm.imagesOf(9201).getFirst().volid();
            assertThat(a.task(HttpMethod.POST, "/9201/move_volume", "volume", "rootfs", "storage", "other")).isEqualTo("OK");
            var moved = bed.service.store().load(9201);
            assertThat(moved.get("rootfs").orElseThrow()).startsWith("other:9201/vm-9201-disk-").endsWith(",size=80M");
            assertThat(moved.get("unused0")).contains(oldVol);
            assertThat(moved.lock()).isEmpty();
            assertThat(a.task(HttpMethod.POST, "/9201/move_volume", "volume", "rootfs", "storage", "other")).isEqualTo("you can't move to the same storage");
            // rescan: the unused volume dropped from the config comes back, the rootfs size follows the storage
            bed.service.store().write(9201, moved.remove("unused0").set("rootfs", moved.get("rootfs").orElseThrow().replace("size=80M", "size=1G")));
            String newVol = bed.service.store().load(9201).get("rootfs").orElseThrow().split(",")[0];
            assertThat((List<String>) a.call(HttpMethod.POST, "/rescan", "vmid", 9201).data()).containsExactly("rescan volumes...",
                    "CT 9201: add unreferenced volume '" + oldVol + "' as 'unused0' to config",
                    "CT 9201 (rootfs): size of disk '" + newVol + "' updated from 1G to 80M");
            assertThat(bed.service.store().load(9201).current().values()).containsEntry("unused0", oldVol).containsEntry("rootfs", newVol + ",size=80M");

            assertThat(a.task(HttpMethod.POST, "/9201/status/start")).isEqualTo("OK");
            assertThat(rootBlocks(bed, 9201)).isGreaterThan(68_000);
            // while it runs: df through its mounts, its cpuset, fsck refused
            assertThat((List<Map<String, Object>>) a.call(HttpMethod.GET, "/9201/df").data()).singleElement()
                    .satisfies(d -> assertThat((long) d.get("used")).isPositive().isLessThan((long) d.get("total")));
            assertThat((List<Map<String, Object>>) a.call(HttpMethod.GET, "/cpusets").data()).singleElement()
                    .satisfies(c -> assertThat(c).containsEntry("vmid", 9201).containsEntry("cpus", List.copyOf(bed.service.runtime().host().cpus())));
            assertThat(a.call(HttpMethod.POST, "/9201/fsck").message()).isEqualTo("cannot run command on active container");
            assertThat(a.call(HttpMethod.GET, "/9201/config").data()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsEntry("memory", 80L);
            assertThat(a.task(HttpMethod.POST, "/9201/status/stop")).isEqualTo("OK");

            assertThat(a.task(HttpMethod.POST, "/9201/clone", "newid", 9202, "hostname", "api2")).isEqualTo("OK");
            assertThat(a.task(HttpMethod.POST, "/9202/status/start")).isEqualTo("OK");
            assertThat(bed.service.runtime().exec(9202, List.of("hostname"), null).stdout().strip()).isEqualTo("api2");
            assertThat(a.task(HttpMethod.POST, "/9202/status/stop")).isEqualTo("OK");
            assertThat(a.task(HttpMethod.DELETE, "/9202")).isEqualTo("OK");
            assertThat(a.task(HttpMethod.DELETE, "/9201")).isEqualTo("OK");
            assertThat(bed.sm.imagesOf(9201)).isEmpty();
            assertThat(bed.sm.imagesOf(9202)).isEmpty();

            // one VMID namespace over VMs and containers
            bed.cfs.mkdirs("nodes/n1/qemu-server");
            bed.cfs.writeString("nodes/n1/qemu-server/9300.conf", "memory: 512\n");
            ApiResponse taken = a.call(HttpMethod.POST, "", "vmid", 9300, "ostemplate", tmpl);
            assertThat(taken.status()).isEqualTo(500);
            assertThat(taken.message()).isEqualTo("unable to create CT 9300 - VM 9300 already exists on node 'n1'");
            a.tasks().close();
        }
    }

    /** The size of the container's root file system in KiB, as {@code df} inside sees it. */
    static long rootBlocks(CtBed bed, int vmid) {
        return Long.parseLong(bed.service.runtime().exec(vmid, List.of("sh", "-c", "df -k / | tail -1 | awk '{print $2}'"), null).stdout().strip());
    }

    /** Whether this process holds the capability with number {@code cap} (the sandbox of some hosts drops a few). */
    static boolean hasCapability(int cap) throws java.io.IOException {
        String eff = java.nio.file.Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow();
        return (Long.parseLong(eff.substring(7).strip(), 16) >> cap & 1) == 1;
    }

    /**
     * {@code vncproxy}: the container's console on a VNC terminal, logged in to with the returned ticket; the first
     * rows show {@code lxc-console}'s banner ("Connected to tty 1", 18 characters).
     */
    @Test
    @org.junit.jupiter.api.Timeout(180)
    void vncConsoleThroughTheApi() throws Exception {
        try (CtBed bed = new CtBed(tmp, "")) {
            Api a = api(bed, tmp);
            assertThat(a.task(HttpMethod.POST, "", "vmid", 9203, "ostemplate", "local:vztmpl/" + bed.template.getFileName(),
                    "hostname", "vnc1", "memory", 64, "rootfs", "local:0.05")).isEqualTo("OK");
            ApiResponse stopped = a.call(HttpMethod.POST, "/9203/vncproxy", "websocket", true);
            assertThat(stopped.status()).isEqualTo(500);
            assertThat(stopped.message()).isEqualTo("CT 9203 not running");
            assertThat(a.task(HttpMethod.POST, "/9203/status/start")).isEqualTo("OK");
            java.nio.file.Files.createDirectories(tmp.resolve("run")); // the node's run directory, where console sockets live

            ApiResponse r = a.call(HttpMethod.POST, "/9203/vncproxy", "websocket", true, "width", 800, "height", 600);
            assertThat(r.status()).as(r.message()).isEqualTo(200);
            Map<String, Object> d = (Map<String, Object>) r.data();
            assertThat(d).containsKeys("port", "ticket", "cert", "upid", "user");
            assertThat((String) d.get("upid")).contains(":vncproxy:9203:root@pam:");
            Path socket;
            try (var files = java.nio.file.Files.list(tmp.resolve("run"))) {
                socket = files.filter(f -> f.getFileName().toString().startsWith("lxc-console-9203-")).findFirst().orElseThrow();
            }
            var cell = org.haven.guest.console.VncTerminal.cellSize();
            try (var c = new org.haven.guest.console.RfbClient(socket)) {
                assertThat(c.login((String) d.get("ticket"))).isZero();
                assertThat(c.width).isEqualTo(800 / cell.width() * cell.width());
                c.request(false);
                c.update();
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (!c.inked(17, 1, cell) && System.nanoTime() < deadline) {
                    c.request(true);
                    c.update();
                }
                for (int col = 0; col < 18; col++) assertThat(c.inked(col, 1, cell) || col == 9 || col == 12 || col == 16).as("column " + col).isTrue();
                for (int col = 18; col < 40; col++) assertThat(c.inked(col, 1, cell)).as("column " + col).isFalse();
            }
            assertThat(a.task(HttpMethod.POST, "/9203/status/stop")).isEqualTo("OK");
        }
    }

    /**
     * {@code clone} with {@code target}: only volumes on shared storage may be cloned to another node, whose config
     * then holds the clone; {@code move_volume} with {@code target-vmid}: a mount point renamed for and moved to
     * another container, with PVE's refusals.
     */
    @Test
    void cloneToAnotherNodeAndVolumeToAnotherContainer() throws Exception {
        Path shared = tmp.resolve("shared");
        try (CtBed bed = new CtBed(tmp, "dir: shared\n\tpath " + shared + "\n\tcontent rootdir\n\tshared 1\n")) {
            Api a = api(bed, tmp);
            bed.cfs.mkdirs("nodes/n2/lxc"); // a second cluster node
            String tmpl = "local:vztmpl/" + bed.template.getFileName();
            assertThat(a.task(HttpMethod.POST, "", "vmid", 9204, "ostemplate", tmpl, "rootfs", "shared:0.05")).isEqualTo("OK");
            assertThat(a.task(HttpMethod.POST, "", "vmid", 9205, "ostemplate", tmpl, "rootfs", "local:0.05", "mp0", "local:0.02,mp=/data,backup=1")).isEqualTo("OK");

            ApiResponse unknown = a.call(HttpMethod.POST, "/9204/clone", "newid", 9206, "target", "n9");
            assertThat(unknown.message()).isEqualTo("no such cluster node 'n9'");
            ApiResponse local = a.call(HttpMethod.POST, "/9205/clone", "newid", 9206, "target", "n2");
            assertThat(local.status()).isEqualTo(500);
            assertThat(local.message()).isEqualTo("Can't clone to other node - VM uses local storage");
            // a full clone onto the shared storage may go
            assertThat(a.task(HttpMethod.POST, "/9205/clone", "newid", 9206, "target", "n2", "storage", "shared", "hostname", "far")).isEqualTo("OK");
            assertThat(bed.cfs.readString("nodes/n1/lxc/9206.conf")).isEmpty();
            String far = bed.cfs.readString("nodes/n2/lxc/9206.conf").orElseThrow();
            assertThat(far).contains("hostname: far", "rootfs: shared:9206/vm-9206-disk-", "mp0: shared:9206/vm-9206-disk-").doesNotContain("lock:");
            assertThat(bed.sm.imagesOf(9206)).hasSize(2);
            assertThat(a.task(HttpMethod.POST, "/9204/clone", "newid", 9207, "target", "n2")).isEqualTo("OK");
            assertThat(bed.cfs.readString("nodes/n2/lxc/9207.conf").orElseThrow()).contains("rootfs: shared:9207/vm-9207-disk-0.raw");

            // mp0 of 9205 becomes mp0 of 9204, renamed for it
            String before = bed.service.store().load(9205).get("mp0").orElseThrow();
            assertThat(a.call(HttpMethod.POST, "/9205/move_volume", "volume", "mp0", "target-vmid", 9205).message())
                    .isEqualTo("Moving a volume to the same container is not possible. Did you mean to move the volume to a different storage?");
            assertThat(a.call(HttpMethod.POST, "/9205/move_volume", "volume", "rootfs", "target-vmid", 9204).message()).isEqualTo("Cannot move to/from 'rootfs'");
            assertThat(a.call(HttpMethod.POST, "/9205/move_volume", "volume", "mp1", "target-vmid", 9204).message())
                    .isEqualTo("volume 'mp1' for container '9205' does not exist");
            assertThat(a.call(HttpMethod.POST, "/9205/move_volume", "volume", "mp0").message())
                    .startsWith("Provide either a 'storage' to move the mount point to a different storage or 'target-vmid'");
            ApiResponse move = a.call(HttpMethod.POST, "/9205/move_volume", "volume", "mp0", "target-vmid", 9204);
            assertThat((String) move.data()).contains(":move_volume:9205-mp0>9204-mp0:root@pam:");
            assertThat(a.tasks().await((String) move.data(), 60_000).status()).isEqualTo("OK");
            assertThat(bed.service.store().load(9205).get("mp0")).isEmpty();
            String moved = bed.service.store().load(9204).get("mp0").orElseThrow();
            assertThat(moved).startsWith("local:9204/vm-9204-disk-").endsWith(",mp=/data,backup=1,size=20M");
            assertThat(before).endsWith(",mp=/data,backup=1,size=20M");
            assertThat(Path.of(bed.sm.path(moved.substring(0, moved.indexOf(','))))).exists();
            assertThat(Path.of(bed.sm.path(before.substring(0, before.indexOf(','))))).doesNotExist();
            // the key is taken now; as an unused volume it goes back
            assertThat(a.call(HttpMethod.POST, "/9205/move_volume", "volume", "rootfs", "target-vmid", 9204, "target-volume", "mp0").message())
                    .isEqualTo("Cannot move to/from 'rootfs'");
            bed.service.update(9205, Map.of("mp0", "local:0.01,mp=/x"), List.of(), List.of(), null, null);
            assertThat(a.call(HttpMethod.POST, "/9205/move_volume", "volume", "mp0", "target-vmid", 9204).message())
                    .isEqualTo("Target volume key 'mp0' is already in use for container '9204'");
            assertThat(a.task(HttpMethod.POST, "/9204/move_volume", "volume", "mp0", "target-vmid", 9205, "target-volume", "unused0")).isEqualTo("OK");
            assertThat(bed.service.store().load(9205).get("unused0").orElseThrow()).startsWith("local:9205/vm-9205-disk-").doesNotContain(",");
            assertThat(bed.service.store().load(9204).get("mp0")).isEmpty();
        }
    }

    @Test
    void hostAccessIsForRootOnly() throws Exception {
        try (CtBed bed = new CtBed(tmp, "")) {
            Api a = api(bed, tmp);
            bed.cfs.mkdirs("nodes/n1/lxc");
            bed.cfs.writeString("nodes/n1/lxc/9210.conf", "hostname: x\nrootfs: local:9210/vm-9210-disk-0.raw,size=1G\n");
            String before = bed.cfs.readString("nodes/n1/lxc/9210.conf").orElseThrow();
            // an administrator holding every privilege, but not root@pam
            ApiResponse bind = a.callAs("admin@pve", HttpMethod.PUT, "/9210/config", "mp0", "/etc,mp=/mnt/etc");
            assertThat(bind.status()).isEqualTo(403);
            assertThat(bind.message()).isEqualTo("Permission check failed (mount point type bind is only allowed for root@pam)");
            assertThat(bed.cfs.readString("nodes/n1/lxc/9210.conf").orElseThrow()).isEqualTo(before);
            // root may
            assertThat(a.call(HttpMethod.PUT, "/9210/config", "mp0", "/etc,mp=/mnt/etc,ro=1").status()).isEqualTo(200);
            assertThat(bed.cfs.readString("nodes/n1/lxc/9210.conf").orElseThrow()).contains("mp0: /etc,mp=/mnt/etc,ro=1");
        }
    }
}
