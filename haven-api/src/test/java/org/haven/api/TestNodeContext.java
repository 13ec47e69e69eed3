package org.haven.api;

import java.nio.file.Path;
import org.haven.api.task.TaskManager;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;

/** A node context for module tests: node {@code n1} in embedded mode, with the given parts. */
public final class TestNodeContext implements NodeContext {
    private final ClusterFs cfs;
    private final TaskManager tasks;
    private final AccessChecker access;
    private final Path dataDir;
    private final Path runDir;
    private final Clock clock;

    public TestNodeContext(ClusterFs cfs, TaskManager tasks, AccessChecker access, Path dataDir, Path runDir, Clock clock) {
        this.cfs = cfs;
        this.tasks = tasks;
        this.access = access;
        this.dataDir = dataDir;
        this.runDir = runDir;
        this.clock = clock;
    }

    /** Data in {@code tmp/data}, sockets and PID files in {@code tmp/run}. */
    public TestNodeContext(ClusterFs cfs, TaskManager tasks, AccessChecker access, Path tmp, Clock clock) {
        this(cfs, tasks, access, tmp.resolve("data"), tmp.resolve("run"), clock);
    }

    @Override public String nodeName() { return "n1"; }
    @Override public ClusterFs cfs() { return cfs; }
    @Override public TaskManager tasks() { return tasks; }
    @Override public AccessChecker access() { return access; }
    @Override public Path dataDir() { return dataDir; }
    @Override public Path runDir() { return runDir; }
    @Override public boolean embedded() { return true; }
    @Override public Clock clock() { return clock; }
}
