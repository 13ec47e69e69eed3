package org.haven.firewall.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** Seeded random files: model → text → model is the identity, and text → model → text is byte for byte. */
class FwFileRoundTripTest {

    @RepeatedTest(200)
    void randomModelRoundTrips(RepetitionInfo info) {
        long seed = 0xF1AEL * info.getCurrentRepetition();
        RandomFw g = new RandomFw(seed);
        FwFile f = FwFile.empty(FwFile.Kind.CLUSTER);
        List<String> aliases = new ArrayList<>();
        List<FwFile.Alias> aliasList = new ArrayList<>();
        for (int i = g.random().nextInt(4); i > 0; i--) {
            String n = g.name("al");
            if (aliases.contains(n)) continue;
            aliases.add(n);
            aliasList.add(new FwFile.Alias(n, g.random().nextBoolean() ? g.v4() : g.v6() + "/64", g.random().nextBoolean() ? "c" + i : null));
        }
        f.setAliases(aliasList);
        List<String> sets = new ArrayList<>();
        for (int i = g.random().nextInt(3); i > 0; i--) {
            String n = g.name("set");
            sets.add(n);
            f.createIpset(n, g.random().nextBoolean() ? "set comment" : null);
            List<FwFile.IpEntry> es = new ArrayList<>();
            for (int j = g.random().nextInt(4); j > 0; j--) es.add(new FwFile.IpEntry(g.v4(), g.random().nextInt(4) == 0, null));
            f.setIpset(n, es);
        }
        List<String> groups = new ArrayList<>();
        for (int i = g.random().nextInt(3); i > 0; i--) {
            String n = g.name("grp");
            groups.add(n);
            f.createGroup(n, null);
            List<FwRule> rs = new ArrayList<>();
            for (int j = g.random().nextInt(4); j > 0; j--) rs.add(g.rule(false, aliases, sets, List.of()));
            f.setGroupRules(n, rs);
        }
        List<FwRule> rules = new ArrayList<>();
        for (int i = g.random().nextInt(12); i > 0; i--) rules.add(g.rule(false, aliases, sets, groups));
        f.setRules(rules);
        if (g.random().nextBoolean()) f.setOption("enable", "1");
        if (g.random().nextBoolean()) f.setOption("policy_in", g.pick(List.of("ACCEPT", "DROP", "REJECT")));

        String text = f.write();
        FwFile back = FwFile.parse(FwFile.Kind.CLUSTER, text);
        assertThat(back.errors()).as("seed %d:\n%s", seed, text).isEmpty();
        assertThat(back.rules()).isEqualTo(rules);
        assertThat(back.aliases()).isEqualTo(aliasList);
        assertThat(back.options()).isEqualTo(f.options());
        for (String s : back.ipsetNames()) assertThat(back.ipset(s)).isEqualTo(f.ipset(s));
        for (String n : groups) assertThat(back.groupRules(n)).isEqualTo(f.groupRules(n));
        assertThat(back.write()).isEqualTo(text);
    }

    @RepeatedTest(200)
    void randomTextIsWrittenBackByteForByte(RepetitionInfo info) {
        RandomFw g = new RandomFw(7919L * info.getCurrentRepetition());
        List<String> pieces = List.of("[OPTIONS]", "[RULES]", "[ALIASES]", "[IPSET s1] # x", "[group g1]", "[bad", "",
                "   ", "# comment", "enable: 1", "enable:1  ", "policy_in: FOO", "IN ACCEPT", "  OUT DROP -p tcp -dport 22 #c",
                "|IN SSH(ACCEPT)", "x y z", "a1 10.0.0.1", "!10.0.0.0/8 # n", "IN ACCEPT -p tcp -dport 1:2:3", "\t", "\r",
                "GROUP g1", "IN ACCEPT -source 1.2.3.4-1.2.3.1", "[RULES] trailing");
        StringBuilder sb = new StringBuilder();
        for (int i = g.random().nextInt(30); i > 0; i--) sb.append(g.pick(pieces)).append(g.random().nextInt(10) == 0 ? "\r\n" : "\n");
        if (g.random().nextBoolean() && !sb.isEmpty()) sb.setLength(sb.length() - 1);
        String text = sb.toString();
        for (FwFile.Kind k : FwFile.Kind.values()) assertThat(FwFile.parse(k, text).write()).isEqualTo(text);
    }
}
