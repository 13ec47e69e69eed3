package org.haven.backup;

import java.util.Locale;

/** Byte counts as PVE's backup logs print them. */
public final class Units {
    private Units() {}

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    /** {@code 1.00 GiB}: two decimals, binary units. */
    public static String sizeLong(long bytes) {
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.2f %s", v, UNITS[u]);
    }

    /** {@code 32G}, {@code 512M}, {@code 1.5G}: PVE's short disk and archive sizes. */
    static String sizeShort(long bytes) {
        String[] units = {"", "K", "M", "G", "T", "P"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        if (v == Math.rint(v)) return (long) v + units[u];
        return String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }
}
