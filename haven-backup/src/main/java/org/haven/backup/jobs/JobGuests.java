package org.haven.backup.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The guests a backup job covers (PVE's {@code get_included_guests}): its {@code vmid} list, with {@code pool} the
 * pool's members as they are at run time, or with {@code all} every guest of the cluster; less {@code exclude} (with
 * {@code all} and {@code pool}); only guests that exist, and with the job's {@code node} only those on that node.
 * Pure: the job's properties, the cluster's guests and {@code user.cfg} in, guests per node out.
 */
public final class JobGuests {
    private JobGuests() {}

    /** {@code guestNodes}: every guest of the cluster and its node. The result maps node to its guests in VMID order. */
    public static Map<String, List<Integer>> included(Map<String, String> job, Map<Integer, String> guestNodes) {
        return included(job, guestNodes, null);
    }

    /** As {@link #included(Map, Map)}, with the pools of {@code userCfg} (the text of {@code user.cfg}, null for none). */
    public static Map<String, List<Integer>> included(Map<String, String> job, Map<Integer, String> guestNodes, String userCfg) {
        Set<Integer> wanted = new TreeSet<>();
        if (job.get("vmid") != null && !job.get("vmid").isBlank()) {
            wanted.addAll(ids(job.get("vmid")));
        } else if (job.get("pool") != null && !job.get("pool").isBlank()) {
            Set<Integer> exclude = ids(job.get("exclude"));
            for (int vmid : poolMembers(userCfg, job.get("pool").strip())) if (!exclude.contains(vmid)) wanted.add(vmid);
        } else if (truthy(job.get("all"))) {
            Set<Integer> exclude = ids(job.get("exclude"));
            for (int vmid : guestNodes.keySet()) if (!exclude.contains(vmid)) wanted.add(vmid);
        }
        Map<String, List<Integer>> out = new TreeMap<>();
        String onlyNode = job.get("node");
        for (int vmid : wanted) {
            String node = guestNodes.get(vmid);
            if (node == null || (onlyNode != null && !onlyNode.equals(node))) continue;
            out.computeIfAbsent(node, n -> new ArrayList<>()).add(vmid);
        }
        return out;
    }

    /** The guests of {@code guestNodes} that none of the jobs covers, in VMID order. */
    public static List<Integer> notCovered(Iterable<Map<String, String>> jobs, Map<Integer, String> guestNodes, String userCfg) {
        Set<Integer> left = new TreeSet<>(guestNodes.keySet());
        for (Map<String, String> job : jobs) included(job, guestNodes, userCfg).values().forEach(left::removeAll);
        return new ArrayList<>(left);
    }

    /**
     * The guests of pool {@code pool} in {@code user.cfg} ({@code pool:<id>:<comment>:<vmids>:<storages>:} lines,
     * the VMIDs separated by commas), in VMID order; empty when the pool does not exist.
     */
    public static Set<Integer> poolMembers(String userCfg, String pool) {
        Set<Integer> out = new TreeSet<>();
        if (userCfg == null) return out;
        for (String line : userCfg.split("\n")) {
            String[] f = line.strip().split(":", -1);
            if (f.length > 3 && f[0].equals("pool") && f[1].equals(pool)) out.addAll(ids(f[3]));
        }
        return out;
    }

    private static Set<Integer> ids(String list) {
        Set<Integer> out = new TreeSet<>();
        if (list == null) return out;
        for (String s : list.split("[,;\\s]+")) {
            if (s.isEmpty()) continue;
            try {
                out.add(Integer.parseInt(s));
            } catch (NumberFormatException e) {
                // not a guest ID: covers nothing
            }
        }
        return out;
    }

    private static boolean truthy(String v) { return v != null && (v.equals("1") || v.equalsIgnoreCase("yes") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("on")); }
}
