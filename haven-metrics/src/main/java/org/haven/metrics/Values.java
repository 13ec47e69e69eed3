package org.haven.metrics;

import java.math.BigDecimal;

/** Number rendering shared by the wire formats: integers as they are, other numbers in plain decimal notation. */
final class Values {
    private Values() {}

    /** The number {@code v} as text, or null when it is not a finite number (NaN and infinity are never sent). */
    static String number(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return v.toString();
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) return null;
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
            return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
        }
        if (v instanceof Boolean b) return b ? "1" : "0";
        return null;
    }

    /** Perl's {@code looks_like_number} for the strings the node's data holds. */
    static boolean numeric(String s) {
        return s.matches("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
    }
}
