package org.haven.lxc.setup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Managed sections and the system file transforms, as tables. */
class SystemFilesTest {
    static final String B = ManagedSection.BEGIN + "\n";
    static final String E = ManagedSection.END + "\n";

    static Stream<Arguments> sections() {
        var APPEND = ManagedSection.Placement.APPEND;
        var PREPEND = ManagedSection.Placement.PREPEND;
        var REPLACE = ManagedSection.Placement.REPLACE;
        return Stream.of(
                Arguments.of(null, "x", APPEND, B + "x\n" + E),
                Arguments.of(null, "", APPEND, null),
                Arguments.of("a\nb", "x\n", APPEND, "a\nb\n" + B + "x\n" + E),
                Arguments.of("a\n\n\n", "x", PREPEND, B + "x\n" + E + "a\n"),
                Arguments.of("nameserver 1.1.1.1\n", "x", REPLACE, B + "x\n" + E),
                Arguments.of("a\n" + B + "old\nold2\n" + E + "b\n", "new\n", REPLACE, "a\n" + B + "new\n" + E + "b\n"),
                Arguments.of("a\n" + B + "old\n" + E + "b\n", "", APPEND, "a\nb\n"),
                Arguments.of(B + "old\n" + E, "", APPEND, null),
                Arguments.of("keep\n", "", APPEND, "keep\n"));
    }

    @ParameterizedTest
    @MethodSource("sections")
    void managedSection(String old, String data, ManagedSection.Placement placement, String expected) {
        String once = ManagedSection.apply(old, data, placement);
        assertThat(once).isEqualTo(expected);
        if (once != null) assertThat(ManagedSection.apply(once, data, placement)).isEqualTo(once);
    }

    static Stream<Arguments> hosts() {
        List<String> two = List.of("one.example", "two.example");
        return Stream.of(
                Arguments.of(null, "10.1.2.3", "web", two,
                        "127.0.0.1 localhost.localnet localhost\n::1 localhost.localnet localhost\n10.1.2.3 web.one.example web.two.example web\n"),
                Arguments.of(null, null, "db.corp.example", two,
                        "127.0.0.1 localhost.localnet localhost\n::1 localhost.localnet localhost\n127.0.1.1 db.corp.example db\n"),
                Arguments.of("127.0.0.1\tlocalhost\n", null, "localhost", List.of(),
                        "::1 localhost.localnet localhost\n127.0.1.1 localhost\n"),
                Arguments.of("  ::1 ip6-localhost\n127.0.0.1 localhost\n", "2001:db8::9", "mail", List.of(),
                        "2001:db8::9 mail\n"),
                Arguments.of(B + "127.0.0.1 localhost.localnet localhost\n" + E, null, "x", List.of(),
                        "127.0.0.1 localhost.localnet localhost\n::1 localhost.localnet localhost\n127.0.1.1 x\n"));
    }

    @ParameterizedTest
    @MethodSource("hosts")
    void hostsSection(String existing, String hostip, String hostname, List<String> search, String expected) {
        assertThat(SystemFiles.hostsSection(existing, hostip, hostname, search)).isEqualTo(expected);
    }

    @Test
    void resolvSection() {
        assertThat(SystemFiles.resolvSection(SystemFiles.Dns.of("a.example b.example", "192.0.2.1;192.0.2.2,192.0.2.3")))
                .isEqualTo("search a.example b.example\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n");
        assertThat(SystemFiles.resolvSection(SystemFiles.Dns.of(null, null))).isEmpty();
    }

    @Test
    void passwordFieldAndLastChange() {
        String shadow = "root:*:100:0:99999:7:::\nrooted:*:100:0:99999:7:::\nbin:*:100::::::";
        assertThat(SystemFiles.setPassword(shadow, "root", "$6$s$h", true, 20000))
                .isEqualTo("root:$6$s$h:20000:0:99999:7:::\nrooted:*:100:0:99999:7:::\nbin:*:100::::::");
        assertThat(SystemFiles.setPassword("root:!:0:0:root:/root:/bin/sh\n", "root", "x", false, 1))
                .isEqualTo("root:x:0:0:root:/root:/bin/sh\n");
        assertThat(SystemFiles.home("root:x:0:0:root:/var/root:/bin/sh\n", "root")).isEqualTo("/var/root");
        assertThat(SystemFiles.home("bin:x:1:1::/bin:/bin/sh\n", "root")).isNull();
    }

