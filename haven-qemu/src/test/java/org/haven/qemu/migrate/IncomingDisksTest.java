package org.haven.qemu.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.MigrationChecks.StorageMap;
import org.haven.qemu.run.IncomingDisks;
import org.haven.qemu.run.IncomingDisks.Disk;
import org.haven.qemu.run.IncomingDisks.StorageFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which disks the target of a live migration allocates, on which storage and in which format; and the mirror's log lines. */
class IncomingDisksTest {

    static final Map<String, StorageFacts> STORAGES = Map.of(
            "local", new StorageFacts(false, List.of("raw", "qcow2", "vmdk"), "raw"),
            "local2", new StorageFacts(false, List.of("raw", "qcow2", "vmdk"), "qcow2"),
            "lvm", new StorageFacts(false, List.of("raw"), "raw"),
            "btrfs", new StorageFacts(false, List.of("raw", "subvol"), "raw"),
            "nfs", new StorageFacts(true, List.of("raw", "qcow2", "vmdk"), "raw"));
    static final Function<String, Optional<StorageFacts>> LOOKUP = id -> Optional.ofNullable(STORAGES.get(id));

    static List<Disk> plan(String map, String... kv) {
        LinkedHashMap<String, String> conf = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) conf.put(kv[i], kv[i + 1]);
        return IncomingDisks.plan(conf, StorageMap.parse(map), LOOKUP, v -> v.endsWith(".qcow2") ? "qcow2" : "raw");
    }

    @ParameterizedTest(name = "{0} via {1}")
    @CsvSource(delimiter = '|', value = {
            // drive | targetstorage | storage, format
            "local:100/vm-100-disk-0.qcow2,size=4G | 1             | local,qcow2",
            "local:100/vm-100-disk-0.raw,size=4G   | 1             | local,raw",
            "local:100/vm-100-disk-0.qcow2,size=4G | local2        | local2,qcow2",
            "local:100/vm-100-disk-0.qcow2,size=4G | lvm           | lvm,raw",
            "local:100/vm-100-disk-0.qcow2,size=4G | local:btrfs   | btrfs,raw",
            "lvm:vm-100-disk-0,size=4G             | lvm:local2    | local2,raw",
            "local:100/vm-100-disk-0.raw,format=raw,size=4G | local2 | local2,raw"})
    void storageAndFormat(String drive, String map, String expected) {
        List<Disk> d = plan(map, "virtio0", drive);
        assertThat(d).hasSize(1);
        assertThat(d.get(0).storage() + "," + d.get(0).format()).isEqualTo(expected);
        assertThat(d.get(0).sizeBytes()).isEqualTo(4L << 30);
        assertThat(d.get(0).sourceVolid()).isEqualTo(drive.substring(0, drive.indexOf(',')));
    }

    @Test
    void sharedVolumesMediaAndPathsStay() {
        List<Disk> d = plan("1", "scsi0", "nfs:100/vm-100-disk-0.qcow2,size=1G", "ide2", "local:iso/x.iso,media=cdrom",
                "ide0", "none,media=cdrom", "scsi1", "/dev/sdb", "scsi2", "local:100/vm-100-disk-2.raw,size=512M",
                "efidisk0", "local:100/vm-100-disk-3.raw,size=128K", "name", "x");
        assertThat(d).extracting(Disk::key).containsExactly("efidisk0", "scsi2");
        assertThat(d.get(1).sizeBytes()).isEqualTo(512L << 20);
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> plan("1", "scsi0", "local:100/vm-100-disk-0.raw")).isInstanceOf(GuestException.class)
                .hasMessage("unable to migrate local disk 'scsi0': the config has no size of 'local:100/vm-100-disk-0.raw'");
        assertThatThrownBy(() -> plan("nope", "scsi0", "local:100/vm-100-disk-0.raw,size=1G")).hasMessage("storage 'nope' does not exist");
        assertThatThrownBy(() -> plan("1", "tpmstate0", "local:100/vm-100-disk-1.raw,size=4M,version=v2.0"))
                .hasMessage("can't live migrate local TPM state 'local:100/vm-100-disk-1.raw' - use a shared storage or migrate offline");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0|4294967296|0|false|drive-scsi0: transferred 0.0 B of 4.0 GiB (0.00%) in 0s",
            "1288490189|4294967296|5|false|drive-scsi0: transferred 1.2 GiB of 4.0 GiB (30.00%) in 5s",
            "4294967296|4294967296|65|true|drive-scsi0: transferred 4.0 GiB of 4.0 GiB (100.00%) in 1m 5s, ready",
            "0|0|3723|true|drive-scsi0: transferred 0.0 B of 0.0 B (100.00%) in 1h 2m 3s, ready"})
    void mirrorProgressLines(long offset, long len, long secs, boolean ready, String line) {
        assertThat(QemuLiveMigration.mirrorProgress("drive-scsi0", offset, len, secs, ready)).isEqualTo(line);
    }
}
