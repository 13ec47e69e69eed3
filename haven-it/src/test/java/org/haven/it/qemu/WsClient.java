package org.haven.it.qemu;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A small websocket client over the JDK's HttpClient that collects received bytes for tests. */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final StringBuilder text = new StringBuilder();
    private WebSocket ws;

    public static WsClient open(HttpClient http, URI uri, String cookie, String subprotocol) throws Exception {
        WsClient c = new WsClient();
        WebSocket.Builder b = http.newWebSocketBuilder().header("Cookie", cookie).connectTimeout(Duration.ofSeconds(10));
        if (subprotocol != null) b.subprotocols(subprotocol);
        c.ws = b.buildAsync(uri, c).get(20, TimeUnit.SECONDS);
        return c;
    }

    @Override public synchronized CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        received.writeBytes(b);
        notifyAll();
        w.request(1);
        return null;
    }

    @Override public synchronized CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
        text.append(data);
        notifyAll();
        w.request(1);
        return null;
    }

    /** Wait until at least {@code n} bytes arrived, then take exactly {@code n}. */
    synchronized byte[] take(int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new TimeoutException("only " + received.size() + " of " + n + " bytes");
            wait(Math.max(1, left / 1_000_000));
        }
        byte[] all = received.toByteArray();
        byte[] out = java.util.Arrays.copyOf(all, n);
        received.reset();
        received.write(all, n, all.length - n);
        return out;
    }

    public synchronized String awaitText(String needle, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String all = text + received.toString(StandardCharsets.ISO_8859_1);
            if (all.contains(needle)) return all;
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new TimeoutException("no '" + needle + "' in: " + all);
            wait(Math.max(1, left / 1_000_000));
        }
    }

    void send(byte[] data) throws Exception { ws.sendBinary(ByteBuffer.wrap(data), true).get(10, TimeUnit.SECONDS); }

    public void sendText(String s) throws Exception { ws.sendText(s, true).get(10, TimeUnit.SECONDS); }

    String subprotocol() { return ws.getSubprotocol(); }

    @Override public void close() {
        try { ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS); } catch (Exception ignored) { }
        ws.abort();
    }
}
