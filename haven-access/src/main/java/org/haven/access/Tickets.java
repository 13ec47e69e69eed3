package org.haven.access;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PVE's signed tickets and CSRF prevention tokens (pure: keys and times are passed in).
 * <ul>
 * <li>ticket: {@code <prefix>:<data>:<HEXTIME>::<base64 RSA-SHA256 signature>}, the signature covering
 * {@code <prefix>:<data>:<HEXTIME>} (plus {@code :<secret>} when secret data is bound to the ticket);</li>
 * <li>CSRF token: {@code <HEXTIME>:<base64 HMAC-SHA256("<HEXTIME>:<userid>")>} without padding.</li>
 * </ul>
 * A ticket is valid from 5 minutes before its time stamp (clock skew) until its maximum age.
 */
public final class Tickets {
    private Tickets() {}

    public static final long TICKET_LIFETIME = 7200;
    public static final long MIN_AGE = -300;

    public static String hexTime(long epochSeconds) {
        return String.format(Locale.ROOT, "%08X", epochSeconds);
    }

    /** Create a ticket for {@code data} (a user id for login tickets). */
    public static String assemble(PrivateKey key, String prefix, String data, String secretData, long now) {
        String plain = prefix + ":" + data + ":" + hexTime(now);
        String full = secretData == null ? plain : plain + ":" + secretData;
        return plain + "::" + Base64.getEncoder().encodeToString(sign(key, full));
    }

    /** The verified payload of a ticket and its age in seconds. */
    public record Verified(String data, long age) {}

    /** Verify a ticket; empty when malformed, badly signed, or outside [{@code minAge}, {@code maxAge}]. */
    public static Optional<Verified> verify(PublicKey key, String prefix, String ticket, String secretData,
                                            long now, long minAge, long maxAge) {
        if (ticket == null) return Optional.empty();
        int sep = ticket.indexOf("::");
        if (sep < 0) return Optional.empty();
        String plain = ticket.substring(0, sep);
        String sig = ticket.substring(sep + 2);
        if (!plain.startsWith(prefix + ":")) return Optional.empty();
        int lastColon = plain.lastIndexOf(':');
        if (lastColon <= prefix.length()) return Optional.empty();
        String data = plain.substring(prefix.length() + 1, lastColon);
        String ts = plain.substring(lastColon + 1);
        if (!ts.matches("[0-9A-F]{8}")) return Optional.empty();
        byte[] sigBytes = canonicalBase64(sig);
        if (sigBytes == null) return Optional.empty();
        String full = secretData == null ? plain : plain + ":" + secretData;
        if (!verifySignature(key, full, sigBytes)) return Optional.empty();
        long time = Long.parseLong(ts, 16);
        long age = now - time;
        if (age < minAge || age > maxAge) return Optional.empty();
        return Optional.of(new Verified(data, age));
    }

    /**
     * The bytes of {@code text} when it is exactly the canonical base64 text of those bytes, else null. The
     * JDK decoder ignores the unused low bits of the last character and accepts missing padding, so several
     * texts decode to the same signature; only the one the signer produced is a valid ticket.
     */
    static byte[] canonicalBase64(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
        byte[] again = Base64.getEncoder().encode(bytes);
        return MessageDigest.isEqual(again, text.getBytes(StandardCharsets.ISO_8859_1)) ? bytes : null;
    }

    public static String csrfToken(byte[] secret, String userid, long now) {
        String ts = hexTime(now);
        return ts + ":" + hmacB64(secret, ts + ":" + userid);
    }

    public static boolean verifyCsrfToken(byte[] secret, String userid, String token, long now, long maxAge) {
        if (token == null) return false;
        int colon = token.indexOf(':');
        if (colon != 8) return false;
        String ts = token.substring(0, 8);
        if (!ts.matches("[0-9A-F]{8}")) return false;
        String expected = hmacB64(secret, ts + ":" + userid);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                token.substring(9).getBytes(StandardCharsets.US_ASCII))) return false;
        long age = now - Long.parseLong(ts, 16);
        return age >= MIN_AGE && age <= maxAge;
    }

    private static String hmacB64(byte[] secret, String msg) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA256"));
            return Base64.getEncoder().withoutPadding().encodeToString(mac.doFinal(msg.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sign(PrivateKey key, String msg) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(msg.getBytes(StandardCharsets.UTF_8));
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean verifySignature(PublicKey key, String msg, byte[] sig) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(key);
            s.update(msg.getBytes(StandardCharsets.UTF_8));
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    // ---- PEM helpers ---------------------------------------------------------------------------------

    public static KeyPair generateRsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String privatePem(PrivateKey key) { return pem("PRIVATE KEY", key.getEncoded()); }

    public static String publicPem(PublicKey key) { return pem("PUBLIC KEY", key.getEncoded()); }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] pemBody(String pem, String type) {
        String begin = "-----BEGIN " + type + "-----";
        int s = pem.indexOf(begin);
        if (s < 0) return null;
        int e = pem.indexOf("-----END " + type + "-----", s);
        if (e < 0) return null;
        return Base64.getMimeDecoder().decode(pem.substring(s + begin.length(), e));
    }

    /** Read an RSA private key in PKCS#8 ({@code BEGIN PRIVATE KEY}) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) PEM. */
    public static PrivateKey readPrivate(String pem) {
        try {
            byte[] der = pemBody(pem, "PRIVATE KEY");
            if (der == null) {
                byte[] pkcs1 = pemBody(pem, "RSA PRIVATE KEY");
                if (pkcs1 == null) throw new IllegalArgumentException("no RSA private key found");
                byte[] algId = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
                byte[] version = {0x02, 0x01, 0x00};
                byte[] octet = concat(derHeader(0x04, pkcs1.length), pkcs1);
                byte[] body = concat(concat(version, algId), octet);
                der = concat(derHeader(0x30, body.length), body);
            }
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unable to read private key: " + e.getMessage(), e);
        }
    }

    /** Read an RSA public key in X.509 ({@code BEGIN PUBLIC KEY}) or PKCS#1 ({@code BEGIN RSA PUBLIC KEY}) PEM. */
    public static PublicKey readPublic(String pem) {
        try {
            byte[] der = pemBody(pem, "PUBLIC KEY");
            if (der == null) {
                byte[] pkcs1 = pemBody(pem, "RSA PUBLIC KEY");
                if (pkcs1 == null) throw new IllegalArgumentException("no RSA public key found");
                byte[] algId = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
                byte[] bits = concat(derHeader(0x03, pkcs1.length + 1), concat(new byte[]{0}, pkcs1));
                byte[] body = concat(algId, bits);
                der = concat(derHeader(0x30, body.length), body);
            }
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unable to read public key: " + e.getMessage(), e);
        }
    }

    private static byte[] derHeader(int tag, int len) {
        if (len < 0x80) return new byte[]{(byte) tag, (byte) len};
        if (len < 0x100) return new byte[]{(byte) tag, (byte) 0x81, (byte) len};
        if (len < 0x10000) return new byte[]{(byte) tag, (byte) 0x82, (byte) (len >> 8), (byte) len};
        return new byte[]{(byte) tag, (byte) 0x83, (byte) (len >> 16), (byte) (len >> 8), (byte) len};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
