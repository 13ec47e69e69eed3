package org.haven.it.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenID Connect login through the daemon's /access/openid API, against a provider served by the test. */
@E2eTest
class OpenIdEndToEndTest {
    @TempDir static Path dir;
    static HavenNode node;
    static HttpServer provider;
    static String issuer;
    static KeyPair key;
    static final Map<String, String> codeToNonce = new ConcurrentHashMap<>();

    static String b64(byte[] b) { return Base64.getUrlEncoder().withoutPadding().encodeToString(b); }

    static byte[] unsigned(byte[] b) { return b.length > 1 && b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b; }

    static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws java.io.IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        issuer = "http://127.0.0.1:" + provider.getAddress().getPort();
        provider.createContext("/.well-known/openid-configuration", ex -> reply(ex, 200, "{\"issuer\":\"" + issuer + "\",\"authorization_endpoint\":\""
                + issuer + "/authorize\",\"token_endpoint\":\"" + issuer + "/token\",\"jwks_uri\":\"" + issuer + "/jwks\"}"));
        provider.createContext("/jwks", ex -> {
            RSAPublicKey pub = (RSAPublicKey) key.getPublic();
            reply(ex, 200, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"1\",\"n\":\"" + b64(unsigned(pub.getModulus().toByteArray())) + "\",\"e\":\""
                    + b64(unsigned(pub.getPublicExponent().toByteArray())) + "\"}]}");
        });
        provider.createContext("/token", ex -> {
            Map<String, String> f = new HashMap<>();
            for (String kv : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
                String[] p = kv.split("=", 2);
                f.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8));
            }
            String nonce = codeToNonce.remove(f.get("code"));
            if (nonce == null) { reply(ex, 400, "{\"error\":\"invalid_grant\"}"); return; }
            long now = System.currentTimeMillis() / 1000;
            String header = b64("{\"alg\":\"RS256\",\"kid\":\"1\"}".getBytes());
            String payload = b64(("{\"iss\":\"" + issuer + "\",\"aud\":\"haven-ui\",\"sub\":\"carla\",\"email\":\"carla@example.com\",\"exp\":" + (now + 300)
                    + ",\"iat\":" + now + ",\"nonce\":\"" + nonce + "\"}").getBytes(StandardCharsets.UTF_8));
            try {
                Signature s = Signature.getInstance("SHA256withRSA");
                s.initSign(key.getPrivate());
                s.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
                reply(ex, 200, "{\"access_token\":\"x\",\"token_type\":\"Bearer\",\"id_token\":\"" + header + "." + payload + "." + b64(s.sign()) + "\"}");
            } catch (Exception e) {
                reply(ex, 500, "{}");
            }
        });
        provider.start();
        node = HavenNode.start(dir.resolve("node"), "oidcnode");
    }

    @AfterAll
    static void stop() {
        try {
            if (node != null) node.close();
        } finally {
            if (provider != null) provider.stop(0);
        }
    }

    @Test
    void authUrlThenLoginGivesATicket() throws Exception {
        Auth admin = node.login("admin@pve", node.adminPassword());
        Resp realm = node.post("/access/domains", Map.of("realm", "sso", "type", "openid", "issuer-url", issuer, "client-id", "haven-ui",
                "client-key", "secret", "autocreate", "1", "comment", "Single sign-on"), admin);
        assertThat(realm.status()).as(realm.body()).isEqualTo(200);
        assertThat(node.get("/access/openid", admin).status()).isEqualTo(200);

        Resp url = node.post("/access/openid/auth-url", Map.of("realm", "sso", "redirect-url", "https://haven.example:8006"), null);
        assertThat(url.status()).as(url.body()).isEqualTo(200);
        String authorize = url.data().asString();
        assertThat(authorize).startsWith(issuer + "/authorize?");
        Map<String, String> q = new HashMap<>();
        for (String kv : URI.create(authorize).getRawQuery().split("&")) {
            String[] p = kv.split("=", 2);
            q.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8));
        }
        codeToNonce.put("code-1", q.get("nonce"));
        Resp login = node.post("/access/openid/login", Map.of("code", "code-1", "state", q.get("state"), "redirect-url", "https://haven.example:8006"), null);
        assertThat(login.status()).as(login.body()).isEqualTo(200);
        assertThat(login.data().get("username").asString()).isEqualTo("carla@sso");
        assertThat(login.data().get("cap").has("vms")).isTrue();
        Auth carla = Auth.ticket(login.data().get("ticket").asString(), login.data().get("CSRFPreventionToken").asString());
        assertThat(node.get("/access/permissions", carla).status()).isEqualTo(200);
        // the code cannot be used twice, and a forged state is refused
        assertThat(node.post("/access/openid/login", Map.of("code", "code-1", "state", q.get("state"), "redirect-url", "https://haven.example:8006"), null).status())
                .isEqualTo(401);
        codeToNonce.put("code-2", q.get("nonce"));
        assertThat(node.post("/access/openid/login", Map.of("code", "code-2", "state", "PVEOIDC:sso:00000000::AAAA", "redirect-url", "https://haven.example:8006"), null).status())
                .isEqualTo(401);
        Resp users = node.get("/access/users", admin);
        assertThat(users.body()).contains("carla@sso").contains("carla@example.com");
    }
}
