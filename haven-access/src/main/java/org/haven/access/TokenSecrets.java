package org.haven.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.core.format.ConfigText;

/** {@code priv/token.cfg}: one {@code <tokenid> <secret>} line per API token, sorted by token id. */
public final class TokenSecrets {
    public final TreeMap<String, String> secrets = new TreeMap<>();
    private final List<String> warnings = new ArrayList<>();

    public List<String> warnings() { return warnings; }

    public static TokenSecrets parse(String text) {
        TokenSecrets t = new TokenSecrets();
        if (text == null) return t;
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            int sp = line.indexOf(' ');
            if (sp > 0 && line.matches("^\\S+ \\S+$") && Ids.isTokenId(line.substring(0, sp))) {
                t.secrets.put(line.substring(0, sp), line.substring(sp + 1));
            } else {
                t.warnings.add("skipping invalid token.cfg entry");
            }
        }
        return t;
    }

    /** One line per token; an invalid token ID or a secret with white space (see {@link ConfigText}) is refused. */
    public String write() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : secrets.entrySet()) {
            if (!Ids.isTokenId(e.getKey())) throw new ConfigText.UnwritableValueException("tokenid", "invalid token ID '" + e.getKey() + "'");
            sb.append(e.getKey()).append(' ').append(ConfigText.name("value", e.getValue(), "")).append('\n');
        }
        return sb.toString();
    }
}
