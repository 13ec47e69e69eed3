package org.haven.core.format;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * PVE property strings: {@code value,key=value,key=value}. The leading bare value belongs to the
 * format's default key. Writing puts the default key first and the other keys in sorted order, as PVE does.
 * Validation against a format is the job of the schema validator; this class only splits and joins.
 */
public final class PropertyString {
    private PropertyString() {}

    /**
     * Split {@code text} into an ordered map. A part without '=' is assigned to {@code defaultKey}
     * (an error when there is none, or when the default key is given twice).
     */
    public static LinkedHashMap<String, String> parse(String text, String defaultKey) {
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) return out;
        for (String part : splitParts(text)) {
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            String key;
            String value;
            if (eq < 0) {
                if (defaultKey == null) throw new IllegalArgumentException("value without key, but schema does not define a default key");
                key = defaultKey;
                value = part;
            } else {
                key = part.substring(0, eq);
                if (key.isEmpty() || key.indexOf('"') >= 0 || ConfigText.hasSpace(key))
                    throw new IllegalArgumentException("invalid key in comma-separated list property: '" + key + "'");
                value = unquote(part.substring(eq + 1));
            }
            if (out.containsKey(key)) throw new IllegalArgumentException("duplicate key in comma-separated list property: " + key);
            out.put(key, value);
        }
        return out;
    }

    /**
     * Join a map back into a property string; the default key's value is written first, bare where {@link #parse}
     * reads it back so (not empty, no ',' or '=', no leading '"'), else with its key and quoted like the others. Other
     * values are quoted when they hold ',' or '"'. What cannot be written so that {@link #parse} returns it (see
     * {@link ConfigText}: a line break, a key with ',', '=', '"' or white space) is refused.
     */
    public static String print(Map<String, String> values, String defaultKey) {
        StringBuilder sb = new StringBuilder();
        if (defaultKey != null && values.get(defaultKey) != null) {
            String v = ConfigText.line(defaultKey, values.get(defaultKey));
            boolean bare = !v.isEmpty() && !v.startsWith("\"") && v.indexOf(',') < 0 && v.indexOf('=') < 0;
            if (bare) sb.append(v);
            else sb.append(ConfigText.name(defaultKey, defaultKey, ",=\"")).append('=').append(quoteIfNeeded(v));
        }
        for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
            if (e.getKey().equals(defaultKey) || e.getValue() == null) continue;
            ConfigText.name(e.getKey(), e.getKey(), ",=\"");
            if (!sb.isEmpty()) sb.append(',');
            sb.append(e.getKey()).append('=').append(quoteIfNeeded(ConfigText.line(e.getKey(), e.getValue())));
        }
        return sb.toString();
    }

    private static java.util.List<String> splitParts(String text) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' && (cur.length() == 0 || cur.charAt(cur.length() - 1) == '=' || quoted)) quoted = !quoted;
            if (c == '\\' && quoted && i + 1 < text.length()) { cur.append(c).append(text.charAt(++i)); continue; }
            if (c == ',' && !quoted) { parts.add(cur.toString()); cur.setLength(0); continue; }
            cur.append(c);
        }
        parts.add(cur.toString());
        return parts;
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < v.length() - 1; i++) {
                char c = v.charAt(i);
                if (c == '\\' && i + 1 < v.length() - 1) c = v.charAt(++i);
                sb.append(c);
            }
            return sb.toString();
        }
        return v;
    }

    private static String quoteIfNeeded(String v) {
        if (v.indexOf(',') < 0 && v.indexOf('"') < 0) return v;
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
