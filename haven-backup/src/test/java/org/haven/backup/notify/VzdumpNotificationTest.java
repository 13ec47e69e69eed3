package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.backup.Vzdump;
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
        List<Vzdump.GuestResult> guests = List.of(new Vzdump.GuestResult(100, "web", true, 75, 12L << 20, "/bk/dump/vzdump-qemu-100.vma.zst"),
                new Vzdump.GuestResult(101, "<db>", false, 3, 0, null));
        Notification ok = VzdumpNotification.of(false, "node1", null, List.of("INFO: done <ok>"), guests, 3725, 5);
        assertThat(ok.severity()).isEqualTo(Notification.Severity.INFO);
        assertThat(ok.title()).isEqualTo("vzdump backup status (node1): backup successful");
        assertThat(ok.fields()).isEqualTo(Map.of("type", "vzdump", "hostname", "node1"));
        assertThat(ok.message()).isEqualTo("""
                Backup finished successfully on node node1.

                Details
                =======
                VMID    Name    Status    Time        Size         Filename
                100     web     ok        1min 15s    12.00 MiB    /bk/dump/vzdump-qemu-100.vma.zst
                101     <db>    err       3s          0 B

                Total running time: 1h 2min 5s
                Total size: 12.00 MiB

                Logs
                ====
                INFO: done <ok>
                """);
        // the HTML body from the same data, escaped
        String td = "<td style=\"border: 1px solid;padding: 3px;\">";
        assertThat(ok.html()).isEqualTo("<html>\n<body>\n<p>Backup finished successfully on node node1.</p>\n<h1 style=\"font-size: 1.2em\">Details</h1>\n"
                + "<table style=\"border: 1px solid;border-collapse: collapse;\">\n<tr>"
                + "<th style=\"border: 1px solid;padding: 3px;\">VMID</th><th style=\"border: 1px solid;padding: 3px;\">Name</th>"
                + "<th style=\"border: 1px solid;padding: 3px;\">Status</th><th style=\"border: 1px solid;padding: 3px;\">Time</th>"
                + "<th style=\"border: 1px solid;padding: 3px;\">Size</th><th style=\"border: 1px solid;padding: 3px;\">Filename</th></tr>\n"
                + "<tr>" + td + "100</td>" + td + "web</td>" + td + "ok</td>" + td + "1min 15s</td>" + td + "12.00 MiB</td>" + td + "/bk/dump/vzdump-qemu-100.vma.zst</td></tr>\n"
                + "<tr>" + td + "101</td>" + td + "&lt;db&gt;</td>" + td + "err</td>" + td + "3s</td>" + td + "0 B</td>" + td + "</td></tr>\n"
                + "</table>\n<p>Total running time: 1h 2min 5s<br/>\nTotal size: 12.00 MiB</p>\n<h1 style=\"font-size: 1.2em\">Logs</h1>\n"
                + "<pre>INFO: done &lt;ok&gt;</pre>\n</body>\n</html>\n");
        Notification bad = VzdumpNotification.of(true, "node1", "backup-1", List.of(), List.of(), 0, 5);
        assertThat(bad.severity()).isEqualTo(Notification.Severity.ERROR);
        assertThat(bad.title()).endsWith("backup failed");
        assertThat(bad.fields()).containsEntry("job-id", "backup-1");
    }
}
