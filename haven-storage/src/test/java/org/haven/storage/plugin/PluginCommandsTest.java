package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.storage.ContentType;
import org.haven.storage.RecordingRunner;
import org.haven.storage.config.StorageConfig;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact commands issued by the plugins whose backends cannot run on this machine. */
class PluginCommandsTest {
    static final long MIB = 1024 * 1024;
    static final long GIB = 1024 * MIB;

    RecordingRunner run = new RecordingRunner();
    Map<String, String> secrets = new java.util.HashMap<>();
    PluginContext ctx = new PluginContext(run, "node1", (id, kind) -> Optional.ofNullable(secrets.get(id + "/" + kind)));
    @TempDir Path tmp;

    static StorageEntry entry(String cfg, String id) {
        return StorageConfig.parse(cfg, "/var/lib/vz").require(id);
    }

    // ---- zfspool -------------------------------------------------------------------------------------------------

    static final String ZFS_CFG = "zfspool: tank\n\tpool tank/data\n\tsparse 1\n\tblocksize 16k\n\tcontent images,rootdir\n\n";

    @Test
    void zfsPoolAllocFreeSnapshotsCloneResize() {
        StorageEntry s = entry(ZFS_CFG, "tank");
        ZfsPoolPlugin p = new ZfsPoolPlugin(ctx);
        run.on("zfs list -o name,volsize,origin,type,refquota", "tank/data\t-\t-\tfilesystem\t0\ntank/data/vm-100-disk-0\t1073741824\t-\tvolume\t-\n");
        assertThat(p.alloc(s, 100, "raw", null, GIB)).isEqualTo("vm-100-disk-1");
        assertThat(p.alloc(s, 100, "subvol", null, 8 * GIB)).isEqualTo("subvol-100-disk-0");
        assertThat(run.commands).contains(
                "zfs create -s -b 16k -V 1048576k tank/data/vm-100-disk-1",
                "zfs create -o acltype=posixacl -o xattr=sa -o refquota=8388608k tank/data/subvol-100-disk-0");
        assertThat(p.path(s, "vm-100-disk-0", null)).isEqualTo("/dev/zvol/tank/data/vm-100-disk-0");
        assertThat(p.path(s, "subvol-100-disk-0", null)).isEqualTo("/tank/data/subvol-100-disk-0");
        run.clear();
        p.snapshot(s, "vm-100-disk-0", "s1");
        p.rollback(s, "vm-100-disk-0", "s1");
        p.deleteSnapshot(s, "vm-100-disk-0", "s1", false);
        p.resize(s, "vm-100-disk-0", 2 * GIB + 1, false);
        p.free(s, "vm-100-disk-0");
        assertThat(run.commands).containsExactly(
                "zfs snapshot tank/data/vm-100-disk-0@s1",
                "zfs rollback -r tank/data/vm-100-disk-0@s1",
                "zfs destroy tank/data/vm-100-disk-0@s1",
                "zfs set volsize=2097160k tank/data/vm-100-disk-0",
                "zfs destroy -r tank/data/vm-100-disk-0");
        run.clear();
        assertThat(p.createBase(s, "vm-100-disk-0")).isEqualTo("base-100-disk-0");
        assertThat(run.commands).containsExactly(
                "zfs rename tank/data/vm-100-disk-0 tank/data/base-100-disk-0",
                "zfs set readonly=on tank/data/base-100-disk-0",
                "zfs snapshot tank/data/base-100-disk-0@__base__");
        run.clear();
        assertThat(p.cloneImage(s, "base-100-disk-0", 101, null)).isEqualTo("base-100-disk-0/vm-101-disk-0");
        assertThat(run.commands).contains("zfs clone tank/data/base-100-disk-0@__base__ tank/data/vm-101-disk-0");
        assertThatThrownBy(() -> p.alloc(s, 100, "raw", "vm-7-disk-0", MIB)).hasMessage("illegal name 'vm-7-disk-0' - should be 'vm-100-*'");
    }

