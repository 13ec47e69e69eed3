package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.ContentType;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.VolumeInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The glusterfs plugin against a real one-brick GlusterFS volume: glusterd with its state in a temporary
 * directory, the volume mounted by the plugin through the FUSE client at /mnt/pve/&lt;storage&gt;, images made on the
 * mount and written by QEMU through the plugin's gluster:// path.
 */
@RealTest
class GlusterfsTest {
    static final long MIB = 1024 * 1024;
    static Path tmp;
    static Process glusterd;
    static String ip;
    static String volume;
    static String storeid;
    static StorageManager sm;

    static String hostAddress() throws Exception {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (ni.isLoopback() || !ni.isUp()) continue;
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()) return a.getHostAddress();
            }
        }
        return null;
    }

    static boolean portInUse(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static void gluster(String... args) {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "gluster";
        cmd[1] = "--mode=script";
        System.arraycopy(args, 0, cmd, 2, args.length);
        TestSupport.sh(cmd);
    }

    @BeforeAll
    static void start() throws Exception {
        Tools.requireRoot("runs glusterd and mounts through FUSE");
        Tools.require("glusterfs-server", "glusterd", "gluster");
        Tools.require("glusterfs-client", "glusterfs");
        Tools.requireFile(Path.of("/dev/fuse"), "fuse3");
        assertThat(portInUse(24007)).as("port 24007 is taken by another glusterd").isFalse();
        ip = hostAddress();
        assertThat(ip).as("GlusterFS needs a non-loopback IPv4 address").isNotNull();
        tmp = Files.createTempDirectory("haven-gluster");
        String suffix = Integer.toHexString(new Random().nextInt(1 << 20));
        volume = "havenvol" + suffix;
        storeid = "gl" + suffix;
        try {
            Files.createDirectories(tmp.resolve("wd"));
            Files.createDirectories(tmp.resolve("brick"));
            Files.writeString(tmp.resolve("glusterd.vol"), """
                    volume management
                        type mgmt/glusterd
                        option working-directory %s
                        option transport-type socket
                        option transport.socket.listen-port 24007
                        option ping-timeout 0
                        option event-threads 1
                    end-volume
                    """.formatted(tmp.resolve("wd")));
            // glusterd in its own session, so its shutdown cannot signal this JVM's process group
            glusterd = new ProcessBuilder("setsid", "-w", "glusterd", "-N", "-f", tmp.resolve("glusterd.vol").toString(),
                    "-p", tmp.resolve("glusterd.pid").toString(), "--log-file=" + tmp.resolve("glusterd.log"))
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("glusterd.out").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!TestSupport.SH.run(List.of("gluster", "--mode=script", "volume", "list")).ok()) {
                if (System.nanoTime() > deadline || !glusterd.isAlive()) throw new IllegalStateException("glusterd did not start");
                Thread.sleep(200);
            }
            gluster("volume", "create", volume, ip + ":" + tmp.resolve("brick"), "force");
            gluster("volume", "start", volume);
            LocalClusterFs cfs = TestSupport.cfs(tmp.resolve("cfs"), "node1");
            cfs.writeString("storage.cfg", "glusterfs: " + storeid + "\n\tserver " + ip + "\n\tvolume " + volume + "\n\tcontent images,iso\n\n");
            sm = new StorageManager(cfs, "node1", tmp.resolve("vz"), new ProcessCommandRunner());
        } catch (Exception | AssertionError e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        if (storeid != null) {
            TestSupport.quiet("umount", "/mnt/pve/" + storeid);
            try { Files.deleteIfExists(Path.of("/mnt/pve/" + storeid)); } catch (Exception ignored) { }
        }
        if (volume != null && glusterd != null) {
            TestSupport.quiet("gluster", "--mode=script", "volume", "stop", volume, "force");
            TestSupport.quiet("gluster", "--mode=script", "volume", "delete", volume);
        }
        if (glusterd != null) {
            try {
                long pid = Long.parseLong(Files.readString(tmp.resolve("glusterd.pid")).strip());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
                glusterd.waitFor(15, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // fall through to the forced stop
            }
            if (glusterd.isAlive()) glusterd.destroyForcibly();
        }
        TestSupport.deleteTree(tmp);
    }

    @Test
    void mountAllocWriteThroughGlusterUrlAndFree() {
        sm.activateStorage(storeid);
        Path mp = Path.of("/mnt/pve/" + storeid);
        assertThat(sm.status(storeid).active()).isTrue();
        assertThat(mp.resolve("images")).isDirectory();
        assertThat(mp.resolve("template/iso")).isDirectory();

        String raw = sm.alloc(storeid, 100, "raw", null, 4 * MIB);
        assertThat(raw).isEqualTo(storeid + ":100/vm-100-disk-0.raw");
        String url = sm.path(raw);
        assertThat(url).isEqualTo("gluster://" + ip + "/" + volume + "/images/100/vm-100-disk-0.raw");
        TestSupport.write(url, "raw", 0x6b, MIB, MIB);
        // the brick holds what QEMU wrote through libgfapi
        assertThat(TestSupport.holds(tmp.resolve("brick/images/100/vm-100-disk-0.raw").toString(), "raw", 0x6b, MIB, MIB)).isTrue();

        String qcow = sm.alloc(storeid, 100, "qcow2", null, 4 * MIB);
        sm.snapshot(qcow, "s1");
        assertThat(sm.snapshots(qcow)).containsExactly("s1");
        assertThat(sm.list(storeid, 100, Set.of(ContentType.IMAGES))).extracting(VolumeInfo::volid).containsExactly(raw, qcow);
        sm.free(raw);
        sm.free(qcow);
        assertThat(sm.list(storeid, 100, Set.of(ContentType.IMAGES))).isEmpty();
        assertThat(sm.scanner().glusterfs(ip)).extracting(m -> m.get("volname")).contains(volume);
    }
}
