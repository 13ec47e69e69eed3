package org.haven.ha.env;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The node's watchdog multiplexer: the CRM and the LRM each hold a client handle and must update it within
 * {@code clientTimeout} seconds. While every open client is fresh the mux feeds the backend; when a client
 * misses its deadline the backend is no longer fed and resets the node. Closing the last client disarms
 * the backend (the "magic close").
 *
 * <p>Backends: {@link DeviceBackend} writes to {@code /dev/watchdog} (softdog or hardware) when present;
 * {@link SupervisorBackend} runs a small separate process that kills the node daemon and the node's guest
 * processes when it is not fed in time.
 */
public final class WatchdogMux implements ClusterHaEnv.Watchdog, AutoCloseable {

    /** The device that resets the node when it is not fed. */
    public interface Backend extends AutoCloseable {
        /** Arms the device (if needed) and feeds it. */
        void feed() throws IOException;

        /** Disarms the device. */
        void disarm() throws IOException;

        /** Changes the reset delay after the last feed, where the device allows it (from the next feed on). */
        default void setTimeout(long seconds) throws IOException { }

        @Override void close() throws IOException;
    }

    private final Backend backend;
    private long clientTimeout;
    private long deviceTimeout = -1;
    private final LongSupplier clock;
    private final Map<String, Long> clients = new HashMap<>();
    private final AtomicLong counter = new AtomicLong();
    private boolean armed;
    /** Once a client missed its deadline the node is going to be reset: feeding never resumes. */
    private boolean expiredLatch;

    /**
     * @param clientTimeout seconds a client may go without update (PVE: 60)
     * @param clock seconds
     */
    public WatchdogMux(Backend backend, long clientTimeout, LongSupplier clock) {
        this.backend = backend;
        this.clientTimeout = clientTimeout;
        this.clock = clock;
    }

    @Override public synchronized String open() { return open(clock.getAsLong()); }

    /** Opens a client as if updated at {@code at} (seconds, not later than now). */
    @Override public synchronized String open(long at) {
        String h = "wd" + counter.incrementAndGet();
        clients.put(h, Math.min(at, clock.getAsLong()));
        tick();
        return h;
    }

    @Override public synchronized void update(String handle) { update(handle, clock.getAsLong()); }

    /**
     * Updates a client as of {@code at} (seconds): the time before the lock refresh that this update confirms, so
     * the node's reset deadline counts from before the lock's new expiry started. Never moves a client back.
     */
    @Override public synchronized void update(String handle, long at) {
        Long last = clients.get(handle);
        if (last == null) throw new IllegalStateException("no such watchdog handle '" + handle + "'");
        if (expired(last)) return;
        clients.put(handle, Math.max(last, Math.min(at, clock.getAsLong())));
    }

    /**
     * Applies the cluster's current timing: client timeout and device timeout. Called before every open and
     * update, after the lock refresh whose lifetime was decided with the same (or a newer) timing file.
     */
    @Override public synchronized void configure(org.haven.cfs.LockTable.HaTiming timing) {
        clientTimeout = timing.watchdogTimeout();
        if (timing.deviceTimeout() != deviceTimeout) {
            try {
                backend.setTimeout(timing.deviceTimeout());
                deviceTimeout = timing.deviceTimeout();
            } catch (IOException e) {
                // retried with the next configure
            }
        }
    }

    public synchronized long clientTimeout() { return clientTimeout; }

    @Override public synchronized void close(String handle) {
        clients.remove(handle);
        tick();
    }

    private boolean expired(long last) {
        return clock.getAsLong() - last > clientTimeout;
    }

    /** True while every client is fresh (the backend is fed). */
    public synchronized boolean healthy() {
        if (clients.values().stream().anyMatch(this::expired)) expiredLatch = true;
        return !expiredLatch;
    }

    public synchronized int clientCount() { return clients.size(); }

    /** Called about once a second by the owner: feeds the backend while all clients are fresh. */
    public synchronized void tick() {
        try {
            if (clients.isEmpty() && !expiredLatch) {
                if (armed) {
                    backend.disarm();
                    armed = false;
                }
            } else if (!clients.isEmpty() && healthy()) {
                backend.feed();
                armed = true;
            }
        } catch (IOException e) {
            // a backend that cannot be fed resets the node by itself
        }
    }

    @Override public synchronized void close() throws IOException {
        clients.clear();
        if (armed) backend.disarm();
        armed = false;
        backend.close();
    }

    /** {@code /dev/watchdog}: any write feeds it, 'V' before closing disarms it. */
    public static final class DeviceBackend implements Backend {
        private final Path device;
        private final List<String> wdctl;
        private OutputStream out;
        private long timeout = -1;
        private boolean timeoutPending;

        public DeviceBackend(Path device) { this(device, List.of("wdctl")); }

