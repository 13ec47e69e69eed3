package org.haven.storage.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.Socket;
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
import org.haven.storage.spi.CommandRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The cifs plugin against a real SMB server: Samba's smbd (own configuration, user database and state under a
 * temporary directory) on loopback port 445. Share scanning (guest and with a password) and the server check run
 * for real; the mount needs the kernel's CIFS client, so without it the test checks the clean mount error.
 */
@RealTest
class CifsSambaTest {
    static final String PASSWORD = "Smb-secret-7";
    static Path tmp;
    static Process smbd;
    static ApiFixture api;
    static StorageManager sm;

    static boolean portInUse(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static boolean kernelCifs() {
        try {
            return Files.readString(Path.of("/proc/filesystems")).matches("(?s).*\\s(cifs|smb3)\\n.*");
        } catch (Exception e) {
            return false;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        Tools.requireRoot("runs smbd on port 445");
        Tools.require("samba", "smbd", "smbpasswd");
        Tools.require("smbclient", "smbclient");
        assertThat(portInUse(445)).as("port 445 is taken by another SMB server").isFalse();
        tmp = Files.createTempDirectory("haven-smb");
        try {
            for (String d : List.of("share", "priv", "lock", "state", "cache", "pid", "rpc")) Files.createDirectories(tmp.resolve(d));
            Path conf = tmp.resolve("smb.conf");
            Files.writeString(conf, """
                    [global]
                      workgroup = WORKGROUP
                      server role = standalone server
                      map to guest = Bad User
                      private dir = %1$s/priv
                      lock directory = %1$s/lock
                      state directory = %1$s/state
                      cache directory = %1$s/cache
                      pid directory = %1$s/pid
                      ncalrpc dir = %1$s/rpc
                      log file = %1$s/log.%%m
                      passdb backend = tdbsam:%1$s/priv/passdb.tdb
                      disable netbios = yes
                      smb ports = 445
                      interfaces = lo
                      bind interfaces only = yes
                      load printers = no
                      printing = bsd
                      printcap name = /dev/null
                      disable spoolss = yes
                    [VMData]
                      path = %1$s/share
                      comment = virtual machines
                      guest ok = yes
                      read only = no
                    """.formatted(tmp));
            CommandRunner.Result pw = TestSupport.SH.run(List.of("smbpasswd", "-c", conf.toString(), "-s", "-a", "root"), Map.of(),
                    (PASSWORD + "\n" + PASSWORD + "\n").getBytes());
            if (!pw.ok()) throw new IllegalStateException("smbpasswd: " + pw.stderr());
            // smbd gets its own process group: on shutdown it signals its whole group
            smbd = new ProcessBuilder("smbd", "--foreground", "--debug-stdout", "-s", conf.toString())
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("smbd.out").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!TestSupport.SH.run(List.of("smbclient", "-m", "smb3", "-d", "0", "-L", "127.0.0.1", "-N")).ok()) {
                if (System.nanoTime() > deadline || !smbd.isAlive()) throw new IllegalStateException("smbd did not start: " + Files.readString(tmp.resolve("smbd.out")));
                Thread.sleep(200);
            }
            System.setProperty("haven.secret.dir", tmp.resolve("secrets").toString());
            api = new ApiFixture(tmp);
            sm = api.sm;
            api.cfs.writeString("storage.cfg", "cifs: guest\n\tpath " + tmp.resolve("mnt-guest") + "\n\tserver 127.0.0.1\n\tshare VMData\n\tcontent images\n\n"
                    + "cifs: auth\n\tpath " + tmp.resolve("mnt-auth") + "\n\tserver 127.0.0.1\n\tshare VMData\n\tusername root\n\tcontent images\n\n");
            sm.storeSecrets("auth", Map.of("password", PASSWORD));
        } catch (Exception | AssertionError e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        if (tmp != null) {
            TestSupport.quiet("umount", "-f", "-l", tmp.resolve("mnt-guest").toString());
            TestSupport.quiet("umount", "-f", "-l", tmp.resolve("mnt-auth").toString());
        }
        if (smbd != null) {
            smbd.destroy();
            try {
                if (!smbd.waitFor(10, TimeUnit.SECONDS)) smbd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TestSupport.deleteTree(tmp);
    }

    @Test
    void scanListsDiskSharesAsGuestAndWithPassword() {
        assertThat(sm.scanner().cifs("127.0.0.1", null, null, null))
                .containsExactly(Map.of("share", "VMData", "description", "virtual machines"));
        assertThat(sm.scanner().cifs("127.0.0.1", "root", PASSWORD, null)).extracting(m -> m.get("share")).containsExactly("VMData");
        assertThatThrownBy(() -> sm.scanner().cifs("127.0.0.1", "root", "wrong", null))
                .isInstanceOf(StorageException.class).hasMessageContaining("LOGON_FAILURE");
        JsonNode r = api.call(HttpMethod.GET, "/nodes/n1/scan/cifs", Map.of("server", "127.0.0.1"));
        List<String> shares = new ArrayList<>();
        r.forEach(x -> shares.add(x.path("share").asString()));
        assertThat(shares).containsExactly("VMData");
    }

    @Test
    void activationChecksTheServerThenMountsOrFailsCleanly() {
        for (String id : List.of("guest", "auth")) {
            if (kernelCifs()) {
                sm.activateStorage(id);
                assertThat(sm.status(id).active()).isTrue();
            } else {
                // the server check (smbclient, with the stored password for 'auth') passed; only the kernel mount fails
                assertThatThrownBy(() -> sm.activateStorage(id)).isInstanceOf(StorageException.class).hasMessageStartingWith("mount error:");
                assertThat(sm.status(id).active()).isFalse();
            }
        }
        assertThat(Files.exists(tmp.resolve("secrets/auth.auth"))).isTrue();
        // the password is kept in PVE's credentials format
        assertThat(api.cfs.readString("priv/storage/auth.pw")).contains("password=" + PASSWORD + "\n");
        assertThat(sm.secret("auth", "password")).contains(PASSWORD);
    }
}
