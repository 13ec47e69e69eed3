package org.haven.qemu.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.haven.core.schema.ParamException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class QemuOptionsTest {

    @Test
    void enumeratedKeysAreExpanded() {
        assertThat(QemuOptions.keys()).contains("scsi0", "scsi30", "ide3", "sata5", "virtio15", "net31", "unused255",
                "efidisk0", "tpmstate0", "smbios1", "vmgenid", "agent", "boot", "startup", "hookscript", "cpu", "numa0");
        assertThat(QemuOptions.keys()).doesNotContain("scsi31", "ide4", "net32", "vmid", "node", "digest", "delete");
        // every option of PVE 8.4's config schema, expanded
        assertThat(QemuOptions.keys().size()).isGreaterThan(400);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "cores|4|4",
            "memory|2048|2048",
            "onboot|yes|1",
            "acpi|off|0",
            "cpulimit|1.5|1.5",
            "name|web01|web01",
            "ostype|l26|l26",
            "scsihw|virtio-scsi-single|virtio-scsi-single",
            "scsi0|local:100/vm-100-disk-0.qcow2,size=32G,discard=on,cache=writeback|local:100/vm-100-disk-0.qcow2,cache=writeback,discard=on,size=32G",
            "scsi1|volume=local-lvm:vm-100-disk-1,iothread=1|local-lvm:vm-100-disk-1,iothread=1",
            "ide2|none,media=cdrom|none,media=cdrom",
            "virtio0|local:32|local:32",
            "net0|virtio=BC:24:11:2E:9A:01,bridge=vmbr0,firewall=1|virtio=BC:24:11:2E:9A:01,bridge=vmbr0,firewall=1",
            "net1|model=e1000,macaddr=BC:24:11:00:00:02,tag=10,bridge=vmbr1|e1000=BC:24:11:00:00:02,bridge=vmbr1,tag=10",
            "net2|rtl8139,bridge=vmbr0|rtl8139,bridge=vmbr0",
            "efidisk0|local:1,efitype=4m,pre-enrolled-keys=1|local:1,efitype=4m,pre-enrolled-keys=1",
            "tpmstate0|local:1,version=v2.0|local:1,version=v2.0",
            "boot|order=scsi0;ide2;net0|order=scsi0;ide2;net0",
            "cpu|host,flags=+aes;-pcid|host,flags=+aes;-pcid",
            "smbios1|uuid=7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55|uuid=7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55",
            "vmgenid|0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19|0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19",
            "agent|1,fstrim_cloned_disks=1|1,fstrim_cloned_disks=1",
            "startup|order=1,up=30|order=1,up=30",
            "serial0|socket|socket",
            "usb0|host=1234:5678,usb3=1|host=1234:5678,usb3=1",
            "vga|serial0|serial0",
            "machine|q35|q35",
            "rng0|source=/dev/urandom,max_bytes=1024|source=/dev/urandom,max_bytes=1024",
            "numa0|cpus=0-1,memory=1024,policy=bind|cpus=0-1,memory=1024,policy=bind",
            "hotplug|network,disk|network,disk",
            "tags|web;prod|web;prod",
            "hookscript|local:snippets/hook.pl|local:snippets/hook.pl",
            "watchdog|model=i6300esb,action=reset|model=i6300esb,action=reset",
            "unused0|local:100/vm-100-disk-2.raw|local:100/vm-100-disk-2.raw",
    })
    void validValuesAreAcceptedAndNormalized(String key, String in, String out) {
        assertThat(QemuOptions.check(key, in)).isEqualTo(out);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "cores|abc|cores|type check ('integer') failed - got 'abc'",
            "cores|0|cores|value must have a minimum value of 1",
            "cpulimit|129|cpulimit|value must have a maximum value of 128",
            "onboot|maybe|onboot|type check ('boolean') failed - got 'maybe'",
            "ostype|dos|ostype|value 'dos' does not have a value in the enumeration 'other, wxp, w2k, w2k3, w2k8, wvista, win7, win8, win10, win11, l24, l26, solaris'",
            "bogus|1|bogus|property is not defined in schema and the schema does not allow additional properties",
            "scsi31|local:1|scsi31|property is not defined in schema and the schema does not allow additional properties",
            "name|not_a_dns_name|name|invalid format - value does not look like a valid DNS name",
            "vmgenid|xyz|vmgenid|value does not match the regex pattern",
            "serial0|tcp:1|serial0|value does not match the regex pattern",
    })
    void invalidValuesGivePveMessages(String key, String in, String errKey, String msg) {
        assertThatThrownBy(() -> QemuOptions.check(key, in))
                .isInstanceOf(ParamException.class)
                .satisfies(e -> assertThat(((ParamException) e).errors().get(errKey)).isEqualTo(msg.endsWith("name") ? msg + "\n" : msg));
    }

    @Test
    void propertyStringErrorsNameTheSubKey() {
        ParamException e = (ParamException) org.assertj.core.api.Assertions.catchThrowable(
                () -> QemuOptions.check("scsi0", "local:1,cache=fast"));
        assertThat(e.errors().get("scsi0")).startsWith("invalid format - format error")
                .contains("scsi0.cache: value 'fast' does not have a value in the enumeration 'none, writethrough, writeback, unsafe, directsync'");
        e = (ParamException) org.assertj.core.api.Assertions.catchThrowable(() -> QemuOptions.check("net0", "virtio,tag=5000"));
        assertThat(e.errors().get("net0")).contains("net0.tag: value must have a maximum value of 4094");
        e = (ParamException) org.assertj.core.api.Assertions.catchThrowable(() -> QemuOptions.check("net0", "foo"));
        assertThat(e.errors().get("net0")).contains("net0.model: value 'foo' does not have a value in the enumeration");
        assertThatThrownBy(() -> QemuOptions.checkAll(Map.of("scsi0", "local:1,bogus=1")))
                .isInstanceOf(ParamException.class).hasMessageContaining("scsi0");
    }

    @Test
    void netModelMacAliasIsResolved() {
        LinkedHashMap<String, String> p = QemuOptions.props("net0", "virtio=BC:24:11:2E:9A:01,bridge=vmbr0");
        assertThat(p).containsExactly(Map.entry("model", "virtio"), Map.entry("macaddr", "BC:24:11:2E:9A:01"), Map.entry("bridge", "vmbr0"));
        LinkedHashMap<String, String> d = QemuOptions.props("scsi0", "volume=local:1,size=1G");
        assertThat(d).containsEntry("file", "local:1");
    }

    @Test
    void randomDriveStringsRoundTripThroughPrint() {
        Random r = new Random(42);
        String[] caches = {"none", "writethrough", "writeback", "unsafe", "directsync"};
        for (int i = 0; i < 500; i++) {
            LinkedHashMap<String, String> m = new LinkedHashMap<>();
            m.put("file", "local-lvm:vm-" + (100 + r.nextInt(900)) + "-disk-" + r.nextInt(5));
            if (r.nextBoolean()) m.put("cache", caches[r.nextInt(caches.length)]);
            if (r.nextBoolean()) m.put("size", (1 + r.nextInt(512)) + "G");
            if (r.nextBoolean()) m.put("discard", r.nextBoolean() ? "on" : "ignore");
            if (r.nextBoolean()) m.put("serial", "S" + r.nextInt(100000));
            String key = QemuOptions.DISK_BUSES.get(r.nextInt(4)) + r.nextInt(4);
            if ((key.startsWith("scsi") || key.startsWith("virtio")) && r.nextBoolean()) m.put("iothread", r.nextBoolean() ? "1" : "0");
            String printed = QemuOptions.print(key, m);
            String checked = QemuOptions.check(key, printed);
            assertThat(checked).isEqualTo(printed);
            assertThat(QemuOptions.props(key, checked)).isEqualTo(m);
        }
    }
}
