package org.haven.qemu.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import org.haven.guest.migrate.MigrationChecks.Ref;
import org.haven.guest.migrate.MigrationChecks.Request;
import org.haven.guest.migrate.MigrationChecks.StorageFacts;
import org.haven.guest.migrate.MigrationChecks.Volume;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.qemu.config.QemuVolumeKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Table tests of the migration checks: volumes, local devices, storage availability and the refusal messages. */
class MigrationChecksTest {

    static final Map<String, StorageFacts> STORAGES = Map.of(
            "local", new StorageFacts("local", true, false, Set.of()),
            "shared", new StorageFacts("shared", true, true, Set.of()),
            "nfs2", new StorageFacts("nfs2", true, true, Set.of("node1", "node3")),
            "off", new StorageFacts("off", false, true, Set.of()),
            "local3", new StorageFacts("local3", true, false, Set.of("node1", "node3")));
    static final Function<String, Optional<StorageFacts>> LOOKUP = id -> Optional.ofNullable(STORAGES.get(id));

    static Map<String, String> conf(String... kv) {
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static Optional<String> refusal(Request r, Map<String, String> conf) {
        List<Volume> vols = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, conf, Map.of(), Map.of(), LOOKUP);
        return MigrationChecks.refusal(r, conf, vols, "node2", LOOKUP);
    }

    static final Request OFFLINE = new Request(false, false, false, false);
    static final Request LIVE = new Request(true, true, false, false);
    static final Request LIVE_LOCAL = new Request(true, true, true, false);
    static final Request OFFLINE_FORCE = new Request(false, false, false, true);

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("shared disk, offline", OFFLINE, conf("scsi0", "shared:100/vm-100-disk-0.qcow2,size=1G"), null),
                Arguments.of("shared disk, live", LIVE, conf("scsi0", "shared:100/vm-100-disk-0.qcow2,size=1G"), null),
                Arguments.of("no disks", LIVE, conf("memory", "512"), null),
                Arguments.of("absolute path", LIVE, conf("scsi0", "/dev/sdb"), null),
                Arguments.of("empty cdrom", LIVE, conf("ide2", "none,media=cdrom"), null),
                Arguments.of("host cdrom drive", LIVE, conf("ide2", "cdrom,media=cdrom"), "can't migrate local cdrom drive (ide2)"),
                Arguments.of("local iso", OFFLINE, conf("ide2", "local:iso/x.iso,media=cdrom"), "can't migrate 'local:iso/x.iso' - local cdrom image"),
                Arguments.of("shared iso", LIVE, conf("ide2", "shared:iso/x.iso,media=cdrom"), null),
                Arguments.of("local disk, live", LIVE, conf("scsi0", "local:100/vm-100-disk-0.raw"),
                        "can't live migrate attached local disks without with-local-disks option"),
                Arguments.of("local disk, offline (copied)", OFFLINE, conf("scsi0", "local:100/vm-100-disk-0.raw"), null),
                Arguments.of("local disk, live with-local-disks (mirrored)", LIVE_LOCAL, conf("scsi0", "local:100/vm-100-disk-0.raw"), null),
                Arguments.of("local disk, live with-local-disks, storage not on target", LIVE_LOCAL, conf("scsi0", "local3:100/vm-100-disk-0.raw"),
                        "storage 'local3' is not available on node 'node2'"),
                Arguments.of("local unused disk, live (copied)", LIVE, conf("scsi0", "shared:100/a.qcow2", "unused0", "local:100/vm-100-disk-1.raw"), null),
                Arguments.of("local unused disk, offline, storage not on target", OFFLINE, conf("unused0", "local3:100/vm-100-disk-1.raw"),
                        "storage 'local3' is not available on node 'node2'"),
                Arguments.of("local cloud-init, offline (copied)", OFFLINE, conf("ide2", "local:100/vm-100-cloudinit.qcow2,media=cdrom"), null),
                Arguments.of("local cloud-init, live", LIVE, conf("ide2", "local:100/vm-100-cloudinit.qcow2,media=cdrom"),
                        "can't live migrate VM with local cloudinit disk. use a shared storage instead"),
                Arguments.of("storage not on target", LIVE, conf("scsi0", "nfs2:100/vm-100-disk-0.raw"), "storage 'nfs2' is not available on node 'node2'"),
                Arguments.of("disabled storage", OFFLINE, conf("scsi0", "off:100/vm-100-disk-0.raw"), "storage 'off' is disabled"),
                Arguments.of("unknown storage", OFFLINE, conf("scsi0", "gone:100/vm-100-disk-0.raw"), "storage 'gone' does not exist"),
                Arguments.of("host usb, live", LIVE, conf("usb0", "host=1-2"), "can't migrate VM which uses local devices: usb0"),
                Arguments.of("host usb, offline", OFFLINE, conf("usb0", "host=0123:abcd"), "can't migrate VM which uses local devices: usb0"),
                Arguments.of("host usb, offline forced", OFFLINE_FORCE, conf("usb0", "host=0123:abcd"), null),
                Arguments.of("host usb, live forced", new Request(true, true, false, true), conf("usb0", "host=1-2"),
                        "can't migrate VM which uses local devices: usb0"),
                Arguments.of("spice usb", LIVE, conf("usb0", "spice"), null),
                Arguments.of("mapped usb", LIVE, conf("usb1", "mapping=stick"), null),
                Arguments.of("pci passthrough", LIVE, conf("hostpci0", "0000:01:00.0", "hostpci2", "02:00"),
                        "can't migrate VM which uses local devices: hostpci0, hostpci2"),
                Arguments.of("serial socket", LIVE, conf("serial0", "socket"), null),
                Arguments.of("serial device", LIVE, conf("serial1", "/dev/ttyS0"), "can't migrate VM which uses local devices: serial1"),
                Arguments.of("parallel port", OFFLINE, conf("parallel0", "/dev/parport0"), "can't migrate VM which uses local devices: parallel0"),
                Arguments.of("devices before disks", LIVE, conf("scsi0", "local:100/vm-100-disk-0.raw", "serial1", "/dev/ttyS1"),
                        "can't migrate VM which uses local devices: serial1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusals(String name, Request req, Map<String, String> conf, String expected) {
        assertThat(refusal(req, conf)).isEqualTo(Optional.ofNullable(expected));
    }

