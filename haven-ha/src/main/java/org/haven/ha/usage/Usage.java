package org.haven.ha.usage;

import java.util.List;
import java.util.Map;

/** Load of the online nodes, used to pick a node for a service. Lower scores are better. */
public interface Usage {
    void addNode(String node);

    boolean containsNode(String node);

    List<String> listNodes();

    void addServiceUsageToNode(String node, String sid, String serviceNode, String migrationTarget);

    /** Score per node for starting {@code sid} there; lower is better. */
    Map<String, Double> scoreNodesToStartService(String sid, String serviceNode);
}
