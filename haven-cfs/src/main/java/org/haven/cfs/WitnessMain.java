package org.haven.cfs;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.haven.core.time.Clock;

/**
 * The witness of a two-node cluster (Haven's counterpart of PVE's QDevice): a cfs replica named
 * {@value CorosyncConf#WITNESS} that votes in the Raft group and holds a copy of the log, but is no node
 * (no node directory, no guests, no API). Start it, then run {@code pvecm qdevice setup <its address>} on a
 * cluster node; the leader adds it once it hears it.
 *
 * <pre>WitnessMain --dir /var/lib/haven/witness --listen 10.0.0.9:5405 --cluster NAME --group UUID --peers n1:1:10.0.0.1:5405,…</pre>
 * ({@code UUID}: the cluster's Raft group, {@code cfs_group} of the join information).
 */
public final class WitnessMain {
    private WitnessMain() {}

    /** Starts a witness replica (for tests and the daemon's {@code --witness} mode). */
    public static RaftClusterFs start(String cluster, java.util.UUID group, long generation, String host, int port, List<CfsNode> nodes,
                                      Path dir, Duration electionTimeout) {
        CfsNode self = new CfsNode(CorosyncConf.WITNESS, CorosyncConf.WITNESS_ID, host, port);
        List<CfsNode> peers = new ArrayList<>(nodes);
        peers.add(self);
        return RaftClusterFs.start(new RaftClusterFs.Config(cluster, group, generation, self, peers, dir,
                Clock.SYSTEM, CfsLimits.PVE, electionTimeout, Duration.ofSeconds(10)).asJoining());
    }

    public static void main(String[] args) throws Exception {
        String dir = arg(args, "--dir");
        String[] listen = arg(args, "--listen").split(":");
        List<CfsNode> nodes = parsePeers(arg(args, "--peers"));
        RaftClusterFs fs = start(arg(args, "--cluster"), java.util.UUID.fromString(arg(args, "--group")), 0, listen[0],
                Integer.parseInt(listen[1]), nodes, Path.of(dir), Duration.ofMillis(1000));
        Runtime.getRuntime().addShutdownHook(new Thread(fs::close));
        Thread.currentThread().join();
    }

    /** Parses {@code name:nodeid:host:port,…} (the cluster's nodes as the witness reaches them). */
    public static List<CfsNode> parsePeers(String peers) {
        List<CfsNode> nodes = new ArrayList<>();
        for (String p : peers.split(",")) {
            if (p.isBlank()) continue;
            String[] f = p.trim().split(":");
            if (f.length != 4) throw new IllegalArgumentException("invalid peer '" + p + "' (expected NAME:NODEID:HOST:PORT)");
            try {
                nodes.add(new CfsNode(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid peer '" + p + "' (expected NAME:NODEID:HOST:PORT)");
            }
        }
        if (nodes.isEmpty()) throw new IllegalArgumentException("no peers given");
        return nodes;
    }

    private static String arg(String[] a, String name) {
        for (int i = 0; i < a.length - 1; i++) if (a[i].equals(name)) return a[i + 1];
        throw new IllegalArgumentException("missing " + name);
    }
}
