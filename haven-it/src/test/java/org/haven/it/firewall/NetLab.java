package org.haven.it.firewall;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces a firewall test creates, TCP listeners in them and connection probes between them. Every
 * namespace and listener is removed on {@link #close}, also when the test fails half way.
 */
public final class NetLab implements AutoCloseable {
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> listeners = new ArrayList<>();

    /** A new namespace with loopback up; its name starts with {@code prefix}. */
    public String netns(String prefix) {
        String name = prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        run(List.of("ip", "netns", "add", name));
        namespaces.add(name);
        in(name, "ip", "link", "set", "lo", "up");
        return name;
    }

    /**
     * A namespace standing for a node's machine, with the bridge {@code vmbr0} at {@code address}/24 and TCP listeners
     * on 80 and 81.
     */
    String machine(String prefix, String address) throws IOException {
        String ns = netns(prefix);
        in(ns, "ip", "link", "add", "vmbr0", "type", "bridge");
        in(ns, "ip", "addr", "add", address + "/24", "dev", "vmbr0");
        in(ns, "ip", "link", "set", "vmbr0", "up");
        listen(ns, 80, 81);
        return ns;
    }

    /**
     * A namespace plugged into {@code bridge} of namespace {@code host} as a guest NIC is: the bridge end named
     * {@code port}, {@code eth0} inside with {@code mac} and {@code cidr}.
     */
    String guest(String prefix, String host, String bridge, String port, String mac, String cidr) {
        String ns = netns(prefix);
        in(host, "ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        in(host, "ip", "link", "set", port, "master", bridge, "up");
        in(ns, "ip", "link", "set", "eth0", "address", mac);
        in(ns, "ip", "addr", "add", cidr, "dev", "eth0");
        in(ns, "ip", "link", "set", "eth0", "up");
        return ns;
    }

    /** TCP listeners on {@code ports} in namespace {@code ns} (busybox httpd, which accepts every connection). */
    void listen(String ns, int... ports) throws IOException {
        for (int port : ports) {
            listeners.add(new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", Integer.toString(port), "-h", "/tmp")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }
        for (int port : ports) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!in(ns, "ss", "-Hltn", "sport = :" + port).contains(":" + port)) {
                if (System.nanoTime() > end) throw new IllegalStateException("no listener on " + port + " in " + ns);
                sleep(50);
            }
        }
    }

    /** ACCEPT (connected), REJECT (refused) or DROP (no answer within 2 s) for a TCP connection from {@code ns}. */
    String tcp(String ns, String host, int port) {
        Result r = result(List.of("ip", "netns", "exec", ns, "timeout", "2", "bash", "-c", "</dev/tcp/" + host + "/" + port), 30);
        return r.code() == 0 ? "ACCEPT" : r.code() == 124 ? "DROP" : "REJECT";
    }

    /** ACCEPT or DROP for one ping from {@code ns}. */
    String ping(String ns, String host) {
        return result(List.of("ip", "netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "1", host), 30).code() == 0 ? "ACCEPT" : "DROP";
    }

    public String in(String ns, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(cmd));
        return run(c);
    }

    /** Wait (at most {@code seconds}) until {@code probe} answers {@code expected}; the last answer. */
    static String await(int seconds, String expected, java.util.function.Supplier<String> probe) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = probe.get();
        while (!last.equals(expected) && System.nanoTime() < end) {
            sleep(250);
            last = probe.get();
        }
        return last;
    }

    record Result(int code, String output) {}

    static String run(List<String> cmd) {
        Result r = result(cmd, 60);
        if (r.code() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.code() + "): " + r.output());
        return r.output();
    }

    static Result result(List<String> cmd, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) { p.destroyForcibly(); return new Result(-1, "timeout"); }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Process p : listeners) p.destroyForcibly();
        for (Process p : listeners) {
            try { p.waitFor(10, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
        for (String ns : namespaces.reversed()) result(List.of("ip", "netns", "del", ns), 30);
    }
}
