package org.haven.cfs;

import java.util.HashMap;
import java.util.Map;
import org.haven.core.cfs.CfsException;
import org.haven.core.time.Clock;

/**
 * PVE's fixed command timeout for code that runs under a cluster lock: a lock expires 120 s after it was taken,
 * so the locked code may run for 60 s, leaving another 60 s before the lock can pass to someone else. After that
 * every change of the tree the code tries is refused, and the locked call ends with PVE's error
 * {@code cfs-lock 'NAME' error: 'NAME'-locked command timed out - aborting}.
 */
final class LockedCommands {
    /** How long code under a lock may run (PVE: {@code alarm(60)} in {@code cfs_lock}). */
    static final long COMMAND_TIMEOUT_MS = 60_000;

    private final Clock clock;
    /** Per thread: the locks it holds and when it took each (outermost acquisition). */
    private final ThreadLocal<Map<String, Long>> held = ThreadLocal.withInitial(HashMap::new);

    LockedCommands(Clock clock) { this.clock = clock; }

    /** Runs {@code body} as the code locked by {@code name}, which this thread has just taken. */
    <T> T run(String name, java.util.function.Supplier<T> body) {
        Map<String, Long> mine = held.get();
        boolean outermost = mine.putIfAbsent(name, clock.epochMillis()) == null;
        try {
            T result = body.get();
            if (outermost) checkTime();
            return result;
        } finally {
            if (outermost) mine.remove(name);
        }
    }

    /** Refuses a change of the tree by locked code that has run past its time. */
    void checkTime() {
        long now = clock.epochMillis();
        for (Map.Entry<String, Long> e : held.get().entrySet()) {
            if (now - e.getValue() > COMMAND_TIMEOUT_MS) {
                throw new CfsException("cfs-lock '" + e.getKey() + "' error: '" + e.getKey() + "'-locked command timed out - aborting");
            }
        }
    }
}
