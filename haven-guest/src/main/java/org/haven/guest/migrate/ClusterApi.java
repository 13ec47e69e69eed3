package org.haven.guest.migrate;

import java.util.Map;

import tools.jackson.databind.JsonNode;

/**
 * Calls to another node's API ({@code /api2/json}), as PVE's migration runs {@code qm start/resume/stop} on the
 * target. Implemented over HTTPS between nodes by {@link HttpsClusterApi}; tests may substitute it.
 */
public interface ClusterApi {

    /** Call {@code path} on {@code node}; the {@code data} of the answer; throws {@link CallException} for a non-2xx status. */
    JsonNode call(String node, String method, String path, Map<String, ?> params);

    /** Call a {@code /nodes/<node>/…} path on that node. */
    default JsonNode call(String method, String path, Map<String, ?> params) {
        String node = null;
        if (path.startsWith("/nodes/")) {
            int end = path.indexOf('/', 7);
            node = end < 0 ? path.substring(7) : path.substring(7, end);
        }
        if (node == null) throw new CallException(500, "no node in path '" + path + "'", null);
        return call(node, method, path, params);
    }

    /**
     * Stream a volume export to {@code node}, which imports it as {@code volid} (or the next free name) in
     * {@code format}; {@code writer} writes the export stream. Returns the volume ID written on {@code node}.
     */
    default String importVolume(String node, String volid, String format, boolean withSnapshots,
                                java.util.function.Consumer<java.io.OutputStream> writer) {
        return stream(node, VolumeImportHandler.PATH, Map.of("volume", volid, "format", format, "with-snapshots", withSnapshots ? 1 : 0), writer);
    }

    /**
     * Stream an incremental or full export between two snapshots to {@code node} (a replication run): the target
     * imports {@code snapshot} (from {@code base} when not null) into {@code volid} itself, never under another name.
     */
    default String importVolume(String node, String volid, String format, boolean withSnapshots, String snapshot, String base,
                                java.util.function.Consumer<java.io.OutputStream> writer) {
        Map<String, Object> q = new java.util.LinkedHashMap<>(Map.of("volume", volid, "format", format, "with-snapshots", withSnapshots ? 1 : 0,
                "snapshot", snapshot, "allow-rename", 0));
        if (base != null) q.put("base", base);
        return stream(node, VolumeImportHandler.PATH, q, writer);
    }

    /**
     * A {@link PeerHandler} operation on {@code node}: {@code PUT path?params} with the body {@code writer} writes;
     * returns the answer's {@code data}.
     */
    default String stream(String node, String path, Map<String, ?> params, java.util.function.Consumer<java.io.OutputStream> writer) {
        throw new CallException(501, "node-to-node transfers are not supported", null);
    }

    /** True when {@code node} answers at all. */
    boolean reachable(String node);

    /** The address other nodes use to reach {@code node} (its API endpoint's host), or null when unknown. */
    String address(String node);

    /** A failed call: the HTTP status (595 when the node cannot be reached) and PVE's message. */
    final class CallException extends RuntimeException {
        private final int status;
        private final Map<String, String> errors;

        public CallException(int status, String message, Map<String, String> errors) {
            super(message);
            this.status = status;
            this.errors = errors == null ? Map.of() : Map.copyOf(errors);
        }

        public int status() { return status; }
        public Map<String, String> errors() { return errors; }

        @Override public String getMessage() {
            if (errors.isEmpty()) return super.getMessage();
            StringBuilder sb = new StringBuilder(super.getMessage());
            errors.forEach((k, v) -> sb.append('\n').append(k).append(": ").append(v));
            return sb.toString();
        }
    }
}
