package org.haven.core.calendar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Calendar events: the examples of the admin guide (§9.2, Table 14), the named forms, dates, zones and errors. */
@Tag("unit")
class CalendarEventTest {
    static final ZoneId UTC = ZoneOffset.UTC;

    static long epoch(String local, ZoneId z) { return LocalDateTime.parse(local).atZone(z).toEpochSecond(); }

    static String local(long epoch, ZoneId z) { return LocalDateTime.ofEpochSecond(epoch, 0, z.getRules().getOffset(java.time.Instant.ofEpochSecond(epoch))).toString(); }

    static List<String> nextTimes(String spec, String from, int n, ZoneId z) {
        CalendarEvent e = CalendarEvent.parse(spec);
        List<String> out = new ArrayList<>();
        long t = epoch(from, z);
        for (int i = 0; i < n; i++) {
            OptionalLong next = e.next(t, z);
            if (next.isEmpty()) break;
            t = next.getAsLong();
            out.add(local(t, z));
        }
        return out;
    }

    @Test
    void guideExamplesAndNamedForms() {
        // 2026-12-07 is a Monday
        Object[][] table = {
                {"mon,tue,wed,thu,fri", "2026-12-11T10:00", List.of("2026-12-14T00:00", "2026-12-15T00:00")},
                {"mon..fri", "2026-12-11T10:00", List.of("2026-12-14T00:00", "2026-12-15T00:00")},
                {"sat,sun", "2026-12-07T00:00", List.of("2026-12-12T00:00", "2026-12-13T00:00", "2026-12-19T00:00")},
                {"sat..sun", "2026-12-07T00:00", List.of("2026-12-12T00:00", "2026-12-13T00:00", "2026-12-19T00:00")},
                {"mon,wed,fri", "2026-12-07T00:00", List.of("2026-12-09T00:00", "2026-12-11T00:00", "2026-12-14T00:00")},
                {"12:05", "2026-12-07T12:05", List.of("2026-12-08T12:05", "2026-12-09T12:05")},
                {"*/5", "2026-12-07T23:52", List.of("2026-12-07T23:55", "2026-12-08T00:00", "2026-12-08T00:05")},
                {"0/5", "2026-12-07T23:52", List.of("2026-12-07T23:55", "2026-12-08T00:00", "2026-12-08T00:05")},
                {"mon..wed 30/10", "2026-12-09T23:45", List.of("2026-12-09T23:50", "2026-12-14T00:30", "2026-12-14T00:40", "2026-12-14T00:50", "2026-12-14T01:30")},
                {"mon..fri 8..17,22:0/15", "2026-12-11T17:40", List.of("2026-12-11T17:45", "2026-12-11T22:00", "2026-12-11T22:15", "2026-12-11T22:30", "2026-12-11T22:45", "2026-12-14T08:00")},
                {"fri 12..13:5/20", "2026-12-07T00:00", List.of("2026-12-11T12:05", "2026-12-11T12:25", "2026-12-11T12:45", "2026-12-11T13:05", "2026-12-11T13:25", "2026-12-11T13:45", "2026-12-18T12:05")},
                {"fri 12,13:5/20", "2026-12-07T00:00", List.of("2026-12-11T12:05", "2026-12-11T12:25", "2026-12-11T12:45", "2026-12-11T13:05", "2026-12-11T13:25", "2026-12-11T13:45", "2026-12-18T12:05")},
                {"12,14,16,18,20,22:5", "2026-12-07T21:00", List.of("2026-12-07T22:05", "2026-12-08T12:05", "2026-12-08T14:05")},
                {"12/2:5", "2026-12-07T21:00", List.of("2026-12-07T22:05", "2026-12-08T12:05", "2026-12-08T14:05")},
                {"*", "2026-12-07T10:00:30", List.of("2026-12-07T10:01", "2026-12-07T10:02")},
                {"*/1", "2026-12-07T10:00", List.of("2026-12-07T10:01", "2026-12-07T10:02")},
                {"*/00", "2026-12-07T10:00", List.of("2026-12-07T11:00", "2026-12-07T12:00")},
                {"mon..fri 22", "2026-12-11T22:00", List.of("2026-12-11T22:22", "2026-12-11T23:22", "2026-12-14T00:22")},
                {"mon..fri 22:00", "2026-12-11T22:00", List.of("2026-12-14T22:00", "2026-12-15T22:00")},
                {"8:00/15", "2026-12-07T08:40", List.of("2026-12-07T08:45", "2026-12-08T08:00", "2026-12-08T08:15")},
                {"sat 02:00", "2026-12-07T00:00", List.of("2026-12-12T02:00", "2026-12-19T02:00")},
                {"mon..fri 8..17/2:30", "2026-12-07T08:30", List.of("2026-12-07T10:30", "2026-12-07T12:30", "2026-12-07T14:30", "2026-12-07T16:30", "2026-12-08T08:30")},
                {"sun..tue", "2026-12-08T12:00", List.of("2026-12-13T00:00", "2026-12-14T00:00", "2026-12-15T00:00", "2026-12-20T00:00")},
                {"Saturday 1:2:3", "2026-12-07T00:00", List.of("2026-12-12T01:02:03", "2026-12-19T01:02:03")},
                {"minutely", "2026-12-07T10:00:30", List.of("2026-12-07T10:01", "2026-12-07T10:02")},
                {"hourly", "2026-12-07T10:00", List.of("2026-12-07T11:00", "2026-12-07T12:00")},
                {"daily", "2026-12-07T00:00", List.of("2026-12-08T00:00", "2026-12-09T00:00")},
                {"weekly", "2026-12-07T00:00", List.of("2026-12-14T00:00", "2026-12-21T00:00")},
                {"monthly", "2026-12-07T00:00", List.of("2027-01-01T00:00", "2027-02-01T00:00")},
                {"yearly", "2026-12-07T00:00", List.of("2027-01-01T00:00", "2028-01-01T00:00")},
                {"annually", "2026-12-07T00:00", List.of("2027-01-01T00:00")},
                {"quarterly", "2026-12-07T00:00", List.of("2027-01-01T00:00", "2027-04-01T00:00", "2027-07-01T00:00")},
                {"semiannually", "2026-12-07T00:00", List.of("2027-01-01T00:00", "2027-07-01T00:00")},
                {"2027-02-28 12:00", "2026-12-07T00:00", List.of("2027-02-28T12:00")},
                {"2025-01-01", "2026-12-07T00:00", List.of()},
                {"*-*-01 03:00", "2026-12-07T00:00", List.of("2027-01-01T03:00", "2027-02-01T03:00")},
                {"*-02-29", "2026-12-07T00:00", List.of("2028-02-29T00:00", "2032-02-29T00:00")},
                {"02-29 1:00", "2026-12-07T00:00", List.of("2028-02-29T01:00")},
                {"*-01,07-15", "2026-12-07T00:00", List.of("2027-01-15T00:00", "2027-07-15T00:00")},
                {"2027..2028-12-24..25 18:00", "2026-12-07T00:00", List.of("2027-12-24T18:00", "2027-12-25T18:00", "2028-12-24T18:00", "2028-12-25T18:00")},
                {"fri *-*-13", "2026-12-07T00:00", List.of("2027-08-13T00:00", "2028-10-13T00:00")},
                {"*:*:0/20", "2026-12-07T10:00", List.of("2026-12-07T10:00:20", "2026-12-07T10:00:40", "2026-12-07T10:01")},
                {"daily UTC", "2026-12-07T00:00", List.of("2026-12-08T00:00")},
        };
        for (Object[] row : table) {
            assertThat(nextTimes((String) row[0], (String) row[1], ((List<?>) row[2]).size() + 1, UTC))
                    .as("%s from %s", row[0], row[1])
                    .startsWith(((List<?>) row[2]).toArray(new String[0]));
        }
        // the last row lists every event there is
        assertThat(nextTimes("2025-01-01", "2020-01-01T00:00", 3, UTC)).containsExactly("2025-01-01T00:00");
    }

