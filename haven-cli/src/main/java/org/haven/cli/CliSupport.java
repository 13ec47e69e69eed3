package org.haven.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import tools.jackson.databind.JsonNode;

/** Shared pieces of the tools: error text, task following, path templates. */
public final class CliSupport {
    private CliSupport() {}

    static final Pattern UPID = Pattern.compile("^UPID:([a-zA-Z0-9][a-zA-Z0-9\\-]*):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\\s]+:[^:\\s]*:[^:\\s]+:$");

    /** Print an API error as PVE's tools do. */
    static void printError(PrintStream err, ApiClient.ApiCallException e) {
        if (e.status() == 400 && !e.errors().isEmpty()) {
            err.println("400 Parameter verification failed.");
            e.errors().forEach((k, v) -> err.println(k + ": " + v.strip()));
        } else {
            err.println(e.getMessage());
        }
    }

    /**
     * Follow a task: print its log lines as they appear (without the final {@code TASK …} line) and return 0
     * when it ended OK (or with warnings), 255 otherwise, printing the error.
     */
    public static int follow(ApiClient client, String upid, PrintStream out, PrintStream err) {
        Matcher m = UPID.matcher(upid);
        if (!m.matches()) { out.println(upid); return 0; }
        String node = m.group(1);
        String base = "/nodes/" + node + "/tasks/" + upid;
        int seen = 0;
        long sleep = 50;
        while (true) {
            JsonNode status = client.call(HttpMethod.GET, base + "/status", Map.of());
            boolean running = "running".equals(status.path("status").asString());
            JsonNode lines = client.call(HttpMethod.GET, base + "/log", Map.of("start", seen, "limit", 0));
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

    /** Replace {@code {param}} segments with values taken (and removed) from {@code params}. */
    static String fillPath(String template, Map<String, Object> params) {
        Matcher m = Pattern.compile("\\{([A-Za-z0-9_-]+)\\}").matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = params.remove(m.group(1));
            if (v == null) throw new IllegalArgumentException("missing value for path parameter '" + m.group(1) + "'");
            m.appendReplacement(sb, Matcher.quoteReplacement(String.valueOf(v)));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static Map<String, Object> copy(Map<String, Object> m) { return new LinkedHashMap<>(m); }

    static Output.Options outputOptions(picocli.CommandLine.ParseResult pr, CliEnv env) {
        String f = OptionBinder.formatOption(pr, "output-format");
        Output.Format fmt = f == null ? Output.Format.TEXT : Output.Format.parse(f);
        boolean noborder = truthy(OptionBinder.formatOption(pr, "noborder"));
        boolean noheader = truthy(OptionBinder.formatOption(pr, "noheader"));
        return new Output.Options(fmt, !noborder, !noheader, env.utf8());
    }

    static boolean truthy(String v) { return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("on")); }
}
