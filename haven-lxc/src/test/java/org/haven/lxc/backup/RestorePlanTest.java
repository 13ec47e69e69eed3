package org.haven.lxc.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.haven.guest.GuestType;
import org.haven.guest.config.GuestConfig;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.MountPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure parts of container backup and restore: which mount points a backup includes, the rsync passes, the restore plan. */
class RestorePlanTest {

    static final GuestConfig ARCHIVED = GuestConfig.parse("""
            #web
            arch: amd64
            hostname: web
            lock: backup
            memory: 512
            mp0: local:100/vm-100-disk-1.raw,mp=/data,backup=1,size=512M
            mp1: /srv/shared,mp=/shared
            net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth
            ostype: debian
            parent: snap1
            rootfs: bt:100/subvol-100-disk-0.subvol,size=8G
            template: 1
            unused0: local:100/vm-100-disk-9.raw
            lxc.cgroup2.devices.allow: c 10:200 rwm
            """);

    @Test
    void simpleModeMakesEveryArchivedVolumeAgainOnTheStorage() {
        RestorePlan p = RestorePlan.of(ARCHIVED, Map.of("memory", "1024"), "other");
        assertThat(p.mounts()).containsExactly(Map.entry("rootfs", "other:8"), Map.entry("mp0", "other:0.5,mp=/data,backup=1"),
                Map.entry("mp1", "/srv/shared,mp=/shared"));
        assertThat(p.config().current().values()).containsExactly(Map.entry("arch", "amd64"), Map.entry("hostname", "web"),
                Map.entry("memory", "1024"), Map.entry("net0", "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth"),
                Map.entry("ostype", "debian"));
        assertThat(p.config().current().description()).isEqualTo("web");
        assertThat(p.config().current().rawLxc()).containsExactly(Map.entry("lxc.cgroup2.devices.allow", "c 10:200 rwm"));
        assertThat(p.config().snapshots()).isEmpty();
    }

    @Test
    void advancedModeTakesOnlyTheGivenMountPoints() {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("rootfs", "local:2");
        given.put("mp3", "bt:1,mp=/srv");
        given.put("hostname", "copy");
        given.put("description", "restored");
        RestorePlan p = RestorePlan.of(ARCHIVED, given, "ignored");
        assertThat(p.mounts()).containsExactly(Map.entry("rootfs", "local:2"), Map.entry("mp3", "bt:1,mp=/srv"));
        assertThat(p.config().get("hostname")).contains("copy");
        assertThat(p.config().current().values()).doesNotContainKeys("rootfs", "mp0", "mp1", "mp3");
        assertThat(p.config().current().description()).isEqualTo("restored");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rootfs: local:100/vm-100-disk-0.raw                 | unable to detect disk size - please specify rootfs (size)",
            "rootfs: /srv/ct,size=1G                              | restoring rootfs to bind mount is only possible by specifying -rootfs manually!",
            "rootfs: /dev/sdb1                                    | restoring rootfs to device mount is only possible by specifying -rootfs manually!",
    })
    void archivedMountPointsThatCannotBeMadeAgain(String rootfs, String message) {
        assertThatThrownBy(() -> RestorePlan.of(GuestConfig.parse(rootfs + "\n"), Map.of(), "local")).hasMessage(message);
    }

    @Test
    void aMountPointWithoutTheRootFileSystemIsRefused() {
        assertThatThrownBy(() -> RestorePlan.of(ARCHIVED, Map.of("mp0", "local:1,mp=/x"), "local"))
                .hasMessage("mount point 'mp0' given without 'rootfs': give the root file system too to restore to other mount points");
    }

    @ParameterizedTest
    @CsvSource({"8589934592, 8", "536870912, 0.5", "213909504, 0.19921875", "102400, 0.000095367431640625", "0, 0"})
    void sizesAsGiB(long bytes, String gib) {
        assertThat(RestorePlan.gib(bytes)).isEqualTo(gib);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rootfs | local:100/vm-100-disk-0.raw,size=1G   | true  | rootfs",
            "mp0    | local:100/vm-100-disk-1.raw,mp=/a,backup=1 | true  | enabled",
            "mp0    | local:100/vm-100-disk-1.raw,mp=/a     | false | disabled",
            "mp0    | /srv/x,mp=/a,backup=1                 | false | not a volume",
            "mp0    | /dev/sdb1,mp=/a                       | false | not a volume",
    })
    void whatABackupIncludes(String key, String value, boolean included, String reason) {
        GuestType.BackupVolume v = CtBackup.backupVolume(MountPoint.parse(key, value));
        assertThat(v.included()).isEqualTo(included);
        assertThat(v.reason()).isEqualTo(reason);
        assertThat(v.name()).isEqualTo(value.split(",")[0]);
    }

    @Test
    void archiveSourcesExcludesAndRsyncPasses() {
        GuestConfig cfg = GuestConfig.parse("""
                rootfs: bt:100/subvol-100-disk-0.subvol,size=1G
                mp0: bt:100/subvol-100-disk-1.subvol,mp=/srv/data,backup=1
                mp1: bt:100/subvol-100-disk-2.subvol,mp=/scratch
                mp2: /host,mp=/host
                """);
        List<MountPoint> included = CtBackup.included(cfg);
        assertThat(included).extracting(MountPoint::key).containsExactly("rootfs", "mp0");
        assertThat(CtBackup.sources(included)).containsExactly("./", "./srv/data");
        assertThat(CtBackup.excluded(cfg)).containsExactly("/host", "/scratch");
        assertThat(CtBackup.rsync(4242, included, List.of("/scratch"), Path.of("/dump/vzdumptmp1_100/copy"), true)).containsExactly(
                "rsync", "--stats", "-h", "-X", "-A", "--numeric-ids", "-aH", "--delete", "--no-whole-file", "--sparse", "--one-file-system",
                "--relative", "--exclude=/scratch", "/proc/4242/root/./", "/proc/4242/root/./srv/data", "/dump/vzdumptmp1_100/copy/");
        assertThat(CtBackup.rsync(4242, included, List.of(), Path.of("/c"), false)).contains("--inplace").doesNotContain("--sparse");
        assertThat(CtConfig.of(cfg.current()).mountsInOrder()).hasSize(4);
    }
}
