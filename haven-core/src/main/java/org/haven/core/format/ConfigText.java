package org.haven.core.format;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.haven.core.schema.ParamException;

/**
 * The rule every config writer follows: a value is written only when the file reads it back as the same value.
 * A value holding a character that would end its line (LF, CR, the other C0 control characters except TAB, NEL,
 * U+2028, U+2029), a NUL, or a delimiter the format has no escape for, would change the structure of the file
 * (one crafted value could add a line such as {@code acl:1:/:joe@pve:Administrator:} to {@code user.cfg}); the
 * writer refuses it with {@link UnwritableValueException} before anything is written, so the file keeps its old
 * content.
 *
 * <p>The exception is a {@link ParamException} keyed by the property, so a value that came from an API call is
 * answered with 400 on that field.
 */
public final class ConfigText {
    private ConfigText() {}

    /** A value the file cannot hold. */
    public static final class UnwritableValueException extends ParamException {
        public UnwritableValueException(String key, String message) { super(Map.of(key, message)); }
    }

    /** True for a character some reader of a line-based file treats as the end of a line (or of a C string). */
    public static boolean breaksLine(char c) {
        return (c < 0x20 && c != '\t') || c == 0x7f || c == 0x85 || c == 0x2028 || c == 0x2029;
    }

    /** Checks a value written on one line; returns it (null stays null). */
    public static String line(String key, String value) { return field(key, value, ""); }

    /** Checks a value written on one line between delimiters the format cannot escape; returns it. */
    public static String field(String key, String value, String delimiters) {
        if (value == null) return null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (breaksLine(c)) throw refused(key, describe(c));
            if (delimiters.indexOf(c) >= 0) throw refused(key, "'" + c + "'");
        }
        return value;
    }

    /**
     * Checks a name written as one token (a key, a section type or ID, a list element): not empty, no white space,
     * nothing that {@link #field} refuses.
     */
    public static String name(String key, String value, String delimiters) {
        if (value == null || value.isEmpty()) throw new UnwritableValueException(key, "value must not be empty");
        field(key, value, delimiters);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (isSpace(c)) throw refused(key, "white space");
        }
        return value;
    }

    /** White space in a name, Unicode's included (a name holding any is refused, when read or written). */
    public static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** True when {@code name} holds {@link #isSpace white space}. */
    public static boolean hasSpace(String name) {
        return name.chars().anyMatch(ConfigText::isSpace);
    }

    /**
     * PVE's {@code encode_text} for free text in line-based files: control characters, non-ASCII bytes (of the UTF-8
     * form) and ':' are percent-encoded. So that {@link #decodeText} returns exactly the text, a '%' that starts an
     * escape is encoded too, and with {@code edgeSpaces} a space at either end (for readers that strip fields); PVE
     * decodes both.
     */
    public static String encodeText(String text, boolean edgeSpaces) {
        StringBuilder sb = new StringBuilder();
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            int c = in[i] & 0xff;
            boolean escape = c < 0x20 || c > 0x7e || c == ':' || (c == '%' && escapeAt(in, i))
                    || (edgeSpaces && c == ' ' && (i == 0 || i == in.length - 1));
            if (escape) sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
            else sb.append((char) c);
        }
        return sb.toString();
    }

    /** PVE's {@code decode_text}: undoes %XX escapes, then decodes UTF-8. */
    public static String decodeText(String text) {
        if (text.indexOf('%') < 0) return text;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '%' && escapeAt(in, i)) {
                out.write(hex(in[i + 1]) * 16 + hex(in[i + 2]));
                i += 2;
            } else {
                out.write(in[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private static boolean escapeAt(byte[] in, int i) { return i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0; }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }

    private static UnwritableValueException refused(String key, String what) {
        return new UnwritableValueException(key, "value contains " + what + ", which cannot be written to the configuration file");
    }

    private static String describe(char c) {
        return switch (c) {
            case '\n' -> "a line feed";
            case '\r' -> "a carriage return";
            case 0 -> "a NUL character";
            default -> String.format(c < 0x20 || c == 0x7f ? "the control character U+%04X" : "the line break U+%04X", (int) c);
        };
    }
}
