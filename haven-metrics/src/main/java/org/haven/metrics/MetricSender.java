package org.haven.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Sends a node's statistics to one external metric server: Graphite plaintext over UDP or TCP, InfluxDB line
 * protocol over UDP or to the v2 write API over HTTP(S) (with {@code Authorization: Token <token>}), in PVE's batches.
 */
public final class MetricSender {

    /** The batches {@code s} gets for {@code snap}: the server's format, cut at its batch size. */
    public static List<String> payloads(MetricServer s, Snapshot snap) {
        List<String> lines = s.type().equals("graphite") ? GraphiteFormat.lines(s.path(), snap) : InfluxFormat.lines(snap);
        return Batches.of(lines, s.batchSize());
    }

    public void send(MetricServer s, Snapshot snap) throws IOException {
        List<String> batches = payloads(s, snap);
        if (batches.isEmpty()) return;
        if (s.http()) {
            sendHttp(s, batches);
        } else if (s.type().equals("graphite") && s.proto().equals("tcp")) {
            try (Socket sock = connectTcp(s)) {
                OutputStream out = sock.getOutputStream();
                for (String b : batches) out.write(b.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } else {
            InetSocketAddress to = address(s);
            try (DatagramSocket sock = new DatagramSocket()) {
                for (String b : batches) {
                    byte[] data = b.getBytes(StandardCharsets.UTF_8);
                    sock.send(new DatagramPacket(data, data.length, to));
                }
            }
        }
    }

    /**
     * PVE's connection test when a server is added or changed: a TCP connection for Graphite over TCP, a resolvable
     * address for UDP; HTTP servers are not tested.
     */
    public void testConnection(MetricServer s) throws IOException {
        if (s.http()) return;
        if (s.type().equals("graphite") && s.proto().equals("tcp")) {
            try (Socket ignored = connectTcp(s)) {
                return;
            }
        }
        try (DatagramSocket sock = new DatagramSocket()) {
            sock.connect(address(s));
        }
    }

    private static InetSocketAddress address(MetricServer s) throws IOException {
        InetSocketAddress a = new InetSocketAddress(s.server(), s.port());
        if (a.isUnresolved()) throw new IOException("failed to create socket - unable to resolve '" + s.server() + "'");
        return a;
    }

    private static Socket connectTcp(MetricServer s) throws IOException {
        Socket sock = new Socket();
        try {
            int ms = (int) Duration.ofSeconds(s.timeout()).toMillis();
            sock.connect(address(s), ms);
            sock.setSoTimeout(ms);
            return sock;
        } catch (IOException e) {
            sock.close();
            throw new IOException("failed to create socket - " + e.getMessage(), e);
        }
    }

    private static void sendHttp(MetricServer s, List<String> batches) throws IOException {
        HttpClient.Builder cb = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(Math.max(1, s.timeout())));
        if (!s.verifyCertificate()) cb.sslContext(trustAll());
        try (HttpClient client = cb.build()) {
            for (String b : batches) {
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(s.writeUrl()))
                        .timeout(Duration.ofSeconds(Math.max(1, s.timeout())))
                        .header("Content-Type", "text/plain; charset=utf-8")
                        .POST(HttpRequest.BodyPublishers.ofString(b, StandardCharsets.UTF_8));
                if (s.token() != null) rb.header("Authorization", "Token " + s.token());
                HttpResponse<String> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) throw new IOException("HTTP error: " + r.statusCode() + " " + r.body().strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static SSLContext trustAll() throws IOException {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
                @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }
}
