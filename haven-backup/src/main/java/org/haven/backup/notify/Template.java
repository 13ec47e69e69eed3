package org.haven.backup.notify;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.io.JsonStringEncoder;

/**
 * PVE's templating of webhook URLs, headers and bodies (a Handlebars subset): {@code {{ title }}},
 * {@code {{ message }}}, {@code {{ severity }}}, {@code {{ timestamp }}}, {@code {{ fields.NAME }}},
 * {@code {{ secrets.NAME }}}, and the helpers {@code {{ url-encode X }}} (percent-encoding),
 * {@code {{ escape X }}} (JSON string escaping, without quotes) and {@code {{ json X }}} (a JSON value). Values
 * are inserted without HTML escaping; an unknown name renders empty. Pure.
 */
public final class Template {
    private static final Pattern TAG = Pattern.compile("\\{\\{\\s*(.*?)\\s*}}");

    private Template() {}

    /** Renders {@code template} for {@code n}, with the target's {@code secrets}. */
    public static String render(String template, Notification n, Map<String, String> secrets) {
        Matcher m = TAG.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(expression(m.group(1), n, secrets)));
        m.appendTail(sb);
        return sb.toString();
    }

    static String expression(String expr, Notification n, Map<String, String> secrets) {
        String[] parts = expr.split("\\s+");
        if (parts.length == 1) return value(parts[0], n, secrets);
        if (parts.length != 2) throw new IllegalArgumentException("invalid template expression '{{ " + expr + " }}'");
        String v = value(parts[1], n, secrets);
        return switch (parts[0]) {
            case "url-encode" -> URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
            case "escape" -> escape(v);
            case "json" -> parts[1].equals("timestamp") ? v : '"' + escape(v) + '"';
            default -> throw new IllegalArgumentException("unknown template helper '" + parts[0] + "'");
        };
    }

    static String value(String path, Notification n, Map<String, String> secrets) {
        return switch (path) {
            case "title" -> n.title();
            case "message" -> n.message();
            case "severity" -> n.severity().label();
            case "timestamp" -> Long.toString(n.timestamp());
            default -> {
                if (path.startsWith("fields.")) yield n.fields().getOrDefault(path.substring(7), "");
                if (path.startsWith("secrets.")) yield secrets.getOrDefault(path.substring(8), "");
                yield "";
            }
        };
    }

    /** JSON string escaping without the surrounding quotes. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        JsonStringEncoder.getInstance().quoteAsString(s, sb);
        return sb.toString();
    }
}
