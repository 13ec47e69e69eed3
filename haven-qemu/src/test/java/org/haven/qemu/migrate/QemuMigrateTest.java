package org.haven.qemu.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.HttpsClusterApi;
import org.haven.qemu.config.QemuVolumeKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure helpers of the migration: volume renames in configs, request encoding, addresses, durations. */
class QemuMigrateTest {

    @Test
    void volumeIdsAreRewrittenInEverySection() {
        GuestConfig cfg = GuestConfig.parse("""
                boot: order=scsi0
                scsi0: local:100/vm-100-disk-0.raw,cache=writeback,size=4G
                scsi1: shared:100/vm-100-disk-1.qcow2,size=1G
                unused0: local:100/vm-100-disk-2.raw
                vmstate: local:100/vm-100-state-s1.raw

                [PENDING]
                virtio0: local:100/vm-100-disk-0.raw,size=4G

                [s1]
                scsi0: local:100/vm-100-disk-0.raw,size=4G
                snaptime: 1700000000
                """);
        GuestMigrate.replaceVolids(QemuVolumeKeys.INSTANCE, cfg, Map.of("local:100/vm-100-disk-0.raw", "local:100/vm-100-disk-5.raw",
                "local:100/vm-100-disk-2.raw", "local:100/vm-100-disk-6.raw", "local:100/vm-100-state-s1.raw", "local:100/vm-100-state-s2.raw"));
        assertThat(cfg.current().getOrNull("scsi0")).isEqualTo("local:100/vm-100-disk-5.raw,cache=writeback,size=4G");
        assertThat(cfg.current().getOrNull("scsi1")).isEqualTo("shared:100/vm-100-disk-1.qcow2,size=1G");
        assertThat(cfg.current().getOrNull("unused0")).isEqualTo("local:100/vm-100-disk-6.raw");
        assertThat(cfg.current().getOrNull("vmstate")).isEqualTo("local:100/vm-100-state-s2.raw");
        assertThat(cfg.current().getOrNull("boot")).isEqualTo("order=scsi0");
        assertThat(cfg.pending().getOrNull("virtio0")).isEqualTo("local:100/vm-100-disk-5.raw,size=4G");
        assertThat(cfg.snapshots().get("s1").getOrNull("scsi0")).isEqualTo("local:100/vm-100-disk-5.raw,size=4G");
        assertThat(cfg.snapshots().get("s1").getOrNull("snaptime")).isEqualTo("1700000000");
    }

    @Test
    void noRenamesLeaveTheConfigAlone() {
        String text = "scsi0: local:100/vm-100-disk-0.raw,size=4G\n";
        GuestConfig cfg = GuestConfig.parse(text);
        GuestMigrate.replaceVolids(QemuVolumeKeys.INSTANCE, cfg, Map.of());
        assertThat(cfg.write()).isEqualTo(GuestConfig.parse(text).write());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1:8006|127.0.0.1",
            "[fd00::1]:8006|fd00::1",
            "node1|node1"})
    void hostOfEndpoint(String endpoint, String host) {
        assertThat(HttpsClusterApi.hostOf(endpoint)).isEqualTo(host);
    }

    @Test
    void formEncoding() {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("skiplock", 1);
        m.put("migratedfrom", "node1");
        m.put("online", true);
        m.put("machine", "pc-i440fx-7.2");
        m.put("skip", null);
        m.put("list", java.util.List.of("a b", "c"));
        assertThat(HttpsClusterApi.encode(m)).isEqualTo("skiplock=1&migratedfrom=node1&online=1&machine=pc-i440fx-7.2&list=a+b&list=c");
    }

    @Test
    void localAddresses() {
        assertThat(GuestMigrate.isLocalAddress("127.0.0.1")).isTrue();
        assertThat(GuestMigrate.isLocalAddress("192.0.2.77")).isFalse();
    }
}
