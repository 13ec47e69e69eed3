package org.haven.guest.console;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * One console websocket, bridged to a guest's Unix socket: the VNC server ({@code mode VNC}, raw binary
 * frames both ways, as noVNC speaks it) or a serial port ({@code mode TERM}, PVE's termproxy protocol for
 * xterm.js: the client first sends {@code user:ticket\n} and gets {@code OK}, then {@code 0:LEN:DATA} for
 * input, {@code 1:COLS:ROWS:} for a resize, {@code 2} as ping; output goes out as binary frames).
 */
public final class ConsoleBridge implements Session.Listener.AutoDemanding {

    public enum Mode { VNC, TERM }

    private final Path socket;
    private final Mode mode;
    private final Predicate<String> termAuth;
    private final Runnable onClose;
    private volatile Session session;
    private volatile SocketChannel channel;
    private volatile boolean authenticated;
    private final StringBuilder pending = new StringBuilder();

    /**
     * @param termAuth for TERM mode: checks the {@code user:ticket} line
     * @param onClose  called once when the bridge ends
     */
    public ConsoleBridge(Path socket, Mode mode, Predicate<String> termAuth, Runnable onClose) {
        this.socket = socket;
        this.mode = mode;
        this.termAuth = termAuth;
        this.onClose = onClose;
        this.authenticated = mode == Mode.VNC;
    }

    @Override public void onWebSocketOpen(Session s) {
        this.session = s;
        try {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            s.close(1011, "unable to connect to console: " + e.getMessage(), Callback.NOOP);
            return;
        }
        if (mode == Mode.VNC) startPump();
    }

    private void startPump() {
        Thread.ofVirtual().name("console-pump").start(() -> {
            ByteBuffer buf = ByteBuffer.allocate(65536);
            try {
                while (channel.read(buf) >= 0) {
                    buf.flip();
                    if (buf.hasRemaining()) {
                        ByteBuffer out = ByteBuffer.allocate(buf.remaining());
                        out.put(buf).flip();
                        CompletableFuture<Void> done = new CompletableFuture<>();
                        session.sendBinary(out, Callback.from(() -> done.complete(null), done::completeExceptionally));
                        done.join();
                    }
                    buf.clear();
                }
            } catch (Exception e) {
                // socket or websocket closed
            } finally {
                Session s = session;
                if (s != null && s.isOpen()) s.close(1000, "console closed", Callback.NOOP);
            }
        });
    }

    private void write(ByteBuffer data) throws IOException {
        SocketChannel c = channel;
        if (c == null) return;
        while (data.hasRemaining()) c.write(data);
    }

    @Override public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        try {
            if (mode == Mode.VNC) write(payload);
            else handleTerm(StandardCharsets.UTF_8.decode(payload).toString());
            callback.succeed();
        } catch (IOException e) {
            callback.fail(e);
            session.close(1011, e.getMessage(), Callback.NOOP);
        }
    }

    @Override public void onWebSocketText(String message) {
        try {
            if (mode == Mode.VNC) write(StandardCharsets.ISO_8859_1.encode(message));
            else handleTerm(message);
        } catch (IOException e) {
            session.close(1011, e.getMessage(), Callback.NOOP);
        }
    }

    private void handleTerm(String msg) throws IOException {
        pending.append(msg);
        if (!authenticated) {
            int nl = pending.indexOf("\n");
            if (nl < 0) return;
            String line = pending.substring(0, nl);
            pending.delete(0, nl + 1);
            if (!termAuth.test(line)) {
                session.close(1008, "authentication failed", Callback.NOOP);
                return;
            }
            authenticated = true;
            session.sendText("OK", Callback.NOOP);
            startPump();
        }
        while (!pending.isEmpty()) {
            char type = pending.charAt(0);
            if (type == '2') {
                pending.deleteCharAt(0);
                continue;
            }
            if (type == '1') {
                // resize: 1:cols:rows: — nothing to do for a serial line
                int end = nthColon(pending, 3);
                if (end < 0) return;
                pending.delete(0, end + 1);
                continue;
            }
            if (type == '0') {
                int c2 = nthColon(pending, 2);
                if (c2 < 0) return;
                int len = Integer.parseInt(pending.substring(2, c2));
                byte[] all = pending.substring(c2 + 1).getBytes(StandardCharsets.UTF_8);
                if (all.length < len) return;
                String data = new String(all, 0, len, StandardCharsets.UTF_8);
                pending.delete(0, c2 + 1 + data.length());
                write(StandardCharsets.UTF_8.encode(data));
                continue;
            }
            // unknown message: drop it
            pending.setLength(0);
        }
    }

    private static int nthColon(CharSequence s, int n) {
        int seen = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == ':' && ++seen == n) return i;
        return -1;
    }

    @Override public void onWebSocketClose(int statusCode, String reason) {
        SocketChannel c = channel;
        if (c != null) try { c.close(); } catch (IOException ignored) { }
        if (onClose != null) onClose.run();
    }

    @Override public void onWebSocketError(Throwable cause) {
        onWebSocketClose(1011, cause.getMessage());
    }
}
