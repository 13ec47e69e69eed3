package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.haven.api.HttpMethod;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.api.ApiFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The nfs plugin against a real NFS server: NFS-Ganesha (user space) exporting a directory on loopback, with
 * rpcbind. Scanning and the server check run for real everywhere; the mount needs the kernel's NFS client, so on
 * kernels without it the test checks that activation fails cleanly with the mount error.
 */
@RealTest
class NfsGaneshaTest {
    static Path tmp;
    static Process rpcbind;
    static Process ganesha;
    static ApiFixture api;
    static StorageManager sm;
    static Path export;
    static Path mnt;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    static boolean kernelNfs() {
        try {
            return Files.readString(Path.of("/proc/filesystems")).matches("(?s).*\\snfs\\n.*");
        } catch (Exception e) {
            return false;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        Tools.requireRoot("runs nfs-ganesha and rpcbind");
        Tools.require("nfs-ganesha", "ganesha.nfsd");
        Tools.require("rpcbind", "rpcbind", "rpcinfo");
        Tools.require("nfs-common", "showmount");
        tmp = Files.createTempDirectory("haven-nfs");
        try {
            export = tmp.resolve("export");
            mnt = tmp.resolve("mnt");
            Files.createDirectories(export);
            if (!TestSupport.SH.run(List.of("rpcinfo", "-p", "127.0.0.1")).ok()) {
                rpcbind = new ProcessBuilder("rpcbind", "-f", "-w").redirectErrorStream(true)
                        .redirectOutput(tmp.resolve("rpcbind.log").toFile()).start();
                await(() -> TestSupport.SH.run(List.of("rpcinfo", "-p", "127.0.0.1")).ok(), "rpcbind");
            }
            Files.writeString(tmp.resolve("ganesha.conf"), """
                    NFS_CORE_PARAM {
                        NFS_Port = %d;
                        MNT_Port = %d;
                        NLM_Port = %d;
                        Rquota_Port = %d;
                        Protocols = 3, 4;
                    }
                    NFSV4 { Graceless = true; }
                    EXPORT {
                        Export_Id = 77;
                        Path = %s;
                        Pseudo = %s;
                        Access_Type = RW;
                        Squash = No_Root_Squash;
                        Protocols = 3, 4;
                        FSAL { Name = VFS; }
                        CLIENT { Clients = 127.0.0.1; Access_Type = RW; }
                    }
                    """.formatted(freePort(), freePort(), freePort(), freePort(), export, export));
            ganesha = new ProcessBuilder("ganesha.nfsd", "-F", "-f", tmp.resolve("ganesha.conf").toString(), "-L", tmp.resolve("ganesha.log").toString(),
                    "-p", tmp.resolve("ganesha.pid").toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("ganesha.out").toFile()).start();
            await(() -> TestSupport.SH.run(List.of("showmount", "--no-headers", "--exports", "127.0.0.1")).stdout().contains(export.toString()), "ganesha");
            api = new ApiFixture(tmp);
            sm = api.sm;
            api.cfs.writeString("storage.cfg", "nfs: nfs1\n\texport " + export + "\n\tpath " + mnt + "\n\tserver 127.0.0.1\n\tcontent images,iso\n\toptions vers=3\n\n");
        } catch (Exception | AssertionError e) {
            stop();
            throw e;
        }
    }

    interface Check { boolean ok() throws Exception; }

    static void await(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!c.ok()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException(what + " did not come up");
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() {
        if (mnt != null) TestSupport.quiet("umount", "-f", "-l", mnt.toString());
        for (Process p : new Process[] {ganesha, rpcbind}) {
            if (p == null) continue;
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TestSupport.deleteTree(tmp);
    }

    @Test
    void scanListsTheExport() {
        assertThat(sm.scanner().nfs("127.0.0.1")).anySatisfy(m -> {
            assertThat(m.get("path")).isEqualTo(export.toString());
            assertThat((String) m.get("options")).contains("127.0.0.1");
        });
        JsonNode r = api.call(HttpMethod.GET, "/nodes/n1/scan/nfs", Map.of("server", "127.0.0.1"));
        List<String> paths = new ArrayList<>();
        r.forEach(x -> paths.add(x.path("path").asString()));
        assertThat(paths).contains(export.toString());
    }

    @Test
    void activationMountsOrFailsCleanly() {
        if (kernelNfs()) {
            sm.activateStorage("nfs1");
            assertThat(sm.status("nfs1").active()).isTrue();
            String v = sm.alloc("nfs1", 100, "raw", null, 1024 * 1024);
            assertThat(export.resolve("images/100/vm-100-disk-0.raw")).exists();
            sm.free(v);
        } else {
            assertThatThrownBy(() -> sm.activateStorage("nfs1")).isInstanceOf(StorageException.class).hasMessageStartingWith("mount error:");
            assertThat(sm.status("nfs1").active()).isFalse();
            assertThatThrownBy(() -> sm.alloc("nfs1", 100, "raw", null, 1024 * 1024)).hasMessageStartingWith("mount error:");
            assertThat(export.resolve("images")).doesNotExist();
        }
    }
}
