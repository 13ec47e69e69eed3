package org.haven.api;

import java.util.Map;
import org.haven.core.schema.ParamException;

/** An API error with an HTTP status and PVE's message. */
public class ApiException extends RuntimeException {
    private final int status;

    public ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() { return status; }

    /** 403 "Permission check failed" (PVE's raise_perm_exc), optionally with the missing privilege. */
    public static ApiException forbidden(String detail) {
        return new ApiException(403, detail == null || detail.isEmpty() ? "Permission check failed" : "Permission check failed (" + detail + ")");
    }

    public static ApiException forbidden() { return forbidden(null); }

    public static ApiException unauthorized() { return new ApiException(401, "No ticket"); }

    public static ApiException notFound(String message) { return new ApiException(404, message); }

    /** 500 with a plain message (what PVE returns when a handler dies). */
    public static ApiException error(String message) { return new ApiException(500, message); }

    /** 400 with one field error (PVE's raise_param_exc). */
    public static ParamException param(String name, String message) { return new ParamException(Map.of(name, message)); }
}
