package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.haven.storage.TestSupport.holds;
import static org.haven.storage.TestSupport.sh;
import static org.haven.storage.TestSupport.write;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.ContentType;
import org.haven.storage.LoopDevice;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The btrfs plugin on a real btrfs file system on a loop device. */
@RealTest
class BtrfsStorageTest {
    static final long MIB = 1024 * 1024;

    static Path tmp;
    static LoopDevice loop;
    static Path mnt;
    static boolean mounted;
    static StorageManager sm;

    @BeforeAll
    static void setUp() throws Exception {
        Tools.requireRoot("loop devices and mounts");
        Tools.require("btrfs-progs", "mkfs.btrfs", "btrfs");
        tmp = Files.createTempDirectory("haven-btrfs");
        try {
            loop = LoopDevice.create(tmp, "btrfs", 512 * MIB);
            sh("mkfs.btrfs", "-q", "-f", loop.device);
            mnt = tmp.resolve("mnt");
            Files.createDirectories(mnt);
            sh("mount", "-t", "btrfs", loop.device, mnt.toString());
            mounted = true;
            LocalClusterFs cfs = TestSupport.cfs(tmp.resolve("cfs"), "node1");
            cfs.writeString("storage.cfg", """
                    btrfs: bt1
                    	path %s
                    	content images,rootdir,iso,backup

                    btrfs: bt2
                    	path %s
                    	content images,rootdir

                    dir: plain
                    	path %s
                    	content images

                    """.formatted(mnt.resolve("s1"), mnt.resolve("s2"), tmp.resolve("plain")));
            sm = new StorageManager(cfs, "node1", tmp.resolve("vz"), new ProcessCommandRunner());
        } catch (Exception | AssertionError e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        if (mounted) {
            TestSupport.quiet("umount", mnt.toString());
            mounted = false;
        }
        if (loop != null) loop.close();
        TestSupport.deleteTree(tmp);
    }

    boolean isSubvolume(String path) {
        return TestSupport.SH.run(java.util.List.of("btrfs", "subvolume", "show", path)).ok();
    }

    @Test
    void rawImageLifecycle() {
        String v = sm.alloc("bt1", 100, "raw", null, 16 * MIB);
        assertThat(v).isEqualTo("bt1:100/vm-100-disk-0.raw");
        Path disk = mnt.resolve("s1/images/100/vm-100-disk-0/disk.raw");
        assertThat(sm.path(v)).isEqualTo(disk.toString());
        assertThat(isSubvolume(disk.getParent().toString())).isTrue();
        assertThat(sm.size(v)).isEqualTo(16 * MIB);
        write(disk.toString(), "raw", 0x61, 0, 2 * MIB);

        assertThat(sm.hasFeature(Feature.SNAPSHOT, v, null, false)).isTrue();
        sm.snapshot(v, "s1");
        assertThat(sm.snapshots(v)).containsExactly("s1");
        assertThat(sm.path(v, "s1")).isEqualTo(mnt.resolve("s1/images/100/vm-100-disk-0@s1/disk.raw").toString());
        write(disk.toString(), "raw", 0x62, 0, 2 * MIB);
        assertThat(holds(sm.path(v, "s1"), "raw", 0x61, 0, 2 * MIB)).isTrue();
        sm.rollback(v, "s1");
        assertThat(holds(disk.toString(), "raw", 0x61, 0, 2 * MIB)).isTrue();
        assertThat(sm.snapshots(v)).containsExactly("s1");

        sm.resize(v, 32 * MIB, false);
        assertThat(sm.size(v)).isEqualTo(32 * MIB);

        assertThat(sm.list("bt1", 100, Set.of(ContentType.IMAGES))).extracting(VolumeInfo::volid).containsExactly(v);
        sm.deleteSnapshot(v, "s1", false);
        assertThat(sm.snapshots(v)).isEmpty();
        sm.snapshot(v, "s2");
        sm.free(v);
        assertThat(disk.getParent()).doesNotExist();
        assertThat(mnt.resolve("s1/images/100/vm-100-disk-0@s2")).doesNotExist();
    }

    @Test
    void templateAndClone() {
        String v = sm.alloc("bt1", 200, "raw", null, 8 * MIB);
        write(sm.path(v), "raw", 0x71, 0, MIB);
        String base = sm.createBase(v);
        assertThat(base).isEqualTo("bt1:200/base-200-disk-0.raw");
        assertThat(sh("btrfs", "property", "get", "-ts", mnt.resolve("s1/images/200/base-200-disk-0").toString(), "ro")).contains("ro=true");
        String clone = sm.cloneImage(base, 201, null);
        assertThat(clone).isEqualTo("bt1:201/vm-201-disk-0.raw");
        assertThat(holds(sm.path(clone), "raw", 0x71, 0, MIB)).isTrue();
        write(sm.path(clone), "raw", 0x72, 0, MIB);
        assertThat(holds(sm.path(base), "raw", 0x71, 0, MIB)).isTrue();
        sm.free(clone);
        sm.free(base);
        assertThat(mnt.resolve("s1/images/200/base-200-disk-0")).doesNotExist();
    }

    @Test
    void subvolumesForContainers() {
        String v = sm.alloc("bt1", 300, "subvol", null, 0);
        assertThat(v).isEqualTo("bt1:300/subvol-300-disk-0.subvol");
        Path p = Path.of(sm.path(v));
        assertThat(isSubvolume(p.toString())).isTrue();
        sm.snapshot(v, "snap");
        assertThat(sm.list("bt1", 300, Set.of(ContentType.ROOTDIR))).extracting(VolumeInfo::format).containsExactly("subvol");
        sm.free(v);
        assertThat(p).doesNotExist();
    }

    @Test
    void btrfsSendReceiveBetweenStorages() throws Exception {
        String v = sm.alloc("bt1", 400, "raw", null, 8 * MIB);
        write(sm.path(v), "raw", 0x41, 0, MIB);
        sm.snapshot(v, "a");
        write(sm.path(v), "raw", 0x42, MIB, MIB);
        sm.snapshot(v, "b");
        assertThat(sm.exportFormats(v, "b", null, true)).startsWith(ExportFormat.BTRFS);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.exportVolume(v, ExportFormat.BTRFS, "b", null, true, out);
        String dst = sm.importVolume("bt2:400/vm-400-disk-0.raw", ExportFormat.BTRFS, "b", null, true, false,
                new ByteArrayInputStream(out.toByteArray()));
        assertThat(dst).isEqualTo("bt2:400/vm-400-disk-0.raw");
        assertThat(sm.snapshots(dst)).containsExactly("a", "b");
        assertThat(holds(sm.path(dst), "raw", 0x41, 0, MIB)).isTrue();
        assertThat(holds(sm.path(dst), "raw", 0x42, MIB, MIB)).isTrue();
        assertThat(holds(sm.path(dst, "a"), "raw", 0x00, MIB, MIB)).isTrue();
        // incremental: a new snapshot sent relative to b
        write(sm.path(v), "raw", 0x43, 2 * MIB, MIB);
        sm.snapshot(v, "c");
        ByteArrayOutputStream inc = new ByteArrayOutputStream();
        sm.exportVolume(v, ExportFormat.BTRFS, "c", "b", false, inc);
        sm.importVolume(dst, ExportFormat.BTRFS, "c", "b", false, false, new ByteArrayInputStream(inc.toByteArray()));
        assertThat(sm.snapshots(dst)).containsExactly("a", "b", "c");
        assertThat(holds(sm.path(dst), "raw", 0x43, 2 * MIB, MIB)).isTrue();
        assertThat(inc.size()).isLessThan(out.size());
        sm.free(dst);
        sm.free(v);
    }

    @Test
    void rawSizeToAndFromDir() throws Exception {
        String v = sm.alloc("bt1", 500, "raw", null, 4 * MIB);
        write(sm.path(v), "raw", 0x51, 0, 4 * MIB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.exportVolume(v, ExportFormat.RAW_SIZE, null, null, false, out);
        String d = sm.importVolume("plain:500/vm-500-disk-0.raw", ExportFormat.RAW_SIZE, null, null, false, false,
                new ByteArrayInputStream(out.toByteArray()));
        sh("cmp", sm.path(v), sm.path(d));
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        sm.exportVolume(d, ExportFormat.RAW_SIZE, null, null, false, back);
        String again = sm.importVolume("bt2:501/vm-501-disk-0.raw", ExportFormat.RAW_SIZE, null, null, false, false,
                new ByteArrayInputStream(back.toByteArray()));
        sh("cmp", sm.path(v), sm.path(again));
        sm.free(again);
        sm.free(d);
        sm.free(v);
    }

    @Test
    void copyVolumeBetweenStorageTypes() {
        String q = sm.alloc("plain", 700, "qcow2", null, 4 * MIB);
        write(sm.path(q), "qcow2", 0x7e, MIB, MIB);
        String onBtrfs = sm.copyVolume(q, "bt2", 701);
        assertThat(onBtrfs).isEqualTo("bt2:701/vm-701-disk-0.raw");
        sh("qemu-img", "compare", "-f", "qcow2", "-F", "raw", sm.path(q), sm.path(onBtrfs));
        String back = sm.copyVolume(onBtrfs, "plain", 701);
        assertThat(back).isEqualTo("plain:701/vm-701-disk-0.raw");
        sh("cmp", sm.path(onBtrfs), sm.path(back));
        assertThat(sm.copyVolume(onBtrfs, "plain", 701)).isEqualTo("plain:701/vm-701-disk-1.raw");
        for (String v : java.util.List.of(q, onBtrfs, back, "plain:701/vm-701-disk-1.raw")) sm.free(v);
    }

    @Test
    void statusMatchesDfAndErrors() {
        StorageStatus st = sm.status("bt1");
        long[] df = TestSupport.df(mnt.resolve("s1"));
        assertThat(st.active()).isTrue();
        assertThat(st.total()).isEqualTo(df[0]);
        TestSupport.assertClose(st.used(), df[1], 16 * MIB);
        TestSupport.assertClose(st.avail(), df[2], 16 * MIB);
        assertThatThrownBy(() -> sm.alloc("bt1", 600, "qcow2", null, MIB)).hasMessage("unsupported format 'qcow2'");
        assertThatThrownBy(() -> sm.rollback("bt1:600/vm-600-disk-0.raw", "nope")).hasMessageContaining("does not exist");
    }
}
