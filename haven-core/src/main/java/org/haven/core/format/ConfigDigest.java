package org.haven.core.format;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The {@code digest} PVE's API returns with a config file and compares before a change: the SHA-1 of the file's
 * text, as lowercase hex.
 */
public final class ConfigDigest {
    /** PVE's answer when a change names a digest the file no longer has. */
    public static final String MODIFIED = "detected modified configuration - file changed by other user? Try again.";

    private ConfigDigest() {}

    /** PVE's digest check of a change: a {@code given} digest (null: none) must be that of the file's {@code text}. */
    public static void check(String given, String text) {
        if (given != null && !given.equals(of(text))) throw new IllegalStateException(MODIFIED);
    }

    public static String of(String text) { return of(text.getBytes(StandardCharsets.UTF_8)); }

    public static String of(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
