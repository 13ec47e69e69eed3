package org.haven.firewall.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.fuzz.RoundTrip;

/**
 * Fuzz targets of the firewall files {@code cluster.fw}, {@code host.fw} and {@code <vmid>.fw} (seeds in
 * {@code FwFileFuzzTestInputs/<method>/}). The parser is total: a bad line is reported in {@link FwFile#errors()}.
 */
class FwFileFuzzTest {
    static void check(FwFile.Kind kind, byte[] data) {
        FwFile f = RoundTrip.of((String t) -> FwFile.parse(kind, t), FwFile::write).model(FwFile::write).check(RoundTrip.text(data));
        f.options();
        f.rules();
        f.aliases();
        for (String s : f.ipsetNames()) f.ipset(s);
        for (String g : f.groupNames()) f.groupRules(g);
    }

    @FuzzTest
    void clusterFw(byte[] data) { check(FwFile.Kind.CLUSTER, data); }

    @FuzzTest
    void hostFw(byte[] data) { check(FwFile.Kind.HOST, data); }

    @FuzzTest
    void guestFw(byte[] data) { check(FwFile.Kind.GUEST, data); }
}
