package org.haven.storage.disks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.server.ApiResponse;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.LoopDevice;
import org.haven.storage.StorageException;
import org.haven.storage.TestSupport;
import org.haven.storage.api.ApiFixture;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /nodes/{node}/disks} on loop devices the tests create (and detach, also when they fail), through the real
 * dispatcher and tasks. The node under test counts loop devices as disks; the node's own module does not, so no
 * generated or mistyped path reaches a disk of this machine.
 */
@RealTest
class DisksApiTest {
    static final long MIB = 1024 * 1024;
    static final String BASE = "/nodes/n1/disks";

    @TempDir Path tmp;
    ApiFixture api;
    final List<Runnable> cleanup = new ArrayList<>();

    @BeforeAll
    static void tools() {
        Tools.requireRoot("loop devices, LVM and mounts");
        Tools.require("util-linux", "lsblk", "losetup", "wipefs", "blkid", "partx", "blockdev");
        Tools.require("gdisk", "sgdisk");
        Tools.require("lvm2", "pvcreate", "vgcreate", "vgremove", "pvs");
        Tools.require("e2fsprogs", "mkfs.ext4");
        Tools.require("smartmontools", "smartctl");
    }

    @BeforeEach
    void fixture() {
        api = new ApiFixture(tmp);
    }

    @org.junit.jupiter.api.AfterEach
    void undo() {
        for (Runnable r : cleanup.reversed()) {
            try {
                r.run();
            } catch (RuntimeException | AssertionError ignored) {
                // best effort: the next steps still run
            }
        }
    }

    LoopDevice loop(String name, long size) throws Exception {
        LoopDevice l = LoopDevice.create(tmp, name, size);
        cleanup.add(l::close);
        cleanup.add(() -> TestSupport.quiet("partx", "--delete", l.device));
        return l;
    }

    ApiResponse call(HttpMethod m, String path, Map<String, ?> params) { return api.root(m, BASE + path, params); }

