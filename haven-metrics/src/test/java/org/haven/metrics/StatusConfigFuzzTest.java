package org.haven.metrics;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz target of {@code status.cfg}, the metric servers (seeds in {@code StatusConfigFuzzTestInputs/statusCfg/}). */
class StatusConfigFuzzTest {
    @FuzzTest
    void statusCfg(byte[] data) {
        RoundTrip.of(StatusConfig::parse, StatusConfig::write).refusesWith(SectionConfig.ParseException.class).model(d -> d)
                .check(RoundTrip.text(data));
    }
}
