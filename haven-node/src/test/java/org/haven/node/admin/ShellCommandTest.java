package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShellCommandTest {

    @Test
    void commandsAsPveGivesThem() {
        record Row(String user, String cmd, String opts, boolean embedded, List<String> argv) {}
        for (Row r : List.of(
                new Row("root@pam", null, null, false, List.of("/bin/login", "-f", "root")),
                new Row("root@pam", "login", null, false, List.of("/bin/login", "-f", "root")),
                new Row("root@pam", null, null, true, List.of("/bin/bash", "-l")),
                new Row("root@pam", "upgrade", "ignored", true, List.of("/usr/bin/apt-get", "dist-upgrade")),
                new Row("root@pam", "ceph_install", "--version\0quincy\0", false, List.of("/usr/bin/pveceph", "install", "--version", "quincy")),
                new Row("admin@pve", null, null, true, List.of("/bin/login")),
                new Row("admin@pve", "login", null, false, List.of("/bin/login")),
                new Row("root@pam!tok", null, null, false, List.of("/bin/login"))))
            assertThat(ShellCommand.of(r.user(), r.cmd(), r.opts(), r.embedded(), "/bin/bash")).as(r.toString()).isEqualTo(r.argv());
    }

    @Test
    void quotesWordsForTheShell() {
        assertThat(ShellCommand.quote(List.of("/bin/login", "-f", "root"))).isEqualTo("/bin/login -f root");
        assertThat(ShellCommand.quote(List.of("a b", "it's", "", "$HOME"))).isEqualTo("'a b' 'it'\\''s' '' '$HOME'");
    }
}
