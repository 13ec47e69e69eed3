package org.haven.firewall.log;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The firewall log's lines, as PVE's {@code pvefw-logger} writes them to {@code pve-firewall.log}:
 * {@code VMID LEVEL CHAIN DD/Mon/YYYY:HH:MM:SS +ZZZZ ACTION: PACKET} (VMID 0 for host rules, chain {@code -} for
 * the logger's own lines). The compiled rules log with the prefix {@code :VMID:LEVEL:CHAIN: ACTION: }; the kernel
 * appends the packet and hands the record to {@code /dev/kmsg} ({@code PRI,SEQ,MICROS,FLAGS;TEXT}).
 */
public final class FwLog {
    private FwLog() {}

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
    private static final Pattern KMSG = Pattern.compile("^\\d+,\\d+,(\\d+),[^;]*;(.*)$");
    private static final Pattern PREFIX = Pattern.compile("^:(\\d+):(\\d):([^:\\s]+): ((?:policy )?[A-Z]+): (.*)$");
    private static final Pattern LINE_TIME = Pattern.compile("^\\d+ \\d+ \\S+ (\\d\\d/[A-Za-z]{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}) ");

    /** A log line; {@code text} starts with the action ({@code ACCEPT: IN=…}, {@code policy DROP: …}) or is the logger's message. */
    public static String line(String vmid, int level, String chain, Instant time, ZoneId zone, String text) {
        return vmid + " " + level + " " + chain + " " + TIME.format(ZonedDateTime.ofInstant(time, zone)) + " " + text;
    }

    /**
     * The log line of one {@code /dev/kmsg} record, when it is a packet the firewall logged; {@code bootEpochMicros}
     * is the wall-clock time of the boot in microseconds (the record's time counts from the boot).
     */
    public static Optional<String> fromKmsg(String record, long bootEpochMicros, ZoneId zone) {
        Matcher k = KMSG.matcher(record);
        if (!k.matches()) return Optional.empty();
        Matcher p = PREFIX.matcher(k.group(2));
        if (!p.matches()) return Optional.empty();
        long micros = bootEpochMicros + Long.parseLong(k.group(1));
        Instant t = Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000);
        String packet = p.group(5).strip();
        return Optional.of(line(p.group(1), Integer.parseInt(p.group(2)), p.group(3), t, zone, p.group(4) + ": " + packet));
    }

    /** The time of a log line, when it has one. */
    public static Optional<Instant> time(String line) {
        Matcher m = LINE_TIME.matcher(line);
        if (!m.find()) return Optional.empty();
        try {
            return Optional.of(ZonedDateTime.parse(m.group(1), TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * The lines a log method shows: of guest {@code vmid} (null: all), logged within {@code since}..{@code until}
     * (epoch seconds, inclusive; null: unbounded; a line without a time is shown only when both are null).
     */
    public static Predicate<String> filter(Integer vmid, Long since, Long until) {
        Predicate<String> f = vmid == null ? l -> true : l -> l.startsWith(vmid + " ");
        if (since == null && until == null) return f;
        return f.and(l -> time(l).map(t -> (since == null || t.getEpochSecond() >= since) && (until == null || t.getEpochSecond() <= until)).orElse(false));
    }
}