    @Test
    void localTimeFollowsTheZoneAndUtcOverridesIt() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        // local midnight in Berlin is 23:00 UTC the day before in winter
        long from = epoch("2026-12-07T12:00", berlin);
        assertThat(CalendarEvent.parse("daily").next(from, berlin)).hasValue(epoch("2026-12-08T00:00", UTC) - 3600);
        assertThat(CalendarEvent.parse("daily UTC").next(from, berlin)).hasValue(epoch("2026-12-08T00:00", UTC));
        assertThat(CalendarEvent.parse("daily utc").next(from, berlin)).hasValue(epoch("2026-12-08T00:00", UTC));
        // 2027-03-28 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00): the day has no 02:30 event
        assertThat(nextTimes("2:30", "2027-03-27T03:00", 2, berlin)).as("skips the missing local time")
                .containsExactly("2027-03-29T02:30", "2027-03-30T02:30");
        // 2027-10-31 02:30 happens twice in Berlin; the event fires at the first
        long first = epoch("2027-10-31T00:30", UTC);
        assertThat(CalendarEvent.parse("2:30").next(epoch("2027-10-30T12:00", berlin), berlin)).hasValue(first);
        // every 30 minutes through the repeated hour: strictly increasing, no time twice
        List<Long> ts = new ArrayList<>();
        long t = epoch("2027-10-31T01:00", berlin);
        for (int i = 0; i < 6; i++) ts.add(t = CalendarEvent.parse("*:0/30").next(t, berlin).getAsLong());
        for (int i = 1; i < ts.size(); i++) assertThat(ts.get(i)).isGreaterThan(ts.get(i - 1));
        assertThat(ts.get(0)).isEqualTo(epoch("2027-10-31T01:30", berlin));
    }

    @Test
    void errorsCarryPvesMessages() {
        Object[][] table = {
                {"", "unable to parse calendar event at '' - Context(\"date or time specification\")"},
                {"foo", "unable to parse calendar event at 'foo' - Context(\"weekday\")"},
                {"mon..xyz", "unable to parse calendar event at 'xyz' - Context(\"weekday\")"},
                {"mon,", "unable to parse calendar event at '' - Nom(Alpha)"},
                {"mon 8:60", "unable to parse calendar event at '' - Context(\"time value too large\")"},
                {"60", "unable to parse calendar event at '' - Context(\"time value too large\")"},
                {"5..3", "unable to parse calendar event at '' - Context(\"range start is bigger than end\")"},
                {"8:00 x", "unable to parse calendar event at ' x' - Nom(Eof)"},
                {"8:", "unable to parse calendar event at '' - Nom(Digit)"},
                {"UTC", "unable to parse calendar event at '' - Context(\"date or time specification\")"},
                {"12:05/", "unable to parse calendar event at '' - Nom(Digit)"},
        };
        for (Object[] row : table) {
            assertThatThrownBy(() -> CalendarEvent.parse((String) row[0])).as("%s", row[0])
                    .isInstanceOf(CalendarEvent.ParseException.class).hasMessage((String) row[1]);
        }
    }

    /** Seeded property: the search (with its skips over years, months and days) finds what a minute-by-minute scan of the predicate finds. */
    @Test
    void nextAgreesWithAMinuteScan() {
        Random r = new Random(4242);
        String[] specs = {"mon..fri 8..17/2:30", "*/7", "sat,sun 3:0/20", "*-*-1..3 0/6:15", "tue 23:59", "*/13:*/17", "wed..mon 22", "monthly"};
        for (String spec : specs) {
            CalendarEvent e = CalendarEvent.parse(spec);
            long from = epoch("2026-01-01T00:00", UTC) + r.nextInt(365 * 86400);
            long next = e.next(from, UTC).orElseThrow();
            // brute force on whole minutes (all these specs fire at second 0)
            long scan = (from / 60 + 1) * 60;
            while (!matchesByScan(e, scan)) scan += 60;
            assertThat(next).as(spec).isEqualTo(scan);
        }
    }

    private static boolean matchesByScan(CalendarEvent e, long t) {
        return e.matches(t, UTC);
    }

    @Test
    void commandPrintsEpochsAndRefusesBadSpecs() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        long from = epoch("2026-12-07T10:00", UTC);
        int rc = CalendarCommand.run(List.of("hourly", "--from", Long.toString(from), "--iterations=3"), 0, UTC, ps(out), ps(err));
        assertThat(rc).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo((from + 3600) + "\n" + (from + 7200) + "\n" + (from + 10800) + "\n");
        out.reset();
        assertThat(CalendarCommand.run(List.of("daily"), from, UTC, ps(out), ps(err))).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(epoch("2026-12-08T00:00", UTC) + "\n");
        err.reset();
        assertThat(CalendarCommand.run(List.of("mon 25:61"), from, UTC, ps(out), ps(err))).isEqualTo(255);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("invalid calendar event 'mon 25:61' - unable to parse calendar event");
        assertThat(CalendarCommand.run(List.of(), from, UTC, ps(out), ps(err))).isEqualTo(255);
        assertThat(CalendarCommand.run(List.of("daily", "--iterations", "x"), from, UTC, ps(out), ps(err))).isEqualTo(255);
    }

    private static PrintStream ps(ByteArrayOutputStream b) { return new PrintStream(b, true, StandardCharsets.UTF_8); }
}
