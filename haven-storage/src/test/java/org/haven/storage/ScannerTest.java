package org.haven.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.haven.storage.spi.CommandRunner;
import org.junit.jupiter.api.Test;

/** Output parsing and commands of the storage scans. */
class ScannerTest {
    @Test
    void nfsExports() {
        assertThat(Scanner.parseShowmount("/srv/iso    10.0.0.0/8,192.168.1.5\n/srv/backup *\n\n")).containsExactly(
                Map.of("path", "/srv/iso", "options", "10.0.0.0/8,192.168.1.5"), Map.of("path", "/srv/backup", "options", "*"));
        RecordingRunner r = new RecordingRunner().on("showmount", "/a *\n");
        assertThat(new Scanner(r).nfs("10.0.0.10")).hasSize(1);
        assertThat(r.commands).containsExactly("showmount --no-headers --exports 10.0.0.10");
        RecordingRunner bad = new RecordingRunner().on("showmount", new CommandRunner.Result(1, "", "clnt_create: RPC: Program not registered"));
        assertThatThrownBy(() -> new Scanner(bad).nfs("x")).hasMessage("rpc error failed: clnt_create: RPC: Program not registered");
    }

    @Test
    void smbShares() {
        String out = """

                	Sharename       Type      Comment
                	---------       ----      -------
                	VMData          Disk      virtual machines
                	print$          Disk      Printer Drivers
                	IPC$            IPC       IPC Service (Samba)
                	backup          Disk
                SMB1 disabled -- no workgroup available
                """;
        assertThat(Scanner.parseSmbclient(out)).containsExactly(Map.of("share", "VMData", "description", "virtual machines"),
                Map.of("share", "backup", "description", ""));
        RecordingRunner r = new RecordingRunner();
        new Scanner(r).cifs("srv", "u", "p", "WG");
        new Scanner(r).cifs("srv", null, null, null);
        assertThat(r.commands).containsExactly("smbclient -m smb3 -d 0 -L srv -U u%p -W WG", "smbclient -m smb3 -d 0 -L srv -N");
    }

    @Test
    void iscsiZfsGluster() {
        RecordingRunner r = new RecordingRunner()
                .on("iscsiadm", "10.0.0.1:3260,1 iqn.2003-01.org.example:a\n10.0.0.2:3260,1 iqn.2003-01.org.example:a\n")
                .on("zfs list", "rpool\t1000\t24\nrpool/data\t1000\t8\n")
                .on("gluster", "\nVolume Name: gv0\nType: Replicate\n\nVolume Name: gv1\n");
        Scanner s = new Scanner(r);
        assertThat(s.iscsi("10.0.0.1")).containsExactly(Map.of("target", "iqn.2003-01.org.example:a", "portal", "10.0.0.1:3260,10.0.0.2:3260"));
        assertThat(s.zfs()).extracting(m -> m.get("pool")).containsExactly("rpool", "rpool/data");
        assertThat(s.glusterfs("g1")).extracting(m -> m.get("volname")).containsExactly("gv0", "gv1");
        assertThat(r.commands).containsExactly("iscsiadm --mode discovery --type sendtargets --portal 10.0.0.1:3260",
                "zfs list -t filesystem -Hp -o name,avail,used", "gluster --remote-host=g1 volume info");
        assertThat(List.of(s.zfs().get(0).get("size"))).containsExactly(1024L);
    }
}
