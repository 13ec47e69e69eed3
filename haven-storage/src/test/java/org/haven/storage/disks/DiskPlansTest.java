package org.haven.storage.disks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The command plans of the disk API and the parsing of the tools' answers. */
class DiskPlansTest {
    static final List<String> D4 = List.of("/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde");

    @Test
    void zpoolCreatePerRaidLevel() {
        Object[][] table = {
                {"single", List.of("/dev/sdb"), null, "zpool create -o ashift=12 tank /dev/sdb"},
                {"mirror", D4.subList(0, 2), null, "zpool create -o ashift=12 tank mirror /dev/sdb /dev/sdc"},
                {"raid10", D4, null, "zpool create -o ashift=12 tank mirror /dev/sdb /dev/sdc mirror /dev/sdd /dev/sde"},
                {"raidz", D4.subList(0, 3), null, "zpool create -o ashift=12 tank raidz /dev/sdb /dev/sdc /dev/sdd"},
                {"raidz2", D4, null, "zpool create -o ashift=12 tank raidz2 /dev/sdb /dev/sdc /dev/sdd /dev/sde"},
                {"draid", D4, "data=2,spares=1", "zpool create -o ashift=12 tank draid:2d:1s /dev/sdb /dev/sdc /dev/sdd /dev/sde"},
                {"draid2", D4, "data=1,spares=0", "zpool create -o ashift=12 tank draid2:1d:0s /dev/sdb /dev/sdc /dev/sdd /dev/sde"},
        };
        for (Object[] row : table) {
            @SuppressWarnings("unchecked")
            List<String> devs = (List<String>) row[1];
            var draid = row[2] == null ? null : DiskPlans.Draid.parse((String) row[2]);
            var plan = DiskPlans.zfsCreate("tank", (String) row[0], devs, 12, "on", draid);
            assertThat(String.join(" ", plan.get(0))).as("%s", row[0]).isEqualTo(row[3]);
            assertThat(plan.get(1)).containsExactly("zfs", "set", "compression=on", "tank");
        }
        assertThat(DiskPlans.zfsCreate("p", "mirror", D4.subList(0, 2), 9, "zstd", null).get(0)).contains("ashift=9");
    }

    @Test
    void zpoolCreateRefusals() {
        Object[][] table = {
                {"mirror", D4.subList(0, 1), null, "mirror needs at least 2 disks"},
                {"raidz3", D4, null, "raidz3 needs at least 5 disks"},
                {"single", D4.subList(0, 2), null, "single raidlevel can only be used with exactly one disk"},
                {"raid10", List.of("/a", "/b", "/c", "/d", "/e"), null, "raid10 needs an even number of disks"},
                {"draid", D4, null, "draid-config is required for draid"},
                {"mirror", D4.subList(0, 2), "data=1,spares=0", "draid-config set without using dRAID level"},
                {"draid3", List.of("/a", "/b", "/c", "/d", "/e"), "data=2,spares=1", "wrong draid configured"},
        };
        for (Object[] row : table) {
            @SuppressWarnings("unchecked")
            List<String> devs = (List<String>) row[1];
            var draid = row[2] == null ? null : DiskPlans.Draid.parse((String) row[2]);
            assertThatThrownBy(() -> DiskPlans.zfsCreate("tank", (String) row[0], devs, 12, "on", draid)).as("%s", row[0])
                    .hasMessageContaining((String) row[3]);
        }
        assertThatThrownBy(() -> DiskPlans.Draid.parse("data=2")).hasMessageContaining("needs data");
        assertThatThrownBy(() -> DiskPlans.Draid.parse("parity=2,data=1,spares=0")).hasMessageContaining("parity");
        assertThatThrownBy(() -> DiskPlans.Draid.parse("data=x,spares=1")).hasMessageContaining("invalid");
    }

