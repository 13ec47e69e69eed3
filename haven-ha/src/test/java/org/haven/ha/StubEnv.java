package org.haven.ha;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Minimal environment for unit tests of the pure parts: a settable clock and a log. */
class StubEnv implements HaEnv {
    long time;
    final List<String> log = new ArrayList<>();
    Map<String, Stats> nodeStats = Map.of();
    Map<String, Stats> serviceStats = Map.of();
    boolean agentLockAvailable = true;

    @Override public String nodename() { return "n1"; }
    @Override public void log(String level, String message) { log.add(level + ": " + message); }
    @Override public void sendmail(String subject, String text) { log.add("email: " + subject); }
    @Override public long getTime() { return time; }
    @Override public void sleep(long seconds) { }
    @Override public void sleepUntil(long t) { }
    @Override public void loopStartHook() { }
    @Override public void loopEndHook() { }
    @Override public boolean clusterStateUpdate() { return true; }
    @Override public boolean quorate() { return true; }
    @Override public NodeInfo getNodeInfo() { throw new UnsupportedOperationException(); }
    @Override public boolean getHaManagerLock() { throw new UnsupportedOperationException(); }
    @Override public boolean releaseHaManagerLock() { throw new UnsupportedOperationException(); }
    @Override public boolean getHaAgentLock(String node) { return agentLockAvailable; }
    @Override public boolean releaseHaAgentLock() { throw new UnsupportedOperationException(); }
    @Override public ManagerStatus readManagerStatus() { throw new UnsupportedOperationException(); }
    @Override public void writeManagerStatus(ManagerStatus status) { throw new UnsupportedOperationException(); }
    @Override public LrmStatus readLrmStatus(String node) { throw new UnsupportedOperationException(); }
    @Override public void writeLrmStatus(LrmStatus status) { throw new UnsupportedOperationException(); }
    @Override public Map<String, ServiceConfig> readServiceConfig() { throw new UnsupportedOperationException(); }
    @Override public void updateServiceConfig(String sid, Map<String, String> changes) { throw new UnsupportedOperationException(); }
    @Override public Map<String, Group> readGroupConfig() { throw new UnsupportedOperationException(); }
    @Override public String readCrmCommands() { throw new UnsupportedOperationException(); }
    @Override public String peekCrmCommands() { throw new UnsupportedOperationException(); }
    @Override public void queueCrmCommands(String command) { throw new UnsupportedOperationException(); }
    @Override public Datacenter getDatacenterSettings() { return Datacenter.DEFAULT; }
    @Override public Shutdown isNodeShutdown() { return new Shutdown(false, false); }
    @Override public int getMaxWorkers() { return 0; }
    @Override public String watchdogOpen() { throw new UnsupportedOperationException(); }
    @Override public void watchdogUpdate(String handle) { throw new UnsupportedOperationException(); }
    @Override public void watchdogClose(String handle) { throw new UnsupportedOperationException(); }
    @Override public void stealService(String sid, String currentNode, String newNode) { throw new UnsupportedOperationException(); }
    @Override public Map<String, Stats> getStaticNodeStats() { return nodeStats; }
    @Override public boolean resourceTypeKnown(String type) { return true; }
    @Override public boolean checkRunning(String sid) { return false; }
    @Override public void startService(String sid) { }
    @Override public void shutdownService(String sid, String timeout) { }
    @Override public boolean migrateService(String sid, String target, boolean online) { return true; }
    @Override public String removeLocks(String sid, List<String> locks, String node) { return null; }
    @Override public Stats staticServiceStats(String sid, String node) {
        Stats s = serviceStats.get(sid);
        if (s == null) throw new HaException("no stats for " + sid);
        return s;
    }
}
