package org.haven.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.api.cli.ApiClient;

/** Shared pieces of the tools: error text, task following, path templates. */
public final class CliSupport {
    private CliSupport() {}

    static final Pattern UPID = ApiClient.UPID;

    /** Print an API error as PVE's tools do. */
    static void printError(PrintStream err, ApiClient.ApiCallException e) {
        if (e.status() == 400 && !e.errors().isEmpty()) {
            err.println("400 Parameter verification failed.");
            e.errors().forEach((k, v) -> err.println(k + ": " + v.strip()));
        } else {
            err.println(e.getMessage());
        }
    }

    /** Follow a task ({@link ApiClient#followTask}). */
    public static int follow(ApiClient client, String upid, PrintStream out, PrintStream err) {
        return client.followTask(upid, out, err);
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
