package org.haven.ha;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Local resource manager daemon logic: holds the node's agent lock while it runs services, executes the
 * manager's requested states through the resource agents and reports results by UID.
 * States: wait_for_agent_lock, active, lost_agent_lock, maintenance.
 */
public final class Lrm {
    public static final Set<String> STATES = Set.of("wait_for_agent_lock", "active", "lost_agent_lock", "maintenance");
    /** Rounds without a service on this node before an active LRM gives up its lock and watchdog. */
    static final int MAX_ACTIVE_IDLE_ROUNDS = 60;

    private static final class Worker {
        final String sid;
        final String uid;
        final String state;
        final String target;
        final String timeout;
        CompletableFuture<Integer> future;

        Worker(String sid, String uid, String state, String target, String timeout) {
            this.sid = sid;
            this.uid = uid;
            this.state = state;
            this.target = target;
            this.timeout = timeout;
        }
    }

    private final HaEnv env;
    private volatile String state = "startup";
    private long stateChangeTime;
    private final TreeMap<String, Worker> workers = new TreeMap<>();
    private TreeMap<String, LrmResult> results = new TreeMap<>();
    private final TreeMap<String, Integer> restartTries = new TreeMap<>();
    private long shutdownRequest;
    private int shutdownErrors;
    private String mode = "active";
    private boolean clusterStateUpdate;
    private int activeIdleRounds;
    private boolean wroteStatusAtStartup;
    private volatile String agentWatchdog;
    /** Services of an incoming migration whose guest is about to start here (see {@link #protectIncoming}). */
    private final Set<String> incoming = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Map<String, ServiceState> serviceStatus = new TreeMap<>();
    private String nodeStatus = "unknown";
    private ExecutorService executor;

    public Lrm(HaEnv env) {
        this.env = env;
        setLocalStatus("wait_for_agent_lock");
    }

    public String state() { return state; }

    public String mode() { return mode; }

