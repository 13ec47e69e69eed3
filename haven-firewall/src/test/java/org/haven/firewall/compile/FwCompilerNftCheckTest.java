package org.haven.firewall.compile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.haven.firewall.config.FwFile;
import org.haven.firewall.config.FwRule;
import org.haven.firewall.config.RandomFw;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Seeded random configurations always compile to a ruleset that {@code nft -c} accepts. */
@RealTest
class FwCompilerNftCheckTest {
    static Netns ns;

    @BeforeAll
    static void setUp() {
        Tools.requireRoot("network namespaces and nftables");
        Tools.require("nftables", "nft");
        Tools.require("iproute2", "ip");
        ns = new Netns("hfw-check");
    }

    @AfterAll
    static void tearDown() {
        if (ns != null) ns.close();
    }

    static FwCompiler.Input randomInput(long seed, int guests) {
        RandomFw g = new RandomFw(seed);
        FwFile cluster = FwFile.empty(FwFile.Kind.CLUSTER);
        cluster.setOption("enable", "1");
        if (g.random().nextBoolean()) cluster.setOption("policy_in", g.pick(List.of("ACCEPT", "DROP", "REJECT")));
        if (g.random().nextBoolean()) cluster.setOption("policy_out", g.pick(List.of("ACCEPT", "DROP", "REJECT")));
        if (g.random().nextBoolean()) cluster.setOption("policy_forward", g.pick(List.of("ACCEPT", "DROP")));
        if (g.random().nextBoolean()) cluster.setOption("log_ratelimit", g.pick(List.of("enable=0", "enable=1,rate=10/minute,burst=3")));
        List<String> aliases = new ArrayList<>();
        List<FwFile.Alias> al = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            aliases.add("al" + i);
            al.add(new FwFile.Alias("al" + i, g.random().nextBoolean() ? g.v4() : g.v6(), null));
        }
        cluster.setAliases(al);
        List<String> sets = new ArrayList<>(List.of("management", "blacklist"));
        for (String s : List.of("management", "blacklist", "s1", "s2")) {
            cluster.createIpset(s, null);
            List<FwFile.IpEntry> es = new ArrayList<>();
            for (int j = g.random().nextInt(4); j > 0; j--)
                es.add(new FwFile.IpEntry(g.random().nextInt(5) == 0 ? g.pick(aliases) : g.random().nextBoolean() ? g.v4() : g.v6(), g.random().nextInt(4) == 0, null));
            cluster.setIpset(s, es);
            if (!sets.contains(s)) sets.add(s);
        }
        List<String> groups = List.of("g1", "g2");
        for (String n : groups) {
            cluster.createGroup(n, null);
            List<FwRule> rs = new ArrayList<>();
            for (int j = g.random().nextInt(4); j > 0; j--) rs.add(g.rule(true, aliases, sets, List.of()));
            cluster.setGroupRules(n, rs);
        }
        List<FwRule> crules = new ArrayList<>();
        for (int i = g.random().nextInt(10); i > 0; i--) crules.add(g.rule(false, aliases, sets, List.of()));
        cluster.setRules(crules);
        FwFile host = FwFile.empty(FwFile.Kind.HOST);
        for (String o : List.of("nosmurfs", "tcpflags", "ndp", "nf_conntrack_allow_invalid", "protection_synflood")) if (g.random().nextBoolean()) host.setOption(o, g.random().nextBoolean() ? "1" : "0");
        if (g.random().nextBoolean()) host.setOption("protection_synflood_rate", Integer.toString(1 + g.random().nextInt(1000)));
        if (g.random().nextBoolean()) {
            List<String> helpers = new ArrayList<>(List.of("amanda", "ftp", "irc", "netbios-ns", "pptp", "sane", "sip", "snmp", "tftp"));
            java.util.Collections.shuffle(helpers, g.random());
            host.setOption("nf_conntrack_helpers", String.join(",", helpers.subList(0, 1 + g.random().nextInt(helpers.size()))));
        }
        for (String o : List.of("log_level_in", "log_level_out", "log_level_forward", "smurf_log_level", "tcp_flags_log_level")) if (g.random().nextBoolean()) host.setOption(o, g.pick(List.of("info", "warning", "nolog", "debug")));
        List<FwRule> hrules = new ArrayList<>();
        for (int i = g.random().nextInt(6); i > 0; i--) hrules.add(g.rule(false, aliases, sets, List.of()));
        host.setRules(hrules);
        List<FwCompiler.Guest> gs = new ArrayList<>();
        for (int vmid = 100; vmid < 100 + guests; vmid++) {
            FwFile fw = FwFile.empty(FwFile.Kind.GUEST);
            fw.setOption("enable", "1");
            for (String o : List.of("dhcp", "ipfilter", "macfilter", "ndp", "radv")) if (g.random().nextBoolean()) fw.setOption(o, g.random().nextBoolean() ? "1" : "0");
            for (String o : List.of("policy_in", "policy_out")) if (g.random().nextBoolean()) fw.setOption(o, g.pick(List.of("ACCEPT", "DROP", "REJECT")));
            if (g.random().nextBoolean()) fw.setOption("log_level_in", "info");
            List<String> gsets = new ArrayList<>(sets);
            if (g.random().nextBoolean()) {
                fw.createIpset("ipfilter-net0", null);
                fw.setIpset("ipfilter-net0", List.of(new FwFile.IpEntry(g.v4(), false, null), new FwFile.IpEntry(g.v6(), false, null)));
                gsets.add("guest/ipfilter-net0");
            }
            List<FwRule> rs = new ArrayList<>();
            for (int i = g.random().nextInt(8); i > 0; i--) rs.add(g.rule(true, aliases, gsets, groups));
            fw.setRules(rs);
            List<FwCompiler.Nic> nics = new ArrayList<>();
            for (int n = 0; n <= g.random().nextInt(2); n++)
                nics.add(new FwCompiler.Nic(n, String.format("02:00:00:00:%02x:%02x", vmid % 256, n), "vmbr0", g.random().nextInt(4) != 0,
                        g.random().nextBoolean() ? List.of(g.v4() + "/24") : List.of()));
            gs.add(new FwCompiler.Guest(vmid, g.random().nextBoolean(), FwFile.parse(FwFile.Kind.GUEST, fw.write()), nics));
        }
        java.util.Map<String, FwFile> vnets = new java.util.TreeMap<>();
        for (String name : List.of("vnet1", "vnet2")) {
            FwFile fw = FwFile.empty(FwFile.Kind.VNET);
            fw.setOption("enable", g.random().nextInt(4) == 0 ? "0" : "1");
            if (g.random().nextBoolean()) fw.setOption("policy_forward", g.pick(List.of("ACCEPT", "DROP")));
            if (g.random().nextBoolean()) fw.setOption("log_level_forward", g.pick(List.of("info", "nolog")));
            List<FwRule> rs = new ArrayList<>();
            for (int i = g.random().nextInt(6); i > 0; i--) rs.add(g.rule("forward", false, aliases, sets, groups));
            fw.setRules(rs);
            vnets.put(name, FwFile.parse(FwFile.Kind.VNET, fw.write()));
        }
        return new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, cluster.write()), FwFile.parse(FwFile.Kind.HOST, host.write()),
                gs, List.of("192.168.0.11", "fd00::11"), g.random().nextBoolean() ? "192.168.0.0/24" : null).withVnets(vnets);
    }

    @Test
    void randomConfigurationsAlwaysLoad() {
        for (long seed = 1; seed <= 40; seed++) {
            FwCompiler.Output out = FwCompiler.compile(randomInput(seed * 7907, (int) (seed % 4)));
            assertThat(out.warnings()).as("seed %d", seed).isEmpty();
            Netns.Result r = ns.tryExec(out.text(), "nft", "-c", "-f", "-");
            assertThat(r.code()).as("seed %d: %s\n%s", seed, r.output(), out.text()).isZero();
        }
    }
}
