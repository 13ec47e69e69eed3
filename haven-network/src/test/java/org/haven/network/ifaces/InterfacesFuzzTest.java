package org.haven.network.ifaces;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.fuzz.RoundTrip;

/** Fuzz target of {@code /etc/network/interfaces} (seeds in {@code InterfacesFuzzTestInputs/interfaces/}). */
class InterfacesFuzzTest {
    @FuzzTest
    void interfaces(byte[] data) {
        RoundTrip.of(Interfaces::parse, (NetworkConfig c) -> Interfaces.write(c)).refusesWith(IllegalArgumentException.class)
                .check(RoundTrip.text(data));
    }
}
