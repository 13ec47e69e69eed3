package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HA loggers' messages reach the journal writer with their identifier and syslog priority. */
class JournalAppenderTest {
    @TempDir Path dir;

    @Test
    void haMessagesGoOneLinePerMessageToAWriterPerIdentifier() throws Exception {
        LoggerContext lc = new LoggerContext();
        // a stand-in for systemd-cat: appends "<identifier> <line>" to a file
        JournalAppender ja = new JournalAppender(id -> List.of("sh", "-c",
            "while IFS= read -r l; do echo \"" + id + " $l\" >> " + dir.resolve("journal") + "; done"));
        ja.setContext(lc);
        ja.start();
        for (String name : JournalAppender.LOGGERS) lc.getLogger(name).addAppender(ja);
        lc.getLogger("pve-ha-crm").error("fencing: acknowledged - got agent lock for node 'node3'");
        lc.getLogger("pve-ha-lrm").info("starting service vm:100");
        lc.getLogger("pve-ha-lrm").warn("unable to start service vm:100\nsecond line");
        lc.getLogger("org.haven.other").info("not for the journal");
        ja.stop();
        Path journal = dir.resolve("journal");
        for (int i = 0; i < 100 && (!Files.exists(journal) || Files.readAllLines(journal).size() < 3); i++) Thread.sleep(50);
        assertThat(Files.readAllLines(journal)).containsExactlyInAnyOrder(
            "pve-ha-crm <3>fencing: acknowledged - got agent lock for node 'node3'",
            "pve-ha-lrm <6>starting service vm:100",
            "pve-ha-lrm <4>unable to start service vm:100 second line");
        assertThat(JournalAppender.priority(Level.DEBUG)).isEqualTo(7);
        assertThat(JournalAppender.systemdCat("pve-ha-crm")).containsExactly("systemd-cat", "--identifier=pve-ha-crm", "--level-prefix=true");
    }
}
