package org.haven.node;

import java.nio.file.Path;
import org.haven.api.AccessChecker;
import org.haven.api.NodeContext;
import org.haven.api.task.TaskManager;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;

/** The {@link NodeContext} of the running daemon. */
public final class NodeServices implements NodeContext {
    private final String nodeName;
    private final ClusterFs cfs;
    private final TaskManager tasks;
    private final AccessChecker access;
    private final NodePaths paths;
    private final Clock clock;

    public NodeServices(String nodeName, ClusterFs cfs, TaskManager tasks, AccessChecker access, NodePaths paths, Clock clock) {
        this.nodeName = nodeName;
        this.cfs = cfs;
        this.tasks = tasks;
        this.access = access;
        this.paths = paths;
        this.clock = clock;
    }

    @Override public String nodeName() { return nodeName; }
    @Override public ClusterFs cfs() { return cfs; }
    @Override public TaskManager tasks() { return tasks; }
    @Override public AccessChecker access() { return access; }
    @Override public Path dataDir() { return paths.dataDir(); }
    @Override public Path runDir() { return paths.runDir(); }
    @Override public boolean embedded() { return paths.embedded(); }
    @Override public Clock clock() { return clock; }
    public NodePaths paths() { return paths; }
}
