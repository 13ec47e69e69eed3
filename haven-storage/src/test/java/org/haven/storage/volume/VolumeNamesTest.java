package org.haven.storage.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class VolumeNamesTest {

    static VolumeName vn(ContentType t, String name, Integer vmid, String base, Integer baseVmid, boolean isBase, String fmt) {
        return new VolumeName(t, name, vmid, base, baseVmid, isBase, fmt);
    }

    static Stream<Arguments> dirNames() {
        return Stream.of(
                Arguments.of("100/vm-100-disk-0.qcow2", vn(ContentType.IMAGES, "vm-100-disk-0.qcow2", 100, null, null, false, "qcow2")),
                Arguments.of("230/example-image.raw", vn(ContentType.IMAGES, "example-image.raw", 230, null, null, false, "raw")),
                Arguments.of("100/base-100-disk-0.raw", vn(ContentType.IMAGES, "base-100-disk-0.raw", 100, null, null, true, "raw")),
                Arguments.of("100/vm-100-disk-1.vmdk", vn(ContentType.IMAGES, "vm-100-disk-1.vmdk", 100, null, null, false, "vmdk")),
                Arguments.of("100/subvol-100-disk-0.subvol", vn(ContentType.IMAGES, "subvol-100-disk-0.subvol", 100, null, null, false, "subvol")),
                Arguments.of("100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2",
                        vn(ContentType.IMAGES, "vm-101-disk-0.qcow2", 101, "base-100-disk-0.qcow2", 100, false, "qcow2")),
                Arguments.of("iso/debian-501-amd64-netinst.iso", vn(ContentType.ISO, "debian-501-amd64-netinst.iso", null, null, null, false, "raw")),
                Arguments.of("iso/UPPER.IMG", vn(ContentType.ISO, "UPPER.IMG", null, null, null, false, "raw")),
                Arguments.of("vztmpl/debian-5.0-joomla_1.5.9-1_i386.tar.gz",
                        vn(ContentType.VZTMPL, "debian-5.0-joomla_1.5.9-1_i386.tar.gz", null, null, null, false, "raw")),
                Arguments.of("vztmpl/x.tar.zst", vn(ContentType.VZTMPL, "x.tar.zst", null, null, null, false, "raw")),
                Arguments.of("backup/vzdump-qemu-100-2024_01_02-03_04_05.vma.zst",
                        vn(ContentType.BACKUP, "vzdump-qemu-100-2024_01_02-03_04_05.vma.zst", 100, null, null, false, "raw")),
                Arguments.of("backup/vzdump-lxc-101-2024_01_02-03_04_05.tar.gz",
                        vn(ContentType.BACKUP, "vzdump-lxc-101-2024_01_02-03_04_05.tar.gz", 101, null, null, false, "raw")),
                Arguments.of("backup/vzdump-openvz-102-2010_01_02-03_04_05.tgz",
                        vn(ContentType.BACKUP, "vzdump-openvz-102-2010_01_02-03_04_05.tgz", 102, null, null, false, "raw")),
                Arguments.of("backup/my-own-archive.vma", vn(ContentType.BACKUP, "my-own-archive.vma", null, null, null, false, "raw")),
                Arguments.of("snippets/hook.pl", vn(ContentType.SNIPPETS, "hook.pl", null, null, null, false, "raw")),
                Arguments.of("rootdir/105", vn(ContentType.ROOTDIR, "105", 105, null, null, false, null)),
                Arguments.of("import/appliance.ova", vn(ContentType.IMPORT, "appliance.ova", null, null, null, false, "ova")));
    }

    @ParameterizedTest
    @MethodSource("dirNames")
    void parsesDirVolumeNames(String volname, VolumeName expected) {
        assertThat(VolumeNames.parseDir(volname)).isEqualTo(expected);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"100/vm-100-disk-0.img", "100/vm 100.raw", "iso/x.txt", "vztmpl/x.tar",
            "backup/x.zip", "abc/vm-1-disk-0.raw", "100/", "iso/a/b.iso", "rootdir/x", "", "snippets/"})
    void rejectsBadDirNames(String volname) {
        assertThatThrownBy(() -> VolumeNames.parseDir(volname)).isInstanceOf(StorageException.class)
                .hasMessageStartingWith("unable to parse");
    }

    @Test
    void lvmNames() {
        assertThat(VolumeNames.parseLvm("vm-100-disk-0")).isEqualTo(vn(ContentType.IMAGES, "vm-100-disk-0", 100, null, null, false, "raw"));
        assertThat(VolumeNames.parseLvm("base-100-disk-0")).isEqualTo(vn(ContentType.IMAGES, "base-100-disk-0", 100, null, null, true, "raw"));
        assertThatThrownBy(() -> VolumeNames.parseLvm("vm-100-disk-0.raw/x")).hasMessage("lvm name 'vm-100-disk-0.raw/x' contains illegal characters");
        assertThatThrownBy(() -> VolumeNames.parseLvm("data")).hasMessage("unable to parse lvm volume name 'data'");
        assertThatThrownBy(() -> VolumeNames.parseLvm("-x")).hasMessageContaining("illegal characters");
    }

    @Test
    void zfsAndRbdNames() {
        assertThat(VolumeNames.parseZfs("vm-100-disk-0")).isEqualTo(vn(ContentType.IMAGES, "vm-100-disk-0", 100, null, null, false, "raw"));
        assertThat(VolumeNames.parseZfs("subvol-100-disk-0")).isEqualTo(vn(ContentType.IMAGES, "subvol-100-disk-0", 100, null, null, false, "subvol"));
        assertThat(VolumeNames.parseZfs("base-100-disk-0")).isEqualTo(vn(ContentType.IMAGES, "base-100-disk-0", 100, null, null, true, "raw"));
        assertThat(VolumeNames.parseZfs("basevol-100-disk-0")).isEqualTo(vn(ContentType.IMAGES, "basevol-100-disk-0", 100, null, null, true, "subvol"));
        assertThat(VolumeNames.parseZfs("base-100-disk-0/vm-101-disk-0"))
                .isEqualTo(vn(ContentType.IMAGES, "vm-101-disk-0", 101, "base-100-disk-0", 100, false, "raw"));
        assertThat(VolumeNames.parseRbd("base-100-disk-0/vm-101-disk-0"))
                .isEqualTo(vn(ContentType.IMAGES, "vm-101-disk-0", 101, "base-100-disk-0", 100, false, "raw"));
        assertThat(VolumeNames.parseRbd("vm-7-disk-3")).isEqualTo(vn(ContentType.IMAGES, "vm-7-disk-3", 7, null, null, false, "raw"));
        assertThatThrownBy(() -> VolumeNames.parseZfs("tank")).hasMessage("unable to parse zfs volume name 'tank'");
        assertThatThrownBy(() -> VolumeNames.parseRbd("foo")).hasMessage("unable to parse rbd volume name 'foo'");
    }

    @Test
    void btrfsAndIscsiNames() {
        assertThat(VolumeNames.parseBtrfs("100/vm-100-disk-0.raw")).isEqualTo(vn(ContentType.IMAGES, "vm-100-disk-0.raw", 100, null, null, false, "raw"));
        assertThat(VolumeNames.parseBtrfs("100/base-100-disk-1.raw")).isEqualTo(vn(ContentType.IMAGES, "base-100-disk-1.raw", 100, null, null, true, "raw"));
        assertThat(VolumeNames.parseBtrfs("100/subvol-100-disk-0.subvol").format()).isEqualTo("subvol");
        assertThat(VolumeNames.parseBtrfs("iso/x.iso").vtype()).isEqualTo(ContentType.ISO);
        assertThat(VolumeNames.parseIscsi("0.0.2.scsi-14f504e46494c4500494b5042546d2d646744372d31616d61").name())
                .isEqualTo("scsi-14f504e46494c4500494b5042546d2d646744372d31616d61");
        assertThat(VolumeNames.parseIscsi("0.0.2.scsi-1").vmid()).isNull();
        assertThat(VolumeNames.parseIscsiDirect("lun3").name()).isEqualTo("lun3");
        assertThatThrownBy(() -> VolumeNames.parseIscsi("lun3")).hasMessageStartingWith("unable to parse iscsi volume name");
    }

    @Test
    void volumeIds() {
        assertThat(VolumeId.parse("local:100/vm-100-disk-0.qcow2")).isEqualTo(new VolumeId("local", "100/vm-100-disk-0.qcow2"));
        assertThat(VolumeId.parse("local-lvm:vm-100-disk-0")).isEqualTo(new VolumeId("local-lvm", "vm-100-disk-0"));
        assertThat(VolumeId.parse("iscsi-storage:0.0.2.scsi-14f5").volname()).isEqualTo("0.0.2.scsi-14f5");
        assertThat(VolumeId.parse("a.b:x:y").volname()).isEqualTo("x:y");
        for (String bad : new String[] {"/dev/sda", "local", "local:", ":x", "1local:x", "lo cal:x", "local-:x", "x:a\nb"}) {
            assertThatThrownBy(() -> VolumeId.parse(bad)).as(bad).hasMessage("unable to parse volume ID '" + bad + "'");
        }
        assertThat(VolumeId.isVolumeId("local:iso/x.iso")).isTrue();
        assertThat(VolumeId.isVolumeId("/var/lib/vz/x.iso")).isFalse();
    }

    @Test
    void fileLayout() {
        Path base = Path.of("/var/lib/vz");
        assertThat(FileLayout.path(base, VolumeNames.parseDir("100/vm-100-disk-0.qcow2"), Map.of()))
                .isEqualTo(Path.of("/var/lib/vz/images/100/vm-100-disk-0.qcow2"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2"), Map.of()))
                .isEqualTo(Path.of("/var/lib/vz/images/101/vm-101-disk-0.qcow2"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("iso/x.iso"), Map.of())).isEqualTo(Path.of("/var/lib/vz/template/iso/x.iso"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("vztmpl/x.tar.zst"), Map.of())).isEqualTo(Path.of("/var/lib/vz/template/cache/x.tar.zst"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("backup/vzdump-qemu-1-2024_01_01-00_00_00.vma"), Map.of()))
                .isEqualTo(Path.of("/var/lib/vz/dump/vzdump-qemu-1-2024_01_01-00_00_00.vma"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("snippets/a.yaml"), Map.of())).isEqualTo(Path.of("/var/lib/vz/snippets/a.yaml"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("rootdir/105"), Map.of())).isEqualTo(Path.of("/var/lib/vz/private/105"));
        assertThat(FileLayout.path(base, VolumeNames.parseDir("iso/x.iso"), Map.of(ContentType.ISO, "isos")))
                .isEqualTo(Path.of("/var/lib/vz/isos/x.iso"));
    }

    @Test
    void ownershipChecks() {
        VolumeNames.checkOwnedName("vm-100-disk-1.raw", 100);
        VolumeNames.checkOwnedName("base-100-disk-1", 100);
        assertThatThrownBy(() -> VolumeNames.checkOwnedName("vm-101-disk-1", 100)).hasMessage("illegal name 'vm-101-disk-1' - should be 'vm-100-*'");
        assertThatThrownBy(() -> VolumeNames.checkOwnedName("disk.raw", 100)).hasMessage("illegal name 'disk.raw' - should be 'vm-100-*'");
        assertThat(VolumeNames.diskName(100, 2, "qcow2", true)).isEqualTo("vm-100-disk-2.qcow2");
        assertThat(VolumeNames.diskName(100, 0, "subvol", false)).isEqualTo("subvol-100-disk-0");
    }

    @Test
    void backupFileNames() {
        var info = VolumeNames.parseBackupName("vzdump-qemu-100-2024_02_29-23_59_58.vma.zst");
        assertThat(info.vmtype()).isEqualTo("qemu");
        assertThat(info.vmid()).isEqualTo(100);
        assertThat(info.time()).isEqualTo(java.time.LocalDateTime.of(2024, 2, 29, 23, 59, 58));
        assertThat(info.compression()).isEqualTo("zst");
        assertThat(VolumeNames.parseBackupName("vzdump-lxc-5-2023_02_30-00_00_00.tar")).isNull();
        assertThat(VolumeNames.parseBackupName("other.vma")).isNull();
    }

    /** Any well-formed dir image name is parsed back to its parts. */
    @Test
    void seededDirNameProperty() {
        Random r = new Random(7);
        String[] fmts = {"raw", "qcow2", "vmdk", "subvol"};
        for (int i = 0; i < 2000; i++) {
            int vmid = 100 + r.nextInt(999_999_900);
            String fmt = fmts[r.nextInt(fmts.length)];
            boolean base = r.nextBoolean();
            String name = (base ? "base-" : "vm-") + vmid + "-disk-" + r.nextInt(50) + "." + fmt;
            VolumeName v = VolumeNames.parseDir(vmid + "/" + name);
            assertThat(v.vmid()).isEqualTo(vmid);
            assertThat(v.format()).isEqualTo(fmt);
            assertThat(v.isBase()).isEqualTo(base);
            assertThat(v.name()).isEqualTo(name);
            int clone = vmid + 1;
            VolumeName c = VolumeNames.parseDir(vmid + "/" + name + "/" + clone + "/vm-" + clone + "-disk-0.qcow2");
            assertThat(c.baseVmid()).isEqualTo(vmid);
            assertThat(c.baseName()).isEqualTo(name);
            assertThat(c.vmid()).isEqualTo(clone);
        }
    }

    /** Random input never escapes as anything but a StorageException, for every grammar. */
    @Test
    void seededGarbageIsRejectedCleanly() {
        Random r = new Random(31337);
        String alphabet = "abvmbase-0123456789/._:@ isoqcow2rawvmdksubvol\n";
        java.util.List<java.util.function.Function<String, Object>> parsers = java.util.List.of(VolumeNames::parseDir, VolumeNames::parseLvm,
                VolumeNames::parseZfs, VolumeNames::parseRbd, VolumeNames::parseBtrfs, VolumeNames::parseIscsi, VolumeNames::parseIscsiDirect,
                VolumeId::parse);
        int parsed = 0;
        for (int i = 0; i < 20000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(40);
            for (int j = 0; j < len; j++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            for (var p : parsers) {
                try {
                    Object v = p.apply(sb.toString());
                    assertThat(v).isNotNull();
                    parsed++;
                } catch (StorageException expected) {
                    assertThat(expected.getMessage()).isNotBlank();
                }
            }
        }
        assertThat(parsed).isPositive();
        // owners beyond the VMID range
        for (String big : java.util.List.of("99999999999/vm-99999999999-disk-0.raw", "vm-99999999999-disk-0", "base-1-disk-0/vm-99999999999-x",
                "99999999999/subvol-99999999999-disk-0.subvol", "rootdir/99999999999", "backup/vzdump-qemu-99999999999-2024_01_01-00_00_00.vma")) {
            for (var p : parsers) {
                try {
                    p.apply(big);
                } catch (StorageException expected) {
                    // fine
                }
            }
        }
    }
}
