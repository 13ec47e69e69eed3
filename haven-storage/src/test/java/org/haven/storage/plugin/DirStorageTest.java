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
import java.util.List;
import java.util.Set;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dir plugin against real files and the real qemu-img. */
@RealTest
class DirStorageTest {
    static final long MIB = 1024 * 1024;

    @TempDir Path tmp;
    StorageManager sm;
    LocalClusterFs cfs;

    @BeforeEach
    void setUp() {
        cfs = TestSupport.cfs(tmp.resolve("cfs"), "node1");
        cfs.writeString("storage.cfg", """
                dir: local
                	path %s
                	content images,rootdir,iso,vztmpl,backup,snippets

                dir: other
                	path %s
                	content images

                dir: isos
                	path %s
                	content iso

                dir: off
                	disable
                	path %s

                dir: elsewhere
                	path %s
                	nodes node2

                """.formatted(tmp.resolve("vz"), tmp.resolve("other"), tmp.resolve("isos"), tmp.resolve("off"), tmp.resolve("elsewhere")));
        sm = new StorageManager(cfs, "node1", tmp.resolve("vz"), new ProcessCommandRunner());
    }

    @AfterEach
    void tearDown() {
        TestSupport.deleteTree(tmp.resolve("vz"));
    }

    @Test
    void allocPathListFreeForEveryFormat() throws Exception {
        String raw = sm.alloc("local", 100, "raw", null, 4 * MIB);
        String qcow = sm.alloc("local", 100, "qcow2", null, 4 * MIB);
        String vmdk = sm.alloc("local", 100, "vmdk", "vm-100-disk-7.vmdk", 4 * MIB);
        assertThat(raw).isEqualTo("local:100/vm-100-disk-0.raw");
        assertThat(qcow).isEqualTo("local:100/vm-100-disk-1.qcow2");
        assertThat(vmdk).isEqualTo("local:100/vm-100-disk-7.vmdk");
        assertThat(sm.path(raw)).isEqualTo(tmp.resolve("vz/images/100/vm-100-disk-0.raw").toString());
        for (String v : List.of(raw, qcow, vmdk)) {
            assertThat(Path.of(sm.path(v))).exists();
            assertThat(sm.size(v)).isEqualTo(4 * MIB);
            assertThat(sm.owner(v)).contains(100);
        }
        assertThat(sh("qemu-img", "info", sm.path(qcow))).contains("file format: qcow2");
        List<VolumeInfo> list = sm.list("local", 100, Set.of(ContentType.IMAGES));
        assertThat(list).extracting(VolumeInfo::volid).containsExactly(raw, qcow, vmdk);
        assertThat(list).extracting(VolumeInfo::format).containsExactly("raw", "qcow2", "vmdk");
        assertThat(list).allSatisfy(i -> assertThat(i.size()).isEqualTo(4 * MIB));
        assertThat(sm.list("local", 101, Set.of(ContentType.IMAGES))).isEmpty();

        write(sm.path(raw), "raw", 0x5a, 0, MIB);
        assertThat(holds(sm.path(raw), "raw", 0x5a, 0, MIB)).isTrue();

        sm.free(raw);
        assertThat(Path.of(tmp.resolve("vz/images/100/vm-100-disk-0.raw").toString())).doesNotExist();
        assertThat(sm.alloc("local", 100, "raw", null, MIB)).isEqualTo("local:100/vm-100-disk-0.raw");
        assertThatThrownBy(() -> sm.free(raw.replace("disk-0", "disk-9"))).hasMessageContaining("does not exist");
    }

