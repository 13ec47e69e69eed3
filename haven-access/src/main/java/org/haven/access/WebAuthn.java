package org.haven.access;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * WebAuthn (FIDO2) relying-party checks, pure: registration ({@code navigator.credentials.create} response with a
 * {@code none}/{@code packed} attestation; the attestation statement is not evaluated, as PVE asks for none) and
 * assertion ({@code navigator.credentials.get}) with ES256, RS256 and EdDSA credentials. The relying party comes from
 * {@code datacenter.cfg} ({@code webauthn: id=…,origin=…,rp=…}).
 */
public final class WebAuthn {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder D64 = Base64.getUrlDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Relying-party settings: {@code id} (domain), {@code origin} (https URL) and display name {@code rp}. */
    public record Config(String id, String origin, String rp) {
        public static Config parse(String propertyString) {
            Map<String, String> m = org.haven.core.format.PropertyString.parse(propertyString, null);
            String id = m.get("id"), origin = m.get("origin");
            if (id == null || origin == null) throw new IllegalArgumentException("webauthn config needs 'id' and 'origin'");
            return new Config(id, origin, m.getOrDefault("rp", id));
        }
    }

    /** A registered credential. */
    public record Credential(byte[] id, int alg, byte[] publicKey, long counter) {}

    private WebAuthn() {}

    static String b64(byte[] b) { return B64.encodeToString(b); }

    static byte[] unb64(String s) {
        try {
            return D64.decode(s.replace('+', '-').replace('/', '_').replace("=", ""));
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException("webauthn: bad base64");
        }
    }

    public static String newChallenge() {
        byte[] c = new byte[32];
        RANDOM.nextBytes(c);
        return b64(c);
    }

    /** The {@code publicKey} options for registration, as JSON. */
    public static String creationOptions(Config cfg, String userid, String challenge, List<Credential> existing) {
        StringBuilder ex = new StringBuilder();
        for (Credential c : existing) ex.append(ex.isEmpty() ? "" : ",").append("{\"type\":\"public-key\",\"id\":\"").append(b64(c.id())).append("\"}");
        return "{\"publicKey\":{\"rp\":{\"id\":" + JSON.writeValueAsString(cfg.id()) + ",\"name\":" + JSON.writeValueAsString(cfg.rp())
                + "},\"user\":{\"id\":\"" + b64(userid.getBytes(StandardCharsets.UTF_8)) + "\",\"name\":" + JSON.writeValueAsString(userid)
                + ",\"displayName\":" + JSON.writeValueAsString(userid) + "},\"challenge\":\"" + challenge
                + "\",\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":-7},{\"type\":\"public-key\",\"alg\":-8},{\"type\":\"public-key\",\"alg\":-257}]"
                + ",\"timeout\":60000,\"attestation\":\"none\",\"excludeCredentials\":[" + ex + "]"
                + ",\"authenticatorSelection\":{\"userVerification\":\"discouraged\"}}}";
    }

    /** The {@code publicKey} options for an assertion, as JSON. */
    public static String requestOptions(Config cfg, String challenge, List<Credential> creds) {
        StringBuilder allow = new StringBuilder();
        for (Credential c : creds) allow.append(allow.isEmpty() ? "" : ",").append("{\"type\":\"public-key\",\"id\":\"").append(b64(c.id())).append("\"}");
        return "{\"publicKey\":{\"challenge\":\"" + challenge + "\",\"rpId\":" + JSON.writeValueAsString(cfg.id())
                + ",\"allowCredentials\":[" + allow + "],\"timeout\":60000,\"userVerification\":\"discouraged\"}}";
    }

    private static JsonNode clientData(JsonNode response, String type, String challenge, Config cfg) {
        byte[] raw = unb64(response.path("clientDataJSON").asString(""));
        JsonNode cd = JSON.readTree(new String(raw, StandardCharsets.UTF_8));
        if (!type.equals(cd.path("type").asString())) throw new AuthenticationException("webauthn: wrong client data type");
        if (!MessageDigest.isEqual(unb64(cd.path("challenge").asString("")), unb64(challenge))) throw new AuthenticationException("webauthn: challenge mismatch");
        if (!stripSlash(cfg.origin()).equals(stripSlash(cd.path("origin").asString("")))) throw new AuthenticationException("webauthn: origin mismatch");
        return cd;
    }

    private static String stripSlash(String s) { return s.endsWith("/") ? s.substring(0, s.length() - 1) : s; }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkAuthData(byte[] auth, Config cfg) {
        if (auth.length < 37) throw new AuthenticationException("webauthn: authenticator data too short");
        if (!MessageDigest.isEqual(Arrays.copyOfRange(auth, 0, 32), sha256(cfg.id().getBytes(StandardCharsets.UTF_8))))
            throw new AuthenticationException("webauthn: relying party mismatch");
        if ((auth[32] & 0x01) == 0) throw new AuthenticationException("webauthn: user not present");
    }

