package org.haven.qemu.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.haven.core.schema.Formats;
import org.haven.core.schema.Schema;
import org.haven.guest.config.GuestConfig;
import org.junit.jupiter.api.Test;

/**
 * Every option of the VM config schema gets random valid values (seeded): each value passes validation,
 * its normalized form is stable, and random configs made of them survive the config file round trip.
 */
class AllOptionsRoundTripTest {

    /** Samples for string options and sub-keys whose validity is defined by a named format or a pattern. */
    static final Map<String, List<String>> SAMPLES = new TreeMap<>(Map.ofEntries(
            Map.entry("affinity", List.of("0-3", "0,2", "1")),
            Map.entry("args", List.of("-no-hpet", "-device 'virtio-rng-pci'")),
            Map.entry("bootdisk", List.of("scsi0", "virtio1")),
            Map.entry("cdrom", List.of("none", "local:iso/debian.iso")),
            Map.entry("cipassword", List.of("secret")),
            Map.entry("ciuser", List.of("root", "admin")),
            Map.entry("description", List.of("web server", "two\nlines")),
            Map.entry("hookscript", List.of("local:snippets/hook.pl")),
            Map.entry("hotplug", List.of("network,disk", "0", "1", "network,disk,usb,memory,cpu")),
            Map.entry("name", List.of("web01", "db-1.example")),
            Map.entry("nameserver", List.of("1.1.1.1", "1.1.1.1 8.8.8.8")),
            Map.entry("parallel", List.of("/dev/parport0", "/dev/usb/lp1")),
            Map.entry("searchdomain", List.of("example.com")),
            Map.entry("serial", List.of("socket", "/dev/ttyS1")),
            Map.entry("sshkeys", List.of("ssh-ed25519%20AAAAC3Nza%20me%40host")),
            Map.entry("startdate", List.of("now", "2020-01-01", "2021-12-31T12:30:00")),
            Map.entry("tags", List.of("web;prod", "a")),
            Map.entry("vmgenid", List.of("0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19", "1", "0")),
            Map.entry("vmstatestorage", List.of("local", "local-lvm")),
            // sub-keys, as <option>.<key>
            Map.entry("*.file", List.of("local:100/vm-100-disk-0.qcow2", "local-lvm:vm-100-disk-1", "/dev/sdb")),
            Map.entry("*.import-from", List.of("local:iso/disk.qcow2", "/var/tmp/disk.raw")),
            Map.entry("*.size", List.of("32G", "512M", "528K", "4M")),
            Map.entry("*.serial", List.of("SER123", "disk%201")),
            Map.entry("*.wwn", List.of("0x5000c500a0b1c2d3")),
            Map.entry("*.product", List.of("ACME DISK")),
            Map.entry("*.vendor", List.of("ACME")),
            Map.entry("*.mapping", List.of("gpu1")),
            Map.entry("cdrom.file", List.of("none", "cdrom", "local:iso/debian.iso")),
            Map.entry("unused.file", List.of("local:100/vm-100-disk-9.raw")),
            Map.entry("net.macaddr", List.of("BC:24:11:00:00:01", "02:00:00:AB:CD:EF")),
            Map.entry("net.bridge", List.of("vmbr0", "vmbr1")),
            Map.entry("net.trunks", List.of("10;20", "100-200")),
            Map.entry("numa.cpus", List.of("0-1", "0;2")),
            Map.entry("numa.hostnodes", List.of("0", "0-1")),
            Map.entry("usb.host", List.of("1234:5678", "1-2.3", "spice")),
            Map.entry("hostpci.host", List.of("01:00.0", "0000:02:00", "01:00.0;01:00.1")),
            Map.entry("hostpci.device-id", List.of("0x1234")),
            Map.entry("hostpci.vendor-id", List.of("0x10de")),
            Map.entry("hostpci.sub-device-id", List.of("0x0001")),
            Map.entry("hostpci.sub-vendor-id", List.of("0x0002")),
            Map.entry("hostpci.mdev", List.of("nvidia-63")),
            Map.entry("hostpci.romfile", List.of("vbios.bin")),
            Map.entry("cpu.cputype", List.of("host", "kvm64", "x86-64-v2-AES", "Skylake-Server")),
            Map.entry("cpu.flags", List.of("+aes", "+aes;-pcid")),
            Map.entry("cpu.hv-vendor-id", List.of("proxmox")),
            Map.entry("cpu.phys-bits", List.of("host", "40")),
            Map.entry("smbios.uuid", List.of("7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55")),
            Map.entry("smbios.family", List.of("QUJD", "SGF2ZW4=")),
            Map.entry("smbios.manufacturer", List.of("SGF2ZW4=")),
            Map.entry("smbios.product", List.of("QUJD")),
            Map.entry("smbios.serial", List.of("MTIzNA==")),
            Map.entry("smbios.sku", List.of("QUJD")),
            Map.entry("smbios.version", List.of("MS4w")),
            Map.entry("ide.model", List.of("QEMU_HARDDISK", "Samsung")),
            Map.entry("ipconfig.ip", List.of("dhcp", "10.0.0.5/24")),
            Map.entry("ipconfig.gw", List.of("10.0.0.1")),
            Map.entry("ipconfig.ip6", List.of("auto", "dhcp", "fd00::5/64")),
            Map.entry("ipconfig.gw6", List.of("fd00::1")),
            Map.entry("boot.legacy", List.of("cdn", "c")),
            Map.entry("boot.order", List.of("scsi0;ide2;net0", "virtio0")),
            Map.entry("machine.type", List.of("q35", "pc", "pc-i440fx-7.2", "pc-q35-7.2")),
            Map.entry("cicustom.*", List.of("local:snippets/user.yaml")),
            Map.entry("ivshmem.name", List.of("shm1")),
            Map.entry("ivshmem.size", List.of("1", "64")),
            Map.entry("virtiofs.dirid", List.of("share1")),
            Map.entry("audio0.device", List.of("ich9-intel-hda", "intel-hda", "AC97"))));

