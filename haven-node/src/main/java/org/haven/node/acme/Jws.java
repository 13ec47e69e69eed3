package org.haven.node.acme;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON Web Signature pieces ACME (RFC 8555) needs with an RSA account key: the key as a JWK, its RFC 7638
 * thumbprint (for key authorizations) and flattened JWS objects signed with RS256. Pure.
 */
public final class Jws {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private Jws() {}

    public static String b64(byte[] data) { return B64.encodeToString(data); }

    /** An unsigned big-endian integer without leading zero bytes, as JWK members carry them. */
    static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b.length > 1 && b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    /** The public key as a JWK with its required members in lexicographic order (so it is also the thumbprint input). */
    public static Map<String, Object> jwk(RSAPublicKey key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("e", b64(unsigned(key.getPublicExponent())));
        m.put("kty", "RSA");
        m.put("n", b64(unsigned(key.getModulus())));
        return m;
    }

    /** RFC 7638: base64url of the SHA-256 of the JWK's required members, without white space. */
    public static String thumbprint(RSAPublicKey key) {
        try {
            return b64(MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(jwk(key))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key authorization of an ACME challenge token: {@code token.thumbprint}. */
    public static String keyAuthorization(String token, RSAPublicKey key) { return token + "." + thumbprint(key); }

    /**
     * A flattened JWS ({@code protected}, {@code payload}, {@code signature}) over {@code payload} (null: the empty
     * payload of a POST-as-GET) with the given protected header, signed with RS256.
     */
    public static String sign(Map<String, Object> header, Object payload, PrivateKey key) {
        try {
            String h = b64(JSON.writeValueAsBytes(header));
            String p = payload == null ? "" : b64(JSON.writeValueAsBytes(payload));
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update((h + "." + p).getBytes(StandardCharsets.US_ASCII));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("protected", h);
            out.put("payload", p);
            out.put("signature", b64(s.sign()));
            return JSON.writeValueAsString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The protected header of an ACME request: RS256, the nonce and URL, and the account's {@code kid} or, before
     * there is an account, the public key itself.
     */
    public static Map<String, Object> header(String nonce, String url, String kid, RSAPublicKey key) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alg", "RS256");
        if (kid != null) h.put("kid", kid);
        else h.put("jwk", jwk(key));
        h.put("nonce", nonce);
        h.put("url", url);
        return h;
    }

    /** External account binding (RFC 8555 7.3.4): the account key as payload, signed with the CA's HMAC key. */
    public static Map<String, Object> externalAccountBinding(String kid, String hmacKeyB64, String url, RSAPublicKey key) {
        try {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("alg", "HS256");
            h.put("kid", kid);
            h.put("url", url);
            String hs = b64(JSON.writeValueAsBytes(h));
            String ps = b64(JSON.writeValueAsBytes(jwk(key)));
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(Base64.getUrlDecoder().decode(hmacKeyB64), "HmacSHA256"));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("protected", hs);
            out.put("payload", ps);
            out.put("signature", b64(mac.doFinal((hs + "." + ps).getBytes(StandardCharsets.US_ASCII))));
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
