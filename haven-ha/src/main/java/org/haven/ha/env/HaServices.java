package org.haven.ha.env;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.haven.cfs.LockTable;
import org.haven.ha.Crm;
import org.haven.ha.HaEnv;
import org.haven.ha.Lrm;

/**
 * Runs a node's CRM and LRM loops (each on its own thread, pacing themselves through the environment's
 * sleeps) and feeds the watchdog mux once a second. {@link #shutdown()} performs PVE's stop sequence:
 * the LRM finishes its shutdown policy first, then the CRM releases the manager lock.
 */
public final class HaServices implements AutoCloseable {
    private final Crm crm;
    private final Lrm lrm;
    private final WatchdogMux mux;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread crmThread;
    private final Thread lrmThread;
    private final Thread tickThread;

    /**
     * A node that loses its locks must be reset by its watchdog before another node can take them: client
     * timeout + device timeout + margin must stay below the lock lifetime (see {@link LockTable.HaTiming#validate()}).
     */
    public static void checkTimeouts(LockTable.HaTiming timing) {
        try {
            timing.validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("unsafe HA timing: " + e.getMessage(), e);
        }
    }

    /** {@code envFor} creates the environment for "crm" and "lrm". */
    public HaServices(Function<String, HaEnv> envFor, WatchdogMux mux) {
        this.mux = mux;
        this.crm = new Crm(envFor.apply("crm"));
        this.lrm = new Lrm(envFor.apply("lrm"));
        this.lrmThread = Thread.ofVirtual().name("ha-lrm").start(() -> loop(lrm::doOneIteration));
        this.crmThread = Thread.ofVirtual().name("ha-crm").start(() -> loop(crm::doOneIteration));
        this.tickThread = Thread.ofVirtual().name("ha-watchdog").start(() -> {
            while (running.get()) {
                mux.tick();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private static void loop(java.util.function.BooleanSupplier iteration) {
        while (!Thread.currentThread().isInterrupted()) {
            if (!iteration.getAsBoolean()) return;
        }
    }

    public Crm crm() { return crm; }

    public Lrm lrm() { return lrm; }

    /** Node shutdown/reboot or service stop: waits up to {@code timeoutSeconds} for both loops to end. */
    public boolean shutdown(long timeoutSeconds) throws InterruptedException {
        lrm.shutdownRequest();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        lrmThread.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        crm.shutdownRequest();
        crmThread.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        return !lrmThread.isAlive() && !crmThread.isAlive();
    }

    public boolean shutdown() throws InterruptedException { return shutdown(600); }

    @Override public void close() throws Exception {
        running.set(false);
        crmThread.interrupt();
        lrmThread.interrupt();
        tickThread.interrupt();
        lrm.close();
        mux.close();
    }
}
