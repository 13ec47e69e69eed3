package org.haven.ha;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hardware fencing configuration, {@code ha/fence.cfg}:
 * <pre>
 * device ipmi1 fence_ipmilan ip=10.0.0.11 username=admin password=secret lanplus
 * device psu fence_apc ip=10.0.0.20 username=apc password=apc
 * connect ipmi1 node=node1
 * connect psu node=node1 plug=3
 * </pre>
 * A device's parameters and a connection's parameters (except {@code node}) become the agent's long options
 * ({@code --ip=10.0.0.11 --plug=3}); {@code --action=off} is added. A node counts as fenced when every
 * connection of one device (tried in file order) succeeded. Values may be quoted ('key=value' or key="a b").
 */
public final class FenceConfig {
    public record Device(String name, String agent, Map<String, String> args) {}

    public record Connect(String device, String node, Map<String, String> args) {}

    private final Map<String, Device> devices = new LinkedHashMap<>();
    private final List<Connect> connects = new ArrayList<>();

    public Map<String, Device> devices() { return devices; }

    public List<Connect> connects() { return connects; }

    /** Splits a line into words, honouring single and double quotes. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0; else cur.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) throw new IllegalArgumentException("unterminated quote");
        if (inWord) out.add(cur.toString());
        return out;
    }

    private static Map<String, String> args(List<String> words, int from, int line) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = from; i < words.size(); i++) {
            String w = words.get(i);
            int eq = w.indexOf('=');
            String key = eq < 0 ? w : w.substring(0, eq);
            if (key.startsWith("--")) key = key.substring(2);
            if (!key.matches("[A-Za-z0-9_-]+")) throw new IllegalArgumentException("line " + line + ": invalid option '" + w + "'");
            out.put(key, eq < 0 ? null : w.substring(eq + 1));
        }
        return out;
    }

    public static FenceConfig parse(String text) {
        FenceConfig cfg = new FenceConfig();
        String[] lines = text == null ? new String[0] : text.split("\n");
        for (int n = 0; n < lines.length; n++) {
            String l = lines[n].strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            List<String> w = words(l);
            switch (w.get(0)) {
                case "device" -> {
                    if (w.size() < 3) throw new IllegalArgumentException("line " + (n + 1) + ": device needs a name and an agent");
                    String name = w.get(1);
                    if (cfg.devices.containsKey(name)) throw new IllegalArgumentException("line " + (n + 1) + ": device '" + name + "' defined twice");
                    String agent = w.get(2);
                    if (!agent.matches("(/[\\w./-]+/)?fence_[\\w-]+")) {
                        throw new IllegalArgumentException("line " + (n + 1) + ": '" + agent + "' is not a fence agent");
                    }
                    cfg.devices.put(name, new Device(name, agent, args(w, 3, n + 1)));
                }
                case "connect" -> {
                    if (w.size() < 3) throw new IllegalArgumentException("line " + (n + 1) + ": connect needs a device and node=<node>");
                    Map<String, String> a = args(w, 2, n + 1);
                    String node = a.remove("node");
                    if (node == null) throw new IllegalArgumentException("line " + (n + 1) + ": connect without node=");
                    if (!cfg.devices.containsKey(w.get(1))) throw new IllegalArgumentException("line " + (n + 1) + ": unknown device '" + w.get(1) + "'");
                    cfg.connects.add(new Connect(w.get(1), node, a));
                }
                default -> throw new IllegalArgumentException("line " + (n + 1) + ": unknown keyword '" + w.get(0) + "'");
            }
        }
        return cfg;
    }

    /**
     * Ways to fence {@code node}: per device (in file order) the agent command lines of all its connections
     * to the node. Empty when the node has no fencing device.
     */
    public List<List<List<String>>> commandsFor(String node) {
        Map<String, List<List<String>>> byDevice = new LinkedHashMap<>();
        for (Connect c : connects) {
            if (!c.node().equals(node)) continue;
            Device d = devices.get(c.device());
            List<String> argv = new ArrayList<>();
            argv.add(d.agent());
            Map<String, String> all = new LinkedHashMap<>(d.args());
            all.putAll(c.args());
            all.put("action", "off");
            all.forEach((k, v) -> argv.add(v == null ? "--" + k : "--" + k + "=" + v));
            byDevice.computeIfAbsent(d.name(), k -> new ArrayList<>()).add(argv);
        }
        return new ArrayList<>(byDevice.values());
    }
}
