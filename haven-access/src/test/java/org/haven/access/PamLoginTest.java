package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Logs in through the real PAM stack with a system user created (and removed) by the test. */
@RealTest
class PamLoginTest {
    String user;

    @BeforeEach
    void createUser() throws Exception {
        Tools.requireRoot("creates system users");
        user = "hvt" + Long.toString(System.nanoTime() % 100000000L, 36);
        run(null, "useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user);
        run(user + ":S3cret-pw\n", "chpasswd");
    }

    @AfterEach
    void deleteUser() throws Exception {
        if (user != null) run(null, "userdel", user);
    }

    @Test
    void loginWithSystemPassword() {
        MemoryClusterFs fs = new MemoryClusterFs("node1");
        fs.put("user.cfg", "user:" + user + "@pam:1:0:::::\nuser:nosys@pam:1:0:::::\n");
        AccessControl ac = new AccessControl(fs, Clock.SYSTEM);
        assertThat(ac.login(user, "S3cret-pw", "pam", null)).isEqualTo(user + "@pam");
        assertThatThrownBy(() -> ac.login(user + "@pam", "wrong", null, null))
                .isInstanceOf(AuthenticationException.class).hasMessageContaining("PAM auth failed");
        assertThatThrownBy(() -> ac.login("nosys@pam", "whatever", null, null))
                .isInstanceOf(AuthenticationException.class).hasMessageContaining("PAM auth failed");
        // repeated use of the native binding is stable
        for (int i = 0; i < 3; i++) assertThat(ac.login(user + "@pam", "S3cret-pw", null, null)).isEqualTo(user + "@pam");
    }

    @Test
    void passwordChangeOfAPamUserGoesToTheSystem() {
        MemoryClusterFs fs = new MemoryClusterFs("node1");
        fs.put("user.cfg", "user:" + user + "@pam:1:0:::::\n");
        AccessControl ac = new AccessControl(fs, Clock.SYSTEM);
        ac.setPassword(user + "@pam", "N3w-system-pw");
        assertThat(ac.login(user + "@pam", "N3w-system-pw", null, null)).isEqualTo(user + "@pam");
        assertThatThrownBy(() -> ac.login(user + "@pam", "S3cret-pw", null, null)).isInstanceOf(AuthenticationException.class);
        assertThat(fs.read("priv/shadow.cfg")).isEmpty();
    }

    @Test
    void lockedAccountIsRefusedByAccountManagement() throws Exception {
        run(null, "usermod", "--expiredate", "1970-01-02", user);
        MemoryClusterFs fs = new MemoryClusterFs("node1");
        fs.put("user.cfg", "user:" + user + "@pam:1:0:::::\n");
        AccessControl ac = new AccessControl(fs, Clock.SYSTEM);
        assertThatThrownBy(() -> ac.login(user + "@pam", "S3cret-pw", null, null))
                .isInstanceOf(AuthenticationException.class).hasMessageContaining("PAM auth failed");
    }

    private static void run(String input, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (input != null) p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }
}
