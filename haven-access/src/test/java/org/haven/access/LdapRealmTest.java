package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LDAP realm login and sync against a real OpenLDAP slapd started on loopback for this test class. */
@RealTest
class LdapRealmTest {
    static Path dir;
    static Process slapd;
    static int port;
    static int tlsPort;

    static final String BASE = "dc=haven,dc=test";
    static final String DATA = """
            dn: dc=haven,dc=test
            objectClass: dcObject
            objectClass: organization
            o: Haven Test
            dc: haven

            dn: ou=People,dc=haven,dc=test
            objectClass: organizationalUnit
            ou: People

            dn: ou=Groups,dc=haven,dc=test
            objectClass: organizationalUnit
            ou: Groups

            dn: uid=heinz,ou=People,dc=haven,dc=test
            objectClass: inetOrgPerson
            uid: heinz
            cn: Heinz Example
            givenName: Heinz
            sn: Example
            mail: heinz@haven.test
            userPassword: heinz-pw

            dn: uid=anna,ou=People,dc=haven,dc=test
            objectClass: inetOrgPerson
            uid: anna
            cn: Anna Example
            sn: Example
            userPassword: anna-pw

            dn: cn=watchman,ou=Groups,dc=haven,dc=test
            objectClass: groupOfNames
            cn: watchman
            member: uid=heinz,ou=People,dc=haven,dc=test
            member: uid=anna,ou=People,dc=haven,dc=test

            dn: cn=admins,ou=Groups,dc=haven,dc=test
            objectClass: groupOfNames
            cn: admins
            member: uid=anna,ou=People,dc=haven,dc=test
            """;

