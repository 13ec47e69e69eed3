package org.haven.network.ifaces;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contents of an interfaces file: the interfaces in file order and the top-level directives kept verbatim:
 * first the lines outside any stanza that Haven does not know, then {@code source}, {@code source-directory},
 * {@code mapping} and {@code allow-CLASS} lines (each group in file order), the order they are written in.
 */
public record NetworkConfig(Map<String, Iface> ifaces, List<String> directives) {
    public NetworkConfig {
        ifaces = Collections.unmodifiableMap(new LinkedHashMap<>(ifaces));
        List<String> d = new java.util.ArrayList<>(directives);
        d.sort(java.util.Comparator.comparing(NetworkConfig::endsStanza));
        directives = List.copyOf(d);
    }

    /** Whether a directive line ends a stanza when read (so it may follow one). */
    static boolean endsStanza(String line) {
        String kw = line.strip().split("\\s+", 2)[0];
        return kw.equals("source") || kw.equals("source-directory") || kw.equals("mapping") || kw.equals("iface")
                || kw.equals("auto") || kw.startsWith("allow-");
    }

    public static NetworkConfig empty() { return new NetworkConfig(Map.of(), List.of()); }

    /** This configuration with {@code iface} put in place of the one of the same name, or added last. */
    public NetworkConfig with(Iface iface) {
        LinkedHashMap<String, Iface> m = new LinkedHashMap<>(ifaces);
        m.put(iface.name(), iface);
        return new NetworkConfig(m, directives);
    }

    public NetworkConfig without(String name) {
        LinkedHashMap<String, Iface> m = new LinkedHashMap<>(ifaces);
        m.remove(name);
        return new NetworkConfig(m, directives);
    }
}
