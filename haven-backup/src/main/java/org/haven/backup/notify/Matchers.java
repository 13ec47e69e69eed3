package org.haven.backup.notify;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.haven.core.calendar.CalendarEvent;

/**
 * PVE's notification matchers, pure. A matcher's directives are {@code match-severity} (comma-separated
 * severities), {@code match-field} ({@code exact:FIELD=V1,V2} or {@code regex:FIELD=REGEX}) and
 * {@code match-calendar} ({@code [WEEKDAYS] HH[:MM]-HH[:MM]}). With {@code mode all} every directive must match,
 * with {@code any} one suffices; {@code invert-match} inverts the result. A matcher without directives always
 * matches. Disabled matchers are skipped; the result is the matched matchers' targets, each once.
 */
public final class Matchers {
    private Matchers() {}

    /** The targets the enabled matchers of {@code cfg} route {@code n} to, in matcher order, each once. */
    public static Set<String> targets(NotifyConfig cfg, Notification n, ZoneId zone) {
        Set<String> out = new LinkedHashSet<>();
        for (NotifyConfig.Section m : cfg.effective()) {
            if (!m.type().equals(NotifyConfig.MATCHER) || m.flag("disable")) continue;
            if (matches(m, n, zone)) out.addAll(m.all("target"));
        }
        return out;
    }

    /** Does matcher {@code m} match {@code n}? */
    public static boolean matches(NotifyConfig.Section m, Notification n, ZoneId zone) {
        boolean any = m.get("mode", "all").equals("any");
        boolean result = !any;
        boolean directives = false;
        for (String s : m.all("match-severity")) {
            directives = true;
            result = combine(any, result, severity(s, n));
        }
        for (String f : m.all("match-field")) {
            directives = true;
            result = combine(any, result, field(f, n));
        }
        for (String c : m.all("match-calendar")) {
            directives = true;
            result = combine(any, result, calendar(c, n.timestamp(), zone));
        }
        return !directives || result != m.flag("invert-match");
    }

    private static boolean combine(boolean any, boolean acc, boolean v) { return any ? acc || v : acc && v; }

    /** {@code match-severity info,notice}. */
    static boolean severity(String spec, Notification n) {
        for (String s : spec.split(",")) if (!s.isBlank() && Notification.Severity.of(s) == n.severity()) return true;
        return false;
    }

    /** {@code match-field exact:type=vzdump,replication} or {@code regex:hostname=^pve\d$}; a missing field does not match. */
    static boolean field(String spec, Notification n) {
        FieldMatch f = FieldMatch.parse(spec);
        String v = n.fields().get(f.field());
        if (v == null) return false;
        return f.regex() ? f.pattern().matcher(v).find() : f.values().contains(v);
    }

    /** A parsed {@code match-field} directive. */
    public record FieldMatch(boolean regex, String field, List<String> values, Pattern pattern) {
        public static FieldMatch parse(String spec) {
            int colon = spec.indexOf(':'), eq = spec.indexOf('=');
            if (colon < 0 || eq < colon) throw new IllegalArgumentException("invalid match-field statement: " + spec);
            String kind = spec.substring(0, colon), field = spec.substring(colon + 1, eq), value = spec.substring(eq + 1);
            if (field.isEmpty()) throw new IllegalArgumentException("invalid match-field statement: " + spec);
            return switch (kind) {
                case "exact" -> new FieldMatch(false, field, List.of(value.split(",")), null);
                case "regex" -> {
                    try {
                        yield new FieldMatch(true, field, List.of(value), Pattern.compile(value));
                    } catch (PatternSyntaxException e) {
                        throw new IllegalArgumentException("invalid regex '" + value + "': " + e.getDescription());
                    }
                }
                default -> throw new IllegalArgumentException("invalid match-field statement: " + spec);
            };
        }
    }

    /**
     * {@code match-calendar mon..fri 8-17:30}: the optional weekdays use the calendar-event syntax (checked with
     * {@link CalendarEvent} at the notification's local midnight), the time span is start inclusive, end exclusive.
     */
    static boolean calendar(String spec, long epoch, ZoneId zone) {
        DailySpan d = DailySpan.parse(spec);
        ZonedDateTime t = Instant.ofEpochSecond(epoch).atZone(zone);
        if (d.days() != null && !d.days().matches(t.toLocalDate().atStartOfDay(zone).toEpochSecond(), zone)) return false;
        LocalTime lt = t.toLocalTime();
        return !lt.isBefore(d.start()) && lt.isBefore(d.end());
    }

    /** A parsed {@code match-calendar} value. */
    public record DailySpan(CalendarEvent days, LocalTime start, LocalTime end) {
        public static DailySpan parse(String spec) {
            String s = spec.strip();
            int sp = s.lastIndexOf(' ');
            String days = sp < 0 ? null : s.substring(0, sp).strip(), span = sp < 0 ? s : s.substring(sp + 1);
            String[] se = span.split("-", -1);
            if (se.length != 2) throw new IllegalArgumentException("invalid daily duration '" + spec + "'");
            CalendarEvent ev = null;
            if (days != null) {
                if (!days.matches("[a-z.,]+")) throw new IllegalArgumentException("invalid daily duration '" + spec + "'");
                try {
                    ev = CalendarEvent.parse(days);
                } catch (CalendarEvent.ParseException e) {
                    throw new IllegalArgumentException("invalid daily duration '" + spec + "' - " + e.getMessage());
                }
            }
            LocalTime start = time(se[0], spec), end = se[1].strip().equals("24") || se[1].strip().equals("24:00") ? LocalTime.MAX : time(se[1], spec);
            if (!start.isBefore(end)) throw new IllegalArgumentException("invalid daily duration '" + spec + "' - end is not after start");
            return new DailySpan(ev, start, end);
        }

        private static LocalTime time(String v, String spec) {
            String[] hm = v.strip().split(":", -1);
            try {
                int h = Integer.parseInt(hm[0]), m = hm.length > 1 ? Integer.parseInt(hm[1]) : 0;
                if (hm.length > 2 || h > 23 || m > 59 || h < 0 || m < 0) throw new NumberFormatException();
                return LocalTime.of(h, m);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid daily duration '" + spec + "'");
            }
        }
    }

    /** Checks a matcher's directives as the API stores them; throws with the message of the first bad one. */
    public static void check(NotifyConfig.Section m) {
        for (String s : m.all("match-severity")) for (String x : s.split(",")) if (!x.isBlank()) Notification.Severity.of(x);
        for (String f : m.all("match-field")) FieldMatch.parse(f);
        for (String c : m.all("match-calendar")) DailySpan.parse(c);
    }
}
