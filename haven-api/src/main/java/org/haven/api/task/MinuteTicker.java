package org.haven.api.task;

import org.haven.core.time.Clock;

/**
 * PVE's pvescheduler beat: runs {@code tick} at the start of every minute on a virtual thread until closed. A tick
 * that throws is logged and the next one comes. The node's job schedulers (backup jobs, replication) run on it.
 */
public final class MinuteTicker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("haven.scheduler");

    /** One round of a scheduler. */
    @FunctionalInterface
    public interface Tick { void run() throws Exception; }

    private final Thread thread;

    private MinuteTicker(Thread thread) { this.thread = thread; }

    /** Starts ticking; {@code name} names the thread and the log lines. */
    public static MinuteTicker start(String name, Clock clock, Tick tick) {
        return new MinuteTicker(Thread.ofVirtual().name(name).start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                long ms = clock.epochMillis();
                try {
                    Thread.sleep(60_000 - ms % 60_000 + 50);
                    tick.run();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.WARNING, name + ": " + e.getMessage());
                }
            }
        }));
    }

    @Override public void close() { thread.interrupt(); }
}
