package org.haven.backup;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A stream read at no more than a given rate (PVE pipes a restore through {@code cstream -t} and gives a backup
 * job its {@code bwlimit}): each read waits until the bytes read so far fit the rate since the first read. The
 * limit is in KiB/s.
 */
final class Throttle extends FilterInputStream {
    /** Time and waiting, as the throttle sees them ({@link #SYSTEM} outside tests). */
    interface Pacer {
        long nanoTime();

        void sleep(long nanos) throws InterruptedException;

        Pacer SYSTEM = new Pacer() {
            @Override public long nanoTime() { return System.nanoTime(); }

            @Override public void sleep(long nanos) throws InterruptedException { Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)); }
        };
    }

    private final long bytesPerSecond;
    private final Pacer pacer;
    private long start = -1, read;

    private Throttle(InputStream in, long kibPerSecond, Pacer pacer) {
        super(in);
        this.bytesPerSecond = kibPerSecond * 1024;
        this.pacer = pacer;
    }

    /** {@code in} limited to {@code kibPerSecond}, or {@code in} itself when there is no limit (null or 0). */
    static InputStream of(InputStream in, Long kibPerSecond) { return of(in, kibPerSecond, Pacer.SYSTEM); }

    static InputStream of(InputStream in, Long kibPerSecond, Pacer pacer) {
        return kibPerSecond == null || kibPerSecond <= 0 ? in : new Throttle(in, kibPerSecond, pacer);
    }

    /** How long (ns) a reader that has read {@code bytes} since {@code elapsedNanos} ago must wait at {@code bytesPerSecond}. */
    static long waitNanos(long bytes, long elapsedNanos, long bytesPerSecond) {
        long due = (long) (bytes * 1e9 / bytesPerSecond);
        return Math.max(0, due - elapsedNanos);
    }

    private void begin() {
        if (start < 0) start = pacer.nanoTime();
    }

    private void account(long n) throws IOException {
        if (n <= 0) return;
        read += n;
        long wait = waitNanos(read, pacer.nanoTime() - start, bytesPerSecond);
        if (wait <= 0) return;
        try {
            pacer.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** At most a tenth of a second's worth at once, so the rate holds over short spans too. */
    private long slice(long len) { return Math.min(len, Math.max(1, bytesPerSecond / 10)); }

    @Override public int read() throws IOException {
        begin();
        int b = super.read();
        if (b >= 0) account(1);
        return b;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
        begin();
        int n = super.read(b, off, (int) slice(len));
        account(n);
        return n;
    }

    @Override public long skip(long n) throws IOException {
        begin();
        long s = super.skip(slice(n));
        account(s);
        return s;
    }
}
