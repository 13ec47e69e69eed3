package org.haven.cfs;

/** A cluster member as the cfs replication sees it: name, corosync node id, and the address of its Raft port. */
public record CfsNode(String name, int nodeId, String host, int port) {
    public CfsNode {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("node name required");
        if (nodeId <= 0) throw new IllegalArgumentException("node id must be positive");
    }

    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
