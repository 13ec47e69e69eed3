package org.haven.node.admin;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /etc/resolv.conf} as PVE reads and writes it ({@code PVE::INotify} {@code resolvconf}): the
 * {@code search} (or {@code domain}) domain and up to three {@code nameserver}s as {@code dns1..dns3}. A write
 * puts {@code search} and the name servers (each once) first and keeps the file's other lines after them.
 */
public final class ResolvConf {
    private ResolvConf() {}

    private static final Pattern SEARCH = Pattern.compile("^(?:search|domain)\\s+(\\S+).*");
    private static final Pattern NAMESERVER = Pattern.compile("^\\s*nameserver\\s+([0-9A-Fa-f.:]+).*");
    private static final Pattern REPLACED = Pattern.compile("(?:search|domain|nameserver)\\s");

    /** The {@code search}, {@code dns1..3} of {@code text} (absent keys are left out). */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        int ns = 0;
        for (String line : text.split("\n")) {
            Matcher m = SEARCH.matcher(line);
            if (m.matches()) {
                out.put("search", m.group(1));
                continue;
            }
            m = NAMESERVER.matcher(line);
            if (m.matches() && ++ns <= 3) out.put("dns" + ns, m.group(1));
        }
        return out;
    }

    /** {@code old} with {@code search} and the given {@code dns1..3} (a missing one is dropped). */
    public static String update(String old, String search, String dns1, String dns2, String dns3) {
        StringBuilder b = new StringBuilder();
        if (search != null && !search.isEmpty()) b.append("search ").append(search).append('\n');
        Set<String> written = new HashSet<>();
        for (String ns : new String[]{dns1, dns2, dns3})
            if (ns != null && !ns.isEmpty() && written.add(ns)) b.append("nameserver ").append(ns).append('\n');
        for (String line : old.split("(?<=\n)")) {
            if (line.isEmpty() || REPLACED.matcher(line).lookingAt()) continue;
            b.append(line);
        }
        return b.toString();
    }
}
