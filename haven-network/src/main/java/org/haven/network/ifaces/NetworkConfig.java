package org.haven.network.ifaces;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contents of an interfaces file: the interfaces in file order and the top-level directives kept verbatim
 * ({@code source}, {@code source-directory} and lines Haven does not know).
 */
public record NetworkConfig(Map<String, Iface> ifaces, List<String> directives) {
    public NetworkConfig {
        ifaces = Collections.unmodifiableMap(new LinkedHashMap<>(ifaces));
        directives = List.copyOf(directives);
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
