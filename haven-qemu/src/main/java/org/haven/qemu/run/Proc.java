package org.haven.qemu.run;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Running host commands and looking at processes through /proc. */
public final class Proc {
    private Proc() {}

    public record Result(int exitCode, String output) {
        public boolean ok() { return exitCode == 0; }
    }

    /** Run a command, merging stdout and stderr; -1 as exit code on timeout (the process is killed). */
    public static Result run(List<String> cmd, Duration timeout) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread t = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                t.join(1000);
                return new Result(-1, out.toString(StandardCharsets.UTF_8));
            }
            t.join(Math.max(1000, timeout.toMillis()));
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(127, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    public static Result run(String... cmd) { return run(List.of(cmd), Duration.ofSeconds(30)); }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) { in.transferTo(out); } catch (IOException ignored) { }
    }

    /** The pid in {@code pidfile} when that process is alive (not a zombie), else empty. */
    public static Optional<Long> alivePid(Path pidfile) {
        try {
            if (!Files.exists(pidfile)) return Optional.empty();
            String s = Files.readString(pidfile).trim();
            if (s.isEmpty()) return Optional.empty();
            long pid = Long.parseLong(s);
            return isAlive(pid) ? Optional.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** True when /proc/pid exists and the process is not a zombie. */
    public static boolean isAlive(long pid) {
        Optional<String[]> st = stat(pid);
        return st.isPresent() && !st.get()[0].equals("Z") && !st.get()[0].equals("X");
    }

    /** Fields of /proc/pid/stat after the command name (index 0 is the state). */
    public static Optional<String[]> stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            int close = s.lastIndexOf(')');
            return Optional.of(s.substring(close + 2).trim().split(" "));
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
    }

    /** Command line of a process (NUL-separated arguments split). */
    public static List<String> cmdline(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
            return List.of(s.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Seconds since the process started. */
    public static long uptime(long pid) {
        try {
            String[] st = stat(pid).orElseThrow();
            long startTicks = Long.parseLong(st[19]);
            double sysUptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            return Math.max(0, (long) (sysUptime - startTicks / 100.0));
        } catch (Exception e) {
            return 0;
        }
    }

    /** utime + stime in clock ticks. */
    public static long cpuTicks(long pid) {
        return stat(pid).map(st -> Long.parseLong(st[11]) + Long.parseLong(st[12])).orElse(0L);
    }

    /** Resident set size in bytes. */
    public static long rss(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D+", "")) * 1024;
            }
        } catch (IOException ignored) { }
        return 0;
    }

    /** Send a signal with kill(1). */
    public static void kill(long pid, String signal) {
        run(List.of("kill", "-" + signal, Long.toString(pid)), Duration.ofSeconds(5));
    }

    /** Wait for a process to disappear; true if it did within {@code timeout}. */
    public static boolean waitGone(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) return false;
            try { Thread.sleep(50); } catch (InterruptedException e) { Thread.currentThread().interrupt(); return false; }
        }
        return true;
    }
}
