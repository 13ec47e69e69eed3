package org.haven.ha.usage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.ha.HaEnv;

/**
 * Static-load scheduler: scores nodes by the CPU and memory they would commit if the service ran there
 * (TOPSIS over average and highest CPU and memory commitment).
 */
public final class StaticUsage implements Usage {
    private static final double[] WEIGHTS = {-1.0, -2.0, -5.0, -10.0};

    private static final class NodeUsage {
        final String name;
        double cpu;
        final long maxcpu;
        long mem;
        final long maxmem;

        NodeUsage(String name, long maxcpu, long maxmem) {
            this.name = name;
            this.maxcpu = maxcpu;
            this.maxmem = maxmem;
        }
    }

    private final HaEnv env;
    private final Map<String, HaEnv.Stats> nodeStats;
    private final Map<String, HaEnv.Stats> serviceStats = new HashMap<>();
    private final TreeMap<String, Double> serviceCounts = new TreeMap<>();
    private final LinkedHashMap<String, NodeUsage> nodes = new LinkedHashMap<>();

    public StaticUsage(HaEnv env) {
        this.env = env;
        try {
            this.nodeStats = env.getStaticNodeStats();
        } catch (RuntimeException e) {
            throw new IllegalStateException("did not get static node usage information - " + e.getMessage(), e);
        }
    }

    @Override public void addNode(String node) {
        serviceCounts.put(node, 0.0);
        HaEnv.Stats s = nodeStats.get(node);
        if (s == null) throw new IllegalStateException("did not get static node usage information for '" + node + "'");
        if (s.maxcpu() == 0) throw new IllegalStateException("static node usage information for '" + node + "' missing cpu count");
        if (s.maxmem() == 0) throw new IllegalStateException("static node usage information for '" + node + "' missing memory");
        nodes.put(node, new NodeUsage(node, (long) s.maxcpu(), s.maxmem()));
    }

    @Override public boolean containsNode(String node) { return node != null && nodes.containsKey(node); }

    @Override public List<String> listNodes() { return new ArrayList<>(nodes.keySet()); }

    private HaEnv.Stats serviceUsage(String sid, String serviceNode, String migrationTarget) {
        HaEnv.Stats cached = serviceStats.get(sid);
        if (cached != null) return cached;
        HaEnv.Stats stats;
        try {
            stats = env.staticServiceStats(sid, serviceNode);
        } catch (RuntimeException e) {
            stats = null;
            if (migrationTarget != null) {
                try { stats = env.staticServiceStats(sid, migrationTarget); } catch (RuntimeException ignored) { }
            }
            if (stats == null) {
                throw new IllegalStateException("did not get static service usage information for '" + sid + "' - "
                    + e.getMessage());
            }
        }
        serviceStats.put(sid, stats);
        return stats;
    }

    private static double addCpu(double old, double max, double add) {
        return add == 0.0 ? old + max : old + add;
    }

    @Override public void addServiceUsageToNode(String node, String sid, String serviceNode, String target) {
        serviceCounts.merge(node, 1.0, Double::sum);
        try {
            HaEnv.Stats usage = serviceUsage(sid, serviceNode, target);
            NodeUsage n = nodes.get(node);
            if (n == null) throw new IllegalStateException("node '" + node + "' not present in usage hashmap");
            n.cpu = addCpu(n.cpu, n.maxcpu, usage.maxcpu());
            n.mem += usage.maxmem();
        } catch (RuntimeException e) {
            env.log("warning", "unable to add service '" + sid + "' usage to node '" + node + "' - " + e.getMessage());
        }
    }

    @Override public Map<String, Double> scoreNodesToStartService(String sid, String serviceNode) {
        HaEnv.Stats service;
        try {
            service = serviceUsage(sid, serviceNode, null);
        } catch (RuntimeException e) {
            env.log("err", "unable to score nodes according to static usage for service '" + sid + "' - "
                + e.getMessage());
            return new TreeMap<>(serviceCounts);
        }
        List<NodeUsage> list = new ArrayList<>(nodes.values());
        int len = list.size();
        double[][] matrix = new double[len][];
        for (int t = 0; t < len; t++) {
            double highestCpu = 0.0;
            double squaresCpu = 0.0;
            double highestMem = 0.0;
            double squaresMem = 0.0;
            for (int i = 0; i < len; i++) {
                NodeUsage n = list.get(i);
                double newCpu = (i == t ? addCpu(n.cpu, n.maxcpu, service.maxcpu()) : n.cpu) / (double) n.maxcpu;
                highestCpu = Math.max(highestCpu, newCpu);
                squaresCpu += newCpu * newCpu;
                double newMem = (double) (i == t ? n.mem + service.maxmem() : n.mem) / (double) n.maxmem;
                highestMem = Math.max(highestMem, newMem);
                squaresMem += newMem * newMem;
            }
            matrix[t] = new double[] {
                1.0 + Math.sqrt(squaresCpu / len),
                1.0 + highestCpu,
                1.0 + Math.sqrt(squaresMem / len),
                1.0 + highestMem,
            };
        }
        Map<String, Double> out = new TreeMap<>();
        if (len == 0) return out;
        double[] scores = Topsis.score(matrix, WEIGHTS);
        for (int i = 0; i < len; i++) out.put(list.get(i).name, -scores[i]);
        return out;
    }
}
