package org.haven.access;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * YubiKey OTP for realm-level TFA ({@code tfa type=yubico,id=…,key=…,url=…}): the first 12 characters of an OTP
 * identify the key and must be among the user's {@code keys}; the OTP is checked with the Yubico validation
 * protocol 2.0 (signed request and response, nonce and OTP echoed back, {@code status=OK}).
 */
public final class YubicoOtp {
    public static final String DEFAULT_URL = "https://api2.yubico.com/wsapi/2.0/verify";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpClient http;

    public YubicoOtp(HttpClient http) { this.http = http; }

    public YubicoOtp() { this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()); }

    /** Sign parameters as the protocol does: HMAC-SHA1 over {@code k1=v1&k2=v2…} in key order, base64. */
    static String sign(Map<String, String> params, byte[] key) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
            if (e.getKey().equals("h")) continue;
            if (!sb.isEmpty()) sb.append('&');
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Verify {@code otp} for a user whose realm is configured with {@code cfg} and whose key ids are {@code keys}. */
    public void verify(Map<String, String> cfg, String keys, String otp) {
        if (otp == null || !otp.matches("[cbdefghijklnrtuv]{32,48}")) throw new AuthenticationException("yubico: malformed otp");
        String keyId = otp.substring(0, 12);
        boolean known = false;
        for (String k : UserConfig.splitList(keys == null ? "" : keys)) if (k.equals(keyId)) known = true;
        if (!known) throw new AuthenticationException("yubico: unknown key id '" + keyId + "'");
        String id = cfg.get("id");
        if (id == null) throw new AuthenticationException("yubico: realm has no API id");
        byte[] key = cfg.get("key") == null ? null : Base64.getDecoder().decode(cfg.get("key"));
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        String nonce = HexFormat.of().formatHex(n);
        Map<String, String> req = new TreeMap<>(Map.of("id", id, "otp", otp, "nonce", nonce));
        if (key != null) req.put("h", sign(req, key));
        StringBuilder url = new StringBuilder(cfg.getOrDefault("url", DEFAULT_URL)).append('?');
        boolean first = true;
        for (Map.Entry<String, String> e : req.entrySet()) {
            if (!first) url.append('&');
            first = false;
            url.append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        String body;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofSeconds(15)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new AuthenticationException("yubico: validation server answered " + r.statusCode());
            body = r.body();
        } catch (java.io.IOException e) {
            throw new AuthenticationException("yubico: validation server unreachable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuthenticationException("interrupted");
        }
        Map<String, String> resp = new TreeMap<>();
        for (String line : body.split("\r?\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) resp.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        if (key != null) {
            String h = resp.get("h");
            if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.US_ASCII), sign(resp, key).getBytes(StandardCharsets.US_ASCII)))
                throw new AuthenticationException("yubico: response signature mismatch");
        }
        if (!otp.equals(resp.get("otp")) || !nonce.equals(resp.get("nonce"))) throw new AuthenticationException("yubico: response does not match the request");
        if (!"OK".equals(resp.get("status"))) throw new AuthenticationException("yubico: " + resp.getOrDefault("status", "no status"));
    }
}
