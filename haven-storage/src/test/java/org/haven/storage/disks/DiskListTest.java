package org.haven.storage.disks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.storage.disks.DiskList.Device;
import org.haven.storage.disks.DiskList.Usage;
import org.junit.jupiter.api.Test;

/** PVE's disk list from lsblk lines, PVs, ZFS members and SMART health: which disks, their type and their use. */
class DiskListTest {
    static final String LSBLK = """
            {"blockdevices": [
              {"name":"sda","path":"/dev/sda","size":500107862016,"type":"disk","pkname":null,"fstype":null,"mountpoint":null,
               "model":"Samsung SSD 860 ","serial":"S3Z9NB0K","vendor":"ATA     ","wwn":"0x5002538e40a1b2c3","rota":false,"tran":"sata","pttype":"gpt"},
              {"name":"sda1","path":"/dev/sda1","size":1048576,"type":"part","pkname":"sda","fstype":null,"mountpoint":null,
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":false,"tran":null,"pttype":"gpt"},
              {"name":"sda2","path":"/dev/sda2","size":536870912,"type":"part","pkname":"sda","fstype":"vfat","mountpoint":"/boot/efi",
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":false,"tran":null,"pttype":"gpt"},
              {"name":"sdb","path":"/dev/sdb","size":4000787030016,"type":"disk","pkname":null,"fstype":"LVM2_member","mountpoint":null,
               "model":"WDC WD40EFRX","serial":"WD-1","vendor":"ATA","wwn":null,"rota":"1","tran":"sata","pttype":null},
              {"name":"sdc","path":"/dev/sdc","size":16008609792,"type":"disk","pkname":null,"fstype":null,"mountpoint":null,
               "model":"Flash","serial":null,"vendor":"Generic","wwn":null,"rota":true,"tran":"usb","pttype":null},
              {"name":"nvme0n1","path":"/dev/nvme0n1","size":1000204886016,"type":"disk","pkname":null,"fstype":"zfs_member","mountpoint":null,
               "model":"KINGSTON","serial":"K1","vendor":null,"wwn":"eui.1","rota":false,"tran":"nvme","pttype":null},
              {"name":"vdd","path":"/dev/vdd","size":1073741824,"type":"disk","pkname":null,"fstype":"crypto_LUKS","mountpoint":null,
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":true,"tran":null,"pttype":null},
              {"name":"luks","path":"/dev/mapper/luks","size":1056964608,"type":"crypt","pkname":"vdd","fstype":"ext4","mountpoint":"/srv",
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":true,"tran":null,"pttype":null},
              {"name":"vde","path":"/dev/vde","size":1073741824,"type":"disk","pkname":null,"fstype":"xfs","mountpoint":null,
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":true,"tran":null,"pttype":null},
              {"name":"loop3","path":"/dev/loop3","size":268435456,"type":"loop","pkname":null,"fstype":null,"mountpoint":null,
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":true,"tran":null,"pttype":null},
              {"name":"zram0","path":"/dev/zram0","size":0,"type":"disk","pkname":null,"fstype":null,"mountpoint":null,
               "model":null,"serial":null,"vendor":null,"wwn":null,"rota":false,"tran":null,"pttype":null}
            ]}""";
    static final List<Device> DEVICES = HostDisks.parseLsblk(LSBLK);
    static final Usage USAGE = new Usage(Map.of("/dev/sdb", "pve"), Set.of(), Map.of("/dev/sda", "PASSED", "/dev/sdb", "FAILED"));

    static Map<String, Map<String, Object>> byPath(List<Map<String, Object>> l) {
        var m = new java.util.LinkedHashMap<String, Map<String, Object>>();
        for (var e : l) m.put((String) e.get("devpath"), e);
        return m;
    }

