package org.haven.ha;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The manager's view of the cluster nodes: online, unknown, fence, gone, maintenance. Tracks when each node
 * was last seen online to implement the fence delay.
 */
public final class NodeStatus {
    public static final Set<String> STATES = Set.of("online", "maintenance", "unknown", "fence", "gone");
    /** PVE's fence delay; the environment's {@link HaEnv#timing()} decides. */
    static final long FENCE_DELAY = 60;
    static final long DELETE_DELAY = 3600;

    private final HaEnv env;
    private final TreeMap<String, String> status;
    private final Map<String, Long> lastOnline = new HashMap<>();
    /** The nodes the last {@link #update} saw in the quorate partition. */
    private final Set<String> inPartition = new HashSet<>();

    public NodeStatus(HaEnv env, Map<String, String> initial) {
        this.env = env;
        this.status = new TreeMap<>(initial);
    }

    public TreeMap<String, String> status() { return status; }

    public String getNodeState(String node) {
        return status.getOrDefault(node, "unknown");
    }

    public boolean nodeIsOnline(String node) {
        return "online".equals(getNodeState(node));
    }

    public boolean nodeIsOperational(String node) {
        String s = getNodeState(node);
        return s.equals("online") || s.equals("maintenance");
    }

    /** True when the node has been outside the quorate partition for at least {@code delay} seconds. */
    public boolean nodeIsOfflineDelayed(String node, long delay) {
        if (getNodeState(node).equals("online")) return false;
        Long last = lastOnline.get(node);
        long now = env.getTime();
        if (last == null) {
            lastOnline.put(node, now);
            return false;
        }
        return now - last >= delay;
    }

    /**
     * After the fence delay; a node with a fencing device ({@link HaEnv#hasFenceDevice}) as soon as it is outside the
     * quorate partition (a node in maintenance that is still a member is not).
     */
    public boolean nodeIsOfflineDelayed(String node) {
        if (getNodeState(node).equals("online")) return false;
        if (env.hasFenceDevice(node) && !inPartition.contains(node)) return true;
        return nodeIsOfflineDelayed(node, env.timing().fenceDelay());
    }

    public List<String> listNodes() { return new ArrayList<>(status.keySet()); }

    public List<String> listOnlineNodes() {
        List<String> out = new ArrayList<>();
        status.forEach((n, s) -> { if (s.equals("online")) out.add(n); });
        return out;
    }

    void setNodeState(String node, String state) {
        if (!STATES.contains(state)) throw new IllegalArgumentException("unknown node state '" + state + "'");
        String last = getNodeState(node);
        if (state.equals(last)) return;
        env.log("info", "node '" + node + "': state changed from '" + last + "' => '" + state + "'");
        status.put(node, state);
    }

    public void update(Map<String, Boolean> nodeInfo, Map<String, String> lrmModes) {
        inPartition.clear();
        nodeInfo.forEach((node, online) -> { if (Boolean.TRUE.equals(online)) inPartition.add(node); });
        for (String node : new TreeMap<>(nodeInfo).keySet()) {
            if (!Boolean.TRUE.equals(nodeInfo.get(node))) continue;
            String lrmMode = lrmModes.getOrDefault(node, "unknown");
            lastOnline.put(node, env.getTime());
            String state = getNodeState(node);
            switch (state) {
                case "online" -> {
                    if (lrmMode.equals("maintenance")) setNodeState(node, "maintenance");
                }
                case "unknown", "gone" -> setNodeState(node, lrmMode.equals("maintenance") ? "maintenance" : "online");
                case "fence" -> { }
                case "maintenance" -> {
                    if (!lrmMode.equals("maintenance")) setNodeState(node, "online");
                }
                default -> throw new IllegalStateException("detected unknown node state '" + state + "'");
            }
        }
        for (String node : new ArrayList<>(status.keySet())) {
            Boolean online = nodeInfo.get(node);
            if (Boolean.TRUE.equals(online)) continue;
            String state = getNodeState(node);
            switch (state) {
                case "online" -> setNodeState(node, "unknown");
                case "maintenance" -> {
                    String lrmMode = lrmModes.getOrDefault(node, "unknown");
                    if (!lrmMode.equals("maintenance")) setNodeState(node, "unknown");
                }
                case "unknown" -> {
                    if (online == null) {
                        // not a cluster member any more
                        setNodeState(node, "gone");
                    }
                }
                case "fence" -> { }
                case "gone" -> {
                    if (nodeIsOfflineDelayed(node, DELETE_DELAY)) {
                        env.log("notice", "deleting gone node '" + node + "', not a cluster member anymore.");
                        status.remove(node);
                        lastOnline.remove(node);
                    }
                }
                default -> throw new IllegalStateException("detected unknown node state '" + state + "'");
            }
        }
    }

    /**
     * Marks the node for fencing (notifying once) and tries to acknowledge it by taking its agent lock.
     * Returns true once fencing succeeded.
     */
    public boolean fenceNode(String node) {
        String state = getNodeState(node);
        if (!state.equals("fence")) {
            setNodeState(node, "fence");
            String msg = "Try to fence node '" + node + "'";
            sendFenceStateMail("FENCE", msg, node);
        }
        Boolean hw = env.hardwareFence(node);
        if (Boolean.TRUE.equals(hw)) {
            String msg = "fencing: acknowledged - hardware fencing of node '" + node + "' succeeded";
            env.log("info", msg);
            setNodeState(node, "unknown");
            sendFenceStateMail("SUCCEED", msg, node);
            return true;
        }
        if (hw != null) env.log("err", "hardware fencing of node '" + node + "' failed, waiting for its agent lock");
        boolean success = env.getHaAgentLock(node);
        if (success) {
            String msg = "fencing: acknowledged - got agent lock for node '" + node + "'";
            env.log("info", msg);
            setNodeState(node, "unknown");
            sendFenceStateMail("SUCCEED", msg, node);
        }
        return success;
    }

    private void sendFenceStateMail(String subjectPrefix, String msg, String node) {
        String subject = subjectPrefix + ": " + msg;
        env.sendmail(subject, msg + "\n\nnode: " + node + "\n");
    }
}
