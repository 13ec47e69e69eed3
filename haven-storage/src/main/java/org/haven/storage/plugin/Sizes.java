package org.haven.storage.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.haven.storage.StorageException;

/** Size helpers shared by plugins: KiB rounding and the 8-byte little-endian header of the {@code +size} formats. */
public final class Sizes {
    private Sizes() {}

    /** Bytes → KiB, rounded up. */
    public static long kib(long bytes) { return (bytes + 1023) / 1024; }

    public static void writeHeader(OutputStream out, long size) {
        try {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(size).array());
        } catch (IOException e) {
            throw new StorageException("unable to write export header - " + e.getMessage(), e);
        }
    }

    public static long readHeader(InputStream in) {
        try {
            byte[] b = in.readNBytes(8);
            if (b.length != 8) throw new StorageException("failed to read size");
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (IOException e) {
            throw new StorageException("failed to read size - " + e.getMessage(), e);
        }
    }

    /** Parse a size like {@code 4G}, {@code 512M}, {@code 1024K}, {@code 10T} or plain bytes. Binary units. */
    public static long parse(String s) {
        var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:i?B)?", java.util.regex.Pattern.CASE_INSENSITIVE).matcher(s.trim());
        if (!m.matches()) throw new StorageException("unable to parse size '" + s + "'");
        double v = Double.parseDouble(m.group(1));
        long mult = switch (m.group(2).toUpperCase()) {
            case "K" -> 1024L;
            case "M" -> 1024L * 1024;
            case "G" -> 1024L * 1024 * 1024;
            case "T" -> 1024L * 1024 * 1024 * 1024;
            default -> 1L;
        };
        return (long) Math.ceil(v * mult);
    }
}
