package org.haven.guest.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class MacAddressTest {
    /** Gives the same bytes every time. */
    static RandomGenerator bytes(int... b) {
        return new RandomGenerator() {
            @Override public long nextLong() { throw new UnsupportedOperationException(); }
            @Override public void nextBytes(byte[] out) { for (int i = 0; i < out.length; i++) out[i] = (byte) b[i]; }
        };
    }

    @Test
    void prefixReplacesTheLeadingBytes() {
        RandomGenerator r = bytes(0xff, 0x01, 0xa0, 0x0b, 0xc0, 0x7e);
        String[][] table = {
                // prefix, address
                {"BC:24:11", "BC:24:11:0B:C0:7E"},
                {"bc:24:11", "BC:24:11:0B:C0:7E"},
                {"02:00", "02:00:A0:0B:C0:7E"},
                {"02:00:", "02:00:A0:0B:C0:7E"},
                {"0A", "0A:01:A0:0B:C0:7E"},
                // no prefix: the first byte made unicast and locally administered (0xff -> 0xfe | 0x02)
                {null, "FE:01:A0:0B:C0:7E"},
                {"", "FE:01:A0:0B:C0:7E"},
        };
        for (String[] row : table) assertThat(MacAddress.random(row[0], r)).as(String.valueOf(row[0])).isEqualTo(row[1]);
        assertThat(MacAddress.random(null, bytes(0x00, 0, 0, 0, 0, 0))).isEqualTo("02:00:00:00:00:00");
    }

    @Test
    void prefixesOfAnotherFormatAreRefused() {
        for (String bad : new String[]{"BD:24:11", "BC:24:11:00", "BC-24-11", "B", "BC:2", "GC:24:11", "BC:24:11\n"})
            assertThatThrownBy(() -> MacAddress.random(bad, new SplittableRandom(1))).as(bad).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void generatedAddressesAreUnicastLocalWithThePrefixAndDiffer() {
        SplittableRandom r = new SplittableRandom(16);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            String none = MacAddress.random(null, r);
            assertThat(none).matches("([0-9A-F]{2}:){5}[0-9A-F]{2}");
            int first = Integer.parseInt(none.substring(0, 2), 16);
            assertThat(first & 0x01).as(none).isZero();
            assertThat(first & 0x02).as(none).isEqualTo(2);
            String pve = MacAddress.random(MacAddress.DEFAULT_PREFIX, r);
            assertThat(pve).matches("BC:24:11(:[0-9A-F]{2}){3}");
            seen.add(pve);
        }
        // 2000 draws from 2^24 suffixes: a handful of collisions at most
        assertThat(seen.size()).isGreaterThan(1990);
    }

    @Test
    void prefixFromDatacenterCfg() {
        String[][] table = {
                {null, "BC:24:11"},
                {"", "BC:24:11"},
                {"keyboard: de\n", "BC:24:11"},
                {"keyboard: de\nmac_prefix: 02:AB\n", "02:AB"},
                {"mac_prefix:   0a:11:22  \n", "0a:11:22"},
                {"mac_prefix: 01:00\n", "BC:24:11"},
                {"# mac_prefix: 02:AB\n", "BC:24:11"},
        };
        for (String[] row : table) assertThat(MacAddress.prefix(row[0])).as(String.valueOf(row[0])).isEqualTo(row[1]);
    }
}
