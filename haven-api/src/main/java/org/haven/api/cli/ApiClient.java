package org.haven.api.cli;

import java.util.Map;
import org.haven.api.HttpMethod;
import tools.jackson.databind.JsonNode;

/** A client of the daemon's API (over the root-only Unix socket for the CLI tools). */
public interface ApiClient {

    /** Call a method; returns the {@code data} of the response. Throws {@link ApiCallException} on an error status. */
    JsonNode call(HttpMethod method, String path, Map<String, ?> params);

    /**
     * A node-to-node operation of the daemon outside the API tree ({@code PUT <path>?<query>} with {@code body}, as
     * PVE runs such commands on a node over SSH); returns its result. Throws {@link ApiCallException} on an error.
     */
    default String peer(String path, Map<String, ?> query, byte[] body) {
        throw new ApiCallException(501, "node-to-node operations need the local daemon", null);
    }

    final class ApiCallException extends RuntimeException {
        private final int status;
        private final Map<String, String> errors;

        public ApiCallException(int status, String message, Map<String, String> errors) {
            super(message, null, false, false);
            this.status = status;
            this.errors = errors == null ? Map.of() : errors;
        }

        public int status() { return status; }

        public Map<String, String> errors() { return errors; }
    }
}
