package org.haven.it.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The HTTPS front door of a real daemon, spoken to over raw TLS sockets: malformed requests are 400s with
 * PVE's envelope and no Java internals, the endpoints outside the method tree need a login, and a kept-alive
 * connection the server closes after its answer is told so with {@code Connection: close}; an error's status
 * line carries its message as the reason phrase, as PVE's does.
 */
@E2eTest
class HttpFrontDoorTest {
    private static final String NODE = "door";
    /** A Java class or package name, or an exception's simple name. */
    private static final Pattern JAVA = Pattern.compile("\\b(?:java|javax|jdk|sun|tools|org|com)\\.[a-z]\\w*\\.|Exception\\b|\\bat [a-z]\\w*\\.");

    @TempDir static Path dir;
    static HavenNode node;
    static Auth admin;

    @BeforeAll
    static void start() throws Exception {
        node = HavenNode.start(dir.resolve("node"), NODE);
        admin = node.login("admin@pve", node.adminPassword());
    }

    @AfterAll
    static void stop() { if (node != null) node.close(); }

    /** One parsed HTTP/1.1 answer. */
    record Answer(int status, String reason, Map<String, String> headers, String body) {
        JsonNode json() { return HavenNode.JSON.readTree(body); }
        boolean closes() { return "close".equalsIgnoreCase(headers.getOrDefault("connection", "")); }
    }

    /** A kept-alive TLS connection to the node. */
    static final class Connection implements AutoCloseable {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;

        Connection() throws Exception {
            socket = (SSLSocket) node.sslContext().getSocketFactory().createSocket("127.0.0.1", node.port());
            socket.setSoTimeout(20_000);
            socket.startHandshake();
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        Answer exchange(String method, String target, Map<String, String> headers, byte[] body) throws IOException {
            StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            return read();
        }

        Answer read() throws IOException {
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            while (!h.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) throw new IOException("connection closed before an answer: " + h);
                h.write(c);
            }
            String[] lines = h.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            int status = Integer.parseInt(statusLine[1]);
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) fields.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            byte[] body;
            if (fields.containsKey("content-length")) body = in.readNBytes(Integer.parseInt(fields.get("content-length")));
            else if ("chunked".equalsIgnoreCase(fields.get("transfer-encoding"))) body = chunked();
            else body = in.readAllBytes();
            return new Answer(status, statusLine.length > 2 ? statusLine[2] : "", fields, new String(body, StandardCharsets.UTF_8));
        }

