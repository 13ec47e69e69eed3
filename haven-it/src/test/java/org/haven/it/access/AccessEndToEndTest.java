package org.haven.it.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.haven.access.Totp;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access control through a real daemon: the admin guide's pveum examples verbatim, delegated user administration,
 * ACL/role/pool/token/TFA API calls with PVE's permission checks and errors.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class AccessEndToEndTest {
    @TempDir static Path dir;
    static HavenNode node;

    @BeforeAll
    static void start() throws Exception { node = HavenNode.start(dir.resolve("node"), "accnode"); }

    @AfterAll
    static void stop() { if (node != null) node.close(); }

    record Run(int exit, String out, String err) {}

    static Run pveum(String input, String... args) throws Exception { return pveumOn(node, input, args); }

    /** Run {@code pveum} as its own process against {@code node}, with {@code input} on stdin. */
    static Run pveumOn(HavenNode node, String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "org.haven.cli.Main", "pveum"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HAVEN_DATA_DIR", node.dataDir().toString());
        Path out = Files.createTempFile("pveum", ".out"), err = Files.createTempFile("pveum", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (input != null) p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new IllegalStateException("pveum timed out"); }
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static Run ok(String input, String... args) throws Exception {
        Run r = pveum(input, args);
        assertThat(r.exit()).as("pveum %s: %s %s", String.join(" ", args), r.out(), r.err()).isZero();
        return r;
    }

    static String userCfg() throws Exception { return Files.readString(node.cfsDir().resolve("user.cfg")); }

    static Auth admin() throws Exception { return node.login("admin@pve", node.adminPassword()); }

    @Test @Order(1)
    void guideExamplesWorkVerbatim() throws Exception {
        ok(null, "useradd", "testuser@pve", "-comment", "Just a test");
        ok(null, "groupadd", "testgroup");
        ok(null, "groupadd", "admin", "-comment", "System Administrators");
        ok(null, "groupadd", "developers");
        ok(null, "groupadd", "customers");
        ok("dev-pw-1\ndev-pw-1\n", "useradd", "developer1@pve", "-group", "developers", "-password");
        ok("test-pw-1\ntest-pw-1\n", "passwd", "testuser@pve");
        assertThat(node.login("testuser@pve", "test-pw-1")).isNotNull();
        assertThat(node.login("developer1@pve", "dev-pw-1")).isNotNull();
        ok(null, "usermod", "testuser@pve", "-enable", "0");
        assertThat(node.post("/access/ticket", Map.of("username", "testuser@pve", "password", "test-pw-1"), null).status()).isEqualTo(401);
        ok(null, "usermod", "testuser@pve", "-group", "admin");
        ok(null, "roleadd", "PVE_Power-only", "-privs", "VM.PowerMgmt VM.Console");
        ok(null, "roleadd", "Sys_Power-only", "-privs", "Sys.PowerMgmt Sys.Console");
        ok(null, "useradd", "joe@pve");
        ok(null, "aclmod", "/", "-group", "admin", "-role", "Administrator");
        ok(null, "aclmod", "/", "-user", "joe@pve", "-role", "PVEAuditor");
        ok(null, "aclmod", "/vms", "-user", "joe@pve", "-role", "PVEAuditor");
        ok(null, "aclmod", "/access", "-user", "joe@pve", "-role", "PVEUserAdmin");
        ok(null, "aclmod", "/access/realm/pve", "-user", "joe@pve", "-role", "PVEUserAdmin");
        ok(null, "aclmod", "/access/groups/customers", "-user", "joe@pve", "-role", "PVEUserAdmin");
        ok(null, "pool", "add", "dev-pool");
        ok(null, "aclmod", "/pool/dev-pool/", "-group", "developers", "-role", "PVEAdmin");
        assertThat(userCfg()).contains(
                "user:testuser@pve:0:0::::Just a test::\n",
                "group:admin:testuser@pve:System Administrators:\n",
                "group:developers:developer1@pve::\n",
                "role:PVE_Power-only:VM.Console,VM.PowerMgmt:\n",
                "acl:1:/:@admin,admin@pve:Administrator:\n",
                "acl:1:/:joe@pve:PVEAuditor:\n",
                "acl:1:/access:joe@pve:PVEUserAdmin:\n",
                "acl:1:/pool/dev-pool:@developers:PVEAdmin:\n");
        Run perms = ok(null, "user", "permissions", "joe@pve", "--path", "/vms");
        assertThat(perms.out()).contains("/vms").contains("VM.Audit (*)");
        assertThat(ok(null, "user", "list").out()).contains("testuser@pve").contains("Just a test");
        assertThat(ok(null, "role", "list", "--output-format", "json").out()).contains("\"roleid\":\"PVE_Power-only\"");
        // errors with PVE's exit code and messages
        Run bad = pveum(null, "roleadd", "Bad", "-privs", "VM.Fly");
        assertThat(bad.exit()).isEqualTo(255);
        assertThat(bad.err()).contains("invalid privilege 'VM.Fly'");
        Run dup = pveum(null, "useradd", "joe@pve");
        assertThat(dup.exit()).isEqualTo(255);
        assertThat(dup.err()).contains("create user failed: user 'joe@pve' already exists");
        Run builtin = pveum(null, "role", "delete", "PVEAdmin");
        assertThat(builtin.err()).contains("auto-generated role 'PVEAdmin' cannot be deleted");
    }

    @Test @Order(2)
    void delegatedUserAdministration() throws Exception {
        // the guide's delegation example: joe manages users of realm pve in group customers only
        ok(null, "acldel", "/access", "-user", "joe@pve", "-role", "PVEUserAdmin");
        assertThat(userCfg()).doesNotContain("acl:1:/access:joe@pve");
        Auth a = admin();
        // a non-root administrator confirms with the own password
        assertThat(node.put("/access/password", Map.of("userid", "joe@pve", "password", "joe-pw-123"), a).status()).isEqualTo(400);
        assertThat(node.put("/access/password", Map.of("userid", "joe@pve", "password", "joe-pw-123", "confirmation-password", node.adminPassword()), a).status()).isEqualTo(200);
        Auth joe = node.login("joe@pve", "joe-pw-123");
        Resp created = node.post("/access/users", Map.of("userid", "cust1@pve", "groups", "customers"), joe);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        assertThat(node.post("/access/users", Map.of("userid", "cust2@pam", "groups", "customers"), joe).status()).isEqualTo(403);
        assertThat(node.post("/access/users", Map.of("userid", "cust3@pve", "groups", "admin"), joe).status()).isEqualTo(403);
        // joe audits / (PVEAuditor), so he sees every user
        assertThat(node.get("/access/users", joe).data().size()).isGreaterThan(2);
        // an unprivileged user: filtered lists, 403 on changes, but own password and permissions
        assertThat(node.put("/access/password", Map.of("userid", "cust1@pve", "password", "cust-pw-1", "confirmation-password", node.adminPassword()), a).status()).isEqualTo(200);
        Auth cust = node.login("cust1@pve", "cust-pw-1");
        assertThat(node.get("/access/acl", cust).data()).isEmpty();
        Resp users = node.get("/access/users", cust);
        assertThat(users.data().size()).isEqualTo(1);
        assertThat(users.data().get(0).get("userid").asString()).isEqualTo("cust1@pve");
        assertThat(node.get("/access/groups", cust).data()).isEmpty();
        assertThat(node.put("/access/acl", Map.of("path", "/", "users", "cust1@pve", "roles", "Administrator"), cust).status()).isEqualTo(403);
        assertThat(node.post("/access/roles", Map.of("roleid", "X"), cust).status()).isEqualTo(403);
        assertThat(node.post("/pools", Map.of("poolid", "mine"), cust).status()).isEqualTo(403);
        assertThat(node.put("/access/password", Map.of("userid", "cust1@pve", "password", "cust-pw-2", "confirmation-password", "cust-pw-1"), cust).status()).isEqualTo(200);
        assertThat(node.put("/access/password", Map.of("userid", "joe@pve", "password", "hijacked1"), cust).status()).isEqualTo(403);
        // the realm list is public (login form)
        assertThat(node.get("/access/domains", null).status()).isEqualTo(200);
    }

    @Test @Order(3)
    void validationAndErrors() throws Exception {
        Auth a = admin();
        Resp badPath = node.put("/access/acl", Map.of("path", "/nonsense/x", "users", "joe@pve", "roles", "PVEAuditor"), a);
        assertThat(badPath.status()).isEqualTo(400);
        assertThat(badPath.json().get("errors").get("path").asString()).isEqualTo("invalid ACL path '/nonsense/x'");
        Resp badUser = node.post("/access/users", Map.of("userid", "nouser"), a);
        assertThat(badUser.status()).isEqualTo(400);
        assertThat(badUser.json().get("errors").has("userid")).isTrue();
        String before = userCfg();
        Resp unknownRole = node.put("/access/acl", Map.of("path", "/vms", "users", "joe@pve", "roles", "NoSuchRole"), a);
        assertThat(unknownRole.status()).isEqualTo(500);
        assertThat(unknownRole.body()).contains("role 'NoSuchRole' does not exist");
        assertThat(userCfg()).isEqualTo(before);
        assertThat(node.get("/access/roles/PVEVMUser", a).data().has("VM.PowerMgmt")).isTrue();
    }

    @Test @Order(4)
    void apiTokensWithPrivilegeSeparation() throws Exception {
        Auth a = admin();
        Resp t = node.post("/access/users/joe@pve/token/automation", Map.of("comment", "CI"), a);
        assertThat(t.status()).as(t.body()).isEqualTo(200);
        String secret = t.data().get("value").asString();
        Auth token = Auth.token("joe@pve!automation=" + secret);
        // no ACL for the token yet: nothing, though joe can audit /
        assertThat(node.get("/access/permissions", token).data().size()).isZero();
        assertThat(node.get("/access/groups", token).data()).isEmpty();
        assertThat(node.put("/access/acl", Map.of("path", "/vms", "tokens", "joe@pve!automation", "roles", "PVEVMAdmin"), a).status()).isEqualTo(200);
        // intersection with joe's PVEAuditor on /vms
        var privs = node.get("/access/permissions?path=/vms/100", token).data().get("/vms/100");
        assertThat(privs.has("VM.Audit")).isTrue();
        assertThat(privs.has("VM.PowerMgmt")).isFalse();
        assertThat(node.get("/access/users/joe@pve/token", a).data().get(0).get("tokenid").asString()).isEqualTo("automation");
        assertThat(node.delete("/access/users/joe@pve/token/automation", a).status()).isEqualTo(200);
        assertThat(node.get("/access/permissions", token).status()).isEqualTo(401);
    }

    @Test @Order(5)
    void totpEnforcedAtLogin() throws Exception {
        Auth joe = node.login("joe@pve", "joe-pw-123");
        String secret = Totp.generateSecret();
        Totp totp = Totp.parseUri("otpauth://totp/Haven:joe@pve?secret=" + secret);
        long now = System.currentTimeMillis() / 1000;
        // adding needs the current password and a valid code
        assertThat(node.post("/access/tfa/joe@pve", Map.of("type", "totp", "totp", totp.toUri(), "value", totp.code(now)), joe).status()).isEqualTo(400);
        Resp added = node.post("/access/tfa/joe@pve", Map.of("type", "totp", "totp", totp.toUri(), "value", totp.code(now), "password", "joe-pw-123",
                "description", "phone"), joe);
        assertThat(added.status()).as(added.body()).isEqualTo(200);
        Resp rec = node.post("/access/tfa/joe@pve", Map.of("type", "recovery", "password", "joe-pw-123"), joe);
        assertThat(rec.data().get("recovery").size()).isEqualTo(10);
        assertThat(node.get("/access/tfa/joe@pve", joe).data().size()).isEqualTo(2);
        assertThat(userCfg()).contains("user:joe@pve:1:0:::::x:");
        assertThat(ok(null, "user", "tfa", "list", "joe@pve").out()).contains("totp").contains("phone").contains("recovery");
        assertThat(ok(null, "user", "tfa", "list").out()).contains("joe@pve");
        // the password alone no longer gives a full ticket
        Resp pwOnly = node.post("/access/ticket", Map.of("username", "joe@pve", "password", "joe-pw-123"), null);
        assertThat(pwOnly.status()).isEqualTo(200);
        assertThat(pwOnly.data().get("NeedTFA").asInt()).isEqualTo(1);
        String partial = pwOnly.data().get("ticket").asString();
        assertThat(partial).startsWith("PVE:!tfa!");
        assertThat(pwOnly.data().has("CSRFPreventionToken")).isFalse();
        // the partial ticket is no login
        assertThat(node.get("/access/users", Auth.ticket(partial, null)).status()).isEqualTo(401);
        // PVE's second step: the second factor as password, the partial ticket as tfa-challenge
        assertThat(node.post("/access/ticket", Map.of("username", "joe@pve", "password", "totp:000000", "tfa-challenge", partial), null).status()).isEqualTo(401);
        Resp second = node.post("/access/ticket", Map.of("username", "joe@pve", "password", "totp:" + totp.code(System.currentTimeMillis() / 1000),
                "tfa-challenge", partial), null);
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.data().get("ticket").asString()).startsWith("PVE:joe@pve:");
        assertThat(node.get("/access/users", Auth.ticket(second.data().get("ticket").asString(), null)).status()).isEqualTo(200);
        Resp withOtp = node.post("/access/ticket", Map.of("username", "joe@pve", "password", "joe-pw-123", "otp", totp.code(System.currentTimeMillis() / 1000)), null);
        assertThat(withOtp.status()).as(withOtp.body()).isEqualTo(200);
        assertThat(withOtp.data().get("ticket").asString()).startsWith("PVE:joe@pve:");
        Resp withRecovery = node.post("/access/ticket", Map.of("username", "joe@pve", "password", "joe-pw-123",
                "otp", "recovery:" + rec.data().get("recovery").get(0).asString()), null);
        assertThat(withRecovery.status()).isEqualTo(200);
    }
}
