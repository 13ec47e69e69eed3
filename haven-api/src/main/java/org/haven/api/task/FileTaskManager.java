package org.haven.api.task;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.Upid;
import org.haven.core.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks on virtual threads with PVE's on-disk layout below {@code dir} (PVE: {@code /var/log/pve/tasks}):
 * the log of each task in {@code <X>/<UPID>} (X = last hex digit of the start time), ending with a
 * {@code TASK OK} / {@code TASK WARNINGS: n} / {@code TASK ERROR: msg} line; {@code index} lists finished
 * tasks as {@code UPID endtime(hex) status}; {@code active} lists running ones. After a restart, tasks still
 * in {@code active} are finished with status {@code unexpected status}, as PVE does for vanished workers.
 *
 * <p>UPIDs use the daemon's pid; pstart is the daemon's start time in clock ticks plus a per-task counter, so
 * two tasks of the same type and id started in the same second still get distinct UPIDs.
 */
public final class FileTaskManager implements TaskManager, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FileTaskManager.class);
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    private final Path dir;
    private final String node;
    private final Clock clock;
    private final long pid;
    private final AtomicLong pstart;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Map<String, TaskInfo> finished = new ConcurrentHashMap<>();
    private final Object indexLock = new Object();

    private final class Running {
        final TaskInfo start;
        final CountDownLatch done = new CountDownLatch(1);
        volatile Thread thread;
        volatile boolean stop;
        Running(TaskInfo start) { this.start = start; }
    }

    public FileTaskManager(Path dir, String node, Clock clock) {
        this.dir = dir;
        this.node = node;
        this.clock = clock;
        this.pid = ProcessHandle.current().pid();
        long ticks = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(clock.epochMillis()) / 10;
        this.pstart = new AtomicLong(ticks & 0xFFFFFFFL);
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < 16; i++) Files.createDirectories(dir.resolve(Integer.toHexString(i).toUpperCase()));
        } catch (IOException e) { throw new UncheckedIOException(e); }
        loadIndex();
    }

    private void loadIndex() {
        Path index = dir.resolve("index");
        try {
            if (Files.exists(index)) for (String line : Files.readAllLines(index, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ", 3);
                if (f.length < 3 || !Upid.isValid(f[0])) continue;
                Upid u = Upid.parse(f[0]);
                finished.put(f[0], info(u, Long.parseLong(f[1], 16), f[2]));
            }
            Path active = dir.resolve("active");
            if (Files.exists(active)) {
                for (String line : Files.readAllLines(active, StandardCharsets.UTF_8)) {
                    String upid = line.split(" ", 2)[0];
                    if (!Upid.isValid(upid) || finished.containsKey(upid)) continue;
                    Upid u = Upid.parse(upid);
                    long end = Math.max(u.starttime(), lastModified(logPath(upid)));
                    appendLog(upid, "TASK ERROR: unexpected status");
                    finish(info(u, end, "unexpected status"));
                }
                writeActive();
            }
        } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    private static long lastModified(Path p) {
        try { return Files.getLastModifiedTime(p).toMillis() / 1000; } catch (IOException e) { return 0; }
    }

    private static TaskInfo info(Upid u, long end, String status) {
        return new TaskInfo(u.toString(), u.node(), u.pid(), u.pstart(), u.starttime(), u.type(), u.id(), u.user(), end, status);
    }

    public Path logPath(String upid) {
        Upid u = Upid.parse(upid);
        String hex = String.format("%08X", u.starttime());
        return dir.resolve(hex.substring(hex.length() - 1)).resolve(upid);
    }

    @Override
    public String start(String type, String id, String authid, TaskWorker worker) {
        long now = clock.epochSeconds();
        Upid u = new Upid(node, pid, pstart.getAndIncrement(), now, type, id == null ? "" : id.replace(':', '_'), authid);
        String upid = u.toString();
        TaskInfo ti = info(u, 0, null);
        Running r = new Running(ti);
        Path log = logPath(upid);
        try {
            Files.write(log, new byte[0], StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) { throw new UncheckedIOException(e); }
        running.put(upid, r);
        writeActive();
        Thread t = Thread.ofVirtual().name("task-" + type + "-" + id).unstarted(() -> run(r, worker, log));
        r.thread = t;
        t.start();
        return upid;
    }

    private void run(Running r, TaskWorker worker, Path logFile) {
        String upid = r.start.upid();
        String status;
        try (BufferedWriter w = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            LogImpl log = new LogImpl(upid, w, r);
            try {
                worker.run(log);
                status = log.warnings > 0 ? "WARNINGS: " + log.warnings : "OK";
            } catch (TaskLog.TaskStoppedException e) {
                status = "received interrupt";
            } catch (InterruptedException e) {
                status = r.stop ? "received interrupt" : "interrupted";
            } catch (Throwable e) {
                String m = e.getMessage();
                if (m == null || m.isBlank()) m = e.toString();
                status = r.stop && e.getCause() instanceof InterruptedException ? "received interrupt" : m.strip().replace('\n', ' ');
                if (!(e instanceof RuntimeException) || e.getClass() != RuntimeException.class) LOG.debug("task {} failed", upid, e);
            }
            synchronized (log) {
                w.write(status.equals("OK") ? "TASK OK" : status.startsWith("WARNINGS: ") ? "TASK " + status : "TASK ERROR: " + status);
                w.write('\n');
                w.flush();
            }
        } catch (IOException e) {
            status = "unable to write task log: " + e.getMessage();
        }
        finish(info(Upid.parse(upid), clock.epochSeconds(), status));
        running.remove(upid);
        writeActive();
        r.done.countDown();
    }

    /** Finished tasks kept in {@code index}; older ones move to {@code index.1} (their logs stay). */
    static final int KEEP = 1000;

    private void finish(TaskInfo ti) {
        synchronized (indexLock) {
            try {
                Files.writeString(dir.resolve("index"), ti.upid() + " " + String.format("%08X", ti.endtime()) + " " + ti.status() + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) { LOG.warn("cannot write task index: {}", e.toString()); }
            finished.put(ti.upid(), ti);
            if (finished.size() > 2 * KEEP) rotate();
        }
    }

    /** Keep the newest {@link #KEEP} finished tasks in memory and in {@code index}; append the rest to {@code index.1}. */
    private void rotate() {
        List<TaskInfo> all = new ArrayList<>(finished.values());
        all.sort(Comparator.comparingLong(TaskInfo::starttime).thenComparingLong(TaskInfo::pstart));
        List<TaskInfo> old = all.subList(0, all.size() - KEEP);
        StringBuilder archived = new StringBuilder();
        for (TaskInfo t : old) archived.append(t.upid()).append(' ').append(String.format("%08X", t.endtime())).append(' ').append(t.status()).append('\n');
        StringBuilder kept = new StringBuilder();
        for (TaskInfo t : all.subList(all.size() - KEEP, all.size()))
            kept.append(t.upid()).append(' ').append(String.format("%08X", t.endtime())).append(' ').append(t.status()).append('\n');
        try {
            Files.writeString(dir.resolve("index.1"), archived.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Path tmp = dir.resolve("index.tmp");
            Files.writeString(tmp, kept.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve("index"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            for (TaskInfo t : List.copyOf(old)) finished.remove(t.upid());
        } catch (IOException e) {
            LOG.warn("cannot rotate the task index: {}", e.toString());
        }
    }

    private void writeActive() {
        synchronized (indexLock) {
            StringBuilder sb = new StringBuilder();
            running.keySet().stream().sorted().forEach(u -> sb.append(u).append(" 1\n"));
            try {
                Path tmp = dir.resolve("active.tmp");
                Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
                Files.move(tmp, dir.resolve("active"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) { LOG.warn("cannot write active task list: {}", e.toString()); }
        }
    }

    private void appendLog(String upid, String line) {
        try {
            Files.writeString(logPath(upid), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) { LOG.debug("cannot append to task log {}", upid); }
    }

    private static final class LogImpl implements TaskLog {
        final String upid;
        final BufferedWriter w;
        final Running r;
        int warnings;

        LogImpl(String upid, BufferedWriter w, Running r) { this.upid = upid; this.w = w; this.r = r; }

        @Override public String upid() { return upid; }

        @Override public synchronized void log(String line) {
            try {
                for (String l : line.split("\n", -1)) { w.write(l); w.write('\n'); }
                w.flush();
            } catch (IOException e) { throw new UncheckedIOException(e); }
        }

        @Override public void warn(String line) {
            synchronized (this) { warnings++; }
            log("WARN: " + line);
        }

        @Override public boolean stopRequested() { return r.stop; }
    }

    @Override
    public Optional<TaskInfo> info(String upid) {
        Running r = running.get(upid);
        if (r != null) return Optional.of(r.start);
        return Optional.ofNullable(finished.get(upid));
    }

    @Override
    public boolean stop(String upid) {
        Running r = running.get(upid);
        if (r == null) return false;
        r.stop = true;
        Thread t = r.thread;
        if (t != null) t.interrupt();
        return true;
    }

    @Override
    public TaskInfo await(String upid, long timeoutMillis) throws InterruptedException {
        Running r = running.get(upid);
        if (r != null) r.done.await(timeoutMillis, TimeUnit.MILLISECONDS);
        return info(upid).orElseThrow(() -> new IllegalArgumentException("no such task"));
    }

    @Override
    public List<TaskInfo> list() {
        Map<String, TaskInfo> all = new LinkedHashMap<>(finished);
        for (Running r : running.values()) all.put(r.start.upid(), r.start);
        List<TaskInfo> out = new ArrayList<>(all.values());
        out.sort(Comparator.comparingLong(TaskInfo::starttime).thenComparingLong(TaskInfo::pstart).reversed());
        return out;
    }

    @Override
    public LogPage log(String upid, int start, int limit) {
        Path p = logPath(upid);
        List<String> lines;
        try {
            lines = Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) { throw new UncheckedIOException(e); }
        int from = Math.min(Math.max(start, 0), lines.size());
        int to = limit <= 0 ? lines.size() : (int) Math.min((long) from + limit, lines.size());
        return new LogPage(new ArrayList<>(lines.subList(from, to)), lines.size());
    }

    /** Stop all running tasks and wait a little for them to end. */
    @Override
    public void close() {
        for (String upid : List.copyOf(running.keySet())) stop(upid);
        long deadline = System.currentTimeMillis() + 5000;
        for (Running r : List.copyOf(running.values())) {
            try { r.done.await(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS); }
            catch (InterruptedException e) { Thread.currentThread().interrupt(); return; }
        }
    }

    /** Timestamp format PVE uses inside task logs. */
    public static String timestamp(long epochSeconds) { return TS.format(Instant.ofEpochSecond(epochSeconds)); }
}
