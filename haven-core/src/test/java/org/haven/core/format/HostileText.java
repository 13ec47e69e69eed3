package org.haven.core.format;

import java.util.Random;

/**
 * Random text for the writer property tests: mostly letters, with characters that are harmless, delimiters of some
 * config format, white space of several kinds, percent escapes and line breaks of some reader.
 */
public final class HostileText {
    private HostileText() {}

    public static final String ALPHABET =
            "abz09AZ-_.é€ :,;=\"'\\#{}[]@!/%41%zz\t\n\r\u0000\u000b\u000c\u001b\u007f\u0085\u00a0\u2028\u2029\u3000";

    /** A string of up to {@code max} characters; one in three is taken from {@link #ALPHABET}. */
    public static String random(Random r, int max) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(max + 1);
        for (int i = 0; i < n; i++) sb.append(r.nextInt(3) == 0 ? ALPHABET.charAt(r.nextInt(ALPHABET.length())) : (char) ('a' + r.nextInt(26)));
        return sb.toString();
    }
}
