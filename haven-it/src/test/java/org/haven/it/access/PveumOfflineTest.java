package org.haven.it.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.haven.cli.CliEnv;
import org.haven.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pveum --local DIR …}: evaluating and editing a user.cfg without a daemon. */
class PveumOfflineTest {
    @TempDir Path dir;

    record Run(int exit, String out, String err) {}

    Run pveum(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        CliEnv env = new CliEnv(dir.resolve("no-daemon.sock"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), true);
        int rc = Main.run("pveum", List.of(args), env);
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void evaluatesAndEditsAUserCfg() throws Exception {
        Files.writeString(dir.resolve("user.cfg"), """
                user:joe@pve:1:0:::::
                user:root@pam:1:0:::::

                group:G:joe@pve::

                pool:dev::100::

                acl:1:/:@G:PVEAuditor:
                acl:1:/pool/dev:joe@pve:PVEVMUser:
                """);
        Run perms = pveum("--local", dir.toString(), "user", "permissions", "joe@pve", "--path", "/vms/100");
        assertThat(perms.exit()).as(perms.err()).isZero();
        assertThat(perms.out()).contains("/vms/100").contains("VM.Audit (*)").contains("VM.PowerMgmt").doesNotContain("VM.PowerMgmt (*)")
                .contains("Permissions marked with '(*)' have the 'propagate' flag set.");
        Run other = pveum("--local", dir.toString(), "user", "permissions", "joe@pve", "--path", "/vms/101");
        assertThat(other.out()).contains("VM.Audit (*)").doesNotContain("VM.PowerMgmt");

        Run mod = pveum("--local", dir.toString(), "aclmod", "/vms/101", "-user", "joe@pve", "-role", "PVEVMAdmin", "-propagate", "0");
        assertThat(mod.exit()).as(mod.err()).isZero();
        assertThat(Files.readString(dir.resolve("user.cfg"))).contains("acl:0:/vms/101:joe@pve:PVEVMAdmin:\n");
        assertThat(pveum("--local", dir.toString(), "user", "permissions", "joe@pve", "--path", "/vms/101").out()).contains("VM.Allocate");

        Run json = pveum("--local", dir.toString(), "acl", "list", "--output-format", "json");
        assertThat(json.out()).contains("\"ugid\":\"joe@pve\"").contains("\"path\":\"/vms/101\"");
        assertThat(pveum("--local", dir.toString(), "user", "list").out()).contains("joe@pve").contains("root@pam");

        Run bad = pveum("--local", dir.toString(), "aclmod", "/vms", "-user", "joe@pve", "-role", "NoSuchRole");
        assertThat(bad.exit()).isEqualTo(255);
        assertThat(bad.err()).contains("ACL update failed: role 'NoSuchRole' does not exist");
        Run unknown = pveum("--local", dir.toString(), "frobnicate");
        assertThat(unknown.exit()).isEqualTo(255);
        Run missing = pveum("--local", dir.resolve("nope").toString(), "user", "list");
        assertThat(missing.exit()).isEqualTo(255);
        assertThat(missing.err()).contains("does not exist");
    }

    @Test
    void helpForTheGuidesUseraddExample() {
        Run help = pveum("help", "useradd");
        assertThat(help.exit()).as(help.err()).isZero();
        assertThat(help.out()).contains("USAGE: pveum useradd").contains("Create new user.").contains("--password");
        Run all = pveum("help");
        assertThat(all.out()).contains("pveum aclmod <path>").contains("pveum user token add <userid> <tokenid>").contains("pveum --local");
    }
}
