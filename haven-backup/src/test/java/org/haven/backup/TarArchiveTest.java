package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.haven.guest.GuestType;
import org.haven.guest.config.GuestConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The pure parts of file-tree archives: names, the archived config, the exclude list and the tar command lines. */
class TarArchiveTest {

    @ParameterizedTest
    @CsvSource({
            "lxc,  100, TAR, ZSTD, vzdump-lxc-100-2026_05_28-20_26_40.tar.zst",
            "lxc,  100, TAR, GZIP, vzdump-lxc-100-2026_05_28-20_26_40.tar.gz",
            "lxc,  100, TAR, LZO,  vzdump-lxc-100-2026_05_28-20_26_40.tar.lzo",
            "lxc,  999, TAR, NONE, vzdump-lxc-999-2026_05_28-20_26_40.tar",
            "qemu, 101, VMA, ZSTD, vzdump-qemu-101-2026_05_28-20_26_40.vma.zst",
            "qemu, 101, VMA, NONE, vzdump-qemu-101-2026_05_28-20_26_40.vma",
    })
    void archiveNames(String type, int vmid, GuestType.ArchiveKind kind, Compression c, String name) {
        assertThat(Vzdump.archiveName(type, vmid, LocalDateTime.of(2026, 5, 28, 20, 26, 40), kind, c)).isEqualTo(name);
        assertThat(Restore.kindOf(name)).isEqualTo(kind);
    }

    @ParameterizedTest
    @CsvSource({"vzdump-lxc-100-x.tgz, TAR", "vzdump-openvz-100-x.tar.gz, TAR", "notes.txt,", "vzdump-lxc-100-x.tar.bz3,"})
    void archiveKinds(String name, GuestType.ArchiveKind kind) {
        assertThat(Restore.kindOf(name)).isEqualTo(kind);
    }

    @Test
    void theArchivedConfigHasNoSnapshotsPendingValuesOrLock() {
        GuestConfig cfg = GuestConfig.parse("""
                #my container
                arch: amd64
                hostname: ct1
                lock: backup
                parent: s1
                rootfs: local:100/vm-100-disk-0.raw,size=1G

                [PENDING]
                memory: 1024

                [s1]
                arch: amd64
                rootfs: local:100/vm-100-disk-0.raw,size=1G
                snaptime: 1700000000
                """);
        assertThat(Vzdump.archiveConfig(cfg, Map.of())).isEqualTo("""
                #my container
                arch: amd64
                hostname: ct1
                rootfs: local:100/vm-100-disk-0.raw,size=1G
                """);
    }

    @Test
    void excludeList() {
        assertThat(TarArchive.excludes(List.of("/srv/cache", "*.log"), true))
                .containsExactly("/srv/cache", "*.log", "/tmp/?*", "/var/tmp/?*", "/var/run/?*.pid");
        assertThat(TarArchive.excludes(List.of("/srv/cache"), false)).containsExactly("/srv/cache");
        assertThat(VzdumpOptions.of(Map.of("vmid", "100", "exclude-path", "/a  b*", "stdexcludes", "0"), Map.of()))
                .extracting(VzdumpOptions::excludePath, VzdumpOptions::stdexcludes).containsExactly(List.of("/a", "b*"), false);
    }

    @Test
    void tarCommandLines() {
        assertThat(TarArchive.createCommand(Path.of("/dump/tmp"), true, Path.of("/run/ct"), List.of("/tmp/?*", "*.log", "/scratch"), List.of("./", "./data")))
                .containsExactly("tar", "cpf", "-", "--totals", "--blocking-factor=2048", "--numeric-owner", "--acls", "--xattrs",
                        "--xattrs-include=user.*", "--xattrs-include=security.capability", "--warning=no-file-ignored", "--warning=no-xattr-write",
                        "--sparse", "--one-file-system", "--directory=/dump/tmp", "./etc/vzdump/pct.conf", "./etc/vzdump/pct.fw",
                        "--directory=/run/ct", "--anchored", "--exclude=./tmp/?*", "--exclude=./scratch", "--no-anchored", "--exclude=*.log",
                        "./", "./data");
        assertThat(TarArchive.createCommand(Path.of("/t"), false, Path.of("/r"), List.of(), List.of("./")))
                .doesNotContain("./etc/vzdump/pct.fw", "--no-anchored").endsWith("--directory=/r", "--anchored", "./");
        assertThat(TarArchive.extractCommand(Path.of("/new/root"))).startsWith("tar", "xpf", "-", "--totals", "--blocking-factor=2048")
                .endsWith("--sparse", "-C", "/new/root", "--skip-old-files", "--anchored", "--exclude=./dev/*");
    }
}
