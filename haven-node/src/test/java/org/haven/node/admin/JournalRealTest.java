package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.haven.node.admin.JournalTest.concat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import org.haven.api.LogFiles;
import org.haven.core.testing.RealTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The syslog and journal views over a real journal written for the test, checked against journalctl's own output. */
@RealTest
class JournalRealTest {
    static final ZoneId ZONE = ZoneId.systemDefault();

    @TempDir static Path tmp;
    static Path dir;
    static List<String> cursors;
    static List<String> shortLines;

    @BeforeAll
    static void write() throws Exception {
        dir = JournalFixture.write(tmp.resolve("journal"), "cron", "havend", "cron", "sshd", "havend");
        cursors = new ArrayList<>();
        JsonMapper json = JsonMapper.builder().build();
        for (String l : run("journalctl", "--no-pager", "-o", "json", "--directory=" + dir)) cursors.add(json.readTree(l).get("__CURSOR").asString());
        shortLines = run("journalctl", "--no-pager", "-o", "short", "--directory=" + dir);
    }

    @Test
    void syslogPagesLikeDumpJournal() {
        Journal j = new Journal(dir, ZONE);
        LogFiles.Page all = j.syslog(0, 0, null, null, null);
        assertThat(all.total()).isEqualTo(5);
        assertThat(texts(all)).isEqualTo(shortLines).hasSize(5);
        assertThat(texts(all).get(0)).endsWith(" node1 cron[101]: message 1");
        LogFiles.Page page = j.syslog(2, 2, null, null, null);
        assertThat(page.total()).isEqualTo(5);
        assertThat(page.lines()).extracting(m -> m.get("n")).containsExactly(3, 4);
        assertThat(texts(j.syslog(0, 50, null, null, "havend.service"))).containsExactly(shortLines.get(1), shortLines.get(4));
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
        String since = f.format(Instant.ofEpochSecond(JournalFixture.T0 + 120).atZone(ZONE));
        String until = f.format(Instant.ofEpochSecond(JournalFixture.T0 + 240).atZone(ZONE));
        assertThat(texts(j.syslog(0, 50, since, until, null))).containsExactly(shortLines.get(1), shortLines.get(2), shortLines.get(3));
        LogFiles.Page none = j.syslog(0, 50, null, null, "nothing.service");
        assertThat(none.total()).isEqualTo(1);
        assertThat(texts(none)).containsExactly("-- No entries --");
    }

    @Test
    void journalViewsAreFramedByCursors() {
        Journal j = new Journal(dir, ZONE);
        assertThat(j.journal(new Journal.Query(null, null, null, null, null)))
                .isEqualTo(concat(List.of(cursors.get(0)), shortLines, List.of(cursors.get(4))));
        assertThat(j.journal(new Journal.Query(2, null, null, null, null)))
                .containsExactly(cursors.get(3), shortLines.get(3), shortLines.get(4), cursors.get(4));
        assertThat(j.journal(new Journal.Query(null, null, null, cursors.get(2), null)))
                .containsExactly(cursors.get(3), shortLines.get(3), shortLines.get(4), cursors.get(4));
        assertThat(j.journal(new Journal.Query(null, null, null, cursors.get(4), null))).containsExactly(cursors.get(4), cursors.get(4));
        assertThat(j.journal(new Journal.Query(2, null, null, null, cursors.get(3))))
                .containsExactly(cursors.get(1), shortLines.get(1), shortLines.get(2), cursors.get(2));
        assertThat(j.journal(new Journal.Query(null, JournalFixture.T0 + 240, JournalFixture.T0 + 300, null, null)))
                .containsExactly(cursors.get(3), shortLines.get(3), shortLines.get(4), cursors.get(4));
    }

    static List<String> texts(LogFiles.Page p) { return p.lines().stream().map(m -> (String) m.get("t")).toList(); }

    static List<String> run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
