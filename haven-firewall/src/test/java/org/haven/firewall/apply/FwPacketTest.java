package org.haven.firewall.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.haven.firewall.compile.Simulator;
import org.haven.firewall.log.FwLog;
import org.haven.firewall.log.KmsgLogger;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real packets through the compiled and loaded ruleset: a bridge in namespace {@code host} with a VM (100) and a
 * container (101) plugged like guest NICs and an outside namespace on the uplink. The configuration comes from a
 * cluster file system, as on a node, and {@link FirewallService} compiles and loads it into the host namespace.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RealTest
class FwPacketTest {
    static PacketLab lab;
    static LocalClusterFs cfs;
    static FirewallService service;
    static NftApplier applier;
    static Path dir;

    static final String CLUSTER = """
            [OPTIONS]
            enable: 1

            [IPSET management]
            10.77.0.200

            [RULES]
            IN ACCEPT -p tcp -dport 80
            OUT DROP -p tcp -dport 80 -dest 10.77.0.101
            """;
    static final String VM100 = """
            [OPTIONS]
            enable: 1

            [RULES]
            IN HTTP(ACCEPT)
            IN ACCEPT -p udp -dport 53 -source 10.77.0.200
            IN REJECT -p tcp -dport 3306
            IN Ping(ACCEPT)
            """;
    static final String CT101 = """
            [OPTIONS]
            enable: 1
            ipfilter: 1

            [RULES]
            OUT DROP -p tcp -dport 8006
            OUT DROP -p tcp -dport 80 -dest 10.77.0.1
            IN ACCEPT -p tcp -dport 80
            """;

