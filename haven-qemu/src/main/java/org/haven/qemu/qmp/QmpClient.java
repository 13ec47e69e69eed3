package org.haven.qemu.qmp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A client for QEMU's machine protocol (QMP) and the guest agent protocol (QGA): JSON objects, one per line,
 * over a Unix socket. Replies are matched to commands by {@code id}; asynchronous {@code event}s go to
 * listeners and to {@link #events()}. For QMP the greeting is read and {@code qmp_capabilities} sent on
 * connect; the guest agent has neither (use {@link #connectAgent}).
 */
public final class QmpClient implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SocketChannel channel;
    private final BufferedReader reader;
    private final Object writeLock = new Object();
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final CopyOnWriteArrayList<Consumer<JsonNode>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final Thread readerThread;
    private final boolean agent;
    private volatile boolean closed;
    private volatile Throwable failure;

    private QmpClient(SocketChannel channel, boolean agent) {
        this.channel = channel;
        this.agent = agent;
        this.reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.readerThread = Thread.ofVirtual().name("qmp-reader").start(this::readLoop);
    }

    /** Connect to a QMP socket, read the greeting and enter command mode. */
    public static QmpClient connect(Path socket, Duration timeout) throws IOException {
        QmpClient c = new QmpClient(open(socket), false);
        try {
            c.greeting.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            c.execute("qmp_capabilities", null, timeout);
        } catch (Exception e) {
            c.close();
            throw new IOException("QMP handshake on " + socket + " failed: " + e.getMessage(), e);
        }
        return c;
    }

    /** Connect to a guest agent socket (no greeting, no capabilities negotiation). */
    public static QmpClient connectAgent(Path socket) throws IOException {
        return new QmpClient(open(socket), true);
    }

    private static SocketChannel open(Path socket) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** The greeting object ({@code {"QMP": {"version": …}}}). */
    public JsonNode greeting() { return greeting.getNow(null); }

    /** Events received so far and not yet taken. */
    public BlockingQueue<JsonNode> events() { return events; }

    public void onEvent(Consumer<JsonNode> listener) { listeners.add(listener); }

    /**
     * Run {@code command} with {@code arguments} (may be null) and return its {@code return} value.
     * Throws {@link QmpException} for an {@code error} reply, a timeout or a closed connection.
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode req = JSON.createObjectNode();
        req.put("execute", command);
        if (arguments != null && !arguments.isEmpty()) req.set("arguments", JSON.valueToTree(arguments));
        if (!agent) req.put("id", id);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        // the guest agent does not echo ids: one command at a time, matched in order
        String key = agent ? "agent" : id;
        if (agent) {
            synchronized (this) {
                return sendAndWait(command, key, f, req, timeout);
            }
        }
        return sendAndWait(command, key, f, req, timeout);
    }

    public JsonNode execute(String command) { return execute(command, null, Duration.ofSeconds(10)); }

    private JsonNode sendAndWait(String command, String key, CompletableFuture<JsonNode> f, ObjectNode req, Duration timeout) {
        if (closed) throw new QmpException(command, "connection closed" + (failure == null ? "" : ": " + failure.getMessage()));
        pending.put(key, f);
        try {
            byte[] line = (JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (writeLock) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) channel.write(buf);
            }
            JsonNode reply = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                JsonNode err = reply.get("error");
                throw new QmpException(command, err.path("desc").asString(err.toString()), err.path("class").asString(""));
            }
            return reply.get("return");
        } catch (TimeoutException e) {
            throw new QmpException(command, "got timeout");
        } catch (ExecutionException e) {
            throw new QmpException(command, e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException(command, "interrupted");
        } catch (IOException e) {
            throw new QmpException(command, e.getMessage());
        } finally {
            pending.remove(key);
        }
    }

    private void readLoop() {
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode msg;
                try {
                    msg = JSON.readTree(line);
                } catch (RuntimeException e) {
                    continue;
                }
                if (msg.has("QMP")) {
                    greeting.complete(msg);
                } else if (msg.has("event")) {
                    events.add(msg);
                    for (Consumer<JsonNode> l : listeners) {
                        try { l.accept(msg); } catch (RuntimeException ignored) { }
                    }
                } else if (msg.has("return") || msg.has("error")) {
                    String id = agent ? "agent" : msg.path("id").asString("");
                    CompletableFuture<JsonNode> f = pending.get(id);
                    if (f != null) f.complete(msg);
                }
            }
            failure = new IOException("connection closed by peer");
        } catch (IOException | UncheckedIOException e) {
            failure = e;
        } finally {
            closed = true;
            IOException ex = new IOException(failure == null ? "connection closed" : failure.getMessage());
            greeting.completeExceptionally(ex);
            pending.values().forEach(f -> f.completeExceptionally(ex));
        }
    }

    public boolean isClosed() { return closed; }

    /** Wait until an event named {@code name} arrives (consuming events before it). */
    public JsonNode awaitEvent(String name, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new TimeoutException("no " + name + " event");
            JsonNode ev = events.poll(left, TimeUnit.NANOSECONDS);
            if (ev == null) throw new TimeoutException("no " + name + " event");
            if (name.equals(ev.path("event").asString())) return ev;
        }
    }

    @Override public void close() {
        closed = true;
        try { channel.close(); } catch (IOException ignored) { }
        readerThread.interrupt();
    }
}
