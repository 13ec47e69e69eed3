package org.haven.ha;

import java.util.List;
import java.util.Map;

/**
 * Everything the HA state machines need from the outside world: time, quorum, cluster locks, the shared
 * status and configuration files, the watchdog and the resource agents. The manager, CRM and LRM perform
 * no I/O of their own; the simulator and the real node daemon each provide an implementation.
 *
 * <p>Methods that access the cluster file system throw {@link HaException} when it is unavailable.
 */
public interface HaEnv {

    /** Membership as seen from this node: which nodes are online, and whether this partition is quorate. */
    record NodeInfo(Map<String, Boolean> online, boolean quorate) {}

    /** Datacenter-wide HA settings ({@code datacenter.cfg}: {@code ha} and {@code crs}). */
    record Datacenter(String shutdownPolicy, String crsHa, boolean rebalanceOnStart) {
        public static final Datacenter DEFAULT = new Datacenter(null, null, false);
    }

    /** Static resources of a node or a service. */
    record Stats(double maxcpu, long maxmem) {}

    /** Whether the node is going down, and whether it comes back (reboot). */
    record Shutdown(boolean shutdown, boolean reboot) {}

    String nodename();

    /** Logs with a PVE level: info, notice, warning, err, email. */
    void log(String level, String message);

    /** Notification for fencing events. */
    void sendmail(String subject, String text);

    long getTime();

    void sleep(long seconds);

    void sleepUntil(long time);

    void loopStartHook();

    void loopEndHook();

    /** False when this round's view of the cluster state could not be refreshed. */
    boolean clusterStateUpdate();

    boolean quorate();

    NodeInfo getNodeInfo();

    boolean getHaManagerLock();

    boolean releaseHaManagerLock();

    /** Takes (or renews) the agent lock of {@code node}; the manager uses this to acknowledge fencing. */
    boolean getHaAgentLock(String node);

    boolean releaseHaAgentLock();

    /**
     * Releases the agent lock of a restarting LRM that leaves (frozen) services running: only this node
     * may take it again before the lock timeout; other nodes must wait for it to expire. By default the
     * lock is simply kept.
     */
    default void handOverHaAgentLock() { }

    /**
     * Renews this node's agent lock without taking it over formally, for an LRM that is not active yet but
     * finds services of this node running. By default the same as taking the lock.
     */
    default boolean renewHaAgentLockQuietly() { return getHaAgentLock(nodename()); }

    ManagerStatus readManagerStatus();

    void writeManagerStatus(ManagerStatus status);

    LrmStatus readLrmStatus(String node);

    void writeLrmStatus(LrmStatus status);

    /** Resources by sid, sorted, with defaults applied. */
    Map<String, ServiceConfig> readServiceConfig();

    /** Changes properties (e.g. {@code state}) of a configured resource. */
    void updateServiceConfig(String sid, Map<String, String> changes);

    Map<String, Group> readGroupConfig();

    /** Returns the queued CRM commands (one per line) and empties the queue. */
    String readCrmCommands();

    /** Returns the queued CRM commands without consuming them. */
    String peekCrmCommands();

    void queueCrmCommands(String command);

    Datacenter getDatacenterSettings();

    Shutdown isNodeShutdown();

    /** Number of parallel resource workers; 0 runs commands inline. */
    int getMaxWorkers();

    /** Executor for resource workers when {@link #getMaxWorkers()} is positive; null for a default one. */
    default java.util.concurrent.Executor workerExecutor() { return null; }

    /**
     * The cluster-wide failover timing (round pause, watchdog, lock lifetime, fence delay); PVE's fixed values
     * by default. The real environment reads it from {@value org.haven.cfs.LockTable#HA_TIMING_FILE}.
     */
    default org.haven.cfs.LockTable.HaTiming timing() { return org.haven.cfs.LockTable.HaTiming.PVE; }

    String watchdogOpen();

    void watchdogUpdate(String handle);

    void watchdogClose(String handle);

    /** Moves a resource's configuration from a fenced node to its recovery node. */
    void stealService(String sid, String currentNode, String newNode);

    /**
     * Whether a service can be recovered on a node, and what that means: {@code reason} says why it cannot, or, when
     * it can, what its recovery there costs (null: nothing to say).
     */
    record RecoveryCheck(boolean possible, String reason) {
        public static final RecoveryCheck OK = new RecoveryCheck(true, null);
    }

    /**
     * Whether {@code sid}, owned by the fenced {@code fencedNode}, can run on {@code node} once stolen (for a guest:
     * its volumes are there, on shared storage or as a replica). Every node can by default.
     */
    default RecoveryCheck recoveryCheck(String sid, String fencedNode, String node) { return RecoveryCheck.OK; }

    Map<String, Stats> getStaticNodeStats();

    /**
     * Powers {@code node} off through its hardware fencing devices ({@code ha/fence.cfg}). Returns null when
     * the node has no fencing device, else whether fencing succeeded.
     */
    default Boolean hardwareFence(String node) { return null; }

    /**
     * Whether {@code node} has a hardware fencing device: the manager then fences it as soon as it left the quorate
     * partition, without the fence delay, since powering it off needs no wait for its watchdog (as PVE 3 fenced a node
     * once the membership had lost it).
     */
    default boolean hasFenceDevice(String node) { return false; }

    // --- resource agents -------------------------------------------------------------------------------

    boolean resourceTypeKnown(String type);

    boolean checkRunning(String sid);

    void startService(String sid);

    void shutdownService(String sid, String timeout);

    /** Migrates ({@code online}) or relocates a resource; true when it left this node. */
    boolean migrateService(String sid, String target, boolean online);

    /** Removes the first matching lock among {@code locks} from the resource config; returns it or null. */
    String removeLocks(String sid, List<String> locks, String node);

    /** Static usage of a service; throws when unknown. */
    Stats staticServiceStats(String sid, String node);
}
