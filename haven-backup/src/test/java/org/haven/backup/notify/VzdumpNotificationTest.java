package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VzdumpNotificationTest {
    @ParameterizedTest(name = "{0} failed={1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "''                                                         | false | NOTIFICATION_SYSTEM",
            "''                                                         | true  | NOTIFICATION_SYSTEM",
            "mailto=a@b.c                                               | false | LEGACY_SENDMAIL",
            "mailto=a@b.c;mailnotification=failure                      | false | NONE",
            "mailto=a@b.c;mailnotification=failure                      | true  | LEGACY_SENDMAIL",
            "mailto=a@b.c;notification-mode=notification-system         | false | NOTIFICATION_SYSTEM",
            "notification-mode=legacy-sendmail                          | true  | NONE",
            "notification-mode=legacy-sendmail;mailto=a@b.c             | false | LEGACY_SENDMAIL",
            "mailto=a@b.c;notification-policy=never                     | true  | NONE",
            "mailto= ;mailnotification=failure                          | true  | NOTIFICATION_SYSTEM",
    })
    void route(String opts, boolean failed, VzdumpNotification.Route expected) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : opts.split(";")) if (!kv.isBlank()) m.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        assertThat(VzdumpNotification.route(m, failed)).isEqualTo(expected);
    }

    @Test
    void notificationCarriesPveFields() {
        Notification ok = VzdumpNotification.of(false, "node1", null, List.of("INFO: done"), 5);
        assertThat(ok.severity()).isEqualTo(Notification.Severity.INFO);
        assertThat(ok.title()).isEqualTo("vzdump backup status (node1): backup successful");
        assertThat(ok.fields()).isEqualTo(Map.of("type", "vzdump", "hostname", "node1"));
        assertThat(ok.message()).isEqualTo("Backup finished successfully on node node1.\n\nLogs\n====\nINFO: done\n");
        Notification bad = VzdumpNotification.of(true, "node1", "backup-1", List.of(), 5);
        assertThat(bad.severity()).isEqualTo(Notification.Severity.ERROR);
        assertThat(bad.title()).endsWith("backup failed");
        assertThat(bad.fields()).containsEntry("job-id", "backup-1");
    }
}
