package org.haven.ha.usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.ha.HaEnv;

/** Counts services per node (hashed counters: the manager recomputes them over every service). */
public final class BasicUsage implements Usage {
    private final HaEnv env;
    private final java.util.HashMap<String, double[]> nodes = new java.util.HashMap<>();

    public BasicUsage(HaEnv env) { this.env = env; }

    @Override public void addNode(String node) { nodes.put(node, new double[1]); }

    @Override public boolean containsNode(String node) { return node != null && nodes.containsKey(node); }

    @Override public List<String> listNodes() {
        List<String> out = new ArrayList<>(nodes.keySet());
        java.util.Collections.sort(out);
        return out;
    }

    @Override public void addServiceUsageToNode(String node, String sid, String serviceNode, String target) {
        double[] c = node == null ? null : nodes.get(node);
        if (c != null) {
            c[0] += 1.0;
        } else {
            env.log("warning", "unable to add service '" + sid + "' usage to node '" + node
                + "' - node not in usage hash");
        }
    }

    /** Takes back one service from a node (incremental updates of the manager's usage). */
    public void removeServiceUsageFromNode(String node) {
        double[] c = node == null ? null : nodes.get(node);
        if (c != null) c[0] -= 1.0;
    }

    @Override public Map<String, Double> scoreNodesToStartService(String sid, String serviceNode) {
        TreeMap<String, Double> out = new TreeMap<>();
        nodes.forEach((n, c) -> out.put(n, c[0]));
        return out;
    }
}
