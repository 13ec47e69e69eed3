package org.haven.guest.mapping;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz target of the mapping files {@code mapping/pci.cfg}, {@code usb.cfg}, {@code directory.cfg} (seeds in {@code MappingFuzzTestInputs/mappingCfg/}). */
class MappingFuzzTest {
    @FuzzTest
    void mappingCfg(byte[] data) {
        String text = RoundTrip.text(data);
        for (ResourceMappings.Kind kind : ResourceMappings.Kind.values()) {
            SectionConfig.Document doc = RoundTrip.of((String t) -> ResourceMappings.parse(kind, t), (SectionConfig.Document d) -> ResourceMappings.write(kind, d))
                    .refusesWith(SectionConfig.ParseException.class).model(d -> d).check(text);
            if (doc == null) continue;
            for (SectionConfig.Section s : doc.sections()) {
                try {
                    ResourceMappings.toApi(s);
                    ResourceMappings.nodeMaps(s, "n1");
                } catch (IllegalArgumentException refused) {
                    // a map entry that is no property string is refused with the property-string parser's message
                }
            }
        }
    }
}
