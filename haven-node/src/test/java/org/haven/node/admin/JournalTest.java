package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The journalctl commands of the syslog and journal views, and journalctl's short format. */
class JournalTest {
    static final ZoneId ZONE = ZoneId.systemDefault();
    static final Path DIR = Path.of("/j");

    @Test
    void syslogCommandsAsPveDumpJournal() {
        record Row(String since, String until, String service, List<String> args) {}
        for (Row r : List.of(
                new Row(null, null, null, List.of()),
                new Row("2024-01-02", "2024-01-03 10:00", null, List.of("--since=2024-01-02", "--until=2024-01-03 10:00")),
                new Row(null, null, "postfix", List.of("--unit=postfix@-")),
                new Row(null, null, "cron", List.of("--unit=cron")),
                new Row(null, null, "pveproxy", List.of("--unit=havend.service")),
                new Row(null, null, "ssh.service", List.of("--unit=ssh.service"))))
            assertThat(Journal.syslogCommand(DIR, r.since(), r.until(), r.service())).as(r.toString())
                    .isEqualTo(concat(List.of("journalctl", "--no-pager", "-o", "short", "--directory=/j"), r.args()));
    }

    @Test
    void journalCommandsCountBackOrTakeARange() {
        record Row(Journal.Query q, List<String> args) {}
        for (Row r : List.of(
                new Row(new Journal.Query(null, null, null, null, null), List.of("--lines=50")),
                new Row(new Journal.Query(500, null, null, null, null), List.of("--lines=500")),
                new Row(new Journal.Query(500, null, null, null, "c9"), List.of("--reverse", "--cursor=c9", "--lines=501")),
                new Row(new Journal.Query(null, 100L, 200L, null, null), List.of("--since=@100", "--until=@200")),
                new Row(new Journal.Query(null, null, null, "c1", null), List.of("--after-cursor=c1")),
                new Row(new Journal.Query(0, null, 300L, null, null), List.of("--until=@300"))))
            assertThat(Journal.journalCommand(null, r.q())).as(r.toString())
                    .isEqualTo(concat(List.of("journalctl", "--no-pager", "-o", "json"), r.args()));
    }

    @Test
    void shortLinesAsJournalctlPrintsThem() {
        JsonMapper json = JsonMapper.builder().build();
        record Row(String entry, String line) {}
        String ts = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss", java.util.Locale.ROOT).format(Instant.ofEpochSecond(1_700_000_000L).atZone(ZONE));
        for (Row r : List.of(
                new Row("{\"__REALTIME_TIMESTAMP\":\"1700000000123456\",\"_HOSTNAME\":\"n1\",\"SYSLOG_IDENTIFIER\":\"cron\",\"_PID\":\"7\",\"MESSAGE\":\"hi\"}", ts + " n1 cron[7]: hi"),
                new Row("{\"__REALTIME_TIMESTAMP\":\"1700000000000000\",\"_HOSTNAME\":\"n1\",\"_COMM\":\"kworker\",\"MESSAGE\":\"x\"}", ts + " n1 kworker: x"),
                new Row("{\"__REALTIME_TIMESTAMP\":\"1700000000000000\",\"MESSAGE\":[104,195,164]}", ts + " hä")))
            assertThat(Journal.shortLine(json.readTree(r.entry()), ZONE)).as(r.entry()).isEqualTo(r.line());
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @SafeVarargs
    static List<String> concat(List<String> a, List<String> b, List<String>... more) {
        List<String> out = concat(a, b);
        for (List<String> m : more) out.addAll(m);
        return out;
    }

}