        /** {@code wdctl} is the command that sets the device's timeout ({@code wdctl --settimeout N DEVICE}). */
        public DeviceBackend(Path device, List<String> wdctl) {
            this.device = device;
            this.wdctl = List.copyOf(wdctl);
        }

        public static boolean available(Path device) {
            return Files.isWritable(device);
        }

        /**
         * The reset delay is set on the device (PVE's watchdog-mux sets 10 s the same way) before the next feed;
         * an open device is closed with the magic character first, because a watchdog device allows one opener.
         */
        @Override public void setTimeout(long seconds) {
            if (seconds == timeout) return;
            timeout = seconds;
            timeoutPending = true;
        }

        @Override public void feed() throws IOException {
            if (timeoutPending) {
                if (out != null) disarm();
                try {
                    applyTimeout();
                    timeoutPending = false;
                } finally {
                    // re-armed at once, also when the timeout could not be set
                    out = Files.newOutputStream(device);
                    out.write(0);
                    out.flush();
                }
                return;
            }
            if (out == null) out = Files.newOutputStream(device);
            out.write(0);
            out.flush();
        }

        private void applyTimeout() throws IOException {
            List<String> cmd = new java.util.ArrayList<>(wdctl);
            cmd.addAll(List.of("--settimeout", Long.toString(timeout), device.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("unable to set the watchdog timeout of " + device + ": wdctl timed out");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (p.exitValue() != 0) {
                throw new IOException("unable to set the watchdog timeout of " + device + " to " + timeout + " s: " + output);
            }
        }

        @Override public void disarm() throws IOException {
            if (out == null) return;
            out.write('V');
            out.flush();
            out.close();
            out = null;
        }

        @Override public void close() throws IOException { disarm(); }
    }

    /**
     * A separate supervisor process ({@link WatchdogSupervisor}, a small JVM that runs beside the daemon from
     * {@link #start} on) fed through a pipe: when it is armed and no feed arrives within {@code timeout} seconds (also
     * after the daemon died without disarming it) it kills the daemon, what the daemon spawned and every guest process
     * of the node, found through {@code /proc} by the node's guest directories in their command lines
     * ({@link NodeProcesses}), then exits. Arming and feeding only write to the pipe.
     */
    public static final class SupervisorBackend implements Backend {
        private long timeout;
        private final long daemonPid;
        private final List<Path> guestDirs;
        private final boolean syslog;
        private Process process;
        private OutputStream in;

        /**
         * @param guestDirs directories every guest process of the node names in its command line (the node's run
         *     directory: QEMU's pid file and sockets, and what other guest types keep there)
         * @param syslog also log to the system log (system mode)
         */
        public SupervisorBackend(long timeoutSeconds, long daemonPid, List<Path> guestDirs, boolean syslog) {
            this.timeout = timeoutSeconds;
            this.daemonPid = daemonPid;
            this.guestDirs = List.copyOf(guestDirs);
            this.syslog = syslog;
        }

        /** The supervisor's command line: this JVM's java and the code source of haven-ha, which it needs alone. */
        List<String> command() {
            List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms4m", "-Xmx16m", "-Xss256k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-cp", codeSource(), WatchdogSupervisor.class.getName(), Long.toString(timeout), Long.toString(daemonPid)));
            if (syslog) cmd.add("--syslog");
            for (Path d : guestDirs) cmd.add(d.toAbsolutePath().normalize().toString());
            return cmd;
        }

        private static String codeSource() {
            try {
                return Path.of(WatchdogSupervisor.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            } catch (java.net.URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Starts the supervisor, disarmed, unless it runs, and waits until it listens. */
        public synchronized void start() throws IOException {
            if (process != null && process.isAlive()) return;
            process = new ProcessBuilder(command()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = process.getOutputStream();
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            if (!"ready".equals(out.readLine())) {
                process.destroyForcibly();
                process = null;
                throw new IOException("the watchdog supervisor did not start");
            }
        }

        /** Arms and feeds the supervisor (started again first when it is gone). */
        @Override public synchronized void feed() throws IOException {
            start();
            in.write("k\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
        }

        /** A running supervisor takes the new delay from its next read on; a new one starts with it. */
        @Override public synchronized void setTimeout(long seconds) throws IOException {
            timeout = seconds;
            if (process != null && process.isAlive()) {
                in.write(("t " + seconds + "\n").getBytes(StandardCharsets.US_ASCII));
                in.flush();
            }
        }

        public long timeout() { return timeout; }

        @Override public synchronized void disarm() throws IOException {
            if (process == null || !process.isAlive()) return;
            in.write("V\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
        }

        public synchronized Process process() { return process; }

        /** Disarms the supervisor and lets it end. */
        @Override public synchronized void close() throws IOException {
            if (process == null) return;
            try {
                disarm();
                in.close();
            } catch (IOException ignored) {
                // already gone
            }
            try {
                process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }
}
