package org.haven.storage.spi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.haven.storage.StorageException;

/** Runs commands as child processes. {@code baseEnv} is added to every command's environment. */
public final class ProcessCommandRunner implements CommandRunner {
    private final Map<String, String> baseEnv;

    public ProcessCommandRunner() { this(Map.of()); }

    public ProcessCommandRunner(Map<String, String> baseEnv) { this.baseEnv = Map.copyOf(baseEnv); }

    @Override
    public Result run(List<String> cmd, Map<String, String> env, byte[] stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Result r = stream(cmd, env, stdin == null ? null : new java.io.ByteArrayInputStream(stdin), out);
        return new Result(r.exitCode(), out.toString(StandardCharsets.UTF_8), r.stderr());
    }

    @Override
    public Result stream(List<String> cmd, Map<String, String> env, InputStream in, OutputStream out) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("LVM_SUPPRESS_FD_WARNINGS", "1");
        pb.environment().putAll(baseEnv);
        pb.environment().putAll(env);
        if (in == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (out == null) pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new StorageException("command '" + String.join(" ", cmd) + "' failed: " + e.getMessage(), e);
        }
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()), Thread::startVirtualThread);
        CompletableFuture<Void> feeder = null;
        if (in != null) {
            feeder = CompletableFuture.runAsync(() -> {
                try (OutputStream stdin = p.getOutputStream()) {
                    in.transferTo(stdin);
                } catch (IOException e) {
                    // the process closed its input early; its exit code tells what happened
                }
            }, Thread::startVirtualThread);
        }
        try {
            if (out != null) p.getInputStream().transferTo(out);
            int code = p.waitFor();
            if (feeder != null) feeder.join();
            return new Result(code, "", new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while running '" + String.join(" ", cmd) + "'", e);
        }
    }

    private static byte[] readAll(InputStream s) {
        try {
            return s.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
