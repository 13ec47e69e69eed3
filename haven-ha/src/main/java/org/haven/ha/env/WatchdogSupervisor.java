package org.haven.ha.env;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The node's watchdog when there is no watchdog device: a process of its own beside the daemon (as PVE's
 * watchdog-mux), started by it and driven through its standard input: {@code k} arms and feeds it, {@code t N} sets
 * the delay, {@code V} disarms it; it answers {@code ready} on standard output once it listens, and exits when its
 * input ends while it is disarmed. When an armed supervisor gets no feed within the delay, also after the daemon died
 * without disarming it, it resets the node as far as a process can: it freezes the daemon (SIGSTOP), so that it
 * spawns nothing more, then kills with SIGKILL the daemon, everything the daemon spawned and every guest process of
 * the node ({@link NodeProcesses#select}), and repeats until no such process is left.
 *
 * <p>Usage: {@code WatchdogSupervisor TIMEOUT DAEMON_PID [--syslog] GUEST_DIR...}; with {@code --syslog} its
 * messages also go to the system log (as {@code watchdog-mux}), else only to standard error.
 */
public final class WatchdogSupervisor {
    private WatchdogSupervisor() {}

    private static boolean syslog;

    public static void main(String[] args) throws Exception {
        long timeout = Long.parseLong(args[0]);
        long daemonPid = Long.parseLong(args[1]);
        List<Path> dirs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--syslog")) syslog = true;
            else dirs.add(Path.of(args[i]));
        }
        // a handle keeps the daemon's start time: a PID used again by another process is never signalled
        ProcessHandle daemon = ProcessHandle.of(daemonPid).orElse(null);
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
                for (String l; (l = in.readLine()) != null; ) lines.add(l);
            } catch (IOException e) {
                // the feeder is gone
            }
            lines.add("EOF");
        }, "feed");
        reader.setDaemon(true);
        reader.start();
        System.out.println("ready");
        System.out.flush();
        boolean armed = false;
        long deadline = 0;
        while (true) {
            String l = armed ? lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS) : lines.take();
            if (l == null) break;
            switch (l) {
                case "V" -> armed = false;
                case "EOF" -> {
                    if (!armed) System.exit(0);
                    // the feeder is gone without disarming: wait for the deadline, then fire
                    long left = deadline - System.nanoTime();
                    if (left > 0) TimeUnit.NANOSECONDS.sleep(left);
                    reset(daemon, dirs);
                }
                default -> {
                    if (l.startsWith("t ")) {
                        timeout = Long.parseLong(l.substring(2).trim());
                    } else {
                        armed = true;
                        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
                    }
                }
            }
        }
        reset(daemon, dirs);
    }

    private static void reset(ProcessHandle daemon, List<Path> dirs) throws InterruptedException {
        log("client watchdog expired - disable watchdog updates");
        log("resetting the node: killing the daemon, its children and the guest processes of " + dirs);
        if (daemon != null && daemon.isAlive()) signal(daemon, "STOP");
        long self = ProcessHandle.current().pid();
        Set<Long> killed = new TreeSet<>();
        for (int pass = 0; pass < 200; pass++) {
            long d = daemon != null && daemon.isAlive() ? daemon.pid() : 0;
            Set<Long> left = NodeProcesses.select(NodeProcesses.read(Path.of("/proc")), dirs, d, self);
            if (left.isEmpty()) break;
            for (long pid : left) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                killed.add(pid);
            }
            if (daemon != null) daemon.destroyForcibly();
            Thread.sleep(50);
        }
        log("node reset: killed " + killed.size() + " processes " + killed);
        System.exit(1);
    }

    private static void signal(ProcessHandle p, String sig) {
        try {
            new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // killed in the next step anyway
        }
    }

    private static void log(String msg) {
        System.err.println(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"))
            + " watchdog-mux: " + msg);
        System.err.flush();
        if (!syslog) return;
        try {
            new ProcessBuilder("logger", "-t", "watchdog-mux", "-p", "daemon.emerg", msg)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // standard error has it
        }
    }
}