    @Test
    void thinPoolSizesArePves() {
        // 200 GiB PV: 128 MiB free, metadata 1% of the rest, data shrunk by twice the metadata
        long pv = 200L * 1024 * 1024;
        long data = pv - 131072, meta = data / 100;
        assertThat(DiskPlans.lvmThinCreate("tp", pv)).containsExactly("lvcreate", "--type", "thin-pool",
                "-L" + (data - 2 * meta) + "K", "--poolmetadatasize", meta + "K", "-n", "tp", "tp");
        // small: at least 1 GiB of metadata; huge: at most 16 GiB
        assertThat(DiskPlans.lvmThinCreate("tp", 10L * 1024 * 1024)).contains("--poolmetadatasize", "1048576K");
        assertThat(DiskPlans.lvmThinCreate("tp", 4L * 1024 * 1024 * 1024)).contains("16777216K");
        assertThatThrownBy(() -> DiskPlans.lvmThinCreate("tp", 2L * 1024 * 1024)).hasMessageContaining("too small");
    }

    @Test
    void lvmGptAndWipeCommands() {
        assertThat(DiskPlans.lvmCreate("/dev/sdb", "vg1")).containsExactly(
                List.of("pvcreate", "--metadatasize", "250k", "-y", "-ff", "/dev/sdb"), List.of("vgcreate", "vg1", "/dev/sdb"));
        assertThat(DiskPlans.initGpt("/dev/sdb", null)).containsExactly("sgdisk", "/dev/sdb", "-U", "R");
        assertThat(DiskPlans.initGpt("/dev/sdb", "0f1e")).endsWith("0f1e");
        assertThat(DiskPlans.wipe("/dev/sdb", List.of("/dev/sdb1"), 1L << 40)).containsExactly(
                List.of("wipefs", "--all", "--force", "/dev/sdb1", "/dev/sdb"),
                List.of("dd", "if=/dev/zero", "of=/dev/sdb", "bs=1M", "count=200", "conv=fdatasync"));
        assertThat(DiskPlans.wipe("/dev/loop1", List.of(), 64L << 20).get(1)).contains("count=64");
    }

    @Test
    void mountUnits() {
        assertThat(DiskPlans.mountUnitName("/mnt/pve/store1")).isEqualTo("mnt-pve-store1.mount");
        assertThat(DiskPlans.mountUnitName("/mnt/pve/my-store")).isEqualTo("mnt-pve-my\\x2dstore.mount");
        String unit = DiskPlans.mountUnit("store1", "/dev/disk/by-uuid/ab-cd", "/mnt/pve/store1", "xfs");
        assertThat(unit).isEqualTo("""
                [Unit]
                Description=Mount storage 'store1' under /mnt/pve

                [Mount]
                What=/dev/disk/by-uuid/ab-cd
                Where=/mnt/pve/store1
                Type=xfs
                Options=defaults

                [Install]
                WantedBy=multi-user.target
                """);
        assertThat(DiskPlans.directoryEntry("/etc/systemd/system/mnt-pve-store1.mount", unit)).isEqualTo(Map.of(
                "device", "/dev/disk/by-uuid/ab-cd", "path", "/mnt/pve/store1", "type", "xfs", "options", "defaults",
                "unitfile", "/etc/systemd/system/mnt-pve-store1.mount"));
    }

    @Test
    void lvmTreeAndThinPools() {
        var tree = DiskPlans.lvmTree("  vg2:2000:1000\n  pve:1000:0\n", "  /dev/sdb:1000:0:pve\n  /dev/sdc:1000:500:vg2\n  /dev/sdd:1000:500:vg2\n  /dev/sde:10:10:\n");
        assertThat(tree.get("leaf")).isEqualTo(0);
        @SuppressWarnings("unchecked")
        var groups = (List<Map<String, Object>>) tree.get("children");
        assertThat(groups).extracting(g -> g.get("name")).containsExactly("pve", "vg2");
        assertThat(groups.get(1)).containsEntry("size", 2000L).containsEntry("free", 1000L);
        assertThat((List<?>) groups.get(1).get("children")).hasSize(2);
        assertThat(((List<?>) groups.get(0).get("children")).getFirst())
                .isEqualTo(Map.of("name", "/dev/sdb", "size", 1000L, "free", 0L, "leaf", 1));
        var pools = DiskPlans.thinPools("  pve:data:1000:25.00:100:10.00:thin-pool\n  pve:root:500:::: linear\n");
        assertThat(pools).containsExactly(Map.of("lv", "data", "vg", "pve", "lv_size", 1000L, "used", 250L,
                "metadata_size", 100L, "metadata_used", 10L));
    }

