package org.haven.guest.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.format.ConfigText;
import org.haven.core.format.HostileText;
import org.junit.jupiter.api.Test;

class GuestConfigTest {

    /** A config as PVE 8 writes it: description, sorted keys, pending, cloudinit, snapshots sorted. */
    static final String PVE_CONF = """
            #Web server%3A nginx
            #
            #second line with %C3%A4 umlaut
            agent: 1
            boot: order=scsi0;ide2;net0
            cores: 2
            cpu: x86-64-v2-AES
            ide2: none,media=cdrom
            memory: 2048
            meta: creation-qemu=8.1.5,ctime=1712345678
            name: web01
            net0: virtio=BC:24:11:2E:9A:01,bridge=vmbr0,firewall=1
            numa: 0
            ostype: l26
            parent: before-upgrade
            scsi0: local-lvm:vm-100-disk-0,iothread=1,size=32G
            scsihw: virtio-scsi-single
            smbios1: uuid=7b6c58a5-6f4e-4c3d-9b2e-0d2f7a3c1e55
            sockets: 1
            vmgenid: 0f8e2b6c-5d3a-4e1f-8c7b-6a5d4c3b2a19

            [PENDING]
            delete: !net1,tablet
            memory: 4096

            [special:cloudinit]
            ipconfig0: ip=dhcp

            [before-upgrade]
            #snapshot before apt upgrade
            boot: order=scsi0;ide2;net0
            cores: 2
            memory: 2048
            scsi0: local-lvm:vm-100-disk-0,iothread=1,size=32G
            snaptime: 1712345999
            vmstate: local-lvm:vm-100-state-before-upgrade

            [first]
            cores: 1
            snaptime: 1712000000
            """;

    @Test
    void pveWrittenConfigRoundTripsByteForByte() {
        // sections are written sorted; the sample has [before-upgrade] < [first]
        GuestConfig cfg = GuestConfig.parse(PVE_CONF);
        assertThat(cfg.warnings()).isEmpty();
        assertThat(cfg.write()).isEqualTo(PVE_CONF);
        assertThat(cfg.current().description()).isEqualTo("Web server: nginx\n\nsecond line with ä umlaut");
        assertThat(cfg.get("scsi0")).contains("local-lvm:vm-100-disk-0,iothread=1,size=32G");
        assertThat(cfg.pending().get("memory")).contains("4096");
        assertThat(cfg.pendingDeletes()).containsExactly(Map.entry("net1", true), Map.entry("tablet", false));
        assertThat(cfg.special().get("cloudinit").get("ipconfig0")).contains("ip=dhcp");
        assertThat(cfg.snapshots().keySet()).containsExactly("before-upgrade", "first");
        assertThat(cfg.snapshots().get("before-upgrade").description()).isEqualTo("snapshot before apt upgrade");
        assertThat(cfg.snapshots().get("before-upgrade").get("vmstate")).contains("local-lvm:vm-100-state-before-upgrade");
    }

