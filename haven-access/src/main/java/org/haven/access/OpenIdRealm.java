package org.haven.access;

import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.core.format.SectionConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code openid} realm: OpenID Connect authorization-code flow. {@link #authUrl} builds the provider's
 * authorization URL with a signed {@code state} (realm, redirect URL and nonce, so any node can finish the login);
 * {@link #login} exchanges the code at the token endpoint, verifies the ID token (RS256/384/512 signature against
 * the provider's JWKS, issuer, audience, expiry, nonce) and maps the configured {@code username-claim} to
 * {@code <claim>@<realm>}, creating the user when the realm has {@code autocreate}.
 */
public final class OpenIdRealm {
    private static final System.Logger LOG = System.getLogger("haven.access.openid");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long STATE_LIFETIME = 600;

    private final AccessControl ac;
    private final HttpClient http;
    private final SecureRandom random = new SecureRandom();

    public OpenIdRealm(AccessControl ac, HttpClient http) {
        this.ac = ac;
        this.http = http;
    }

    public OpenIdRealm(AccessControl ac) {
        this(ac, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NORMAL).build());
    }

    private SectionConfig.Section realm(String realm) {
        SectionConfig.Section s = ac.domains().realm(realm).orElseThrow(() -> new AccessException("no such realm '" + realm + "'"));
        if (!s.type().equals("openid")) throw new AccessException("realm '" + realm + "' is not an OpenID realm");
        return s;
    }

    private static String req(SectionConfig.Section s, String key) {
        return s.get(key).filter(v -> !v.isEmpty()).orElseThrow(() -> new AccessException("realm '" + s.id() + "' has no " + key));
    }

    private JsonNode getJson(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new AccessException("OpenID request to " + url + " failed: " + r.statusCode());
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AccessException("OpenID request to " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccessException("interrupted");
        }
    }

    private JsonNode discovery(SectionConfig.Section s) {
        String issuer = req(s, "issuer-url");
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return getJson(base + "/.well-known/openid-configuration");
    }

    private static String enc(String v) { return URLEncoder.encode(v, StandardCharsets.UTF_8); }

    /** {@code POST /access/openid/auth-url}: the URL to send the browser to. */
    public String authUrl(String realm, String redirectUrl) {
        SectionConfig.Section s = realm(realm);
        JsonNode d = discovery(s);
        String endpoint = d.path("authorization_endpoint").asString(null);
        if (endpoint == null) throw new AccessException("OpenID provider has no authorization endpoint");
        byte[] n = new byte[16];
        random.nextBytes(n);
        String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
        String data = enc(realm) + "," + enc(redirectUrl) + "," + nonce;
        String state = ac.createTicket("PVEOIDC", data, null);
        StringBuilder url = new StringBuilder(endpoint).append(endpoint.contains("?") ? '&' : '?')
                .append("response_type=code&client_id=").append(enc(req(s, "client-id")))
                .append("&redirect_uri=").append(enc(redirectUrl))
                .append("&scope=").append(enc(s.get("scopes").orElse("email profile").contains("openid") ? s.get("scopes").get() : "openid " + s.get("scopes").orElse("email profile")))
                .append("&state=").append(enc(state))
                .append("&nonce=").append(enc(nonce));
        s.get("prompt").ifPresent(p -> url.append("&prompt=").append(enc(p)));
        s.get("acr-values").ifPresent(p -> url.append("&acr_values=").append(enc(p)));
        return url.toString();
    }

    /** {@code POST /access/openid/login}: finish the flow and return the (possibly new) user id. */
    public String login(String code, String state, String redirectUrl) {
        Tickets.Verified v = ac.verifyTicket("PVEOIDC", state, null, STATE_LIFETIME)
                .orElseThrow(() -> new AuthenticationException("invalid or expired OpenID state"));
        String[] parts = v.data().split(",", -1);
        if (parts.length != 3) throw new AuthenticationException("invalid OpenID state");
        String realm = java.net.URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        String redirect = java.net.URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
        String nonce = parts[2];
        if (redirectUrl != null && !redirectUrl.equals(redirect)) throw new AuthenticationException("redirect URL mismatch");
        SectionConfig.Section s = realm(realm);
        JsonNode d = discovery(s);
        String tokenEndpoint = d.path("token_endpoint").asString(null);
        if (tokenEndpoint == null) throw new AccessException("OpenID provider has no token endpoint");
        String clientId = req(s, "client-id");
        StringBuilder form = new StringBuilder("grant_type=authorization_code&code=").append(enc(code))
                .append("&redirect_uri=").append(enc(redirect)).append("&client_id=").append(enc(clientId));
        s.get("client-key").ifPresent(k -> form.append("&client_secret=").append(enc(k)));
        JsonNode token;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(tokenEndpoint)).timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new AuthenticationException("OpenID token request failed: " + r.statusCode() + " " + r.body());
            token = JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AuthenticationException("OpenID token request failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuthenticationException("interrupted");
        }
        String idToken = token.path("id_token").asString(null);
        if (idToken == null) throw new AuthenticationException("OpenID provider returned no id_token");
        JsonNode claims = verifyIdToken(idToken, d, s.get("issuer-url").orElseThrow(), clientId, nonce);
        if (!s.get("query-userinfo").map(UserConfig::truthy).orElse(true) || d.path("userinfo_endpoint").isMissingNode()) {
            // claims from the ID token only
        } else if (token.has("access_token")) {
            claims = mergeUserinfo(claims, d.path("userinfo_endpoint").asString(), token.path("access_token").asString());
        }
        String claimName = switch (s.get("username-claim").orElse("subject")) {
            case "subject", "sub" -> "sub";
            case "username" -> "preferred_username";
            case "email" -> "email";
            default -> s.get("username-claim").get();
        };
        String name = claims.path(claimName).asString(null);
        if (name == null || name.isEmpty()) throw new AuthenticationException("OpenID claim '" + claimName + "' missing");
        String userid = name + "@" + realm;
        if (!Ids.isUserId(userid)) throw new AuthenticationException("invalid user name '" + userid + "'");
        UserConfig cfg = ac.userConfig();
        if (!cfg.users.containsKey(userid)) {
            if (!s.get("autocreate").map(UserConfig::truthy).orElse(false))
                throw new AuthenticationException("user '" + userid + "' does not exist");
            final JsonNode c = claims;
            ac.modifyUserConfig(uc -> {
                if (uc.users.containsKey(userid)) return null;
                UserConfig.User u = new UserConfig.User();
                u.email = c.path("email").asString(null);
                u.firstname = c.path("given_name").asString(null);
                u.lastname = c.path("family_name").asString(null);
                uc.users.put(userid, u);
                return null;
            });
        }
        ac.checkUserEnabled(userid);
        java.util.Optional<String> groupsClaim = s.get("groups-claim");
        if (groupsClaim.isPresent()) mapGroups(claims, groupsClaim.get(), userid, realm, s);
        return userid;
    }

    /**
     * PVE's group mapping on login: the groups of claim {@code groupsClaim} (an array; invalid characters become
     * {@code X}) become groups {@code <group>-<realm>}; missing ones are created with {@code groups-autocreate},
     * else skipped; with {@code groups-overwrite} the user first leaves all groups.
     */
    private void mapGroups(JsonNode claims, String groupsClaim, String userid, String realm, SectionConfig.Section s) {
        JsonNode list = claims.path(groupsClaim);
        if (list.isMissingNode() || list.isNull()) return;
        if (!list.isArray()) {
            LOG.log(System.Logger.Level.ERROR, "groups list is not an array; groups will not be updated");
            return;
        }
        List<String> groups = new ArrayList<>();
        for (JsonNode g : list) groups.add(g.asString("").replaceAll("[^A-Za-z0-9._-]", "X") + "-" + realm);
        boolean autocreate = s.get("groups-autocreate").map(UserConfig::truthy).orElse(false);
        boolean overwrite = s.get("groups-overwrite").map(UserConfig::truthy).orElse(false);
        ac.modifyUserConfig(uc -> {
            UserConfig.User u = uc.users.get(userid);
            if (u == null) return null;
            if (overwrite) {
                for (String g : u.groups) {
                    UserConfig.Group grp = uc.groups.get(g);
                    if (grp != null) grp.users.remove(userid);
                }
                u.groups.clear();
            }
            for (String g : groups) {
                if (!Ids.isGroupName(g)) continue;
                UserConfig.Group grp = uc.groups.get(g);
                if (grp == null) {
                    if (!autocreate) continue;
                    grp = new UserConfig.Group();
                    uc.groups.put(g, grp);
                }
                grp.users.add(userid);
                u.groups.add(g);
            }
            return null;
        });
    }

    private JsonNode mergeUserinfo(JsonNode claims, String endpoint, String accessToken) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(endpoint)).timeout(Duration.ofSeconds(20))
                    .header("Authorization", "Bearer " + accessToken).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return claims;
            JsonNode info = JSON.readTree(r.body());
            if (!info.path("sub").asString("").equals(claims.path("sub").asString(""))) return claims;
            var merged = ((tools.jackson.databind.node.ObjectNode) claims).deepCopy();
            info.propertyNames().forEach(k -> { if (!merged.has(k)) merged.set(k, info.get(k)); });
            return merged;
        } catch (java.io.IOException e) {
            return claims;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return claims;
        }
    }

    /** Verify a compact JWS ID token; returns its claims. */
    JsonNode verifyIdToken(String jwt, JsonNode discovery, String issuer, String clientId, String nonce) {
        String[] p = jwt.split("\\.");
        if (p.length != 3) throw new AuthenticationException("malformed id_token");
        Base64.Decoder dec = Base64.getUrlDecoder();
        JsonNode header = JSON.readTree(new String(dec.decode(p[0]), StandardCharsets.UTF_8));
        JsonNode claims = JSON.readTree(new String(dec.decode(p[1]), StandardCharsets.UTF_8));
        String alg = header.path("alg").asString("");
        String jalg = switch (alg) {
            case "RS256" -> "SHA256withRSA";
            case "RS384" -> "SHA384withRSA";
            case "RS512" -> "SHA512withRSA";
            default -> throw new AuthenticationException("unsupported id_token algorithm '" + alg + "'");
        };
        String kid = header.path("kid").asString(null);
        JsonNode jwks = getJson(discovery.path("jwks_uri").asString());
        boolean ok = false;
        for (JsonNode k : jwks.path("keys")) {
            if (!"RSA".equals(k.path("kty").asString())) continue;
            if (kid != null && k.has("kid") && !kid.equals(k.path("kid").asString())) continue;
            try {
                PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                        new BigInteger(1, dec.decode(k.path("n").asString())), new BigInteger(1, dec.decode(k.path("e").asString()))));
                Signature sig = Signature.getInstance(jalg);
                sig.initVerify(key);
                sig.update((p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
                if (sig.verify(dec.decode(p[2]))) { ok = true; break; }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // try the next key
            }
        }
        if (!ok) throw new AuthenticationException("id_token signature verification failed");
        String iss = claims.path("iss").asString("");
        if (!stripSlash(iss).equals(stripSlash(issuer))) throw new AuthenticationException("id_token issuer mismatch");
        JsonNode aud = claims.path("aud");
        boolean audOk = aud.isArray() ? List.copyOf(aud.valueStream().map(JsonNode::asString).toList()).contains(clientId) : clientId.equals(aud.asString(""));
        if (!audOk) throw new AuthenticationException("id_token audience mismatch");
        long now = ac.clock().epochSeconds();
        if (claims.path("exp").asLong(0) < now - 60) throw new AuthenticationException("id_token expired");
        if (!nonce.equals(claims.path("nonce").asString(""))) throw new AuthenticationException("id_token nonce mismatch");
        return claims;
    }

    private static String stripSlash(String s) { return s.endsWith("/") ? s.substring(0, s.length() - 1) : s; }

    /** The realms offered for OpenID login. */
    public List<Map<String, Object>> realms() {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (SectionConfig.Section s : ac.domains().document().sections()) {
            if (!s.type().equals("openid")) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("realm", s.id());
            out.add(m);
        }
        return out;
    }
}
