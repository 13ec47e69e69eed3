package org.haven.lxc.template;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.haven.guest.config.GuestException;
import org.haven.storage.spi.CommandRunner;

/**
 * Container templates ({@code vztmpl}): unpacking a template archive into a root file system, detecting its
 * distribution, and building the small busybox template the tests use.
 */
public final class Templates {
    private Templates() {}

    /** The ostypes of PVE's schema that a rootfs can be detected as. */
    private static final Set<String> OSTYPES = Set.of("debian", "devuan", "ubuntu", "centos", "fedora", "opensuse",
            "archlinux", "alpine", "gentoo", "nixos");

    /** {@code tar} arguments for an archive's compression, from its name. */
    static List<String> decompression(String name) {
        if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) return List.of("-z");
        if (name.endsWith(".tar.zst")) return List.of("--zstd");
        if (name.endsWith(".tar.xz")) return List.of("-J");
        if (name.endsWith(".tar")) return List.of();
        throw new GuestException(500, "unsupported template archive '" + name + "' (tar, tar.gz, tar.zst or tar.xz)");
    }

    /**
     * Unpack {@code archive} into {@code rootfs}, keeping owners and modes, without the archive's device nodes. The
     * archive is read here and fed to {@code tar} (as PVE does), which runs behind {@code userns} (an
     * {@code lxc-usernsexec} prefix for an unprivileged container, so the files get the container's mapped ids).
     */
    public static void unpack(CommandRunner run, Path archive, Path rootfs, List<String> userns) {
        if (!Files.isRegularFile(archive)) throw new GuestException(500, "template '" + archive + "' does not exist");
        List<String> cmd = new ArrayList<>(userns);
        cmd.addAll(List.of("tar", "xpf", "-"));
        cmd.addAll(decompression(archive.getFileName().toString()));
        cmd.addAll(List.of("--totals", "--sparse", "--numeric-owner", "--acls", "--xattrs", "--xattrs-include=user.*",
                "--xattrs-include=security.capability", "--warning=no-file-ignored", "--warning=no-xattr-write",
                "-C", rootfs.toString(), "--skip-old-files", "--anchored", "--exclude", "./dev/*"));
        CommandRunner.Result r;
        try (var in = Files.newInputStream(archive)) {
            r = run.stream(cmd, java.util.Map.of(), in, null);
        } catch (IOException e) {
            throw new GuestException(500, "unable to read template '" + archive.getFileName() + "': " + e.getMessage());
        }
        if (!r.ok()) throw new GuestException(500, "unable to unpack template '" + archive.getFileName() + "': " + r.stderr().strip());
    }

    /**
     * The distribution of an unpacked rootfs as PVE's setup detects it ({@code /etc/debian_version},
     * {@code /etc/alpine-release}, {@code ID} of {@code /etc/os-release}); {@code unmanaged} when none matches.
     */
    public static String detectOstype(Path rootfs) {
        Path etc = rootfs.resolve("etc");
        try {
            Path osRelease = etc.resolve("os-release");
            if (Files.isRegularFile(osRelease, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                for (String line : Files.readAllLines(osRelease)) {
                    if (!line.startsWith("ID=")) continue;
                    String id = line.substring(3).replace("\"", "").strip();
                    if (id.equals("opensuse-leap") || id.equals("opensuse-tumbleweed")) id = "opensuse";
                    if (id.equals("arch")) id = "archlinux";
                    if (OSTYPES.contains(id)) return id;
                }
            }
        } catch (IOException e) {
            // unreadable: fall through to the marker files
        }
        if (Files.exists(etc.resolve("alpine-release"))) return "alpine";
        if (Files.exists(etc.resolve("debian_version"))) return "debian";
        return "unmanaged";
    }
}
