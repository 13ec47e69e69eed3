package org.haven.ha;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;

/**
 * Fuzz targets of the HA files: {@code ha/resources.cfg}, {@code ha/groups.cfg}, {@code ha/fence.cfg},
 * {@code ha/manager_status} and {@code nodes/<node>/lrm_status} (seeds in {@code HaFilesFuzzTestInputs/<method>/}).
 */
class HaFilesFuzzTest {
    static final RoundTrip<SectionConfig.Document> SECTIONS =
            RoundTrip.of(SectionConfig::parse, SectionConfig::write).refusesWith(SectionConfig.ParseException.class).model(d -> d);

    @FuzzTest
    void resourcesCfg(byte[] data) {
        String text = RoundTrip.text(data);
        // every readable file is read: a bad section is skipped with a warning, never failing the others
        if (SECTIONS.check(text) != null) HaConfig.parseResources(text, sid -> "n1", warning -> {});
    }

    @FuzzTest
    void groupsCfg(byte[] data) {
        String text = RoundTrip.text(data);
        if (SECTIONS.check(text) != null) HaConfig.parseGroups(text);
    }

    @FuzzTest
    void fenceCfg(byte[] data) {
        FenceConfig c;
        try {
            c = FenceConfig.parse(RoundTrip.text(data));
        } catch (IllegalArgumentException refused) {
            return;
        }
        for (FenceConfig.Connect k : c.connects()) c.commandsFor(k.node());
    }

    @FuzzTest
    void managerStatus(byte[] data) {
        RoundTrip.of((String t) -> HaJson.managerStatus(HaJson.parse(t)), (ManagerStatus ms) -> HaJson.write(HaJson.toJson(ms)))
                .refusesWith(IllegalArgumentException.class, tools.jackson.core.JacksonException.class)
                .check(RoundTrip.text(data));
    }

    @FuzzTest
    void lrmStatus(byte[] data) {
        RoundTrip.of((String t) -> HaJson.lrmStatus(HaJson.parse(t)), (LrmStatus st) -> HaJson.write(HaJson.toJson(st)))
                .refusesWith(IllegalArgumentException.class, tools.jackson.core.JacksonException.class)
                .check(RoundTrip.text(data));
    }
}
