package org.haven.lxc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

class PctTest {
    @ParameterizedTest
    @CsvSource({"0, 0", "1023, 1023", "1024, 1.0K", "512876544, 489.1M", "8375238656, 7.8G", "1099511627776, 1.0T"})
    void sizesWithOneDecimal(long bytes, String shown) {
        assertThat(Pct.bytes(bytes)).isEqualTo(shown);
    }

    @Test
    void dfTableAlignsItsColumns() {
        var data = JsonMapper.builder().build().readTree("""
                [{"mp":"rootfs","volume":"local:101/vm-101-disk-0.raw","path":"/","total":8375238656,"used":1675047731,"avail":6273187840},
                 {"mp":"mp0","volume":"/mnt/data","path":"/data","total":0,"used":0,"avail":0}]""");
        assertThat(Pct.printDf(data)).containsExactly(
                "MP     Volume                      Size Used Avail Use% Path",
                "rootfs local:101/vm-101-disk-0.raw 7.8G 1.6G  5.8G  0.2 /",
                "mp0    /mnt/data                      0    0     0    - /data");
    }
}