    /**
     * The target of an HA migration calls this before the guest's process starts here (the guest framework starts
     * it when the source asks, not this LRM): from its next round on the LRM counts {@code sid}, which is in state
     * {@code migrate} or {@code relocate} towards this node, as one of its own services, so it takes the node's agent
     * lock and arms the watchdog as for a start. A node that dies with the incoming guest then resets itself, and the
     * manager can fence it only once its lock expired. Waits up to {@code maxMillis}; true once the LRM holds the lock
     * and the watchdog, false (nothing may start) when it could not get them in time.
     */
    public boolean protectIncoming(String sid, long maxMillis) throws InterruptedException {
        incoming.add(sid);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(maxMillis);
        while (!protecting()) {
            if (System.nanoTime() > deadline) {
                incoming.remove(sid);
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** True while the LRM holds the agent lock and keeps the watchdog armed for its services. */
    public boolean protecting() {
        String st = state;
        return agentWatchdog != null && (st.equals("active") || st.equals("maintenance"));
    }

    private boolean migratingHere(String sid, ServiceState s) {
        return incoming.contains(sid) && env.nodename().equals(s.target)
            && ("migrate".equals(s.state) || "relocate".equals(s.state));
    }

    private void setLocalStatus(String newState) {
        if (!STATES.contains(newState)) throw new IllegalArgumentException("invalid state '" + newState + "'");
        if (state.equals(newState)) return;
        env.log("info", "status change " + state + " => " + newState);
        state = newState;
        stateChangeTime = env.getTime();
    }

    /** Node shutdown, reboot or LRM restart: decides between stopping, freezing and migrating services. */
    public void shutdownRequest() {
        if (shutdownRequest != 0) return;
        HaEnv.Shutdown sd = env.isNodeShutdown();
        boolean shutdown = sd.shutdown();
        boolean reboot = sd.reboot();
        String policy = env.getDatacenterSettings().shutdownPolicy();
        if (policy == null) policy = "conditional";
        if (shutdown) env.log("info", "got shutdown request with shutdown policy '" + policy + "'");

        boolean freezeAll = false;
        boolean maintenance = false;
        switch (policy) {
            case "conditional" -> freezeAll = reboot;
            case "freeze" -> freezeAll = true;
            case "failover" -> freezeAll = false;
            case "migrate" -> maintenance = true;
            default -> {
                env.log("err", "unknown shutdown policy '" + policy + "', fall back to conditional");
                freezeAll = reboot;
            }
        }

        if (!maintenance && shutdown) {
            // always stop services when the node goes down, or they might get corrupted
            String nodename = env.nodename();
            for (Map.Entry<String, ServiceState> e : serviceStatus.entrySet()) {
                ServiceState s = e.getValue();
                if (s.node == null || !s.node.equals(nodename)) continue;
                queueResourceCommand(e.getKey(), null, "request_stop", null, null);
            }
        }

        if (shutdown) {
            String type = reboot ? "reboot" : "shutdown";
            if (isMaintenanceRequested()) {
                if (maintenance) {
                    env.log("info", type + " LRM, ignore maintenance policy, already in maintenance mode");
                } else {
                    env.log("info", type + " LRM, ignore " + policy + " policy as manual maintenance mode is enabled");
                }
            } else if (maintenance) {
                env.log("info", type + " LRM, doing maintenance, removing this node from active list");
                mode = "maintenance";
            } else if (freezeAll) {
                env.log("info", type + " LRM, stop and freeze all services");
                mode = "restart";
            } else {
                env.log("info", "shutdown LRM, stop all services");
                mode = "shutdown";
            }
        } else {
            env.log("info", "restart LRM, freeze all services");
            mode = "restart";
        }

        shutdownRequest = Math.max(1, env.getTime());
        try {
            if (!updateLrmStatus()) throw new HaException("not quorate?");
        } catch (HaException e) {
            env.log("err", "unable to update lrm status file - " + e.getMessage());
        }
    }

    private boolean getProtectedHaAgentLock() {
        int count = 0;
        long start = env.getTime();
        for (;;) {
            if (env.getHaAgentLock(env.nodename())) {
                if (agentWatchdog != null) {
                    env.watchdogUpdate(agentWatchdog);
                } else {
                    agentWatchdog = env.watchdogOpen();
                }
                return true;
            }
            if (++count > 5) break;
            if (env.getTime() - start > 5) break;
            env.sleep(1);
        }
        return false;
    }

    private void giveUpWatchdogProtection() {
        if (agentWatchdog != null) {
            env.watchdogClose(agentWatchdog);
            agentWatchdog = null;
        }
    }

    /** Services assigned to this node that run here (e.g. left running by a restarted LRM). */
    private int runningLocalServices() {
        String nodename = env.nodename();
        int count = 0;
        for (Map.Entry<String, ServiceState> e : serviceStatus.entrySet()) {
            ServiceState s = e.getValue();
            if (!nodename.equals(s.node)) continue;
            try {
                if (env.checkRunning(e.getKey())) count++;
            } catch (RuntimeException ex) {
                count++;
            }
        }
        return count;
    }

    /**
     * An inactive LRM that finds services of this node running keeps them under watchdog protection: it
     * renews the node's agent lock quietly and feeds the watchdog while quorate, so the manager cannot
     * acknowledge fencing before the watchdog would have reset this node. With a fence request the
     * watchdog is armed but no longer fed.
     */
    private void protectRunningServices(boolean fenceRequest) {
        if (runningLocalServices() == 0) return;
        if (fenceRequest) {
            if (agentWatchdog == null) agentWatchdog = env.watchdogOpen();
            return;
        }
        if (env.quorate() && env.renewHaAgentLockQuietly()) {
            if (agentWatchdog != null) env.watchdogUpdate(agentWatchdog); else agentWatchdog = env.watchdogOpen();
        } else if (agentWatchdog == null) {
            agentWatchdog = env.watchdogOpen();
        }
    }

    private boolean isMaintenanceRequested() {
        return mode.equals("maintenance");
    }

    private boolean isFenceRequested() {
        String nodename = env.nodename();
        for (ServiceState s : serviceStatus.values()) {
            if (nodename.equals(s.node) && "fence".equals(s.state)) return true;
        }
        return "fence".equals(nodeStatus);
    }

    private int activeServiceCount() {
        return activeServiceCount(false);
    }

    /**
     * Services on this node the LRM is responsible for. With {@code pendingMovesAreDeferred}, requested
     * migrations that no worker has picked up yet are not counted: an LRM that restarts leaves them to its
     * successor instead of waiting for them forever.
     */
    private int activeServiceCount(boolean pendingMovesAreDeferred) {
        String nodename = env.nodename();
        int count = 0;
        for (Map.Entry<String, ServiceState> e : serviceStatus.entrySet()) {
            ServiceState s = e.getValue();
            if (migratingHere(e.getKey(), s)) {
                count++;
                continue;
            }
            if (s.node == null || !s.node.equals(nodename)) continue;
            String st = s.state;
            if (st == null || st.equals("stopped") || st.equals("freeze") || st.equals("error")) continue;
            if (pendingMovesAreDeferred && !workers.containsKey(e.getKey())
                && (st.equals("migrate") || st.equals("relocate") || st.equals("request_start_balance"))) continue;
            count++;
        }
        return count;
    }

    private boolean hasConfiguredServiceOnLocalNode() {
        String nodename = env.nodename();
        for (Map.Entry<String, ServiceState> e : serviceStatus.entrySet()) {
            if (nodename.equals(e.getValue().node) || migratingHere(e.getKey(), e.getValue())) return true;
        }
        return false;
    }

    private boolean updateServiceStatus() {
        ManagerStatus ms;
        try {
            ms = env.readManagerStatus();
        } catch (HaException e) {
            env.log("err", "updating service status from manager failed: " + e.getMessage());
            return false;
        }
        serviceStatus = ms.serviceStatus;
        String nodename = env.nodename();
        // an incoming guest that arrived (or whose service is gone) is counted as any other service of this node
        incoming.removeIf(sid -> {
            ServiceState s = serviceStatus.get(sid);
            return s == null || nodename.equals(s.node);
        });
        nodeStatus = ms.nodeStatus.getOrDefault(nodename, "unknown");
        if (shutdownRequest == 0) {
            if (ms.maintenanceRequested(nodename)) {
                mode = "maintenance";
            } else if (mode.equals("maintenance")) {
                mode = "active";
            }
        }
        return true;
    }

    private boolean updateLrmStatus() {
        if (!env.quorate()) return false;
        LrmStatus st = new LrmStatus();
        st.state = state;
        st.mode = mode;
        st.results.putAll(results);
        st.timestamp = env.getTime();
        try {
            env.writeLrmStatus(st);
        } catch (HaException e) {
            env.log("err", "unable to write lrm status file - " + e.getMessage());
            return false;
        }
        return true;
    }

    /** Runs one iteration; returns false when the LRM should exit. */
    public boolean doOneIteration() {
        env.loopStartHook();
        clusterStateUpdate = env.clusterStateUpdate();
        boolean res;
        try {
            res = work();
        } catch (HaException e) {
            env.log("err", "got unexpected error - " + e.getMessage());
            res = true;
        }
        env.loopEndHook();
        return res;
    }

    private boolean work() {
        if (!wroteStatusAtStartup) {
            if (updateLrmStatus()) {
                wroteStatusAtStartup = true;
            } else {
                // not quorate yet; still keep services found running here under watchdog protection
                if (shutdownRequest == 0 && updateServiceStatus()) protectRunningServices(isFenceRequested());
                env.sleep(Math.min(5, env.timing().round()));
                return shutdownRequest == 0;
            }
        }

        updateServiceStatus();
        boolean fenceRequest = isFenceRequested();

        switch (state) {
            case "wait_for_agent_lock" -> {
                if (!fenceRequest && activeServiceCount() > 0 && env.quorate() && getProtectedHaAgentLock()) {
                    setLocalStatus("active");
                } else {
                    protectRunningServices(fenceRequest);
                }
            }
            case "lost_agent_lock" -> {
                if (!fenceRequest && env.quorate() && getProtectedHaAgentLock()) {
                    setLocalStatus("active");
                }
            }
            case "active" -> {
                if (fenceRequest) {
                    env.log("err", "node need to be fenced - releasing agent_lock");
                    setLocalStatus("lost_agent_lock");
                } else if (!getProtectedHaAgentLock()) {
                    setLocalStatus("lost_agent_lock");
                } else if (isMaintenanceRequested()) {
                    setLocalStatus("maintenance");
                } else if (!hasConfiguredServiceOnLocalNode() && runWorkers() == 0) {
                    if (++activeIdleRounds > MAX_ACTIVE_IDLE_ROUNDS) {
                        env.log("info", "node had no service configured for " + MAX_ACTIVE_IDLE_ROUNDS
                            + " rounds, going idle.");
                        env.releaseHaAgentLock();
                        giveUpWatchdogProtection();
                        setLocalStatus("wait_for_agent_lock");
                        activeIdleRounds = 0;
                    }
                } else {
                    activeIdleRounds = 0;
                }
            }
            case "maintenance" -> {
                if (fenceRequest) {
                    env.log("err", "node need to be fenced during maintenance mode - releasing agent_lock");
                    setLocalStatus("lost_agent_lock");
                } else if (!getProtectedHaAgentLock()) {
                    setLocalStatus("lost_agent_lock");
                } else if (!isMaintenanceRequested()) {
                    setLocalStatus("active");
                }
            }
            default -> throw new IllegalStateException("got unexpected status '" + state + "'");
        }

        switch (state) {
            case "wait_for_agent_lock" -> {
                if (shutdownRequest != 0) return false;
                updateLrmStatus();
                env.sleep(Math.min(5, env.timing().round()));
            }
            case "active" -> {
                long start = env.getTime();
                boolean shutdown = false;
                try {
                    shutdown = workActive();
                } catch (RuntimeException e) {
                    env.log("err", "got unexpected error - " + e.getMessage());
                }
                updateLrmStatus();
                if (shutdown) return false;
                env.sleepUntil(start + env.timing().round());
            }
            case "lost_agent_lock" -> {
                // the watchdog is armed and fires soon unless the lock comes back
                if (shutdownRequest != 0) {
                    int count = activeServiceCount();
                    if (count > 0) {
                        env.log("err", "get shutdown request in state 'lost_agent_lock' - detected " + count
                            + " running services");
                        if (mode.equals("restart")) {
                            if (env.getTime() - stateChangeTime > 90) {
                                env.log("err", "lost agent lock and restart request for over 90 seconds - giving up!");
                                return false;
                            }
                        }
                    } else {
                        giveUpWatchdogProtection();
                        return false;
                    }
                }
                env.sleep(Math.min(5, env.timing().round()));
            }
            case "maintenance" -> {
                long start = env.getTime();
                if (!updateServiceStatus()) return true;
                int count = activeServiceCount();
                boolean exit = false;
                if (shutdownRequest != 0 && count == 0 && runWorkers() == 0) {
                    // all active services moved away: safe to leave
                    giveUpWatchdogProtection();
                    exit = true;
                    env.releaseHaAgentLock();
                }
                if (!exit) manageResources();
                updateLrmStatus();
                if (exit) return false;
                env.sleepUntil(start + Math.min(5, env.timing().round()));
            }
            default -> throw new IllegalStateException("got unexpected status '" + state + "'");
        }
        return true;
    }

    /** The active state's work; returns true when the LRM may exit. */
    private boolean workActive() {
        if (!updateServiceStatus()) return false;
        if (shutdownRequest != 0) {
            if (mode.equals("restart")) {
                int workerCount = runWorkers();
                if (activeServiceCount(true) == 0 && workerCount == 0) {
                    giveUpWatchdogProtection();
                    if (runningLocalServices() > 0) {
                        // frozen services keep running: the successor LRM must be the next to hold the lock
                        env.handOverHaAgentLock();
                    } else {
                        env.releaseHaAgentLock();
                    }
                    return true;
                }
                return false;
            }
            if (runWorkers() == 0) {
                if (shutdownErrors == 0) {
                    giveUpWatchdogProtection();
                    env.releaseHaAgentLock();
                }
                return true;
            }
            return false;
        }
        if (!clusterStateUpdate) {
            env.log("notice", "temporary inconsistent cluster state (cfs restart?), skip round");
            return false;
        }
        manageResources();
        return false;
    }

    private int manageResources() {
        String nodename = env.nodename();
        restartTries.keySet().removeIf(sid -> !serviceStatus.containsKey(sid));
        for (Map.Entry<String, ServiceState> e : serviceStatus.entrySet()) {
            ServiceState sd = e.getValue();
            if (sd.node == null || sd.uid == null) continue;
            if (!sd.node.equals(nodename)) continue;
            String req = sd.state;
            if (req == null) continue;
            // a service in recovery is handled by the manager first
            if (req.equals("recovery") || req.equals("freeze")) continue;
            queueResourceCommand(e.getKey(), sd.uid, req, sd.target, sd.timeout);
        }
        return runWorkers();
    }

    private void queueResourceCommand(String sid, String uid, String state, String target, String timeout) {
        // never queue a command twice: a failed first try might otherwise be repeated before the manager
        // saw its result. 'stopped' is always executed, even without a manager.
        if (!state.equals("stopped") && uid != null && results.containsKey(uid)) return;
        Worker w = workers.get(sid);
        if (w != null) {
            if (w.future != null) return;
            workers.remove(sid);
        }
        workers.put(sid, new Worker(sid, uid, state, target, timeout));
    }

    private int checkActiveWorkers() {
        int count = 0;
        for (Worker w : new ArrayList<>(workers.values())) {
            if (w.future == null) continue;
            if (w.future.isDone()) {
                int rc;
                try {
                    rc = w.future.join();
                } catch (RuntimeException e) {
                    env.log("err", String.valueOf(e.getMessage()));
                    rc = -1;
                }
                finishWorker(w, rc);
            } else {
                count++;
            }
        }
        return count;
    }

    private void finishWorker(Worker w, int rc) {
        if (w.uid != null) {
            resourceCommandFinished(w.sid, w.uid, rc);
        } else {
            stopCommandFinished(w.sid, rc);
        }
    }

    private int runWorkers() {
        long start = env.getTime();
        int maxWorkers = env.getMaxWorkers();
        Map<String, ServiceConfig> sc;
        try {
            sc = env.readServiceConfig();
        } catch (HaException e) {
            env.log("err", "unable to read service configuration - " + e.getMessage());
            return workers.size();
        }
        while (env.getTime() - start < 5) {
            int count = checkActiveWorkers();
            for (String sid : new ArrayList<>(workers.keySet())) {
                if (maxWorkers > 0 && count >= maxWorkers) break;
                Worker w = workers.get(sid);
                if (w == null || w.future != null) continue;
                if (maxWorkers > 0) {
                    java.util.concurrent.Executor ex = env.workerExecutor();
                    if (ex == null) {
                        if (executor == null) executor = Executors.newVirtualThreadPerTaskExecutor();
                        ex = executor;
                    }
                    ServiceConfig cd = sc.get(sid);
                    w.future = CompletableFuture.supplyAsync(() -> execResourceAgent(w.sid, cd, w), ex);
                    count++;
                } else {
                    int rc;
                    try {
                        rc = execResourceAgent(sid, sc.get(sid), w);
                    } catch (RuntimeException e) {
                        env.log("err", String.valueOf(e.getMessage()));
                        rc = -1;
                    }
                    finishWorker(w, rc);
                }
            }
            if (count == 0) break;
            env.sleep(1);
        }
        return workers.size();
    }

    private void resourceCommandFinished(String sid, String uid, int status) {
        Worker w = workers.remove(sid);
        if (w == null) return;
        int exitCode = status;
        if (status < 0) {
            env.log("err", "resource agent " + sid + " finished - failed to execute");
            exitCode = -1;
        }
        exitCode = handleServiceExitcode(sid, w.state, exitCode);
        if (exitCode == ExitCode.ETRY_AGAIN) return;
        results.put(uid, new LrmResult(w.sid, w.state, exitCode));
        // keep only results of UIDs the manager still knows
        Set<String> valid = new java.util.HashSet<>();
        for (ServiceState sd : serviceStatus.values()) if (sd.uid != null) valid.add(sd.uid);
        TreeMap<String, LrmResult> kept = new TreeMap<>();
        results.forEach((id, r) -> { if (valid.contains(id)) kept.put(id, r); });
        results = kept;
    }

    private void stopCommandFinished(String sid, int status) {
        Worker w = workers.remove(sid);
        if (w == null) return;
        if (status < 0) env.log("err", "resource agent " + sid + " finished - failed to execute");
        if (status != 0) shutdownErrors++;
    }

    private int handleServiceExitcode(String sid, String cmd, int exitCode) {
        int maxRestart = 0;
        ServiceConfig cd = null;
        try {
            cd = env.readServiceConfig().get(sid);
        } catch (HaException e) {
            env.log("err", "unable to read service configuration - " + e.getMessage());
        }
        if (cd != null) maxRestart = cd.maxRestart();
        if (cmd.equals("started")) {
            if (exitCode == ExitCode.SUCCESS) {
                restartTries.put(sid, 0);
                return exitCode;
            } else if (exitCode == ExitCode.ERROR) {
                int tries = restartTries.getOrDefault(sid, 0);
                if (tries >= maxRestart) {
                    env.log("err", "unable to start service " + sid + " on local node after " + tries + " retries");
                    restartTries.put(sid, 0);
                    return ExitCode.ERROR;
                }
                tries++;
                restartTries.put(sid, tries);
                env.log("warning", "restart policy: retry number " + tries + " for service '" + sid + "'");
                return ExitCode.ETRY_AGAIN;
            }
        }
        return exitCode;
    }

    private int execResourceAgent(String sid, ServiceConfig cd, Worker w) {
        String nodename = env.nodename();
        Sid s = Sid.parse(sid);
        if (!env.resourceTypeKnown(s.type())) {
            env.log("err", "service type '" + s.type() + "' not implemented");
            return ExitCode.EUNKNOWN_SERVICE_TYPE;
        }
        if (cd == null) {
            env.log("err", "missing resource configuration for '" + sid + "'");
            return ExitCode.EUNKNOWN_SERVICE;
        }
        String cmd = w.state;
        if (cmd.equals("error")) {
            env.log("err", "service " + sid + " is in an error state and needs manual intervention. "
                + "Look up 'ERROR RECOVERY' in the documentation.");
            return ExitCode.SUCCESS;
        }
        if (!nodename.equals(cd.node())) {
            env.log("err", "service '" + sid + "' not on this node");
            return ExitCode.EWRONG_NODE;
        }
        boolean running = env.checkRunning(sid);
        switch (cmd) {
            case "started" -> {
                if (running) return ExitCode.SUCCESS;
                env.log("info", "starting service " + sid);
                env.startService(sid);
                if (env.checkRunning(sid)) {
                    env.log("info", "service status " + sid + " started");
                    return ExitCode.SUCCESS;
                }
                env.log("warning", "unable to start service " + sid);
                return ExitCode.ERROR;
            }
            case "request_stop", "stopped" -> {
                if (!running) return ExitCode.SUCCESS;
                if (w.timeout != null) {
                    env.log("info", "stopping service " + sid + " (timeout=" + w.timeout + ")");
                } else {
                    env.log("info", "stopping service " + sid);
                }
                env.shutdownService(sid, w.timeout);
                if (!env.checkRunning(sid)) {
                    env.log("info", "service status " + sid + " stopped");
                    return ExitCode.SUCCESS;
                }
                env.log("info", "unable to stop stop service " + sid + " (still running)");
                return ExitCode.ERROR;
            }
            case "migrate", "relocate", "request_start_balance" -> {
                String target = w.target;
                if (target == null) return ExitCode.EINVALID_PARAMETER;
                if (cd.node().equals(target)) return ExitCode.SUCCESS;
                if (cmd.equals("request_start_balance") && running) {
                    env.log("info", "ignoring rebalance-on-start for service " + sid + " - already running");
                    return ExitCode.IGNORED;
                }
                boolean online = cmd.equals("migrate");
                if (!env.migrateService(sid, target, online)) {
                    env.log("err", "service " + sid + " not moved (migration error)");
                    return ExitCode.ERROR;
                }
                return ExitCode.SUCCESS;
            }
            default -> {
                env.log("err", "implement me (cmd '" + cmd + "')");
                return ExitCode.EUNKNOWN_COMMAND;
            }
        }
    }

    /** Stops background workers (real environment only). */
    public void close() {
        if (executor != null) executor.shutdownNow();
    }

    List<String> pendingWorkers() { return new ArrayList<>(workers.keySet()); }
}
