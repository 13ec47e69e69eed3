package org.haven.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Several real {@code havend} processes forming one cluster on the replicated cluster file system, each with its
 * own data directory under {@code dir} and loopback ports: {@code node1} creates the cluster with
 * {@code pvecm create}, the others join it. Closing stops every daemon.
 *
 * <pre>{@code try (HavenCluster c = HavenCluster.start(dir, "demo", 3)) { c.node(0).cli("pvecm", "status"); }}</pre>
 */
public final class HavenCluster implements AutoCloseable {
    private final Path dir;
    private final java.util.function.Function<String, List<String>> jvmArgs;
    private final java.util.function.Function<String, List<String>> launcher;
    private final List<HavenNode> nodes = new ArrayList<>();

    private HavenCluster(Path dir, java.util.function.Function<String, List<String>> jvmArgs, java.util.function.Function<String, List<String>> launcher) {
        this.dir = dir;
        this.jvmArgs = jvmArgs;
        this.launcher = launcher;
    }

    /** Starts {@code count} nodes named {@code node1…nodeN} and waits until all are online members. */
    public static HavenCluster start(Path dir, String clusterName, int count) throws Exception {
        return start(dir, clusterName, count, List.of());
    }

    /** As {@link #start(Path, String, int)}, every daemon started with the extra JVM arguments {@code jvmArgs}. */
    public static HavenCluster start(Path dir, String clusterName, int count, List<String> jvmArgs) throws Exception {
        List<String> args = List.copyOf(jvmArgs);
        return start(dir, clusterName, count, node -> args);
    }

    /** As {@link #start(Path, String, int)}, each daemon started with the extra JVM arguments {@code jvmArgs(node name)}. */
    public static HavenCluster start(Path dir, String clusterName, int count, java.util.function.Function<String, List<String>> jvmArgs)
            throws Exception {
        return start(dir, clusterName, count, jvmArgs, node -> List.of());
    }