    /** Verify a registration response (JSON of the PublicKeyCredential) and return the new credential. */
    public static Credential register(Config cfg, String challenge, String responseJson) {
        JsonNode r;
        try {
            r = JSON.readTree(responseJson);
        } catch (RuntimeException e) {
            throw new AuthenticationException("webauthn: malformed response");
        }
        JsonNode resp = r.path("response");
        clientData(resp, "webauthn.create", challenge, cfg);
        Object att;
        try {
            att = Cbor.decode(unb64(resp.path("attestationObject").asString("")));
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException("webauthn: malformed attestation object");
        }
        if (!(att instanceof Map<?, ?> m) || !(m.get("authData") instanceof byte[] auth)) throw new AuthenticationException("webauthn: malformed attestation object");
        Object fmt = m.get("fmt");
        if (!"none".equals(fmt) && !"packed".equals(fmt)) throw new AuthenticationException("webauthn: unsupported attestation format '" + fmt + "'");
        checkAuthData(auth, cfg);
        if ((auth[32] & 0x40) == 0) throw new AuthenticationException("webauthn: no attested credential data");
        long counter = ByteBuffer.wrap(auth, 33, 4).getInt() & 0xffffffffL;
        if (auth.length < 55) throw new AuthenticationException("webauthn: attested credential data too short");
        int idLen = ((auth[53] & 0xff) << 8) | (auth[54] & 0xff);
        if (auth.length < 55 + idLen + 1) throw new AuthenticationException("webauthn: attested credential data too short");
        byte[] credId = Arrays.copyOfRange(auth, 55, 55 + idLen);
        Object cose;
        try {
            cose = Cbor.decode(auth, 55 + idLen).value();
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException("webauthn: malformed credential key");
        }
        if (!(cose instanceof Map<?, ?> key)) throw new AuthenticationException("webauthn: malformed credential key");
        int alg = ((Number) key.get(3L)).intValue();
        PublicKey pk = coseKey(key, alg);
        return new Credential(credId, alg, pk.getEncoded(), counter);
    }

    private static PublicKey coseKey(Map<?, ?> key, int alg) {
        try {
            long kty = ((Number) key.get(1L)).longValue();
            if (alg == -7 && kty == 2) {
                byte[] x = (byte[]) key.get(-2L), y = (byte[]) key.get(-3L);
                java.security.AlgorithmParameters params = java.security.AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec("secp256r1"));
                ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
                return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), spec));
            }
            if (alg == -257 && kty == 3) {
                return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, (byte[]) key.get(-1L)), new BigInteger(1, (byte[]) key.get(-2L))));
            }
            if (alg == -8 && kty == 1) {
                byte[] x = (byte[]) key.get(-2L);
                byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
                byte[] der = new byte[prefix.length + x.length];
                System.arraycopy(prefix, 0, der, 0, prefix.length);
                System.arraycopy(x, 0, der, prefix.length, x.length);
                return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
            }
        } catch (GeneralSecurityException | ClassCastException | NullPointerException e) {
            throw new AuthenticationException("webauthn: bad credential key");
        }
        throw new AuthenticationException("webauthn: unsupported credential algorithm " + alg);
    }

    private static String jcaAlg(int alg) {
        return switch (alg) { case -7 -> "SHA256withECDSA"; case -257 -> "SHA256withRSA"; case -8 -> "Ed25519"; default -> throw new AuthenticationException("webauthn: unsupported algorithm"); };
    }

    private static String keyAlg(int alg) { return switch (alg) { case -7 -> "EC"; case -257 -> "RSA"; default -> "Ed25519"; }; }

    /** Verify an assertion (JSON of the PublicKeyCredential) against {@code creds}; returns the used credential with its new counter. */
    public static Credential authenticate(Config cfg, String challenge, String responseJson, List<Credential> creds) {
        JsonNode r;
        try {
            r = JSON.readTree(responseJson);
        } catch (RuntimeException e) {
            throw new AuthenticationException("webauthn: malformed response");
        }
        byte[] id = unb64(r.path("rawId").asString(r.path("id").asString("")));
        Credential cred = null;
        for (Credential c : creds) if (MessageDigest.isEqual(c.id(), id)) cred = c;
        if (cred == null) throw new AuthenticationException("webauthn: unknown credential");
        JsonNode resp = r.path("response");
        clientData(resp, "webauthn.get", challenge, cfg);
        byte[] auth = unb64(resp.path("authenticatorData").asString(""));
        checkAuthData(auth, cfg);
        byte[] clientRaw = unb64(resp.path("clientDataJSON").asString(""));
        byte[] signed = new byte[auth.length + 32];
        System.arraycopy(auth, 0, signed, 0, auth.length);
        System.arraycopy(sha256(clientRaw), 0, signed, auth.length, 32);
        try {
            PublicKey pk = KeyFactory.getInstance(keyAlg(cred.alg())).generatePublic(new X509EncodedKeySpec(cred.publicKey()));
            Signature s = Signature.getInstance(jcaAlg(cred.alg()));
            s.initVerify(pk);
            s.update(signed);
            if (!s.verify(unb64(resp.path("signature").asString("")))) throw new AuthenticationException("webauthn: invalid signature");
        } catch (GeneralSecurityException e) {
            throw new AuthenticationException("webauthn: invalid signature");
        }
        long counter = ByteBuffer.wrap(auth, 33, 4).getInt() & 0xffffffffL;
        if ((counter != 0 || cred.counter() != 0) && counter <= cred.counter())
            throw new AuthenticationException("webauthn: signature counter did not increase (cloned authenticator?)");
        return new Credential(cred.id(), cred.alg(), cred.publicKey(), counter);
    }
}
