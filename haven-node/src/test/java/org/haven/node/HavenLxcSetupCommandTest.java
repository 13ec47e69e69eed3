package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code haven lxc-setup}: a pct config file (its current section) applied to a rootfs, and its usage errors. */
class HavenLxcSetupCommandTest {
    @TempDir Path dir;
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) {
        err.reset();
        return HavenTool.lxcSetup(List.of(args), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String err() { return err.toString(StandardCharsets.UTF_8); }

    @Test
    void appliesTheCurrentSectionOfTheConfig() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("debian_version"), "12.4\n");
        Path conf = Files.writeString(dir.resolve("101.conf"), "#my web server\nhostname: web\n"
                + "net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=192.0.2.9/24,gw=192.0.2.1\nostype: debian\n\n"
                + "[before]\nhostname: old\nsnaptime: 1700000000\n");
        assertThat(run("--test-mode", "--conf", conf.toString(), "--rootfs", dir.resolve("rootfs").toString(),
                "--ssh-keys", "ssh-ed25519 AAAA k")).as(err()).isZero();
        assertThat(Files.readString(rootfs.resolve("hostname"))).isEqualTo("web\n");
        assertThat(Files.readString(rootfs.resolve("network/interfaces"))).contains("\taddress 192.0.2.9/24\n\tgateway 192.0.2.1\n");
        assertThat(Files.readString(dir.resolve("rootfs/root/.ssh/authorized_keys"))).contains("ssh-ed25519 AAAA k\n");
    }

    @Test
    void usageErrors() throws Exception {
        assertThat(run("--rootfs", "/x")).isEqualTo(255);
        assertThat(err()).startsWith("400 not enough arguments\nUSAGE: haven lxc-setup");
        assertThat(run("--conf", "c", "--rootfs", "r", "--bogus")).isEqualTo(255);
        assertThat(err()).startsWith("400 unknown option '--bogus'");
        assertThat(run("--conf")).isEqualTo(255);
        assertThat(err()).startsWith("400 Parameter verification failed.\nconf: value missing");
        Path conf = Files.writeString(dir.resolve("c.conf"), "hostname: x\n");
        Files.createDirectories(dir.resolve("other/etc"));
        Files.writeString(dir.resolve("other/etc/os-release"), "ID=plan9\n");
        assertThat(run("--conf", conf.toString(), "--rootfs", dir.resolve("other").toString())).isEqualTo(255);
        assertThat(err()).isEqualTo("haven: lxc-setup: unable to detect OS distribution\n");
    }
}
