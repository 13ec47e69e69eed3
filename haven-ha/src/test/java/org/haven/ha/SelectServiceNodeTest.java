package org.haven.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.ha.usage.BasicUsage;
import org.junit.jupiter.api.Test;

class SelectServiceNodeTest {
    private final StubEnv env = new StubEnv();

    private BasicUsage usage(String... nodeCounts) {
        BasicUsage u = new BasicUsage(env);
        for (String nc : nodeCounts) {
            String[] p = nc.split("=");
            u.addNode(p[0]);
            int n = p.length > 1 ? Integer.parseInt(p[1]) : 0;
            for (int i = 0; i < n; i++) u.addServiceUsageToNode(p[0], "vm:" + i, p[0], null);
        }
        return u;
    }

    private static ServiceConfig cd(String group) {
        return new ServiceConfig("vm:1", "vm", "1", "n1", "started", group, 1, 1, true, null);
    }

    private static Map<String, Group> groups(String text) { return HaConfig.parseGroups(text); }

    private String select(Map<String, Group> g, BasicUsage u, String group, String current, boolean tryNext,
                          List<String> tried, String maintenance) {
        return Manager.selectServiceNode(g, u, "vm:1", cd(group), current, tryNext, tried, maintenance, false);
    }

    @Test
    void table() {
        Map<String, Group> g = groups("""
            group: pri
            \tnodes n1:1,n2:3,n3:3

            group: restricted
            \tnodes n2
            \trestricted 1

            group: sticky
            \tnodes n1:2,n2:1
            \tnofailback 1

            group: loose
            \tnodes n3

            """);
        record Row(String group, String usage, String current, boolean tryNext, List<String> tried, String maint, String expected) {}
        List<Row> rows = List.of(
            // no group: stay where we are
            new Row(null, "n1=5,n2,n3", "n1", false, null, null, "n1"),
            // no group, current node gone: least loaded, then by name
            new Row(null, "n2=2,n3=1", "n1", false, null, null, "n3"),
            new Row(null, "n2=1,n3=1", "n1", false, null, null, "n2"),
            // priorities: highest priority class wins, least loaded inside it
            new Row("pri", "n1,n2=4,n3=1", "n1", false, null, null, "n3"),
            new Row("pri", "n1,n2=1,n3=1", "n2", false, null, null, "n2"),
            new Row("pri", "n1,n3", "n2", false, null, null, "n3"),
            new Row("pri", "n1", "n2", false, null, null, "n1"),
            // restricted: only members, nothing when they are gone
            new Row("restricted", "n1,n3", "n2", false, null, null, null),
            new Row("restricted", "n1,n2=9,n3", "n1", false, null, null, "n2"),
            // unrestricted group: members first, any node as a fallback
            new Row("loose", "n1,n2", "n3", false, null, null, "n1"),
            new Row("loose", "n1,n2,n3=7", "n1", false, null, null, "n3"),
            // nofailback: stay where the service is (an unrestricted group admits every node)
            new Row("sticky", "n1,n2,n3", "n2", false, null, null, "n2"),
            new Row("sticky", "n1,n2,n3", "n3", false, null, null, "n3"),
            new Row("sticky", "n1,n2", "n3", false, null, null, "n1"),
            // relocation after failed starts: skip tried nodes, move to the next one
            new Row(null, "n1,n2,n3", "n1", true, List.of("n1"), null, "n2"),
            new Row(null, "n1,n2=1,n3", "n1", true, List.of("n1"), null, "n3"),
            new Row(null, "n1,n2,n3", "n2", true, List.of("n2", "n1", "n3"), null, null),
            new Row("sticky", "n1,n2,n3", "n1", true, List.of("n1"), null, null),
            // a node back from maintenance gets its services back
            new Row(null, "n1=3,n2,n3", "n2", false, null, "n1", "n1"),
            new Row("pri", "n1,n2,n3", "n3", false, null, "n1", "n3"));
        for (Row r : rows) {
            BasicUsage u = usage(r.usage().split(","));
            assertThat(select(g, u, r.group(), r.current(), r.tryNext(), r.tried() == null ? null : new ArrayList<>(r.tried()), r.maint()))
                .as("%s", r).isEqualTo(r.expected());
        }
    }

    @Test
    void randomSelectionsRespectGroupsAndOnlineNodes() {
        Random rnd = new Random(11);
        for (int i = 0; i < 5000; i++) {
            List<String> all = List.of("n1", "n2", "n3", "n4", "n5");
            List<String> online = new ArrayList<>();
            for (String n : all) if (rnd.nextInt(3) > 0) online.add(n);
            StringBuilder gtext = new StringBuilder("group: g\n\tnodes ");
            Map<String, Integer> members = new HashMap<>();
            for (String n : all) if (rnd.nextBoolean()) members.put(n, rnd.nextInt(3));
            if (members.isEmpty()) members.put("n1", 0);
            gtext.append(String.join(",", members.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).toList())).append('\n');
            boolean restricted = rnd.nextBoolean();
            if (restricted) gtext.append("\trestricted 1\n");
            BasicUsage u = new BasicUsage(env);
            for (String n : online) {
                u.addNode(n);
                for (int k = rnd.nextInt(4); k > 0; k--) u.addServiceUsageToNode(n, "x", n, null);
            }
            String current = all.get(rnd.nextInt(all.size()));
            String chosen = select(groups(gtext.toString()), u, "g", current, rnd.nextBoolean(), List.of(), null);
            if (chosen == null) {
                // only possible when no allowed node is online
                boolean anyAllowed = online.stream().anyMatch(n -> !restricted || members.containsKey(n));
                assertThat(anyAllowed).isFalse();
                continue;
            }
            assertThat(online).contains(chosen);
            if (restricted) assertThat(members).containsKey(chosen);
            int best = online.stream().filter(members::containsKey).mapToInt(members::get).max().orElse(-1);
            int chosenPri = members.getOrDefault(chosen, -1);
            assertThat(chosenPri).isEqualTo(best);
        }
    }
}
