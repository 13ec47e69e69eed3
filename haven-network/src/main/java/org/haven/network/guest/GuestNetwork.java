package org.haven.network.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.haven.network.apply.Cmd;
import org.haven.network.apply.Links;

/**
 * The guest network of an embedded node: a bridge with a private address, NAT (nftables masquerade in its own
 * table {@code ip haven-guestnet-<bridge>}, apart from the firewall's) for the traffic that leaves it, and
 * DHCP/DNS for guests from {@code dnsmasq}, as PVE's SDN simple zone with SNAT and DHCP gives. The host's
 * uplink is not touched: the masquerade rule matches whatever interface the host routes through. A bridge of
 * that name that already exists is left alone (nothing is set up) unless this network made it before (a node
 * that did not stop cleanly), in which case it is taken over; {@link #down()} removes only what {@link #up()}
 * made, and puts IPv4 forwarding back as it was.
 */
public final class GuestNetwork {

    /** Bridge name, bridge address in CIDR form and the DHCP range (first and last address). */
    public record Config(String bridge, String cidr, String rangeStart, String rangeEnd) {
        public Config {
            if (!bridge.matches("[a-zA-Z][a-zA-Z0-9_.\\-]{1,14}")) throw new IllegalArgumentException("invalid bridge name '" + bridge + "'");
            String net = Ipv4.network(cidr);
            for (String a : List.of(rangeStart, rangeEnd))
                if (!Ipv4.network(a + cidr.substring(cidr.indexOf('/'))).equals(net))
                    throw new IllegalArgumentException("DHCP range address " + a + " is outside " + net);
            if (Ipv4.parse(rangeStart) > Ipv4.parse(rangeEnd)) throw new IllegalArgumentException("DHCP range " + rangeStart + "-" + rangeEnd + " is empty");
        }

        /** The default: {@code bridge} with 10.253.0.1/24 and leases from .100 to .199. */
        public static Config defaults(String bridge) {
            return new Config(bridge, "10.253.0.1/24", "10.253.0.100", "10.253.0.199");
        }

        public String address() { return cidr.substring(0, cidr.indexOf('/')); }
        public String network() { return Ipv4.network(cidr); }
        public String table() { return "haven-guestnet-" + bridge; }
    }

    private final Config config;
    private final List<String> prefix;
    private final Path stateDir;

    /**
     * @param prefix command prefix entering the network namespace ({@code ip netns exec NS}), empty for the host
     * @param stateDir where the DHCP leases, the dnsmasq PID file and what {@link #up()} changed are kept
     */
    public GuestNetwork(Config config, List<String> prefix, Path stateDir) {
        this.config = config;
        this.prefix = List.copyOf(prefix);
        this.stateDir = stateDir;
    }

    public Config config() { return config; }

    // ---- pure ----

    /** The nftables ruleset: a NAT table of its own that masquerades the guests' traffic leaving the subnet. */
    public static String nftRuleset(Config c) {
        return "table ip " + c.table() + " {\n"
                + "\tchain postrouting {\n"
                + "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                + "\t\tip saddr " + c.network() + " ip daddr != " + c.network() + " oifname != \"" + c.bridge() + "\" masquerade\n"
                + "\t}\n"
                + "}\n";
    }

    /** The {@code nft -f -} input that replaces the table whether or not it exists. */
    public static String nftReplace(Config c) {
        return "table ip " + c.table() + "\ndelete table ip " + c.table() + "\n" + nftRuleset(c);
    }

    /** The dnsmasq command line: DHCP and DNS on the bridge address only, leases and PID file under {@code stateDir}. */
    public static List<String> dnsmasqArgs(Config c, Path stateDir) {
        String mask = Ipv4.mask(c.cidr());
        return List.of("dnsmasq",
                "--conf-file=/dev/null",
                "--bind-interfaces",
                "--interface=" + c.bridge(),
                "--except-interface=lo",
                "--listen-address=" + c.address(),
                "--dhcp-range=" + c.rangeStart() + "," + c.rangeEnd() + "," + mask + ",1h",
                "--dhcp-option=option:router," + c.address(),
                "--dhcp-option=option:dns-server," + c.address(),
                "--dhcp-authoritative",
                "--dhcp-leasefile=" + stateDir.resolve(c.bridge() + ".leases"),
                "--pid-file=" + stateDir.resolve("dnsmasq-" + c.bridge() + ".pid"),
                "--user=root");
    }

    // ---- effects ----

