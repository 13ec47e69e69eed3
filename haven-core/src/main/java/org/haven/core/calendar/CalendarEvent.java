package org.haven.core.calendar;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * A calendar event in PVE's (systemd-like) syntax, as used by backup and replication schedules:
 * {@code [WEEKDAYS] [[YEARS-]MONTHS-DAYS] [HOURS:]MINUTES[:SECONDS] [UTC]}, or one of the names {@code minutely},
 * {@code hourly}, {@code daily}, {@code weekly}, {@code monthly}, {@code yearly}/{@code annually},
 * {@code quarterly}, {@code semiannually}/{@code semi-annually}. Every value list holds single values
 * ({@code 5}), ranges ({@code 8..17}) and repetitions ({@code 0/15}, {@code 8..17/2}, {@code *}{@code /5});
 * {@code *} or an omitted field matches all. Without a time the event is at 00:00:00; a lone number is minutes.
 * Pure: parsing and {@link #next} do no I/O; the zone is a parameter (ignored for events with {@code UTC}).
 */
public final class CalendarEvent {
    /** One element of a value list: {@code start..end} every {@code step} (step 0: {@code start} only). */
    public record Value(int start, int end, int step) {
        boolean matches(int v) {
            if (v < start || v > end) return false;
            return step == 0 ? v == start : (v - start) % step == 0;
        }

        static boolean any(List<Value> list, int v) {
            if (list.isEmpty()) return true;
            for (Value x : list) if (x.matches(v)) return true;
            return false;
        }
    }

    /** Parse errors carry PVE's message. */
    public static final class ParseException extends IllegalArgumentException {
        public ParseException(String message) { super(message); }
    }

    /** The last year an event may fall into (the limit systemd and PVE parse years with). */
    public static final int MAX_YEAR = 2199;

    private static final String[] DAY_NAMES = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    private static final String[] LONG_DAY_NAMES = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

    /** Bit i set: weekday i (0 = Monday … 6 = Sunday) matches; 0 means every day. */
    private final int weekdays;
    private final List<Value> years, months, days, hours, minutes, seconds;
    private final boolean utc;

    private CalendarEvent(int weekdays, List<Value> years, List<Value> months, List<Value> days,
                          List<Value> hours, List<Value> minutes, List<Value> seconds, boolean utc) {
        this.weekdays = weekdays;
        this.years = List.copyOf(years);
        this.months = List.copyOf(months);
        this.days = List.copyOf(days);
        this.hours = List.copyOf(hours);
        this.minutes = List.copyOf(minutes);
        this.seconds = List.copyOf(seconds);
        this.utc = utc;
    }

    public boolean utc() { return utc; }

    /** Parses {@code text}; throws {@link ParseException} with PVE's message when it is not a calendar event. */
    public static CalendarEvent parse(String text) {
        String s = text.strip();
        boolean utc = false;
        if (s.length() >= 3 && s.regionMatches(true, s.length() - 3, "UTC", 0, 3)
                && (s.length() == 3 || s.charAt(s.length() - 4) == ' ')) {
            utc = true;
            s = s.substring(0, s.length() - 3).stripTrailing();
        }
        List<Value> zero = List.of(new Value(0, 0, 0));
        List<Value> all = List.of();
        switch (s) {
            case "minutely": return new CalendarEvent(0, all, all, all, all, all, zero, utc);
            case "hourly": return new CalendarEvent(0, all, all, all, all, zero, zero, utc);
            case "daily": return new CalendarEvent(0, all, all, all, zero, zero, zero, utc);
            case "weekly": return new CalendarEvent(1, all, all, all, zero, zero, zero, utc);
            case "monthly": return new CalendarEvent(0, all, all, List.of(new Value(1, 1, 0)), zero, zero, zero, utc);
            case "yearly", "annually": return new CalendarEvent(0, all, List.of(new Value(1, 1, 0)), List.of(new Value(1, 1, 0)), zero, zero, zero, utc);
            case "quarterly": return new CalendarEvent(0, all, singles(1, 4, 7, 10), List.of(new Value(1, 1, 0)), zero, zero, zero, utc);
            case "semiannually", "semi-annually": return new CalendarEvent(0, all, singles(1, 7), List.of(new Value(1, 1, 0)), zero, zero, zero, utc);
            default: break;
        }
        return new Parser(s, utc).event();
    }

    private static List<Value> singles(int... v) {
        List<Value> l = new ArrayList<>();
        for (int x : v) l.add(new Value(x, x, 0));
        return l;
    }

    /** The first event time strictly after {@code after} (epoch seconds), in {@code zone} unless the event is UTC; empty if none up to {@link #MAX_YEAR}. */
    public OptionalLong next(long after, ZoneId zone) {
        ZoneId z = utc ? ZoneOffset.UTC : zone;
        long start = after + 1;
        LocalDateTime from = LocalDateTime.ofInstant(Instant.ofEpochSecond(start), z);
        LocalDate d = from.toLocalDate();
        // a DST change can put an earlier local time after `start`: look from three hours back, the epoch check decides
        LocalTime firstTime = from.getHour() >= 3 ? from.toLocalTime().minusHours(3) : LocalTime.MIDNIGHT;
        boolean firstDay = true;
        while (d.getYear() <= MAX_YEAR) {
            if (!Value.any(years, d.getYear())) {
                d = LocalDate.of(d.getYear() + 1, 1, 1); firstDay = false; continue;
            }
            if (!Value.any(months, d.getMonthValue())) {
                d = d.withDayOfMonth(1).plusMonths(1); firstDay = false; continue;
            }
            if (Value.any(days, d.getDayOfMonth()) && weekdayMatches(d.getDayOfWeek())) {
                OptionalLong t = firstInDay(d, firstDay ? firstTime : LocalTime.MIDNIGHT, z, start);
                if (t.isPresent()) return t;
            }
            d = d.plusDays(1);
            firstDay = false;
        }
        return OptionalLong.empty();
    }

    /** Whether the event fires at {@code epoch} (local time in {@code zone} unless the event is UTC). */
    public boolean matches(long epoch, ZoneId zone) {
        LocalDateTime t = LocalDateTime.ofInstant(Instant.ofEpochSecond(epoch), utc ? ZoneOffset.UTC : zone);
        return Value.any(years, t.getYear()) && Value.any(months, t.getMonthValue()) && Value.any(days, t.getDayOfMonth())
                && weekdayMatches(t.getDayOfWeek()) && Value.any(hours, t.getHour()) && Value.any(minutes, t.getMinute())
                && Value.any(seconds, t.getSecond());
    }

    private boolean weekdayMatches(DayOfWeek dow) {
        return weekdays == 0 || (weekdays & (1 << (dow.getValue() - 1))) != 0;
    }

    private OptionalLong firstInDay(LocalDate d, LocalTime from, ZoneId z, long start) {
        for (int h = from.getHour(); h < 24; h++) {
            if (!Value.any(hours, h)) continue;
            int m0 = h == from.getHour() ? from.getMinute() : 0;
            for (int m = m0; m < 60; m++) {
                if (!Value.any(minutes, m)) continue;
                int s0 = h == from.getHour() && m == from.getMinute() ? from.getSecond() : 0;
                for (int s = s0; s < 60; s++) {
                    if (!Value.any(seconds, s)) continue;
                    LocalDateTime ldt = LocalDateTime.of(d, LocalTime.of(h, m, s));
                    ZonedDateTime zdt = ZonedDateTime.of(ldt, z);
                    if (!zdt.toLocalDateTime().equals(ldt)) continue; // a local time skipped by a DST change
                    long e = zdt.toEpochSecond();
                    if (e >= start) return OptionalLong.of(e);
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Recursive-descent parser over the text after the named forms and the UTC suffix were handled. */
    private static final class Parser {
        private final String s;
        private final boolean utc;
        private int pos;

        Parser(String s, boolean utc) { this.s = s; this.utc = utc; }

        ParseException error(int at, String what) {
            return new ParseException("unable to parse calendar event at '" + s.substring(Math.min(at, s.length())) + "' - " + what);
        }

        CalendarEvent event() {
            int weekdays = 0;
            boolean hasDays = false, hasDate = false, hasTime = false;
            List<Value> years = List.of(), months = List.of(), days = List.of();
            List<Value> hours = List.of(new Value(0, 0, 0)), minutes = hours, seconds = hours;
            if (pos < s.length() && isAlpha(s.charAt(pos))) {
                do {
                    weekdays |= weekdayRange();
                } while (eat(","));
                hasDays = true;
                spaces();
            }
            int mark = pos;
            List<List<Value>> date = dateSpec();
            if (date != null) {
                years = date.get(0); months = date.get(1); days = date.get(2);
                hasDate = true;
                spaces();
            } else {
                pos = mark;
            }
            mark = pos;
            List<List<Value>> time = timeSpec();
            if (time != null) {
                hours = time.get(0); minutes = time.get(1); seconds = time.get(2);
                hasTime = true;
            } else {
                pos = mark;
            }
            if (!(hasDays || hasDate || hasTime)) throw error(pos, "Context(\"date or time specification\")");
            if (pos < s.length()) throw error(pos, "Nom(Eof)");
            return new CalendarEvent(weekdays, years, months, days, hours, minutes, seconds, utc);
        }

        private int weekdayRange() {
            int start = weekday();
            if (!eat("..")) return 1 << start;
            int end = weekday();
            int mask = 0;
            for (int d = start; ; d = (d + 1) % 7) {
                mask |= 1 << d;
                if (d == end) break;
            }
            return mask;
        }

        private int weekday() {
            int b = pos;
            while (pos < s.length() && isAlpha(s.charAt(pos))) pos++;
            if (pos == b) throw error(b, "Nom(Alpha)");
            String w = s.substring(b, pos).toLowerCase(Locale.ROOT);
            for (int i = 0; i < 7; i++) if (w.equals(DAY_NAMES[i]) || w.equals(LONG_DAY_NAMES[i])) return i;
            throw error(b, "Context(\"weekday\")");
        }

        /** {@code [YEARS-]MONTHS-DAYS}, or null (position unspecified) when the text is not a date. */
        private List<List<Value>> dateSpec() {
            int mark = pos;
            try {
                List<Value> y = compList(0, 2200);
                if (eat("-")) {
                    List<Value> m = compList(1, 13);
                    if (eat("-")) {
                        List<Value> d = compList(1, 32);
                        return List.of(y, m, d);
                    }
                }
            } catch (ParseException e) {
                // try the short form
            }
            pos = mark;
            try {
                List<Value> m = compList(1, 13);
                if (eat("-")) {
                    List<Value> d = compList(1, 32);
                    return List.of(List.of(), m, d);
                }
            } catch (ParseException e) {
                // not a date
            }
            return null;
        }

        /** {@code [HOURS:]MINUTES[:SECONDS]}, or null when the text is not a time; a value error is thrown. */
        private List<List<Value>> timeSpec() {
            int mark = pos;
            List<Value> hours = List.of();
            try {
                List<Value> h = compList(0, 24);
                if (eat(":")) hours = h; else pos = mark;
            } catch (ParseException e) {
                pos = mark;
            }
            if (pos >= s.length() || !(Character.isDigit(s.charAt(pos)) || s.charAt(pos) == '*')) {
                if (pos == mark) return null;
                throw error(pos, "Nom(Digit)");
            }
            List<Value> minutes = compList(0, 60);
            List<Value> seconds = List.of(new Value(0, 0, 0));
            if (eat(":")) seconds = compList(0, 60);
            return List.of(hours, minutes, seconds);
        }

        /** A {@code ,}-list of values below {@code max}, or {@code *} (all) / {@code *}{@code /N}. */
        private List<Value> compList(int min, int max) {
            if (eat("*")) {
                if (eat("/")) {
                    int rep = number(max);
                    return List.of(new Value(min, max - 1, rep));
                }
                return List.of();
            }
            List<Value> l = new ArrayList<>();
            do {
                l.add(comp(max));
            } while (eat(","));
            return l;
        }

        private Value comp(int max) {
            int v = number(max);
            if (eat("..")) {
                int end = number(max);
                if (v > end) throw error(pos, "Context(\"range start is bigger than end\")");
                if (eat("/")) return new Value(v, end, number(max));
                return new Value(v, end, 1);
            }
            if (eat("/")) return new Value(v, max - 1, number(max));
            return new Value(v, v, 0);
        }

        private int number(int max) {
            int b = pos;
            while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) pos++;
            if (pos == b) throw error(b, "Nom(Digit)");
            long v;
            try {
                v = Long.parseLong(s.substring(b, pos));
            } catch (NumberFormatException e) {
                v = Long.MAX_VALUE;
            }
            if (v >= max) throw error(pos, "Context(\"time value too large\")");
            return (int) v;
        }

        private boolean eat(String t) {
            if (s.startsWith(t, pos)) { pos += t.length(); return true; }
            return false;
        }

        private void spaces() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) pos++;
        }

        private static boolean isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
    }
}