    /** Call a task-starting method and wait for the task; returns its exit status. */
    String task(HttpMethod m, String path, Map<String, ?> params) throws InterruptedException {
        ApiResponse r = call(m, path, params);
        assertThat(r.status()).as("%s %s: %s", m, path, r.message()).isEqualTo(200);
        String upid = (String) r.data();
        var info = api.tasks.await(upid, 120_000);
        if (!"OK".equals(info.status())) System.err.println(String.join("\n", api.tasks.log(upid, 0, 0).lines()));
        return info.status();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> listed(String dev, boolean partitions) {
        ApiResponse r = call(HttpMethod.GET, "/list", partitions ? Map.of("include-partitions", "1") : Map.of());
        assertThat(r.status()).as(r.message()).isEqualTo(200);
        for (Map<String, Object> e : (List<Map<String, Object>>) r.data()) if (dev.equals(e.get("devpath"))) return e;
        return null;
    }

    static boolean mounted(Path where) throws Exception {
        return Files.readString(Path.of("/proc/self/mounts")).contains(" " + where + " ");
    }

    @Test
    void listShowsTheLoopDiskAndOnlyTestNodesCountLoopDevices() throws Exception {
        LoopDevice l = loop("list", 96 * MIB);
        Map<String, Object> e = listed(l.device, false);
        assertThat(e).containsEntry("size", 96 * MIB).containsEntry("gpt", 0).containsEntry("mounted", 0)
                .containsEntry("health", "UNKNOWN").doesNotContainKey("used");
        var unused = (List<?>) call(HttpMethod.GET, "/list", Map.of("type", "unused", "skipsmart", "1")).data();
        assertThat(unused.toString()).contains(l.device);
        // SMART of a device without SMART
        assertThat(call(HttpMethod.GET, "/smart", Map.of("disk", l.device)).data()).isEqualTo(Map.of("health", "UNKNOWN"));
        // the node's module knows PVE's disks only
        HostDisks pveOnly = new HostDisks(new ProcessCommandRunner(), false);
        assertThatThrownBy(() -> pveOnly.verifyBlockdev(l.device)).isInstanceOf(StorageException.class).hasMessage("not a valid block device");
    }

    @Test
    void pathsThatAreNoDiskAreRefused() {
        Object[][] table = {
                {"/dev/null", "not a valid block device"},
                {"/dev/mapper/control", "got unusual device path '/dev/mapper/control'"},
                {"/dev/nosuchdisk", "failed to get absolute path to /dev/nosuchdisk"},
        };
        for (Object[] row : table) {
            for (String op : List.of("PUT /wipedisk", "POST /initgpt", "GET /smart")) {
                String[] mp = op.split(" ");
                ApiResponse r = call(HttpMethod.valueOf(mp[0]), mp[1], Map.of("disk", row[0]));
                assertThat(r.status()).as("%s %s", op, row[0]).isEqualTo(500);
                assertThat(r.message()).as("%s %s", op, row[0]).contains((String) row[1]);
            }
        }
        // the schema's pattern refuses what is not below /dev
        assertThat(call(HttpMethod.PUT, "/wipedisk", Map.of("disk", "/etc/passwd")).status()).isEqualTo(400);
    }

    @Test
    void initGptThenWipe() throws Exception {
        LoopDevice l = loop("gpt", 64 * MIB);
        assertThat(task(HttpMethod.POST, "/initgpt", Map.of("disk", l.device, "uuid", "6a5d0f0e-1b2c-4d3e-8f90-a1b2c3d4e5f6"))).isEqualTo("OK");
        assertThat(listed(l.device, false)).containsEntry("gpt", 1);
        assertThat(TestSupport.sh("sgdisk", "-p", l.device)).containsIgnoringCase("6a5d0f0e-1b2c-4d3e-8f90-a1b2c3d4e5f6");
        assertThat(task(HttpMethod.PUT, "/wipedisk", Map.of("disk", l.device))).isEqualTo("OK");
        assertThat(listed(l.device, false)).containsEntry("gpt", 0).doesNotContainKey("used");
        assertThat(TestSupport.sh("wipefs", l.device).strip()).isEmpty();
    }

    @Test
    void aDiskInUseIsNeitherInitializedNorWiped() throws Exception {
        LoopDevice l = loop("busy", 64 * MIB);
        TestSupport.sh("mkfs.ext4", "-q", l.device);
        Path where = Files.createDirectories(tmp.resolve("busy-mnt"));
        TestSupport.sh("mount", l.device, where.toString());
        cleanup.add(() -> TestSupport.quiet("umount", where.toString()));
        assertThat(listed(l.device, false)).containsEntry("used", "mounted").containsEntry("mounted", 1);
        ApiResponse init = call(HttpMethod.POST, "/initgpt", Map.of("disk", l.device));
        assertThat(init.status()).isEqualTo(500);
        assertThat(init.message()).isEqualTo("disk '" + l.device + "' is already in use");
        ApiResponse wipe = call(HttpMethod.PUT, "/wipedisk", Map.of("disk", l.device));
        assertThat(wipe.status()).isEqualTo(500);
        assertThat(wipe.message()).isEqualTo("disk/partition '" + l.device + "' is mounted");
        ApiResponse lvm = call(HttpMethod.POST, "/lvm", Map.of("name", "busyvg", "device", l.device));
        assertThat(lvm.message()).isEqualTo("device '" + l.device + "' is already in use");
        assertThat(TestSupport.sh("blkid", "-p", "-o", "value", "-s", "TYPE", l.device).strip()).isEqualTo("ext4");
    }

    @Test
    void lvmVolumeGroupWithStorageAndItsRemoval() throws Exception {
        LoopDevice l = loop("lvm", 128 * MIB);
        String vg = "havendisk" + Long.toHexString(System.nanoTime() & 0xffffff);
        cleanup.add(() -> {
            TestSupport.quiet("vgremove", "-f", "-y", vg);
            TestSupport.quiet("pvremove", "-y", l.device);
        });
        assertThat(task(HttpMethod.POST, "/lvm", Map.of("name", vg, "device", l.device, "add_storage", "1"))).isEqualTo("OK");
        String cfg = api.cfs.readString("storage.cfg").orElse("");
        assertThat(cfg).contains("lvm: " + vg + "\n").contains("\tvgname " + vg + "\n").contains("\tnodes n1\n").contains("\tcontent rootdir,images\n");
        assertThat(listed(l.device, false)).containsEntry("used", "LVM");
        @SuppressWarnings("unchecked")
        var groups = (List<Map<String, Object>>) ((Map<String, Object>) call(HttpMethod.GET, "/lvm", Map.of()).data()).get("children");
        var group = groups.stream().filter(g -> g.get("name").equals(vg)).findFirst().orElseThrow();
        assertThat(group.get("children").toString()).contains(l.device);
        assertThat((Long) group.get("size")).isGreaterThan(100 * MIB).isLessThanOrEqualTo(128 * MIB);
        // the same disk again, and the same VG name
        assertThat(call(HttpMethod.POST, "/lvm", Map.of("name", vg + "x", "device", l.device)).message()).isEqualTo("device '" + l.device + "' is already in use");
        LoopDevice other = loop("lvm2", 64 * MIB);
        assertThat(call(HttpMethod.POST, "/lvm", Map.of("name", vg, "device", other.device)).message())
                .isEqualTo("volume group with name '" + vg + "' already exists on node 'n1'");
        assertThat(task(HttpMethod.DELETE, "/lvm/" + vg, Map.of("cleanup-config", "1", "cleanup-disks", "1"))).isEqualTo("OK");
        assertThat(api.cfs.readString("storage.cfg").orElse("")).doesNotContain(vg);
        assertThat(TestSupport.sh("vgs", "--noheadings", "-o", "vg_name")).doesNotContain(vg);
        assertThat(listed(l.device, false)).doesNotContainKey("used");
    }

    @Test
    void directoryStoragesOnExt4AndXfs() throws Exception {
        List<String> filesystems = new ArrayList<>(List.of("ext4"));
        Tools.require("xfsprogs", "mkfs.xfs");
        filesystems.add("xfs");
        for (String fs : filesystems) {
            LoopDevice l = loop("dir-" + fs, 320 * MIB);
            String name = "disk-" + fs;
            Path where = api.node.dataDir().resolve("mnt/pve/" + name);
            cleanup.add(() -> TestSupport.quiet("umount", where.toString()));
            assertThat(task(HttpMethod.POST, "/directory", Map.of("name", name, "device", l.device, "filesystem", fs, "add_storage", "1")))
                    .as(fs).isEqualTo("OK");
            assertThat(Files.readString(Path.of("/proc/self/mounts"))).contains(" " + where + " " + fs + " ");
            Path unit = api.node.dataDir().resolve("disks/systemd/mnt-pve-disk\\x2d" + fs + ".mount");
            assertThat(Files.readString(unit)).contains("Where=" + where + "\n").contains("Type=" + fs + "\n").contains("What=/dev/disk/by-uuid/");
            @SuppressWarnings("unchecked")
            var dirs = (List<Map<String, Object>>) call(HttpMethod.GET, "/directory", Map.of()).data();
            assertThat(dirs).anySatisfy(d -> assertThat(d).containsEntry("path", where.toString()).containsEntry("type", fs)
                    .containsEntry("unitfile", unit.toString()));
            assertThat(api.cfs.readString("storage.cfg").orElse("")).contains("dir: " + name + "\n\tpath " + where + "\n")
                    .contains("\tis_mountpoint yes\n");
            // the disk carries a mounted partition
            Map<String, Object> disk = listed(l.device, true);
            assertThat(disk).containsEntry("used", "partitions").containsEntry("mounted", 1).containsEntry("gpt", 1);
            String part = l.device + "p1";
            assertThat(listed(part, true)).containsEntry("parent", l.device).containsEntry("used", "mounted");
            assertThat(call(HttpMethod.PUT, "/wipedisk", Map.of("disk", l.device)).message()).isEqualTo("disk/partition '" + part + "' is mounted");
            assertThat(call(HttpMethod.POST, "/directory", Map.of("name", name, "device", l.device)).message())
                    .isEqualTo("device '" + l.device + "' is already in use");
            // the storage's directory is usable, and an embedded node mounts it again when it starts
            Files.writeString(where.resolve("probe"), "x");
            TestSupport.sh("umount", where.toString());
            api.disks.start(api.node);
            assertThat(where.resolve("probe")).hasContent("x");
            assertThat(task(HttpMethod.DELETE, "/directory/" + name, Map.of("cleanup-config", "1", "cleanup-disks", "1"))).isEqualTo("OK");
            assertThat(mounted(where)).isFalse();
            assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(part + " ");
            assertThat(unit).doesNotExist();
            assertThat(api.cfs.readString("storage.cfg").orElse("")).doesNotContain("dir: " + name);
            // as PVE, cleanup-disks wipes the file system's partition and leaves the disk's partition table
            assertThat(TestSupport.sh("blkid", "-p", "-o", "value", "-s", "TYPE", part).strip()).isEmpty();
            assertThat(listed(part, true)).containsEntry("used", "partition").containsEntry("mounted", 0);
        }
    }

    @Test
    void lvmThinPool() {
        boolean dmThin;
        try {
            dmThin = Files.readString(Path.of("/proc/misc")).contains("device-mapper") && Files.exists(Path.of("/sys/module/dm_thin_pool"));
        } catch (java.io.IOException e) {
            dmThin = false;
        }
        if (!dmThin) Tools.unavailableHere(Tools.Impossible.DM_THIN, "an LVM thin pool made from a disk");
        Tools.require("thin-provisioning-tools", "thin_check");
    }

    @Test
    void zfsPool() {
        if (!Files.exists(Path.of("/sys/module/zfs"))) Tools.unavailableHere(Tools.Impossible.ZFS, "a ZFS pool made from disks");
        Tools.require("zfsutils-linux", "zpool");
    }
}
