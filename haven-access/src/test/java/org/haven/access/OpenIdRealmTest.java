package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.cfs.MemoryClusterFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenID Connect realm against a small provider served on loopback by the test (discovery, token, JWKS, userinfo). */
class OpenIdRealmTest {
    HttpServer server;
    String issuer;
    KeyPair key = Tickets.generateRsa(2048);
    KeyPair otherKey = Tickets.generateRsa(2048);
    /** code → claims to put in the ID token. */
    final Map<String, Map<String, Object>> codes = new ConcurrentHashMap<>();
    volatile boolean signWithOtherKey;
    MemoryClusterFs fs;
    AtomicLong now = new AtomicLong(System.currentTimeMillis() / 1000);
    AccessControl ac;
    OpenIdRealm oidc;

    static String b64(byte[] b) { return Base64.getUrlEncoder().withoutPadding().encodeToString(b); }

    static String json(Map<String, Object> m) {
        return tools.jackson.databind.json.JsonMapper.builder().build().writeValueAsString(m);
    }

    String sign(Map<String, Object> claims) throws Exception {
        String header = b64("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}".getBytes());
        String payload = b64(json(claims).getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign((signWithOtherKey ? otherKey : key).getPrivate());
        s.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "." + b64(s.sign());
    }

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
        server.createContext("/realms/test/.well-known/openid-configuration", ex -> reply(ex, 200, "{\"issuer\":\"" + issuer
                + "\",\"authorization_endpoint\":\"" + issuer + "/auth\",\"token_endpoint\":\"" + issuer + "/token\",\"jwks_uri\":\""
                + issuer + "/jwks\",\"userinfo_endpoint\":\"" + issuer + "/userinfo\"}"));
        server.createContext("/realms/test/jwks", ex -> {
            RSAPublicKey pub = (RSAPublicKey) key.getPublic();
            reply(ex, 200, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"use\":\"sig\",\"n\":\"" + b64(unsigned(pub.getModulus().toByteArray()))
                    + "\",\"e\":\"" + b64(unsigned(pub.getPublicExponent().toByteArray())) + "\"}]}");
        });
        server.createContext("/realms/test/token", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> f = new HashMap<>();
            for (String kv : body.split("&")) { String[] p = kv.split("=", 2); f.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8)); }
            Map<String, Object> claims = codes.remove(f.get("code"));
            if (claims == null || !"haven".equals(f.get("client_id")) || !"s3cret".equals(f.get("client_secret"))) { reply(ex, 400, "{\"error\":\"invalid_grant\"}"); return; }
            try {
                reply(ex, 200, "{\"access_token\":\"at-" + claims.get("sub") + "\",\"token_type\":\"Bearer\",\"id_token\":\"" + sign(claims) + "\"}");
            } catch (Exception e) {
                reply(ex, 500, "{}");
            }
        });
        server.createContext("/realms/test/userinfo", ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String sub = auth == null ? "" : auth.replace("Bearer at-", "");
            reply(ex, 200, "{\"sub\":\"" + sub + "\",\"preferred_username\":\"" + sub + "-name\",\"given_name\":\"Given\"}");
        });
        server.start();
        fs = new MemoryClusterFs("node1");
        ac = new AccessControl(fs, now::get, (s, u, p, r) -> { throw new AuthenticationException("no PAM"); }, "other");
        oidc = new OpenIdRealm(ac);
        new AccessAdmin(ac).createRealm(Map.of("realm", "sso", "type", "openid", "issuer-url", issuer, "client-id", "haven",
                "client-key", "s3cret", "autocreate", 1));
    }

    static byte[] unsigned(byte[] b) { return b.length > 1 && b[0] == 0 ? java.util.Arrays.copyOfRange(b, 1, b.length) : b; }

    static void reply(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws java.io.IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @AfterEach
    void stop() { server.stop(0); }

    static Map<String, String> query(String url) {
        Map<String, String> q = new HashMap<>();
        for (String kv : URI.create(url).getRawQuery().split("&")) { String[] p = kv.split("=", 2); q.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8)); }
        return q;
    }

    /** What the browser and provider do between auth-url and login: the provider issues a code for these claims. */
    String issueCode(String authUrl, Map<String, Object> extra) {
        Map<String, String> q = query(authUrl);
        Map<String, Object> claims = new HashMap<>(Map.of("iss", issuer, "aud", "haven", "exp", now.get() + 300, "iat", now.get(), "nonce", q.get("nonce")));
        claims.putAll(extra);
        String code = "code-" + codes.size() + "-" + System.nanoTime();
        codes.put(code, claims);
        return code;
    }

    @Test
    void authorizationCodeFlowCreatesAndLogsInTheUser() {
        String url = oidc.authUrl("sso", "https://pve.example:8006");
        assertThat(url).startsWith(issuer + "/auth?response_type=code&client_id=haven&redirect_uri=https%3A%2F%2Fpve.example%3A8006");
        Map<String, String> q = query(url);
        assertThat(q.get("scope")).isEqualTo("openid email profile");
        String code = issueCode(url, Map.of("sub", "alice", "email", "alice@example.com"));
        String userid = oidc.login(code, q.get("state"), "https://pve.example:8006");
        assertThat(userid).isEqualTo("alice@sso");
        assertThat(ac.userConfig().users.get("alice@sso").email).isEqualTo("alice@example.com");
        assertThat(ac.userConfig().users.get("alice@sso").firstname).isEqualTo("Given");
        // the code is single use
        assertThatThrownBy(() -> oidc.login(code, q.get("state"), "https://pve.example:8006")).hasMessageContaining("token request failed");
    }

    @Test
    void groupsClaimMapsToRealmGroups() {
        fs.put("user.cfg", "group:admins-sso::Existing:\ngroup:old::Unrelated:\n");
        new AccessAdmin(ac).updateRealm(Map.of("realm", "sso", "groups-claim", "roles"));
        String url = oidc.authUrl("sso", "https://h");
        // without groups-autocreate only existing groups are joined; invalid characters become X
        oidc.login(issueCode(url, Map.of("sub", "carol", "roles", List.of("admins", "dev ops"))), query(url).get("state"), "https://h");
        assertThat(ac.userConfig().users.get("carol@sso").groups).containsExactly("admins-sso");
        assertThat(ac.userConfig().groups.get("admins-sso").users).containsExactly("carol@sso");
        assertThat(ac.userConfig().groups).doesNotContainKey("devXops-sso");

        // with groups-autocreate missing groups are created; without overwrite earlier groups stay
        new AccessAdmin(ac).updateRealm(Map.of("realm", "sso", "groups-autocreate", 1));
        ac.modifyUserConfig(c -> {
            c.groups.get("old").users.add("carol@sso");
            c.users.get("carol@sso").groups.add("old");
            return null;
        });
        String url2 = oidc.authUrl("sso", "https://h");
        oidc.login(issueCode(url2, Map.of("sub", "carol", "roles", List.of("dev ops"))), query(url2).get("state"), "https://h");
        assertThat(ac.userConfig().users.get("carol@sso").groups).containsExactly("admins-sso", "devXops-sso", "old");

        // groups-overwrite: the claim's groups are all the user has
        new AccessAdmin(ac).updateRealm(Map.of("realm", "sso", "groups-overwrite", 1));
        String url3 = oidc.authUrl("sso", "https://h");
        oidc.login(issueCode(url3, Map.of("sub", "carol", "roles", List.of("dev ops"))), query(url3).get("state"), "https://h");
        assertThat(ac.userConfig().users.get("carol@sso").groups).containsExactly("devXops-sso");
        assertThat(ac.userConfig().groups.get("old").users).isEmpty();
        assertThat(ac.userConfig().groups.get("admins-sso").users).isEmpty();
        // a claim that is not a list changes nothing
        String url4 = oidc.authUrl("sso", "https://h");
        oidc.login(issueCode(url4, Map.of("sub", "carol", "roles", "admins")), query(url4).get("state"), "https://h");
        assertThat(ac.userConfig().users.get("carol@sso").groups).containsExactly("devXops-sso");
    }

    @Test
    void usernameClaimAndNoAutocreate() {
        new AccessAdmin(ac).updateRealm(Map.of("realm", "sso", "username-claim", "username", "autocreate", 0));
        String url = oidc.authUrl("sso", "https://h");
        String code = issueCode(url, Map.of("sub", "bob"));
        assertThatThrownBy(() -> oidc.login(code, query(url).get("state"), "https://h")).hasMessage("user 'bob-name@sso' does not exist");
        fs.put("user.cfg", "user:bob-name@sso:1:0:::::\n");
        String url2 = oidc.authUrl("sso", "https://h");
        assertThat(oidc.login(issueCode(url2, Map.of("sub", "bob")), query(url2).get("state"), "https://h")).isEqualTo("bob-name@sso");
    }

    @Test
    void badTokensAndStatesAreRefused() {
        String url = oidc.authUrl("sso", "https://h");
        String state = query(url).get("state");
        // wrong nonce
        String c1 = issueCode(url, Map.of("sub", "eve", "nonce", "other"));
        assertThatThrownBy(() -> oidc.login(c1, state, "https://h")).hasMessage("id_token nonce mismatch");
        // wrong audience
        String c2 = issueCode(url, Map.of("sub", "eve", "aud", "someone-else"));
        assertThatThrownBy(() -> oidc.login(c2, state, "https://h")).hasMessage("id_token audience mismatch");
        // expired
        String c3 = issueCode(url, Map.of("sub", "eve", "exp", now.get() - 3600));
        assertThatThrownBy(() -> oidc.login(c3, state, "https://h")).hasMessage("id_token expired");
        // signed by a key not in the JWKS
        signWithOtherKey = true;
        String c4 = issueCode(url, Map.of("sub", "eve"));
        assertThatThrownBy(() -> oidc.login(c4, state, "https://h")).hasMessage("id_token signature verification failed");
        signWithOtherKey = false;
        // tampered or stale state, other redirect
        String c5 = issueCode(url, Map.of("sub", "eve"));
        assertThatThrownBy(() -> oidc.login(c5, state.replace("sso", "ssx"), "https://h")).hasMessageContaining("state");
        assertThatThrownBy(() -> oidc.login(c5, state, "https://evil")).hasMessage("redirect URL mismatch");
        now.addAndGet(3600);
        assertThatThrownBy(() -> oidc.login(c5, state, "https://h")).hasMessage("invalid or expired OpenID state");
        assertThat(ac.userConfig().users).doesNotContainKey("eve@sso");
    }
}