    @Test
    void zfsPoolStatusListAndExport() throws Exception {
        StorageEntry s = entry(ZFS_CFG, "tank");
        ZfsPoolPlugin p = new ZfsPoolPlugin(ctx);
        run.on("zfs get -o value -Hp available,used tank/data", "1000\n24\n");
        assertThat(p.status(s)).isEqualTo(new StorageStatus(1024, 24, 1000, true));
        run.on("zfs list -o name,volsize,origin,type,refquota", "tank/data\t-\t-\tfilesystem\t0\n"
                + "tank/data/base-100-disk-0\t1073741824\t-\tvolume\t-\n"
                + "tank/data/vm-101-disk-0\t1073741824\ttank/data/base-100-disk-0@__base__\tvolume\t-\n"
                + "tank/data/subvol-102-disk-0\t-\t-\tfilesystem\t8589934592\n"
                + "tank/data/other\t-\t-\tfilesystem\t0\n");
        List<VolumeInfo> l = p.list(s, null, Set.of());
        assertThat(l).extracting(VolumeInfo::volid).containsExactly("tank:base-100-disk-0", "tank:base-100-disk-0/vm-101-disk-0",
                "tank:subvol-102-disk-0");
        assertThat(l.get(2).content()).isEqualTo(ContentType.ROOTDIR);
        assertThat(l.get(2).size()).isEqualTo(8 * GIB);
        run.clear();
        p.exportVolume(s, "vm-101-disk-0", ExportFormat.ZFS, "rep1", "rep0", true, new ByteArrayOutputStream());
        assertThat(run.commands).containsExactly("zfs send -Rpv -I rep0 -- tank/data/vm-101-disk-0@rep1");
        run.clear();
        run.on("zfs list -H -o name tank/data/vm-101-disk-0", new CommandRunner.Result(1, "", "does not exist"));
        assertThat(p.importVolume(s, "vm-101-disk-0", ExportFormat.ZFS, "rep1", null, true, false, new ByteArrayInputStream(new byte[0])))
                .isEqualTo("vm-101-disk-0");
        assertThat(run.commands).contains("zfs recv -F -- tank/data/vm-101-disk-0");
        assertThat(p.hasFeature(s, Feature.CLONE, "base-100-disk-0", null, false)).isTrue();
        assertThat(p.hasFeature(s, Feature.SNAPSHOT, "vm-101-disk-0", null, false)).isTrue();
    }

    // ---- zfs over iscsi --------------------------------------------------------------------------------------------

    @Test
    void zfsOverIscsiRunsOverSshAndManagesLuns() {
        StorageEntry s = entry("zfs: lio\n\tblocksize 4k\n\tiscsiprovider LIO\n\tpool tank\n\tportal 192.0.2.111\n"
                + "\ttarget iqn.2003-01.org.linux-iscsi.lio.x8664:sn.xx\n\tcontent images\n\tlio_tpg tpg1\n\tsparse 1\n\n", "lio");
        ZfsIscsiPlugin p = new ZfsIscsiPlugin(ctx);
        String ssh = "ssh -o BatchMode=yes -i /etc/pve/priv/zfs/192.0.2.111_id_rsa root@192.0.2.111 ";
        run.on(ssh + "zfs list -o name", "tank\t-\t-\tfilesystem\t0\n");
        assertThat(p.alloc(s, 100, "raw", null, GIB)).isEqualTo("vm-100-disk-0");
        assertThat(run.commands).containsSubsequence(
                ssh + "zfs create -s -b 4k -V 1048576k tank/vm-100-disk-0",
                ssh + "targetcli /backstores/block create name=tank-vm-100-disk-0 dev=/dev/tank/vm-100-disk-0",
                ssh + "targetcli /iscsi/iqn.2003-01.org.linux-iscsi.lio.x8664:sn.xx/tpg1/luns create /backstores/block/tank-vm-100-disk-0");
        run.on(ssh + "targetcli /iscsi", "o- luns\n  o- lun0 [block/tank-vm-100-disk-0 (/dev/tank/vm-100-disk-0)]\n");
        assertThat(p.path(s, "vm-100-disk-0", null)).isEqualTo("iscsi://192.0.2.111/iqn.2003-01.org.linux-iscsi.lio.x8664:sn.xx/0");
        run.clear();
        p.free(s, "vm-100-disk-0");
        assertThat(run.commands).containsExactly(ssh + "targetcli /backstores/block delete tank-vm-100-disk-0",
                ssh + "zfs destroy -r tank/vm-100-disk-0");
    }

