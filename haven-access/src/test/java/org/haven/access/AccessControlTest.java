package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AccessControlTest {
    MemoryClusterFs fs;
    AtomicLong now;
    AccessControl ac;
    Clock clock;

    @BeforeEach
    void setUp() {
        now = new AtomicLong(1_750_000_000L);
        clock = now::get;
        fs = new MemoryClusterFs("node1", clock);
        ac = new AccessControl(fs, clock, (service, user, password, rhost) -> {
            // PAM seam for these unit tests; the real stack is exercised in PamLoginTest
            if (!(user.equals("root") && password.equals("rootpw"))) throw new AuthenticationException("PAM auth failed: Authentication failure");
        }, "other");
        fs.put("user.cfg", """
                user:joe@pve:1:0:::::
                user:off@pve:0:0:::::
                user:old@pve:1:1700000000:::::
                user:heinz@pam:1:0:::::
                token:joe@pve!ci:0:1::
                token:joe@pve!gone:1740000000:1::

                acl:1:/vms:joe@pve:PVEVMUser:
                acl:1:/:joe@pve!ci:PVEAuditor:
                """);
        fs.put("priv/shadow.cfg", "joe:" + ShaCrypt.hash512("joepass") + ":\noff:" + ShaCrypt.hash512("offpass")
                + ":\nold:" + ShaCrypt.hash512("oldpass") + ":\n");
        fs.put("priv/token.cfg", "joe@pve!ci 5b1f6a2e-8c4d-4e8a-9f0e-0123456789ab\njoe@pve!gone 11111111-2222-3333-4444-555555555555\n");
    }

    @Test
    void pveRealmLogin() {
        assertThat(ac.login("joe@pve", "joepass", null, null)).isEqualTo("joe@pve");
        assertThat(ac.login("joe", "joepass", "pve", null)).isEqualTo("joe@pve");
        assertThatThrownBy(() -> ac.login("joe@pve", "wrong", null, null)).isInstanceOf(AuthenticationException.class).hasMessage("invalid credentials");
        assertThatThrownBy(() -> ac.login("off@pve", "offpass", null, null)).hasMessage("user 'off@pve' is disabled");
        assertThatThrownBy(() -> ac.login("old@pve", "oldpass", null, null)).hasMessage("user 'old@pve' access expired");
        assertThatThrownBy(() -> ac.login("nobody@pve", "x", null, null)).hasMessage("no such user ('nobody@pve')");
        assertThatThrownBy(() -> ac.login("joe", "joepass", null, null)).hasMessage("value 'joe' does not look like a valid user name");
        assertThatThrownBy(() -> ac.login("joe@nosuchrealm", "x", null, null)).hasMessageContaining("no such user");
        assertThatThrownBy(() -> ac.login("", "x", null, null)).hasMessage("no username specified");
    }

    @Test
    void unknownRealmIsRefused() {
        fs.put("user.cfg", "user:joe@corp:1:0:::::\n");
        assertThatThrownBy(() -> ac.login("joe@corp", "x", null, null)).hasMessage("auth domain 'corp' does not exist");
    }

    @Test
    void pamRealmGoesThroughThePamAuthenticator() {
        assertThat(ac.login("root@pam", "rootpw", null, null)).isEqualTo("root@pam");
        assertThat(ac.login("root", "rootpw", "pam", null)).isEqualTo("root@pam");
        assertThatThrownBy(() -> ac.login("root@pam", "bad", null, null)).hasMessageContaining("PAM auth failed");
    }

    @Test
    void ticketsRoundTripAndHonourDisable() {
        String t = ac.createTicket("joe@pve");
        assertThat(t).startsWith("PVE:joe@pve:");
        assertThat(fs.text("authkey.pub")).startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(fs.text("priv/authkey.key")).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(ac.verifyTicket(t)).isEqualTo("joe@pve");
        now.addAndGet(7201);
        assertThatThrownBy(() -> ac.verifyTicket(t)).hasMessage("invalid ticket");
        now.addAndGet(-7201);
        // disabling the user invalidates existing tickets
        ac.modifyUserConfig(c -> c.users.get("joe@pve").enable = false);
        assertThatThrownBy(() -> ac.verifyTicket(t)).hasMessage("user 'joe@pve' is disabled");
        // a second instance (another node) with the same cfs verifies tickets of the first
        AccessControl other = new AccessControl(fs, clock, null, "other");
        String t2 = ac.createTicket("heinz@pam");
        assertThat(other.verifyTicket(t2)).isEqualTo("heinz@pam");
    }

    @Test
    void csrf() {
        String c = ac.csrfToken("joe@pve");
        assertThat(fs.text("priv/pve-www.key")).isNotEmpty();
        assertThat(ac.verifyCsrfToken("joe@pve", c)).isTrue();
        assertThat(ac.verifyCsrfToken("heinz@pam", c)).isFalse();
    }

    @Test
    void apiTokens() {
        assertThat(ac.verifyApiToken("joe@pve!ci=5b1f6a2e-8c4d-4e8a-9f0e-0123456789ab")).isEqualTo("joe@pve!ci");
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve!ci=5b1f6a2e-8c4d-4e8a-9f0e-0123456789ac")).hasMessage("invalid token value!");
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve!gone=11111111-2222-3333-4444-555555555555")).hasMessage("token 'gone' access expired");
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve!nope=x")).hasMessage("no such token 'nope' for user 'joe@pve'");
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve=x")).hasMessageContaining("does not look like a valid token ID");
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve!ci")).hasMessage("no tokenid specified");
        ac.modifyUserConfig(c -> c.users.get("joe@pve").enable = false);
        assertThatThrownBy(() -> ac.verifyApiToken("joe@pve!ci=5b1f6a2e-8c4d-4e8a-9f0e-0123456789ab")).hasMessage("user 'joe@pve' is disabled");
    }

    @Test
    void permissionChecksFollowTheFile() {
        assertThat(ac.check("joe@pve", "/vms/100", Set.of("VM.PowerMgmt"), false)).isTrue();
        assertThat(ac.check("joe@pve", "/nodes/n1", Set.of("Sys.Audit"), false)).isFalse();
        // privsep token: intersection of its PVEAuditor on / with the user's PVEVMUser on /vms
        assertThat(ac.check("joe@pve!ci", "/vms/100", Set.of("VM.Audit"), false)).isTrue();
        assertThat(ac.check("joe@pve!ci", "/vms/100", Set.of("VM.PowerMgmt"), false)).isFalse();
        assertThat(ac.check("joe@pve!ci", "/nodes/n1", Set.of("Sys.Audit"), false)).isFalse();
        ac.modifyUserConfig(c -> c.aclNode("/nodes").users.computeIfAbsent("joe@pve", k -> new java.util.TreeMap<>()).put("PVEAuditor", true));
        assertThat(ac.check("joe@pve", "/nodes/n1", Set.of("Sys.Audit"), false)).isTrue();
        assertThat(ac.permissionMap("joe@pve", null)).containsKeys("/vms", "/nodes");
        assertThat(ac.permissionMap("joe@pve", "/vms/1").get("/vms/1")).containsEntry("VM.PowerMgmt", 1);
    }

    @Test
    void failedChangeLeavesUserCfgIntact() {
        String before = fs.text("user.cfg");
        int writes = fs.writes();
        assertThatThrownBy(() -> ac.modifyUserConfig(c -> {
            c.users.remove("joe@pve");
            throw new IllegalArgumentException("role 'Nope' does not exist");
        })).hasMessage("role 'Nope' does not exist");
        assertThat(fs.text("user.cfg")).isEqualTo(before);
        assertThat(fs.writes()).isEqualTo(writes);
    }

    @Test
    void bootstrapCreatesAdminOnce() {
        String pw = ac.bootstrapAdmin().orElseThrow();
        assertThat(pw).hasSizeGreaterThanOrEqualTo(20);
        assertThat(fs.text("user.cfg")).contains("user:admin@pve:1:0:").contains("acl:1:/:admin@pve:Administrator:");
        assertThat(fs.text("priv/shadow.cfg")).contains("admin:$6$");
        assertThat(ac.login("admin@pve", pw, null, null)).isEqualTo("admin@pve");
        assertThat(ac.check("admin@pve", "/", Set.of("Sys.Modify", "Permissions.Modify"), false)).isTrue();
        assertThat(ac.bootstrapAdmin()).isEmpty();
        // disabling the administrator makes the next start create a usable one again
        ac.modifyUserConfig(c -> c.users.get("admin@pve").enable = false);
        String pw2 = ac.bootstrapAdmin().orElseThrow();
        assertThat(ac.login("admin@pve", pw2, null, null)).isEqualTo("admin@pve");
        assertThatThrownBy(() -> ac.login("admin@pve", pw, null, null)).hasMessage("invalid credentials");
    }

    @Test
    void setPasswordForPveUser() {
        ac.setPassword("joe@pve", "newsecret");
        assertThat(ac.login("joe@pve", "newsecret", null, null)).isEqualTo("joe@pve");
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, null)).hasMessage("invalid credentials");
        assertThatThrownBy(() -> ac.setPassword("joe@pve", "abc")).hasMessage("password is too short");
    }

    @Test
    void signingKeyRotatesDailyAndOldTicketsStayValid() {
        String before = ac.createTicket("joe@pve");
        String pub = fs.text("authkey.pub");
        now.addAndGet(3600);
        assertThat(ac.createTicket("joe@pve")).isNotNull();
        assertThat(fs.text("authkey.pub")).isEqualTo(pub);
        // a day later the key is replaced; the previous public key is kept for verification
        now.addAndGet(AccessControl.AUTHKEY_LIFETIME - 3600 + 1);
        String after = ac.createTicket("joe@pve");
        assertThat(fs.text("authkey.pub")).isNotEqualTo(pub);
        assertThat(fs.text("authkey.pub.old")).isEqualTo(pub);
        assertThat(ac.verifyTicket(after)).isEqualTo("joe@pve");
        // another node (same cfs) agrees
        assertThat(new AccessControl(fs, clock, null, "other").verifyTicket(after)).isEqualTo("joe@pve");
        // a ticket signed with the old key verifies with the old key while within its lifetime
        now.set(now.get() - AccessControl.AUTHKEY_LIFETIME + 100);
        assertThat(ac.verifyTicket(before)).isEqualTo("joe@pve");
    }

    @Test
    void capabilitiesForTheWebUi() {
        fs.put("user.cfg", fs.text("user.cfg") + "pool:p1::::\nacl:1:/pool/p1:joe@pve:PVEPoolAdmin,PVEDatastoreUser:\nacl:1:/nodes/n1:joe@pve:PVEAuditor:\n");
        var cap = ac.capabilities("joe@pve");
        assertThat(cap).containsOnlyKeys("access", "dc", "mapping", "nodes", "sdn", "storage", "vms");
        assertThat(cap.get("vms")).containsKeys("VM.PowerMgmt", "VM.Audit").doesNotContainKey("Sys.Audit");
        assertThat(cap.get("storage")).containsOnlyKeys("Datastore.AllocateSpace", "Datastore.Audit");
        assertThat(cap.get("nodes")).containsOnlyKeys("Sys.Audit");
        assertThat(cap.get("dc")).isEmpty();
        var root = ac.capabilities("root@pam");
        assertThat(root.get("dc")).containsKeys("Sys.Audit", "Sys.Modify", "SDN.Allocate");
        assertThat(root.get("access")).containsKeys("User.Modify", "Group.Allocate", "Permissions.Modify");
    }
}
