import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.haven.cfs.LockTable.HaTiming;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.it.ha.Bmc;
import org.haven.qemu.testing.TestGuest;

/**
 * Failover time with real daemons: three {@code havend} processes on the replicated cluster file system, an
 * HA-managed guest (qcow2 disk on a shared dir storage) running on node2; node2 loses power (its daemon and its
 * guest are SIGKILLed at once) and the clock runs until the guest's QEMU process runs on a surviving node.
 * Also reports when the survivors' logs first showed the fencing acknowledgement and the recovery.
 *
 * <p>{@code HaFailoverBench [pve|fast|fence|both|all] [runs] [other|master|any] [power|hang]}: {@code pve} is PVE's fixed timing (60/10/120 s),
 * {@code fast} the fastest safe timing for a 2 s round ({@link HaTiming#fastest(long, long)} with a 4 s device
 * timeout), {@code fence} the same timing with a simulated BMC per node ({@code ipmi_sim}) as the nodes' fencing
 * devices in {@code ha/fence.cfg} ({@code fence_ipmilan}): the master fences through the BMC without the fence delay
 * and recovers once the agent confirmed the power-off, without waiting for the lock. {@code both} runs pve and fast,
 * {@code all} the three. Every run starts its own cluster in a temporary directory and removes it (daemons, BMCs,
 * guests, files). With {@code hang} (fence only) the node does not lose power but hangs: its daemon and watchdog
 * supervisor are stopped with SIGSTOP, their connections open, the guest running, until its BMC powers it off.
 */
public final class HaFailoverBench {
    static final int VMID = 4646;
    /** Which node loses power: the guest's node when it is not the CRM master ("other"), when it is ("master"), or as placed ("any"). */
    static String victim = "other";
    /** How the node fails: it loses power ("power": daemon and guest SIGKILLed), or it hangs ("hang": its daemon and
     * watchdog supervisor SIGSTOPped, connections open, the guest running; only with fencing devices, which power it off). */
    static String failure = "power";

    record Result(String mode, boolean master, String failure, double fenced, double recovered, double running) {}

    /** A timing and whether the nodes have fencing devices. */
    record Setting(String name, HaTiming timing, boolean fence) {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "both";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        victim = args.length > 2 ? args[2] : "other";
        if (!List.of("other", "master", "any").contains(victim)) throw new IllegalArgumentException("victim: other, master or any");
        failure = args.length > 3 ? args[3] : "power";
        if (!List.of("power", "hang").contains(failure)) throw new IllegalArgumentException("failure: power or hang");
        if (failure.equals("hang") && !mode.equals("fence")) {
            throw new IllegalArgumentException("hang needs fence: without a fencing device only the node's own watchdog would end the hang");
        }
        if (!TestGuest.available()) throw new IllegalStateException("needs a kernel in /boot, busybox-static and qemu-system-x86");
        List<Setting> timings = new ArrayList<>();
        if (List.of("pve", "both", "all").contains(mode)) timings.add(new Setting("pve", HaTiming.PVE, false));
        if (List.of("fast", "both", "all").contains(mode)) timings.add(new Setting("fast", HaTiming.fastest(2, 4), false));
        if (List.of("fence", "all").contains(mode)) timings.add(new Setting("fence", HaTiming.fastest(2, 4), true));
        if (timings.isEmpty()) throw new IllegalArgumentException("usage: HaFailoverBench [pve|fast|fence|both|all] [runs]");
        if (timings.stream().anyMatch(Setting::fence)) Bmc.require();
        List<Result> results = new ArrayList<>();
        for (Setting t : timings) {
            for (int i = 0; i < runs; i++) {
                Result r = runOnce(t);
                results.add(r);
                System.out.println(line(r, t.timing()));
            }
        }
        System.out.println();
        System.out.println("timing                                  master  failure  fenced   recovered  running elsewhere");
        for (int i = 0; i < results.size(); i++) {
            System.out.println(line(results.get(i), timings.get(i / runs).timing()));
        }
    }

    static String line(Result r, HaTiming t) {
        return String.format(Locale.ROOT, "%-6s (round %2d, wd %2d, dev %2d, lock %3d)  %-3s     %-5s  %6.1f s  %6.1f s   %6.1f s", r.mode(),
            t.round(), t.watchdogTimeout(), t.deviceTimeout(), t.lockLifetime(), r.master() ? "yes" : "no", r.failure(), r.fenced(),
            r.recovered(), r.running());
    }

