package org.haven.api.server;

import java.util.Map;

/**
 * The outcome of a request: HTTP status, {@code data}, field errors (400), the status message, extra
 * top-level attributes of the envelope (PVE's result attributes such as {@code total}) and who made the
 * request (for the access log; null when unauthenticated).
 */
public record ApiResponse(int status, Object data, Map<String, String> errors, String message, Map<String, Object> attributes, String authid) {
    public ApiResponse(int status, Object data, Map<String, String> errors, String message, Map<String, Object> attributes) {
        this(status, data, errors, message, attributes, null);
    }
    public ApiResponse(int status, Object data, Map<String, String> errors, String message) { this(status, data, errors, message, null, null); }
    public static ApiResponse ok(Object data) { return new ApiResponse(200, data, null, null, null, null); }
    public static ApiResponse error(int status, String message) { return new ApiResponse(status, null, null, message, null, null); }

    public ApiResponse withAuthid(String a) { return new ApiResponse(status, data, errors, message, attributes, a); }
}
