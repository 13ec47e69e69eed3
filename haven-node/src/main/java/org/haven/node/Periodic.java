package org.haven.node;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job run at once and then every {@code interval} on its own virtual thread until {@link #close()}. A
 * failing run is logged and the next one comes as planned; {@link UnsupportedOperationException} (e.g. a
 * cluster file system without a status plane) ends the job.
 */
public final class Periodic implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Periodic.class);

    private final Thread thread;
    private volatile boolean stopped;

    private Periodic(String name, Duration interval, Runnable job) {
        thread = Thread.ofVirtual().name(name).unstarted(() -> {
            while (!stopped) {
                try {
                    job.run();
                } catch (UnsupportedOperationException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.debug("{}: {}", name, e.toString());
                }
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    public static Periodic start(String name, Duration interval, Runnable job) {
        Periodic p = new Periodic(name, interval, job);
        p.thread.start();
        return p;
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
