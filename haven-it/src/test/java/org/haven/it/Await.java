package org.haven.it;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polling for the end-to-end tests: wait until a condition on real daemons holds, or fail saying what was awaited. */
public final class Await {
    private Await() {}

    /** A condition; an exception counts as "not yet". */
    public interface Check { boolean ok() throws Exception; }

    /**
     * Checks {@code c} every {@code every} until it holds; after {@code max} fails with "timed out waiting for
     * {@code what}", the text of {@code diagnostics} and the last exception of the check.
     */
    public static void until(String what, Duration max, Duration every, Check c, Callable<String> diagnostics) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        Throwable last = null;
        while (true) {
            try {
                if (c.ok()) return;
                last = null;
            } catch (Exception | AssertionError e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                String diag;
                try {
                    diag = diagnostics == null ? "" : "\n" + diagnostics.call();
                } catch (Exception e) {
                    diag = "\n(diagnostics failed: " + e + ")";
                }
                throw new AssertionError("timed out waiting for " + what + diag, last);
            }
            Thread.sleep(every.toMillis());
        }
    }

    public static void until(String what, Duration max, Check c) throws Exception {
        until(what, max, Duration.ofMillis(500), c, null);
    }

    /** {@code ha-manager status} and the end of the daemon's output, for HA waits. */
    public static Callable<String> haState(HavenNode n) {
        return () -> {
            String s = n.stdout();
            return "ha-manager status:\n" + n.cli("ha-manager", "status").out() + "\ndaemon output:\n"
                    + (s.length() > 6000 ? s.substring(s.length() - 6000) : s);
        };
    }
}