    // ---- lvmthin (no thin pools without device-mapper here) -----------------------------------------------------------

    @Test
    void lvmThinCommands() {
        StorageEntry s = entry("lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\n", "local-lvm");
        LvmThinPlugin p = new LvmThinPlugin(ctx);
        run.on("lvs", "  pve:data:107374182400:twi-aotz--::12.50:1.00::u1::4194304:0\n  pve:vm-100-disk-0:4294967296:Vwi-aotz--:data:50.00:::u2:pve-vm-100:0:0\n");
        assertThat(p.status(s)).isEqualTo(new StorageStatus(107374182400L, 13421772800L, 107374182400L - 13421772800L, true));
        assertThat(p.alloc(s, 100, null, null, 4 * GIB)).isEqualTo("vm-100-disk-1");
        assertThat(run.commands).contains("lvcreate -aly -V 4194304k --name vm-100-disk-1 --thinpool pve/data");
        run.clear();
        p.snapshot(s, "vm-100-disk-0", "s1");
        p.rollback(s, "vm-100-disk-0", "s1");
        p.deleteSnapshot(s, "vm-100-disk-0", "s1", false);
        assertThat(run.commands).containsExactly("lvcreate -n snap_vm-100-disk-0_s1 -pr -s pve/vm-100-disk-0",
                "lvremove -f pve/vm-100-disk-0", "lvcreate -kn -n vm-100-disk-0 -s pve/snap_vm-100-disk-0_s1",
                "lvremove -f pve/snap_vm-100-disk-0_s1");
        run.clear();
        assertThat(p.createBase(s, "vm-100-disk-0")).isEqualTo("base-100-disk-0");
        assertThat(run.commands).contains("lvrename pve vm-100-disk-0 base-100-disk-0",
                "lvchange -an -pr -ky pve/base-100-disk-0");
        run.clear();
        assertThat(p.cloneImage(s, "base-100-disk-0", 101, null)).isEqualTo("vm-101-disk-0");
        assertThat(run.commands).contains("lvcreate -n vm-101-disk-0 -prw -kn -s pve/base-100-disk-0");
        assertThat(p.path(s, "vm-100-disk-0", "s1")).isEqualTo("/dev/pve/snap_vm-100-disk-0_s1");
        List<VolumeInfo> l = p.list(s, null, Set.of());
        assertThat(l).extracting(VolumeInfo::volid).containsExactly("local-lvm:vm-100-disk-0");
        assertThat(l.get(0).used()).isEqualTo(2 * GIB);
    }

    // ---- iscsi / iscsidirect ---------------------------------------------------------------------------------------------

