package org.haven.ha;

import java.util.Set;

/**
 * Cluster resource manager daemon logic: competes for the manager lock and, as master, runs the
 * {@link Manager}. States: wait_for_quorum, master, lost_manager_lock, slave.
 */
public final class Crm {
    public static final Set<String> STATES = Set.of("wait_for_quorum", "master", "lost_manager_lock", "slave");
    /** Rounds without any configured service before an active master goes idle again. */
    static final int MAX_ACTIVE_IDLE_ROUNDS = 90;

    private final HaEnv env;
    private String state = "startup";
    private long stateChangeTime;
    private Manager manager;
    private boolean shutdownRequest;
    private boolean clusterStateUpdate;
    private String managerWatchdog;
    private int activeIdleRounds;

    public Crm(HaEnv env) {
        this.env = env;
        setLocalStatus("wait_for_quorum");
    }

    public String state() { return state; }

    public Manager manager() { return manager; }

    public void shutdownRequest() {
        if (!shutdownRequest) env.log("info", "server received shutdown request");
        shutdownRequest = true;
    }

    private void setLocalStatus(String newState) {
        if (!STATES.contains(newState)) throw new IllegalArgumentException("invalid state '" + newState + "'");
        if (state.equals(newState)) return;
        env.log("info", "status change " + state + " => " + newState);
        state = newState;
        stateChangeTime = env.getTime();
        if (newState.equals("master")) {
            try {
                manager = new Manager(env);
            } catch (HaException e) {
                manager = null;
                env.log("err", "unable to initialize the manager - " + e.getMessage());
            }
        } else if (manager != null) {
            manager.cleanup();
            manager = null;
        }
    }

    private boolean getProtectedHaManagerLock() {
        int count = 0;
        long start = env.getTime();
        for (;;) {
            if (env.getHaManagerLock()) {
                if (managerWatchdog != null) {
                    env.watchdogUpdate(managerWatchdog);
                } else {
                    managerWatchdog = env.watchdogOpen();
                }
                return true;
            }
            if (++count > 5) break;
            if (env.getTime() - start > 5) break;
            env.sleep(1);
        }
        return false;
    }

    private void giveUpWatchdog() {
        if (managerWatchdog != null) {
            env.watchdogClose(managerWatchdog);
            managerWatchdog = null;
        }
    }

    /** Whether this node should compete for the manager role: quorate and there is something to manage. */
    private boolean canGetActive(boolean allowNoService) {
        if (!env.quorate()) return false;
        if (!clusterStateUpdate) return false;
        ManagerStatus ms;
        try {
            ms = env.readManagerStatus();
        } catch (HaException e) {
            env.log("err", "could not read manager status: " + e.getMessage());
            return false;
        }
        if (!ms.serviceStatus.isEmpty()) return true;
        if (allowNoService) return true;
        try {
            if (!env.readServiceConfig().isEmpty()) return true;
            String cmds = env.peekCrmCommands();
            return cmds != null && !cmds.isBlank();
        } catch (HaException e) {
            env.log("err", "could not read service config: " + e.getMessage());
            return false;
        }
    }

    /** Runs one iteration; returns false when the CRM should exit. */
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
        switch (state) {
            case "wait_for_quorum" -> {
                if (canGetActive(false)) {
                    setLocalStatus(getProtectedHaManagerLock() ? "master" : "slave");
                }
            }
            case "slave" -> {
                if (canGetActive(false)) {
                    if (getProtectedHaManagerLock()) setLocalStatus("master");
                } else {
                    setLocalStatus("wait_for_quorum");
                }
            }
            case "lost_manager_lock" -> {
                if (canGetActive(true) && getProtectedHaManagerLock()) setLocalStatus("master");
            }
            case "master" -> {
                if (!getProtectedHaManagerLock()) setLocalStatus("lost_manager_lock");
            }
            default -> throw new IllegalStateException("got unexpected status '" + state + "'");
        }

        switch (state) {
            case "wait_for_quorum" -> {
                if (shutdownRequest) return false;
                env.sleep(Math.min(5, env.timing().round()));
            }
            case "master" -> {
                long start = env.getTime();
                boolean shutdown = false;
                try {
                    if (!clusterStateUpdate) {
                        env.log("notice", "temporary inconsistent cluster state (cfs restart?), skip round");
                    } else if (shutdownRequest) {
                        // release the lock so another CRM can take over without waiting for the timeout
                        env.log("info", "voluntary release CRM lock");
                        if (!env.releaseHaManagerLock()) {
                            env.log("notice", "CRM Lock release failed, let the lock timeout");
                        }
                        giveUpWatchdog();
                        shutdown = true;
                    } else {
                        if (!canGetActive(false)) {
                            if (++activeIdleRounds >= MAX_ACTIVE_IDLE_ROUNDS) {
                                env.log("info", "cluster had no service configured for " + MAX_ACTIVE_IDLE_ROUNDS
                                    + " rounds, going idle.");
                                env.releaseHaManagerLock();
                                giveUpWatchdog();
                                activeIdleRounds = 0;
                                setLocalStatus("wait_for_quorum");
                                return true;
                            }
                        } else {
                            activeIdleRounds = 0;
                        }
                        if (manager == null) manager = new Manager(env);
                        manager.manage();
                    }
                } catch (RuntimeException e) {
                    env.log("err", "got unexpected error - " + e.getMessage());
                }
                if (shutdown) return false;
                env.sleepUntil(start + env.timing().round());
            }
            case "lost_manager_lock" -> {
                giveUpWatchdog();
                if (shutdownRequest) return false;
                setLocalStatus("wait_for_quorum");
            }
            case "slave" -> {
                if (shutdownRequest) return false;
            }
            default -> throw new IllegalStateException("got unexpected status '" + state + "'");
        }
        return true;
    }
}
