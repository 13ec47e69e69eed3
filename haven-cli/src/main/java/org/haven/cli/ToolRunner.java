package org.haven.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.JsonNode;

/** Runs one {@link CliTool}: picks the subcommand, binds its options from the method schema, calls the daemon. */
public final class ToolRunner {
    private final CliTool tool;
    private final CliEnv env;
    private SocketClient client;

    public ToolRunner(CliTool tool, CliEnv env) {
        this.tool = tool;
        this.env = env;
    }

    private SocketClient client() {
        if (client == null) client = new SocketClient(env.socket());
        return client;
    }

    public int run(List<String> args) throws RuntimeException {
        PrintStream out = env.out();
        PrintStream err = env.err();
        if (args.isEmpty() && match(args) == null) {
            err.println("ERROR: no command specified");
            help(err, null);
            return 255;
        }
        if (!args.isEmpty() && (args.get(0).equals("help") || args.get(0).equals("--help"))) {
            CliCommand c = args.size() > 1 ? match(args.subList(1, args.size())) : null;
            if (c != null) {
                usage(out, c, true);
            } else {
                help(out, null);
            }
            return 0;
        }
        CliCommand cmd = match(args);
        if (cmd == null) {
            err.println("ERROR: unknown command '" + tool.name() + " " + String.join(" ", args) + "'");
            help(err, null);
            return 255;
        }
        List<String> rest = args.subList(words(cmd).length, args.size());
        if (rest.contains("--help") || rest.contains("-help")) {
            usage(out, cmd, true);
            return 0;
        }
        JsonNode info = cmd.path() == null ? null : methodInfo(cmd);
        CommandSpec spec = CommandSpec.create().name(tool.name() + " " + cmd.words());
        OptionBinder.bind(spec, info, cmd.positionalParams(), cmd.fixedParams().keySet(), cmd.output() == CliCommand.Output.DEFAULT);
        CommandLine cl = new CommandLine(spec).setAbbreviatedOptionsAllowed(true);
        if (cmd.action() != null) cl.setUnmatchedArgumentsAllowed(true);
        cl.setUnmatchedOptionsArePositionalParams(false);
        CommandLine.ParseResult pr;
        try {
            pr = cl.parseArgs(rest.toArray(String[]::new));
        } catch (CommandLine.MissingParameterException e) {
            err.println("400 not enough arguments");
            usage(err, cmd, false);
            return 255;
        } catch (CommandLine.ParameterException e) {
            err.println(e.getMessage());
            err.println("400 unable to parse option");
            usage(err, cmd, false);
            return 255;
        }
        Map<String, Object> params = OptionBinder.params(pr, cmd.positionalParams());
        String localNode = null;
        for (Map.Entry<String, String> f : cmd.fixedParams().entrySet()) {
            String v = f.getValue();
            if (v.equals(CliCommand.LOCAL_NODE)) {
                if (localNode == null) localNode = localNode();
                v = localNode;
            }
            params.put(f.getKey(), v);
        }
        try {
            if (cmd.action() != null) {
                final String ln = localNode;
                final List<String> leftover = pr.unmatched();
                return cmd.action().run(new CliInvocation() {
                    @Override public Map<String, Object> params() { return params; }
                    @Override public List<String> args() { return leftover; }
                    @Override public ApiClient client() { return ToolRunner.this.client(); }
                    @Override public String localNode() { return ln != null ? ln : ToolRunner.this.localNode(); }
                    @Override public PrintStream out() { return out; }
                    @Override public PrintStream err() { return err; }
                });
            }
            Map<String, Object> body = new LinkedHashMap<>(params);
            String path = CliSupport.fillPath(cmd.path(), body);
            JsonNode data = client().call(cmd.method(), path, body);
            switch (cmd.output()) {
                case NONE -> { }
                case RAW -> { if (!data.isNull()) out.println(Output.scalar(data)); }
                case TASK -> { return data.isString() ? CliSupport.follow(client(), data.asString(), out, err) : 0; }
                case DEFAULT -> {
                    Output.Options o = CliSupport.outputOptions(pr, env);
                    if (CliSupport.truthy(OptionBinder.formatOption(pr, "quiet"))) return 0;
                    if (cmd.printer() != null && o.format() == Output.Format.TEXT) cmd.printer().print(data, out);
                    else Output.print(out, data, info == null ? null : info.get("returns"), cmd.columns(), o);
                }
            }
            return 0;
        } catch (ApiClient.ApiCallException e) {
            CliSupport.printError(err, e);
            return 255;
        } catch (Exception e) {
            err.println(e.getMessage() == null ? e.toString() : e.getMessage());
            return 255;
        }
    }

    private String localNode() {
        SocketClient.Response r = client().request("GET", "/api2/haven/node", null, null);
        if (r.status() != 200) throw new ApiClient.ApiCallException(r.status(), "unable to get the local node name", null);
        return SocketClient.JSON.readTree(r.body()).get("data").asString();
    }

    private JsonNode methodInfo(CliCommand cmd) {
        JsonNode d = client().describe(cmd.path());
        if (d == null) throw new IllegalStateException("no such API path '" + cmd.path() + "'");
        JsonNode info = d.path("info").get(cmd.method().name());
        if (info == null) throw new IllegalStateException("no '" + cmd.method() + "' handler for '" + cmd.path() + "'");
        return info;
    }

    CliCommand match(List<String> args) {
        CliCommand best = null;
        int bestLen = 0;
        for (CliCommand c : tool.commands()) {
            String[] w = words(c);
            if (w.length > args.size() || (best != null && w.length <= bestLen)) continue;
            boolean ok = true;
            for (int i = 0; i < w.length; i++) if (!w[i].equals(args.get(i))) { ok = false; break; }
            if (ok) { best = c; bestLen = w.length; }
        }
        return best;
    }

    /** The words of a subcommand; none for the one command of a tool without subcommands ({@code vzdump}, {@code qmrestore}). */
    static String[] words(CliCommand c) { return c.words().isEmpty() ? new String[0] : c.words().split(" "); }

    static String synopsis(String tool, CliCommand c) {
        StringBuilder sb = new StringBuilder(tool);
        if (!c.words().isEmpty()) sb.append(' ').append(c.words());
        for (String p : c.positionalParams()) sb.append(" <").append(p).append('>');
        sb.append(" [OPTIONS]");
        return sb.toString();
    }

    void help(PrintStream s, String unused) {
        s.println("USAGE: " + tool.name() + " <COMMAND> [ARGS] [OPTIONS]");
        List<String> lines = new ArrayList<>();
        for (CliCommand c : tool.commands()) lines.add("       " + synopsis(tool.name(), c));
        lines.add("       " + tool.name() + " help [<extra-args>] [OPTIONS]");
        lines.sort(String::compareTo);
        lines.forEach(s::println);
    }

    void usage(PrintStream s, CliCommand c, boolean verbose) {
        s.println("USAGE: " + synopsis(tool.name(), c));
        if (!verbose) return;
        JsonNode info = null;
        try { info = c.path() == null ? null : methodInfo(c); } catch (RuntimeException ignored) { }
        String d = c.description() != null ? c.description() : info != null ? info.path("description").asString("") : "";
        if (!d.isEmpty()) { s.println(); s.println("  " + d.replace("\n", "\n  ")); }
        if (info != null) Pvesh.printParams(s, info, c.positionalParams(), c.fixedParams().keySet());
    }
}
