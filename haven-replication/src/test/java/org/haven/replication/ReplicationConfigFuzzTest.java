package org.haven.replication;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz target of {@code replication.cfg} (seeds in {@code ReplicationConfigFuzzTestInputs/replicationCfg/}). */
class ReplicationConfigFuzzTest {
    @FuzzTest
    void replicationCfg(byte[] data) {
        ReplicationConfig c = RoundTrip.of(ReplicationConfig::parse, ReplicationConfig::write)
                .refusesWith(SectionConfig.ParseException.class).check(RoundTrip.text(data));
        if (c == null) return;
        try {
            c.jobs();
        } catch (ReplicationConfig.ConfigException refused) {
            // a job ID or type PVE would not accept is named in the message
        }
    }
}
