package org.haven.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the CLI finds its daemon: {@code $HAVEN_DATA_DIR/run/haven.sock} when the variable is set (same
 * meaning as {@code havend --data-dir}); else the system socket {@code /run/haven/haven.sock} when it exists;
 * else the checkout's {@code ./run} data directory ({@code $HAVEN_HOME/var}).
 */
public record CliEnv(Path socket, PrintStream out, PrintStream err, boolean utf8) {

    public static CliEnv detect(Map<String, String> env, PrintStream out, PrintStream err) {
        return new CliEnv(socketPath(env), out, err, utf8(env));
    }

    public static Path socketPath(Map<String, String> env) {
        String dd = env.get("HAVEN_DATA_DIR");
        if (dd != null && !dd.isEmpty()) return Path.of(dd).resolve("run/haven.sock");
        Path sys = Path.of("/run/haven/haven.sock");
        if (Files.exists(sys)) return sys;
        String home = env.get("HAVEN_HOME");
        if (home != null && !home.isEmpty()) return Path.of(home).resolve("var/run/haven.sock");
        return sys;
    }

    static boolean utf8(Map<String, String> env) {
        if (System.console() == null) return false;
        for (String k : new String[] {"LC_ALL", "LC_CTYPE", "LANG"}) {
            String v = env.get(k);
            if (v != null && !v.isEmpty()) return v.toUpperCase().contains("UTF-8") || v.toUpperCase().contains("UTF8");
        }
        return false;
    }
}
