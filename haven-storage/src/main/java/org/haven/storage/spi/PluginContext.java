package org.haven.storage.spi;

import java.util.Optional;
import java.util.function.BiFunction;

/**
 * What plugins get from the outside: the command runner, the node name, and access to secrets kept under
 * {@code priv/} (e.g. {@code priv/storage/<id>.pw}, {@code priv/ceph/<id>.keyring}).
 */
public record PluginContext(CommandRunner runner, String nodeName, BiFunction<String, String, Optional<String>> secrets) {

    /** Secret {@code kind} (password, keyring, …) of storage {@code storeid}. */
    public Optional<String> secret(String storeid, String kind) {
        return secrets.apply(storeid, kind);
    }
}
