package org.haven.it.cfs;

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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.haven.core.testing.Tools;

/**
 * Replicated cfs nodes as separate JVM processes ({@code org.haven.cfs.CfsNodeMain}), each in its own network
 * namespace attached to a bridge, so a node can be killed with SIGKILL or cut off the network. Everything it
 * creates (namespaces, bridge, processes) is removed by {@link #close()}.
 */
final class CfsNetnsCluster implements AutoCloseable {
    static final int PORT = 5405;
    final String tag;
    final String subnet;
    final int size;
    final Path base;
    final Node[] nodes;
    private final List<String> namespaces = new ArrayList<>();
    private boolean bridgeCreated;

    CfsNetnsCluster(Path base, int size) {
        this.base = base;
        this.size = size;
        int k = 20 + (int) (ProcessHandle.current().pid() % 200);
        this.tag = "hc" + k;
        this.subnet = "10.213." + k;
        this.nodes = new Node[size];
    }

    /** Fails the test unless it can create network namespaces (root and iproute2). */
    static void require() {
        Tools.requireRoot("creates network namespaces");
        Tools.require("iproute2", "ip");
    }

    static void sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String ns(int i) { return tag + "n" + (i + 1); }

    String hostVeth(int i) { return tag + "h" + (i + 1); }

    String ip(int i) { return subnet + "." + (i + 1); }

    String peers() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < size; i++) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append("n").append(i + 1).append(':').append(i + 1).append(':').append(ip(i)).append(':').append(PORT);
        }
        return sb.toString();
    }

    /** Creates the bridge, the namespaces and their links. */
    CfsNetnsCluster network() {
        try {
            link();
        } catch (RuntimeException e) {
            close(); // the caller gets no cluster to close
            throw e;
        }
        return this;
    }

    private void link() {
        sh("ip", "link", "add", tag + "br", "type", "bridge");
        bridgeCreated = true;
        sh("ip", "link", "set", tag + "br", "up");
        for (int i = 0; i < size; i++) {
            sh("ip", "netns", "add", ns(i));
            namespaces.add(ns(i));
            sh("ip", "link", "add", hostVeth(i), "type", "veth", "peer", "name", "eth0", "netns", ns(i));
            sh("ip", "link", "set", hostVeth(i), "master", tag + "br", "up");
            sh("ip", "netns", "exec", ns(i), "ip", "addr", "add", ip(i) + "/24", "dev", "eth0");
            sh("ip", "netns", "exec", ns(i), "ip", "link", "set", "eth0", "up");
            sh("ip", "netns", "exec", ns(i), "ip", "link", "set", "lo", "up");
        }
    }

    /** Starts (or restarts) node {@code i}; its data directory survives restarts. */
    Node start(int i) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of("ip", "netns", "exec", ns(i), java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "org.haven.cfs.CfsNodeMain", "--name", "n" + (i + 1), "--id", Integer.toString(i + 1),
                "--dir", base.resolve("n" + (i + 1)).toString(), "--listen", ip(i) + ":" + PORT, "--peers", peers(),
                "--cluster", tag);
        Process p = new ProcessBuilder(cmd).redirectError(base.resolve("n" + (i + 1) + ".err").toFile()).start();
        nodes[i] = new Node("n" + (i + 1), p);
        String first = nodes[i].nextLine(60);
        if (!"ready".equals(first)) throw new IllegalStateException("node n" + (i + 1) + " did not start: " + first);
        return nodes[i];
    }

    /** SIGKILL. */
    void kill(int i) throws InterruptedException {
        if (nodes[i] == null) return;
        nodes[i].process.destroyForcibly();
        nodes[i].process.waitFor(30, TimeUnit.SECONDS);
        nodes[i] = null;
    }

    /** Cuts node {@code i} off the network (its link to the bridge goes down), or reconnects it. */
    void link(int i, boolean up) {
        sh("ip", "link", "set", hostVeth(i), up ? "up" : "down");
    }

    @Override
    public void close() {
        for (int i = 0; i < size; i++) {
            try {
                kill(i);
            } catch (Exception ignored) {
                // continue cleaning up
            }
        }
        for (int i = 0; i < namespaces.size(); i++) {
            // the link goes at once; a namespace outlives its name while a killed process in it is still exiting,
            // and with it the link, whose name the next cluster of this test JVM uses again
            try {
                sh("ip", "link", "del", hostVeth(i));
            } catch (RuntimeException ignored) {
                // not created, or already gone
            }
        }
        for (String n : namespaces) {
            try {
                sh("ip", "netns", "del", n);
            } catch (RuntimeException ignored) {
                // continue cleaning up
            }
        }
        if (bridgeCreated) {
            try {
                sh("ip", "link", "del", tag + "br");
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
    }

    /** One node process and its command channel. */
    static final class Node {
        final String name;
        final Process process;
        private final BufferedWriter in;
        private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(1000);

        Node(String name, Process process) {
            this.name = name;
            this.process = process;
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        if (l.equals("ready") || l.equals("none") || l.startsWith("ok") || l.startsWith("err ")) lines.put(l);
                    }
                    lines.put("err process ended");
                } catch (Exception ignored) {
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
            return nextLine(30);
        }

        String write(String path, String value) {
            return cmd("write " + path + " " + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        }

        String create(String path, String value) {
            return cmd("create " + path + " " + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        }

        /** Value of a file, or null. */
        String read(String path) {
            String r = cmd("read " + path);
            if (r.equals("none")) return null;
            if (!r.startsWith("ok ")) throw new IllegalStateException(name + ": " + r);
            return new String(Base64.getDecoder().decode(r.substring(3)), StandardCharsets.UTF_8);
        }

        boolean quorate() { return cmd("quorate").equals("ok true"); }
    }
}
