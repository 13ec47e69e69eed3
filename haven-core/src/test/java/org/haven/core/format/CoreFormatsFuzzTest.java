package org.haven.core.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import org.haven.core.calendar.CalendarEvent;
import org.haven.core.fuzz.RoundTrip;

/**
 * Fuzz targets of haven-core's formats (seed corpus in {@code CoreFormatsFuzzTestInputs/<method>/}; {@code bench/fuzz}
 * fuzzes each for real): no error but the parser's own, and writing is a fixed point.
 */
class CoreFormatsFuzzTest {
    static final RoundTrip<SectionConfig.Document> SECTION_CONFIG =
            RoundTrip.of(SectionConfig::parse, SectionConfig::write).refusesWith(SectionConfig.ParseException.class).model(d -> d);

    static final SectionConfig.Format ARRAY_FORMAT = new SectionConfig.Format("pci", java.util.Set.of("map"));
    static final RoundTrip<SectionConfig.Document> ID_ONLY_SECTION_CONFIG =
            RoundTrip.of((String t) -> SectionConfig.parse(t, ARRAY_FORMAT), d -> SectionConfig.write(d, ARRAY_FORMAT))
                    .refusesWith(SectionConfig.ParseException.class).model(d -> d);

    static final RoundTrip<DatacenterConfig> DATACENTER = RoundTrip.of(DatacenterConfig::parse, DatacenterConfig::text)
            .model(c -> c.text());

    @FuzzTest
    void sectionConfig(byte[] data) {
        String text = RoundTrip.text(data);
        SECTION_CONFIG.check(text);
        ID_ONLY_SECTION_CONFIG.check(text);
    }

    @FuzzTest
    void propertyString(byte[] data) {
        String text = RoundTrip.text(data);
        for (String defaultKey : new String[]{null, "file"}) {
            RoundTrip.of((String t) -> PropertyString.parse(t, defaultKey), (LinkedHashMap<String, String> m) -> PropertyString.print(m, defaultKey))
                    .refusesWith(IllegalArgumentException.class).model(m -> m).check(text);
        }
    }

    @FuzzTest
    void datacenterCfg(byte[] data) {
        DatacenterConfig c = DATACENTER.check(RoundTrip.text(data));
        c.toJson();
        c.nextIds();
    }

    /** Calendar events have no writer: the parser is total, and what it accepts can be scheduled. */
    @FuzzTest
    void calendarEvent(byte[] data) {
        CalendarEvent e;
        try {
            e = CalendarEvent.parse(RoundTrip.text(data));
        } catch (CalendarEvent.ParseException refused) {
            return;
        }
        e.next(1_700_000_000L, ZoneOffset.UTC);
        e.next(1_711_846_800L, ZoneId.of("Europe/Vienna"));
        e.matches(1_700_000_000L, ZoneOffset.UTC);
    }
}