    @Test
    void iscsiLoginAndLunListing() throws Exception {
        StorageEntry s = entry("iscsi: mynas\n\tportal 10.10.10.1\n\ttarget iqn.2006-01.openfiler.com:tsn.dcb5\n\tcontent none\n\n", "mynas");
        IscsiPlugin p = new IscsiPlugin(ctx);
        run.on("iscsiadm --mode session", new CommandRunner.Result(21, "", "iscsiadm: No active sessions."));
        p.activateStorage(s);
        assertThat(run.commands).containsExactly("iscsiadm --mode session",
                "iscsiadm --mode discovery --type sendtargets --portal 10.10.10.1:3260",
                "iscsiadm --mode node --targetname iqn.2006-01.openfiler.com:tsn.dcb5 --portal 10.10.10.1:3260 --login");
        assertThat(IscsiPlugin.parseDiscovery("10.10.10.1:3260,1 iqn.a\n[fd00::1]:3260,1 iqn.a\n10.10.10.2:3260,1 iqn.b\n"))
                .containsEntry("iqn.a", List.of("10.10.10.1:3260", "[fd00::1]:3260")).containsEntry("iqn.b", List.of("10.10.10.2:3260"));
        assertThatThrownBy(() -> p.alloc(s, 100, null, null, MIB)).hasMessage("can't allocate space in iscsi storage");
        assertThatThrownBy(() -> p.free(s, "0.0.1.scsi-1")).hasMessage("can't free space in iscsi storage");
        // LUN discovery through a fake sysfs/devfs tree
        Path root = tmp;
        Path session = root.resolve("sys/devices/platform/host3/session1");
        java.nio.file.Files.createDirectories(session.resolve("iscsi_session/session1"));
        java.nio.file.Files.writeString(session.resolve("iscsi_session/session1/targetname"), "iqn.2006-01.openfiler.com:tsn.dcb5\n");
        Path dev = session.resolve("target3:0:0/3:0:0:2");
        java.nio.file.Files.createDirectories(dev);
        java.nio.file.Files.createDirectories(root.resolve("sys/block/sdb"));
        java.nio.file.Files.createSymbolicLink(root.resolve("sys/block/sdb/device"), dev);
        java.nio.file.Files.writeString(root.resolve("sys/block/sdb/size"), "2097152\n");
        java.nio.file.Files.createDirectories(root.resolve("dev/disk/by-id"));
        java.nio.file.Files.createFile(root.resolve("dev/sdb"));
        java.nio.file.Files.createSymbolicLink(root.resolve("dev/disk/by-id/scsi-36001405aa"), root.resolve("dev/sdb"));
        p.sysRoot = root;
        List<VolumeInfo> l = p.list(s, null, Set.of());
        assertThat(l).extracting(VolumeInfo::volid).containsExactly("mynas:0.0.2.scsi-36001405aa");
        assertThat(l.get(0).size()).isEqualTo(GIB);
        assertThat(p.path(s, "0.0.2.scsi-36001405aa", null)).isEqualTo(root.resolve("dev/disk/by-id/scsi-36001405aa").toString());
    }

