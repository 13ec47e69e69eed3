package org.haven.network.sdn;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;

/**
 * Fuzz targets of the SDN files: the six section-config files {@code sdn/{zones,vnets,subnets,controllers,ipams,dns}.cfg}
 * (the first byte of an input picks the file), the IPAM database {@code priv/ipam.db} and {@code sdn/.running-config}
 * (seeds in {@code SdnFilesFuzzTestInputs/<method>/}).
 */
class SdnFilesFuzzTest {

    @FuzzTest
    void sdnCfg(byte[] data) {
        if (data.length == 0) return;
        SdnConfig.Kind kind = SdnConfig.Kind.values()[(data[0] & 0xff) % SdnConfig.Kind.values().length];
        SectionConfig.Document doc = RoundTrip.of((String t) -> SdnConfig.parse(kind, t), d -> SdnConfig.write(kind, d))
                .refusesWith(SectionConfig.ParseException.class).model(d -> d)
                .check(RoundTrip.text(java.util.Arrays.copyOfRange(data, 1, data.length)));
        if (doc == null) return;
        // what the API and the running configuration make of a readable file
        Map<String, Map<String, Object>> objects = SdnConfig.objects(kind, doc);
        SdnConfig.pending(objects, objects);
        SdnConfig.running(1, Map.of(kind, doc));
    }

    @FuzzTest
    void ipamDb(byte[] data) {
        RoundTrip.of(Ipam::parse, Ipam::write).refusesWith(tools.jackson.core.JacksonException.class)
                .check(RoundTrip.text(data));
    }

    @FuzzTest
    void runningConfig(byte[] data) {
        Map<String, Object> running;
        try {
            running = SdnConfig.running(RoundTrip.text(data));
        } catch (tools.jackson.core.JacksonException refused) {
            return;
        }
        SdnConfig.version(running);
        for (SdnConfig.Kind k : SdnConfig.Kind.values()) {
            Map<String, Map<String, Object>> objects = SdnConfig.runningObjects(running, k);
            SdnConfig.pending(objects, Map.of());
        }
    }
}
