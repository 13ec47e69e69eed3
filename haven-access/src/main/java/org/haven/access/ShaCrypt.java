package org.haven.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The SHA-crypt password hashes of glibc/libxcrypt ({@code $5$} SHA-256 and {@code $6$} SHA-512, with optional
 * {@code rounds=N}), as specified by Ulrich Drepper. Used for {@code priv/shadow.cfg}.
 */
public final class ShaCrypt {
    private ShaCrypt() {}

    private static final String B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final int ROUNDS_DEFAULT = 5000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Hash {@code password} with a fresh 16-character salt as {@code $6$salt$hash}. */
    public static String hash512(String password) {
        return crypt(password, "$6$" + randomSalt(16));
    }

    public static String randomSalt(int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) sb.append(B64.charAt(RANDOM.nextInt(64)));
        return sb.toString();
    }

    /** True when {@code password} hashes to {@code stored} (compared in constant time). */
    public static boolean verify(String password, String stored) {
        if (stored == null || !(stored.startsWith("$5$") || stored.startsWith("$6$"))) return false;
        String computed;
        try {
            computed = crypt(password, stored);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.UTF_8), stored.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code crypt(3)} for the {@code $5$}/{@code $6$} methods; {@code setting} may be a full hash. */
    public static String crypt(String password, String setting) {
        boolean sha512;
        if (setting.startsWith("$6$")) sha512 = true;
        else if (setting.startsWith("$5$")) sha512 = false;
        else throw new IllegalArgumentException("unsupported crypt method");
        String rest = setting.substring(3);
        int rounds = ROUNDS_DEFAULT;
        boolean roundsCustom = false;
        if (rest.startsWith("rounds=")) {
            int end = rest.indexOf('$');
            if (end < 0) throw new IllegalArgumentException("bad rounds");
            long r;
            try {
                r = Long.parseLong(rest.substring(7, end));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad rounds");
            }
            rounds = (int) Math.max(1000, Math.min(999_999_999L, r));
            roundsCustom = true;
            rest = rest.substring(end + 1);
        }
        int end = rest.indexOf('$');
        String salt = end < 0 ? rest : rest.substring(0, end);
        if (salt.length() > 16) salt = salt.substring(0, 16);
        byte[] key = password.getBytes(StandardCharsets.UTF_8);
        byte[] s = salt.getBytes(StandardCharsets.UTF_8);
        MessageDigest md = digest(sha512);
        int hl = sha512 ? 64 : 32;

        // digest B
        md.update(key); md.update(s); md.update(key);
        byte[] b = md.digest();
        // digest A
        md.update(key); md.update(s);
        int n;
        for (n = key.length; n > hl; n -= hl) md.update(b, 0, hl);
        md.update(b, 0, n);
        for (n = key.length; n > 0; n >>= 1) {
            if ((n & 1) != 0) md.update(b, 0, hl);
            else md.update(key);
        }
        byte[] a = md.digest();
        // DP
        for (int i = 0; i < key.length; i++) md.update(key);
        byte[] dp = md.digest();
        byte[] p = new byte[key.length];
        for (int i = 0; i < key.length; i++) p[i] = dp[i % hl];
        // DS
        for (int i = 0; i < 16 + (a[0] & 0xff); i++) md.update(s);
        byte[] ds = md.digest();
        byte[] sb = new byte[s.length];
        for (int i = 0; i < s.length; i++) sb[i] = ds[i % hl];
        // rounds
        byte[] c = a;
        for (int i = 0; i < rounds; i++) {
            if ((i & 1) != 0) md.update(p); else md.update(c);
            if (i % 3 != 0) md.update(sb);
            if (i % 7 != 0) md.update(p);
            if ((i & 1) != 0) md.update(c); else md.update(p);
            c = md.digest();
        }
        Arrays.fill(p, (byte) 0);

        StringBuilder out = new StringBuilder(sha512 ? "$6$" : "$5$");
        if (roundsCustom) out.append("rounds=").append(rounds).append('$');
        out.append(salt).append('$');
        if (sha512) {
            int[][] order = {{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48},
                    {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13},
                    {56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}};
            for (int[] o : order) b64(out, c[o[0]], c[o[1]], c[o[2]], 4);
            b64(out, 0, 0, c[63], 2);
        } else {
            int[][] order = {{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26},
                    {27, 7, 17}, {18, 28, 8}, {9, 19, 29}};
            for (int[] o : order) b64(out, c[o[0]], c[o[1]], c[o[2]], 4);
            b64(out, 0, c[31], c[30], 3);
        }
        return out.toString();
    }

    private static void b64(StringBuilder out, int b2, int b1, int b0, int n) {
        int w = ((b2 & 0xff) << 16) | ((b1 & 0xff) << 8) | (b0 & 0xff);
        while (n-- > 0) {
            out.append(B64.charAt(w & 0x3f));
            w >>>= 6;
        }
    }

    private static MessageDigest digest(boolean sha512) {
        try {
            return MessageDigest.getInstance(sha512 ? "SHA-512" : "SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
