package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.haven.access.AccessControl;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.time.Clock;
import org.haven.guest.console.RfbClient;
import org.haven.guest.console.VncTerminal;
import org.haven.node.Havend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The node's shell through the real HTTPS server: termproxy, the websocket, PVE's termproxy protocol, a real shell. */
@RealTest
class NodeShellTest {
    @TempDir static Path dir;
    static Havend daemon;
    static HttpClient http;
    static String rootTicket;
    static String rootCsrf;

    @BeforeAll
    static void start() throws Exception {
        daemon = new Havend(new Havend.Options(dir.resolve("node1"), "node1", 0, "127.0.0.1", true, 0));
        daemon.start();
        AccessControl ac = new AccessControl(new LocalClusterFs(daemon.paths().cfsDir(), "node1"), Clock.SYSTEM);
        rootTicket = ac.createTicket("root@pam");
        rootCsrf = ac.csrfToken("root@pam");
        byte[] pem = Files.readAllBytes(daemon.paths().cfsDir().resolve("pve-root-ca.pem"));
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (daemon != null) daemon.close();
    }

    private static URI uri(String path) { return URI.create("https://127.0.0.1:" + daemon.httpsPort() + "/api2/json" + path); }

    private static String cookie() { return "PVEAuthCookie=" + URLEncoder.encode(rootTicket, StandardCharsets.UTF_8); }

