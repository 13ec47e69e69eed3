package org.haven.core.calendar;

import java.io.PrintStream;
import java.time.ZoneId;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@code haven calendar SPEC [--from EPOCH] [--iterations N]}: prints the next N (default 1) event times of a
 * calendar event as epoch seconds, one per line, each strictly after the one before (the first after
 * {@code --from}, default now). An invalid event prints PVE's message and returns 255.
 */
public final class CalendarCommand {
    private CalendarCommand() {}

    public static final String USAGE = "USAGE: haven calendar <schedule> [--from EPOCH] [--iterations N]";

    public static int run(List<String> args, long now, ZoneId zone, PrintStream out, PrintStream err) {
        String spec = null;
        long from = now;
        long iterations = 1;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) { v = a.substring(eq + 1); a = a.substring(0, eq); }
            if (a.equals("--from") || a.equals("--iterations")) {
                if (v == null) {
                    if (i + 1 >= args.size()) { err.println("400 Parameter verification failed.\n" + a.substring(2) + ": value missing"); err.println(USAGE); return 255; }
                    v = args.get(++i);
                }
                long n;
                try {
                    n = Long.parseLong(v.strip());
                } catch (NumberFormatException e) {
                    err.println("400 Parameter verification failed.\n" + a.substring(2) + ": type check ('integer') failed - got '" + v + "'");
                    return 255;
                }
                if (a.equals("--iterations") && (n < 1 || n > 100000)) {
                    err.println("400 Parameter verification failed.\niterations: value must be between 1 and 100000");
                    return 255;
                }
                if (a.equals("--from")) from = n; else iterations = n;
            } else if ((a.startsWith("--") && a.length() > 2) || spec != null) {
                err.println("400 too many arguments or unknown option '" + a + "'");
                err.println(USAGE);
                return 255;
            } else {
                spec = a;
            }
        }
        if (spec == null) { err.println("400 not enough arguments"); err.println(USAGE); return 255; }
        CalendarEvent event;
        try {
            event = CalendarEvent.parse(spec);
        } catch (CalendarEvent.ParseException e) {
            err.println("invalid calendar event '" + spec + "' - " + e.getMessage());
            return 255;
        }
        long t = from;
        for (long i = 0; i < iterations; i++) {
            OptionalLong next = event.next(t, zone);
            if (next.isEmpty()) break;
            t = next.getAsLong();
            out.println(t);
        }
        return 0;
    }
}
