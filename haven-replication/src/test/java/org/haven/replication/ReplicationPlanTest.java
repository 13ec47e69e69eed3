package org.haven.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ReplicationPlanTest {
    @Test
    void snapshotNames() {
        assertThat(ReplicationPlan.snapshotName("100-0", 1500000000)).isEqualTo("__replicate_100-0_1500000000__");
        assertThat(ReplicationPlan.snapshotTime("__replicate_100-0_1500000000__", "100-0")).hasValue(1500000000);
        assertThat(ReplicationPlan.snapshotTime("__replicate_100-1_1500000000__", "100-0")).isEmpty();
        assertThat(ReplicationPlan.snapshotTime("before-upgrade", "100-0")).isEmpty();
    }

    @Test
    void firstSyncIsFullLaterOnesIncrementalFromTheLastSyncSnapshot() {
        Map<String, String> formats = new LinkedHashMap<>();
        formats.put("tank:vm-100-disk-0", "zfs");
        formats.put("tank:vm-100-disk-1", "zfs");
        var full = ReplicationPlan.transfers(formats, Map.of(), "100-0", 0, 2000);
        assertThat(full).allMatch(ReplicationPlan.Transfer::full);
        assertThat(full.get(0).pipeline()).isEqualTo("pvesm export tank:vm-100-disk-0 zfs - -with-snapshots 1 -snapshot __replicate_100-0_2000__"
                + " | pvesm import tank:vm-100-disk-0 zfs - -with-snapshots 1 -snapshot __replicate_100-0_2000__ -allow-rename 0");
        // disk-1 was added after the last sync: it has no base snapshot and goes in full
        var next = ReplicationPlan.transfers(formats, Map.of("tank:vm-100-disk-0", List.of("__replicate_100-0_2000__")), "100-0", 2000, 2900);
        assertThat(next.get(0).base()).isEqualTo("__replicate_100-0_2000__");
        assertThat(next.get(0).snap()).isEqualTo("__replicate_100-0_2900__");
        assertThat(next.get(1).full()).isTrue();
        assertThat(ReplicationPlan.stale(List.of("__replicate_100-0_2000__", "__replicate_100-0_2900__", "__replicate_100-1_2000__", "s1"),
                "100-0", "__replicate_100-0_2900__")).containsExactly("__replicate_100-0_2000__");
    }

    @Test
    void zfspoolCommandSequence() {
        var t = new ReplicationPlan.Transfer("tank:vm-100-disk-0", "zfs", "__replicate_100-0_2900__", "__replicate_100-0_2000__");
        assertThat(ReplicationPlan.zfsCommands("tank/vm-100-disk-0", t, List.of("__replicate_100-0_2000__"))).containsExactly(
                "zfs snapshot tank/vm-100-disk-0@__replicate_100-0_2900__",
                "zfs send -Rpv -I tank/vm-100-disk-0@__replicate_100-0_2000__ -- tank/vm-100-disk-0@__replicate_100-0_2900__ | zfs recv -F -- tank/vm-100-disk-0",
                "zfs destroy tank/vm-100-disk-0@__replicate_100-0_2000__");
        var f = new ReplicationPlan.Transfer("tank:vm-100-disk-0", "zfs", "__replicate_100-0_2000__", null);
        assertThat(ReplicationPlan.zfsCommands("tank/vm-100-disk-0", f, List.of())).containsExactly(
                "zfs snapshot tank/vm-100-disk-0@__replicate_100-0_2000__",
                "zfs send -Rpv -- tank/vm-100-disk-0@__replicate_100-0_2000__ | zfs recv -F -- tank/vm-100-disk-0");
    }

    @Test
    void zfspoolReplicationForReal() {
        Tools.unavailableHere(Tools.Impossible.ZFS, "replicating a zfspool volume between two nodes");
    }
}
