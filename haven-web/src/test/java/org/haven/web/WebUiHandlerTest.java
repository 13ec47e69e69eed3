package org.haven.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The handler in a real Jetty server: what it serves, with which headers, and what it leaves to the next handler. */
class WebUiHandlerTest {
    static Server server;
    static HttpClient http;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        c.setPort(0);
        server.addConnector(c);
        WebUiHandler ui = new WebUiHandler(new StaticFiles(WebUiHandlerTest.class.getClassLoader(), "wwwtest"));
        Handler next = new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(418);
                response.write(true, ByteBuffer.wrap("next".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
        server.setHandler(new Handler.Sequence(ui, next));
        server.start();
        base = "http://127.0.0.1:" + c.getLocalPort();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        http.close();
        server.stop();
    }

    static HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String header(HttpResponse<?> r, String name) { return r.headers().firstValue(name).orElse(null); }

    @Test
    void entryPageIsRevalidatedAndAnswers304ForItsEtag() throws Exception {
        HttpResponse<byte[]> r = send("GET", "/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(header(r, "Cache-Control")).isEqualTo("no-cache");
        assertThat(header(r, "X-Frame-Options")).isEqualTo("SAMEORIGIN");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("<body>index</body>");
        String etag = header(r, "ETag");
        assertThat(etag).matches("\"[0-9a-f]{32}\"");

        HttpResponse<byte[]> again = send("GET", "/?console=kvm&novnc=1&vmid=100&node=n1", "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(send("GET", "/index.html", "If-None-Match", "\"other\"").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/index.html", "If-None-Match", "W/" + etag).statusCode()).isEqualTo(304);
    }

    @Test
    void versionedFilesAreImmutableAndCompressed() throws Exception {
        HttpResponse<byte[]> plain = send("GET", "/app-0123abcd/main.js");
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(header(plain, "Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(header(plain, "Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(header(plain, "Content-Encoding")).isNull();
        assertThat(header(plain, "Vary")).isEqualTo("Accept-Encoding");

        HttpResponse<byte[]> gz = send("GET", "/app-0123abcd/main.js", "Accept-Encoding", "br, gzip;q=0.8");
        assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
        assertThat(gz.body().length).isLessThan(plain.body().length);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz.body()))) {
            assertThat(in.readAllBytes()).isEqualTo(plain.body());
        }
        assertThat(header(send("GET", "/app-0123abcd/main.js", "Accept-Encoding", "gzip;q=0"), "Content-Encoding")).isNull();

        HttpResponse<byte[]> css = send("GET", "/vendor/pkg-1.0/a.css", "Accept-Encoding", "gzip");
        assertThat(header(css, "Content-Type")).isEqualTo("text/css; charset=utf-8");
        assertThat(header(css, "Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(header(css, "Content-Encoding")).as("small files are sent as they are").isNull();
        assertThat(header(send("GET", "/notes.txt"), "Cache-Control")).isEqualTo("public, max-age=3600");
    }

    @Test
    void headHasHeadersButNoBody() throws Exception {
        HttpResponse<byte[]> r = send("HEAD", "/app-0123abcd/main.js");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Content-Length")).isEqualTo(Integer.toString(send("GET", "/app-0123abcd/main.js").body().length));
        assertThat(r.body()).isEmpty();
    }

    @Test
    void apiUnknownFilesTraversalAndOtherMethodsGoToTheNextHandler() throws Exception {
        for (String p : new String[] {"/api2/json/version", "/api2", "/missing.js", "/app-0123abcd/", "/../wwwtest/notes.txt",
                "/app-0123abcd/%2e%2e/index.html", "/wwwtest/index.html", "//index.html"}) {
            HttpResponse<byte[]> r = send("GET", p);
            assertThat(r.statusCode()).as(p).isIn(418, 400);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(p).doesNotContain("<body>index</body>");
        }
        assertThat(send("POST", "/").statusCode()).isEqualTo(418);
        assertThat(send("DELETE", "/index.html").statusCode()).isEqualTo(418);
    }

    @Test
    void headerParsingTables() {
        assertThat(WebUiHandler.acceptsGzip(null)).isFalse();
        assertThat(WebUiHandler.acceptsGzip("gzip")).isTrue();
        assertThat(WebUiHandler.acceptsGzip("deflate, GZIP;q=0.5")).isTrue();
        assertThat(WebUiHandler.acceptsGzip("gzip;q=0")).isFalse();
        assertThat(WebUiHandler.acceptsGzip("gzip;q=0.0")).isFalse();
        assertThat(WebUiHandler.acceptsGzip("br")).isFalse();
        assertThat(WebUiHandler.acceptsGzip("x-gzip")).isFalse();
        assertThat(WebUiHandler.matches("\"a\", \"b\"", "\"b\"")).isTrue();
        assertThat(WebUiHandler.matches("*", "\"b\"")).isTrue();
        assertThat(WebUiHandler.matches("\"a\"", "\"b\"")).isFalse();
    }
}