    @Test
    void qcow2SnapshotRollbackTemplateAndLinkedClone() {
        String v = sm.alloc("local", 200, "qcow2", null, 8 * MIB);
        String p = sm.path(v);
        write(p, "qcow2", 0x11, 0, MIB);
        assertThat(sm.hasFeature(Feature.SNAPSHOT, v, null, false)).isTrue();
        sm.snapshot(v, "before");
        assertThat(sm.snapshots(v)).containsExactly("before");
        write(p, "qcow2", 0x22, 0, MIB);
        assertThat(holds(p, "qcow2", 0x22, 0, MIB)).isTrue();
        sm.rollback(v, "before");
        assertThat(holds(p, "qcow2", 0x11, 0, MIB)).isTrue();
        sm.deleteSnapshot(v, "before", false);
        assertThat(sm.snapshots(v)).isEmpty();

        // resize grows the virtual size
        sm.resize(v, 16 * MIB, false);
        assertThat(sm.size(v)).isEqualTo(16 * MIB);

        // template + linked clone
        String base = sm.createBase(v);
        assertThat(base).isEqualTo("local:200/base-200-disk-0.qcow2");
        assertThat(Path.of(sm.path(base))).exists();
        assertThat(Path.of(p)).doesNotExist();
        assertThat(sm.hasFeature(Feature.CLONE, base, null, false)).isTrue();
        assertThat(sm.hasFeature(Feature.SNAPSHOT, base, null, false)).isFalse();
        String clone = sm.cloneImage(base, 201, null);
        assertThat(clone).isEqualTo("local:200/base-200-disk-0.qcow2/201/vm-201-disk-0.qcow2");
        assertThat(sm.path(clone)).isEqualTo(tmp.resolve("vz/images/201/vm-201-disk-0.qcow2").toString());
        assertThat(sh("qemu-img", "info", sm.path(clone))).contains("backing file: ../200/base-200-disk-0.qcow2");
        assertThat(holds(sm.path(clone), "qcow2", 0x11, 0, MIB)).isTrue();
        write(sm.path(clone), "qcow2", 0x33, 0, MIB);
        assertThat(holds(sm.path(base), "qcow2", 0x11, 0, MIB)).isTrue();
        // the listing shows the clone with its parent
        assertThat(sm.list("local", 201, Set.of(ContentType.IMAGES))).singleElement()
                .satisfies(i -> { assertThat(i.volid()).isEqualTo(clone); assertThat(i.parent()).isEqualTo("base-200-disk-0.qcow2"); });
        // base cannot go while the clone exists
        assertThatThrownBy(() -> sm.free(base)).hasMessage("base volume '200/base-200-disk-0.qcow2' is still in use by linked clones");
        assertThatThrownBy(() -> sm.cloneImage(clone, 202, null)).hasMessage("clone_image only works on base images");
        sm.free(clone);
        sm.free(base);
        assertThat(sm.list("local", null, Set.of(ContentType.IMAGES))).isEmpty();
    }

    @Test
    void imagesOfAGuestAcrossStorages() {
        String a = sm.alloc("local", 500, "raw", null, MIB);
        String b = sm.alloc("other", 500, "qcow2", null, MIB);
        sm.alloc("other", 501, "raw", null, MIB);
        assertThat(sm.imagesOf(500)).extracting(VolumeInfo::volid).containsExactlyInAnyOrder(a, b);
        assertThat(sm.imagesOf(502)).isEmpty();
    }

    @Test
    void rawHasNoSnapshots() {
        String v = sm.alloc("local", 300, "raw", null, MIB);
        assertThat(sm.hasFeature(Feature.SNAPSHOT, v, null, false)).isFalse();
        assertThatThrownBy(() -> sm.snapshot(v, "s")).hasMessage("can't snapshot this image format");
        String moved = sm.rename(v, 301, null);
        assertThat(moved).isEqualTo("local:301/vm-301-disk-0.raw");
        assertThat(Path.of(sm.path(moved))).exists();
    }

