package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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
import org.haven.backup.api.BackupApi;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.guest.GuestBackups;
import org.haven.guest.GuestWiring;
import org.haven.lxc.CtBed;
import org.haven.lxc.LxcService;
import org.haven.lxc.api.LxcApi;
import org.haven.lxc.config.CtConfig;
import org.haven.storage.cli.BackupConfig;
import org.haven.storage.spi.CommandRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real busybox containers backed up while a process inside keeps replacing a file: in snapshot mode on btrfs (a
 * storage snapshot of the root file system and of a mount point), in suspend mode on a directory storage (snapshot
 * mode falls back to it, as in PVE) and in stop mode. The archives are checked member by member, restored as other
 * containers on other storages (simple and advanced mode), started, and the files and their owners checked inside.
 * A damaged archive is refused before anything is created, a restore that fails frees what it allocated, and a
 * backup that fails leaves no archive.
 */
@RealTest
class ContainerBackupTest {
    @TempDir Path dir;
    final AtomicLong now = new AtomicLong(1_780_000_000L);
    final List<String> log = new ArrayList<>();

    CtBed bed() throws IOException {
        Tools.require("rsync", "rsync");
        Tools.require("zstd", "zstd");
        return new CtBed(dir, "btrfs: bt\n\tpath " + dir.resolve("bt") + "\n\tcontent rootdir,images\n"
                + "dir: other\n\tpath " + dir.resolve("other") + "\n\tcontent rootdir\n"
                + "dir: bk\n\tpath " + dir.resolve("bk") + "\n\tcontent backup\n\tprune-backups keep-all=1\n");
    }

    Vzdump vzdump(CtBed bed) { return new Vzdump(List.of(bed.service.guests()), bed.sm, "n1", now::get, ZoneId.of("UTC")); }

    List<String> backup(CtBed bed, Map<String, String> params) throws Exception {
        List<String> lines = new ArrayList<>();
        vzdump(bed).run(VzdumpOptions.of(params, Map.of()), BackupFixture.log(lines));
        now.addAndGet(60);
        return lines;
    }

    void restore(CtBed bed, String archive, int vmid, GuestBackups.RestoreOptions o) throws IOException {
        new Restore(bed.sm, ZoneId.of("UTC")).restore(bed.service.guests(), archive, vmid, o, log::add);
    }

    static String exec(CtBed bed, int vmid, String script) {
        CommandRunner.Result r = bed.service.runtime().exec(vmid, List.of("sh", "-c", script), null);
        assertThat(r.exitCode()).as(script + ": " + r.stderr()).isZero();
        return r.stdout().strip();
    }

    /** Files with owners, an excluded temporary file, and a process that keeps replacing {@code /root/counter}. */
    static void populate(CtBed bed, int vmid) throws InterruptedException {
        exec(bed, vmid, "mkdir -p /root/owned && echo hello > /root/owned/f && chown -R 1234:5678 /root/owned && chmod 640 /root/owned/f"
                + " && ln -s /root/owned/f /root/link && echo junk > /tmp/junk && mkdir -p /var/run && echo pid > /var/run/x.pid");
        exec(bed, vmid, "setsid sh -c 'i=0; while true; do i=$((i+1)); echo $i > /root/c.tmp; mv /root/c.tmp /root/counter; done'"
                + " </dev/null >/dev/null 2>&1 &");
        for (int i = 0; i < 50 && exec(bed, vmid, "cat /root/counter 2>/dev/null || true").isEmpty(); i++) Thread.sleep(100);
    }

    /** The restored container's files as the source had them. */
    static void checkRestored(CtBed bed, int vmid) {
        assertThat(exec(bed, vmid, "cat /root/owned/f")).isEqualTo("hello");
        assertThat(exec(bed, vmid, "stat -c '%u:%g %a' /root/owned/f /root/owned")).isEqualTo("1234:5678 640\n1234:5678 755");
        assertThat(exec(bed, vmid, "readlink /root/link")).isEqualTo("/root/owned/f");
        assertThat(exec(bed, vmid, "cat /root/counter")).matches("\\d+");
        assertThat(exec(bed, vmid, "ls -A /tmp /var/run")).doesNotContain("junk", "x.pid");
    }

