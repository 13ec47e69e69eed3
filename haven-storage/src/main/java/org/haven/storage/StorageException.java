package org.haven.storage;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A storage operation failed. The message follows PVE's wording. {@code fieldErrors} carries per-parameter
 * errors (the API turns them into HTTP 400 with an {@code errors} object, as PVE does).
 */
public class StorageException extends RuntimeException {
    private final Map<String, String> fieldErrors;

    public StorageException(String message) {
        this(message, Map.of(), null);
    }

    public StorageException(String message, Throwable cause) {
        this(message, Map.of(), cause);
    }

    public StorageException(String message, Map<String, String> fieldErrors, Throwable cause) {
        super(message, cause);
        this.fieldErrors = Collections.unmodifiableMap(new TreeMap<>(fieldErrors));
    }

    /** Parameter-name → message, empty when the error is not tied to parameters. */
    public Map<String, String> fieldErrors() { return fieldErrors; }

    /** An error about parameters: message "Parameter verification failed." plus the field map. */
    public static StorageException params(Map<String, String> errors) {
        return new StorageException("Parameter verification failed.", errors, null);
    }

    public static StorageException param(String key, String message) {
        return params(Map.of(key, message));
    }
}