    private static HttpResponse<String> post(String method, String form) throws Exception {
        return http.send(HttpRequest.newBuilder(uri("/nodes/node1/" + method)).header("Cookie", cookie()).header("CSRFPreventionToken", rootCsrf)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void rootGetsAShellOverTheTermproxyWebsocket() throws Exception {
        HttpResponse<String> r = post("termproxy", "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode data = JsonMapper.builder().build().readTree(r.body()).path("data");
        assertThat(data.path("user").asString()).isEqualTo("root@pam");
        assertThat(data.path("upid").asString()).startsWith("UPID:node1:").contains(":vncshell::root@pam:");
        String ticket = data.path("ticket").asString();
        URI ws = URI.create("wss://127.0.0.1:" + daemon.httpsPort() + "/api2/json/nodes/node1/vncwebsocket?port=" + data.path("port").asInt()
                + "&vncticket=" + URLEncoder.encode(ticket, StandardCharsets.UTF_8));
        int a = ThreadLocalRandom.current().nextInt(1000, 100000);
        int b = ThreadLocalRandom.current().nextInt(1000, 100000);
        try (Ws c = Ws.open(ws, cookie())) {
            c.ws.sendText("root@pam:" + ticket + "\n", true).get(10, TimeUnit.SECONDS);
            c.await("OK", Duration.ofSeconds(10));
            c.ws.sendText("1:100:30:", true).get(10, TimeUnit.SECONDS);
            String line = "echo hello-$((" + a + "+" + b + "))\n";
            c.ws.sendText("0:" + line.getBytes(StandardCharsets.UTF_8).length + ":" + line, true).get(10, TimeUnit.SECONDS);
            // the sum appears only in the shell's output, never in the echoed input
            c.await("hello-" + (a + b), Duration.ofSeconds(20));
            String exit = "exit\n";
            c.ws.sendText("0:" + exit.length() + ":" + exit, true).get(10, TimeUnit.SECONDS);
            c.closed.get(20, TimeUnit.SECONDS);
        }
    }

    /**
     * vncshell: the login shell on a VNC terminal behind the node's websocket, logged in to with the ticket as VNC
     * password; a character the shell places at a column it computes shows up there on the screen.
     */
    @Test
    void rootGetsAShellOnAVncTerminalOverTheWebsocket() throws Exception {
        HttpResponse<String> r = post("vncshell", "websocket=1&width=800&height=400");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode data = JsonMapper.builder().build().readTree(r.body()).path("data");
        assertThat(data.path("user").asString()).isEqualTo("root@pam");
        assertThat(data.path("upid").asString()).startsWith("UPID:node1:").contains(":vncshell::root@pam:");
        assertThat(data.path("cert").asString()).as("the cluster CA").startsWith("-----BEGIN CERTIFICATE-----");
        String ticket = data.path("ticket").asString();
        URI ws = URI.create("wss://127.0.0.1:" + daemon.httpsPort() + "/api2/json/nodes/node1/vncwebsocket?port=" + data.path("port").asInt()
                + "&vncticket=" + URLEncoder.encode(ticket, StandardCharsets.UTF_8));
        VncTerminal.CellSize cell = VncTerminal.cellSize();
        int a = ThreadLocalRandom.current().nextInt(2, 20), b = ThreadLocalRandom.current().nextInt(2, 20);
        try (WsStream s = WsStream.open(ws, cookie()); RfbClient c = new RfbClient(s.in, s.out)) {
            assertThat(c.login(ticket)).isZero();
            assertThat(c.width).isEqualTo(800 / cell.width() * cell.width());
            assertThat(c.height).isEqualTo(400 / cell.height() * cell.height());
            c.request(false);
            c.update();
            // the shell, not the echo of the typed line, puts '#' on row 10 at column a+b, then goes back to the top
            c.type("clear; printf '\\033[10;%dH#\\033[1;1H' $((" + a + "+" + b + "))\r");
            int col = a + b - 1;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!c.inked(col, 9, cell) && System.nanoTime() < deadline) {
                c.request(true);
                c.update();
            }
            for (int x = 0; x < 60; x++) assertThat(c.inked(x, 9, cell)).as("column " + x).isEqualTo(x == col);
        }
    }

    @Test
    void wrongVncPasswordIsRefusedAndSpiceIsNotAvailable() throws Exception {
        JsonNode data = JsonMapper.builder().build().readTree(post("vncshell", "websocket=1").body()).path("data");
        URI ws = URI.create("wss://127.0.0.1:" + daemon.httpsPort() + "/api2/json/nodes/node1/vncwebsocket?port=" + data.path("port").asInt()
                + "&vncticket=" + URLEncoder.encode(data.path("ticket").asString(), StandardCharsets.UTF_8));
        try (WsStream s = WsStream.open(ws, cookie()); RfbClient c = new RfbClient(s.in, s.out)) {
            assertThat(c.login("not-the-ticket")).isNotZero();
        }
        assertThat(post("vncshell", "width=8").statusCode()).isEqualTo(400);
        HttpResponse<String> spice = post("spiceshell", "");
        assertThat(spice.statusCode()).isEqualTo(501);
        assertThat(spice.body()).contains("spiceterm");
    }

    @Test
    void aWrongTicketIsRefusedAndOthersThanRootCannotUpgrade() throws Exception {
        HttpResponse<String> r = post("termproxy", "");
        JsonNode data = JsonMapper.builder().build().readTree(r.body()).path("data");
        URI bad = URI.create("wss://127.0.0.1:" + daemon.httpsPort() + "/api2/json/nodes/node1/vncwebsocket?port=" + data.path("port").asInt()
                + "&vncticket=PVEVNC:nope");
        assertThat(catchThrowable(() -> Ws.open(bad, cookie()))).isNotNull();
        assertThat(post("termproxy", "cmd=bogus").statusCode()).isEqualTo(400);
        assertThat(post("termproxy", "cmd-opts=x").statusCode()).isEqualTo(400);
    }

    /** A binary websocket as a pair of streams: frames received are read from {@code in}, bytes written to {@code out} are sent. */
    static final class WsStream implements WebSocket.Listener, AutoCloseable {
        private static final byte[] EOF = new byte[0];
        final java.util.concurrent.BlockingQueue<byte[]> frames = new java.util.concurrent.LinkedBlockingQueue<>();
        WebSocket ws;

        final java.io.InputStream in = new java.io.InputStream() {
            private byte[] cur = new byte[0];
            private int pos;

            @Override public int read() throws java.io.IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override public int read(byte[] b, int off, int len) throws java.io.IOException {
                if (len == 0) return 0;
                while (pos == cur.length) {
                    if (cur == EOF) return -1;
                    try {
                        cur = frames.poll(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    if (cur == null) throw new java.net.SocketTimeoutException("no data from the websocket");
                    pos = 0;
                }
                int n = Math.min(len, cur.length - pos);
                System.arraycopy(cur, pos, b, off, n);
                pos += n;
                return n;
            }
        };

        final java.io.OutputStream out = new java.io.OutputStream() {
            @Override public void write(int b) throws java.io.IOException { write(new byte[] {(byte) b}, 0, 1); }

            @Override public void write(byte[] b, int off, int len) throws java.io.IOException {
                try {
                    ws.sendBinary(ByteBuffer.wrap(b.clone(), off, len), true).get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
            }

            @Override public void close() { ws.abort(); }
        };

        static WsStream open(URI uri, String cookie) throws Exception {
            WsStream s = new WsStream();
            s.ws = http.newWebSocketBuilder().header("Cookie", cookie).subprotocols("binary").connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(uri, s).get(20, TimeUnit.SECONDS);
            return s;
        }

        @Override public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            frames.add(b);
            w.request(1);
            return null;
        }

        @Override public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            frames.add(EOF);
            return null;
        }

        @Override public void onError(WebSocket w, Throwable error) { frames.add(EOF); }

        @Override public void close() { ws.abort(); }
    }

    /** A websocket collecting text and binary frames as text. */
    static final class Ws implements WebSocket.Listener, AutoCloseable {
        final StringBuilder received = new StringBuilder();
        final java.util.concurrent.CompletableFuture<Integer> closed = new java.util.concurrent.CompletableFuture<>();
        WebSocket ws;

        static Ws open(URI uri, String cookie) throws Exception {
            Ws c = new Ws();
            c.ws = http.newWebSocketBuilder().header("Cookie", cookie).subprotocols("binary").connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(uri, c).get(20, TimeUnit.SECONDS);
            return c;
        }

        @Override public synchronized CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            received.append(data);
            notifyAll();
            w.request(1);
            return null;
        }

        @Override public synchronized CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            received.append(StandardCharsets.UTF_8.decode(data));
            notifyAll();
            w.request(1);
            return null;
        }

        @Override public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            closed.complete(status);
            return null;
        }

        synchronized void await(String needle, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (received.indexOf(needle) < 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new TimeoutException("no '" + needle + "' in: " + received);
                wait(Math.max(1, left / 1_000_000));
            }
        }

        @Override public void close() { ws.abort(); }
    }
}