    @BeforeAll
    static void setUp() throws Exception {
        Tools.requireRoot("network namespaces and nftables");
        Tools.require("nftables", "nft");
        Tools.require("iproute2", "ip");
        Tools.require("python3", "python3");
        lab = new PacketLab();
        lab.plug("vm100", "tap100i0", "02:00:00:00:01:00", "10.77.0.100/24");
        lab.plug("ct101", "veth101i0", "02:00:00:00:01:01", "10.77.0.101/24");
        lab.plug("out", "uplink", "02:00:00:00:02:00", "10.77.0.200/24");
        lab.host.exec("ip", "-6", "addr", "add", "fd77::1/64", "dev", "vmbr0", "nodad");
        for (String[] a : new String[][]{{"vm100", "fd77::100"}, {"ct101", "fd77::101"}, {"out", "fd77::200"}}) {
            lab.ns(a[0]).exec("ip", "-6", "addr", "add", a[1] + "/64", "dev", "eth0", "nodad");
        }
        lab.serve("vm100", "tcp:22,80,3306", "udp:53");
        lab.serve("ct101", "tcp:80");
        lab.serve("out", "tcp:22,80,8006");
        lab.serve("host", "tcp:80,3306,8006");
        dir = Files.createTempDirectory("fwcfs");
        cfs = new LocalClusterFs(dir, "n1");
        for (String d : List.of("firewall", "nodes/n1/qemu-server", "nodes/n1/lxc")) cfs.mkdirs(d);
        cfs.writeString("nodes/n1/qemu-server/100.conf", "memory: 512\nnet0: virtio=02:00:00:00:01:00,bridge=vmbr0,firewall=1\n");
        cfs.writeString("nodes/n1/lxc/101.conf", "net0: name=eth0,bridge=vmbr0,hwaddr=02:00:00:00:01:01,ip=10.77.0.101/24,firewall=1,type=veth\n");
        cfs.writeString("firewall/cluster.fw", CLUSTER);
        cfs.writeString("firewall/100.fw", VM100);
        cfs.writeString("firewall/101.fw", CT101);
        applier = NftApplier.local(lab.host.prefix());
        service = new FirewallService(cfs, "n1", GuestNics.fromCfs(cfs), List::of, applier, Duration.ofMinutes(10));
        assertThat(service.update().ok()).isTrue();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (service != null) service.close();
        if (lab != null) lab.close();
        if (dir != null) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Order(1)
    @ParameterizedTest(name = "{0} {1} {2}:{3} -> {4}")
    @CsvSource({
            "out,   tcp,  10.77.0.100, 80,   ACCEPT",
            "out,   tcp,  10.77.0.100, 22,   DROP",
            "out,   tcp,  10.77.0.100, 3306, REJECT",
            "out,   udp,  10.77.0.100, 53,   ACCEPT",
            "ct101, udp,  10.77.0.100, 53,   DROP",
            "out,   icmp, 10.77.0.100, 0,    ACCEPT",
            "out,   icmp, 10.77.0.101, 0,    DROP",
            "vm100, tcp,  10.77.0.200, 22,   ACCEPT",
            "vm100, tcp,  10.77.0.101, 80,   ACCEPT",
            "ct101, tcp,  10.77.0.200, 8006, DROP",
            "ct101, tcp,  10.77.0.200, 80,   ACCEPT",
            "out,   tcp,  10.77.0.1,   8006, ACCEPT",
            "vm100, tcp,  10.77.0.1,   8006, DROP",
            "out,   tcp,  10.77.0.1,   80,   ACCEPT",
            "out,   tcp,  10.77.0.1,   3306, DROP",
            // host to guest: the host's OUT rules, then the guest's IN rules (a REJECT drops here, see the README)
            "host,  tcp,  10.77.0.100, 80,   ACCEPT",
            "host,  tcp,  10.77.0.100, 22,   DROP",
            "host,  tcp,  10.77.0.100, 3306, DROP",
            "host,  udp,  10.77.0.100, 53,   DROP",
            "host,  icmp, 10.77.0.100, 0,    ACCEPT",
            "host,  icmp, 10.77.0.101, 0,    DROP",
            "host,  tcp,  10.77.0.101, 80,   DROP",
            "out,   tcp,  10.77.0.101, 80,   ACCEPT",
            // guest to host: the guest's OUT rules, then the host's IN rules
            "ct101, tcp,  10.77.0.1,   80,   DROP",
            "vm100, tcp,  10.77.0.1,   80,   ACCEPT",
            "vm100, tcp,  10.77.0.1,   3306, DROP",
    })
    void trafficFollowsTheRulesAndTheSimulatorAgrees(String from, String proto, String to, int port, String expected) {
        assertThat(lab.probe(from, proto, to, port)).isEqualTo(expected);
        Simulator sim = new Simulator(service.compile().tables());
        Simulator.Result r = sim.simulate(new Simulator.Packet(zone(from), zoneOf(to), proto, ipOf(from), to,
                proto.equals("icmp") ? null : 40000, proto.equals("icmp") ? null : port, null, "new", "vmbr0"));
        assertThat(r.action()).as("simulated: %s", r.trace()).isEqualTo(expected);
    }

    @Order(1)
    @ParameterizedTest(name = "IPv6 {0} {1} {2}:{3} -> {4}")
    @CsvSource({
            "out,   tcp, fd77::100, 80,   ACCEPT",
            "out,   tcp, fd77::100, 22,   DROP",
            "out,   tcp, fd77::100, 3306, REJECT",
            "out,   udp, fd77::100, 53,   DROP",
            "vm100, tcp, fd77::200, 22,   ACCEPT",
            "vm100, tcp, fd77::101, 80,   DROP",
            "ct101, tcp, fd77::200, 80,   DROP",
    })
    void ipv6FollowsTheSameRules(String from, String proto, String to, int port, String expected) {
        // the rules name no address family except the DNS rule's IPv4 source; container 101 has ipfilter and
        // only an IPv4 address configured, so every packet it sends from its IPv6 address is dropped (its answers too)
        assertThat(lab.probe(from, proto, to, port)).isEqualTo(expected);
    }

    static final Map<String, String[]> ZONES = Map.of(
            "vm100", new String[]{"tap100i0", "02:00:00:00:01:00", "10.77.0.100"},
            "ct101", new String[]{"veth101i0", "02:00:00:00:01:01", "10.77.0.101"},
            "out", new String[]{null, null, "10.77.0.200"},
            "host", new String[]{null, null, "10.77.0.1"});

    static Simulator.Zone zone(String name) {
        if (name.equals("host")) return Simulator.Zone.host();
        if (name.equals("out")) return Simulator.Zone.outside();
        return new Simulator.Zone(name, ZONES.get(name)[0], ZONES.get(name)[1]);
    }

    static Simulator.Zone zoneOf(String ip) {
        for (var e : ZONES.entrySet()) if (e.getValue()[2].equals(ip)) return zone(e.getKey());
        throw new IllegalArgumentException(ip);
    }

    static String ipOf(String zone) { return ZONES.get(zone)[2]; }

    @Order(2)
    @Test
    void ipSpoofingIsDroppedWhereIpfilterIsOn() {
        lab.ns("ct101").exec("ip", "addr", "add", "10.77.0.150/24", "dev", "eth0");
        lab.ns("vm100").exec("ip", "addr", "add", "10.77.0.151/24", "dev", "eth0");
        try {
            assertThat(lab.probe("ct101", "tcp", "10.77.0.200", 80, "10.77.0.150")).isEqualTo("DROP");
            assertThat(lab.probe("ct101", "tcp", "10.77.0.200", 80, "10.77.0.101")).isEqualTo("ACCEPT");
            // VM 100 has no ipfilter: the same spoofed source gets through
            assertThat(lab.probe("vm100", "tcp", "10.77.0.200", 80, "10.77.0.151")).isEqualTo("ACCEPT");
            Simulator sim = new Simulator(service.compile().tables());
            assertThat(sim.simulate(new Simulator.Packet(zone("ct101"), zone("out"), "tcp", "10.77.0.150", "10.77.0.200", 40000, 80, null, "new", null)).action()).isEqualTo("DROP");
            assertThat(sim.simulate(new Simulator.Packet(zone("vm100"), zone("out"), "tcp", "10.77.0.151", "10.77.0.200", 40000, 80, null, "new", null)).action()).isEqualTo("ACCEPT");
        } finally {
            lab.ns("ct101").exec("ip", "addr", "del", "10.77.0.150/24", "dev", "eth0");
            lab.ns("vm100").exec("ip", "addr", "del", "10.77.0.151/24", "dev", "eth0");
        }
    }

    @Order(3)
    @Test
    void macSpoofingIsDropped() {
        lab.ns("vm100").exec("ip", "link", "set", "eth0", "address", "02:00:00:00:09:09");
        try {
            lab.ns("out").exec("ip", "neigh", "flush", "all");
            assertThat(lab.probe("vm100", "tcp", "10.77.0.200", 80)).isEqualTo("DROP");
            Simulator.Zone spoofed = new Simulator.Zone("vm100", "tap100i0", "02:00:00:00:09:09");
            assertThat(new Simulator(service.compile().tables()).simulate(new Simulator.Packet(spoofed, zone("out"), "tcp",
                    "10.77.0.100", "10.77.0.200", 40000, 80, null, "new", null)).action()).isEqualTo("DROP");
        } finally {
            lab.ns("vm100").exec("ip", "link", "set", "eth0", "address", "02:00:00:00:01:00");
            lab.ns("out").exec("ip", "neigh", "flush", "all");
            lab.ns("vm100").exec("ip", "neigh", "flush", "all");
        }
        assertThat(lab.probe("vm100", "tcp", "10.77.0.200", 80)).isEqualTo("ACCEPT");
    }

    @Order(4)
    @Test
    void reloadKeepsEstablishedConnectionsAndFailedLoadKeepsRules() throws Exception {
        try (PacketLab.Held conn = lab.new Held("out", "10.77.0.100", 80)) {
            assertThat(conn.send("one")).isEqualTo("ACCEPT");
            // the new rules no longer allow new connections to port 80, established ones go on
            cfs.writeString("firewall/100.fw", VM100.replace("IN HTTP(ACCEPT)", "IN HTTP(DROP)"));
            assertThat(service.update().message()).isEqualTo("applied");
            assertThat(conn.send("two")).isEqualTo("ACCEPT");
            assertThat(lab.probe("out", "tcp", "10.77.0.100", 80)).isEqualTo("DROP");
            String before = applier.list().message();
            NftApplier.Result bad = applier.apply("table inet haven-fw\ndelete table inet haven-fw\ntable inet haven-fw { chain x { nonsense } }\n", false);
            assertThat(bad.ok()).isFalse();
            assertThat(applier.list().message()).isEqualTo(before);
            assertThat(conn.send("three")).isEqualTo("ACCEPT");
            // the tables removed behind the service's back are loaded again even though the configuration is unchanged
            lab.host.exec("nft", "delete", "table", "inet", "haven-fw");
            assertThat(service.update().message()).isEqualTo("applied");
            assertThat(service.update().message()).isEqualTo("unchanged");
        } finally {
            cfs.writeString("firewall/100.fw", VM100);
            assertThat(service.update().ok()).isTrue();
        }
        assertThat(lab.probe("out", "tcp", "10.77.0.100", 80)).isEqualTo("ACCEPT");
    }

    @Order(5)
    @Test
    void changesInTheClusterFileSystemAreLoadedWithoutACall() throws Exception {
        service.start();
        try {
            cfs.writeString("firewall/100.fw", VM100.replace("enable: 1", "enable: 1\npolicy_in: ACCEPT"));
            waitFor(() -> lab.probe("out", "tcp", "10.77.0.100", 22).equals("ACCEPT"));
            cfs.writeString("nodes/n1/qemu-server/100.conf", "net0: virtio=02:00:00:00:01:00,bridge=vmbr0\n");
            cfs.writeString("firewall/100.fw", VM100);
            waitFor(() -> lab.probe("out", "tcp", "10.77.0.100", 22).equals("ACCEPT") && !applier.applied().contains("tap100i0"));
        } finally {
            service.close();
            cfs.writeString("nodes/n1/qemu-server/100.conf", "net0: virtio=02:00:00:00:01:00,bridge=vmbr0,firewall=1\n");
            cfs.writeString("firewall/100.fw", VM100);
            assertThat(service.update().ok()).isTrue();
        }
        assertThat(lab.probe("out", "tcp", "10.77.0.100", 22)).isEqualTo("DROP");
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("condition not reached within 15 s");
            Thread.sleep(200);
        }
    }

