package org.haven.ha;

import java.util.TreeMap;

/** Contents of {@code ha/manager_status}, written by the active manager and read by every LRM. */
public final class ManagerStatus {
    public String masterNode;
    public final TreeMap<String, String> nodeStatus = new TreeMap<>();
    public final TreeMap<String, ServiceState> serviceStatus = new TreeMap<>();
    /** Per node requests; currently only {@code maintenance}. */
    public final TreeMap<String, TreeMap<String, Object>> nodeRequest = new TreeMap<>();
    public long timestamp;

    public ManagerStatus copy() {
        ManagerStatus c = new ManagerStatus();
        c.masterNode = masterNode;
        c.nodeStatus.putAll(nodeStatus);
        serviceStatus.forEach((k, v) -> c.serviceStatus.put(k, v.copy()));
        nodeRequest.forEach((k, v) -> c.nodeRequest.put(k, new TreeMap<>(v)));
        c.timestamp = timestamp;
        return c;
    }

    public boolean maintenanceRequested(String node) {
        TreeMap<String, Object> r = nodeRequest.get(node);
        return r != null && r.get("maintenance") != null;
    }
}
