package org.haven.firewall.apply;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.firewall.compile.Netns;

/**
 * A bridge with guests, made of network namespaces: namespace {@code host} holds {@code vmbr0} (10.77.0.1/24);
 * each guest namespace is plugged into it with a veth pair whose bridge end is named like the guest's
 * tap/veth device; namespace {@code out} is the outside world on the uplink port. Everything is removed on
 * {@link #close}, also when setting up fails half way.
 */
final class PacketLab implements AutoCloseable {
    final Netns host;
    final Map<String, Netns> nodes = new LinkedHashMap<>();
    private final List<Process> servers = new ArrayList<>();
    private final Path probe;
    private final String python;

    PacketLab() throws IOException {
        Path dir = Files.createTempDirectory("fwprobe");
        probe = dir.resolve("fwprobe.py");
        try (InputStream in = PacketLab.class.getResourceAsStream("/fwprobe.py")) {
            Files.write(probe, in.readAllBytes());
        }
        python = Netns.run(List.of("python3", "-c", "import sys; print(sys.executable)")).strip();
        host = new Netns("hfw-host");
        try {
            host.exec("ip", "link", "add", "vmbr0", "type", "bridge");
            host.exec("ip", "addr", "add", "10.77.0.1/24", "dev", "vmbr0");
            host.exec("ip", "link", "set", "vmbr0", "up");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }


    /** Plug a new namespace into the bridge: port {@code port} on the bridge, {@code eth0} inside with mac and ip. */
    Netns plug(String name, String port, String mac, String cidr) {
        Netns ns = new Netns("hfw-" + name);
        nodes.put(name, ns);
        host.exec("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns.name);
        host.exec("ip", "link", "set", port, "master", "vmbr0", "up");
        ns.exec("ip", "link", "set", "eth0", "address", mac);
        ns.exec("ip", "addr", "add", cidr, "dev", "eth0");
        ns.exec("ip", "link", "set", "eth0", "up");
        return ns;
    }

    /**
     * A new namespace the host routes to: a veth pair from the host's {@code hostIf} ({@code hostCidr}) to its
     * {@code eth0} ({@code cidr}), with its default route through the host. The host forwards IPv4 from now on.
     */
    Netns routed(String name, String hostIf, String hostCidr, String cidr) {
        Netns ns = new Netns("hfw-" + name);
        nodes.put(name, ns);
        host.exec("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", ns.name);
        host.exec("ip", "addr", "add", hostCidr, "dev", hostIf);
        host.exec("ip", "link", "set", hostIf, "up");
        host.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        ns.exec("ip", "addr", "add", cidr, "dev", "eth0");
        ns.exec("ip", "link", "set", "eth0", "up");
        ns.exec("ip", "route", "add", "default", "via", hostCidr.replaceFirst("/.*", ""));
        return ns;
    }

    Netns ns(String name) { return name.equals("host") ? host : nodes.get(name); }

    /** Start echo servers ({@code tcp:80,22 udp:53}) in a namespace. */
    void serve(String name, String... specs) throws IOException {
        List<String> args = new ArrayList<>(List.of("serve"));
        args.addAll(List.of(specs));
        start(name, args);
    }

    /** A passive-mode FTP control server on port 21 that announces {@code addr:dataPort} for the data connection. */
    void serveFtp(String name, String addr, int dataPort) throws IOException {
        start(name, List.of("ftpserve", "tcp:21", addr, Integer.toString(dataPort)));
    }

    private void start(String name, List<String> args) throws IOException {
        List<String> cmd = ns(name).prefix(python, probe.toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        servers.add(p);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"ready".equals(line)) throw new IllegalStateException("server in " + name + " did not start: " + line);
    }

    /** ACCEPT, DROP or REJECT for one TCP connection / UDP exchange / ping from a namespace. */
    String probe(String from, String proto, String host, int port, String... src) {
        if (proto.equals("icmp")) {
            return ns(from).tryExec(null, "busybox", "ping", "-c", "1", "-W", "1", host).code() == 0 ? "ACCEPT" : "DROP";
        }
        List<String> cmd = new ArrayList<>(List.of(python, probe.toString(), proto, host, Integer.toString(port)));
        cmd.addAll(List.of(src));
        return ns(from).tryExec(null, cmd.toArray(String[]::new)).output().strip();
    }

    /** An open TCP connection; {@link Held#send} reports ACCEPT while data still goes through. */
    final class Held implements AutoCloseable {
        private final Process p;
        private final PrintWriter w;
        private final BufferedReader r;

        Held(String from, String host, int port) throws IOException {
            p = new ProcessBuilder(ns(from).prefix(python, probe.toString(), "hold", host, Integer.toString(port))).redirectErrorStream(true).start();
            w = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
            r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            if (!"connected".equals(line)) { close(); throw new IllegalStateException("hold: " + line); }
        }

        String send(String msg) throws IOException {
            w.println(msg);
            return r.readLine();
        }

        @Override public void close() { p.destroyForcibly(); }
    }

    @Override
    public void close() {
        for (Process p : servers) p.destroyForcibly();
        for (Process p : servers) {
            try { p.waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }
        for (Netns n : nodes.values()) n.close();
        host.close();
        try {
            Files.deleteIfExists(probe);
            Files.deleteIfExists(probe.getParent());
        } catch (IOException ignored) {
            // temp files
        }
    }
}