    @Test
    void exportImportBetweenStorages() throws Exception {
        String src = sm.alloc("local", 400, "qcow2", null, 6 * MIB);
        write(sm.path(src), "qcow2", 0x44, MIB, 2 * MIB);
        assertThat(sm.exportFormats(src, null, null, false)).containsExactly(ExportFormat.RAW_SIZE);
        assertThat(sm.exportFormats(src, null, null, true)).containsExactly(ExportFormat.QCOW2_SIZE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sm.exportVolume(src, ExportFormat.RAW_SIZE, null, null, false, out);
        assertThat(out.size()).isEqualTo(8 + 6 * MIB);
        String dst = sm.importVolume("other:400/vm-400-disk-0.raw", ExportFormat.RAW_SIZE, null, null, false, false,
                new ByteArrayInputStream(out.toByteArray()));
        assertThat(dst).isEqualTo("other:400/vm-400-disk-0.raw");
        assertThat(sm.size(dst)).isEqualTo(6 * MIB);
        sh("qemu-img", "compare", "-f", "qcow2", "-F", "raw", sm.path(src), sm.path(dst));
        // importing to an existing name fails unless renaming is allowed
        assertThatThrownBy(() -> sm.importVolume(dst, ExportFormat.RAW_SIZE, null, null, false, false,
                new ByteArrayInputStream(out.toByteArray()))).hasMessageContaining("already exists");
        String renamed = sm.importVolume(dst, ExportFormat.RAW_SIZE, null, null, false, true, new ByteArrayInputStream(out.toByteArray()));
        assertThat(renamed).isEqualTo("other:400/vm-400-disk-1.raw");
        // qcow2+size keeps the file with its snapshots
        sm.snapshot(src, "snap1");
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        sm.exportVolume(src, ExportFormat.QCOW2_SIZE, null, null, true, q);
        String qdst = sm.importVolume("other:401/vm-401-disk-0.qcow2", ExportFormat.QCOW2_SIZE, null, null, true, false,
                new ByteArrayInputStream(q.toByteArray()));
        assertThat(sm.snapshots(qdst)).containsExactly("snap1");
        assertThat(holds(sm.path(qdst), "qcow2", 0x44, MIB, 2 * MIB)).isTrue();
        assertThatThrownBy(() -> sm.importVolume("other:402/vm-402-disk-0.qcow2", ExportFormat.RAW_SIZE, null, null, false, false,
                new ByteArrayInputStream(out.toByteArray()))).hasMessage("cannot import format raw+size into a file of format qcow2");
        assertThat(Path.of(tmp.resolve("other/images/402/vm-402-disk-0.qcow2").toString())).doesNotExist();
    }

    @Test
    void statusMatchesDf() {
        StorageStatus st = sm.status("local");
        assertThat(st.active()).isTrue();
        long[] df = TestSupport.df(tmp.resolve("vz"));
        assertThat(st.total()).isEqualTo(df[0]);
        TestSupport.assertClose(st.used(), df[1], 64 * MIB);
        TestSupport.assertClose(st.avail(), df[2], 64 * MIB);
        assertThat(sm.status("off").active()).isFalse();
        assertThat(sm.status("elsewhere").active()).isFalse();
    }

    @Test
    void contentListingAndAttributes() throws Exception {
        sm.activateStorage("local");
        Path vz = tmp.resolve("vz");
        assertThat(vz.resolve("template/iso")).isDirectory();
        assertThat(vz.resolve("template/cache")).isDirectory();
        assertThat(vz.resolve("dump")).isDirectory();
        assertThat(vz.resolve("snippets")).isDirectory();
        Files.writeString(vz.resolve("template/iso/debian.iso"), "iso");
        Files.writeString(vz.resolve("template/iso/readme.txt"), "not an iso");
        Files.writeString(vz.resolve("template/cache/debian-12.tar.zst"), "tmpl");
        Files.writeString(vz.resolve("dump/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst"), "b1");
        Files.writeString(vz.resolve("dump/vzdump-lxc-101-2024_01_02-10_00_00.tar.gz"), "b2");
        Files.writeString(vz.resolve("snippets/user.yaml"), "#cloud-config");
        List<VolumeInfo> all = sm.list("local", null, Set.of());
        assertThat(all).extracting(VolumeInfo::volid).containsExactlyInAnyOrder(
                "local:iso/debian.iso", "local:vztmpl/debian-12.tar.zst", "local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst",
                "local:backup/vzdump-lxc-101-2024_01_02-10_00_00.tar.gz", "local:snippets/user.yaml");
        assertThat(all).filteredOn(i -> i.volid().equals("local:vztmpl/debian-12.tar.zst")).extracting(VolumeInfo::format).containsExactly("tzst");
        assertThat(all).filteredOn(i -> i.volid().equals("local:snippets/user.yaml")).extracting(VolumeInfo::format).containsExactly("snippet");
        assertThat(all).filteredOn(i -> i.content() == ContentType.BACKUP).extracting(VolumeInfo::format).containsExactlyInAnyOrder("vma.zst", "tar.gz");
        assertThat(sm.list("local", 100, Set.of(ContentType.BACKUP))).extracting(VolumeInfo::volid)
                .containsExactly("local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst");
        String b = "local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst";
        sm.updateAttributes(b, true, "nightly");
        VolumeInfo attrs = sm.attributes(b);
        assertThat(attrs.isProtected()).isTrue();
        assertThat(attrs.notes()).isEqualTo("nightly");
        assertThat(sm.path("local:iso/debian.iso")).isEqualTo(vz.resolve("template/iso/debian.iso").toString());
    }

    @Test
    void pruneBackupsOnRealFiles() throws Exception {
        sm.setZone(java.time.ZoneOffset.UTC);
        sm.activateStorage("local");
        Path dump = tmp.resolve("vz/dump");
        for (String t : List.of("2024_01_01-10_00_00", "2024_01_02-10_00_00", "2024_01_03-10_00_00", "2024_01_03-12_00_00")) {
            Files.writeString(dump.resolve("vzdump-qemu-100-" + t + ".vma.zst"), t);
        }
        Files.writeString(dump.resolve("vzdump-lxc-100-2024_01_01-10_00_00.tar.zst"), "ct");
        sm.updateAttributes("local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst", true, null);
        var dry = sm.pruneBackups("local", org.haven.storage.prune.PruneOptions.parse("keep-daily=2"), "qemu", 100, true);
        assertThat(dry).extracting(StorageManager.PruneEntry::mark).containsExactly("protected", "keep", "remove", "keep");
        assertThat(Files.list(dump).count()).isEqualTo(6);
        var done = sm.pruneBackups("local", org.haven.storage.prune.PruneOptions.parse("keep-last=1"), "qemu", 100, false);
        assertThat(done).filteredOn(e -> e.mark().equals("remove")).hasSize(2);
        assertThat(dump.resolve("vzdump-qemu-100-2024_01_03-12_00_00.vma.zst")).exists();
        assertThat(dump.resolve("vzdump-qemu-100-2024_01_01-10_00_00.vma.zst")).exists();
        assertThat(dump.resolve("vzdump-qemu-100-2024_01_02-10_00_00.vma.zst")).doesNotExist();
        assertThat(dump.resolve("vzdump-lxc-100-2024_01_01-10_00_00.tar.zst")).exists();
    }

    @Test
    void badRequestsFailCleanly() {
        assertThatThrownBy(() -> sm.alloc("off", 100, "raw", null, MIB)).hasMessage("storage 'off' is disabled");
        assertThatThrownBy(() -> sm.alloc("elsewhere", 100, "raw", null, MIB)).hasMessage("storage 'elsewhere' is not available on node 'node1'");
        assertThatThrownBy(() -> sm.alloc("nosuch", 100, "raw", null, MIB)).hasMessage("storage 'nosuch' does not exist");
        assertThatThrownBy(() -> sm.alloc("isos", 100, "raw", null, MIB)).hasMessage("storage 'isos' does not support content-type 'images'");
        assertThatThrownBy(() -> sm.alloc("local", 100, "raw", "vm-101-disk-0.raw", MIB)).hasMessage("illegal name 'vm-101-disk-0.raw' - should be 'vm-100-*'");
        assertThatThrownBy(() -> sm.alloc("local", 100, "qcow2", "vm-100-disk-0.raw", MIB)).hasMessageContaining("wrong extension for format");
        assertThatThrownBy(() -> sm.alloc("local", 100, "subvol", null, MIB)).hasMessage("storage does not support subvol quotas");
        assertThatThrownBy(() -> sm.path("local:100/vm-100-disk-0.img")).isInstanceOf(StorageException.class)
                .hasMessage("unable to parse volume filename 'vm-100-disk-0.img'");
        assertThatThrownBy(() -> sm.path("not a volid")).hasMessage("unable to parse volume ID 'not a volid'");
        String v = sm.alloc("local", 100, "raw", null, MIB);
        assertThatThrownBy(() -> sm.alloc("local", 100, "raw", "vm-100-disk-0.raw", MIB)).hasMessageContaining("already exists");
        assertThat(Path.of(sm.path(v))).exists();
        assertThat(tmp.resolve("off")).doesNotExist();
    }

    @Test
    void nonExistingPathWithoutMkdirFails() {
        cfs.writeString("storage.cfg", "dir: nomk\n\tpath " + tmp.resolve("missing") + "\n\tcreate-base-path 0\n\n"
                + "dir: mp\n\tpath " + tmp.resolve("mp") + "\n\tis_mountpoint 1\n\n");
        assertThatThrownBy(() -> sm.activateStorage("nomk"))
                .hasMessage("unable to activate storage 'nomk' - directory '" + tmp.resolve("missing") + "' does not exist");
        assertThat(tmp.resolve("missing")).doesNotExist();
        assertThatThrownBy(() -> sm.activateStorage("mp")).hasMessageContaining("is expected to be a mount point but is not mounted");
    }
}
