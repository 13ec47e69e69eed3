package org.haven.qemu.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.haven.guest.migrate.GuestMigrate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** PVE's migration settings derived from the config, and the helpers of the migration log. */
class MigrationParamsTest {

    @ParameterizedTest(name = "memory={0} downtime={1} speed={2} bwlimit={3}")
    @CsvSource(nullValues = "-", value = {
            // memory, migrate_downtime, migrate_speed (MiB/s), bwlimit (KiB/s) -> downtime ms, cache bytes, bandwidth bytes/s
            "-,       -,    -,   -,     100, 67108864,   0",
            "128,     -,    -,   -,     100, 16777216,   0",
            "2048,    -,    -,   -,     100, 268435456,  0",
            "4096,    0.5,  -,   -,     500, 536870912,  0",
            "1000,    2,    100, -,     2000, 134217728, 104857600",
            "1000,    0.05, 100, 2048,  50,  134217728,  2097152",
            "1000,    -,    1,   2048,  100, 134217728,  1048576",
            "1000,    -,    -,   2048,  100, 134217728,  2097152",
            "'1024,min=512', -, -, -,   100, 134217728,  0",
    })
    void fromConfig(String memory, String downtime, String speed, Long bwlimit, long ms, long cache, long bw) {
        Map<String, String> conf = new LinkedHashMap<>();
        if (memory != null) conf.put("memory", memory);
        if (downtime != null) conf.put("migrate_downtime", downtime);
        if (speed != null) conf.put("migrate_speed", speed);
        MigrationParams p = MigrationParams.of(conf, bwlimit);
        assertThat(p.downtimeMs()).isEqualTo(ms);
        assertThat(p.cacheSize()).isEqualTo(cache);
        assertThat(p.maxBandwidth()).isEqualTo(bw);
        assertThat(p.qmpArguments()).containsEntry("downtime-limit", ms).containsEntry("xbzrle-cache-size", cache)
                .containsEntry("max-bandwidth", bw == 0 ? MigrationParams.UNLIMITED : bw);
    }

    @Test
    void roundPowerOf2Property() {
        assertThat(MigrationParams.roundPowerOf2(0)).isEqualTo(1);
        assertThat(MigrationParams.roundPowerOf2(1)).isEqualTo(1);
        assertThat(MigrationParams.roundPowerOf2(2)).isEqualTo(2);
        assertThat(MigrationParams.roundPowerOf2(3)).isEqualTo(4);
        Random rnd = new Random(42);
        for (int i = 0; i < 10000; i++) {
            long n = 2 + (rnd.nextLong() & ((1L << 50) - 1));
            long r = MigrationParams.roundPowerOf2(n);
            assertThat(Long.bitCount(r)).isEqualTo(1);
            assertThat(r).isGreaterThanOrEqualTo(n);
            assertThat(r / 2).isLessThan(n);
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 0.0 B", "1023, 1023.0 B", "1024, 1.0 KiB", "119118643, 113.6 MiB", "2147483648, 2.0 GiB"})
    void renderBytes(long v, String expected) {
        assertThat(GuestMigrate.bytes(v)).isEqualTo(expected);
    }
}