    /** A local volume mapped to another storage needs that storage on the target, not its own; shared volumes are not mapped. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', nullValues = "-", value = {
            "local3:100/vm-100-disk-0.raw | -            | storage 'local3' is not available on node 'node2'",
            "local3:100/vm-100-disk-0.raw | local3:local | -",
            "local3:100/vm-100-disk-0.raw | local        | -",
            "local3:100/vm-100-disk-0.raw | local3:nfs2  | storage 'nfs2' is not available on node 'node2'",
            "local3:100/vm-100-disk-0.raw | local3:gone  | storage 'gone' does not exist",
            "nfs2:100/vm-100-disk-0.raw   | nfs2:local   | storage 'nfs2' is not available on node 'node2'"})
    void mappedStorages(String volid, String map, String expected) {
        Map<String, String> conf = conf("scsi0", volid);
        List<Volume> vols = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, conf, Map.of(), Map.of(), LOOKUP);
        assertThat(MigrationChecks.refusal(OFFLINE, conf, vols, "node2", LOOKUP, MigrationChecks.StorageMap.parse(map)))
                .isEqualTo(Optional.ofNullable(expected));
    }

    @Test
    void volumesAreListedOnceWithWhereTheyAreReferenced() {
        Map<String, String> current = conf("scsi0", "shared:100/vm-100-disk-0.qcow2,size=32G", "unused0", "local:100/vm-100-disk-2.raw",
                "ide2", "none,media=cdrom", "vmstate", "shared:100/vm-100-state-s1.raw", "name", "x");
        Map<String, String> pending = conf("scsi1", "local:100/vm-100-disk-3.raw");
        Map<String, Map<String, String>> snaps = Map.of("s1", conf("scsi0", "shared:100/vm-100-disk-0.qcow2,size=32G",
                "virtio0", "local:100/vm-100-disk-1.raw"));
        List<Volume> v = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, current, pending, snaps, LOOKUP);
        assertThat(v).extracting(Volume::volid).containsExactly("shared:100/vm-100-disk-0.qcow2", "local:100/vm-100-disk-2.raw",
                "shared:100/vm-100-state-s1.raw", "local:100/vm-100-disk-3.raw", "local:100/vm-100-disk-1.raw");
        assertThat(v).extracting(Volume::ref).containsExactly(Ref.CONFIG, Ref.UNUSED, Ref.CONFIG, Ref.PENDING, Ref.SNAPSHOT);
        assertThat(v).extracting(Volume::shared).containsExactly(true, false, true, false, false);
        assertThat(v.get(0).size()).isEqualTo("32G");
        // local volumes, wherever referenced, are copied offline and block a live migration
        assertThat(MigrationChecks.copies(v)).extracting(Volume::volid).containsExactly("local:100/vm-100-disk-2.raw",
                "local:100/vm-100-disk-3.raw", "local:100/vm-100-disk-1.raw");
        assertThat(MigrationChecks.refusal(OFFLINE, current, v, "node2", LOOKUP)).isEmpty();
        assertThat(MigrationChecks.refusal(LIVE_LOCAL, current, v, "node2", LOOKUP))
                .contains("can't live migrate local disk 'local:100/vm-100-disk-3.raw' referenced in a snapshot or a pending change - use a shared storage or migrate offline");
        assertThat(MigrationChecks.liveCopies(v)).extracting(Volume::volid).containsExactly("local:100/vm-100-disk-2.raw");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', nullValues = "-", value = {
            "-|1", "1|1", "store2|store2", "local:store2|local:store2", "nfs:b;local:a,c|local:a,nfs:b,c"})
    void storageMapsPrintForTheTarget(String text, String printed) {
        assertThat(MigrationChecks.StorageMap.parse(text).print()).isEqualTo(printed);
        assertThat(MigrationChecks.StorageMap.parse(printed)).isEqualTo(MigrationChecks.StorageMap.parse(text));
    }

    @Test
    void localDisksOfThePreconditionCheck() {
        Map<String, String> current = conf("scsi0", "local:100/vm-100-disk-0.raw,size=4G", "ide2", "local:iso/d.iso,media=cdrom",
                "unused0", "local:100/vm-100-disk-1.raw", "scsi1", "shared:100/vm-100-disk-2.raw,size=1G");
        List<Volume> v = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, current, Map.of(), Map.of(), LOOKUP);
        List<Map<String, Object>> d = MigrationChecks.localDisks(v, volid -> volid.endsWith("disk-1.raw") ? 1234L : 0L);
        assertThat(d).hasSize(3);
        Map<String, Map<String, Object>> byVol = new LinkedHashMap<>();
        d.forEach(e -> byVol.put((String) e.get("volid"), e));
        assertThat(byVol.get("local:100/vm-100-disk-0.raw")).containsEntry("size", 4L << 30).containsEntry("cdrom", 0).containsEntry("is_unused", 0)
                .containsEntry("drivename", "scsi0");
        assertThat(byVol.get("local:iso/d.iso")).containsEntry("cdrom", 1);
        assertThat(byVol.get("local:100/vm-100-disk-1.raw")).containsEntry("size", 1234L).containsEntry("is_unused", 1);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', nullValues = "-", value = {
            "-|local|local", "1|local|local", "store2|local|store2", "local:store2|local|store2", "local:store2|nfs|nfs",
            "local:store2,other|nfs|other", "local:a;nfs:b|nfs|b"})
    void storageMaps(String text, String source, String expected) {
        assertThat(MigrationChecks.StorageMap.parse(text).map(source)).isEqualTo(expected);
    }

    @Test
    void malformedStorageMaps() {
        for (String bad : List.of("a,b", "local:x,local:y", ":x", "x:")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> MigrationChecks.StorageMap.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void offlineCopiesGoToTheMappedStorage() {
        Map<String, String> c = conf("scsi0", "local:100/vm-100-disk-0.raw");
        List<Volume> v = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, c, Map.of(), Map.of(), LOOKUP);
        assertThat(MigrationChecks.refusal(OFFLINE, c, v, "node2", LOOKUP, MigrationChecks.StorageMap.parse("local3")))
                .contains("storage 'local3' is not available on node 'node2'");
        assertThat(MigrationChecks.refusal(OFFLINE, c, v, "node3", LOOKUP, MigrationChecks.StorageMap.parse("local:local3"))).isEmpty();
        assertThat(MigrationChecks.refusal(OFFLINE, c, v, "node2", LOOKUP, MigrationChecks.StorageMap.parse("local:nope")))
                .contains("storage 'nope' does not exist");
    }

    @Test
    void unavailableStoragesPerNode() {
        List<Volume> v = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, conf("scsi0", "nfs2:100/a.raw", "scsi1", "off:100/b.raw", "scsi2", "shared:100/c.raw"),
                Map.of(), Map.of(), LOOKUP);
        assertThat(MigrationChecks.unavailableStorages(v, "node2", LOOKUP)).containsExactly("nfs2", "off");
        assertThat(MigrationChecks.unavailableStorages(v, "node3", LOOKUP)).containsExactly("off");
    }

    /**
     * Random configs of shared disks and socket serials always migrate; local devices always refuse, an attached local
     * disk refuses a live migration without with-local-disks, an unused one never.
     */
    @Test
    void randomConfigsProperty() {
        Random rnd = new Random(20261122);
        String[] buses = {"scsi", "virtio", "sata", "ide"};
        for (int i = 0; i < 2000; i++) {
            Map<String, String> c = new LinkedHashMap<>();
            int disks = rnd.nextInt(5);
            for (int d = 0; d < disks; d++) c.put(buses[rnd.nextInt(4)] + d, "shared:100/vm-100-disk-" + d + ".qcow2,size=" + (1 + rnd.nextInt(64)) + "G");
            if (rnd.nextBoolean()) c.put("serial0", "socket");
            if (rnd.nextBoolean()) c.put("usb0", "spice");
            Request r = new Request(rnd.nextBoolean(), rnd.nextBoolean(), rnd.nextBoolean(), rnd.nextBoolean());
            assertThat(refusal(r, c)).as(c.toString()).isEmpty();
            switch (rnd.nextInt(4)) {
                case 0 -> c.put("scsi9", "local:100/vm-100-disk-9.raw");
                case 1 -> c.put("hostpci0", "01:00.0");
                case 2 -> c.put("unused3", "local:100/vm-100-disk-7.raw");
                default -> c.put("ide3", "cdrom,media=cdrom");
            }
            Request strict = new Request(r.running(), r.online(), r.withLocalDisks(), false);
            boolean localDisk = c.containsKey("scsi9") || c.containsKey("unused3");
            boolean live = strict.running() && strict.online();
            assertThat(refusal(strict, c).isPresent()).as(c + " " + strict)
                    .isEqualTo(!localDisk || (c.containsKey("scsi9") && live && !strict.withLocalDisks()));
        }
    }

