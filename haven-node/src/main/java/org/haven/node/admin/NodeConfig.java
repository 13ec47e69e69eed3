package org.haven.node.admin;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.core.format.ConfigText;
import org.haven.guest.config.GuestConfig;

/**
 * A node's configuration file {@code nodes/<node>/config} (PVE::NodeConfig): the description as {@code #}
 * comment lines on top ({@code encode_text}), then {@code key: value} lines sorted by key. Unknown keys are kept.
 */
public final class NodeConfig {
    private NodeConfig() {}

    private static final Pattern LINE = Pattern.compile("^([a-z][a-z_-]*\\d*):\\s*(\\S.*?)\\s*$");

    /** The keys of {@code text}, {@code description} among them, and its {@code digest}. */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new TreeMap<>();
        StringBuilder descr = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.startsWith("#")) {
                descr.append(ConfigText.decodeText(line.substring(1))).append('\n');
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (m.matches()) out.put(m.group(1), m.group(2));
        }
        if (!descr.isEmpty()) out.put("description", descr.toString());
        out.put("digest", digest(text));
        return out;
    }

    /** The file text of {@code conf} ({@code digest} is not written). */
    public static String write(Map<String, String> conf) {
        StringBuilder b = new StringBuilder();
        String descr = conf.getOrDefault("description", "");
        if (!descr.isEmpty()) for (String l : descr.split("\n")) b.append('#').append(ConfigText.encodeText(l, false)).append('\n');
        for (Map.Entry<String, String> e : new TreeMap<>(conf).entrySet()) {
            if (e.getKey().equals("description") || e.getKey().equals("digest")) continue;
            if (e.getValue().contains("\n")) throw new IllegalArgumentException("detected invalid newline inside property '" + e.getKey() + "'");
            b.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return b.toString();
    }

    /** {@code conf} with {@code set} applied and the keys of {@code delete} removed. */
    public static Map<String, String> update(Map<String, String> conf, Map<String, String> set, Iterable<String> delete) {
        Map<String, String> out = new LinkedHashMap<>(conf);
        out.remove("digest");
        for (String d : delete) out.remove(d);
        out.putAll(set);
        return out;
    }

    public static String digest(String text) { return GuestConfig.sha1Hex(text.getBytes(StandardCharsets.UTF_8)); }
}
