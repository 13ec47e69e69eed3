package org.haven.storage.disks;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageConfig;
import org.haven.storage.config.StorageEntry;

/**
 * The storage.cfg side of the disk API, as PVE's {@code create_or_update} and {@code cleanup_storages_for_node}:
 * a storage made from a disk is for this node only, and removing the disk takes this node out of the storages on it.
 */
public final class DiskStorages {
    private DiskStorages() {}

    /**
     * Add storage {@code id} of {@code type} with {@code params} for {@code node}. An existing storage of the same type
     * and the same {@code key} value (the VG, pool or path) gets the node added; anything else is refused.
     */
    public static void addForNode(StorageConfig cfg, String node, String type, String id, String key, Map<String, String> params) {
        var existing = cfg.get(id);
        if (existing.isEmpty()) {
            Map<String, String> p = new TreeMap<>(params);
            p.put("nodes", node);
            cfg.create(type, id, p);
            return;
        }
        StorageEntry e = existing.get();
        if (!e.type().id().equals(type) || !params.get(key).equals(e.get(key).orElse(null)))
            throw new StorageException("storage ID '" + id + "' already defined with a different " + (e.type().id().equals(type) ? key : "type"));
        Set<String> nodes = new TreeSet<>(e.nodes());
        if (nodes.isEmpty()) throw new StorageException("storage ID '" + id + "' already defined for all nodes");
        nodes.add(node);
        cfg.update(id, Map.of("nodes", String.join(",", nodes)), List.of());
    }

    /**
     * Take {@code node} out of the storages of {@code type} whose {@code key} is {@code value}: a storage for this node
     * only is removed, one for several nodes loses this one, one for all nodes gets the other {@code clusterNodes}.
     */
    public static void cleanupForNode(StorageConfig cfg, String node, Set<String> clusterNodes, String type, String key, String value) {
        for (StorageEntry e : cfg.entries()) {
            if (!e.type().id().equals(type) || !value.equals(e.get(key).orElse(null)) || !e.availableOn(node)) continue;
            Set<String> nodes = new TreeSet<>(e.nodes().isEmpty() ? clusterNodes : e.nodes());
            nodes.remove(node);
            if (nodes.isEmpty()) cfg.remove(e.id());
            else cfg.update(e.id(), Map.of("nodes", String.join(",", nodes)), List.of());
        }
    }
}
