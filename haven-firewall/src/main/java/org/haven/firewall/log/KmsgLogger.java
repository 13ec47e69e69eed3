package org.haven.firewall.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PVE's {@code pvefw-logger}: follows the kernel log ({@code /dev/kmsg}) and appends the packets the firewall
 * rules logged to the firewall log file, from the moment it starts. Records already in the kernel's buffer
 * when it starts are skipped.
 */
public final class KmsgLogger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KmsgLogger.class);

    private final Path kmsg;
    private final Path file;
    private final ZoneId zone;
    private volatile InputStream in;
    private volatile boolean closed;
    private Thread thread;

    public KmsgLogger(Path kmsg, Path file, ZoneId zone) {
        this.kmsg = kmsg;
        this.file = file;
        this.zone = zone;
    }

    /** The system's: {@code /dev/kmsg}, local time. */
    public static KmsgLogger system(Path file) {
        return new KmsgLogger(Path.of("/dev/kmsg"), file, ZoneId.systemDefault());
    }

    public synchronized void start() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        long uptimeMicros = (long) (Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]) * 1_000_000);
        Instant now = Instant.now();
        long nowMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
        long boot = nowMicros - uptimeMicros;
        in = Files.newInputStream(kmsg);
        append(FwLog.line("0", 5, "-", now, zone, "starting pvefw logger"));
        thread = Thread.ofPlatform().daemon().name("pvefw-logger").start(() -> follow(boot, uptimeMicros));
    }

    private void follow(long bootMicros, long startMicros) {
        byte[] buf = new byte[8192];
        while (!closed) {
            int n;
            try {
                n = in.read(buf); // one record per read
            } catch (IOException e) {
                if (closed) return;
                continue; // EPIPE: records were overwritten before they were read; the next read goes on
            }
            if (n < 0) return;
            String record = new String(buf, 0, n, StandardCharsets.UTF_8).strip();
            int c1 = record.indexOf(','), c2 = c1 < 0 ? -1 : record.indexOf(',', c1 + 1), c3 = c2 < 0 ? -1 : record.indexOf(',', c2 + 1);
            if (c3 < 0) continue;
            try {
                if (Long.parseLong(record.substring(c2 + 1, c3)) < startMicros) continue;
            } catch (NumberFormatException e) {
                continue;
            }
            FwLog.fromKmsg(record, bootMicros, zone).ifPresent(this::append);
        }
    }

    private synchronized void append(String line) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(line);
            w.write('\n');
        } catch (IOException e) {
            LOG.warn("firewall log {}: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        InputStream s = in;
        if (s != null) try { s.close(); } catch (IOException ignored) { }
        if (thread != null) thread.interrupt();
    }
}
