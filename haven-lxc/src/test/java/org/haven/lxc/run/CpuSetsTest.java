package org.haven.lxc.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.haven.guest.config.GuestException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CpuSetsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0|[0]", "0-3|[0, 1, 2, 3]", "0-1,4|[0, 1, 4]", "6-7 |[6, 7]", "2,2|[2]", "10-11,3|[3, 10, 11]"})
    void parsesKernelLists(String list, String cpus) {
        assertThat(CpuSets.parse(list)).hasToString(cpus);
    }

    @ParameterizedTest
    @CsvSource({"'a'", "'3-1'", "'1-'"})
    void refusesGarbage(String list) {
        assertThatThrownBy(() -> CpuSets.parse(list)).isInstanceOf(GuestException.class).hasMessage("unable to parse cpuset '" + list + "'");
    }

    private static SortedSet<Integer> cpus(Integer... c) { return new TreeSet<>(List.of(c)); }

    @Test
    void tableOfTheAdminGuide() {
        Map<Integer, SortedSet<Integer>> sets = new TreeMap<>(Map.of(102, cpus(6, 7), 105, cpus(2, 3, 4, 5), 108, cpus(0, 1)));
        assertThat(CpuSets.table(sets)).containsExactly(
                " ---------------------",
                " 102:              6 7",
                " 105:      2 3 4 5",
                " 108:  0 1",
                " ---------------------");
    }

    @Test
    void twoDigitCpusGetWiderColumns() {
        assertThat(CpuSets.table(new TreeMap<>(Map.of(7, cpus(1, 10))))).containsExactly(
                " " + "-".repeat(1 + 2 + 11 * 3),
                " 7:" + " ".repeat(6) + "1" + " ".repeat(25) + "10",
                " " + "-".repeat(1 + 2 + 11 * 3));
        assertThat(CpuSets.table(Map.of())).isEmpty();
    }
}
