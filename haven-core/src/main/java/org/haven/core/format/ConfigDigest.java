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
    private ConfigDigest() {}

    public static String of(String text) { return of(text.getBytes(StandardCharsets.UTF_8)); }

    public static String of(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
