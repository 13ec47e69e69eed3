package org.haven.it.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.haven.it.HavenNode;

/**
 * A CLI tool run as its own process against a node, with its stdin and stdout as pipes: stdout is collected
 * in the background so tests can wait for bytes or text, and stdin is written directly.
 */
final class CliProcess implements AutoCloseable {
    private final Process process;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private int consumed;

    private CliProcess(Process process) {
        this.process = process;
        collect(process.getInputStream(), out, "cli-stdout");
        collect(process.getErrorStream(), err, "cli-stderr");
    }

    static CliProcess start(HavenNode node, String tool, String... args) throws IOException {
        return start(node, command(tool, args));
    }

    /** The tool on a pseudo terminal ({@code script}), with the pipes on its master side. */
    static CliProcess startOnTerminal(HavenNode node, String tool, String... args) throws IOException {
        StringBuilder line = new StringBuilder("exec");
        for (String a : command(tool, args)) line.append(" '").append(a.replace("'", "'\\''")).append('\'');
        return start(node, List.of("script", "-q", "-e", "-c", line.toString(), "/dev/null"));
    }

    private static List<String> command(String tool, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "org.haven.cli.Main", tool));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static CliProcess start(HavenNode node, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("SHELL", "/bin/sh");
        pb.environment().put("HAVEN_DATA_DIR", node.dataDir().toString());
        pb.environment().remove("LC_PVE_TICKET");
        return new CliProcess(pb.start());
    }

    private void collect(InputStream in, ByteArrayOutputStream sink, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) {
                        sink.write(buf, 0, n);
                        notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process went away
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    OutputStream stdin() { return process.getOutputStream(); }

    Process process() { return process; }

    /** The next {@code n} bytes of stdout after the ones already taken. */
    synchronized byte[] take(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() - consumed < n) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) throw new AssertionError("expected " + n + " bytes, got " + (out.size() - consumed) + "; stderr: " + err());
            wait(left);
        }
        byte[] all = out.toByteArray();
        byte[] r = Arrays.copyOfRange(all, consumed, consumed + n);
        consumed += n;
        return r;
    }

    /** Waits until stdout contains {@code text}; returns whether it did within the timeout. */
    synchronized boolean await(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!out().contains(text)) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) return false;
            wait(left);
        }
        return true;
    }

    synchronized String out() { return out.toString(StandardCharsets.ISO_8859_1); }

    synchronized String err() { return err.toString(StandardCharsets.UTF_8); }

    /** The exit code, or -1 when the process is still running after the timeout. */
    int waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
