package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.schema.ParamException;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AccessAdminTest {
    MemoryClusterFs fs;
    AccessControl ac;
    AccessAdmin admin;

    @BeforeEach
    void setUp() {
        fs = new MemoryClusterFs("node1");
        Clock clock = () -> 1_750_000_000L;
        ac = new AccessControl(fs, clock, (s, u, p, r) -> { throw new AuthenticationException("no PAM here"); }, "other");
        admin = new AccessAdmin(ac);
    }

    static Map<String, Object> m(Object... kv) {
        Map<String, Object> out = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) out.put((String) kv[i], kv[i + 1]);
        return out;
    }

    @Test
    void guideExamplesForUsersGroupsRolesAcls() {
        admin.createUser("root@pam", m("userid", "testuser@pve", "comment", "Just a test"));
        admin.createGroup("admin", "System Administrators");
        admin.createGroup("developers", null);
        admin.createUser("root@pam", m("userid", "developer1@pve", "groups", "developers", "password", "dev-secret"));
        admin.updateUser("root@pam", m("userid", "testuser@pve", "enable", 0));
        admin.updateUser("root@pam", m("userid", "testuser@pve", "groups", "admin"));
        admin.createRole("PVE_Power-only", "VM.PowerMgmt VM.Console");
        admin.createRole("Sys_Power-only", "Sys.PowerMgmt,Sys.Console");
        admin.updateAcl("root@pam", m("path", "/", "groups", "admin", "roles", "Administrator"));
        admin.updateAcl("root@pam", m("path", "/vms", "users", "testuser@pve", "roles", "PVEAuditor"));
        admin.createPool("dev-pool", null);
        admin.updateAcl("root@pam", m("path", "/pool/dev-pool/", "groups", "developers", "roles", "PVEAdmin"));
        assertThat(fs.text("user.cfg")).isEqualTo("""
                user:developer1@pve:1:0::::::
                user:root@pam:1:0::::::
                user:testuser@pve:0:0::::Just a test::

                group:admin:testuser@pve:System Administrators:
                group:developers:developer1@pve::

                pool:dev-pool::::

                role:PVE_Power-only:VM.Console,VM.PowerMgmt:
                role:Sys_Power-only:Sys.Console,Sys.PowerMgmt:

                acl:1:/:@admin:Administrator:
                acl:1:/pool/dev-pool:@developers:PVEAdmin:
                acl:1:/vms:testuser@pve:PVEAuditor:
                """);
        assertThat(ac.login("developer1@pve", "dev-secret", null, null)).isEqualTo("developer1@pve");
        assertThat(admin.readUser("testuser@pve")).containsEntry("enable", 0).containsEntry("groups", List.of("admin"));
        assertThat(admin.readGroup("developers")).containsEntry("members", List.of("developer1@pve"));
        assertThat(admin.readRole("PVE_Power-only")).containsOnlyKeys("VM.Console", "VM.PowerMgmt");
        assertThat(admin.listRoles()).anySatisfy(r -> assertThat(r).containsEntry("roleid", "PVEAdmin").containsEntry("special", 1));
        assertThat(admin.readAcl("root@pam")).hasSize(3).first().isEqualTo(Map.of("path", "/", "type", "group", "ugid", "admin", "roleid", "Administrator", "propagate", 1));
    }

    @Test
    void errorsLeaveUserCfgIntact() {
        admin.createUser("root@pam", m("userid", "joe@pve"));
        String before = fs.text("user.cfg");
        assertThatThrownBy(() -> admin.createUser("root@pam", m("userid", "joe@pve"))).hasMessage("create user failed: user 'joe@pve' already exists");
        assertThatThrownBy(() -> admin.createUser("root@pam", m("userid", "x@nowhere"))).hasMessage("create user failed: domain 'nowhere' does not exist");
        assertThatThrownBy(() -> admin.createUser("root@pam", m("userid", "x@pve", "groups", "nogroup"))).hasMessage("create user failed: no such group 'nogroup'");
        assertThatThrownBy(() -> admin.createUser("root@pam", m("userid", "nouser"))).isInstanceOf(ParamException.class);
        assertThatThrownBy(() -> admin.createRole("Bad", "VM.Audit,VM.Fly")).isInstanceOf(ParamException.class)
                .satisfies(e -> assertThat(((ParamException) e).errors()).containsEntry("privs", "invalid privilege 'VM.Fly'"));
        assertThatThrownBy(() -> admin.updateRole("PVEAdmin", "VM.Audit", false)).hasMessage("update role failed: auto-generated role 'PVEAdmin' cannot be modified");
        assertThatThrownBy(() -> admin.deleteRole("NoAccess")).hasMessage("delete role failed: auto-generated role 'NoAccess' cannot be deleted");
        assertThatThrownBy(() -> admin.updateAcl("root@pam", m("path", "/vms/100", "users", "joe@pve", "roles", "Nope"))).hasMessage("ACL update failed: role 'Nope' does not exist");
        assertThatThrownBy(() -> admin.updateAcl("root@pam", m("path", "/bogus/x", "users", "joe@pve", "roles", "PVEAuditor")))
                .isInstanceOf(ParamException.class).satisfies(e -> assertThat(((ParamException) e).errors()).containsEntry("path", "invalid ACL path '/bogus/x'"));
        assertThatThrownBy(() -> admin.updateAcl("root@pam", m("path", "/vms/100", "users", "ghost@pve", "roles", "PVEAuditor"))).hasMessage("ACL update failed: user 'ghost@pve' does not exist");
        assertThatThrownBy(() -> admin.updateAcl("root@pam", m("path", "/vms/100", "groups", "ghosts", "roles", "PVEAuditor"))).hasMessage("ACL update failed: group 'ghosts' does not exist");
        assertThatThrownBy(() -> admin.deleteGroup("ghosts")).hasMessage("delete group failed: group 'ghosts' does not exist");
        assertThatThrownBy(() -> admin.updateUser("root@pam", m("userid", "ghost@pve", "enable", 0))).hasMessage("update user failed: no such user ('ghost@pve')");
        assertThat(fs.text("user.cfg")).isEqualTo(before);
    }

    @Test
    void injectedLinesAreRefusedAndUserCfgStaysUnchanged() {
        admin.createGroup("staff", null);
        admin.createUser("root@pam", m("userid", "member@pve", "groups", "staff"));
        String before = fs.text("user.cfg");
        String acl = "x\nacl:1:/:member@pve:Administrator:";
        for (Map<String, Object> p : List.of(m("userid", "member@pve", "keys", acl), m("userid", "member@pve", "keys", "a:b"),
                m("userid", "member@pve", "email", "a@b.c\nuser:evil@pve:1:0::::::"), m("userid", "member@pve", "keys", "x\ry"))) {
            String field = p.containsKey("keys") ? "keys" : "email";
            assertThatThrownBy(() -> admin.updateUser("root@pam", p)).isInstanceOf(ParamException.class)
                    .satisfies(e -> assertThat(((ParamException) e).errors()).containsOnlyKeys(field));
        }
        assertThatThrownBy(() -> admin.createUser("root@pam", m("userid", "new@pve", "keys", acl, "password", "new-secret")))
                .isInstanceOf(ParamException.class).satisfies(e -> assertThat(((ParamException) e).errors()).containsOnlyKeys("keys"));
        assertThat(fs.text("user.cfg")).isEqualTo(before);
        assertThat(ac.shadow().hashes).doesNotContainKey("new");
        assertThat(ac.permissions().check("member@pve", "/", List.of("Sys.Modify"), false)).isFalse();
        // free text is encoded, so it cannot inject anything and reads back as given
        admin.updateUser("root@pam", m("userid", "member@pve", "comment", acl, "firstname", " %41: "));
        assertThat(admin.readUser("member@pve")).containsEntry("comment", acl).containsEntry("firstname", " %41: ");
        assertThat(fs.text("user.cfg")).doesNotContain("\nacl:");
    }

    @Test
    void idsAreBoundedForDirectCallersToo() {
        String before = fs.text("user.cfg");
        String big = "a".repeat(10_000);
        Map<String, Runnable> calls = new java.util.LinkedHashMap<>();
        calls.put("groupid", () -> admin.createGroup(big, null));
        calls.put("roleid", () -> admin.createRole(big, "VM.Audit"));
        calls.put("poolid", () -> admin.createPool(big, null));
        calls.put("realm", () -> admin.createRealm(m("realm", big, "type", "ldap")));
        calls.put("tokenid", () -> admin.createToken("root@pam", big, m()));
        calls.forEach((param, call) -> assertThatThrownBy(call::run).as(param).isInstanceOf(ParamException.class)
                .satisfies(e -> assertThat(((ParamException) e).errors()).containsOnlyKeys(param)
                        .hasValueSatisfying(new org.assertj.core.api.Condition<>(v -> v.startsWith("value may only be "), "a length error"))));
        assertThat(fs.text("user.cfg")).isEqualTo(before);
        admin.createGroup("g" + "a".repeat(63), null);
        assertThat(admin.readGroup("g" + "a".repeat(63))).containsKey("members");
    }

    @Test
    void deletingThingsCleansReferences() {
        admin.createGroup("g", null);
        admin.createUser("root@pam", m("userid", "joe@pve", "groups", "g", "password", "joe-secret"));
        admin.createRole("Custom", "VM.Audit");
        Map<String, Object> tok = admin.createToken("joe@pve", "ci", m());
        admin.updateAcl("root@pam", m("path", "/vms", "users", "joe@pve", "groups", "g", "roles", "Custom"));
        admin.updateAcl("root@pam", m("path", "/vms", "tokens", "joe@pve!ci", "roles", "PVEAuditor"));
        admin.deleteRole("Custom");
        assertThat(fs.text("user.cfg")).doesNotContain("Custom").contains("acl:1:/vms:joe@pve!ci:PVEAuditor:");
        admin.deleteUser("root@pam", "joe@pve");
        assertThat(fs.text("user.cfg")).doesNotContain("joe@pve");
        assertThat(fs.text("priv/token.cfg")).isEmpty();
        assertThat(fs.text("priv/shadow.cfg")).doesNotContain("joe");
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve!ci=" + tok.get("value"))).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void tokenLifecycle() {
        admin.createUser("root@pam", m("userid", "joe@pve", "expire", 1_900_000_000L));
        Map<String, Object> t = admin.createToken("joe@pve", "automation", m("comment", "CI"));
        assertThat(t).containsEntry("full-tokenid", "joe@pve!automation");
        assertThat((String) t.get("value")).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(t.get("info")).isEqualTo(Map.of("expire", 1_900_000_000L, "privsep", 1, "comment", "CI"));
        assertThat(ac.verifyApiToken("joe@pve!automation=" + t.get("value"))).isEqualTo("joe@pve!automation");
        assertThatThrownBy(() -> admin.createToken("joe@pve", "automation", m())).hasMessageContaining("Token already exists.");
        assertThatThrownBy(() -> admin.createToken("joe@pve", "1bad", m())).isInstanceOf(ParamException.class);
        assertThat(admin.updateToken("joe@pve", "automation", m("privsep", 0))).containsEntry("privsep", 0);
        assertThat(admin.listTokens("joe@pve")).singleElement().satisfies(e -> assertThat(e).containsEntry("tokenid", "automation"));
        admin.deleteToken("joe@pve", "automation");
        assertThatThrownBy(() -> admin.readToken("joe@pve", "automation")).hasMessage("no such token 'automation' for user 'joe@pve'");
    }

    @Test
    void delegatedAclChangesCannotEscalate() {
        admin.createUser("root@pam", m("userid", "vmadm@pve"));
        admin.createUser("root@pam", m("userid", "other@pve"));
        admin.updateAcl("root@pam", m("path", "/vms", "users", "vmadm@pve", "roles", "PVEVMAdmin"));
        // may hand out roles within its own privileges on the path
        admin.updateAcl("vmadm@pve", m("path", "/vms/100", "users", "other@pve", "roles", "PVEVMUser"));
        assertThatThrownBy(() -> admin.updateAcl("vmadm@pve", m("path", "/vms/100", "users", "other@pve", "roles", "Administrator")))
                .isInstanceOf(Checks.Denied.class);
        assertThat(ac.check("other@pve", "/vms/100", Set.of("VM.PowerMgmt"), false)).isTrue();
        // the ACL listing is filtered to paths where the caller may modify permissions
        assertThat(admin.readAcl("vmadm@pve")).extracting(e -> e.get("path")).containsOnly("/vms/100");
        assertThat(admin.readAcl("other@pve")).isEmpty();
    }

    @Test
    void listingsAreFiltered() {
        admin.createGroup("customers", null);
        admin.createGroup("staff", null);
        admin.createUser("root@pam", m("userid", "joe@pve"));
        admin.createUser("root@pam", m("userid", "cust@pve", "groups", "customers"));
        admin.createUser("root@pam", m("userid", "boss@pve", "groups", "staff"));
        admin.updateAcl("root@pam", m("path", "/access/groups/customers", "users", "joe@pve", "roles", "PVEUserAdmin"));
        assertThat(admin.listUsers("joe@pve", null, false)).extracting(u -> u.get("userid")).containsExactly("cust@pve", "joe@pve");
        assertThat(admin.listUsers("root@pam", null, false)).extracting(u -> u.get("userid")).contains("boss@pve", "root@pam");
        assertThat(admin.listGroups("joe@pve")).extracting(g -> g.get("groupid")).containsExactly("customers");
        assertThat(admin.listUsers("root@pam", true, true)).allSatisfy(u -> assertThat(u).containsKey("tokens"));
    }

    @Test
    void passwordChange() {
        admin.createUser("root@pam", m("userid", "joe@pve", "password", "first-pw"));
        admin.createUser("root@pam", m("userid", "ann@pve", "password", "ann-pw1"));
        admin.changePassword("joe@pve", "joe@pve", "second-pw", "first-pw");
        assertThat(ac.login("joe@pve", "second-pw", null, null)).isEqualTo("joe@pve");
        assertThatThrownBy(() -> admin.changePassword("joe@pve", "joe@pve", "third-pw", "wrong")).hasMessage("authentication failure");
        assertThatThrownBy(() -> admin.changePassword("joe@pve", "joe@pve", "third-pw", null)).isInstanceOf(ParamException.class);
        assertThatThrownBy(() -> admin.changePassword("joe@pve", "root@pam", "third-pw", "second-pw")).isInstanceOf(Checks.Denied.class);
        admin.changePassword("root@pam", "ann@pve", "reset-pw", null);
        assertThat(ac.login("ann@pve", "reset-pw", null, null)).isEqualTo("ann@pve");
    }

    @Test
    void pools() {
        fs.put(".vmlist", "{\"version\":3,\"ids\":{\"100\":{\"node\":\"node1\",\"type\":\"qemu\",\"version\":1},\"200\":{\"node\":\"node1\",\"type\":\"lxc\",\"version\":2}}}");
        fs.put("storage.cfg", "dir: local\n\tpath /var/lib/vz\n\n");
        admin.createPool("dev", "Development");
        admin.createPool("dev/sub", null);
        assertThatThrownBy(() -> admin.createPool("x/y", null)).hasMessage("create pool failed: parent 'x' does not exist");
        admin.updatePool("root@pam", "dev", m("vms", "100,200", "storage", "local"));
        assertThatThrownBy(() -> admin.updatePool("root@pam", "dev", m("vms", "300"))).hasMessage("update pools failed: VM 300 does not exist");
        assertThatThrownBy(() -> admin.updatePool("root@pam", "dev/sub", m("vms", "100"))).hasMessageContaining("belongs already to pool 'dev'");
        admin.updatePool("root@pam", "dev/sub", m("vms", "100", "allow-move", 1));
        assertThat(admin.readPool("dev", null).get("members")).asList().hasSize(2);
        assertThat(admin.readPool("dev/sub", "qemu").get("members")).isEqualTo(List.of(Map.of("id", "qemu/100", "vmid", 100L, "node", "node1", "type", "qemu")));
        assertThatThrownBy(() -> admin.deletePool("dev")).hasMessageStartingWith("delete pool failed: pool 'dev' is not empty");
        admin.createUser("root@pam", m("userid", "aud@pve"));
        admin.updateAcl("root@pam", m("path", "/pool/dev", "users", "aud@pve", "roles", "PVEPoolUser"));
        assertThat(admin.listPools("aud@pve", null, null)).extracting(p -> p.get("poolid")).containsExactly("dev", "dev/sub");
        assertThatThrownBy(() -> admin.updatePool("aud@pve", "dev", m("vms", "200", "delete", 1))).isInstanceOf(Checks.Denied.class);
        admin.createPool("empty", null);
        admin.updateAcl("root@pam", m("path", "/pool/empty", "users", "aud@pve", "roles", "PVEPoolAdmin"));
        admin.deletePool("empty");
        assertThat(fs.text("user.cfg")).doesNotContain("/pool/empty").contains("acl:1:/pool/dev:aud@pve:PVEPoolUser:");
    }

    @Test
    void realms() {
        assertThat(admin.listRealms()).extracting(r -> r.get("realm")).containsExactly("pam", "pve");
        // what PVE writes for a fresh cluster
        assertThat(Domains.parse(null).write()).isEqualTo("pam: pam\n\tcomment Linux PAM standard authentication\n\n"
                + "pve: pve\n\tcomment Proxmox VE authentication server\n\n");
        admin.createRealm(m("realm", "corp", "type", "ldap", "server1", "ldap.example.com", "base_dn", "dc=example,dc=com",
                "user_attr", "uid", "password", "bindpw", "default", 1, "comment", "Corporate"));
        assertThat(fs.text("domains.cfg")).contains("ldap: corp\n\tbase_dn dc=example,dc=com\n\tcomment Corporate\n\tdefault 1\n\tserver1 ldap.example.com\n\tuser_attr uid\n\n");
        assertThat(fs.text("priv/realm/corp.pw")).isEqualTo("bindpw\n");
        assertThat(admin.readRealm("corp")).containsEntry("type", "ldap").containsEntry("default", "1");
        assertThatThrownBy(() -> admin.createRealm(m("realm", "corp", "type", "ldap", "server1", "x", "base_dn", "x", "user_attr", "uid")))
                .hasMessage("create auth server failed: domain 'corp' already exists");
        assertThatThrownBy(() -> admin.createRealm(m("realm", "bad", "type", "ldap"))).isInstanceOf(ParamException.class);
        assertThatThrownBy(() -> admin.createRealm(m("realm", "x2", "type", "pve"))).hasMessageContaining("unable to create builtin type 'pve'");
        String domains = fs.text("domains.cfg");
        assertThatThrownBy(() -> admin.updateRealm(m("realm", "corp", "password", "new\nline")))
                .isInstanceOf(ParamException.class).satisfies(e -> assertThat(((ParamException) e).errors()).containsOnlyKeys("password"));
        assertThatThrownBy(() -> admin.updateRealm(m("realm", "corp", "base_dn", "dc=x\nldap: evil", "password", "other")))
                .isInstanceOf(ParamException.class).satisfies(e -> assertThat(((ParamException) e).errors()).containsOnlyKeys("base_dn"));
        assertThat(fs.text("domains.cfg")).isEqualTo(domains);
        assertThat(fs.text("priv/realm/corp.pw")).isEqualTo("bindpw\n");
        admin.updateRealm(m("realm", "corp", "delete", "comment", "port", 636));
        assertThat(admin.readRealm("corp")).doesNotContainKey("comment").containsEntry("port", "636");
        assertThatThrownBy(() -> admin.deleteRealm("pam")).hasMessageContaining("can't delete builtin domain 'pam'");
        admin.deleteRealm("corp");
        assertThat(fs.read("priv/realm/corp.pw")).isEmpty();
    }

    @Test
    void permissionsEndpoint() {
        admin.createUser("root@pam", m("userid", "joe@pve"));
        admin.createUser("root@pam", m("userid", "aud@pve"));
        admin.createToken("joe@pve", "tk", m());
        admin.updateAcl("root@pam", m("path", "/vms", "users", "joe@pve", "roles", "PVEVMUser"));
        admin.updateAcl("root@pam", m("path", "/access", "users", "aud@pve", "roles", "PVEAuditor"));
        assertThat(admin.permissions("joe@pve", null, null)).containsOnlyKeys("/vms");
        assertThat(admin.permissions("joe@pve", "joe@pve!tk", null)).isEmpty();
        assertThatThrownBy(() -> admin.permissions("joe@pve", "aud@pve", null)).isInstanceOf(Checks.Denied.class);
        assertThat(admin.permissions("aud@pve", "joe@pve", "/vms/100/")).containsOnlyKeys("/vms/100");
    }
}
