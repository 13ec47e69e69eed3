package org.haven.api.server;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One line per API request in the format of PVE's {@code /var/log/pveproxy/access.log}:
 * {@code ::ffff:10.0.0.5 - root@pam [22/11/2026:10:00:00 +0000] "GET /api2/json/version HTTP/1.1" 200 67}.
 * Lines are written by a background thread so requests never wait for the disk; when the queue is full,
 * lines are dropped rather than slowing the API down.
 */
final class AccessLog implements AutoCloseable {
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("dd/MM/yyyy:HH:mm:ss Z", Locale.ROOT);
    private static final String STOP = "\u0000stop";
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>(65536);
    private final Thread writer;

    AccessLog(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        writer = Thread.ofPlatform().daemon().name("access-log").start(() -> drain(w));
    }

    void log(String remote, String user, String method, String target, String protocol, int status, int bytes) {
        String addr = remote == null ? "-" : remote.contains(":") || remote.equals("unix") ? remote : "::ffff:" + remote;
        queue.offer(addr + " - " + (user == null ? "-" : user) + " [" + TS.format(ZonedDateTime.now()) + "] \""
                + method + " " + target + " " + protocol + "\" " + status + " " + bytes);
    }

    private void drain(BufferedWriter w) {
        try (w) {
            while (true) {
                String line = queue.poll(1, TimeUnit.SECONDS);
                if (line == null) { w.flush(); continue; }
                if (line.equals(STOP)) break;
                w.write(line);
                w.write('\n');
                if (queue.isEmpty()) w.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the log is best effort
        }
    }

    @Override
    public void close() {
        queue.offer(STOP);
        try { writer.join(2000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }
}
