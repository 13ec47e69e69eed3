package org.haven.api;

import java.nio.file.Path;
import java.util.Optional;
import org.haven.api.task.TaskManager;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;

/**
 * The services of the node a module runs in, handed to {@link ApiModule#register}.
 *
 * <p>Modules exchange services through {@link #publish}/{@link #service}: e.g. haven-storage publishes
 * its {@code StorageManager} and haven-qemu looks it up. Publish in {@code register}, look up lazily (in
 * handlers or in {@link ApiModule#start}), because module registration order is not guaranteed.
 */
public interface NodeContext {

    /** This node's name. */
    String nodeName();

    /** The cluster file system (PVE's /etc/pve). */
    ClusterFs cfs();

    /** Tasks of this node. */
    TaskManager tasks();

    /** Permission checks. */
    AccessChecker access();

    /**
     * Root of this node's local state: {@code /var/lib/haven} in system mode, the {@code --data-dir} in
     * embedded mode. Modules keep their local files below {@code dataDir().resolve("<module>")}.
     */
    Path dataDir();

    /** Directory for sockets and PID files ({@code /run/haven} in system mode, {@code <data-dir>/run} in embedded mode). */
    Path runDir();

    /** True in embedded mode (not system paths; storage {@code local} lives under the data dir, …). */
    boolean embedded();

    Clock clock();

    /** The service published for {@code type}; throws IllegalStateException when none is. */
    default <T> T service(Class<T> type) {
        return findService(type).orElseThrow(() -> new IllegalStateException("no service " + type.getName() + " published"));
    }

    <T> Optional<T> findService(Class<T> type);

    /** Make {@code impl} available to other modules under {@code type}. */
    <T> void publish(Class<T> type, T impl);
}
