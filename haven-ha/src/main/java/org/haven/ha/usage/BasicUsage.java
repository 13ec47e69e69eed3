package org.haven.ha.usage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.ha.HaEnv;

/** Counts services per node. */
public final class BasicUsage implements Usage {
    private final HaEnv env;
    private final TreeMap<String, Double> nodes = new TreeMap<>();

    public BasicUsage(HaEnv env) { this.env = env; }

    @Override public void addNode(String node) { nodes.put(node, 0.0); }

    @Override public boolean containsNode(String node) { return node != null && nodes.containsKey(node); }

    @Override public List<String> listNodes() { return new ArrayList<>(nodes.keySet()); }

    @Override public void addServiceUsageToNode(String node, String sid, String serviceNode, String target) {
        if (containsNode(node)) {
            nodes.merge(node, 1.0, Double::sum);
        } else {
            env.log("warning", "unable to add service '" + sid + "' usage to node '" + node
                + "' - node not in usage hash");
        }
    }

    /** Takes back one service from a node (incremental updates of the manager's usage). */
    public void removeServiceUsageFromNode(String node) {
        if (containsNode(node)) nodes.merge(node, -1.0, Double::sum);
    }

    @Override public Map<String, Double> scoreNodesToStartService(String sid, String serviceNode) {
        return new TreeMap<>(nodes);
    }
}
