package org.haven.core.schema;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parameter verification failed: one message per parameter, as PVE's {@code raise_param_exc}. The API
 * answers HTTP 400 with {@code {"data":null,"errors":{param:message}}}.
 */
public class ParamException extends RuntimeException {
    private final Map<String, String> errors;

    public ParamException(Map<String, String> errors) {
        super("Parameter verification failed.", null, false, false);
        this.errors = Collections.unmodifiableMap(new TreeMap<>(errors));
    }

    public static ParamException of(String param, String message) { return new ParamException(Map.of(param, message)); }

    public Map<String, String> errors() { return errors; }

    /** PVE's text form: the summary line, then one {@code param: message} line per error. */
    @Override public String getMessage() {
        StringBuilder sb = new StringBuilder("Parameter verification failed.");
        errors.forEach((k, v) -> sb.append('\n').append(k).append(": ").append(v.endsWith("\n") ? v.substring(0, v.length() - 1) : v));
        return sb.toString();
    }
}
