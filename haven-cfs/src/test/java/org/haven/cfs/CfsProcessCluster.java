package org.haven.cfs;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Replicated cfs nodes as separate processes ({@link CfsNodeMain}) on loopback ports, so that one can be frozen with
 * SIGSTOP (its sockets stay open and the kernel keeps accepting on them, as on a node whose daemon hangs) or killed.
 */
final class CfsProcessCluster implements AutoCloseable {
    final Path base;
    final String name;
    final List<CfsNode> peers = new ArrayList<>();
    final Node[] nodes;
    final long electionMs;

    CfsProcessCluster(Path base, int size, long electionMs) {
        this.base = base;
        this.name = "proc-" + base.getFileName();
        this.electionMs = electionMs;
        for (int i = 1; i <= size; i++) peers.add(new CfsNode("n" + i, i, "127.0.0.1", RaftTestCluster.freePort()));
        this.nodes = new Node[size];
    }

    CfsProcessCluster startAll() throws IOException {
        for (int i = 0; i < nodes.length; i++) start(i);
        return this;
    }

    /** Starts (or restarts) node {@code i}; its data directory survives restarts. */
    Node start(int i) throws IOException {
        CfsNode self = peers.get(i);
        List<String> peerArgs = peers.stream().map(p -> p.name() + ":" + p.nodeId() + ":" + p.host() + ":" + p.port()).toList();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx192m", "-XX:TieredStopAtLevel=1"));
        // the log levels of logback-test.xml, for a look at a node's log (<dir>/<node>.err)
        for (String level : List.of("cfs.log", "ratis.log")) {
            if (System.getProperty(level) != null) cmd.add("-D" + level + "=" + System.getProperty(level));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CfsNodeMain.class.getName(), "--name", self.name(), "--id", Integer.toString(self.nodeId()),
                "--dir", base.resolve(self.name()).toString(), "--listen", self.address(), "--peers", String.join(",", peerArgs),
                "--cluster", name, "--election-ms", Long.toString(electionMs)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(base.resolve(self.name() + ".err").toFile())).start();
        nodes[i] = new Node(self.name(), p);
        String first = nodes[i].nextLine(60);
        if (!"ready".equals(first)) throw new IllegalStateException("node " + self.name() + " did not start: " + first);
        return nodes[i];
    }

    /** Index of the node named {@code name}. */
    int index(String name) {
        for (int i = 0; i < peers.size(); i++) if (peers.get(i).name().equals(name)) return i;
        throw new IllegalArgumentException(name);
    }

    /** SIGSTOP ({@code true}) or SIGCONT of node {@code i}'s process. */
    void freeze(int i, boolean stop) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", stop ? "-STOP" : "-CONT", Long.toString(nodes[i].process.pid())).inheritIO().start();
        if (k.waitFor() != 0) throw new IllegalStateException("kill " + (stop ? "-STOP" : "-CONT") + " failed");
    }

    /** SIGKILL. */
    void kill(int i) throws InterruptedException {
        if (nodes[i] == null) return;
        nodes[i].process.destroyForcibly();
        nodes[i].process.waitFor(30, TimeUnit.SECONDS);
        nodes[i] = null;
    }

    @Override
    public void close() {
        for (int i = 0; i < nodes.length; i++) {
            try {
                if (nodes[i] != null) freeze(i, false);
                kill(i);
            } catch (Exception ignored) {
                // continue cleaning up
            }
        }
    }

    /** One node process and its command channel (see {@link CfsNodeMain} for the commands). */
    static final class Node {
        final String name;
        final Process process;
        private final BufferedWriter in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Node(String name, Process process) {
            this.name = name;
            this.process = process;
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) lines.put(l);
                    lines.put("err process ended");
                } catch (IOException | InterruptedException ignored) {
                    // process ended
                }
            });
        }

        String nextLine(int seconds) {
            try {
                String l = lines.poll(seconds, TimeUnit.SECONDS);
                if (l == null) throw new IllegalStateException(name + ": no answer within " + seconds + " s");
                return l;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        synchronized String cmd(String line) {
            try {
                in.write(line);
                in.write('\n');
                in.flush();
            } catch (IOException e) {
                throw new IllegalStateException(name + ": " + e.getMessage(), e);
            }
            return nextLine(60);
        }

        String write(String path, String value) {
            return cmd("write " + path + " " + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        }

        /** Value of a file in this node's copy, or null. */
        String read(String path) {
            String r = cmd("read " + path);
            if (r.equals("none")) return null;
            if (!r.startsWith("ok ")) throw new IllegalStateException(name + ": " + r);
            return new String(Base64.getDecoder().decode(r.substring(3)), StandardCharsets.UTF_8);
        }

        boolean quorate() { return cmd("quorate").equals("ok true"); }

        String leader() { return cmd("leader").substring(3); }
    }
}
