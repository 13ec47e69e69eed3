package org.haven.node.acme;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A client of one ACME CA (RFC 8555): the directory, nonces, signed requests (retried once more for every
 * {@code badNonce}, as the RFC asks), accounts, orders, authorizations, challenges, finalization, download and
 * revocation. Each call is one round trip; the order flow is {@link AcmeOrder}'s.
 */
public final class AcmeClient {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int NONCE_RETRIES = 5;

    private final String directoryUrl;
    private final HttpClient http;
    private JsonNode directory;
    private String nonce;

    public AcmeClient(String directoryUrl, HttpClient http) {
        this.directoryUrl = directoryUrl;
        this.http = http;
    }

    /** An HTTP client as the node uses it for a CA: the system's trust store, redirects followed. */
    public static HttpClient httpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** A failed request: the CA's problem document ({@code type}, {@code detail}) or the HTTP status. */
    public static final class AcmeException extends RuntimeException {
        public final String type;
        public AcmeException(String type, String message) {
            super(message);
            this.type = type;
        }
    }

    /** A response of the CA: status, {@code Location}, the body as JSON (or text for a certificate), and the links. */
    public record Response(int status, String location, String body, List<String> links) {
        public JsonNode json() { return JSON.readTree(body); }
    }

    public synchronized JsonNode directory() {
        if (directory == null) {
            Response r = send(HttpRequest.newBuilder(URI.create(directoryUrl)).GET(), directoryUrl);
            directory = r.json();
            if (!directory.has("newNonce") || !directory.has("newAccount"))
                throw new AcmeException(null, "'" + directoryUrl + "' is not an ACME directory");
        }
        return directory;
    }

    /** The directory's {@code meta} object (terms of service, website, CAA identities, external account requirement). */
    public JsonNode meta() { return directory().path("meta"); }

    private String url(String name) {
        JsonNode u = directory().get(name);
        if (u == null) throw new AcmeException(null, "the CA's directory has no '" + name + "'");
        return u.asString();
    }

    private synchronized String takeNonce() {
        if (nonce != null) {
            String n = nonce;
            nonce = null;
            return n;
        }
        String url = url("newNonce");
        HttpResponse<String> r = exchange(HttpRequest.newBuilder(URI.create(url)).method("HEAD", HttpRequest.BodyPublishers.noBody()), url);
        return r.headers().firstValue("Replay-Nonce").orElseThrow(() -> new AcmeException(null, "no nonce from " + url));
    }

    /** A signed POST of {@code payload} (null: POST-as-GET) to {@code url} as account {@code kid} (null: with the key). */
    public Response post(String url, Object payload, String kid, KeyPair key) {
        for (int attempt = 0; ; attempt++) {
            String body = Jws.sign(Jws.header(takeNonce(), url, kid, (RSAPublicKey) key.getPublic()), payload, key.getPrivate());
            try {
                return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/jose+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)), url);
            } catch (AcmeException e) {
                if (!"urn:ietf:params:acme:error:badNonce".equals(e.type) || attempt >= NONCE_RETRIES) throw e;
            }
        }
    }

    /** A new account (or the existing one of this key); returns the response whose {@code location} is the account URL. */
    public Response newAccount(KeyPair key, List<String> contacts, boolean tosAgreed, String eabKid, String eabHmacKey) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("contact", contacts);
        if (tosAgreed) payload.put("termsOfServiceAgreed", true);
        if (eabKid != null)
            payload.put("externalAccountBinding", Jws.externalAccountBinding(eabKid, eabHmacKey, url("newAccount"), (RSAPublicKey) key.getPublic()));
        return post(url("newAccount"), payload, null, key);
    }

    public Response newOrder(String kid, KeyPair key, List<String> domains) {
        List<Map<String, String>> ids = domains.stream().map(d -> Map.of("type", "dns", "value", d)).toList();
        return post(url("newOrder"), Map.of("identifiers", ids), kid, key);
    }

    /** Revokes a certificate (its DER) signed with the account key. */
    public void revoke(byte[] certDer, String kid, KeyPair key) {
        post(url("revokeCert"), Map.of("certificate", Jws.b64(certDer)), kid, key);
    }

    private Response send(HttpRequest.Builder b, String url) {
        HttpResponse<String> r = exchange(b.timeout(Duration.ofSeconds(60)), url);
        String location = r.headers().firstValue("Location").orElse(null);
        return new Response(r.statusCode(), location, r.body(), r.headers().allValues("Link"));
    }

    private HttpResponse<String> exchange(HttpRequest.Builder b, String url) {
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AcmeException(null, "unable to reach " + url + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AcmeException(null, "interrupted");
        }
        Optional<String> n = r.headers().firstValue("Replay-Nonce");
        if (n.isPresent()) {
            synchronized (this) {
                nonce = n.get();
            }
        }
        if (r.statusCode() >= 400) {
            String type = null;
            String detail = r.body();
            try {
                JsonNode p = JSON.readTree(r.body());
                type = p.path("type").asString(null);
                detail = p.path("detail").asString(detail);
            } catch (RuntimeException e) {
                // not a problem document
            }
            throw new AcmeException(type, "ACME request to " + url + " failed (" + r.statusCode() + "): " + detail);
        }
        return r;
    }

    /** What went wrong with a connection, in words (the JDK leaves some messages empty). */
    static String describe(IOException e) {
        if (e instanceof java.net.http.HttpConnectTimeoutException || e instanceof java.net.http.HttpTimeoutException) return "timed out";
        if (e instanceof java.net.ConnectException) return "connection refused";
        if (e instanceof java.net.UnknownHostException) return "unknown host";
        if (e instanceof javax.net.ssl.SSLException) return "TLS handshake failed" + (e.getMessage() == null ? "" : " - " + e.getMessage());
        return e.getMessage() == null ? "connection failed" : e.getMessage();
    }
}
