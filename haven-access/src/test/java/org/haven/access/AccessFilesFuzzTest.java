package org.haven.access;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz targets of {@code user.cfg} and {@code domains.cfg} (seeds in {@code AccessFilesFuzzTestInputs/<method>/}); {@link FormatFuzzTest} holds the seeded property tests. */
class AccessFilesFuzzTest {
    @FuzzTest
    void userCfg(byte[] data) {
        UserConfig c = RoundTrip.of(UserConfig::parse, UserConfig::write).model(FormatFuzzTest::model).check(RoundTrip.text(data));
        new Permissions(c).effective("root@pam");
    }

    @FuzzTest
    void domainsCfg(byte[] data) {
        RoundTrip.of(Domains::parse, Domains::write).refusesWith(IllegalArgumentException.class).check(RoundTrip.text(data));
    }
}
