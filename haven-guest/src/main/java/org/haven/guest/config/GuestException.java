package org.haven.guest.config;

import java.util.Map;
import java.util.TreeMap;

/**
 * A guest operation failed with PVE's message. {@code status} is the HTTP status the API answers with
 * (PVE's {@code die} without a code is 500); {@code errors} holds per-parameter messages for 400 answers.
 */
public class GuestException extends RuntimeException {
    private final int status;
    private final TreeMap<String, String> errors;

    public GuestException(int status, String message) {
        this(status, message, Map.of());
    }

    public GuestException(int status, String message, Map<String, String> errors) {
        super(message);
        this.status = status;
        this.errors = new TreeMap<>(errors);
    }

    /** A 400 "Parameter verification failed." with field errors. */
    public static GuestException paramErrors(Map<String, String> errors) {
        return new GuestException(400, "Parameter verification failed.", errors);
    }

    public static GuestException param(String key, String message) {
        return paramErrors(Map.of(key, message));
    }

    public int status() { return status; }
    public TreeMap<String, String> errors() { return errors; }

    @Override public String getMessage() {
        if (errors.isEmpty()) return super.getMessage();
        StringBuilder sb = new StringBuilder(super.getMessage());
        errors.forEach((k, v) -> sb.append('\n').append(k).append(": ").append(v));
        return sb.toString();
    }
}