    static List<String> members(CtBed bed, Path archive) {
        return List.of(bed.sh("tar", "tf", archive.toString()).split("\n"));
    }

    Path onlyArchive(String pattern) throws IOException {
        try (var s = Files.list(dir.resolve("bk/dump"))) {
            List<Path> found = s.filter(p -> p.getFileName().toString().matches(pattern)).toList();
            assertThat(found).hasSize(1);
            return found.get(0);
        }
    }

    @Test
    void snapshotModeOnBtrfsThenRestoreToADirectoryStorage() throws Exception {
        try (CtBed bed = bed()) {
            bed.btrfs("bt", "400M");
            int vmid = 9301, copy = 9302;
            bed.service.create(vmid, Map.of("hostname", "src", "memory", "64", "rootfs", "bt:0.2", "mp0", "bt:0.05,mp=/data,backup=1",
                    "mp1", "bt:0.02,mp=/scratch"), new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            bed.service.start(vmid, log::add);
            populate(bed, vmid);
            exec(bed, vmid, "echo data > /data/d && chown 42:43 /data/d && echo s > /scratch/s");
            CtConfig source = CtConfig.of(bed.service.store().load(vmid).current());
            String rootVol = source.rootfs().volume();

            List<String> lines = backup(bed, Map.of("vmid", "9301", "mode", "snapshot", "storage", "bk", "compress", "zstd",
                    "notes-template", "{{guestname}} of {{vmid}}", "protected", "1"));
            assertThat(lines).contains("INFO: status = running", "INFO: backup mode: snapshot", "INFO: CT Name: src",
                    "INFO: including mount point rootfs ('/') in backup", "INFO: including mount point mp0 ('/data') in backup",
                    "INFO: excluding volume mount point mp1 ('/scratch') from backup", "INFO: create storage snapshot 'vzdump'",
                    "INFO: cleanup temporary 'vzdump' snapshot", "INFO: Backup job finished successfully");
            assertThat(bed.service.type().isRunning(vmid)).isTrue();
            assertThat(bed.service.store().load(vmid).lock()).isEmpty();
            assertThat(bed.sm.snapshots(rootVol)).doesNotContain("vzdump");
            assertThat(Integer.parseInt(exec(bed, vmid, "cat /root/counter"))).isPositive();

            Path archive = onlyArchive("vzdump-lxc-9301-2026_05_28-\\d\\d_\\d\\d_\\d\\d\\.tar\\.zst");
            assertThat(dir.resolve("bk/dump").resolve(archive.getFileName().toString().replace(".tar.zst", ".log"))).exists();
            assertThat(bed.sm.attributes("bk:backup/" + archive.getFileName())).satisfies(a -> {
                assertThat(a.notes()).isEqualTo("src of 9301");
                assertThat(a.isProtected()).isTrue();
            });
            List<String> members = members(bed, archive);
            assertThat(members.get(0)).isEqualTo("./etc/vzdump/pct.conf");
            assertThat(members).contains("./", "./root/owned/f", "./root/counter", "./data/d", "./tmp/", "./bin/busybox")
                    .doesNotContain("./tmp/junk", "./var/run/x.pid", "./scratch/s");
            String conf = BackupConfig.extract(archive, bed.run);
            assertThat(conf).contains("hostname: src", "rootfs: " + rootVol + ",size=204M", "mp0: " + source.mountPoints().get(0).volume() + ",mp=/data,backup=1,size=51M")
                    .doesNotContain("lock:", "[");

            // simple mode: every volume again, with its size, on the given storage
            restore(bed, "bk:backup/" + archive.getFileName(), copy, new GuestBackups.RestoreOptions("other", false, false));
            CtConfig c = CtConfig.of(bed.service.store().load(copy).current());
            assertThat(c.rootfs().print()).isEqualTo("other:9302/vm-9302-disk-0.raw,size=204M");
            assertThat(c.mountPoints().get(0).print()).isEqualTo("other:9302/vm-9302-disk-1.raw,mp=/data,backup=1,size=51M");
            assertThat(c.mountPoints().get(1).print()).isEqualTo("other:9302/vm-9302-disk-2.raw,mp=/scratch,size=20M");
            assertThat(c.hostname()).isEqualTo("src");
            assertThat(c.lock()).isNull();
            bed.service.start(copy, log::add);
            checkRestored(bed, copy);
            assertThat(exec(bed, copy, "cat /data/d; stat -c %u:%g /data/d")).isEqualTo("data\n42:43");
            assertThat(exec(bed, copy, "ls -A /scratch")).isEqualTo("lost+found");
            assertThat(exec(bed, copy, "ls -A /etc")).doesNotContain("vzdump");

            // a restore refuses to replace an existing container without force, and a running one always
            assertThatThrownBy(() -> restore(bed, archive.toString(), copy, new GuestBackups.RestoreOptions("other", false, false)))
                    .hasMessage("unable to restore CT 9302 - CT 9302 already exists on node 'n1'");
            assertThatThrownBy(() -> restore(bed, archive.toString(), copy, new GuestBackups.RestoreOptions("other", false, true)))
                    .hasMessage("unable to restore CT 9302 - CT is running");
        }
    }

    /**
     * An unprivileged container's archive holds the ids its files have inside (tar runs in its user namespace, as
     * PVE's vzdump does), and the restore gives them the mapped host ids again.
     */
    @Test
    void unprivilegedContainerArchivesContainerIdsAndRestoresMapped() throws Exception {
        // the mapped root reaches the container's files below the test's directory, as below /var/lib
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (CtBed bed = bed()) {
            int vmid = 9321, copy = 9322;
            bed.service.create(vmid, Map.of("hostname", "unpriv", "memory", "64", "unprivileged", "1", "rootfs", "local:0.1"),
                    new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            long base = bed.service.runtime().idMap(CtConfig.of(bed.service.store().load(vmid).current())).rootUid();
            bed.service.start(vmid, log::add);
            exec(bed, vmid, "mkdir -p /root/owned && echo hello > /root/owned/f && chown -R 1234:1234 /root/owned");
            bed.service.stop(vmid, log::add);

            List<String> lines = new ArrayList<>();
            try {
                vzdump(bed).run(VzdumpOptions.of(Map.of("vmid", "9321", "mode", "stop", "storage", "bk"), Map.of()), BackupFixture.log(lines));
            } catch (IllegalStateException e) {
                throw new AssertionError(String.join("\n", lines), e);
            }
            Path archive = onlyArchive("vzdump-lxc-9321-.*\\.tar");
            String listing = bed.sh("tar", "tvf", archive.toString(), "--numeric-owner");
            assertThat(listing).containsPattern("1234/1234 .* \\./root/owned/f\n").containsPattern(" 0/0 .* \\./bin/busybox\n")
                    .doesNotContain(base + "/");

            restore(bed, archive.toString(), copy, new GuestBackups.RestoreOptions("local", false, false, Map.of()));
            assertThat(CtConfig.of(bed.service.store().load(copy).current()).unprivileged()).isTrue();
            bed.service.start(copy, log::add);
            Path rootfs = bed.service.runtime().lxc().rootfs(copy);
            assertThat(Files.getAttribute(rootfs.resolve("root/owned/f"), "unix:uid")).isEqualTo((int) base + 1234);
            assertThat(Files.getAttribute(rootfs.resolve("bin/busybox"), "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS)).isEqualTo((int) base);
            assertThat(exec(bed, copy, "cat /root/owned/f; stat -c %u:%g /root/owned/f")).isEqualTo("hello\n1234:1234");
            bed.service.stop(copy, log::add);
        }
    }

    @Test
    void suspendAndStopModesOnADirectoryStorageThenAdvancedRestoreToBtrfs() throws Exception {
        try (CtBed bed = bed()) {
            bed.btrfs("bt", "300M");
            int n = (int) (ProcessHandle.current().pid() % 200) + 20;
            String br = "hvbk" + n;
            bed.run.run(List.of("ip", "link", "del", br));
            bed.sh("ip", "link", "add", br, "type", "bridge");
            bed.cleanups.add(() -> bed.run.run(List.of("ip", "link", "del", br)));
            int vmid = 9311, copy = 9312;
            bed.service.create(vmid, Map.of("hostname", "src2", "memory", "64", "rootfs", "local:0.1", "mp0", "local:0.02,mp=/data,backup=1",
                            "net0", "name=eth0,bridge=" + br),
                    new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            String mac = CtConfig.of(bed.service.store().load(vmid).current()).nets().get(0).hwaddr();
            bed.service.start(vmid, log::add);
            populate(bed, vmid);
            exec(bed, vmid, "echo data > /data/d && chown 42:43 /data/d");

            List<String> lines = backup(bed, Map.of("vmid", "9311", "mode", "snapshot", "storage", "bk", "compress", "gzip"));
            assertThat(lines).containsSubsequence("INFO: status = running", "INFO: mode failure - some volumes do not support snapshots",
                    "INFO: trying 'suspend' mode instead", "INFO: backup mode: suspend", "INFO: suspending guest", "INFO: resuming guest",
                    "INFO: Backup job finished successfully");
            assertThat(lines).anyMatch(l -> l.startsWith("INFO: starting first sync /proc/")).anyMatch(l -> l.startsWith("INFO: guest is online again after "));
            assertThat(bed.service.runtime().lxc().state(vmid)).isEqualTo("RUNNING");
            Path suspended = onlyArchive("vzdump-lxc-9311-.*\\.tar\\.gz");
            List<String> members = members(bed, suspended);
            assertThat(members.get(0)).isEqualTo("./etc/vzdump/pct.conf");
            assertThat(members).containsOnlyOnce("./data/d", "./root/owned/f").doesNotContain("./tmp/junk");
            try (var s = Files.list(dir.resolve("bk/dump"))) {
                assertThat(s.map(p -> p.getFileName().toString())).noneMatch(f -> f.startsWith("vzdumptmp"));
            }

            lines = backup(bed, Map.of("vmid", "9311", "mode", "stop", "stopwait", "0", "storage", "bk", "exclude-path", "/root/owned owned"));
            assertThat(lines).containsSubsequence("INFO: backup mode: stop", "INFO: stopping virtual guest", "INFO: restarting vm",
                    "INFO: Backup job finished successfully");
            assertThat(bed.service.type().isRunning(vmid)).isTrue();
            assertThat(members(bed, onlyArchive("vzdump-lxc-9311-.*\\.tar"))).contains("./root/counter").containsOnlyOnce("./data/d")
                    .doesNotContain("./root/owned/f", "./root/owned/");

            // advanced mode: the given rootfs instead of the archived ones (the mount point's files land in it), given
            // options over the archived ones, new MACs
            restore(bed, suspended.toString(), copy, new GuestBackups.RestoreOptions(null, true, false,
                    Map.of("rootfs", "bt:0.15", "memory", "80")));
            CtConfig c = CtConfig.of(bed.service.store().load(copy).current());
            assertThat(c.rootfs().print()).isEqualTo("bt:9312/subvol-9312-disk-0.subvol,size=153M");
            assertThat(c.memory()).isEqualTo(80);
            assertThat(c.hostname()).isEqualTo("src2");
            assertThat(c.nets().get(0).hwaddr()).startsWith("BC:24:11:").isNotEqualTo(mac);
            assertThat(c.nets().get(0).bridge()).isEqualTo(br);
            bed.service.stop(vmid, log::add);
            assertThat(c.mountPoints()).isEmpty();
            bed.service.start(copy, log::add);
            checkRestored(bed, copy);
            assertThat(exec(bed, copy, "cat /data/d; stat -c %u:%g /data/d")).isEqualTo("data\n42:43");
        }
    }

    @Test
    void aDamagedArchiveIsRefusedAndAFailedBackupLeavesNoArchive() throws Exception {
        try (CtBed bed = bed()) {
            int vmid = 9321;
            bed.service.create(vmid, Map.of("hostname", "src3", "rootfs", "local:0.05"), new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            backup(bed, Map.of("vmid", "9321", "mode", "stop", "storage", "bk", "compress", "zstd"));
            Path archive = onlyArchive("vzdump-lxc-9321-.*\\.tar\\.zst");
            byte[] data = Files.readAllBytes(archive);

            Path flipped = dir.resolve("vzdump-lxc-9321-2026_01_01-00_00_00.tar.zst");
            byte[] bad = data.clone();
            for (int i = bad.length / 2; i < bad.length / 2 + 64; i++) bad[i] ^= 0x5a;
            Files.write(flipped, bad);
            Path truncated = dir.resolve("vzdump-lxc-9321-2026_01_01-00_00_01.tar.zst");
            Files.write(truncated, java.util.Arrays.copyOf(data, data.length * 2 / 3));
            for (Path p : List.of(flipped, truncated)) {
                assertThatThrownBy(() -> restore(bed, p.toString(), 9322, new GuestBackups.RestoreOptions("other", false, false)))
                        .hasMessageStartingWith("unable to restore CT 9322 - archive is damaged");
                assertThat(bed.service.store().exists(9322)).isFalse();
                assertThat(bed.sm.imagesOf(9322)).isEmpty();
            }
            // a container archive is not a VM's: the VM restore refuses it
            assertThatThrownBy(() -> new Restore(bed.sm, ZoneId.of("UTC")).restore(new BackupFixture(dir.resolve("vm")).qemu.guests(),
                    archive.toString(), 9323, new GuestBackups.RestoreOptions("other", false, false), log::add))
                    .hasMessage("unable to restore VM 9323 - '" + archive.getFileName() + "' is a container backup, use 'pct restore'");

            // through the API: vzdump, the archived config, pct restore (restore=1) to another storage with other options
            Api api = api(bed);
            assertThat(api.task(HttpMethod.POST, "/nodes/n1/vzdump", "vmid", "9321", "storage", "bk", "mode", "stop", "compress", "gzip")).isEqualTo("OK");
            Path gz = onlyArchive("vzdump-lxc-9321-.*\\.tar\\.gz");
            String volid = "bk:backup/" + gz.getFileName();
            assertThat((String) api.call(HttpMethod.GET, "/nodes/n1/vzdump/extractconfig", "volume", volid).data()).contains("hostname: src3");
            assertThat(api.task(HttpMethod.POST, "/nodes/n1/lxc", "vmid", 9324, "ostemplate", volid, "restore", true, "storage", "other",
                    "hostname", "api-copy")).isEqualTo("OK");
            CtConfig c = CtConfig.of(bed.service.store().load(9324).current());
            assertThat(c.hostname()).isEqualTo("api-copy");
            assertThat(c.rootfs().print()).isEqualTo("other:9324/vm-9324-disk-0.raw,size=51M");
            assertThat(api.call(HttpMethod.POST, "/nodes/n1/lxc", "vmid", 9324, "ostemplate", volid, "restore", true).message())
                    .isEqualTo("unable to create CT 9324: config file already exists");
            assertThat(api.call(HttpMethod.POST, "/nodes/n1/lxc", "vmid", 9325, "ostemplate", "local:vztmpl/" + bed.template.getFileName(), "restore", true)
                    .errors()).containsEntry("ostemplate", "volume 'local:vztmpl/" + bed.template.getFileName() + "' is not a backup archive");

            // a forced restore replaces the stopped container; one that fails while unpacking (a root file system too
            // small for the files) frees the volumes it allocated and leaves no config
            restore(bed, gz.toString(), 9324, new GuestBackups.RestoreOptions("local", false, true));
            assertThat(CtConfig.of(bed.service.store().load(9324).current()).rootfs().print()).isEqualTo("local:9324/vm-9324-disk-0.raw,size=51M");
            assertThat(bed.sm.imagesOf(9324)).hasSize(1);
            assertThatThrownBy(() -> restore(bed, gz.toString(), 9326, new GuestBackups.RestoreOptions(null, false, false, Map.of("rootfs", "local:0.001"))))
                    .hasMessageContaining("failed: exit code 2");
            assertThat(log).contains("freeing volume 'local:9326/vm-9326-disk-0.raw'");
            assertThat(bed.service.store().exists(9326)).isFalse();
            assertThat(bed.sm.imagesOf(9326)).isEmpty();
            assertThat(bed.run.run(List.of("mountpoint", "-q", bed.service.runtime().lxc().rootfs(9326).toString())).ok()).isFalse();

            // a dump directory that fills up: the backup fails, leaving neither archive nor temporary file, the container unlocked
            Path full = dir.resolve("full");
            Files.createDirectories(full);
            bed.sh("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", full.toString());
            bed.cleanups.add(() -> bed.run.run(List.of("umount", full.toString())));
            assertThatThrownBy(() -> backup(bed, Map.of("vmid", "9321", "mode", "stop", "dumpdir", full.toString())))
                    .hasMessage("job errors");
            try (var s = Files.list(full)) {
                assertThat(s.map(p -> p.getFileName().toString())).allMatch(f -> f.endsWith(".log"));
            }
            assertThat(Files.readString(onlyLog(full))).contains("ERROR: Backup of VM 9321 failed - ");
            assertThat(bed.service.store().load(vmid).lock()).isEmpty();
            assertThat(bed.run.run(List.of("mountpoint", "-q", bed.service.runtime().lxc().dir(vmid).resolve("vzdump").toString())).ok()).isFalse();
        }
    }

    record Api(Dispatcher d, FileTaskManager tasks) {
        ApiResponse call(HttpMethod m, String path, Object... kv) {
            Map<String, Object> params = new java.util.LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], kv[i + 1]);
            return d.handle(new ApiRequest(m, path, params, "root@pam", "csrf", null, false, "127.0.0.1"));
        }

        /** The call's task, run to its end: its exit status. */
        String task(HttpMethod m, String path, Object... kv) throws InterruptedException {
            ApiResponse r = call(m, path, kv);
            assertThat(r.status()).as(r.message() + r.errors()).isEqualTo(200);
            return tasks.await((String) r.data(), 120_000).status();
        }
    }

    /** The backup and container API modules of one node, as the daemon wires them. */
    Api api(CtBed bed) {
        FileTaskManager tasks = new FileTaskManager(dir.resolve("tasks"), "n1", org.haven.core.time.Clock.SYSTEM);
        AccessChecker all = new AccessChecker() {
            @Override public boolean check(String authid, String path, java.util.Collection<String> privs, boolean any) { return true; }
            @Override public java.util.Set<String> privileges(String authid, String path) { return java.util.Set.of(); }
        };
        NodeContext node = new TestNodeContext(bed.cfs, tasks, all, dir.resolve("node"), org.haven.core.time.Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        BackupApi backups = new BackupApi(bed.sm);
        backups.register(tree, node);
        LxcApi lxc = new LxcApi(bed.service, GuestWiring.alone(bed.sm).withBackups(backups));
        lxc.register(tree, node);
        lxc.start(node);
        Authenticator auth = new Authenticator() {
            @Override public java.util.Optional<String> verifyTicket(String ticket) { return java.util.Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public java.util.Optional<String> verifyApiToken(String value) { return java.util.Optional.empty(); }
        };
        return new Api(new Dispatcher(tree, node, auth), tasks);
    }

    static Path onlyLog(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".log")).findFirst().orElseThrow();
        }
    }
}