    @Order(5)
    @Test
    void loggedPacketsReachTheFirewallLog() throws Exception {
        Path allNetns = Path.of("/proc/sys/net/netfilter/nf_log_all_netns");
        Tools.requireFile(allNetns, "the kernel's netfilter logging (linux-image-cloud-amd64)");
        String old = Files.readString(allNetns).strip();
        Path log = dir.resolve("pve-firewall.log");
        cfs.writeString("firewall/100.fw", VM100 + "IN DROP -p tcp -dport 2222 -log info\n");
        assertThat(service.update().ok()).isTrue();
        Files.writeString(allNetns, "1");
        try (KmsgLogger logger = KmsgLogger.system(log)) {
            logger.start();
            long since = System.currentTimeMillis() / 1000;
            assertThat(lab.probe("out", "tcp", "10.77.0.100", 2222)).isEqualTo("DROP");
            String line = null;
            for (int i = 0; i < 100 && line == null; i++) {
                line = Files.readAllLines(log).stream().filter(l -> l.contains("DPT=2222")).findFirst().orElse(null);
                if (line == null) Thread.sleep(100);
            }
            assertThat(line).as("firewall log %s", Files.readString(log)).isNotNull()
                    .matches("^100 6 \\S+ \\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4} DROP: .*SRC=10\\.77\\.0\\.200 DST=10\\.77\\.0\\.100 .*PROTO=TCP .*DPT=2222.*");
            assertThat(Files.readAllLines(log).get(0)).matches("^0 5 - .* starting pvefw logger$");
            long until = System.currentTimeMillis() / 1000 + 1;
            assertThat(FwLog.filter(100, since, until).test(line)).isTrue();
            assertThat(FwLog.filter(101, null, null).test(line)).isFalse();
            assertThat(FwLog.filter(null, until + 10, null).test(line)).isFalse();
        } finally {
            Files.writeString(allNetns, old);
            cfs.writeString("firewall/100.fw", VM100);
            service.update();
        }
    }