    static Stream<Arguments> recoveries() {
        Set<String> replica = Set.of("local:100/vm-100-disk-0.raw");
        return Stream.of(
                Arguments.of("shared disk", conf("scsi0", "shared:100/vm-100-disk-0.qcow2"), Set.of(), null),
                Arguments.of("shared storage not on the node", conf("scsi0", "nfs2:100/vm-100-disk-0.qcow2"), Set.of(),
                        "storage 'nfs2' is not available on node 'node2'"),
                Arguments.of("disabled storage", conf("scsi0", "off:100/vm-100-disk-0.qcow2"), Set.of(), "storage 'off' is disabled"),
                Arguments.of("unknown storage", conf("scsi0", "gone:100/vm-100-disk-0.qcow2"), Set.of(), "storage 'gone' does not exist"),
                Arguments.of("local disk without replica", conf("scsi0", "local:100/vm-100-disk-0.raw"), Set.of(),
                        "local volume 'local:100/vm-100-disk-0.raw' is not replicated to node 'node2'"),
                Arguments.of("local disk with replica", conf("scsi0", "local:100/vm-100-disk-0.raw"), replica, null),
                Arguments.of("a second local disk not replicated (replicate=0)",
                        conf("scsi0", "local:100/vm-100-disk-0.raw", "scsi1", "local:100/vm-100-disk-1.raw,replicate=0"), replica,
                        "local volume 'local:100/vm-100-disk-1.raw' is not replicated to node 'node2'"),
                Arguments.of("local unused disk and iso do not count",
                        conf("scsi0", "shared:100/a.qcow2", "unused0", "local:100/vm-100-disk-1.raw", "ide2", "local:iso/x.iso,media=cdrom"), Set.of(), null),
                Arguments.of("path", conf("scsi0", "/dev/sdb"), Set.of(), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recoveries")
    void recoveryOnANodeNeedsTheVolumesThere(String name, Map<String, String> conf, Set<String> replicated, String expected) {
        List<Volume> vols = MigrationChecks.volumes(QemuVolumeKeys.INSTANCE, conf, Map.of(), Map.of(), LOOKUP);
        assertThat(MigrationChecks.recoveryRefusal(vols, "node2", LOOKUP, replicated)).isEqualTo(Optional.ofNullable(expected));
    }
}
