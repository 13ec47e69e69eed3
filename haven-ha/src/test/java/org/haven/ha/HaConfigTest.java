package org.haven.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.core.format.SectionConfig;
import org.junit.jupiter.api.Test;

class HaConfigTest {
    static final String RESOURCES = """
        # managed guests
        vm: 100
        \tgroup web
        \tmax_relocate 2
        \tstate started

        ct: 101
        \tcomment database container
        \tmax_restart 0
        \tstate stopped

        vm: 102
        \tstate enabled

        vm: 103
        \tstate ignored

        """;

    static final String GROUPS = """
        group: web
        \tnodes alpha:2,beta:1,gamma
        \tnofailback 1

        group: pinned
        \tcomment only on alpha
        \tnodes alpha
        \trestricted 1

        """;

    @Test
    void resourcesGetPveDefaults() {
        Map<String, ServiceConfig> r = HaConfig.parseResources(RESOURCES, sid -> sid.equals("ct:101") ? "beta" : "alpha");
        assertThat(r).containsOnlyKeys("vm:100", "ct:101", "vm:102", "vm:103");
        ServiceConfig vm100 = r.get("vm:100");
        assertThat(vm100.type()).isEqualTo("vm");
        assertThat(vm100.name()).isEqualTo("100");
        assertThat(vm100.node()).isEqualTo("alpha");
        assertThat(vm100.group()).isEqualTo("web");
        assertThat(vm100.maxRestart()).isEqualTo(1);
        assertThat(vm100.maxRelocate()).isEqualTo(2);
        ServiceConfig ct = r.get("ct:101");
        assertThat(ct.state()).isEqualTo("stopped");
        assertThat(ct.maxRestart()).isZero();
        assertThat(ct.maxRelocate()).isEqualTo(1);
        assertThat(ct.comment()).isEqualTo("database container");
        assertThat(ct.node()).isEqualTo("beta");
        // 'enabled' is the old name of 'started'
        assertThat(r.get("vm:102").state()).isEqualTo("started");
        assertThat(r.get("vm:103").state()).isEqualTo("ignored");
    }

    @Test
    void missingStateMeansStarted() {
        Map<String, ServiceConfig> r = HaConfig.parseResources("vm: 107\n\tgroup g\n", sid -> "n1");
        assertThat(r.get("vm:107").state()).isEqualTo("started");
    }

    @Test
    void invalidSectionsAreSkippedWithAWarningAndTheOthersRead() {
        List<String> warnings = new ArrayList<>();
        Map<String, ServiceConfig> r = HaConfig.parseResources(
            "vm: abc\n\tstate started\n\nfoo: 100\n\nct: 99\n\nvm: 1000000000\n\nct: 200\n\tstate stopped\n",
            sid -> "n1", warnings::add);
        assertThat(r).containsOnlyKeys("ct:200");
        assertThat(r.get("ct:200").state()).isEqualTo("stopped");
        assertThat(warnings).containsExactly(
            "file ha/resources.cfg: skip section 'vm:abc' - invalid format - value 'abc' does not look like a valid VM ID",
            "file ha/resources.cfg: skip section 'foo:100' - unknown section type 'foo'",
            "file ha/resources.cfg: skip section 'ct:99' - invalid format - value '99' does not look like a valid VM ID",
            "file ha/resources.cfg: skip section 'vm:1000000000' - invalid format - value '1000000000' does not look like a valid VM ID");
    }

    @Test
    void groupsParseNodesWithPriorities() {
        Map<String, Group> g = HaConfig.parseGroups(GROUPS);
        assertThat(g).containsOnlyKeys("web", "pinned");
        assertThat(g.get("web").nodes()).containsExactly(Map.entry("alpha", 2), Map.entry("beta", 1), Map.entry("gamma", 0));
        assertThat(g.get("web").nofailback()).isTrue();
        assertThat(g.get("web").restricted()).isFalse();
        assertThat(g.get("pinned").restricted()).isTrue();
        assertThat(g.get("pinned").comment()).isEqualTo("only on alpha");
    }

    @Test
    void filesRoundTripByteForByte() {
        assertThat(SectionConfig.write(SectionConfig.parse(RESOURCES))).isEqualTo(RESOURCES);
        assertThat(SectionConfig.write(SectionConfig.parse(GROUPS))).isEqualTo(GROUPS);
    }

    @Test
    void settingAPropertyKeepsEverythingElse() {
        SectionConfig.Document doc = SectionConfig.parse(RESOURCES);
        HaConfig.setResourceProperty(doc, "ct:101", "state", "started");
        HaConfig.setResourceProperty(doc, "vm:104", "state", "stopped");
        String out = SectionConfig.write(doc);
        assertThat(out).startsWith("# managed guests\nvm: 100\n");
        assertThat(out).contains("ct: 101\n\tcomment database container\n\tmax_restart 0\n\tstate started\n");
        assertThat(out).endsWith("vm: 104\n\tstate stopped\n\n");
        Map<String, ServiceConfig> r = HaConfig.parseResources(out, sid -> "n");
        assertThat(r.get("ct:101").state()).isEqualTo("started");
        assertThat(r.get("vm:104").state()).isEqualTo("stopped");
    }

    @Test
    void randomResourceFilesRoundTrip() {
        Random rnd = new Random(42);
        String[] states = {"started", "stopped", "disabled", "ignored"};
        for (int i = 0; i < 2000; i++) {
            SectionConfig.Document doc = new SectionConfig.Document();
            List<String> expectedSids = new ArrayList<>();
            int n = rnd.nextInt(6);
            for (int k = 0; k < n; k++) {
                String type = rnd.nextBoolean() ? "vm" : "ct";
                String id = String.valueOf(100 + k);
                SectionConfig.Section s = new SectionConfig.Section(type, id);
                if (rnd.nextBoolean()) s.set("state", states[rnd.nextInt(states.length)]);
                if (rnd.nextBoolean()) s.set("max_restart", String.valueOf(rnd.nextInt(4)));
                if (rnd.nextBoolean()) s.set("max_relocate", String.valueOf(rnd.nextInt(4)));
                if (rnd.nextBoolean()) s.set("group", "g" + rnd.nextInt(3));
                if (rnd.nextInt(4) == 0) s.comments().add("# note " + rnd.nextInt(100));
                doc.add(s);
                expectedSids.add(type + ":" + id);
            }
            String text = SectionConfig.write(doc);
            assertThat(SectionConfig.write(SectionConfig.parse(text))).isEqualTo(text);
            Map<String, ServiceConfig> parsed = HaConfig.parseResources(text, sid -> "x");
            assertThat(parsed.keySet()).containsExactlyInAnyOrderElementsOf(expectedSids);
            for (SectionConfig.Section s : doc.sections()) {
                ServiceConfig c = parsed.get(s.type() + ":" + s.id());
                assertThat(c.state()).isEqualTo(s.get("state").orElse("started"));
                assertThat(c.maxRestart()).isEqualTo(Integer.parseInt(s.get("max_restart").orElse("1")));
                assertThat(c.maxRelocate()).isEqualTo(Integer.parseInt(s.get("max_relocate").orElse("1")));
                assertThat(c.group()).isEqualTo(s.get("group").orElse(null));
            }
        }
    }

    @Test
    void sidParsing() {
        assertThat(Sid.parse("vm:100")).isEqualTo(new Sid("vm", "100"));
        assertThat(Sid.parse("ct:5")).isEqualTo(new Sid("ct", "5"));
        assertThat(Sid.parse("100")).isEqualTo(new Sid("vm", "100"));
    }
}
