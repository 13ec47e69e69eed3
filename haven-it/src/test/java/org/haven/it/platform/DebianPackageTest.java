package org.haven.it.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.it.HavenNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package as a user gets it: {@code ./build-deb} packages the build, and the package is installed with
 * {@code dpkg -i} into a throw-away root (an overlay over this machine's root, so its installed packages satisfy
 * the dependencies and nothing reaches the real one). There the package's own Java runtime runs the CLI and a
 * system-mode daemon that answers {@code pvesh}; the unit, the manual pages, the completion and the logrotate
 * rule are in place; {@code dpkg --purge} removes everything again.
 */
@RealTest
class DebianPackageTest {
    @TempDir Path tmp;

    record Run(int exit, String out) {}

    static Run run(Path dir, String... cmd) throws Exception {
        return run(dir, Map.of(), cmd);
    }

    static Run run(Path dir, Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES)) p.destroyForcibly();
        return new Run(p.exitValue(), out);
    }

    static Run ok(Path dir, String... cmd) throws Exception {
        return ok(dir, Map.of(), cmd);
    }

    static Run ok(Path dir, Map<String, String> env, String... cmd) throws Exception {
        Run r = run(dir, env, cmd);
        assertThat(r.exit()).as(String.join(" ", cmd) + "\n" + r.out()).isZero();
        return r;
    }

    @Test
    void buildInstallRunPurge() throws Exception {
        Tools.requireRoot("installs the package into an overlay root with dpkg and chroot");
        Tools.require("dpkg", "dpkg-deb");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        assertThat(repo.resolve("build-deb")).as("the checkout's build-deb").exists();
        Path out = tmp.resolve("out");
        // gzip instead of the release's xz: the same package, built in a fraction of the time
        Run built = ok(repo, Map.of("HAVEN_DEB_COMPRESS", "gzip"), "./build-deb", "--no-build", "--out", out.toString());
        Path deb = Path.of(built.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(deb.getFileName().toString()).matches("haven_[0-9][^_]*_amd64\\.deb");
        assertThat(ok(tmp, "dpkg-deb", "-f", deb.toString(), "Package", "Architecture").out()).contains("Package: haven").contains("Architecture: amd64");

        Path layers = tmp.resolve("layers"), root = tmp.resolve("root");
        Files.createDirectories(layers);
        Files.createDirectories(root);
        List<Path> mounts = new ArrayList<>();
        Process daemon = null;
        try {
            // upper and work directories on their own tmpfs: an overlay refuses layers inside its lower directory
            ok(tmp, "mount", "-t", "tmpfs", "-o", "size=2g", "haven-pkg", layers.toString());
            mounts.add(layers);
            Files.createDirectories(layers.resolve("upper"));
            Files.createDirectories(layers.resolve("work"));
            ok(tmp, "mount", "-t", "overlay", "overlay", "-o", "lowerdir=/,upperdir=" + layers.resolve("upper") + ",workdir=" + layers.resolve("work"), root.toString());
            mounts.add(root);
            ok(tmp, "mount", "-t", "proc", "proc", root.resolve("proc").toString());
            mounts.add(root.resolve("proc"));
            // only the harmless device nodes: the daemon must not see this machine's disks or a watchdog
            ok(tmp, "mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "haven-pkg-dev", root.resolve("dev").toString());
            mounts.add(root.resolve("dev"));
            for (String d : List.of("null", "zero", "random", "urandom")) {
                Files.createFile(root.resolve("dev").resolve(d));
                ok(tmp, "mount", "--bind", "/dev/" + d, root.resolve("dev").resolve(d).toString());
                mounts.add(root.resolve("dev").resolve(d));
            }
            for (String d : List.of("run", "tmp")) ok(tmp, "mount", "-t", "tmpfs", "haven-pkg-" + d, root.resolve(d).toString());
            mounts.add(root.resolve("run"));
            mounts.add(root.resolve("tmp"));
            assertThat(root.resolve("usr/share/haven")).as("no Haven installed on this machine's root").doesNotExist();

            Files.copy(deb, root.resolve("tmp/haven.deb"));
            ok(tmp, "chroot", root.toString(), "dpkg", "-i", "/tmp/haven.deb");
            assertThat(ok(tmp, "chroot", root.toString(), "dpkg-query", "-W", "-f", "${Status} ${Version}", "haven").out()).startsWith("install ok installed");
            for (String f : List.of("usr/bin/qm", "usr/bin/pct", "usr/bin/pvesh", "usr/bin/havend", "lib/systemd/system/havend.service",
                    "etc/logrotate.d/haven", "usr/share/man/man1/qm.1.gz", "usr/share/man/man1/pct.1.gz", "usr/share/man/man1/pvesh.1.gz",
                    "usr/share/bash-completion/completions/qm", "usr/lib/haven/jre/bin/java", "var/lib/haven"))
                assertThat(root.resolve(f)).as(f).exists();
            assertThat(Files.readString(root.resolve("lib/systemd/system/havend.service"))).contains("ExecStart=/usr/bin/havend --foreground");
            // the manual page of qm documents qm start with its options from the method schema
            String man = ok(tmp, "sh", "-c", "zcat " + root.resolve("usr/share/man/man1/qm.1.gz")).out();
            assertThat(man).startsWith(".TH QM 1").contains(".SS qm start <vmid> [OPTIONS]").contains("\\-\\-skiplock");

            // the package's own runtime runs the CLI and a system-mode daemon
            Run help = ok(tmp, "chroot", root.toString(), "/usr/bin/qm", "help");
            assertThat(help.out()).contains("USAGE: qm <COMMAND> [ARGS] [OPTIONS]").contains("qm start <vmid> [OPTIONS]");
            int port = HavenNode.freePort();
            daemon = new ProcessBuilder("chroot", root.toString(), "/usr/bin/havend", "--foreground", "--node", "pkgnode",
                    "--port", Integer.toString(port), "--bind", "127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("havend.out").toFile()).start();
            Run version = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline && daemon.isAlive()) {
                if (Files.exists(root.resolve("run/haven/haven.sock"))) {
                    version = run(tmp, "chroot", root.toString(), "/usr/bin/pvesh", "get", "/version", "--output-format", "json");
                    if (version.exit() == 0) break;
                }
                Thread.sleep(300);
            }
            assertThat(version).as("the daemon answered; its output:\n" + Files.readString(tmp.resolve("havend.out"))).isNotNull();
            assertThat(version.exit()).as(version.out()).isZero();
            assertThat(version.out()).contains("\"release\":\"8.4\"");
            assertThat(ok(tmp, "chroot", root.toString(), "/usr/bin/pvesh", "get", "/nodes", "--output-format", "json").out()).contains("\"node\":\"pkgnode\"");
            assertThat(root.resolve("var/lib/haven/cfs/nodes/pkgnode/pve-ssl.pem")).exists();
            daemon.destroy();
            assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).as("havend stops on SIGTERM").isTrue();

            ok(tmp, "chroot", root.toString(), "dpkg", "--purge", "haven");
            for (String f : List.of("usr/bin/qm", "usr/share/haven", "usr/lib/haven", "lib/systemd/system/havend.service", "etc/logrotate.d/haven", "var/lib/haven"))
                assertThat(root.resolve(f)).as(f + " after purge").doesNotExist();
        } finally {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(30, TimeUnit.SECONDS);
            }
            // a daemon started in the root may have left children (its JVM under chroot): none may keep the mounts busy
            run(tmp, "sh", "-c", "for p in /proc/[0-9]*; do [ \"$(readlink $p/root)\" = '" + root + "' ] && kill -9 ${p#/proc/}; done; true");
            for (int i = mounts.size() - 1; i >= 0; i--) run(tmp, "umount", "-l", mounts.get(i).toString());
        }
    }
}
