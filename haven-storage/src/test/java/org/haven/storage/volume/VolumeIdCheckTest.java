package org.haven.storage.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Stream;
import org.haven.api.ApiException;
import org.haven.core.schema.ParamException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** PVE's check_volume_access and the '..' and absolute-path rules, as a table over callers, privileges and volumes. */
class VolumeIdCheckTest {

    static final String ALLOCATE = "/storage/local:Datastore.Allocate";
    static final String AUDIT = "/storage/local:Datastore.Audit";
    static final String SPACE = "/storage/local:Datastore.AllocateSpace";

    /** Privileges as "path:priv" strings. */
    static VolumeIdCheck.Privileges privs(Set<String> granted) {
        return (path, any, wanted) -> any ? Arrays.stream(wanted).anyMatch(w -> granted.contains(path + ":" + w))
                : Arrays.stream(wanted).allMatch(w -> granted.contains(path + ":" + w));
    }

    static VolumeName parse(String volid) { return VolumeNames.parseDir(VolumeId.parse(volid).volname()); }

    static Stream<Arguments> access() {
        String disk = "local:100/vm-100-disk-0.raw";
        String backup = "local:backup/vzdump-qemu-100-2024_01_02-03_04_05.vma.zst";
        return Stream.of(
                // root passes everything but '..'
                Arguments.of("root@pam", Set.of(), 200, "/etc/passwd", "ok"),
                Arguments.of("root@pam", Set.of(), null, "local:snippets/x.yaml", "ok"),
                Arguments.of("root@pam", Set.of(), null, "/var/lib/vz/canary/../../../../etc/passwd", "400"),
                Arguments.of("root@pam", Set.of(), null, "local:snippets/../../../../etc/passwd", "400"),
                Arguments.of("root@pam!token", Set.of(ALLOCATE), null, "/etc/passwd", "403 Only root can pass arbitrary filesystem paths."),
                // absolute paths: root's only, whatever else the caller may do
                Arguments.of("admin@pve", Set.of(ALLOCATE, AUDIT, SPACE), null, "/etc/hostname", "403 Only root can pass arbitrary filesystem paths."),
                Arguments.of("admin@pve", Set.of(ALLOCATE), null, "/x/../etc/hostname", "400"),
                // ISO images, templates, import sources: read access to the storage
                Arguments.of("user@pve", Set.of(AUDIT), null, "local:iso/debian.iso", "ok"),
                Arguments.of("user@pve", Set.of(SPACE), null, "local:vztmpl/debian.tar.zst", "ok"),
                Arguments.of("user@pve", Set.of(SPACE), null, "local:import/disk.qcow2", "ok"),
                Arguments.of("user@pve", Set.of(), null, "local:iso/debian.iso", "403 Permission check failed (/storage/local, Datastore.AllocateSpace|Datastore.Audit)"),
                // the guest's own image
                Arguments.of("user@pve", Set.of(), 100, disk, "ok"),
                // another guest's image: Datastore.Audit plus VM.Config.Disk on the owner
                Arguments.of("user@pve", Set.of(), 101, disk, "403 Permission check failed (/storage/local, Datastore.Audit)"),
                Arguments.of("auditor@pve", Set.of(AUDIT, "/vms/100:VM.Audit"), null, disk, "403 Permission check failed (/vms/100, VM.Config.Disk)"),
                Arguments.of("user@pve", Set.of(AUDIT, "/vms/100:VM.Config.Disk"), 101, disk, "ok"),
                Arguments.of("user@pve", Set.of(ALLOCATE), null, disk, "403 Permission check failed (/storage/local, Datastore.Audit)"),
                // backups: Datastore.AllocateSpace plus VM.Backup on the owner
                Arguments.of("user@pve", Set.of(SPACE, "/vms/100:VM.Backup"), null, backup, "ok"),
                Arguments.of("user@pve", Set.of(SPACE), null, backup, "403 Permission check failed (/vms/100, VM.Backup)"),
                // snippets and unowned content: Datastore.Allocate
                Arguments.of("user@pve", Set.of(AUDIT, SPACE), null, "local:snippets/hook.pl", "403 Permission check failed (/storage/local, Datastore.Allocate)"),
                Arguments.of("user@pve", Set.of(ALLOCATE), null, "local:snippets/hook.pl", "ok"));
    }

    @ParameterizedTest
    @MethodSource
    void access(String authid, Set<String> granted, Integer vmid, String volid, String expected) {
        Runnable check = () -> VolumeIdCheck.checkAccess("scsi1", authid, privs(granted), VolumeIdCheckTest::parse, vmid, volid);
        assertOutcome(check, expected);
        assertThat(VolumeIdCheck.mayAccess(authid, privs(granted), VolumeIdCheckTest::parse, vmid, volid)).isEqualTo(expected.equals("ok"));
    }

    static Stream<Arguments> importSources() {
        return Stream.of(
                Arguments.of("root@pam", Set.of(), "/srv/images/disk.qcow2", "ok"),
                Arguments.of("admin@pve", Set.of(ALLOCATE, AUDIT, SPACE), "/etc/passwd", "403 Only root can pass arbitrary filesystem paths."),
                Arguments.of("root@pam", Set.of(), "/srv/canary/../../../../etc/passwd", "400"),
                // another guest's image is cloned: VM.Clone on it
                Arguments.of("user@pve", Set.of(), "local:100/vm-100-disk-0.raw", "403 Permission check failed (/vms/100, VM.Clone)"),
                Arguments.of("user@pve", Set.of("/vms/100:VM.Clone"), "local:100/vm-100-disk-0.raw", "ok"),
                Arguments.of("user@pve", Set.of(AUDIT), "local:import/disk.vmdk", "ok"),
                Arguments.of("root@pam", Set.of(), "local:iso/debian.iso", "400"));
    }

    @ParameterizedTest
    @MethodSource
    void importSources(String authid, Set<String> granted, String source, String expected) {
        assertOutcome(() -> VolumeIdCheck.checkImportSource("source", authid, privs(granted), VolumeIdCheckTest::parse, 101, source), expected);
    }

    static void assertOutcome(Runnable check, String expected) {
        if (expected.equals("ok")) {
            assertThatCode(check::run).doesNotThrowAnyException();
        } else if (expected.equals("400")) {
            assertThatThrownBy(check::run).isInstanceOf(ParamException.class);
        } else {
            assertThatThrownBy(check::run).isInstanceOf(ApiException.class)
                    .hasMessage(expected.substring(4))
                    .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(403));
        }
    }
}