    /** Set the network up unless a bridge of that name that it did not make exists; true when it is up. */
    public synchronized boolean up() throws IOException {
        if (Links.read(prefix).containsKey(config.bridge())) {
            if (!config.bridge().equals(state().getProperty("bridge"))) return false;
            nft(nftReplace(config));
            if (!dnsmasqPid().flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false))
                run(dnsmasqArgs(config, stateDir).toArray(String[]::new));
            return true;
        }
        Files.createDirectories(stateDir);
        Properties st = new Properties();
        st.setProperty("ip_forward", run("sysctl", "-n", "net.ipv4.ip_forward").strip());
        save(st);
        run("ip", "link", "add", config.bridge(), "type", "bridge");
        st.setProperty("bridge", config.bridge());
        save(st);
        run("ip", "addr", "add", config.cidr(), "dev", config.bridge());
        run("ip", "link", "set", config.bridge(), "up");
        run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        st.setProperty("table", config.table());
        save(st);
        nft(nftReplace(config));
        run(dnsmasqArgs(config, stateDir).toArray(String[]::new));
        return true;
    }

    /** Undo what {@link #up()} did: stop dnsmasq, drop the NAT table and the bridge, restore forwarding. */
    public synchronized void down() throws IOException {
        Path stFile = stateDir.resolve(config.bridge() + ".state");
        if (!Files.exists(stFile)) return;
        Properties st = state();
        dnsmasqPid().flatMap(ProcessHandle::of).ifPresent(h -> {
            h.destroy();
            h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> { h.destroyForcibly(); return h; }).join();
        });
        Files.deleteIfExists(stateDir.resolve("dnsmasq-" + config.bridge() + ".pid"));
        if (st.containsKey("table")) tryRun("nft", "delete", "table", "ip", st.getProperty("table"));
        if (st.containsKey("bridge")) tryRun("ip", "link", "del", st.getProperty("bridge"));
        if (st.containsKey("ip_forward")) tryRun("sysctl", "-q", "-w", "net.ipv4.ip_forward=" + st.getProperty("ip_forward"));
        Files.delete(stFile);
    }

    /** The PID of the dnsmasq serving the bridge, from its PID file. */
    public Optional<Long> dnsmasqPid() throws IOException {
        Path pid = stateDir.resolve("dnsmasq-" + config.bridge() + ".pid");
        if (!Files.exists(pid)) return Optional.empty();
        String s = Files.readString(pid).strip();
        return s.matches("\\d+") ? Optional.of(Long.parseLong(s)) : Optional.empty();
    }

    /** The leases dnsmasq gave: address by MAC. */
    public Map<String, String> leases() throws IOException {
        Path f = stateDir.resolve(config.bridge() + ".leases");
        Map<String, String> out = new java.util.TreeMap<>();
        if (!Files.exists(f)) return out;
        for (String line : Files.readAllLines(f)) {
            String[] w = line.split(" ");
            if (w.length >= 3) out.put(w[1], w[2]);
        }
        return out;
    }

    /** What {@link #up()} changed, kept so that {@link #down()} undoes exactly that. */
    private Properties state() throws IOException {
        Properties st = new Properties();
        Path f = stateDir.resolve(config.bridge() + ".state");
        if (Files.exists(f)) try (var in = Files.newBufferedReader(f)) { st.load(in); }
        return st;
    }

    private void save(Properties st) throws IOException {
        try (var out = Files.newBufferedWriter(stateDir.resolve(config.bridge() + ".state"))) { st.store(out, null); }
    }

    private String run(String... cmd) {
        List<String> c = new ArrayList<>(prefix);
        c.addAll(List.of(cmd));
        return Cmd.run(c, 60);
    }

    private void nft(String ruleset) throws IOException {
        Path f = Files.createTempFile(stateDir, "nft", ".conf");
        try {
            Files.writeString(f, ruleset);
            run("nft", "-f", f.toString());
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private void tryRun(String... cmd) {
        try {
            run(cmd);
        } catch (IllegalStateException ignored) {
            // already gone
        }
    }

    /** IPv4 arithmetic for the configuration. */
    static final class Ipv4 {
        static long parse(String ip) {
            String[] p = ip.split("\\.");
            if (p.length != 4) throw new IllegalArgumentException("invalid IPv4 address '" + ip + "'");
            long v = 0;
            for (String x : p) {
                int n = Integer.parseInt(x);
                if (n < 0 || n > 255) throw new IllegalArgumentException("invalid IPv4 address '" + ip + "'");
                v = (v << 8) | n;
            }
            return v;
        }

        static String format(long v) {
            return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
        }

        static int bits(String cidr) {
            int i = cidr.indexOf('/');
            if (i < 0) throw new IllegalArgumentException("'" + cidr + "' has no prefix length");
            int b = Integer.parseInt(cidr.substring(i + 1));
            if (b < 1 || b > 30) throw new IllegalArgumentException("prefix length of '" + cidr + "' must be 1 to 30");
            return b;
        }

        static String network(String cidr) {
            int b = bits(cidr);
            long mask = (0xffffffffL << (32 - b)) & 0xffffffffL;
            return format(parse(cidr.substring(0, cidr.indexOf('/'))) & mask) + "/" + b;
        }

        static String mask(String cidr) {
            return format((0xffffffffL << (32 - bits(cidr))) & 0xffffffffL);
        }
    }
}
