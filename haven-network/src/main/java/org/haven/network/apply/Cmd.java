package org.haven.network.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Running a command and returning its output (standard error merged in). */
public final class Cmd {
    private Cmd() {}

    public record Result(int exit, String output) {}

    /** The output; a non-zero exit is an error carrying the output. */
    public static String run(List<String> cmd, int timeoutSeconds) {
        Result r = result(cmd, timeoutSeconds);
        if (r.exit() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + r.exit() + "): " + r.output().strip());
        return r.output();
    }

    /** The exit code and output, whatever the exit code. */
    public static Result result(List<String> cmd, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": timeout");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