    static String sample(String key, String sub, Schema s, Random r) {
        String base = key.replaceAll("\\d+$", "");
        for (String k : new String[]{sub == null ? base : base + "." + sub, sub == null ? null : base + ".*", sub == null ? null : "*." + sub}) {
            if (k != null && SAMPLES.containsKey(k)) return pick(SAMPLES.get(k), r);
        }
        if (s.enumValues() != null) return pick(s.enumValues(), r);
        switch (s.type()) {
            case "boolean" -> { return r.nextBoolean() ? "1" : "0"; }
            case "integer" -> {
                long min = s.minimum() == null ? 0 : s.minimum().longValue();
                long max = s.maximum() == null ? min + 1000 : s.maximum().longValue();
                return Long.toString(min + (long) (r.nextDouble() * (max - min)));
            }
            case "number" -> {
                double min = s.minimum() == null ? 0 : s.minimum();
                double max = s.maximum() == null ? min + 100 : s.maximum();
                double v = Math.round((min + r.nextDouble() * (max - min)) * 10) / 10.0;
                return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
            }
            default -> { }
        }
        if (s.pattern() == null && s.format() == null && s.formatProperties() == null) return "text" + r.nextInt(100);
        return null;
    }

    static <T> T pick(List<T> l, Random r) { return l.get(r.nextInt(l.size())); }

    /** A random valid value for option {@code key}, or null when the test has no sample for it. */
    static String value(String key, Random r, List<String> unknown) {
        Schema s = QemuOptions.option(key);
        Map<String, Schema> fmt = QemuOptions.format(key);
        if (fmt == null) {
            String v = sample(key, null, s, r);
            if (v == null) unknown.add(key);
            return v;
        }
        LinkedHashMap<String, String> props = new LinkedHashMap<>();
        for (var e : fmt.entrySet()) {
            Schema ks = e.getValue();
            if (ks.alias() != null || ks.extra().containsKey("keyAlias")) continue;
            if (ks.isOptional() && !ks.isDefaultKey() && r.nextInt(3) != 0) continue;
            if (e.getKey().equals("import-from")) continue;
            String v = sample(key, e.getKey(), ks, r);
            if (v == null) { unknown.add(key + "." + e.getKey()); continue; }
            props.put(e.getKey(), v);
        }
        if (props.isEmpty()) {
            for (var e : fmt.entrySet()) {
                if (e.getValue().alias() != null || e.getValue().extra().containsKey("keyAlias")) continue;
                String v = sample(key, e.getKey(), e.getValue(), r);
                if (v != null) { props.put(e.getKey(), v); break; }
            }
        }
        if (key.startsWith("net") && props.containsKey("model") && !props.containsKey("macaddr")) props.put("macaddr", "BC:24:11:00:00:" + String.format("%02X", r.nextInt(256)));
        if (key.startsWith("numa") && props.containsKey("policy") && !props.containsKey("hostnodes")) props.remove("policy");
        return QemuOptions.print(key, props);
    }

    @Test
    void everyOptionValidatesAndRoundTrips() {
        Random r = new Random(0xC0FFEE);
        List<String> unknown = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> keys = new ArrayList<>(QemuOptions.keys());
        int checked = 0;
        for (int round = 0; round < 3; round++) {
            for (String key : keys) {
                String v = value(key, r, unknown);
                if (v == null) continue;
                try {
                    String norm = QemuOptions.check(key, v);
                    assertThat(QemuOptions.check(key, norm)).as(key + ": " + v).isEqualTo(norm);
                    checked++;
                } catch (RuntimeException e) {
                    failures.add(key + ": " + v + " -> " + e.getMessage());
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(unknown).isEmpty();
        assertThat(checked).isGreaterThan(3 * 400);
    }

    @Test
    void randomConfigsOfAllOptionsSurviveTheFileRoundTrip() {
        Random r = new Random(42);
        List<String> keys = new ArrayList<>(QemuOptions.keys());
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            GuestConfig cfg = new GuestConfig();
            int n = 5 + r.nextInt(40);
            for (int j = 0; j < n; j++) {
                String key = keys.get(r.nextInt(keys.size()));
                String v = value(key, r, unknown);
                if (v == null) continue;
                String norm = QemuOptions.check(key, v);
                if (key.equals("description")) cfg.current().description(norm); else cfg.set(key, norm);
            }
            String text = cfg.write();
            GuestConfig back = GuestConfig.parse(text);
            assertThat(back.warnings()).as(text).isEmpty();
            assertThat(back).as(text).isEqualTo(cfg);
            assertThat(back.write()).isEqualTo(text);
            // every stored value is still valid when read back
            back.current().values().forEach((k, v) -> assertThat(QemuOptions.check(k, v)).as(k).isEqualTo(v));
        }
        assertThat(Formats.isKnown("pve-qm-boot")).isTrue();
    }
}
