package org.haven.backup;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A stream read at no more than a given rate (PVE pipes a restore through {@code cstream -t}): each read waits
 * until the bytes read so far fit the rate since the first read. The limit is in KiB/s.
 */
final class Throttle extends FilterInputStream {
    private final long bytesPerSecond;
    private long start = -1, read;

    private Throttle(InputStream in, long kibPerSecond) {
        super(in);
        this.bytesPerSecond = kibPerSecond * 1024;
    }

    /** {@code in} limited to {@code kibPerSecond}, or {@code in} itself when there is no limit (null or 0). */
    static InputStream of(InputStream in, Long kibPerSecond) {
        return kibPerSecond == null || kibPerSecond <= 0 ? in : new Throttle(in, kibPerSecond);
    }

    /** How long (ns) a reader that has read {@code bytes} since {@code elapsedNanos} ago must wait at {@code bytesPerSecond}. */
    static long waitNanos(long bytes, long elapsedNanos, long bytesPerSecond) {
        long due = (long) (bytes * 1e9 / bytesPerSecond);
        return Math.max(0, due - elapsedNanos);
    }

    private void account(long n) throws IOException {
        if (n <= 0) return;
        read += n;
        long wait = waitNanos(read, System.nanoTime() - start, bytesPerSecond);
        if (wait <= 0) return;
        try {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    @Override public int read() throws IOException {
        if (start < 0) start = System.nanoTime();
        int b = super.read();
        if (b >= 0) account(1);
        return b;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
        if (start < 0) start = System.nanoTime();
        // at most a tenth of a second's worth at once, so the rate holds over short spans too
        int n = super.read(b, off, (int) Math.min(len, Math.max(1, bytesPerSecond / 10)));
        account(n);
        return n;
    }

    @Override public long skip(long n) throws IOException {
        if (start < 0) start = System.nanoTime();
        long s = super.skip(Math.min(n, Math.max(1, bytesPerSecond / 10)));
        account(s);
        return s;
    }
}