    @Order(6)
    @Test
    void hostOptionsProtectFromSynfloodAndTuneConnectionTracking() throws Exception {
        cfs.writeString("nodes/n1/host.fw", "[OPTIONS]\nprotection_synflood: 1\nprotection_synflood_rate: 1\nprotection_synflood_burst: 2\n"
                + "nf_conntrack_tcp_timeout_established: 86400\n");
        try {
            assertThat(service.update().ok()).isTrue();
            // the connection-tracking setting of host.fw is the namespace's kernel setting now
            assertThat(lab.host.exec("sysctl", "-n", "net.netfilter.nf_conntrack_tcp_timeout_established").strip()).isEqualTo("86400");
            // eight new connections to the host's open port 80 as fast as they go: the first pass, later ones are
            // dropped once the source is over 1/s beyond the burst
            String out = lab.ns("out").exec("bash", "-c",
                    "for i in 1 2 3 4 5 6 7 8; do timeout 1 bash -c '</dev/tcp/10.77.0.1/80' 2>/dev/null && echo ok || echo no; done");
            List<String> results = out.lines().toList();
            assertThat(results).hasSize(8);
            assertThat(results.get(0)).isEqualTo("ok");
            assertThat(results).contains("no");
        } finally {
            cfs.delete("nodes/n1/host.fw");
            service.update();
        }
        assertThat(lab.probe("out", "tcp", "10.77.0.1", 80)).isEqualTo("ACCEPT");
    }

