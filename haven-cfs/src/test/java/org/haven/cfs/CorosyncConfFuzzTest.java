package org.haven.cfs;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz target of {@code corosync.conf} (seeds in {@code CorosyncConfFuzzTestInputs/corosyncConf/}). */
class CorosyncConfFuzzTest {
    static final RoundTrip<CorosyncConf> COROSYNC = RoundTrip.of(CorosyncConf::parse, CorosyncConf::writePve)
            .refusesWith(CorosyncConf.ParseException.class);

    @FuzzTest
    void corosyncConf(byte[] data) {
        CorosyncConf c = COROSYNC.check(RoundTrip.text(data));
        if (c == null) return;
        try {
            c.nodes();
            c.clusterName();
            c.configVersion();
            c.totalVotes();
            c.expectedVotes();
        } catch (IllegalArgumentException invalid) {
            // a readable file with invalid values (a node without nodeid, a bad number) is refused with a message
        }
    }
}