    @Test
    void digestIsSha1OfTheRawFile() {
        GuestConfig cfg = GuestConfig.parse("memory: 512\n");
        // sha1("memory: 512\n")
        assertThat(cfg.digest()).isEqualTo(GuestConfig.sha1Hex("memory: 512\n".getBytes()));
        assertThat(cfg.digest()).hasSize(40);
        assertThat(GuestConfig.sha1Hex("abc".getBytes())).isEqualTo("a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    @Test
    void nonCanonicalInputIsNormalisedLikePve() {
        String in = "memory: 512  \nname: a\n# late comment\ncores: 4\ndescription: from key\nbogus line\n[snap1]\nparent: x\ndelete: foo\n";
        GuestConfig cfg = GuestConfig.parse(in);
        assertThat(cfg.warnings()).containsExactly("unable to parse config: bogus line",
                "property 'delete' is only allowed in [PENDING]");
        assertThat(cfg.current().description()).isEqualTo(" late comment\nfrom key");
        assertThat(cfg.write()).isEqualTo("# late comment\n#from key\ncores: 4\nmemory: 512\nname: a\n\n[snap1]\nparent: x\n");
    }

    @Test
    void pendingDeletesAreSortedAndForceWins() {
        GuestConfig cfg = new GuestConfig();
        cfg.pending().set("net0", "virtio,bridge=vmbr0");
        cfg.addPendingDelete("net0", false);
        cfg.addPendingDelete("cores", false);
        cfg.addPendingDelete("cores", true);
        assertThat(cfg.pending().get("net0")).isEmpty();
        assertThat(cfg.pending().get("delete")).contains("!cores,net0");
        cfg.removePendingDelete("cores");
        cfg.removePendingDelete("net0");
        assertThat(cfg.pending().isEmpty()).isTrue();
        assertThat(cfg.write()).isEmpty();
    }

    @Test
    void containerConfigsKeepPvesPendingHeader() {
        String pve = "arch: amd64\nmemory: 512\n\n[pve:pending]\nmemory: 1024\n";
        GuestConfig cfg = GuestConfig.parse(pve);
        assertThat(cfg.get("memory")).contains("512");
        assertThat(cfg.pending().get("memory")).contains("1024");
        assertThat(cfg.write(GuestConfig.CT_PENDING)).isEqualTo(pve);
        MemoryClusterFs cfs = new MemoryClusterFs("n1");
        GuestConfigStore cts = GuestConfigStore.lxc(cfs), vms = GuestConfigStore.qemu(cfs);
        cts.create(200, cfg);
        vms.create(100, GuestConfig.parse(pve));
        assertThat(cfs.readString("nodes/n1/lxc/200.conf")).contains(pve);
        assertThat(cfs.readString("nodes/n1/qemu-server/100.conf")).contains(pve.replace("[pve:pending]", "[PENDING]"));
    }

    @Test
    void emptyPendingDescriptionIsWrittenAsHash() {
        GuestConfig cfg = new GuestConfig();
        cfg.set("memory", "512");
        cfg.pending().description("");
        assertThat(cfg.write()).isEqualTo("memory: 512\n\n[PENDING]\n#\n");
        assertThat(GuestConfig.parse(cfg.write()).write()).isEqualTo(cfg.write());
    }

    @Test
    void newlineInValueIsRefused() {
        GuestConfig cfg = new GuestConfig().set("name", "a\nb");
        assertThatThrownBy(cfg::write).isInstanceOfSatisfying(ConfigText.UnwritableValueException.class, e ->
                assertThat(e.errors()).containsEntry("name", "value contains a line feed, which cannot be written to the configuration file"));
    }

    @Test
    void lxcRawKeysKeepTheirOrderAfterSortedKeys() {
        String in = "arch: amd64\nhostname: ct1\nlxc.cgroup2.devices.allow: c 10:200 rwm\nlxc.apparmor.profile: unconfined\n";
        GuestConfig cfg = GuestConfig.parse(in);
        assertThat(cfg.write()).isEqualTo(in);
        assertThat(cfg.current().rawLxc()).hasSize(2);
    }

    @Test
    void textEncodingMatchesPve() {
        assertThat(GuestConfig.encodeText("a:b\tc é%")).isEqualTo("a%3Ab%09c %C3%A9%");
        assertThat(GuestConfig.decodeText("a%3Ab%09c %C3%A9%")).isEqualTo("a:b\tc é%");
    }

    // ---- seeded randomized round trip -----------------------------------------------------------------

    private static final String[] KEYS = {"acpi", "agent", "args", "balloon", "bios", "boot", "cores", "cpu", "efidisk0",
            "hotplug", "ide0", "ide2", "ide10", "lock", "machine", "memory", "name", "net0", "net1", "net10", "numa0",
            "onboot", "ostype", "parent", "sata0", "scsi0", "scsi1", "scsihw", "serial0", "smbios1", "snaptime",
            "sockets", "startup", "tags", "template", "tpmstate0", "unused0", "usb0", "vga", "virtio0", "vmgenid", "vmstate"};

    static String randomValue(Random r) {
        String alphabet = "abcXYZ019=,;:-_./ !\"'\\@+%äé";
        int len = 1 + r.nextInt(30);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        String v = sb.toString().strip();
        return v.isEmpty() ? "x" : v;
    }

    static String randomDescription(Random r) {
        // "%ab" survives: a '%' that starts an escape is encoded
        String alphabet = "ab :#\n\t[]é€%";
        StringBuilder sb = new StringBuilder();
        int len = 1 + r.nextInt(40);
        for (int i = 0; i < len; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return sb.toString().replaceAll("\\s+$", "");
    }

    static GuestConfig.Section randomSection(Random r, GuestConfig.Section s) {
        int n = r.nextInt(12);
        for (int i = 0; i < n; i++) s.set(KEYS[r.nextInt(KEYS.length)], randomValue(r));
        if (r.nextInt(3) == 0) {
            String d = randomDescription(r);
            if (!d.isEmpty()) s.description(d);
        }
        return s;
    }

    static GuestConfig randomConfig(Random r) {
        GuestConfig cfg = new GuestConfig();
        randomSection(r, cfg.current());
        if (r.nextBoolean()) {
            randomSection(r, cfg.pending());
            if (r.nextBoolean()) cfg.addPendingDelete(KEYS[r.nextInt(KEYS.length)], r.nextBoolean());
        }
        if (r.nextInt(4) == 0) randomSection(r, cfg.special().computeIfAbsent("cloudinit", k -> new GuestConfig.Section()));
        int snaps = r.nextInt(4);
        for (int i = 0; i < snaps; i++) {
            GuestConfig.Section s = randomSection(r, new GuestConfig.Section());
            s.set("snaptime", Integer.toString(r.nextInt(Integer.MAX_VALUE)));
            cfg.snapshots().put("snap" + (char) ('a' + r.nextInt(26)) + r.nextInt(100), s);
        }
        return cfg;
    }

    @Test
    void randomConfigsRoundTrip() {
        Random r = new Random(20261122L);
        for (int i = 0; i < 3000; i++) {
            GuestConfig cfg = randomConfig(r);
            String text = cfg.write();
            GuestConfig back = GuestConfig.parse(text);
            assertThat(back.warnings()).as(text).isEmpty();
            assertThat(back).as(text).isEqualTo(cfg);
            assertThat(back.write()).as(text).isEqualTo(text);
            assertThat(back.digest()).isEqualTo(GuestConfig.sha1Hex(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
    }

    /** The reader drops ASCII blanks around a value and white space at the end of the description (as PVE's). */
    static GuestConfig.Section normalized(GuestConfig.Section s) {
        GuestConfig.Section n = new GuestConfig.Section();
        s.values().forEach((k, v) -> n.set(k, v.replaceAll("^[ \t]+|[ \t]+$", "")));
        // a description of nothing but line feeds has no '#' line
        if (s.description() != null && !s.description().matches("\n*")) n.description(s.description().replaceAll("\\s+\\z", ""));
        return n;
    }

    @Test
    void hostileValuesAreRefusedOrReadBackExactly() {
        Random r = new Random(20261207L);
        int written = 0, refused = 0;
        for (int i = 0; i < 3000; i++) {
            GuestConfig cfg = new GuestConfig();
            boolean onlyDescription = r.nextInt(5) == 0;
            cfg.set("memory", "512");
            if (!onlyDescription) cfg.set(r.nextInt(4) == 0 ? HostileText.random(r, 6) : "name", HostileText.random(r, 12));
            cfg.current().description(HostileText.random(r, 20));
            if (!onlyDescription && r.nextBoolean()) cfg.snapshots().put(r.nextBoolean() ? "snap1" : HostileText.random(r, 6), new GuestConfig.Section().set("snaptime", "1"));
            String text;
            try {
                text = cfg.write();
            } catch (ConfigText.UnwritableValueException e) {
                assertThat(onlyDescription).as("the description is encoded, never refused: %s", e.errors()).isFalse();
                refused++;
                continue;
            }
            written++;
            GuestConfig back = GuestConfig.parse(text);
            assertThat(back.warnings()).as(text).isEmpty();
            assertThat(back.current()).as(text).isEqualTo(normalized(cfg.current()));
            assertThat(back.snapshots().keySet()).as(text).isEqualTo(cfg.snapshots().keySet());
            assertThat(back.pending().isEmpty()).isTrue();
        }
        assertThat(written).isGreaterThan(600);
        assertThat(refused).isGreaterThan(600);
    }

    @Test
    void randomGarbageNeverThrowsAndReachesAFixedPoint() {
        Random r = new Random(7L);
        String alphabet = "ab:[]#\n \tdelete:PENDINGspecial:x=,%lxc.1";
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(200);
            for (int j = 0; j < len; j++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            String once = GuestConfig.parse(sb.toString()).write();
            String twice = GuestConfig.parse(once).write();
            assertThat(twice).as(sb.toString()).isEqualTo(once);
        }
    }

    // ---- store ------------------------------------------------------------------------------------------

    @Test
    void storeChecksLocksDigestsAndDuplicates() {
        MemoryClusterFs cfs = new MemoryClusterFs("node1");
        GuestConfigStore store = GuestConfigStore.qemu(cfs);
        store.create(100, new GuestConfig().set("memory", "512"));
        assertThat(cfs.readString("nodes/node1/qemu-server/100.conf")).contains("memory: 512\n");
        assertThatThrownBy(() -> store.create(100, new GuestConfig()))
                .hasMessage("unable to create VM 100: config file already exists");
        assertThat(store.list()).containsExactly(Map.entry(100, "node1"));
        GuestConfig cfg = store.load(100);
        GuestConfigStore.assertDigest(cfg, cfg.digest());
        store.update(100, c -> c.set("cores", "2"));
        assertThatThrownBy(() -> GuestConfigStore.assertDigest(store.load(100), cfg.digest()))
                .hasMessage("detected modified configuration - file changed by other user? Try again.");
        String before = cfs.readString("nodes/node1/qemu-server/100.conf").orElseThrow();
        assertThatThrownBy(() -> store.update(100, c -> c.set("name", "vm\nlock: backup"))).isInstanceOf(ConfigText.UnwritableValueException.class);
        assertThatThrownBy(() -> store.update(100, c -> c.snapshots().put("x]\n[PENDING", new GuestConfig.Section())))
                .isInstanceOf(ConfigText.UnwritableValueException.class);
        assertThat(cfs.readString("nodes/node1/qemu-server/100.conf")).contains(before);
        store.update(100, c -> c.set("lock", "backup"));
        assertThatThrownBy(() -> store.checkLock(store.load(100))).hasMessage("VM is locked (backup)");
        assertThatThrownBy(() -> store.load(101)).hasMessage("Configuration file 'nodes/node1/qemu-server/101.conf' does not exist");
        assertThat(store.destroy(100)).isTrue();
        assertThat(store.exists(100)).isFalse();
        LinkedHashMap<Integer, String> none = new LinkedHashMap<>(store.list());
        assertThat(none).isEmpty();
    }
}