    static boolean runningOn(HavenNode n) {
        Path pidfile = n.dataDir().resolve("run/qemu-server/" + VMID + ".pid");
        try {
            if (!Files.exists(pidfile)) return false;
            long pid = Long.parseLong(Files.readString(pidfile).trim());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (Exception e) {
            return false;
        }
    }

    static void ok(HavenNode.CliResult r) {
        if (r.exit() != 0) throw new IllegalStateException(r.out() + r.err());
    }

    static void await(String what, long seconds, java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    static Result runOnce(Setting setting) throws Exception {
        HaTiming timing = setting.timing();
        Path dir = Files.createTempDirectory("haven-ha-bench");
        List<Long> guests = new ArrayList<>();
        List<Bmc> bmcs = new ArrayList<>();
        List<ProcessHandle> frozen = new ArrayList<>();
        HavenCluster cluster = null;
        try {
            Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
            Path shared = Files.createDirectories(dir.resolve("shared"));
            cluster = HavenCluster.start(dir, "habench", 3);
            HavenNode n1 = cluster.node(0), n2 = cluster.node(1), n3 = cluster.node(2);
            if (!timing.equals(HaTiming.PVE)) {
                List<String> set = new ArrayList<>(List.of("set", "/cluster/ha/timing"));
                for (String k : HaTiming.KEYS) set.addAll(List.of("--" + k, Long.toString(timing.get(k))));
                ok(n1.cli("pvesh", set.toArray(String[]::new)));
            }
            if (setting.fence()) {
                StringBuilder cfg = new StringBuilder();
                for (HavenNode n : cluster.nodes()) {
                    Bmc b = Bmc.start(Files.createDirectories(dir.resolve("bmc-" + n.node())), n.node(), n.dataDir());
                    bmcs.add(b);
                    b.powers(n);
                    cfg.append(b.fenceDevice());
                }
                ok(n1.cli("pvesh", "set", "/cluster/ha/fence", "--config", cfg.toString()));
            }
            ok(n1.cli("pvesm", "add", "dir", "shared", "--path", shared.toString(), "--shared", "1", "--content", "images"));
            ok(n2.cli("qm", "create", Integer.toString(VMID), "--name", "ha-bench", "--memory", "128", "--serial0", "socket",
                "--vga", "serial0", "--scsi0", "shared:0.1,format=qcow2", "--args", TestGuest.args(initrd)));
            ok(n1.cli("ha-manager", "add", "vm:" + VMID, "--state", "started"));
            await("the guest running on node2", 300, () -> runningOn(n2));
            // when the guest's node is also the CRM master, a new master must first take over the manager lock (it
            // expires like the agent lock) and then wait the fence delay, as in PVE
            String masterNode = null;
            String status = n1.cli("ha-manager", "status").out();
            for (HavenNode n : cluster.nodes()) if (status.contains("master " + n.node() + " (")) masterNode = n.node();
            if (masterNode == null) throw new IllegalStateException("no CRM master in: " + status);
            HavenNode target = n2;
            if (victim.equals("master") && !"node2".equals(masterNode)) target = masterNode.equals("node1") ? n1 : n3;
            if (victim.equals("other") && "node2".equals(masterNode)) target = n3;
            if (target != n2) {
                ok(n1.cli("ha-manager", "relocate", "vm:" + VMID, target.node()));
                HavenNode t = target;
                await("the guest relocated to " + target.node(), 300, () -> runningOn(t));
            }
            HavenNode dead = target;
            long pid = Long.parseLong(Files.readString(dead.dataDir().resolve("run/qemu-server/" + VMID + ".pid")).trim());
            guests.add(pid);
            // let the LRM renew its lock under the current timing at least once more
            Thread.sleep(timing.round() * 1000L + 1000);

            boolean master = dead.node().equals(masterNode);
            List<HavenNode> survivors = new ArrayList<>(cluster.nodes());
            survivors.remove(dead);
            String fenceLine = setting.fence() ? "fencing: acknowledged - hardware fencing of node '" + dead.node() + "' succeeded"
                : "fencing: acknowledged - got agent lock for node '" + dead.node() + "'";
            String recoverLine = "recover service 'vm:" + VMID + "' from fenced node '" + dead.node() + "'";
            long t0 = System.nanoTime();
            if (failure.equals("hang")) {
                // the node hangs: its daemon and watchdog supervisor stop, its guest keeps running; its BMC powers it off
                frozen.addAll(dead.process().descendants().filter(h -> h.pid() != pid).toList());
                frozen.add(dead.process().toHandle());
                for (ProcessHandle h : frozen) new ProcessBuilder("kill", "-STOP", Long.toString(h.pid())).start().waitFor();
            } else {
                dead.process().destroyForcibly();
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            double fenced = -1, recovered = -1, running = -1;
            long deadline = t0 + 600_000_000_000L;
            while (running < 0) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("no failover within 600 s");
                double now = (System.nanoTime() - t0) / 1e9;
                String logs = survivors.get(0).stdout() + survivors.get(1).stdout();
                if (fenced < 0 && logs.contains(fenceLine)) fenced = now;
                if (recovered < 0 && logs.contains(recoverLine)) recovered = now;
                for (HavenNode n : survivors) {
                    if (runningOn(n)) {
                        running = now;
                        guests.add(Long.parseLong(Files.readString(n.dataDir().resolve("run/qemu-server/" + VMID + ".pid")).trim()));
                    }
                }
                Thread.sleep(100);
            }
            int on = 0;
            for (HavenNode n : survivors) if (runningOn(n)) on++;
            if (on != 1 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                throw new IllegalStateException("the guest runs on " + on + " survivors (old process alive: "
                    + ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) + ")");
            }
            return new Result(setting.name(), master, failure, fenced, recovered, running);
        } finally {
            if (cluster != null) {
                for (HavenNode n : cluster.nodes()) {
                    Path pidfile = n.dataDir().resolve("run/qemu-server/" + VMID + ".pid");
                    try {
                        if (Files.exists(pidfile)) guests.add(Long.parseLong(Files.readString(pidfile).trim()));
                    } catch (Exception ignored) {
                        // the daemon is rewriting it
                    }
                }
            }
            // stop the daemons first (a running LRM would start a killed HA guest again), then every guest; a frozen
            // daemon cannot stop
            try {
                frozen.forEach(ProcessHandle::destroyForcibly);
                if (cluster != null) cluster.close();
                for (Bmc b : bmcs) b.close();
            } finally {
                for (long g : guests) ProcessHandle.of(g).ifPresent(h -> { h.destroyForcibly(); h.onExit().join(); });
                String d = dir.toString();
                ProcessHandle.allProcesses().filter(h -> h.pid() != ProcessHandle.current().pid())
                    .filter(h -> h.info().commandLine().map(c -> c.contains(d)).orElse(false))
                    .forEach(h -> { h.destroyForcibly(); h.onExit().join(); });
            }
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