    @Test
    void encryptedPasswordsAreRecognised() {
        assertThat(List.of("$1$abc$def", "$5$SALT$PASS", "$6$0123456789abcdef$x/y.z", "$2y$salt$hash"))
                .allMatch(SystemFiles::isEncrypted);
        assertThat(List.of("secret", "$6$", "$6$salt$", "$7$salt$hash", "$6$salt$ha sh", "$6$01234567890123456$h"))
                .noneMatch(SystemFiles::isEncrypted);
    }

    @Test
    void inittabGettysFollowTheTtyCount() {
        String text = "id:2:initdefault:\npf::powerwait:/etc/init.d/powerfail start\n1:2345:respawn:/sbin/getty 38400 tty1\n"
                + "T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n\n";
        String once = SystemFiles.inittab(text, 8, 9);
        assertThat(once).isEqualTo("id:2:initdefault:\nT0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\np0::powerfail:/sbin/init 0\n"
                + "1:2345:respawn:/sbin/getty --noclear 38400 tty1\n2:23:respawn:/sbin/getty --noclear 38400 tty2\n"
                + "3:23:respawn:/sbin/getty --noclear 38400 tty3\n4:23:respawn:/sbin/getty --noclear 38400 tty4\n"
                + "5:23:respawn:/sbin/getty --noclear 38400 tty5\n6:23:respawn:/sbin/getty --noclear 38400 tty6\n"
                + "8:23:respawn:/sbin/getty --noclear 38400 tty8\n");
        assertThat(SystemFiles.inittab(once, 8, 9)).isEqualTo(once);
        assertThat(SystemFiles.inittab(text, 1, 6)).endsWith("p0::powerfail:/sbin/init 0\n1:2345:respawn:/sbin/getty -L 38400 tty1\n");
    }

    @Test
    void gentooInittabGettys() {
        String text = "si::sysinit:/sbin/openrc sysinit\nc1:12345:respawn:/sbin/agetty 38400 tty1 linux\nc2:2345:respawn:/sbin/agetty 38400 tty2 linux\n";
        String once = SystemFiles.gentooInittab(text, 1);
        assertThat(once).isEqualTo("si::sysinit:/sbin/openrc sysinit\nc1:2345:respawn:/sbin/agetty --noclear 38400 tty1 linux\n");
        assertThat(SystemFiles.gentooInittab(once, 1)).isEqualTo(once);
    }

    @Test
    void securettyAddsOnlyMissingDevices() {
        assertThat(SystemFiles.securetty("console\nlxc/tty1  \ntty1", List.of("lxc/console", "lxc/tty1", "lxc/tty2")))
                .isEqualTo("console\nlxc/tty1  \ntty1\nlxc/console\nlxc/tty2\n");
        assertThat(SystemFiles.securetty("", List.of("pts/0"))).isEqualTo("pts/0\n");
    }

    @Test
    void crontabRandomizesOnlyRootJobMinutes() {
        String text = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts /etc/cron.hourly\n25 6 * * * user job\n*/5 * * * * root x\n";
        assertThat(SystemFiles.randomizeCrontab(text, () -> 42))
                .isEqualTo("SHELL=/bin/sh\n42 * * * * root cd / && run-parts /etc/cron.hourly\n25 6 * * * user job\n*/5 * * * * root x\n");
    }

    @Test
    void presetIsSortedByUnit() {
        var units = new java.util.LinkedHashMap<String, Boolean>();
        units.put("z.service", true);
        units.put("a.mount", false);
        assertThat(SystemFiles.preset(units)).isEqualTo("# Added by PVE at create-time for first-boot configuration.\ndisable a.mount\nenable z.service\n");
    }
}
