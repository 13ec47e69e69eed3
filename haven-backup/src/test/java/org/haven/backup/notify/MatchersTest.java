package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneId;
import java.util.Map;
import org.haven.backup.notify.Notification.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchersTest {
    static final ZoneId UTC = ZoneId.of("UTC");
    /** Tuesday 2025-12-02 10:30:00 UTC. */
    static final long TUE_1030 = 1_764_671_400L;

    static Notification n(Severity s) {
        return new Notification(s, "t", "m", Map.of("type", "vzdump", "hostname", "node1", "job-id", "backup-1"), TUE_1030);
    }

    static NotifyConfig.Section matcher(String lines) {
        return NotifyConfig.sections("f", "matcher: m1\n" + lines.replace("; ", "\n").replaceAll("(?m)^", "\t").replaceFirst("^\t", "\t") + "\n").getFirst();
    }

    @ParameterizedTest(name = "{0} / {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "comment no directives                                    | error   | true",
            "match-severity error                                     | error   | true",
            "match-severity error                                     | info    | false",
            "match-severity info,notice                               | notice  | true",
            "match-severity warning; match-severity error             | error   | false",
            "mode any; match-severity warning; match-severity error   | error   | true",
            "match-field exact:type=vzdump                            | info    | true",
            "match-field exact:type=replication,vzdump                | info    | true",
            "match-field exact:type=vzdum                             | info    | false",
            "match-field exact:missing=x                              | info    | false",
            "match-field regex:hostname=^node\\d$                     | info    | true",
            "match-field regex:hostname=ode                           | info    | true",
            "match-field regex:hostname=^pve                          | info    | false",
            "match-severity error; match-field exact:type=vzdump      | info    | false",
            "mode any; match-severity error; match-field exact:type=vzdump | info | true",
            "invert-match true; match-severity error                  | error   | false",
            "invert-match 1; match-severity error                     | info    | true",
            "invert-match true; comment inversion needs a directive   | info    | true",
            "match-calendar 8-12                                      | info    | true",
            "match-calendar 10:31-12                                  | info    | false",
            "match-calendar 10:30-10:31                               | info    | true",
            "match-calendar mon..fri 8-17                             | info    | true",
            "match-calendar sat,sun 0-24                              | info    | false",
            "match-calendar tue 10-11                                 | info    | true",
            "match-calendar wed 10-11                                 | info    | false",
            "match-calendar mon,wed..fri 0-24                         | info    | false",
            "mode any; match-calendar sat 0-24; match-severity info   | info    | true",
    })
    void matches(String lines, String severity, boolean expected) {
        assertThat(Matchers.matches(matcher(lines), n(Severity.of(severity)), UTC)).isEqualTo(expected);
    }

    @Test
    void targetsComeFromEnabledMatchersOnce() {
        NotifyConfig cfg = NotifyConfig.parse("""
                matcher: ma
                	match-severity error
                	target t1
                	target t2

                matcher: mb
                	target t2
                	target t3

                matcher: mc
                	disable true
                	target t4

                """, "");
        assertThat(Matchers.targets(cfg, n(Severity.ERROR), UTC)).containsExactly("mail-to-root", "t1", "t2", "t3");
        assertThat(Matchers.targets(cfg, n(Severity.INFO), UTC)).containsExactly("mail-to-root", "t2", "t3");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "match-severity fatal           | invalid severity 'fatal'",
            "match-field type=vzdump        | invalid match-field statement: type=vzdump",
            "match-field glob:type=x        | invalid match-field statement: glob:type=x",
            "match-field regex:type=(       | invalid regex '(': Unclosed group",
            "match-calendar 25-26           | invalid daily duration '25-26'",
            "match-calendar 12-8            | invalid daily duration '12-8' - end is not after start",
            "match-calendar 8:00            | invalid daily duration '8:00'",
    })
    void refusesBadDirectives(String lines, String message) {
        assertThatThrownBy(() -> Matchers.check(matcher(lines))).hasMessage(message);
    }
}
