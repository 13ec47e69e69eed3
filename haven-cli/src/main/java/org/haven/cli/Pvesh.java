package org.haven.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.JsonNode;

/**
 * {@code pvesh get|set|create|delete|ls|usage <api_path> [OPTIONS] [FORMAT_OPTIONS]}: the whole API tree from
 * the shell, with options taken from each method's schema.
 */
public final class Pvesh {
    private static final Map<String, HttpMethod> VERBS = Map.of(
            "get", HttpMethod.GET, "set", HttpMethod.PUT, "create", HttpMethod.POST, "delete", HttpMethod.DELETE);

    private final CliEnv env;
    private SocketClient client;

    public Pvesh(CliEnv env) { this.env = env; }

    private SocketClient client() {
        if (client == null) client = new SocketClient(env.socket());
        return client;
    }

    static void help(PrintStream s) {
        s.println("USAGE: pvesh <COMMAND> [ARGS] [OPTIONS]");
        s.println("       pvesh create <api_path> [OPTIONS] [FORMAT_OPTIONS]");
        s.println("       pvesh delete <api_path> [OPTIONS] [FORMAT_OPTIONS]");
        s.println("       pvesh get <api_path> [OPTIONS] [FORMAT_OPTIONS]");
        s.println("       pvesh ls <api_path> [OPTIONS] [FORMAT_OPTIONS]");
        s.println("       pvesh set <api_path> [OPTIONS] [FORMAT_OPTIONS]");
        s.println("       pvesh usage <api_path> [OPTIONS]");
        s.println();
        s.println("       pvesh help [<extra-args>] [OPTIONS]");
    }

    public int run(List<String> args) {
        PrintStream out = env.out();
        PrintStream err = env.err();
        if (args.isEmpty()) {
            err.println("ERROR: no command specified");
            help(err);
            return 255;
        }
        String cmd = args.get(0);
        if (cmd.equals("help") || cmd.equals("--help")) { help(out); return 0; }
        if (!VERBS.containsKey(cmd) && !cmd.equals("ls") && !cmd.equals("usage")) {
            err.println("ERROR: unknown command 'pvesh " + cmd + "'");
            help(err);
            return 255;
        }
        if (args.size() < 2 || args.get(1).startsWith("-")) {
            err.println("400 not enough arguments");
            err.println("pvesh " + cmd + " <api_path> [OPTIONS]" + (cmd.equals("usage") ? "" : " [FORMAT_OPTIONS]"));
            return 255;
        }
        String path = normalize(args.get(1));
        List<String> rest = args.subList(2, args.size());
        if ((rest.contains("--help") || rest.contains("-help")) && !cmd.equals("usage")) {
            List<String> u = new java.util.ArrayList<>(List.of("usage", args.get(1), "--verbose"));
            if (VERBS.containsKey(cmd)) u.addAll(List.of("--command", cmd));
            return run(u);
        }
        try {
            JsonNode node = client().describe(path);
            if (node == null) {
                err.println("no such resource '" + path + "'");
                return 255;
            }
            return switch (cmd) {
                case "ls" -> ls(path, node, rest);
                case "usage" -> usage(path, node, rest);
                default -> call(cmd, path, node, rest);
            };
        } catch (ApiClient.ApiCallException e) {
            CliSupport.printError(err, e);
            return 255;
        }
    }

    static String normalize(String p) {
        String s = ("/" + p).replaceAll("/+", "/");
        if (s.length() > 1 && s.endsWith("/")) s = s.substring(0, s.length() - 1);
        return s;
    }

