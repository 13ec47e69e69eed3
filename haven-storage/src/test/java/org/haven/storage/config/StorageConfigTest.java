package org.haven.storage.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StorageConfigTest {

    static String resource(String name) throws IOException {
        try (InputStream in = StorageConfigTest.class.getResourceAsStream("/storage-cfg/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"01-default-lvm.cfg", "02-default-zfs.cfg", "03-all-types.cfg", "04-comments-unknown.cfg", "05-disabled-nodes.cfg"})
    void filesRoundTripByteForByte(String file) throws IOException {
        String text = resource(file);
        StorageConfig cfg = StorageConfig.parse(text, "/var/lib/vz");
        assertThat(cfg.write()).isEqualTo(text);
        assertThat(cfg.digest()).hasSize(40);
    }

    @Test
    void everyTypeParsesWithEffectiveValues() throws IOException {
        StorageConfig cfg = StorageConfig.parse(resource("03-all-types.cfg"), "/var/lib/vz");
        assertThat(cfg.entries()).extracting(e -> e.type().id()).containsExactly("dir", "dir", "nfs", "cifs", "glusterfs", "lvm",
                "lvmthin", "btrfs", "zfspool", "zfs", "iscsi", "iscsidirect", "rbd", "cephfs", "pbs");
        assertThat(cfg.require("backup").pruneBackups()).containsEntry("keep-last", "7");
        assertThat(cfg.require("iso-templates").shared()).isTrue();
        assertThat(cfg.require("iso-templates").content()).containsExactlyInAnyOrder(ContentType.ISO, ContentType.VZTMPL);
        assertThat(cfg.require("myspace").shared()).isFalse();
        assertThat(cfg.require("vmdata").flag("sparse", false)).isTrue();
        assertThat(cfg.require("lio").flag("sparse", false)).isTrue();
        assertThat(cfg.require("mynas").content()).isEmpty();
        assertThat(cfg.require("faststore").content()).containsExactly(ContentType.IMAGES);
        assertThat(cfg.require("cephfs-external").get("fs-name")).contains("cephfs");
        assertThat(cfg.require("ceph3").get("monhost")).contains("10.1.1.20 10.1.1.21 10.1.1.22");
        assertThat(cfg.require("Gluster").format()).isEqualTo("raw");
        assertThat(cfg.require("local").pruneBackups()).containsEntry("keep-all", "1");
    }

    @Test
    void unknownTypesAndKeysSurviveButAreNotListed() throws IOException {
        String text = resource("04-comments-unknown.cfg");
        StorageConfig cfg = StorageConfig.parse(text, "/var/lib/vz");
        assertThat(cfg.ids()).containsExactly("local");
        assertThat(cfg.require("local").get("futurekey")).contains("some value");
        cfg.update("local", Map.of("content", "iso,backup"), List.of());
        String out = cfg.write();
        assertThat(out).contains("esxi: vmware\n\tserver esxi.example.com\n").contains("# trailing comment\n")
                .contains("# comment before a type we do not know\n").contains("\tfuturekey some value\n");
    }

    @Test
    void implicitLocalAndEmbeddedRoot() {
        StorageConfig cfg = StorageConfig.parse("", "/data/vz");
        assertThat(cfg.ids()).containsExactly("local");
        StorageEntry local = cfg.require("local");
        assertThat(local.path()).contains("/data/vz");
        assertThat(local.content()).contains(ContentType.IMAGES, ContentType.ISO, ContentType.BACKUP, ContentType.SNIPPETS);
        assertThat(cfg.write()).isEmpty();
        cfg.create("dir", "store2", Map.of("path", "/srv/x"));
        assertThat(cfg.write()).isEqualTo("""
                dir: local
                	path /data/vz
                	content backup,images,iso,rootdir,snippets,vztmpl
                	prune-backups keep-all=1

                dir: store2
                	path /srv/x

                """);
    }

    @Test
    void localWithForeignPathIsReplacedAndNodesIgnored() throws IOException {
        StorageConfig cfg = StorageConfig.parse(resource("05-disabled-nodes.cfg"), "/var/lib/vz");
        StorageEntry local = cfg.require("local");
        assertThat(local.disabled()).isTrue();
        assertThat(local.nodes()).isEmpty();
        StorageConfig other = StorageConfig.parse("dir: local\n\tpath /elsewhere\n", "/var/lib/vz");
        assertThat(other.require("local").path()).contains("/var/lib/vz");
        StorageConfig lvm = StorageConfig.parse("lvm: local\n\tvgname x\n", "/var/lib/vz");
        assertThat(lvm.require("local").type()).isEqualTo(StorageType.DIR);
    }

    @Test
    void createWritesPveOrder() {
        StorageConfig cfg = StorageConfig.parse("dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n", "/var/lib/vz");
        Map<String, String> p = new TreeMap<>();
        p.put("server", "10.0.0.10");
        p.put("export", "/space/iso");
        p.put("content", "iso,vztmpl");
        p.put("options", "vers=3,soft");
        p.put("disable", "1");
        p.put("path", "/mnt/pve/iso");
        cfg.create("nfs", "iso", p);
        assertThat(cfg.write()).endsWith("""
                nfs: iso
                	disable
                	export /space/iso
                	path /mnt/pve/iso
                	server 10.0.0.10
                	content iso,vztmpl
                	options vers=3,soft

                """);
        cfg.create("lvmthin", "thin", Map.of("vgname", "pve", "thinpool", "data", "content", "rootdir,images"));
        assertThat(cfg.write()).endsWith("lvmthin: thin\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\n");
        cfg.create("zfspool", "zz", Map.of("pool", "rpool/data", "sparse", "yes", "content", "images,rootdir"));
        assertThat(cfg.write()).endsWith("zfspool: zz\n\tpool rpool/data\n\tcontent images,rootdir\n\tsparse 1\n\n");
    }

    @Test
    void updateAndDelete() {
        StorageConfig cfg = StorageConfig.parse("dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n"
                + "lvm: vg\n\tvgname vg0\n\tcontent images\n\n", "/var/lib/vz");
        cfg.update("vg", Map.of("disable", "1", "nodes", "a,b"), List.of());
        assertThat(cfg.write()).contains("lvm: vg\n\tdisable\n\tvgname vg0\n\tcontent images\n\tnodes a,b\n\n");
        assertThat(cfg.require("vg").disabled()).isTrue();
        assertThat(cfg.require("vg").availableOn("a")).isTrue();
        assertThat(cfg.require("vg").availableOn("c")).isFalse();
        cfg.update("vg", Map.of("disable", "0"), List.of("nodes"));
        assertThat(cfg.write()).contains("lvm: vg\n\tvgname vg0\n\tcontent images\n\n");
        assertThatThrownBy(() -> cfg.update("vg", Map.of("vgname", "other"), List.of()))
                .hasMessage("can't change value of fixed parameter 'vgname'");
        assertThatThrownBy(() -> cfg.update("vg", Map.of(), List.of("vgname")))
                .hasMessage("can't change value of fixed parameter 'vgname'");
        cfg.remove("vg");
        assertThat(cfg.ids()).containsExactly("local");
        assertThatThrownBy(() -> cfg.remove("vg")).hasMessage("storage 'vg' does not exist");
    }

    @Test
    void secretsAreNotWritten() {
        StorageConfig cfg = StorageConfig.empty("/var/lib/vz");
        Map<String, String> secrets = cfg.create("cifs", "smb", Map.of("server", "srv", "share", "s", "path", "/mnt/pve/smb",
                "username", "u", "password", "geheim"));
        assertThat(secrets).containsExactly(Map.entry("password", "geheim"));
        assertThat(cfg.write()).doesNotContain("geheim").contains("\tusername u\n");
        Map<String, String> removed = cfg.update("smb", Map.of(), List.of("password"));
        assertThat(removed).containsKey("password");
        assertThat(removed.get("password")).isNull();
    }

    @Test
    void badInputIsRejectedAndNothingChanges() {
        StorageConfig cfg = StorageConfig.parse("dir: local\n\tpath /var/lib/vz\n\n", "/var/lib/vz");
        String before = cfg.write();
        assertThatThrownBy(() -> cfg.create("dir", "1bad", Map.of("path", "/x")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("storage"));
        assertThatThrownBy(() -> cfg.create("foo", "xs", Map.of()))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("type"));
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of())).hasMessage("missing value for required option 'path'");
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "relative")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("path"));
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "vgname", "v"))).hasMessage("unexpected property 'vgname'");
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "bogus", "1")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("bogus"));
        assertThatThrownBy(() -> cfg.create("lvm", "xs", Map.of("vgname", "v", "content", "iso"))).hasMessage("unsupported content type 'iso'");
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "content", "none,iso")))
                .hasMessage("unable to combine 'none' with other content types");
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "content", "isos")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("content"));
        assertThatThrownBy(() -> cfg.create("lvm", "xs", Map.of("vgname", "v", "format", "qcow2"))).hasMessageContaining("unexpected property 'format'");
        assertThatThrownBy(() -> cfg.create("btrfs", "xs", Map.of("path", "/x", "format", "qcow2"))).hasMessage("unsupported format 'qcow2'");
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "disable", "maybe")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("disable"));
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "prune-backups", "keep-lots=3")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("prune-backups"));
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "nodes", "bad_node")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("nodes"));
        assertThatThrownBy(() -> cfg.create("nfs", "xs", Map.of("path", "/x", "server", "bad host!", "export", "/e")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("server"));
        assertThatThrownBy(() -> cfg.create("dir", "local", Map.of("path", "/x"))).hasMessage("storage ID 'local' already defined");
        assertThatThrownBy(() -> cfg.create("dir", "dup", Map.of("path", "/var/lib/vz")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.fieldErrors()).containsKey("path"));
        assertThatThrownBy(() -> cfg.create("dir", "xs", Map.of("path", "/x", "comment", "a\nb")))
                .isInstanceOf(StorageException.class);
        assertThat(cfg.write()).isEqualTo(before);
    }

    @Test
    void typeTableMatchesPve() {
        assertThat(StorageType.DIR.options().get("path")).isEqualTo(new StorageType.Option(true, false));
        assertThat(StorageType.LVM.options().get("base")).isEqualTo(new StorageType.Option(true, true));
        assertThat(StorageType.LVMTHIN.supportedContent()).containsExactlyInAnyOrder(ContentType.IMAGES, ContentType.ROOTDIR);
        assertThat(StorageType.ZFSPOOL.formats()).containsExactly("raw", "subvol");
        Set<StorageType> shared = Set.of(StorageType.NFS, StorageType.CIFS, StorageType.GLUSTERFS, StorageType.ZFS, StorageType.ISCSI,
                StorageType.ISCSIDIRECT, StorageType.RBD, StorageType.CEPHFS, StorageType.PBS);
        for (StorageType t : StorageType.values()) assertThat(t.alwaysShared()).as(t.id()).isEqualTo(shared.contains(t));
    }

    /** Random valid configurations written, parsed and written again give the same text and the same entries. */
    @Test
    void seededFuzzRoundTrip() {
        Random r = new Random(20261122L);
        StorageType[] types = StorageType.values();
        for (int round = 0; round < 300; round++) {
            StorageConfig cfg = StorageConfig.empty("/var/lib/vz");
            int n = 1 + r.nextInt(6);
            for (int i = 0; i < n; i++) {
                StorageType t = types[r.nextInt(types.length)];
                Map<String, String> p = new TreeMap<>();
                for (var e : t.options().entrySet()) {
                    if (e.getValue().optional() && r.nextInt(3) != 0) continue;
                    String v = sample(t, e.getKey(), r, i);
                    if (v != null) p.put(e.getKey(), v);
                }
                if (p.containsKey("server2")) p.put("server", "10.9.9.9");
                try {
                    cfg.create(t.id(), "s" + round + "-" + i, p);
                } catch (StorageException ex) {
                    throw new AssertionError("round " + round + " " + t + " " + p + ": " + ex.getMessage() + " " + ex.fieldErrors(), ex);
                }
            }
            String text = cfg.write();
            StorageConfig again = StorageConfig.parse(text, "/var/lib/vz");
            assertThat(again.write()).isEqualTo(text);
            assertThat(again.entries()).hasSameSizeAs(cfg.entries());
            for (StorageEntry e : cfg.entries()) assertThat(again.require(e.id()).raw()).isEqualTo(e.raw());
            // mutate a random entry and check the result still round-trips
            StorageEntry victim = cfg.entries().get(r.nextInt(cfg.entries().size()));
            if (victim.type().options().containsKey("disable")) {
                cfg.update(victim.id(), Map.of("disable", r.nextBoolean() ? "1" : "0"), List.of());
                String t2 = cfg.write();
                assertThat(StorageConfig.parse(t2, "/var/lib/vz").write()).isEqualTo(t2);
            }
        }
    }

    /** Random garbage never throws anything but a StorageException. */
    @Test
    void seededFuzzGarbage() {
        Random r = new Random(99);
        String alphabet = "abc: \t\n#-_/,=1xyz";
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(80);
            for (int j = 0; j < len; j++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            try {
                StorageConfig cfg = StorageConfig.parse(sb.toString(), "/var/lib/vz");
                cfg.entries();
                String w = cfg.write();
                assertThat(StorageConfig.parse(w, "/var/lib/vz").write()).isEqualTo(w);
            } catch (StorageException expected) {
                // malformed input is reported as a storage error
            }
        }
    }

    private static String sample(StorageType t, String key, Random r, int i) {
        PropertyDef d = StorageType.PROPERTIES.get(key);
        if (d.sensitive()) return null;
        return switch (key) {
            case "path" -> "/mnt/p" + i + "/d" + r.nextInt(1000);
            case "export", "subdir", "mountpoint" -> "/e" + r.nextInt(100);
            case "server", "server2", "portal" -> "10.0." + r.nextInt(255) + "." + (1 + r.nextInt(250));
            case "monhost" -> "10.1.1." + r.nextInt(100) + " 10.1.1." + r.nextInt(100);
            case "content" -> {
                List<ContentType> cs = List.copyOf(t.supportedContent());
                ContentType c = cs.get(r.nextInt(cs.size()));
                yield c.id();
            }
            case "format" -> t.formats().isEmpty() ? null : t.formats().get(r.nextInt(t.formats().size()));
            case "nodes" -> "node" + r.nextInt(3) + ",node" + (3 + r.nextInt(3));
            case "prune-backups" -> "keep-daily=" + r.nextInt(9) + ",keep-last=" + r.nextInt(5);
            case "bwlimit" -> "default=" + r.nextInt(1000);
            case "maxfiles" -> String.valueOf(r.nextInt(10));
            case "max-protected-backups" -> String.valueOf(r.nextInt(10) - 1);
            case "port" -> String.valueOf(1 + r.nextInt(65535));
            case "vgname", "thinpool" -> "vg" + r.nextInt(10);
            case "base" -> "iscsi:0.0.1.scsi-3600" + r.nextInt(100);
            case "fs-name" -> "cephfs" + r.nextInt(3);
            case "fingerprint" -> String.join(":", java.util.Collections.nCopies(32, "ab"));
            case "options" -> "vers=4.2,soft";
            case "content-dirs" -> "iso=isos" + r.nextInt(3);
            default -> switch (d.kind()) {
                case BOOLEAN -> r.nextBoolean() ? "1" : "0";
                case ENUM -> d.enumValues().get(r.nextInt(d.enumValues().size()));
                default -> "v" + r.nextInt(100);
            };
        };
    }
}
