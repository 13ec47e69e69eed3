package org.haven.api.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.api.HttpMethod;
import tools.jackson.databind.JsonNode;

/** A client of the daemon's API (over the root-only Unix socket for the CLI tools). */
public interface ApiClient {

    /** Call a method; returns the {@code data} of the response. Throws {@link ApiCallException} on an error status. */
    JsonNode call(HttpMethod method, String path, Map<String, ?> params);

    /** A task's UPID ({@code UPID:node:pid:pstart:starttime:type:id:user:}); group 1 is the node. */
    Pattern UPID = Pattern.compile("^UPID:([a-zA-Z0-9][a-zA-Z0-9\\-]*):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\\s]+:[^:\\s]*:[^:\\s]+:$");

    /**
     * Follow a task: print its log lines as they appear (without the final {@code TASK …} line) and return 0
     * when it ended OK (or with warnings), 255 otherwise, printing the error.
     */
    default int followTask(String upid, PrintStream out, PrintStream err) {
        Matcher m = UPID.matcher(upid);
        if (!m.matches()) { out.println(upid); return 0; }
        String node = m.group(1);
        String base = "/nodes/" + node + "/tasks/" + upid;
        int seen = 0;
        long sleep = 50;
        while (true) {
            JsonNode status = call(HttpMethod.GET, base + "/status", Map.of());
            boolean running = "running".equals(status.path("status").asString());
            JsonNode lines = call(HttpMethod.GET, base + "/log", Map.of("start", seen, "limit", 0));
            for (JsonNode l : lines) {
                int n = l.path("n").asInt();
                if (n <= seen) continue;
                seen = n;
                String t = l.path("t").asString();
                if (!running && t.startsWith("TASK ") && n == lastLine(lines)) continue;
                out.println(t);
            }
            out.flush();
            if (!running) {
                String exit = status.path("exitstatus").asString("");
                if (exit.equals("OK") || exit.startsWith("WARNINGS")) return 0;
                err.println(exit.isEmpty() ? "unknown task status" : exit);
                return 255;
            }
            try { Thread.sleep(sleep); } catch (InterruptedException e) { Thread.currentThread().interrupt(); return 255; }
            sleep = Math.min(500, sleep * 2);
        }
    }

    private static int lastLine(JsonNode lines) {
        int max = 0;
        for (JsonNode l : lines) max = Math.max(max, l.path("n").asInt());
        return max;
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