    @Test
    void iscsiDirectUsesLibiscsi() {
        StorageEntry s = entry("iscsidirect: fast\n\tportal 10.10.10.1\n\ttarget iqn.t\n\n", "fast");
        IscsiDirectPlugin p = new IscsiDirectPlugin(ctx);
        run.on("iscsi-ls -s iscsi://10.10.10.1", "Target:iqn.other Portal:10.10.10.1:3260,1\nLun:0 Type:DIRECT_ACCESS (Size:1G)\n"
                + "Target:iqn.t Portal:10.10.10.1:3260,1\nLun:0 Type:DIRECT_ACCESS (Size:10G)\nLun:1 Type:DIRECT_ACCESS (Size:512M)\n");
        assertThat(p.list(s, null, Set.of())).extracting(VolumeInfo::volid, VolumeInfo::size)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("fast:lun0", 10 * GIB), org.assertj.core.groups.Tuple.tuple("fast:lun1", 512 * MIB));
        assertThat(p.path(s, "lun1", null)).isEqualTo("iscsi://10.10.10.1/iqn.t/1");
        assertThat(p.size(s, "lun1")).isEqualTo(512 * MIB);
    }

    // ---- rbd ---------------------------------------------------------------------------------------------------------------

    @Test
    void rbdExternalClusterCommands() throws Exception {
        StorageEntry s = entry("rbd: ceph3\n\tmonhost 10.1.1.20 10.1.1.21\n\tpool ceph3\n\tcontent images\n\tusername admin\n\n", "ceph3");
        secrets.put("ceph3/keyring", "[client.admin]\n\tkey = AQBfoo==\n");
        System.setProperty("haven.secret.dir", tmp.resolve("secrets").toString());
        RbdPlugin p = new RbdPlugin(ctx);
        String keyring = tmp.resolve("secrets/ceph3.keyring").toString();
        String rbd = "rbd -p ceph3 -m 10.1.1.20,10.1.1.21 --auth_supported cephx -n client.admin --keyring " + keyring + " ";
        run.on(rbd + "ls --format json", "[\"vm-100-disk-0\"]");
        assertThat(p.alloc(s, 100, null, null, 4 * GIB)).isEqualTo("vm-100-disk-1");
        assertThat(run.commands).contains(rbd + "create --image-format 2 --size 4096 vm-100-disk-1");
        assertThat(java.nio.file.Files.readString(Path.of(keyring))).contains("AQBfoo==");
        assertThat(p.path(s, "vm-100-disk-0", null))
                .isEqualTo("rbd:ceph3/vm-100-disk-0:mon_host=10.1.1.20;10.1.1.21:auth_supported=cephx:id=admin:keyring=" + keyring);
        run.clear();
        assertThat(p.createBase(s, "vm-100-disk-0")).isEqualTo("base-100-disk-0");
        assertThat(run.commands).containsExactly(rbd + "rename vm-100-disk-0 base-100-disk-0", rbd + "snap create base-100-disk-0@__base__",
                rbd + "snap protect base-100-disk-0@__base__");
        run.clear();
        assertThat(p.cloneImage(s, "base-100-disk-0", 101, null)).isEqualTo("base-100-disk-0/vm-101-disk-0");
        assertThat(run.commands).contains(rbd + "clone ceph3/base-100-disk-0@__base__ ceph3/vm-101-disk-0");
        run.clear();
        p.free(s, "base-100-disk-0/vm-101-disk-0");
        p.resize(s, "vm-100-disk-0", 5 * GIB, false);
        assertThat(run.commands).containsExactly(rbd + "snap purge vm-101-disk-0", rbd + "rm vm-101-disk-0",
                rbd + "resize --size 5120 --allow-shrink vm-100-disk-0");
        run.on(rbd + "ls -l --format json", "[{\"image\":\"base-100-disk-0\",\"size\":1073741824},"
                + "{\"image\":\"base-100-disk-0\",\"snapshot\":\"__base__\",\"size\":1073741824},"
                + "{\"image\":\"vm-101-disk-0\",\"size\":1073741824,\"parent\":{\"pool\":\"ceph3\",\"image\":\"base-100-disk-0\",\"snapshot\":\"__base__\"}}]");
        assertThat(p.list(s, null, Set.of())).extracting(VolumeInfo::volid)
                .containsExactly("ceph3:base-100-disk-0", "ceph3:base-100-disk-0/vm-101-disk-0");
        assertThat(RbdPlugin.parseDf("{\"pools\":[{\"name\":\"ceph3\",\"stats\":{\"stored\":100,\"max_avail\":900}}]}", "ceph3"))
                .isEqualTo(new StorageStatus(1000, 100, 900, true));
        StorageEntry krbd = entry("rbd: k\n\tpool p\n\tkrbd 1\n\n", "k");
        assertThat(p.path(krbd, "vm-1-disk-0", null)).isEqualTo("/dev/rbd/p/vm-1-disk-0");
        run.clear();
        p.activateVolume(krbd, "vm-1-disk-0", null);
        assertThat(run.commands).containsExactly("rbd -p p -c /etc/ceph/ceph.conf map vm-1-disk-0");
    }

    // ---- network file systems ---------------------------------------------------------------------------------------------------

    @Test
    void nfsCifsGlusterCephfsMountCommands() {
        Path mp = tmp.resolve("mnt");
        StorageEntry nfs = entry("nfs: iso\n\tpath " + mp.resolve("iso") + "\n\tserver 10.0.0.10\n\texport /space/iso\n\toptions vers=3,soft\n\n", "iso");
        new NfsPlugin(ctx).activateStorage(nfs);
        assertThat(run.commands).containsExactly("rpcinfo -T tcp 10.0.0.10 nfs",
                "mount -t nfs 10.0.0.10:/space/iso " + mp.resolve("iso") + " -o vers=3,soft");
        run.clear();
        run.on("rpcinfo", new CommandRunner.Result(1, "", "timeout"));
        assertThatThrownBy(() -> new NfsPlugin(ctx).activateStorage(nfs)).hasMessage("storage 'iso' is not online");

        run = new RecordingRunner();
        ctx = new PluginContext(run, "node1", (id, kind) -> Optional.ofNullable(secrets.get(id + "/" + kind)));
        System.setProperty("haven.secret.dir", tmp.resolve("secrets").toString());
        secrets.put("smb/password", "pw");
        StorageEntry cifs = entry("cifs: smb\n\tpath " + mp.resolve("smb") + "\n\tserver 192.168.1.20\n\tshare VMData\n\tusername u\n"
                + "\tdomain WG\n\tsmbversion 3\n\n", "smb");
        new CifsPlugin(ctx).activateStorage(cifs);
        assertThat(run.commands.get(1)).isEqualTo("mount -t cifs //192.168.1.20/VMData " + mp.resolve("smb") + " -o soft -o username=u -o credentials="
                + tmp.resolve("secrets/smb.cred") + " -o domain=WG -o vers=3");
        run.clear();
        StorageEntry gl = entry("glusterfs: gl\n\tserver 10.2.3.4\n\tserver2 10.2.3.5\n\tvolume vol\n\n", "gl");
        GlusterfsPlugin g = new GlusterfsPlugin(ctx);
        assertThat(g.path(gl, "100/vm-100-disk-0.qcow2", null)).isEqualTo("gluster://10.2.3.4/vol/images/100/vm-100-disk-0.qcow2");
        assertThat(g.mountCommand(gl, Path.of("/mnt/pve/gl"))).containsExactly("mount", "-t", "glusterfs", "10.2.3.4:vol", "/mnt/pve/gl",
                "-o", "backupvolfile-server=10.2.3.5");
        StorageEntry cfs = entry("cephfs: cf\n\tpath /mnt/pve/cf\n\tmonhost 10.1.1.20 10.1.1.21\n\tfs-name cephfs\n\tusername admin\n\n", "cf");
        secrets.put("cf/keyring", "[client.admin]\n\tkey = AQBbar==\n");
        assertThat(String.join(" ", new CephFsPlugin(ctx).mountCommand(cfs, Path.of("/mnt/pve/cf"))))
                .isEqualTo("mount -t ceph 10.1.1.20,10.1.1.21:/ /mnt/pve/cf -o name=admin,secretfile=" + tmp.resolve("secrets/cf.secret") + ",fs=cephfs");
    }

    // ---- pbs ----------------------------------------------------------------------------------------------------------------

    @Test
    void pbsClientCommands() {
        StorageEntry s = entry("pbs: bs\n\tdatastore main\n\tserver pbs.example.com\n\tusername archiver@pbs\n"
                + "\tfingerprint " + String.join(":", java.util.Collections.nCopies(32, "ab")) + "\n\n", "bs");
        secrets.put("bs/password", "secret");
        PbsPlugin p = new PbsPlugin(ctx);
        run.on("proxmox-backup-client snapshot list", "[{\"backup-type\":\"vm\",\"backup-id\":\"100\",\"backup-time\":1700000000,\"size\":42,\"protected\":true}]");
        List<VolumeInfo> l = p.list(s, null, Set.of());
        assertThat(l).extracting(VolumeInfo::volid).containsExactly("bs:backup/vm/100/2023-11-14T22:13:20Z");
        assertThat(l.get(0).isProtected()).isTrue();
        assertThat(run.commands.get(0)).isEqualTo("proxmox-backup-client snapshot list --output-format json --repository archiver@pbs@pbs.example.com:main");
        assertThat(run.envs.get(0)).containsEntry("PBS_PASSWORD", "secret");
        assertThat(p.parseVolname("backup/vm/100/2023-11-14T22:13:20Z").vmid()).isEqualTo(100);
    }

    @Test
    void sizeHeaderIsLittleEndian() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Sizes.writeHeader(out, 0x0102030405060708L);
        assertThat(out.toByteArray()).containsExactly(8, 7, 6, 5, 4, 3, 2, 1);
        assertThat(Sizes.readHeader(new ByteArrayInputStream(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(4096).array())))
                .isEqualTo(4096);
        assertThat(Sizes.parse("4G")).isEqualTo(4 * GIB);
        assertThat(Sizes.parse("512M")).isEqualTo(512 * MIB);
        assertThat(Sizes.parse("1.5K")).isEqualTo(1536);
        assertThat(Sizes.parse("100")).isEqualTo(100);
        assertThatThrownBy(() -> Sizes.parse("4X")).hasMessage("unable to parse size '4X'");
    }
}