    @Test
    void listsPveDisksSortedWithTypeUseAndHealth() {
        var list = DiskList.entries(DEVICES, USAGE, false, false, null);
        assertThat(list).extracting(e -> e.get("devpath"))
                .containsExactly("/dev/nvme0n1", "/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/vdd", "/dev/vde");
        var m = byPath(list);
        // {devpath: type, used, mounted, gpt, health, rpm}
        Object[][] table = {
                {"/dev/sda", "ssd", "partitions", 1, 1, "PASSED", 0},
                {"/dev/sdb", "hdd", "LVM", 0, 0, "FAILED", -1},
                {"/dev/sdc", "usb", null, 0, 0, "UNKNOWN", -1},
                {"/dev/nvme0n1", "nvme", "ZFS", 0, 0, "UNKNOWN", 0},
                {"/dev/vdd", "hdd", "Device Mapper", 0, 0, "UNKNOWN", -1},
                {"/dev/vde", "hdd", "xfs", 0, 0, "UNKNOWN", -1},
        };
        for (Object[] row : table) {
            var e = m.get((String) row[0]);
            assertThat(e.get("type")).as("type of %s", row[0]).isEqualTo(row[1]);
            assertThat(e.get("used")).as("used of %s", row[0]).isEqualTo(row[2]);
            assertThat(e.get("mounted")).as("mounted of %s", row[0]).isEqualTo(row[3]);
            assertThat(e.get("gpt")).as("gpt of %s", row[0]).isEqualTo(row[4]);
            assertThat(e.get("health")).as("health of %s", row[0]).isEqualTo(row[5]);
            assertThat(e.get("rpm")).as("rpm of %s", row[0]).isEqualTo(row[6]);
        }
        assertThat(m.get("/dev/sda")).containsEntry("model", "Samsung SSD 860").containsEntry("vendor", "ATA")
                .containsEntry("serial", "S3Z9NB0K").containsEntry("wwn", "0x5002538e40a1b2c3").containsEntry("size", 500107862016L);
        assertThat(m.get("/dev/vde")).doesNotContainKeys("model", "serial", "vendor", "wwn");
    }

    @Test
    void loopDevicesOnlyWhenIncluded() {
        assertThat(byPath(DiskList.entries(DEVICES, USAGE, false, false, null))).doesNotContainKeys("/dev/loop3", "/dev/zram0");
        assertThat(byPath(DiskList.entries(DEVICES, USAGE, true, false, null)).get("/dev/loop3"))
                .containsEntry("size", 268435456L).containsEntry("type", "hdd").doesNotContainKey("used");
        assertThat(DiskList.isListedDisk("cciss!c0d1", false)).isTrue();
        assertThat(DiskList.isListedDisk("dm-0", true)).isFalse();
        assertThat(DiskList.isListedDisk("loop0", false)).isFalse();
    }

    @Test
    void partitionsWithTheirParent() {
        var m = byPath(DiskList.entries(DEVICES, USAGE, false, true, null));
        assertThat(m.get("/dev/sda1")).containsEntry("parent", "/dev/sda").containsEntry("type", "partition")
                .containsEntry("used", "partition").containsEntry("mounted", 0).containsEntry("size", 1048576L);
        assertThat(m.get("/dev/sda2")).containsEntry("used", "mounted").containsEntry("mounted", 1);
        assertThat(m.get("/dev/sda")).containsEntry("mounted", 1);
        assertThat(m.keySet()).containsSequence("/dev/sda", "/dev/sda1", "/dev/sda2");
    }

    @Test
    void typeFilters() {
        assertThat(DiskList.entries(DEVICES, USAGE, false, true, "unused")).extracting(e -> e.get("devpath")).containsExactly("/dev/sdc");
        // journal disks: unused ones and GPT disks
        assertThat(DiskList.entries(DEVICES, USAGE, false, false, "journal_disks")).extracting(e -> e.get("devpath"))
                .containsExactly("/dev/sda", "/dev/sdc");
    }

    @Test
    void usageOfOneDevice() {
        Object[][] table = {
                {"/dev/sda", "mounted"}, {"/dev/sda2", "mounted"}, {"/dev/sda1", null}, {"/dev/sdb", "LVM"},
                {"/dev/vdd", "Device Mapper"}, {"/dev/nvme0n1", "ZFS"}, {"/dev/sdc", null}, {"/dev/nosuch", null},
        };
        for (Object[] row : table) assertThat(DiskList.usage(DEVICES, USAGE, (String) row[0])).as("%s", row[0]).isEqualTo(row[1]);
        // a ZFS member known from zpool status and a disk whose only partition is mounted
        assertThat(DiskList.usage(DEVICES, new Usage(Map.of(), Set.of("/dev/sdc"), Map.of()), "/dev/sdc")).isEqualTo("ZFS");
    }

    @Test
    void signaturesFromBlkid() {
        Device loop = DEVICES.stream().filter(d -> d.name().equals("loop3")).findFirst().orElseThrow();
        Device d = DiskList.withSignatures(loop, "DEVNAME=/dev/loop3\nPTUUID=1a2b\nPTTYPE=gpt\n");
        assertThat(d.pttype()).isEqualTo("gpt");
        assertThat(d.fstype()).isNull();
        assertThat(DiskList.withSignatures(loop, "UUID=abc\nTYPE=ext4\nUSAGE=filesystem\n").fstype()).isEqualTo("ext4");
    }
}
