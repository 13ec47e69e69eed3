package org.haven.ha;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The manager's record of one service ({@code service_status} entry of {@code ha/manager_status}).
 * Mutable: the manager owns it and rewrites it on every state change.
 */
public final class ServiceState {
    public String state;
    public String node;
    public String target;
    public String uid;
    /** Pending CRM command, e.g. {@code [migrate, node2]} or {@code [stop, 30]}. */
    public List<String> cmd;
    public List<String> failedNodes;
    public String maintenanceNode;
    public boolean running;
    public String timeout;

    public ServiceState() {}

    public ServiceState(String state, String node, String uid) {
        this.state = state;
        this.node = node;
        this.uid = uid;
    }

    public ServiceState copy() {
        ServiceState c = new ServiceState(state, node, uid);
        c.target = target;
        c.cmd = cmd == null ? null : new ArrayList<>(cmd);
        c.failedNodes = failedNodes == null ? null : new ArrayList<>(failedNodes);
        c.maintenanceNode = maintenanceNode;
        c.running = running;
        c.timeout = timeout;
        return c;
    }

    @Override public boolean equals(Object o) {
        return o instanceof ServiceState s && Objects.equals(state, s.state) && Objects.equals(node, s.node)
            && Objects.equals(target, s.target) && Objects.equals(uid, s.uid) && Objects.equals(cmd, s.cmd)
            && Objects.equals(failedNodes, s.failedNodes) && Objects.equals(maintenanceNode, s.maintenanceNode)
            && running == s.running && Objects.equals(timeout, s.timeout);
    }

    @Override public int hashCode() { return Objects.hash(state, node, target, uid); }

    @Override public String toString() { return state + "@" + node + (target != null ? "->" + target : ""); }
}