    @BeforeAll
    static void startSlapd() throws Exception {
        Tools.require("slapd", "slapd", "slapadd");
        dir = Files.createTempDirectory("haven-slapd");
        Files.createDirectories(dir.resolve("db"));
        try (ServerSocket s = new ServerSocket(0); ServerSocket t = new ServerSocket(0)) {
            port = s.getLocalPort();
            tlsPort = t.getLocalPort();
        }
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.resolve("server.key").toString(), "-out", dir.resolve("server.pem").toString());
        String conf = """
                include /etc/ldap/schema/core.schema
                include /etc/ldap/schema/cosine.schema
                include /etc/ldap/schema/inetorgperson.schema
                include /etc/ldap/schema/nis.schema
                pidfile %1$s/slapd.pid
                modulepath /usr/lib/ldap
                moduleload back_mdb
                database mdb
                maxsize 16777216
                suffix "%2$s"
                rootdn "cn=admin,%2$s"
                rootpw admin-secret
                directory %1$s/db
                access to attrs=userPassword by self read by anonymous auth by * none
                access to * by * read
                TLSCertificateFile %1$s/server.pem
                TLSCertificateKeyFile %1$s/server.key
                """.formatted(dir, BASE);
        Files.writeString(dir.resolve("slapd.conf"), conf);
        Files.writeString(dir.resolve("data.ldif"), DATA);
        run("/usr/sbin/slapadd", "-f", dir.resolve("slapd.conf").toString(), "-l", dir.resolve("data.ldif").toString());
        slapd = new ProcessBuilder("/usr/sbin/slapd", "-f", dir.resolve("slapd.conf").toString(), "-h", "ldap://127.0.0.1:" + port + "/ ldaps://127.0.0.1:" + tlsPort + "/", "-d", "0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("slapd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) { break; } catch (IOException e) {
                if (!slapd.isAlive()) throw new IllegalStateException("slapd exited: " + Files.readString(dir.resolve("slapd.log")));
                if (System.nanoTime() > deadline) throw new IllegalStateException("slapd did not start");
                Thread.sleep(50);
            }
        }
    }

    @AfterAll
    static void stopSlapd() throws Exception {
        if (slapd != null) {
            slapd.destroy();
            if (!slapd.waitFor(10, TimeUnit.SECONDS)) slapd.destroyForcibly().waitFor();
        }
        if (dir != null) try (Stream<Path> s = Files.walk(dir)) { s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    MemoryClusterFs fs;
    AccessControl ac;
    AccessAdmin admin;

    @BeforeEach
    void setUp() {
        fs = new MemoryClusterFs("node1");
        ac = new AccessControl(fs, Clock.SYSTEM, (s, u, p, r) -> { throw new AuthenticationException("no PAM"); }, "other");
        admin = new AccessAdmin(ac);
    }

    private void createRealm(boolean withBindDn) {
        Map<String, Object> p = new java.util.HashMap<>(Map.of("realm", "corp", "type", "ldap", "server1", "127.0.0.1", "port", port,
                "base_dn", "ou=People," + BASE, "user_attr", "uid", "group_dn", "ou=Groups," + BASE));
        if (withBindDn) {
            p.put("bind_dn", "cn=admin," + BASE);
            p.put("password", "admin-secret");
        }
        admin.createRealm(p);
    }

    @Test
    void loginWithDirectBind() {
        createRealm(false);
        fs.put("user.cfg", "user:heinz@corp:1:0:::::\n");
        assertThat(ac.login("heinz", "heinz-pw", "corp", null)).isEqualTo("heinz@corp");
        assertThatThrownBy(() -> ac.login("heinz@corp", "wrong", null, null)).isInstanceOf(AuthenticationException.class)
                .hasMessage("ldap: invalid credentials");
        // user names are case-sensitive unless the realm says otherwise
        assertThatThrownBy(() -> ac.login("HEINZ@corp", "heinz-pw", null, null)).hasMessage("no such user ('HEINZ@corp')");
        admin.updateRealm(Map.of("realm", "corp", "case-sensitive", 0));
        assertThat(ac.login("HEINZ@corp", "heinz-pw", null, null)).isEqualTo("heinz@corp");
        // a directory user who is not in user.cfg cannot log in
        assertThatThrownBy(() -> ac.login("anna@corp", "anna-pw", null, null)).hasMessage("no such user ('anna@corp')");
    }

    @Test
    void loginWithSearchBindAndSync() {
        createRealm(true);
        List<String> log = admin.syncRealm("corp", Map.of("scope", "both", "enable-new", 1));
        assertThat(log).contains("adding user 'anna@corp'", "adding user 'heinz@corp'", "adding group 'watchman-corp'", "adding group 'admins-corp'");
        String cfg = fs.text("user.cfg");
        assertThat(cfg).contains("user:heinz@corp:1:0:Heinz:Example:heinz@haven.test:::")
                .contains("group:admins-corp:anna@corp::")
                .contains("group:watchman-corp:anna@corp,heinz@corp::");
        assertThat(ac.login("anna@corp", "anna-pw", null, null)).isEqualTo("anna@corp");
        assertThatThrownBy(() -> ac.login("anna@corp", "heinz-pw", null, null)).hasMessage("ldap: invalid credentials");

        // permissions through a synced group
        admin.updateAcl("root@pam", Map.of("path", "/vms", "groups", "watchman-corp", "roles", "PVEVMUser"));
        assertThat(ac.check("heinz@corp", "/vms/100", java.util.Set.of("VM.Console"), false)).isTrue();

        // a vanished user and group are removed with remove-vanished=entry;acl
        fs.put("user.cfg", fs.text("user.cfg").replace("user:anna@corp", "user:ghost@corp:1:0:::::\nuser:anna@corp")
                + "acl:1:/:ghost@corp:PVEAuditor:\n");
        List<String> dry = admin.syncRealm("corp", Map.of("scope", "users", "remove-vanished", "entry;acl", "dry-run", 1));
        assertThat(dry).contains("removed vanished user 'ghost@corp'", "NOTE: dry-run, no changes were written");
        assertThat(fs.text("user.cfg")).contains("ghost@corp");
        admin.syncRealm("corp", Map.of("scope", "users", "remove-vanished", "entry;acl"));
        assertThat(fs.text("user.cfg")).doesNotContain("ghost@corp").contains("anna@corp");
    }

    @Test
    void unreachableServerFailsCleanly() {
        admin.createRealm(Map.of("realm", "down", "type", "ldap", "server1", "127.0.0.1", "port", 1, "base_dn", BASE, "user_attr", "uid"));
        fs.put("user.cfg", "user:heinz@down:1:0:::::\n");
        assertThatThrownBy(() -> ac.login("heinz@down", "heinz-pw", null, null)).isInstanceOf(AuthenticationException.class)
                .hasMessageStartingWith("ldap error");
        assertThatThrownBy(() -> admin.syncRealm("down", Map.of("scope", "users"))).isInstanceOf(AccessException.class);
    }

    private void tlsRealm(String name, String mode, int p, Boolean verify, String capath) {
        Map<String, Object> m = new java.util.HashMap<>(Map.of("realm", name, "type", "ldap", "server1", "127.0.0.1", "port", p,
                "base_dn", "ou=People," + BASE, "user_attr", "uid", "mode", mode));
        if (verify != null) m.put("verify", verify ? 1 : 0);
        if (capath != null) m.put("capath", capath);
        admin.createRealm(m);
    }

    @Test
    void tlsModesAndCertificateVerification() {
        String ca = dir.resolve("server.pem").toString();
        tlsRealm("s1", "ldaps", tlsPort, null, null);
        tlsRealm("s2", "ldaps", tlsPort, true, null);
        tlsRealm("s3", "ldaps", tlsPort, true, ca);
        tlsRealm("s4", "ldap+starttls", port, true, ca);
        tlsRealm("s5", "ldap+starttls", port, true, null);
        tlsRealm("s6", "ldap+starttls", port, false, null);
        StringBuilder users = new StringBuilder();
        for (String r : List.of("s1", "s2", "s3", "s4", "s5", "s6")) users.append("user:heinz@").append(r).append(":1:0:::::\n");
        fs.put("user.cfg", users.toString());
        // PVE's default: no certificate verification
        assertThat(ac.login("heinz@s1", "heinz-pw", null, null)).isEqualTo("heinz@s1");
        // verification against the system trust store fails for the self-signed server certificate
        assertThatThrownBy(() -> ac.login("heinz@s2", "heinz-pw", null, null)).hasMessageStartingWith("ldap error");
        // ... and succeeds with the CA given in capath
        assertThat(ac.login("heinz@s3", "heinz-pw", null, null)).isEqualTo("heinz@s3");
        assertThatThrownBy(() -> ac.login("heinz@s3", "wrong", null, null)).hasMessage("ldap: invalid credentials");
        assertThat(ac.login("heinz@s4", "heinz-pw", null, null)).isEqualTo("heinz@s4");
        assertThatThrownBy(() -> ac.login("heinz@s4", "wrong", null, null)).hasMessage("ldap: invalid credentials");
        assertThatThrownBy(() -> ac.login("heinz@s5", "heinz-pw", null, null)).hasMessageStartingWith("ldap error");
        assertThat(ac.login("heinz@s6", "heinz-pw", null, null)).isEqualTo("heinz@s6");
    }
}
