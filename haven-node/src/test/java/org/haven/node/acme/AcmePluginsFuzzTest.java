package org.haven.node.acme;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz target of {@code priv/acme/plugins.cfg} (seeds in {@code AcmePluginsFuzzTestInputs/pluginsCfg/}). */
class AcmePluginsFuzzTest {
    @FuzzTest
    void pluginsCfg(byte[] data) {
        RoundTrip.of(AcmeConfig::plugins, SectionConfig::write).refusesWith(SectionConfig.ParseException.class).model(d -> d)
                .check(RoundTrip.text(data));
    }
}
