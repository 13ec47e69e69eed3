package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bandwidth limit on a clock the test owns: the bytes a reader gets never run ahead of the rate, the whole
 * read takes the time the rate says, and a restore's limit applies to the archive as stored (compressed), as
 * PVE's {@code cstream} in front of the decompressor.
 */
class ThrottleTest {
    @TempDir Path dir;

    /** A clock that only moves when the throttle waits. */
    static final class SimulatedTime implements Throttle.Pacer {
        final AtomicLong now = new AtomicLong(1_000_000_000L);
        final AtomicLong waits = new AtomicLong();

        @Override public long nanoTime() { return now.get(); }

        @Override public void sleep(long nanos) {
            waits.incrementAndGet();
            now.addAndGet(nanos);
        }

        double seconds(long since) { return (now.get() - since) / 1e9; }
    }

    @Test
    void bytesNeverRunAheadOfTheRate() throws Exception {
        SimulatedTime t = new SimulatedTime();
        long start = t.nanoTime();
        long kib = 1024; // 1 MiB/s
        byte[] data = new byte[10 << 20];
        InputStream in = Throttle.of(new ByteArrayInputStream(data), kib, t);
        byte[] buf = new byte[4 << 20];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            assertThat(n).as("one read is at most a tenth of a second's worth").isLessThanOrEqualTo((int) (kib * 1024 / 10));
            total += n;
            assertThat((double) total).as("bytes after %.2f s", t.seconds(start)).isLessThanOrEqualTo(kib * 1024 * t.seconds(start) + 1);
        }
        assertThat(total).isEqualTo(data.length);
        assertThat(t.seconds(start)).isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void noLimitIsTheStreamItself() {
        InputStream in = new ByteArrayInputStream(new byte[1]);
        assertThat(Throttle.of(in, null)).isSameAs(in);
        assertThat(Throttle.of(in, 0L)).isSameAs(in);
    }

    @Test
    void aRestoreLimitsTheCompressedStream() throws Exception {
        // 256 KiB of random data, then 32 MiB of zeros that compress away: the time follows the size of the file
        byte[] content = new byte[(32 << 20) + (256 << 10)];
        byte[] random = new byte[256 << 10];
        new Random(7).nextBytes(random);
        System.arraycopy(random, 0, content, 0, random.length);
        Path file = dir.resolve("content.zst");
        try (OutputStream out = Compression.ZSTD.writeTo(file, 1, 0)) {
            out.write(content);
        }
        long stored = Files.size(file);
        assertThat(stored).isBetween(256L << 10, 512L << 10);
        long kib = 64;
        SimulatedTime t = new SimulatedTime();
        long start = t.nanoTime();
        byte[] back;
        try (InputStream in = Compression.ZSTD.readFrom(file, kib, t)) {
            back = in.readAllBytes();
        }
        assertThat(back).isEqualTo(content);
        assertThat(t.waits.get()).isPositive();
        // the stored bytes at 64 KiB/s (about 4 s); the content at that rate would take more than 512 s
        assertThat(t.seconds(start)).isCloseTo(stored / (kib * 1024.0), org.assertj.core.data.Offset.offset(0.11));
    }
}
