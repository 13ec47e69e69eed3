package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.ContentType;
import org.haven.storage.LoopDevice;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lvm and lvmthin plugins against a real volume group on a loop device. Where the kernel has no device-mapper
 * (some sandboxes), LVM runs with activation disabled: metadata operations (create, list, resize, rename, remove,
 * status) are real, block I/O and thin pools are not possible and those tests are skipped.
 */
@RealTest
class LvmStorageTest {
    static final long MIB = 1024 * 1024;

    static Path tmp;
    static LoopDevice loop;
    static String vg;
    static boolean dm;
    static CommandRunner lvmRunner;
    static StorageManager sm;

    static boolean deviceMapperAvailable() {
        try {
            return Files.readString(Path.of("/proc/misc")).contains("device-mapper");
        } catch (Exception e) {
            return false;
        }
    }

    static String lvm(String... cmd) {
        CommandRunner.Result r = lvmRunner.run(List.of(cmd), Map.of(), null);
        if (!r.ok()) throw new AssertionError(String.join(" ", cmd) + ": " + r.stderr());
        return r.stdout();
    }

    @BeforeAll
    static void setUp() throws Exception {
        Tools.requireRoot("loop devices and LVM");
        Tools.require("lvm2", "pvcreate", "vgcreate", "lvcreate");
        tmp = Files.createTempDirectory("haven-lvm");
        dm = deviceMapperAvailable();
        Map<String, String> env = Map.of();
        if (!dm) {
            Path conf = tmp.resolve("lvmconf");
            Files.createDirectories(conf);
            Files.writeString(conf.resolve("lvm.conf"), "global {\n activation = 0\n}\n");
            env = Map.of("LVM_SYSTEM_DIR", conf.toString());
        }
        lvmRunner = new ProcessCommandRunner(env);
        vg = "havent" + Long.toHexString(System.nanoTime() & 0xffffffL);
        try {
            loop = LoopDevice.create(tmp, "lvm", 256 * MIB);
            lvm("pvcreate", "-q", loop.device);
            lvm("vgcreate", "-q", vg, loop.device);
            if (dm) lvm("lvcreate", "-q", "--type", "thin-pool", "-L", "64M", "-n", "data", vg);
            LocalClusterFs cfs = TestSupport.cfs(tmp.resolve("cfs"), "node1");
            cfs.writeString("storage.cfg", """
                    lvm: lv1
                    	vgname %s
                    	content images,rootdir

                    lvmthin: thin
                    	thinpool data
                    	vgname %s
                    	content images,rootdir

                    lvm: novg
                    	vgname %s
                    	content images

                    lvmthin: nothin
                    	thinpool nosuch
                    	vgname %s
                    	content images

                    dir: plain
                    	path %s
                    	content images

                    """.formatted(vg, vg, vg + "missing", vg, tmp.resolve("plain")));
            sm = new StorageManager(cfs, "node1", tmp.resolve("vz"), lvmRunner);
        } catch (Exception | AssertionError e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        if (vg != null && lvmRunner != null) {
            lvmRunner.run(List.of("vgremove", "-f", "-y", vg), Map.of(), null);
            if (loop != null) lvmRunner.run(List.of("pvremove", "-y", "-q", loop.device), Map.of(), null);
        }
        if (loop != null) loop.close();
        TestSupport.deleteTree(tmp);
    }

    static Map<String, Lvm.Lv> lvs() { return Lvm.parseLvs(lvm(Lvm.lvsCommand(vg).toArray(String[]::new))); }

    @Test
    void allocListResizeRenameFree() {
        String v = sm.alloc("lv1", 100, null, null, 8 * MIB);
        assertThat(v).isEqualTo("lv1:vm-100-disk-0");
        assertThat(sm.path(v)).isEqualTo("/dev/" + vg + "/vm-100-disk-0");
        Lvm.Lv lv = lvs().get("vm-100-disk-0");
        assertThat(lv.size()).isEqualTo(8 * MIB);
        assertThat(lv.tags()).containsExactly("pve-vm-100");
        String v2 = sm.alloc("lv1", 100, "raw", "vm-100-disk-5", 4 * MIB);
        assertThat(v2).isEqualTo("lv1:vm-100-disk-5");
        assertThat(sm.alloc("lv1", 100, null, null, 4 * MIB)).isEqualTo("lv1:vm-100-disk-1");
        assertThat(sm.list("lv1", 100, Set.of(ContentType.IMAGES))).extracting(VolumeInfo::volid)
                .containsExactly("lv1:vm-100-disk-0", "lv1:vm-100-disk-5", "lv1:vm-100-disk-1");
        assertThat(sm.list("lv1", 100, Set.of())).extracting(VolumeInfo::size).containsExactly(8 * MIB, 4 * MIB, 4 * MIB);
        assertThat(sm.size(v)).isEqualTo(8 * MIB);
        sm.resize(v, 16 * MIB, false);
        assertThat(lvs().get("vm-100-disk-0").size()).isEqualTo(16 * MIB);
        String moved = sm.rename(v2, 101, null);
        assertThat(moved).isEqualTo("lv1:vm-101-disk-0");
        assertThat(lvs()).containsKey("vm-101-disk-0").doesNotContainKey("vm-100-disk-5");
        assertThat(sm.hasFeature(Feature.SNAPSHOT, v, null, false)).isFalse();
        assertThatThrownBy(() -> sm.snapshot(v, "s")).hasMessageContaining("not supported");
        sm.activateVolumes(List.of(v));
        for (String x : List.of(v, moved, "lv1:vm-100-disk-1")) sm.free(x);
        assertThat(lvs()).isEmpty();
        assertThatThrownBy(() -> sm.free(v)).hasMessage("volume 'lv1:vm-100-disk-0' does not exist");
    }

    @Test
    void statusMatchesVgs() {
        String v = sm.alloc("lv1", 200, null, null, 32 * MIB);
        try {
            StorageStatus st = sm.status("lv1");
            String[] f = lvm("vgs", "--noheadings", "--units", "b", "--nosuffix", "-o", "vg_size,vg_free", vg).trim().split("\\s+");
            long size = Long.parseLong(f[0]);
            long free = Long.parseLong(f[1]);
            assertThat(st.active()).isTrue();
            assertThat(st.total()).isEqualTo(size);
            assertThat(st.avail()).isEqualTo(free);
            assertThat(st.used()).isEqualTo(size - free);
            assertThat(st.used()).isGreaterThanOrEqualTo(32 * MIB);
        } finally {
            sm.free(v);
        }
        assertThat(sm.status("novg").active()).isFalse();
    }

    @Test
    void scansListTheVolumeGroup() {
        assertThat(sm.scanner().lvm()).anySatisfy(m -> {
            assertThat(m.get("vg")).isEqualTo(vg);
            assertThat((Long) m.get("size")).isGreaterThan(200 * MIB);
        });
        assertThat(sm.scanner().lvmthin(vg)).extracting(m -> m.get("lv")).containsExactlyElementsOf(dm ? List.of("data") : List.of());
    }

    @Test
    void badRequests() {
        assertThatThrownBy(() -> sm.alloc("lv1", 300, "qcow2", null, MIB)).hasMessage("unsupported format 'qcow2'");
        assertThatThrownBy(() -> sm.alloc("lv1", 300, null, "vm-301-disk-0", MIB)).hasMessage("illegal name 'vm-301-disk-0' - should be 'vm-300-*'");
        assertThatThrownBy(() -> sm.alloc("lv1", 300, null, null, 10L * 1024 * MIB)).hasMessageStartingWith("not enough free space");
        assertThatThrownBy(() -> sm.alloc("novg", 300, null, null, MIB)).hasMessage("volume group '" + vg + "missing' not found");
        assertThat(lvs()).doesNotContainKey("vm-300-disk-0");
    }

    @Test
    void exportImportRawBetweenLvmAndDir() throws Exception {
        if (!dm) Tools.unavailableHere(Tools.Impossible.DEVICE_MAPPER, "block I/O on logical volumes");
        String v = sm.alloc("lv1", 400, null, null, 4 * MIB);
        try {
            TestSupport.write(sm.path(v), "raw", 0x77, 0, MIB);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            sm.exportVolume(v, ExportFormat.RAW_SIZE, null, null, false, out);
            String d = sm.importVolume("plain:400/vm-400-disk-0.raw", ExportFormat.RAW_SIZE, null, null, false, false,
                    new ByteArrayInputStream(out.toByteArray()));
            assertThat(TestSupport.holds(sm.path(d), "raw", 0x77, 0, MIB)).isTrue();
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            sm.exportVolume(d, ExportFormat.RAW_SIZE, null, null, false, back);
            String l2 = sm.importVolume("lv1:vm-401-disk-0", ExportFormat.RAW_SIZE, null, null, false, false,
                    new ByteArrayInputStream(back.toByteArray()));
            assertThat(TestSupport.holds(sm.path(l2), "raw", 0x77, 0, MIB)).isTrue();
            sm.free(l2);
        } finally {
            sm.free(v);
        }
    }

    @Test
    void thinSnapshotsTemplatesClones() {
        if (!dm) Tools.unavailableHere(Tools.Impossible.DM_THIN, "thin pools");
        String v = sm.alloc("thin", 500, null, null, 8 * MIB);
        TestSupport.write(sm.path(v), "raw", 0x10, 0, MIB);
        sm.snapshot(v, "s1");
        TestSupport.write(sm.path(v), "raw", 0x20, 0, MIB);
        sm.rollback(v, "s1");
        sm.activateVolumes(List.of(v));
        assertThat(TestSupport.holds(sm.path(v), "raw", 0x10, 0, MIB)).isTrue();
        sm.deleteSnapshot(v, "s1", false);
        String base = sm.createBase(v);
        String clone = sm.cloneImage(base, 501, null);
        sm.activateVolumes(List.of(clone));
        assertThat(TestSupport.holds(sm.path(clone), "raw", 0x10, 0, MIB)).isTrue();
        StorageStatus st = sm.status("thin");
        assertThat(st.total()).isEqualTo(lvs().get("data").size());
        sm.free(clone);
        sm.free(base);
    }

    @Test
    void thinPoolMissingIsReported() {
        assertThatThrownBy(() -> sm.alloc("nothin", 600, null, null, MIB)).hasMessage("no such thin pool '" + vg + "/nosuch'");
        if (!dm) assertThatThrownBy(() -> sm.alloc("thin", 600, null, null, MIB)).hasMessage("no such thin pool '" + vg + "/data'");
    }
}
