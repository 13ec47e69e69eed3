package org.haven.ceph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.haven.core.cfs.MemoryClusterFs;
import org.junit.jupiter.api.Test;

/** PVE's ceph.conf: parsing as parse_ceph_config, writing as write_ceph_config, and the local copy of a node. */
class CephConfigTest {
    static final String PVE = """
            [global]
            \t auth_client_required = cephx
            \t fsid = 0b4b4b8e-0000-4000-8000-000000000001
            \t mon_host = 10.0.0.1 10.0.0.2

            [client]
            \t keyring = /etc/pve/priv/$cluster.$name.keyring

            [mon.pve1]
            \t public_addr = 10.0.0.1

            """;

    @Test
    void parsesPveFilesAndNormalizesKeys() {
        CephConfig c = CephConfig.parse(PVE + "# a comment\n; another\n[osd]\n  osd memory target = 1G\n  osd-max-backfills=2\n[global]\n  fsid = other\n");
        assertThat(c.get("global", "auth_client_required")).isEqualTo("cephx");
        assertThat(c.get("global", "mon_host")).isEqualTo("10.0.0.1 10.0.0.2");
        assertThat(c.get("osd", "osd_memory_target")).isEqualTo("1G");
        assertThat(c.get("osd", "osd_max_backfills")).isEqualTo("2");
        assertThat(c.get("global", "fsid")).as("the last value wins").isEqualTo("other");
        assertThat(c.get("mon.pve1", "public_addr")).isEqualTo("10.0.0.1");
        assertThat(c.get("nosuch", "x")).isNull();
    }

    @Test
    void writesSectionsInPveOrderWithSortedKeys() {
        CephConfig c = new CephConfig();
        c.set("mon.b", "public_addr", "10.0.0.2");
        c.set("osd.3", "x", "1");
        c.set("zeta", "k", "v");
        c.set("mgr", "k", "v");
        c.set("mon.a", "public_addr", "10.0.0.1");
        c.set("client", "keyring", "/etc/pve/priv/$cluster.$name.keyring");
        c.set("global", "fsid", "f");
        c.set("global", "auth_client_required", "cephx");
        c.set("mds", "k", "v");
        assertThat(c.write()).isEqualTo("""
                [global]
                \tauth_client_required = cephx
                \tfsid = f

                [client]
                \tkeyring = /etc/pve/priv/$cluster.$name.keyring

                [mds]
                \tk = v

                [mgr]
                \tk = v

                [mon.a]
                \tpublic_addr = 10.0.0.1

                [mon.b]
                \tpublic_addr = 10.0.0.2

                [osd.3]
                \tx = 1

                [zeta]
                \tk = v

                """);
    }

    @Test
    void writtenFilesReadBackTheSame() {
        Random r = new Random(18);
        for (int i = 0; i < 200; i++) {
            CephConfig c = new CephConfig();
            Map<String, Map<String, String>> expect = new LinkedHashMap<>();
            for (int s = 0; s < 1 + r.nextInt(5); s++) {
                String section = List.of("global", "client", "mon", "osd", "mon.a", "osd.1", "mds.x", "client.crash").get(r.nextInt(8));
                for (int k = 0; k < 1 + r.nextInt(4); k++) {
                    String key = "k" + r.nextInt(10) + "_x";
                    String value = r.nextBoolean() ? "v" + r.nextInt(100) : "/path/$cluster.$name " + r.nextInt(9);
                    c.set(section, key, value);
                    expect.computeIfAbsent(section, x -> new java.util.TreeMap<>()).put(key, value);
                }
            }
            CephConfig back = CephConfig.parse(c.write());
            expect.forEach((s, kv) -> kv.forEach((k, v) -> assertThat(back.get(s, k)).isEqualTo(v)));
            assertThat(back.write()).isEqualTo(c.write());
        }
    }

    @Test
    void theLocalCopyPointsAtLocalFilesAndTheNodesDirectories() {
        MemoryClusterFs cfs = new MemoryClusterFs("n1");
        cfs.writeString("ceph.conf", PVE);
        CephNode.Paths paths = CephNode.Paths.forNode(true, Path.of("/data"));
        CephConfig local = CephConfig.parse(new CephNode(cfs, "n1", paths, null).localConfig());
        assertThat(local.get("client", "keyring")).isEqualTo("/data/ceph/etc/pve/priv/$cluster.$name.keyring");
        assertThat(local.get("global", "mon_data")).isEqualTo("/data/ceph/lib/mon/$cluster-$id");
        assertThat(local.get("global", "run_dir")).isEqualTo("/data/ceph/run");
        assertThat(local.get("global", "mon_cluster_log_file")).isEqualTo("/data/ceph/log/ceph.log");
        assertThat(local.get("global", "fsid")).isEqualTo("0b4b4b8e-0000-4000-8000-000000000001");
        assertThat(paths.data("osd", "3")).isEqualTo(Path.of("/data/ceph/lib/osd/ceph-3"));
        assertThat(CephNode.Paths.forNode(false, Path.of("/data")).conf()).isEqualTo(Path.of("/etc/ceph/ceph.conf"));
    }
}
