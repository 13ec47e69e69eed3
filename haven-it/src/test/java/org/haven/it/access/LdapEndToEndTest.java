package org.haven.it.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.haven.core.testing.Slapd;
import org.haven.core.testing.E2eTest;
import org.haven.core.testing.Tools;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An LDAP realm through the daemon: pveum realm add/sync (as a task) against a real slapd, then logins and group ACLs. */
@E2eTest
class LdapEndToEndTest {
    static final String BASE = "dc=corp,dc=test";
    @TempDir static Path dir;
    static Slapd slapd;
    static HavenNode node;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("slapd", "slapd", "slapadd");
        slapd = Slapd.start(BASE, "admin-secret", """
                dn: dc=corp,dc=test
                objectClass: dcObject
                objectClass: organization
                o: Corp
                dc: corp

                dn: ou=People,dc=corp,dc=test
                objectClass: organizationalUnit
                ou: People

                dn: uid=heinz,ou=People,dc=corp,dc=test
                objectClass: inetOrgPerson
                uid: heinz
                cn: Heinz
                sn: Watchman
                mail: heinz@corp.test
                userPassword: heinz-ldap-pw

                dn: cn=watchman,dc=corp,dc=test
                objectClass: groupOfNames
                cn: watchman
                member: uid=heinz,ou=People,dc=corp,dc=test
                """);
        node = HavenNode.start(dir.resolve("node"), "ldapnode");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (node != null) node.close();
        } finally {
            if (slapd != null) slapd.close();
        }
    }

    @Test
    void realmAddSyncLoginAndGroupAcl() throws Exception {
        var add = AccessEndToEndTest.pveumOn(node, null, "realm", "add", "corp", "--type", "ldap", "--server1", "127.0.0.1",
                "--port", Integer.toString(slapd.port), "--base_dn", BASE, "--user_attr", "uid", "--bind_dn", "cn=admin," + BASE,
                "--password", "admin-secret", "--comment", "Corporate LDAP");
        assertThat(add.exit()).as(add.err()).isZero();
        var sync = AccessEndToEndTest.pveumOn(node, null, "realm", "sync", "corp", "--scope", "both", "--enable-new", "1");
        assertThat(sync.exit()).as(sync.out() + sync.err()).isZero();
        assertThat(sync.out()).contains("adding user 'heinz@corp'").contains("adding group 'watchman-corp'");
        var acl = AccessEndToEndTest.pveumOn(node, null, "aclmod", "/vms", "-group", "watchman-corp", "-role", "PVEVMUser");
        assertThat(acl.exit()).as(acl.err()).isZero();

        Resp login = node.post("/access/ticket", Map.of("username", "heinz", "realm", "corp", "password", "heinz-ldap-pw"), null);
        assertThat(login.status()).as(login.body()).isEqualTo(200);
        Auth heinz = Auth.ticket(login.data().get("ticket").asString(), login.data().get("CSRFPreventionToken").asString());
        var perms = node.get("/access/permissions?path=/vms/100", heinz).data().get("/vms/100");
        assertThat(perms.has("VM.PowerMgmt")).isTrue();
        assertThat(node.post("/access/ticket", Map.of("username", "heinz@corp", "password", "wrong"), null).status()).isEqualTo(401);
        Resp realms = node.get("/access/domains", null);
        assertThat(realms.body()).contains("\"realm\":\"corp\"").contains("Corporate LDAP");
        // the bind password is kept in priv/, not in domains.cfg
        assertThat(java.nio.file.Files.readString(node.cfsDir().resolve("domains.cfg"))).doesNotContain("admin-secret");
    }
}