    /** As {@link #start(Path, String, int)}, each daemon's command run by {@code launcher(node name)} ({@link HavenNode}'s launcher). */
    public static HavenCluster start(Path dir, String clusterName, int count, java.util.function.Function<String, List<String>> jvmArgs,
                                     java.util.function.Function<String, List<String>> launcher) throws Exception {
        HavenCluster c = new HavenCluster(dir, jvmArgs, launcher);
        try {
            HavenNode first = c.startStandalone("node1");
            c.nodes.add(first);
            HavenNode.CliResult create = first.cli("pvecm", "create", clusterName);
            if (create.exit() != 0) throw new IllegalStateException("pvecm create failed: " + create.out() + create.err());
            for (int i = 2; i <= count; i++) c.join("node" + i);
            c.awaitOnline(count, Duration.ofSeconds(120));
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    public List<HavenNode> nodes() { return List.copyOf(nodes); }

    /**
     * Starts a daemon {@code name} with the replicated cfs that is not (yet) in any cluster. A first local
     * start creates its CA (which the test's HTTPS client trusts); the tree then moves to the replicated cfs.
     * The caller owns (closes) the node.
     */
    public HavenNode startStandalone(String name) throws Exception {
        Path data = dir.resolve(name);
        HavenNode.start(launcher.apply(name), data, name, jvmArgs.apply(name), List.of(), true).close();
        return HavenNode.start(launcher.apply(name), data, name, jvmArgs.apply(name), List.of("--cfs-port", Integer.toString(HavenNode.freePort())), true);
    }

    /** Makes {@code n} (started by {@link #startStandalone}) part of this cluster's nodes, closed with it. */
    public void adopt(HavenNode n) { nodes.add(n); }

    public HavenNode node(int index) { return nodes.get(index); }

    /** Starts node {@code index} again ({@link HavenNode#restart}), e.g. after it died; it stays in this cluster. */
    public HavenNode restart(int index) throws Exception {
        HavenNode old = nodes.get(index);
        HavenNode n = startRetrying(old::restart);
        nodes.set(index, n);
        return n;
    }

    public Path dir() { return dir; }

    /**
     * Adds a node {@code name}: node1 grants the membership ({@code POST /cluster/config/nodes/{name}}) and the
     * new daemon starts from that grant with the cluster's CA.
     */
    public HavenNode join(String name) throws Exception {
        HavenNode first = nodes.get(0);
        int port = HavenNode.freePort();
        HavenNode.CliResult r = first.cli("pvesh", "create", "/cluster/config/nodes/" + name, "--link0", "127.0.0.1",
                "--cfsport", Integer.toString(port), "--output-format", "json");
        if (r.exit() != 0) throw new IllegalStateException("adding " + name + " failed: " + r.out() + r.err());
        JsonNode grant = HavenNode.JSON.readTree(r.out());
        Path data = dir.resolve(name);
        Path raft = data.resolve("cfs-raft");
        Files.createDirectories(raft);
        Files.writeString(raft.resolve("node.properties"), "group=" + grant.path("cfs_group").asString() + "\ngeneration="
                + grant.path("cfs_generation").asLong() + "\nnodeid=" + grant.path("nodeid").asInt() + "\n");
        Files.writeString(raft.resolve("corosync.conf"), grant.path("corosync_conf").asString());
        Files.createDirectories(data.resolve("cfs"));
        Files.copy(first.cfsDir().resolve("pve-root-ca.pem"), data.resolve("cfs/pve-root-ca.pem"));
        HavenNode n = startRetrying(() -> HavenNode.start(launcher.apply(name), data, name, jvmArgs.apply(name), List.of("--cfs-port", Integer.toString(port)), true));
        nodes.add(n);
        return n;
    }

    /** As {@link #restart}, without waiting until the daemon serves ({@link HavenNode#restartNoWait}). */
    public HavenNode restartNoWait(int index) throws Exception {
        HavenNode n = nodes.get(index).restartNoWait();
        nodes.set(index, n);
        return n;
    }

    /**
     * Starts a daemon of the cluster; a daemon gives up when its cfs does not reach the cluster in time ("no
     * quorum"), or when a cfs lock its earlier start left is still live ("got lock request timeout"), which happens
     * on a loaded host, so that is tried again (five times in all).
     */
    static HavenNode startRetrying(java.util.concurrent.Callable<HavenNode> start) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return start.call();
            } catch (IllegalStateException e) {
                String m = e.getMessage() == null ? "" : e.getMessage();
                if (attempt == 5 || !(m.contains("no quorum") || m.contains("got lock request timeout"))) throw e;
            }
        }
    }

    /** Waits until node1 sees {@code count} online nodes in {@code /cluster/status}. */
    public void awaitOnline(int count, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            HavenNode.CliResult r = nodes.get(0).cli("pvesh", "get", "/cluster/status", "--output-format", "json");
            int online = 0;
            boolean quorate = false;
            if (r.exit() == 0) {
                for (JsonNode e : HavenNode.JSON.readTree(r.out())) {
                    if (e.path("type").asString().equals("node") && e.path("online").asInt() == 1) online++;
                    if (e.path("type").asString().equals("cluster") && e.path("quorate").asInt() == 1) quorate = true;
                }
            }
            // online, and quorate as every running node sees it: a node back from an outage accepts writes again
            if (online == count && quorate && nodes.stream().filter(n -> n.process().isAlive()).allMatch(HavenCluster::quorate)) return;
            if (System.nanoTime() > deadline) throw new AssertionError("only " + online + " of " + count + " nodes online: " + r.out() + r.err());
            Thread.sleep(500);
        }
    }

    /** Whether {@code n}'s cluster file system is quorate, as its {@code pvecm status} says. */
    static boolean quorate(HavenNode n) {
        try {
            HavenNode.CliResult r = n.cli("pvecm", "status");
            return r.exit() == 0 && r.out().contains("Quorate:          Yes");
        } catch (Exception e) {
            return false;
        }
    }

    /** Kills every process but this JVM whose command line mentions {@code dir} (guests started by a test's daemons). */
    public static void killProcessesUsing(Path dir) {
        String d = dir.toString();
        ProcessHandle.allProcesses()
                .filter(h -> h.pid() != ProcessHandle.current().pid())
                .filter(h -> h.info().commandLine().map(c -> c.contains(d)).orElse(false))
                .forEach(h -> { h.destroyForcibly(); h.onExit().join(); });
    }

    /** The HA lines of the daemons' output: CRM and LRM ({@code pve-ha-crm}/{@code pve-ha-lrm}), watchdog, halts. */
    public static String haLog(HavenNode... nodes) {
        StringBuilder sb = new StringBuilder();
        for (HavenNode n : nodes) {
            for (String line : n.stdout().split("\n")) {
                if (line.contains("pve-ha-") || line.contains("watchdog-mux") || line.contains("halting at step")) {
                    sb.append(n.node()).append(": ").append(line).append('\n');
                }
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (HavenNode n : nodes) {
            try {
                n.close();
            } catch (Exception e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