    static final String ZPOOL_STATUS = """
              pool: tank
             state: DEGRADED
            status: One or more devices could not be used because the label is missing or
            	invalid.
            action: Replace the device using 'zpool replace'.
              scan: scrub repaired 0B in 00:00:01 with 0 errors on Sun Dec  6 00:24:02 2026
            config:

            	NAME          STATE     READ WRITE CKSUM
            	tank          DEGRADED     0     0     0
            	  mirror-0    DEGRADED     0     0     0
            	    /dev/sdb  ONLINE       0     0     0
            	    /dev/sdc  UNAVAIL      0     0     0  corrupted data
            	logs
            	  /dev/sdd    ONLINE       0     0     0

            errors: No known data errors
            """;

    @Test
    void zpoolStatusAndList() {
        var st = DiskPlans.zpoolStatus(ZPOOL_STATUS);
        assertThat(st).containsEntry("name", "tank").containsEntry("state", "DEGRADED").containsEntry("errors", "No known data errors")
                .containsEntry("status", "One or more devices could not be used because the label is missing or invalid.");
        @SuppressWarnings("unchecked")
        var roots = (List<Map<String, Object>>) st.get("children");
        assertThat(roots).extracting(r -> r.get("name")).containsExactly("tank", "logs");
        @SuppressWarnings("unchecked")
        var mirror = ((List<Map<String, Object>>) roots.get(0).get("children")).getFirst();
        @SuppressWarnings("unchecked")
        var disks = (List<Map<String, Object>>) mirror.get("children");
        assertThat(disks.get(1)).containsEntry("name", "/dev/sdc").containsEntry("state", "UNAVAIL").containsEntry("msg", "corrupted data");
        assertThat(DiskPlans.zpoolDevices(ZPOOL_STATUS)).containsExactly("/dev/sdb", "/dev/sdc", "/dev/sdd");
        assertThat(DiskPlans.zpools("tank\t1000\t400\t600\t3\t1.00x\tONLINE\n")).containsExactly(Map.of("name", "tank", "size", 1000L,
                "alloc", 400L, "free", 600L, "frag", 3L, "dedup", 1.0, "health", "ONLINE"));
    }

    @Test
    void smartOutput() {
        String ata = """
                === START OF READ SMART DATA SECTION ===
                SMART overall-health self-assessment test result: PASSED

                ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE
                  5 Reallocated_Sector_Ct   0x0033   100   100   010    Pre-fail  Always       -       0
                  9 Power_On_Hours          0x0032   097   097   000    Old_age   Always       -       12345 (12 34 0)
                """;
        var r = DiskPlans.smart(ata, 0, false);
        assertThat(r).containsEntry("health", "PASSED").containsEntry("type", "ata");
        @SuppressWarnings("unchecked")
        var attrs = (List<Map<String, Object>>) r.get("attributes");
        assertThat(attrs).hasSize(2);
        assertThat(attrs.get(1)).containsEntry("id", "9").containsEntry("name", "Power_On_Hours").containsEntry("raw", "12345 (12 34 0)")
                .containsEntry("normalized", 97).containsEntry("threshold", "000").containsEntry("fail", "-");
        assertThat(DiskPlans.smart(ata, 0, true)).isEqualTo(Map.of("health", "PASSED"));
        var nvme = DiskPlans.smart("=== START OF SMART DATA SECTION ===\nSMART overall-health self-assessment test result: FAILED!\nTemperature: 40 C\n", 8, false);
        assertThat(nvme).containsEntry("health", "FAILED!").containsEntry("type", "text");
        assertThat((String) nvme.get("text")).contains("Temperature: 40 C");
        assertThat(DiskPlans.smart("SMART Health Status: OK\n", 0, true)).containsEntry("health", "OK");
        assertThat(DiskPlans.smart("no smart here", 2, false)).isEqualTo(Map.of("health", "UNKNOWN"));
        assertThatThrownBy(() -> DiskPlans.smart("", 1, true)).hasMessage("Error getting S.M.A.R.T. data: Exit code: 1");
    }
}
