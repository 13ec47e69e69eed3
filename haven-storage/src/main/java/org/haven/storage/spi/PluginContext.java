package org.haven.storage.spi;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * What plugins get from the outside: the command runner, the node name, access to secrets kept under
 * {@code priv/} (e.g. {@code priv/storage/<id>.pw}, {@code priv/ceph/<id>.keyring}), and the node's local
 * {@code ceph.conf} of the cluster's own Ceph (what an {@code rbd} storage without {@code monhost} uses).
 */
public record PluginContext(CommandRunner runner, String nodeName, BiFunction<String, String, Optional<String>> secrets, Path cephConf) {

    /** The {@code ceph.conf} of the Ceph cluster the nodes run themselves in system mode (PVE's links to {@code /etc/pve/ceph.conf}). */
    public static final Path SYSTEM_CEPH_CONF = Path.of("/etc/ceph/ceph.conf");

    /** A context whose Ceph cluster configuration is the system one. */
    public PluginContext(CommandRunner runner, String nodeName, BiFunction<String, String, Optional<String>> secrets) {
        this(runner, nodeName, secrets, SYSTEM_CEPH_CONF);
    }

    /** Secret {@code kind} (password, keyring, …) of storage {@code storeid}. */
    public Optional<String> secret(String storeid, String kind) {
        return secrets.apply(storeid, kind);
    }
}
