package org.haven.ha.sim;

import java.util.List;
import java.util.Map;
import org.haven.ha.Group;
import org.haven.ha.HaEnv;
import org.haven.ha.HaException;
import org.haven.ha.LrmStatus;
import org.haven.ha.ManagerStatus;
import org.haven.ha.ServiceConfig;

/**
 * The environment of one simulated daemon (a node's CRM or LRM). Time is integer seconds owned by the
 * hardware; each iteration starts at the hardware's current time and takes one second.
 */
public final class SimEnv implements HaEnv {
    private final SimHardware hw;
    private final String node;
    private final String logId;
    long curTime;
    private long loopDelay;

    SimEnv(SimHardware hw, String node, String logId) {
        this.hw = hw;
        this.node = node;
        this.logId = logId;
    }

    /** Sets the start time of the next iteration (the hardware's clock). */
    void startAt(long time) {
        loopDelay = 0;
        curTime = time;
    }

    private void assertCfsRw() {
        if (!hw.cfsState(node, "rw")) throw new HaException("cfs connection refused - not mounted?");
    }

    @Override public String nodename() { return node; }

    @Override public void log(String level, String message) {
        hw.logLine(level, curTime, node + "/" + logId, message);
    }

    @Override public void sendmail(String subject, String text) { log("email", subject); }

    @Override public long getTime() { return curTime; }

    @Override public void sleep(long seconds) {
        loopDelay += seconds;
        if (hw.maxWorkers > 0) hw.workerQueue(node).runPending();
    }

    @Override public void sleepUntil(long time) {
        long now = curTime + loopDelay;
        if (now < time) loopDelay += time - now;
    }

    @Override public void loopStartHook() { loopDelay = 0; }

    @Override public void loopEndHook() {
        loopDelay = 0;
        curTime += 1;
    }

    @Override public org.haven.cfs.LockTable.HaTiming timing() { return hw.timing; }

    @Override public boolean clusterStateUpdate() { return hw.cfsState(node, "update"); }

    @Override public boolean quorate() {
        NodeInfo info = hw.nodeInfo();
        return Boolean.TRUE.equals(info.online().get(node)) && info.quorate();
    }

    @Override public NodeInfo getNodeInfo() { return hw.nodeInfo(); }

    @Override public boolean getHaManagerLock() { return hw.lock(this, "ha_manager_lock", false); }

    @Override public boolean releaseHaManagerLock() { return hw.lock(this, "ha_manager_lock", true); }

    @Override public boolean getHaAgentLock(String n) { return hw.lock(this, "ha_agent_" + (n == null ? node : n) + "_lock", false); }

    @Override public boolean releaseHaAgentLock() { return hw.lock(this, "ha_agent_" + node + "_lock", true); }

    @Override public void handOverHaAgentLock() { hw.handOverLock(this, "ha_agent_" + node + "_lock"); }

    @Override public boolean renewHaAgentLockQuietly() { return hw.renewHandedOverLock(this, "ha_agent_" + node + "_lock"); }

    @Override public ManagerStatus readManagerStatus() {
        assertCfsRw();
        return hw.managerStatus.copy();
    }

    @Override public void writeManagerStatus(ManagerStatus status) {
        assertCfsRw();
        hw.managerStatus = status.copy();
    }

    @Override public LrmStatus readLrmStatus(String n) {
        assertCfsRw();
        LrmStatus st = hw.lrmStatus.get(n);
        return st == null ? new LrmStatus() : st.copy();
    }

    @Override public void writeLrmStatus(LrmStatus status) {
        assertCfsRw();
        hw.lrmStatus.put(node, status.copy());
    }

    @Override public Map<String, ServiceConfig> readServiceConfig() {
        assertCfsRw();
        return hw.serviceConfig();
    }

    @Override public void updateServiceConfig(String sid, Map<String, String> changes) {
        assertCfsRw();
        hw.updateServiceConfig(sid, changes);
    }

    @Override public Map<String, Group> readGroupConfig() {
        assertCfsRw();
        return hw.groups();
    }

    @Override public String readCrmCommands() {
        assertCfsRw();
        String c = hw.crmCommands.toString();
        hw.crmCommands.setLength(0);
        return c;
    }

    @Override public String peekCrmCommands() {
        assertCfsRw();
        return hw.crmCommands.toString();
    }

    @Override public void queueCrmCommands(String command) {
        assertCfsRw();
        hw.crmCommands.append(command).append('\n');
    }

    @Override public Datacenter getDatacenterSettings() { return hw.datacenter; }

    @Override public Shutdown isNodeShutdown() {
        String s = hw.node(node).shutdown;
        if (s == null) return new Shutdown(false, false);
        return switch (s) {
            case "shutdown" -> new Shutdown(true, false);
            case "reboot" -> new Shutdown(true, true);
            default -> throw new IllegalStateException("unknown shutdown target '" + s + "'");
        };
    }

    @Override public int getMaxWorkers() { return hw.maxWorkers; }

    @Override public java.util.concurrent.Executor workerExecutor() { return hw.maxWorkers > 0 ? hw.workerQueue(node) : null; }

    @Override public String watchdogOpen() { return hw.watchdogOpen(node); }

    @Override public void watchdogUpdate(String handle) { hw.watchdogUpdate(handle); }

    @Override public void watchdogClose(String handle) { hw.watchdogClose(handle); }

    @Override public void stealService(String sid, String currentNode, String newNode) {
        hw.changeServiceLocation(sid, currentNode, newNode);
    }

    @Override public RecoveryCheck recoveryCheck(String sid, String fencedNode, String newNode) { return hw.recoveryCheck(sid, newNode); }

    @Override public Map<String, Stats> getStaticNodeStats() { return hw.staticNodeStats(); }

    @Override public Boolean hardwareFence(String n) { return hw.hardwareFence(this, n); }

    @Override public boolean hasFenceDevice(String n) { return hw.hasFenceDevice(); }

    @Override public boolean resourceTypeKnown(String type) {
        return type.equals("vm") || type.equals("ct") || type.equals("fa");
    }

    @Override public boolean checkRunning(String sid) { return hw.isRunning(node, sid); }

    @Override public void startService(String sid) { hw.resourceStart(this, sid); }

    @Override public void shutdownService(String sid, String timeout) { hw.resourceShutdown(this, sid); }

    @Override public boolean migrateService(String sid, String target, boolean online) {
        return hw.resourceMigrate(this, sid, target, online);
    }

    @Override public String removeLocks(String sid, List<String> locks, String n) {
        for (String l : locks) {
            String removed = hw.unlockService(sid, l);
            if (removed != null) return removed;
        }
        return null;
    }

    @Override public Stats staticServiceStats(String sid, String n) { return hw.staticServiceStats(sid); }
}
