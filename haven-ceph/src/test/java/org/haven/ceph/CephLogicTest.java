package org.haven.ceph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.storage.spi.CommandRunner;
import org.junit.jupiter.api.Test;

/** The pure parts: networks, pool setting order, sizes and Ceph's error messages. */
class CephLogicTest {
    @Test
    void addressesInNetworks() {
        Object[][] table = {
                {"127.0.0.0/8", "127.0.0.1", true}, {"127.0.0.0/8", "128.0.0.1", false}, {"10.10.10.0/24", "10.10.10.254", true},
                {"10.10.10.0/24", "10.10.11.1", false}, {"0.0.0.0/0", "192.168.1.1", true}, {"10.0.0.1/32", "10.0.0.1", true},
                {"fd00::/64", "fd00::1", true}, {"fd00::/64", "fd01::1", false}, {"10.0.0.0/8", "fd00::1", false},
                {"10.0.0.0", "10.0.0.1", false}, {"10.0.0.0/33", "10.0.0.1", false}, {"10.0.0.0/8", "example.org", false},
        };
        for (Object[] row : table) assertThat(Cidr.contains((String) row[0], (String) row[1])).as("%s in %s", row[1], row[0]).isEqualTo(row[2]);
    }

    @Test
    void sizeIsSetBeforeTheOtherPoolSettings() {
        Map<String, Object> s = new TreeMap<>(Map.of("min_size", 2, "application", "rbd", "size", 3, "pg_num", 64));
        assertThat(CephPools.settingOrder(s)).containsExactly("size", "application", "min_size", "pg_num");
        assertThat(CephPools.settingOrder(Map.of("min_size", 1))).containsExactly("min_size");
    }

    @Test
    void targetSizesWithUnits() {
        assertThat(CephPools.Sizes.bytes("100")).isEqualTo(100);
        assertThat(CephPools.Sizes.bytes("1K")).isEqualTo(1024);
        assertThat(CephPools.Sizes.bytes("1.5G")).isEqualTo(1536L << 20);
        assertThat(CephPools.Sizes.bytes("2T")).isEqualTo(2L << 40);
        assertThatThrownBy(() -> CephPools.Sizes.bytes("12X")).hasMessageContaining("invalid size '12X'");
    }

    @Test
    void errorMessagesAreCephsLastLine() {
        assertThat(CephNode.cephMessage(new CommandRunner.Result(1, "", "noise\nError EEXIST: pool 'x' already exists\n"))).isEqualTo("pool 'x' already exists");
        assertThat(CephNode.cephMessage(new CommandRunner.Result(22, "", "Error EINVAL: bad\n"))).isEqualTo("bad");
        assertThat(CephNode.cephMessage(new CommandRunner.Result(3, "", ""))).isEqualTo("exit code 3");
    }

    @Test
    void everyFlagHasADescription() {
        assertThat(CephPools.FLAGS.keySet()).containsExactly("nobackfill", "nodeep-scrub", "nodown", "noin", "noout", "norebalance", "norecover",
                "noscrub", "notieragent", "noup", "pause");
        assertThat(CephPools.FLAGS.values()).allMatch(d -> d.endsWith("."));
        assertThat(List.copyOf(CephNode.TYPES)).containsExactly("mon", "mgr", "osd", "mds");
    }
}
