package org.haven.backup.notify;

import java.util.Map;

/**
 * One notification: severity, title, message body, metadata fields matchers look at ({@code type},
 * {@code hostname}, {@code job-id}, …), the time it was raised (epoch seconds) and, where its template has
 * one, an HTML body made from the same data (the mail targets send both; null for none).
 */
public record Notification(Severity severity, String title, String message, Map<String, String> fields, long timestamp, String html) {

    public enum Severity {
        INFO, NOTICE, WARNING, ERROR, UNKNOWN;

        public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

        /** Parses PVE's names; unknown names are refused with PVE's message. */
        public static Severity of(String s) {
            for (Severity v : values()) if (v.label().equals(s.strip())) return v;
            throw new IllegalArgumentException("invalid severity '" + s + "'");
        }
    }

    public Notification {
        fields = Map.copyOf(fields);
    }

    /** A notification with a plain text body only. */
    public Notification(Severity severity, String title, String message, Map<String, String> fields, long timestamp) {
        this(severity, title, message, fields, timestamp, null);
    }

    /** PVE's test notification for target {@code target}. */
    public static Notification test(String target, long now) {
        return new Notification(Severity.INFO, "Test notification", "This is a test of the notification target '" + target + "'.", Map.of(), now);
    }
}
