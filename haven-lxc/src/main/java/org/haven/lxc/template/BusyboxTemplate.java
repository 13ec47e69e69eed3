package org.haven.lxc.template;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.haven.guest.config.GuestException;
import org.haven.storage.spi.CommandRunner;

/**
 * A minimal container template from Debian's {@code busybox-static}: {@code /bin/busybox} with its applets as
 * links, an inittab that mounts {@code /proc}, {@code /sys} and the cgroup file systems and keeps a shell on the
 * console, packed as PVE names templates ({@code busybox-<version>_amd64.tar.gz}). It has no distribution files,
 * so it is detected as {@code unmanaged}.
 */
public final class BusyboxTemplate {
    private BusyboxTemplate() {}

    public static final Path BUSYBOX = Path.of("/bin/busybox");

    private static final String INITTAB = """
            ::sysinit:/etc/init.d/rcS
            ::respawn:-/bin/sh
            tty1::respawn:/bin/getty 38400 tty1
            ::ctrlaltdel:/bin/umount -a -r
            ::shutdown:/bin/umount -a -r
            """;

    private static final String RCS = """
            #!/bin/sh
            mount -t proc proc /proc 2>/dev/null
            mount -t sysfs sysfs /sys 2>/dev/null
            mkdir -p /run /tmp
            """;

    /** Build the template into directory {@code out}; returns the archive. */
    public static Path build(CommandRunner run, Path out) throws IOException {
        if (!Files.isExecutable(BUSYBOX)) throw new GuestException(500, "busybox-static is not installed (" + BUSYBOX + ")");
        Files.createDirectories(out);
        Path root = Files.createTempDirectory(out, ".busybox-");
        try {
            for (String d : List.of("bin", "sbin", "etc/init.d", "proc", "sys", "dev", "tmp", "root", "run", "usr/bin", "usr/sbin", "var/log"))
                Files.createDirectories(root.resolve(d));
            Files.copy(BUSYBOX, root.resolve("bin/busybox"));
            for (String applet : applets(run)) {
                if (applet.equals("busybox")) continue;
                Path link = root.resolve("bin").resolve(applet);
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, Path.of("busybox"));
            }
            Files.createSymbolicLink(root.resolve("sbin/init"), Path.of("../bin/busybox"));
            Files.writeString(root.resolve("etc/inittab"), INITTAB);
            Path rcs = root.resolve("etc/init.d/rcS");
            Files.writeString(rcs, RCS);
            rcs.toFile().setExecutable(true, false);
            Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
            Path archive = out.resolve("busybox-" + version(run) + "_amd64.tar.gz");
            CommandRunner.Result r = run.run(List.of("tar", "czf", archive.toString(), "--numeric-owner", "--owner=0", "--group=0", "-C", root.toString(), "."));
            if (!r.ok()) throw new GuestException(500, "unable to pack the template: " + r.stderr().strip());
            return archive;
        } finally {
            run.run(List.of("rm", "-rf", "--one-file-system", root.toString()));
        }
    }

    private static List<String> applets(CommandRunner run) {
        CommandRunner.Result r = run.run(List.of(BUSYBOX.toString(), "--list"));
        if (!r.ok()) throw new GuestException(500, "busybox --list failed: " + r.stderr().strip());
        return r.stdout().lines().map(String::strip).filter(s -> s.matches("[\\w.\\-\\[]+")).toList();
    }

    /** busybox's version ({@code 1.35.0}). */
    static String version(CommandRunner run) {
        String first = run.run(List.of(BUSYBOX.toString())).stdout().lines().findFirst().orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("BusyBox v(\\d+(?:\\.\\d+)+)").matcher(first);
        return m.find() ? m.group(1) : "0";
    }
}
