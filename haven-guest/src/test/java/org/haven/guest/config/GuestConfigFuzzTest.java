package org.haven.guest.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.haven.core.fuzz.RoundTrip;

/**
 * Fuzz targets of guest configs, {@code qemu-server/<vmid>.conf} and {@code lxc/<vmid>.conf} with snapshots, pending
 * and special sections (seeds in {@code GuestConfigFuzzTestInputs/<method>/}). The parser is total: what it cannot
 * read becomes a warning.
 */
class GuestConfigFuzzTest {
    static RoundTrip<GuestConfig> roundTrip(String pendingHeader) {
        return RoundTrip.of(GuestConfig::parse, (GuestConfig c) -> c.write(pendingHeader));
    }

    @FuzzTest
    void qemuServerConf(byte[] data) {
        roundTrip(GuestConfig.VM_PENDING).check(RoundTrip.text(data)).pendingDeletes();
    }

    @FuzzTest
    void lxcConf(byte[] data) {
        roundTrip(GuestConfig.CT_PENDING).check(RoundTrip.text(data)).pendingDeletes();
    }
}
