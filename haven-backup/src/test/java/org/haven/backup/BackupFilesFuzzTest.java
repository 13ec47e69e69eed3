package org.haven.backup;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Map;
import org.haven.backup.notify.NotifyConfig;
import org.haven.core.format.SectionConfig;
import org.haven.core.fuzz.RoundTrip;
import org.haven.core.schema.ParamException;

/** Fuzz targets of {@code jobs.cfg}, {@code vzdump.conf} and {@code notifications.cfg} (seeds in {@code BackupFilesFuzzTestInputs/<method>/}). */
class BackupFilesFuzzTest {
    @FuzzTest
    void jobsCfg(byte[] data) {
        RoundTrip.of(SectionConfig::parse, SectionConfig::write).refusesWith(SectionConfig.ParseException.class).model(d -> d)
                .check(RoundTrip.text(data));
    }

    @FuzzTest
    void vzdumpConf(byte[] data) {
        Map<String, String> conf;
        try {
            conf = VzdumpOptions.parseConf(RoundTrip.text(data));
        } catch (ParamException refused) {
            return;
        }
        try {
            VzdumpOptions.of(Map.of("all", "1"), conf);
        } catch (ParamException refused) {
            // a value of the wrong type is a parameter error, as in PVE
        }
    }

    @FuzzTest
    void notificationsCfg(byte[] data) {
        String text = RoundTrip.text(data);
        RoundTrip.of((String t) -> NotifyConfig.parse(t, ""), NotifyConfig::text).refusesWith(NotifyConfig.ParseException.class).check(text);
        RoundTrip.of((String t) -> NotifyConfig.parse("", t), NotifyConfig::privText).refusesWith(NotifyConfig.ParseException.class).check(text);
    }
}
