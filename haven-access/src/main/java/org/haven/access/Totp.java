package org.haven.access;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-based one-time passwords (RFC 6238 on RFC 4226 HOTP), with the {@code otpauth://totp/...} URI form PVE stores
 * in {@code tfa.cfg}. Pure: the time is passed in.
 */
public record Totp(byte[] secret, String algorithm, int digits, int period, String issuer, String account) {

    private static final String B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public Totp {
        if (digits < 6 || digits > 8) throw new IllegalArgumentException("invalid number of digits");
        if (period <= 0) throw new IllegalArgumentException("invalid period");
        if (!algorithm.equals("SHA1") && !algorithm.equals("SHA256") && !algorithm.equals("SHA512"))
            throw new IllegalArgumentException("unsupported algorithm " + algorithm);
    }

    public static Totp of(byte[] secret) { return new Totp(secret, "SHA1", 6, 30, null, null); }

    /** A fresh 160-bit secret, Base32-encoded (what {@code oathkeygen} prints). */
    public static String generateSecret() {
        byte[] b = new byte[20];
        new SecureRandom().nextBytes(b);
        return base32Encode(b);
    }

    /** The code for the time step containing {@code epochSeconds}. */
    public String code(long epochSeconds) { return hotp(epochSeconds / period); }

    public String hotp(long counter) {
        try {
            String alg = "Hmac" + algorithm;
            Mac mac = Mac.getInstance(alg);
            mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, alg));
            byte[] h = mac.doFinal(java.nio.ByteBuffer.allocate(8).putLong(counter).array());
            int off = h[h.length - 1] & 0xf;
            int bin = ((h[off] & 0x7f) << 24) | ((h[off + 1] & 0xff) << 16) | ((h[off + 2] & 0xff) << 8) | (h[off + 3] & 0xff);
            int mod = (int) Math.pow(10, digits);
            return String.format(Locale.ROOT, "%0" + digits + "d", bin % mod);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code code} matches the current step or one step before/after (clock skew). */
    public boolean verify(String code, long epochSeconds) {
        if (code == null) return false;
        String c = code.strip();
        if (!c.matches("\\d{" + digits + "}")) return false;
        long step = epochSeconds / period;
        for (long s = step - 1; s <= step + 1; s++)
            if (java.security.MessageDigest.isEqual(hotp(s).getBytes(StandardCharsets.US_ASCII), c.getBytes(StandardCharsets.US_ASCII))) return true;
        return false;
    }

    /** {@code otpauth://totp/<issuer>:<account>?secret=...&digits=..&period=..&algorithm=..&issuer=..}. */
    public String toUri() {
        StringBuilder sb = new StringBuilder("otpauth://totp/");
        String label = (issuer != null ? issuer + ":" : "") + (account != null ? account : "");
        sb.append(enc(label)).append("?secret=").append(base32Encode(secret)).append("&digits=").append(digits)
                .append("&period=").append(period).append("&algorithm=").append(algorithm);
        if (issuer != null) sb.append("&issuer=").append(enc(issuer));
        return sb.toString();
    }

    private static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }

    public static Totp parseUri(String uri) {
        URI u;
        try {
            u = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid TOTP uri");
        }
        if (!"otpauth".equals(u.getScheme()) || !"totp".equals(u.getHost())) throw new IllegalArgumentException("not a TOTP uri");
        Map<String, String> q = new LinkedHashMap<>();
        String raw = u.getRawQuery();
        if (raw != null) for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) q.put(kv.substring(0, eq).toLowerCase(Locale.ROOT), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        String secret = q.get("secret");
        if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("missing secret in TOTP uri");
        String label = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
        String issuer = q.get("issuer");
        String account = label;
        int colon = label.indexOf(':');
        if (colon >= 0) {
            if (issuer == null) issuer = label.substring(0, colon);
            account = label.substring(colon + 1);
        }
        return new Totp(base32Decode(secret), q.getOrDefault("algorithm", "SHA1").toUpperCase(Locale.ROOT),
                Integer.parseInt(q.getOrDefault("digits", "6")), Integer.parseInt(q.getOrDefault("period", "30")),
                issuer, account.isEmpty() ? null : account);
    }

    /**
     * A user key of the realm-level OATH TFA: {@code v2-0x<hex>}, {@code v2-<base32>}, 40 hex digits, or Base32
     * (RFC 3548).
     */
    public static byte[] parseKey(String key) {
        String k = key.strip();
        if (k.startsWith("v2-0x")) return HexFormat.of().parseHex(k.substring(5));
        if (k.startsWith("v2-")) return base32Decode(k.substring(3));
        if (k.matches("[A-Fa-f0-9]{40}")) return HexFormat.of().parseHex(k);
        return base32Decode(k);
    }

    public static String base32Encode(byte[] data) {
        StringBuilder sb = new StringBuilder();
        int buffer = 0, bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(B32.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) sb.append(B32.charAt((buffer << (5 - bits)) & 31));
        return sb.toString();
    }

    public static byte[] base32Decode(String s) {
        String t = s.replace("=", "").replace(" ", "").toUpperCase(Locale.ROOT);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int buffer = 0, bits = 0;
        for (char c : t.toCharArray()) {
            int v = B32.indexOf(c);
            if (v < 0) throw new IllegalArgumentException("invalid base32 character '" + c + "'");
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }
}
