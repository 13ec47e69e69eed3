package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.VolumeInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The iscsidirect plugin against a real iSCSI target: the user-space target daemon {@code tgtd} serving two
 * file-backed LUNs on loopback, listed with libiscsi's {@code iscsi-ls} and opened by QEMU through the plugin's
 * {@code iscsi://} paths (all user space, no kernel initiator needed).
 */
@RealTest
class IscsiDirectTgtTest {
    static final long MIB = 1024 * 1024;
    static Path tmp;
    static Process tgtd;
    static int control;
    static int port;
    static String iqn;
    static StorageManager sm;

    static void tgtadm(String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "tgtadm";
        cmd[1] = "-C";
        cmd[2] = String.valueOf(control);
        System.arraycopy(args, 0, cmd, 3, args.length);
        TestSupport.sh(cmd);
    }

    @BeforeAll
    static void start() throws Exception {
        Tools.requireRoot("runs tgtd");
        Tools.require("tgt", "tgtd", "tgtadm");
        Tools.require("libiscsi-bin", "iscsi-ls");
        tmp = Files.createTempDirectory("haven-tgt");
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        control = 2000 + new Random().nextInt(20000);
        iqn = "iqn.2026-01.org.haven:it" + Integer.toHexString(control);
        tgtd = new ProcessBuilder("tgtd", "-f", "-C", String.valueOf(control), "--iscsi", "portal=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("tgtd.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                if (TestSupport.SH.run(List.of("tgtadm", "-C", String.valueOf(control), "--op", "show", "--mode", "sys")).ok()) break;
                if (System.nanoTime() > deadline || !tgtd.isAlive()) throw new IllegalStateException("tgtd did not start: " + Files.readString(tmp.resolve("tgtd.log")));
                Thread.sleep(100);
            }
            try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("lun1.img").toFile(), "rw")) { f.setLength(64 * MIB); }
            try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("lun2.img").toFile(), "rw")) { f.setLength(32 * MIB); }
            tgtadm("--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T", iqn);
            tgtadm("--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", tmp.resolve("lun1.img").toString());
            tgtadm("--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "2", "-b", tmp.resolve("lun2.img").toString());
            tgtadm("--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
            LocalClusterFs cfs = TestSupport.cfs(tmp.resolve("cfs"), "node1");
            cfs.writeString("storage.cfg", "iscsidirect: tgt\n\tportal 127.0.0.1:" + port + "\n\ttarget " + iqn + "\n\n"
                    + "iscsidirect: wrong\n\tportal 127.0.0.1:" + port + "\n\ttarget iqn.2026-01.org.haven:nothere\n\n");
            sm = new StorageManager(cfs, "node1", tmp.resolve("vz"), new ProcessCommandRunner());
        } catch (Exception | AssertionError e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        if (tgtd != null) {
            // tgtd exits on 'delete system' only without targets and when offline
            String c = String.valueOf(control);
            TestSupport.quiet("tgtadm", "-C", c, "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", "1", "--force");
            TestSupport.quiet("tgtadm", "-C", c, "--op", "update", "--mode", "sys", "--name", "State", "-v", "offline");
            TestSupport.quiet("tgtadm", "-C", c, "--op", "delete", "--mode", "system");
            tgtd.destroy();
            try {
                if (!tgtd.waitFor(10, TimeUnit.SECONDS)) tgtd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TestSupport.deleteTree(tmp);
    }

    @Test
    void listsTheLunsOfItsTargetOnly() {
        List<VolumeInfo> l = sm.list("tgt", null, Set.of());
        assertThat(l).extracting(VolumeInfo::volid).containsExactly("tgt:lun1", "tgt:lun2");
        assertThat(l.get(0).size()).isBetween(63 * MIB, 64 * MIB);
        assertThat(l.get(1).size()).isBetween(31 * MIB, 32 * MIB);
        assertThat(sm.list("wrong", null, Set.of())).isEmpty();
        assertThat(sm.status("tgt").active()).isTrue();
        assertThat(sm.size("tgt:lun2")).isEqualTo(l.get(1).size());
    }

    @Test
    void qemuReadsAndWritesThroughThePluginPath() throws Exception {
        String path = sm.path("tgt:lun1");
        assertThat(path).isEqualTo("iscsi://127.0.0.1:" + port + "/" + iqn + "/1");
        TestSupport.write(path, "raw", 0x5d, MIB, MIB);
        assertThat(TestSupport.holds(path, "raw", 0x5d, MIB, MIB)).isTrue();
        try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("lun1.img").toFile(), "r")) {
            f.seek(MIB);
            assertThat(f.read()).isEqualTo(0x5d);
        }
    }

    @Test
    void allocationHappensOnTheTarget() {
        assertThatThrownBy(() -> sm.alloc("tgt", 100, null, null, MIB)).hasMessage("can't allocate space in iscsi storage");
        assertThatThrownBy(() -> sm.free("tgt:lun1")).hasMessage("can't free space in iscsi storage");
        assertThat(sm.hasFeature(Feature.SNAPSHOT, "tgt:lun1", null, false)).isFalse();
        assertThat(sm.hasFeature(Feature.COPY, "tgt:lun1", null, false)).isTrue();
    }
}
