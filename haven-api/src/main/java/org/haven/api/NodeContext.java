package org.haven.api;

import java.nio.file.Path;
import org.haven.api.task.TaskManager;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;

/**
 * The node a module runs in, handed to {@link ApiModule#register}: its name, cluster file system, tasks,
 * permission checks, directories and clock.
 *
 * <p>What a module needs from other modules (the storage manager, the guest services, access control …) is not
 * looked up here: the daemon ({@code haven-node}'s {@code NodeModules}) builds every service once and hands it to
 * the module's constructor.
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
}
