package org.haven.firewall.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FwLogTest {
    static final ZoneId PLUS_ONE = ZoneOffset.ofHours(1);
    // 2020-01-16T09:50:00Z is the boot; the record comes 52.25 s later
    static final long BOOT = Instant.parse("2020-01-16T09:50:00Z").getEpochSecond() * 1_000_000;

    @Test
    void packetRecordsBecomePveLines() {
        String rec = "4,1033,52250000,-;:100:6:g100-net0-in: ACCEPT: IN=vmbr0 OUT=vmbr0 MAC=02:00 SRC=10.0.0.2 DST=10.0.0.100 LEN=60 PROTO=TCP SPT=44030 DPT=22 SYN ";
        assertThat(FwLog.fromKmsg(rec, BOOT, PLUS_ONE)).contains(
                "100 6 g100-net0-in 16/Jan/2020:10:50:52 +0100 ACCEPT: IN=vmbr0 OUT=vmbr0 MAC=02:00 SRC=10.0.0.2 DST=10.0.0.100 LEN=60 PROTO=TCP SPT=44030 DPT=22 SYN");
        assertThat(FwLog.fromKmsg("4,1034,1000000,-;:0:4:host-in: policy DROP: IN=eth0 SRC=1.2.3.4", BOOT, ZoneOffset.UTC))
                .contains("0 4 host-in 16/Jan/2020:09:50:01 +0000 policy DROP: IN=eth0 SRC=1.2.3.4");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "6,1,100,-;eth0: link becomes ready",
        "4,2,100,-;:abc:6:x: ACCEPT: IN=a",
        "4,3,100,-;:100:6:chain: accept: IN=a",
        "no record at all",
        "4,4,100,-;",
    })
    void otherRecordsAreNotFirewallLines(String rec) {
        assertThat(FwLog.fromKmsg(rec, BOOT, PLUS_ONE)).isEmpty();
    }

    @Test
    void filtersByGuestAndTime() {
        String l100 = "100 6 g100-net0-in 16/Jan/2020:10:50:52 +0100 ACCEPT: IN=vmbr0";
        String l1000 = "1000 6 g1000-net0-in 16/Jan/2020:10:50:52 +0100 ACCEPT: IN=vmbr0";
        String start = "0 5 - 16/Jan/2020:10:45:01 +0100 starting pvefw logger";
        long t = Instant.parse("2020-01-16T09:50:52Z").getEpochSecond();
        assertThat(FwLog.time(l100)).contains(Instant.ofEpochSecond(t));
        assertThat(FwLog.filter(100, null, null).test(l100)).isTrue();
        assertThat(FwLog.filter(100, null, null).test(l1000)).isFalse();
        assertThat(FwLog.filter(null, t, t).test(l100)).isTrue();
        assertThat(FwLog.filter(null, t + 1, null).test(l100)).isFalse();
        assertThat(FwLog.filter(null, null, t - 1).test(l100)).isFalse();
        assertThat(FwLog.filter(null, t - 600, t - 300).test(start)).isTrue();
        assertThat(FwLog.filter(null, 0L, null).test("garbage")).isFalse();
        assertThat(FwLog.filter(null, null, null).test("garbage")).isTrue();
    }
}
