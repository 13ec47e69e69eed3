package org.haven.cfs.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.haven.cfs.CfsLimits;
import org.haven.cfs.CfsNode;
import org.haven.cfs.RaftClusterFs;
import org.haven.core.time.Clock;

/**
 * Write benchmark of the replicated cfs against etcd under the same load: {@code clients} threads spread over
 * the nodes each write {@code size}-byte guest configs ({@code nodes/<n>/qemu-server/<id>.conf}) until
 * {@code ops} writes are done; reports throughput and p50/p99 latency. Run through {@code bench/cfs/run.sh}.
 *
 * <pre>
 * CfsBench haven --nodes 3 --clients 16 --ops 20000 --size 1024 [--preload N] [--warmup 5000]
 * CfsBench etcd --endpoints http://127.0.0.1:23791,... --clients 16 --ops 20000 --size 1024 [--preload N]
 * </pre>
 */
public final class CfsBench {
    interface Writer {
        void write(int client, String key, byte[] value) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        String target = args[0];
        int nodes = intArg(args, "--nodes", 3);
        int clients = intArg(args, "--clients", 16);
        int ops = intArg(args, "--ops", 20000);
        int size = intArg(args, "--size", 1024);
        int preload = intArg(args, "--preload", 0);
        int warmup = intArg(args, "--warmup", 5000);
        String endpoints = strArg(args, "--endpoints", "");
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'x');
        for (int i = 0; i < size; i += 64) value[i] = '\n';

        List<AutoCloseable> cleanup = new ArrayList<>();
        java.util.function.LongSupplier entries = () -> 0;
        Writer w;
        String label;
        Path tmp = Files.createTempDirectory("cfs-bench");
        if (target.equals("haven")) {
            List<CfsNode> peers = new ArrayList<>();
            for (int i = 1; i <= nodes; i++) peers.add(new CfsNode("n" + i, i, "127.0.0.1", freePort()));
            CfsLimits limits = new CfsLimits(1L << 20, 4L << 30, 4_000_000);
            RaftClusterFs[] fs = new RaftClusterFs[nodes];
            for (int i = 0; i < nodes; i++) {
                fs[i] = RaftClusterFs.start(new RaftClusterFs.Config("bench", RaftClusterFs.groupUuid("bench"), 0, peers.get(i), peers,
                        tmp.resolve("n" + (i + 1)), Clock.SYSTEM, limits, Duration.ofMillis(intArg(args, "--election-ms", 1000)), Duration.ofSeconds(30)));
                cleanup.add(fs[i]);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (RaftClusterFs f : fs) while (!f.isQuorate() && System.nanoTime() < deadline) Thread.sleep(50);
            for (int i = 1; i <= nodes; i++) fs[0].mkdirs("nodes/n" + i + "/qemu-server");
            boolean leaderOnly = strArg(args, "--leader-only", "no").equals("yes");
            String leader = fs[0].leader().orElse("n1");
            int li = Integer.parseInt(leader.substring(1)) - 1;
            entries = () -> fs[0].appliedIndex();
            w = (c, key, v) -> fs[leaderOnly ? li : c % nodes].write(key, v);
            label = "haven-cfs (Ratis, " + nodes + " nodes)";
        } else {
            String[] eps = endpoints.split(",");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Base64.Encoder b64 = Base64.getEncoder();
            w = (c, key, v) -> {
                String body = "{\"key\":\"" + b64.encodeToString(key.getBytes()) + "\",\"value\":\"" + b64.encodeToString(v) + "\"}";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(eps[c % eps.length] + "/v3/kv/put"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) throw new IllegalStateException("etcd: " + r.statusCode() + " " + r.body());
            };
            label = "etcd (" + eps.length + " members, HTTP gateway)";
        }
        try {
            // warm-up (JIT) and preload: written before the measured run, with other VMIDs
            if (preload + warmup > 0) run(w, clients, preload + warmup, value, 1_000_000, nodes, null);
            long[] lat = new long[ops];
            long e0 = entries.getAsLong();
            long t0 = System.nanoTime();
            run(w, clients, ops, value, 100, nodes, lat);
            double secs = (System.nanoTime() - t0) / 1e9;
            long logEntries = entries.getAsLong() - e0;
            Arrays.sort(lat);
            System.out.printf("%-36s clients=%-3d size=%-5d preload=%-7d ops=%-6d  %8.0f writes/s  p50 %6.2f ms  p99 %6.2f ms%n",
                    label, clients, size, preload, ops, ops / secs, lat[ops / 2] / 1e6, lat[(int) (ops * 0.99)] / 1e6);
            if (logEntries > 0) System.out.printf("%-36s %d log entries, %.1f writes per entry%n", "", logEntries, ops / (double) logEntries);
        } finally {
            for (AutoCloseable c : cleanup) c.close();
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Runs the writes; a failed write ends the run with its error instead of a figure. */
    private static void run(Writer w, int clients, int ops, byte[] value, int firstId, int nodes, long[] lat) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            ts.add(Thread.ofPlatform().start(() -> {
                int i;
                while (failed.get() == null && (i = next.getAndIncrement()) < ops) {
                    String key = "nodes/n" + (1 + client % nodes) + "/qemu-server/" + (firstId + i) + ".conf";
                    long s = System.nanoTime();
                    try {
                        w.write(client, key, value);
                    } catch (Exception e) {
                        failed.compareAndSet(null, e);
                        return;
                    }
                    if (lat != null) lat[i] = System.nanoTime() - s;
                }
            }));
        }
        for (Thread t : ts) t.join();
        if (failed.get() != null) throw new IllegalStateException("a write failed; no figures", failed.get());
    }

    private static int intArg(String[] a, String name, int def) {
        String s = strArg(a, name, null);
        return s == null ? def : Integer.parseInt(s);
    }

    private static String strArg(String[] a, String name, String def) {
        for (int i = 0; i < a.length - 1; i++) if (a[i].equals(name)) return a[i + 1];
        return def;
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
