package org.haven.ha.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.haven.ha.Crm;

/**
 * Cost of one CRM round (the master's iteration: node and LRM status, every service's state machine, status
 * write) in the simulator: {@code CrmRoundBench [nodes] [services] [rounds]}, defaults 1000, 10000, 50.
 */
public final class CrmRoundBench {
    private CrmRoundBench() {}

    public static void main(String[] args) {
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int services = args.length > 1 ? Integer.parseInt(args[1]) : 10000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) names.add(String.format("node%04d", i));
        SimHardware hw = new SimHardware(names);
        // nodes are up; only the master's CRM runs (a 1000-node round does not fit the simulated lock timeouts)
        for (String n : names) hw.setNodeHardware(n, "on", "on", 64, 512L << 30);
        for (int i = 0; i < services; i++) {
            hw.putService((i % 3 == 0 ? "ct:" : "vm:") + (100 + i), Map.of("node", names.get(i % nodes), "state", "started"));
        }
        long t0 = System.nanoTime();
        hw.command("crm " + names.get(0) + " start", "bench");
        SimHardware.SimNode master = hw.node(names.get(0));
        Crm crm = master.crm();
        master.crmEnv.startAt(20);
        crm.doOneIteration();
        long setup = System.nanoTime() - t0;
        if (!crm.state().equals("master")) throw new IllegalStateException("no master after setup");
        long running = hw.managerStatus().serviceStatus.values().stream().filter(s -> s.state.equals("started")).count();
        long[] times = new long[rounds];
        long[] cpu = new long[rounds];
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int r = 0; r < rounds; r++) {
            master.crmEnv.startAt(40 + 20L * r);
            long c = mx.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            crm.doOneIteration();
            times[r] = System.nanoTime() - s;
            cpu[r] = mx.getCurrentThreadCpuTime() - c;
        }
        Arrays.sort(times);
        Arrays.sort(cpu);
        System.out.printf("nodes=%d services=%d started=%d first round=%.1fs%n", nodes, services, running, setup / 1e9);
        System.out.printf("CRM round: median %.2f ms, p90 %.2f ms, max %.2f ms (%d rounds)%n",
            times[rounds / 2] / 1e6, times[(int) (rounds * 0.9)] / 1e6, times[rounds - 1] / 1e6, rounds);
        System.out.printf("CRM round CPU time: median %.2f ms, p90 %.2f ms%n", cpu[rounds / 2] / 1e6, cpu[(int) (rounds * 0.9)] / 1e6);

        // failover: a node loses power; the rounds that mark it, fence it and recover its services elsewhere
        // (repeated with further nodes, so the recovery code is measured warm as well as cold)
        long t = 40 + 20L * rounds;
        int repeats = Math.min(12, nodes - 1);
        long[] slowest = new long[repeats];
        long[] slowestCpu = new long[repeats];
        int[] roundsNeeded = new int[repeats];
        long recovered = 0;
        for (int k = 0; k < repeats; k++) {
            String victim = names.get(k + 1);
            recovered += hw.managerStatus().serviceStatus.values().stream().filter(s -> victim.equals(s.node)).count();
            hw.command("power " + victim + " off", "bench");
            for (int r = 0; r < 50; r++) {
                master.crmEnv.startAt(t);
                t += 20;
                long c = mx.getCurrentThreadCpuTime();
                long s = System.nanoTime();
                crm.doOneIteration();
                slowest[k] = Math.max(slowest[k], System.nanoTime() - s);
                slowestCpu[k] = Math.max(slowestCpu[k], mx.getCurrentThreadCpuTime() - c);
                roundsNeeded[k]++;
                var st = hw.managerStatus().serviceStatus.values();
                if (st.stream().noneMatch(x -> victim.equals(x.node))
                    && st.stream().noneMatch(x -> x.state.equals("fence") || x.state.equals("recovery"))) break;
            }
            if (hw.managerStatus().serviceStatus.values().stream().anyMatch(x -> victim.equals(x.node))) {
                throw new IllegalStateException("services of " + victim + " not recovered");
            }
            hw.command("power " + victim + " on", "bench");
        }
        System.out.printf("failover of a node (%d nodes one after the other, %d services recovered, %d rounds each):%n",
            repeats, recovered, roundsNeeded[repeats - 1]);
        System.out.printf("  slowest round per failover: first %.2f ms (CPU %.2f ms), then median %.2f ms (CPU %.2f ms), max %.2f ms%n",
            slowest[0] / 1e6, slowestCpu[0] / 1e6, median(slowest, 1) / 1e6, median(slowestCpu, 1) / 1e6,
            Arrays.stream(slowest, 1, repeats).max().orElse(0) / 1e6);
    }

    private static long median(long[] a, int from) {
        long[] c = Arrays.copyOfRange(a, from, a.length);
        if (c.length == 0) return 0;
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
