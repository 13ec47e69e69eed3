package org.haven.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.core.format.ConfigText;

/**
 * {@code priv/shadow.cfg}: password hashes of the {@code pve} realm, one {@code <user>:<crypt hash>:} line per
 * user, keyed by the user name without {@code @pve}.
 */
public final class Shadow {
    public final TreeMap<String, String> hashes = new TreeMap<>();
    private final List<String> warnings = new ArrayList<>();

    public List<String> warnings() { return warnings; }

    public static Shadow parse(String text) {
        Shadow s = new Shadow();
        if (text == null) return s;
        int n = 0;
        for (String raw : text.split("\n")) {
            n++;
            String line = raw.strip();
            if (line.isEmpty()) continue;
            if (!line.matches("^[^:\\s]+:[^:\\s]+:$")) {
                s.warnings.add("pve shadow password: ignore invalid line " + n);
                continue;
            }
            String[] f = line.split(":");
            s.hashes.put(f[0], f[1]);
        }
        return s;
    }

    /** One line per user; a name or hash with ':' or white space (see {@link ConfigText}) is refused. */
    public String write() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : hashes.entrySet())
            sb.append(ConfigText.name("userid", e.getKey(), ":")).append(':').append(ConfigText.name("password", e.getValue(), ":")).append(":\n");
        return sb.toString();
    }
}