        private byte[] chunked() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                StringBuilder size = new StringBuilder();
                for (int c = in.read(); c != '\n'; c = in.read()) if (c != '\r') size.append((char) c);
                int n = Integer.parseInt(size.toString().trim(), 16);
                if (n == 0) { in.readNBytes(2); return b.toByteArray(); }
                b.write(in.readNBytes(n));
                in.readNBytes(2);
            }
        }

        /** Did the server close the connection (end of stream) rather than keep it open? */
        boolean closedByServer() throws IOException {
            socket.setSoTimeout(5_000);
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        @Override public void close() throws IOException { socket.close(); }
    }

    static Map<String, String> withLogin(String contentType) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Cookie", "PVEAuthCookie=" + URLEncoder.encode(admin.ticket(), StandardCharsets.UTF_8));
        h.put("CSRFPreventionToken", admin.csrf());
        if (contentType != null) h.put("Content-Type", contentType);
        return h;
    }

    static void assertPlain400(String what, Answer a) {
        assertThat(a.status()).as(what + ": " + a.body()).isEqualTo(400);
        JsonNode j = a.json();
        assertThat(j.has("data") && j.get("data").isNull()).as(what + ": " + a.body()).isTrue();
        assertThat(j.has("errors") || j.path("message").asString("").length() > 1).as(what + ": " + a.body()).isTrue();
        assertThat(JAVA.matcher(a.body()).find()).as(what + " names Java internals: " + a.body()).isFalse();
    }

    @Test
    void malformedInputIsA400WithAMessage() throws Exception {
        String time = "/api2/json/nodes/" + NODE + "/time";
        String deep = "{\"timezone\":" + "[".repeat(3000) + "]".repeat(3000) + "}";
        record Bad(String what, String method, String target, String type, byte[] body) {}
        Bad[] cases = {
                new Bad("malformed JSON", "PUT", time, "application/json", "{bad".getBytes(StandardCharsets.UTF_8)),
                new Bad("bad query escape", "GET", "/api2/json/cluster/resources?x=%zz", null, null),
                new Bad("truncated query escape", "GET", "/api2/json/cluster/resources?type=%", null, null),
                new Bad("invalid UTF-8 JSON", "PUT", time, "application/json", new byte[]{'{', '"', 't', '"', ':', '"', (byte) 0xc3, '(', '"', '}'}),
                new Bad("latin-1 JSON", "PUT", time, "application/json", "{\"timezone\":\"Europe/Z\u00fcrich\"}".getBytes(StandardCharsets.ISO_8859_1)),
                new Bad("3000-deep JSON", "PUT", time, "application/json", deep.getBytes(StandardCharsets.UTF_8)),
                new Bad("JSON that is not an object", "PUT", time, "application/json", "[\"Europe/Paris\"]".getBytes(StandardCharsets.UTF_8)),
                new Bad("bad form escape", "PUT", time, "application/x-www-form-urlencoded", "comment=%zz".getBytes(StandardCharsets.UTF_8)),
                new Bad("NUL in a parameter", "PUT", time, "application/x-www-form-urlencoded", "timezone=a%00b".getBytes(StandardCharsets.UTF_8)),
                new Bad("NUL in JSON", "PUT", time, "application/json", "{\"timezone\":\"a\\u0000b\"}".getBytes(StandardCharsets.UTF_8)),
        };
        try (Connection c = new Connection()) {
            for (Bad b : cases) {
                Answer a = c.exchange(b.method(), b.target(), withLogin(b.type()), b.body());
                assertPlain400(b.what(), a);
                // the whole request was read: the connection carries the next one
                assertThat(a.closes()).as(b.what()).isFalse();
            }
            Answer nul = c.exchange("PUT", time, withLogin("application/x-www-form-urlencoded"), "timezone=a%00b".getBytes(StandardCharsets.UTF_8));
            assertThat(nul.json().get("errors").get("timezone").asString()).isEqualTo("value must not contain a NUL character");
            assertThat(c.exchange("GET", "/api2/json/cluster/resources?type=%", withLogin(null), null).json().has("errors")).isTrue();
            assertThat(c.exchange("GET", time, withLogin(null), null).status()).isEqualTo(200);
        }
        // malformed escapes, bytes that are not UTF-8 and NUL in the path itself
        for (String target : new String[]{"/api2/json/nodes/%zz/time", "/api2/json/nodes/%ff/time", "/api2/json/nodes/a%00b/time",
                "/api2/json/nodes/%C3/time", "/api2/json/nodes/" + NODE + "/time?timezone=%ff"}) {
            try (Connection c = new Connection()) {
                Answer a = c.exchange("GET", target, withLogin(null), null);
                assertThat(a.status()).as(target + ": " + a.body()).isIn(400, 501);
                assertThat(a.json().get("data").isNull()).as(target + ": " + a.body()).isTrue();
                assertThat(JAVA.matcher(a.body()).find()).as(target + " names Java internals: " + a.body()).isFalse();
            }
        }
    }

    @Test
    void endpointsOutsideTheMethodTreeNeedALogin() throws Exception {
        try (Connection c = new Connection()) {
            for (String path : new String[]{"/api2/openapi.json", "/api2/haven/node", "/api2/haven/schema?path=/version"}) {
                Answer anonymous = c.exchange("GET", path, Map.of(), null);
                assertThat(anonymous.status()).as(path).isEqualTo(401);
                assertThat(anonymous.body()).as(path).doesNotContain(NODE, "openapi");
                Map<String, String> badTicket = Map.of("Cookie", "PVEAuthCookie=PVE:admin@pve:00000000::AAAA");
                assertThat(c.exchange("GET", path, badTicket, null).status()).as(path).isEqualTo(401);
                Answer logged = c.exchange("GET", path, withLogin(null), null);
                assertThat(logged.status()).as(path).isEqualTo(200);
            }
            assertThat(c.exchange("GET", "/api2/haven/node", withLogin(null), null).json().get("data").asString()).isEqualTo(NODE);
            assertPlain400("bad schema path escape", c.exchange("GET", "/api2/haven/schema?path=%zz", withLogin(null), null));
        }
    }

    @Test
    void theServerSaysWhenItClosesAKeptAliveConnection() throws Exception {
        // a URI longer than Jetty accepts: 414, and the connection is closed
        try (Connection c = new Connection()) {
            Answer a = c.exchange("GET", "/api2/json/version?x=" + "a".repeat(20_000), withLogin(null), null);
            assertThat(a.status()).isEqualTo(414);
            assertThat(a.closes()).as("414 headers %s", a.headers()).isTrue();
            assertThat(JAVA.matcher(a.body()).find()).as(a.body()).isFalse();
            assertThat(c.closedByServer()).isTrue();
        }
        // a request line Jetty cannot parse: 400
        try (Connection c = new Connection()) {
            c.out.write("GET /api2/json/version HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            c.out.flush();
            Answer a = c.read();
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.closes()).as("400 headers %s", a.headers()).isTrue();
            assertThat(JAVA.matcher(a.body()).find()).as(a.body()).isFalse();
            assertThat(c.closedByServer()).isTrue();
        }
        // refused before its body was read: 401, and the unread body ends the connection
        try (Connection c = new Connection()) {
            Answer a = c.exchange("PUT", "/api2/json/nodes/" + NODE + "/time", Map.of("Content-Type", "application/x-www-form-urlencoded"),
                    "timezone=UTC".getBytes(StandardCharsets.UTF_8));
            assertThat(a.status()).isEqualTo(401);
            assertThat(a.closes()).as("401 headers %s", a.headers()).isTrue();
            assertThat(c.closedByServer()).isTrue();
        }
        // a body larger than the bound: 413 without reading it (the client has sent only its start)
        try (Connection c = new Connection()) {
            StringBuilder head = new StringBuilder("PUT /api2/json/nodes/" + NODE + "/time HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            withLogin("application/x-www-form-urlencoded").forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Content-Length: ").append(2 << 20).append("\r\n\r\ntimezone=aaaa");
            c.out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            c.out.flush();
            Answer a = c.read();
            assertThat(a.status()).isEqualTo(413);
            assertThat(a.closes()).as("413 headers %s", a.headers()).isTrue();
            assertThat(c.closedByServer()).isTrue();
        }
        // an answer after a fully read request keeps the connection
        try (Connection c = new Connection()) {
            assertThat(c.exchange("GET", "/api2/json/version", Map.of(), null).status()).isEqualTo(401);
            Answer a = c.exchange("GET", "/api2/json/version", withLogin(null), null);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.closes()).isFalse();
        }
    }

    @Test
    void theReasonPhraseOfAnErrorIsItsMessage() throws Exception {
        String user = "reason@pve", password = "reason-pass-1";
        assertThat(node.post("/access/users", Map.of("userid", user, "password", password), admin).status()).isEqualTo(200);
        Auth plain = node.login(user, password);
        Map<String, String> plainLogin = Map.of("Cookie", "PVEAuthCookie=" + URLEncoder.encode(plain.ticket(), StandardCharsets.UTF_8));
        record Case(String method, String target, Map<String, String> headers, int status, String reason) {}
        Case[] cases = {
                new Case("GET", "/api2/json/nodes/" + NODE + "/qemu/9999/config", withLogin(null), 500,
                        "Configuration file 'nodes/" + NODE + "/qemu-server/9999.conf' does not exist"),
                new Case("GET", "/api2/json/cluster/resources?type=bogus", withLogin(null), 400, "Parameter verification failed."),
                new Case("GET", "/api2/json/version", Map.of(), 401, "No ticket"),
                new Case("GET", "/api2/json/version", Map.of("Cookie", "PVEAuthCookie=PVE:admin@pve:00000000::AAAA"), 401, "authentication failure"),
                new Case("GET", "/api2/json/nodes/" + NODE + "/qemu/100/status/current", plainLogin, 403, "Permission check failed (/vms/100, VM.Audit)"),
                new Case("PATCH", "/api2/json/version", withLogin(null), 501, "Method 'PATCH /api2/json/version' not implemented"),
                new Case("GET", "/api2/json/version", withLogin(null), 200, "OK"),
        };
        for (Case k : cases) {
            try (Connection c = new Connection()) {
                Answer a = c.exchange(k.method(), k.target(), k.headers(), null);
                assertThat(a.status()).as(k.target() + ": " + a.body()).isEqualTo(k.status());
                assertThat(a.reason()).as(k.method() + " " + k.target()).isEqualTo(k.reason());
                if (k.status() != 200) assertThat(a.json().get("message").asString()).isEqualTo(k.reason() + "\n");
            }
        }
        // an answer of Jetty itself: its text, on one line
        try (Connection c = new Connection()) {
            Answer a = c.exchange("GET", "/api2/json/version?x=" + "a".repeat(20_000), withLogin(null), null);
            assertThat(a.status()).isEqualTo(414);
            assertThat(a.reason()).isEqualTo(a.json().get("message").asString().strip()).doesNotContain("\r", "\n");
        }
    }
}
