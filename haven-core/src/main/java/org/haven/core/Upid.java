package org.haven.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PVE task identifier {@code UPID:node:pid:pstart:starttime:type:id:user:} (pid, pstart, starttime in upper-case hex). */
public record Upid(String node, long pid, long pstart, long starttime, String type, String id, String user) {

    private static final Pattern P = Pattern.compile(
            "^UPID:([a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\\s]+):([^:\\s]*):([^:\\s]+):$");

    public static Upid parse(String text) {
        Matcher m = P.matcher(text);
        if (!m.matches()) throw new IllegalArgumentException("unable to parse worker upid '" + text + "'");
        return new Upid(m.group(1), Long.parseLong(m.group(3), 16), Long.parseLong(m.group(4), 16),
                Long.parseLong(m.group(5), 16), m.group(6), m.group(7), m.group(8));
    }

    public static boolean isValid(String text) { return P.matcher(text).matches(); }

    @Override public String toString() {
        return String.format("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, pid, pstart, starttime, type, id, user);
    }
}
