package org.haven.metrics;

import java.util.List;
import java.util.Map;

/**
 * What a node reports each interval, in the shape pvestatd hands to PVE's metric plugins: the node's data
 * ({@code uptime}, {@code cpustat}, {@code memory}, {@code nics}, …, values may be nested maps), the data of
 * each guest as its status call returns it ({@code vmid}, {@code name}, {@code cpu}, {@code mem}, …) and of each
 * active storage ({@code total}, {@code used}, {@code avail}, {@code type}, …). {@code ctime} is epoch seconds.
 */
public record Snapshot(long ctime, String node, Map<String, Object> nodeData, List<Guest> guests, List<Storage> storages) {
    public Snapshot {
        nodeData = Map.copyOf(nodeData);
        guests = List.copyOf(guests);
        storages = List.copyOf(storages);
    }

    /** A guest of this node: {@code type} is {@code qemu} or {@code lxc}. */
    public record Guest(String type, int vmid, Map<String, Object> data) {
        public Guest { data = Map.copyOf(data); }
    }

    public record Storage(String id, Map<String, Object> data) {
        public Storage { data = Map.copyOf(data); }
    }
}