    private int call(String cmd, String path, JsonNode node, List<String> rest) {
        HttpMethod m = VERBS.get(cmd);
        JsonNode info = node.path("info").get(m.name());
        if (info == null) {
            env.err().println("no '" + cmd + "' handler for '" + path + "'");
            return 255;
        }
        Set<String> pathParams = new TreeSet<>();
        java.util.regex.Matcher pm = java.util.regex.Pattern.compile("\\{([A-Za-z0-9_-]+)\\}").matcher(node.path("path").asString());
        while (pm.find()) pathParams.add(pm.group(1));
        CommandSpec spec = CommandSpec.create().name("pvesh " + cmd);
        OptionBinder.bind(spec, info, List.of(), pathParams, true);
        CommandLine.ParseResult pr;
        try {
            pr = new CommandLine(spec).parseArgs(rest.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            env.err().println(e.getMessage());
            env.err().println("400 unable to parse option");
            env.err().println("pvesh " + cmd + " <api_path> [OPTIONS] [FORMAT_OPTIONS]");
            return 255;
        }
        Map<String, Object> params = OptionBinder.params(pr, List.of());
        Output.Options o = CliSupport.outputOptions(pr, env);
        JsonNode data = client().call(m, path, params);
        JsonNode returns = info.get("returns");
        if (data.isString() && CliSupport.UPID.matcher(data.asString()).matches() && o.format() == Output.Format.TEXT) {
            int rc = CliSupport.follow(client(), data.asString(), env.out(), env.err());
            if (rc != 0) return rc;
        }
        if (CliSupport.truthy(OptionBinder.formatOption(pr, "quiet"))) return 0;
        if (returns != null && returns.has("links") && data.isArray() && o.format() == Output.Format.TEXT) {
            // directory listings: show the entries
            Output.print(env.out(), data, returns, null, o);
            return 0;
        }
        Output.print(env.out(), data, returns, null, o);
        return 0;
    }

    private int ls(String path, JsonNode node, List<String> rest) {
        CommandSpec spec = CommandSpec.create().name("pvesh ls");
        JsonNode getInfo = node.path("info").get("GET");
        Set<String> pathParams = new TreeSet<>();
        java.util.regex.Matcher pm = java.util.regex.Pattern.compile("\\{([A-Za-z0-9_-]+)\\}").matcher(node.path("path").asString());
        while (pm.find()) pathParams.add(pm.group(1));
        OptionBinder.bind(spec, getInfo, List.of(), pathParams, true);
        CommandLine.ParseResult pr;
        try {
            pr = new CommandLine(spec).parseArgs(rest.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            env.err().println(e.getMessage());
            env.err().println("400 unable to parse option");
            return 255;
        }
        Map<String, JsonNode> childByText = new LinkedHashMap<>();
        JsonNode paramChild = null;
        for (JsonNode c : node.path("children")) {
            String t = c.path("text").asString();
            if (t.startsWith("{")) paramChild = c; else childByText.put(t, c);
        }
        List<String[]> rows = new ArrayList<>();
        if (getInfo != null && getInfo.path("returns").has("links")) {
            String href = getInfo.path("returns").path("links").get(0).path("href").asString("{name}");
            String key = href.replaceAll("[{}]", "");
            JsonNode data = client().call(HttpMethod.GET, path, OptionBinder.params(pr, List.of()));
            for (JsonNode item : data) {
                String name = item.isObject() ? item.path(key).asString("") : item.asString();
                if (name.isEmpty()) continue;
                JsonNode c = childByText.getOrDefault(name, paramChild);
                rows.add(new String[] {flags(c), name});
            }
        } else {
            for (Map.Entry<String, JsonNode> e : childByText.entrySet()) rows.add(new String[] {flags(e.getValue()), e.getKey()});
        }
        rows.sort((a, b) -> a[1].compareTo(b[1]));
        for (String[] r : rows) env.out().println(r[0] + "        " + r[1]);
        return 0;
    }

    /** PVE's ls flags: D(irectory), r(GET) w(PUT) c(POST) d(DELETE). */
    static String flags(JsonNode child) {
        if (child == null) return "-----";
        Set<String> ms = new TreeSet<>();
        for (JsonNode m : child.path("methods")) ms.add(m.asString());
        return (child.path("leaf").asInt(1) == 0 ? "D" : "-")
                + (ms.contains("GET") ? "r" : "-") + (ms.contains("PUT") ? "w" : "-")
                + (ms.contains("POST") ? "c" : "-") + (ms.contains("DELETE") ? "d" : "-");
    }

    private int usage(String path, JsonNode node, List<String> rest) {
        boolean verbose = rest.contains("--verbose") || rest.contains("-v") || rest.contains("-verbose");
        String only = null;
        for (int i = 0; i < rest.size() - 1; i++) if (rest.get(i).replaceFirst("^-+", "").equals("command")) only = rest.get(i + 1);
        PrintStream out = env.out();
        boolean any = false;
        for (String cmd : List.of("get", "set", "create", "delete")) {
            if (only != null && !only.equals(cmd)) continue;
            JsonNode info = node.path("info").get(VERBS.get(cmd).name());
            if (info == null) continue;
            any = true;
            out.println("USAGE: pvesh " + cmd + " " + node.path("path").asString() + " [OPTIONS] [FORMAT_OPTIONS]");
            if (verbose) {
                String d = info.path("description").asString("");
                if (!d.isEmpty()) { out.println(); out.println("  " + d.replace("\n", "\n  ")); }
                Set<String> pathParams = new TreeSet<>();
                java.util.regex.Matcher pm = java.util.regex.Pattern.compile("\\{([A-Za-z0-9_-]+)\\}").matcher(node.path("path").asString());
                while (pm.find()) pathParams.add(pm.group(1));
                printParams(out, info, List.of(), pathParams);
                out.println();
            }
        }
        if (!any) {
            env.err().println("no methods for '" + path + "'");
            return 255;
        }
        return 0;
    }

    /** Option list of a method in PVE's usage style. */
    static void printParams(PrintStream out, JsonNode info, List<String> positional, Iterable<String> fixed) {
        JsonNode props = info.path("parameters").get("properties");
        if (props == null || props.isEmpty()) return;
        Set<String> skip = new TreeSet<>();
        fixed.forEach(skip::add);
        out.println();
        for (String p : positional) {
            JsonNode s = props.get(p);
            if (s == null) continue;
            out.printf("  %-28s %s%n", "<" + p + ">", OptionBinder.typetext(s));
            wrapDescription(out, s);
        }
        for (String name : new TreeSet<>(props.propertyNames())) {
            if (skip.contains(name) || positional.contains(name)) continue;
            JsonNode s = props.get(name);
            String def = s.has("default") ? " (default=" + Output.scalar(s.get("default")) + ")" : "";
            out.printf("  %-28s %s%s%n", "--" + name, OptionBinder.typetext(s), def);
            wrapDescription(out, s);
        }
    }

    private static void wrapDescription(PrintStream out, JsonNode s) {
        String d = s.path("description").asString("");
        if (d.isEmpty()) return;
        out.println("             " + d.replace("\n", "\n             "));
        out.println();
    }
}