    @Order(8)
    @Test
    void forwardRulesFilterWhatTheHostRoutesAndAVnetWhatItBridges() throws Exception {
        // namespace wan (10.78.0.2) reaches the bridge's network only through the host, which routes
        lab.routed("wan", "eth1", "10.78.0.1/24", "10.78.0.2/24");
        for (String n : List.of("out", "vm100")) lab.ns(n).exec("ip", "route", "add", "10.78.0.0/24", "via", "10.77.0.1");
        lab.serve("wan", "tcp:22,80");
        try {
            assertThat(lab.probe("wan", "tcp", "10.77.0.200", 22)).as("routed, no forward rules").isEqualTo("ACCEPT");
            cfs.writeString("firewall/cluster.fw", CLUSTER.replace("enable: 1", "enable: 1\npolicy_forward: DROP")
                    + "FORWARD ACCEPT -p tcp -dport 80 -dest 10.77.0.0/24\n");
            assertThat(service.update().ok()).isTrue();
            assertThat(lab.probe("wan", "tcp", "10.77.0.200", 80)).isEqualTo("ACCEPT");
            assertThat(lab.probe("wan", "tcp", "10.77.0.200", 22)).isEqualTo("DROP");
            assertThat(lab.probe("out", "tcp", "10.78.0.2", 80)).as("the rule's dest is the bridge's network").isEqualTo("DROP");
            assertThat(lab.probe("wan", "tcp", "10.77.0.100", 80)).as("routed to a guest: the forward rules, then its IN rules").isEqualTo("ACCEPT");
            assertThat(lab.probe("wan", "tcp", "10.77.0.100", 22)).isEqualTo("DROP");
            // bridged traffic is not the host's to forward: policy_forward DROP leaves it alone
            assertThat(lab.probe("vm100", "tcp", "10.77.0.200", 22)).isEqualTo("ACCEPT");
            assertThat(lab.probe("out", "tcp", "10.77.0.101", 80)).isEqualTo("ACCEPT");

            // the bridge as a vnet with its firewall on: only web traffic is bridged through it
            cfs.mkdirs("sdn/firewall");
            cfs.writeString("sdn/vnets.cfg", "vnet: vmbr0\n\tzone z1\n");
            cfs.writeString("sdn/firewall/vmbr0.fw", "[OPTIONS]\nenable: 1\npolicy_forward: DROP\n\n[RULES]\nFORWARD ACCEPT -p tcp -dport 80\n");
            assertThat(service.update().ok()).isTrue();
            for (String[] c : new String[][]{{"vm100", "10.77.0.200", "22", "DROP"}, {"vm100", "10.77.0.200", "80", "ACCEPT"},
                    {"out", "10.77.0.101", "80", "ACCEPT"}, {"out", "10.77.0.100", "3306", "DROP"}, {"wan", "10.77.0.200", "80", "ACCEPT"}}) {
                assertThat(lab.probe(c[0], "tcp", c[1], Integer.parseInt(c[2]))).as("%s -> %s:%s", c[0], c[1], c[2]).isEqualTo(c[3]);
                if (c[0].equals("wan")) continue;
                Simulator.Result r = new Simulator(service.compile().tables()).simulate(new Simulator.Packet(zone(c[0]), zoneOf(c[1]), "tcp",
                        ipOf(c[0]), c[1], 40000, Integer.parseInt(c[2]), null, "new", "vmbr0"));
                assertThat(r.action()).as("simulated %s -> %s:%s: %s", c[0], c[1], c[2], r.trace()).isEqualTo(c[3]);
            }
        } finally {
            cfs.delete("sdn/firewall/vmbr0.fw");
            cfs.delete("sdn/vnets.cfg");
            cfs.writeString("firewall/cluster.fw", CLUSTER);
            service.update();
        }
        assertThat(lab.probe("vm100", "tcp", "10.77.0.200", 22)).isEqualTo("ACCEPT");
    }

    @Order(7)
    @Test
    void conntrackHelperLetsTheAnnouncedDataConnectionIn() throws Exception {
        // the host allows only the FTP control port; the passive data port is let in only as a related connection
        lab.serveFtp("host", "10.77.0.1", 40021);
        cfs.writeString("nodes/n1/host.fw", "[RULES]\nIN FTP(ACCEPT)\n");
        try {
            assertThat(service.update().ok()).isTrue();
            assertThat(lab.probe("out", "ftp", "10.77.0.1", 21)).isEqualTo("DROP");
            cfs.writeString("nodes/n1/host.fw", "[OPTIONS]\nnf_conntrack_helpers: ftp\n\n[RULES]\nIN FTP(ACCEPT)\n");
            assertThat(service.update().ok()).isTrue();
            assertThat(lab.probe("out", "ftp", "10.77.0.1", 21)).isEqualTo("ACCEPT");
            assertThat(lab.probe("out", "tcp", "10.77.0.1", 40021)).as("the data port without the control connection").isEqualTo("DROP");
        } finally {
            cfs.delete("nodes/n1/host.fw");
            service.update();
        }
    }
}
