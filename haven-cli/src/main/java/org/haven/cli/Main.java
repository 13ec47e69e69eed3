package org.haven.cli;

import java.util.Arrays;
import java.util.List;
import org.haven.api.cli.CliTool;

/**
 * Entry point of every command-line tool: {@code Main <tool> [args…]}. {@code pvesh} is built in; other tools
 * are {@link CliTool}s found with {@link java.util.ServiceLoader}. Exit code 0 on success, 255 on errors (as PVE's tools).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: haven-tool <tool> [ARGS]");
            System.exit(255);
        }
        CliEnv env = CliEnv.detect(System.getenv(), System.out, System.err);
        int rc = run(args[0], Arrays.asList(args).subList(1, args.length), env);
        System.out.flush();
        System.exit(rc);
    }

    public static int run(String tool, List<String> args, CliEnv env) {
        try {
            if (tool.equals("pvesh")) return new Pvesh(env).run(args);
            CliTool t = findTool(tool);
            if (t == null) {
                env.err().println("unknown tool '" + tool + "'");
                return 255;
            }
            return new ToolRunner(t, env).run(args);
        } catch (RuntimeException e) {
            String m = e.getMessage();
            env.err().println(m == null ? e.toString() : m);
            return 255;
        }
    }

    public static CliTool findTool(String name) {
        for (CliTool t : org.haven.api.Discovery.load(CliTool.class, e -> { })) if (t.name().equals(name)) return t;
        return null;
    }
}
