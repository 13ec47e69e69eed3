package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.cfs.MemoryClusterFs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TfaLoginTest {
    MemoryClusterFs fs;
    AtomicLong now = new AtomicLong(1_750_000_000L);
    AccessControl ac;
    Totp totp = Totp.of(TotpTest.K20);

    @BeforeEach
    void setUp() {
        fs = new MemoryClusterFs("node1");
        ac = new AccessControl(fs, now::get, (s, u, p, r) -> { throw new AuthenticationException("no PAM"); }, "other");
        fs.put("user.cfg", "user:joe@pve:1:0::::::x:\nuser:ann@pve:1:0:::::\n");
        fs.put("priv/shadow.cfg", "joe:" + ShaCrypt.hash512("joepass") + ":\nann:" + ShaCrypt.hash512("annpass") + ":\n");
        ac.modifyTfa(t -> t.addTotp("joe@pve", totp, "phone", now.get()));
    }

    @Test
    void twoStepTicketFlowWithTotp() {
        AccessControl.LoginResult first = ac.authenticate("joe@pve", "joepass", null, null, null);
        assertThat(first.needTfa()).isTrue();
        assertThat(first.ticket()).startsWith("PVE:!tfa!");
        String challenge = URLDecoder.decode(first.ticket().substring(9, first.ticket().indexOf(':', 9)), StandardCharsets.UTF_8);
        assertThat(challenge).isEqualTo("{\"totp\":true}");
        // the partial ticket is not a login ticket
        assertThatThrownBy(() -> ac.verifyTicket(first.ticket())).isInstanceOf(AuthenticationException.class);
        // wrong code, wrong user, expired challenge
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "totp:000000", null, null, first.ticket())).hasMessage("totp: invalid code");
        assertThatThrownBy(() -> ac.authenticate("ann@pve", "totp:" + totp.code(now.get()), null, null, first.ticket())).hasMessage("invalid tfa challenge");
        AccessControl.LoginResult second = ac.authenticate("joe@pve", "totp:" + totp.code(now.get()), null, null, first.ticket());
        assertThat(second.needTfa()).isFalse();
        assertThat(ac.verifyTicket(second.ticket())).isEqualTo("joe@pve");
        now.addAndGet(AccessControl.TFA_CHALLENGE_LIFETIME + 1);
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "totp:" + totp.code(now.get()), null, null, first.ticket())).hasMessage("invalid tfa challenge");
    }

    @Test
    void plainLoginRefusesWithoutSecondFactorButAcceptsOtp() {
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, null)).isInstanceOf(TfaRequiredException.class);
        assertThat(ac.login("joe@pve", "joepass", null, totp.code(now.get()))).isEqualTo("joe@pve");
        assertThatThrownBy(() -> ac.login("joe@pve", "wrong", null, totp.code(now.get()))).hasMessage("invalid credentials");
        assertThat(ac.login("ann@pve", "annpass", null, null)).isEqualTo("ann@pve");
    }

    @Test
    void recoveryKeysAreSingleUse() {
        List<String> keys = ac.modifyTfa(t -> t.addRecovery("joe@pve", now.get()));
        assertThat(keys).hasSize(10).allMatch(k -> k.matches("[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"));
        assertThat(fs.text("priv/tfa.cfg")).doesNotContain(keys.get(0));
        AccessControl.LoginResult first = ac.authenticate("joe@pve", "joepass", null, null, null);
        assertThat(URLDecoder.decode(first.ticket(), StandardCharsets.UTF_8)).contains("\"recovery\":[0,1,2,3,4,5,6,7,8,9]");
        assertThat(ac.authenticate("joe@pve", "recovery:" + keys.get(3), null, null, first.ticket()).needTfa()).isFalse();
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "recovery:" + keys.get(3), null, null, first.ticket())).hasMessage("recovery: invalid key");
        assertThat(ac.tfaConfig().availableRecovery("joe@pve")).hasSize(9).doesNotContain(3);
    }

    @Test
    void disabledEntriesAndDeletion() {
        String id = ac.tfaConfig().entries("joe@pve").get(0).id();
        ac.modifyTfa(t -> t.update("joe@pve", id, "old phone", false));
        assertThat(ac.authenticate("joe@pve", "joepass", null, null, null).needTfa()).isFalse();
        ac.modifyTfa(t -> t.update("joe@pve", id, null, true));
        assertThat(ac.authenticate("joe@pve", "joepass", null, null, null).needTfa()).isTrue();
        assertThat(ac.tfaConfig().entries("joe@pve")).singleElement().satisfies(e -> assertThat(e.description()).isEqualTo("old phone"));
        ac.modifyTfa(t -> t.delete("joe@pve", id));
        assertThat(ac.tfaConfig().userIds()).isEmpty();
        assertThat(ac.authenticate("joe@pve", "joepass", null, null, null).needTfa()).isFalse();
    }

    @Test
    void realmLevelOathWithKeysInUserCfg() {
        fs.put("domains.cfg", "pve: pve\n\tcomment Proxmox VE authentication server\n\ttfa type=oath,step=30,digits=6\n\n");
        fs.put("user.cfg", "user:joe@pve:1:0:::::GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ ABCDEFGHIJKLMNOP:\nuser:ann@pve:1:0:::::\n");
        ac.modifyTfa(t -> { t.removeUser("joe@pve"); return null; });
        assertThat(ac.login("joe@pve", "joepass", null, totp.code(now.get()))).isEqualTo("joe@pve");
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, "123456")).hasMessage("otp validation failed");
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, null)).hasMessage("missing otp");
        assertThatThrownBy(() -> ac.login("ann@pve", "annpass", null, "123456")).hasMessage("missing required otp keys for user 'ann@pve'");
    }

    @Test
    void tfaConfigKeepsUnknownEntries() {
        String text = "{\"users\":{\"x@pve\":{\"webauthn\":[{\"id\":\"w1\",\"description\":\"key\",\"created\":1,\"entry\":{\"cred\":\"abc\"}}]}},\"webauthn\":{\"rp\":\"h\"}}";
        TfaConfig t = TfaConfig.parse(text);
        assertThat(t.write()).isEqualTo(text);
        assertThat(t.entries("x@pve")).singleElement().satisfies(e -> assertThat(e.type()).isEqualTo("webauthn"));
    }

    @Test
    void totpLocksAfterEightFailuresAndRecoveryUnlocks() {
        List<String> keys = ac.modifyTfa(t -> t.addRecovery("joe@pve", now.get()));
        String wrong = totp.code(now.get()).equals("000000") ? "111111" : "000000";
        for (int i = 0; i < AccessControl.TOTP_TRIES; i++) {
            String challenge = ac.authenticate("joe@pve", "joepass", null, null, null).ticket();
            assertThatThrownBy(() -> ac.authenticate("joe@pve", "totp:" + wrong, null, null, challenge)).hasMessage("totp: invalid code");
        }
        assertThat(ac.tfaConfig().totpLocked("joe@pve")).isTrue();
        assertThat(fs.text("priv/tfa.cfg")).contains("\"totp-locked\":true");
        String challenge = ac.authenticate("joe@pve", "joepass", null, null, null).ticket();
        assertThat(URLDecoder.decode(challenge, StandardCharsets.UTF_8)).contains("\"totp\":false");
        // even the right code is refused now
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "totp:" + totp.code(now.get()), null, null, challenge))
                .hasMessage("totp: locked after too many failed attempts");
        // a recovery key logs in and unlocks TOTP
        assertThat(ac.authenticate("joe@pve", "recovery:" + keys.get(0), null, null, challenge).needTfa()).isFalse();
        assertThat(ac.tfaConfig().totpLocked("joe@pve")).isFalse();
        String c2 = ac.authenticate("joe@pve", "joepass", null, null, null).ticket();
        assertThat(ac.authenticate("joe@pve", "totp:" + totp.code(now.get()), null, null, c2).needTfa()).isFalse();
    }

    @Test
    void tooManySecondFactorFailuresBlockAllFactorsForAnHour() {
        List<String> keys = ac.modifyTfa(t -> t.addRecovery("joe@pve", now.get()));
        String challenge = ac.authenticate("joe@pve", "joepass", null, null, null).ticket();
        for (int i = 0; i < AccessControl.TFA_TRIES; i++)
            assertThatThrownBy(() -> ac.authenticate("joe@pve", "recovery:0000-0000-0000-0000", null, null, challenge)).hasMessage("recovery: invalid key");
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "recovery:" + keys.get(1), null, null, challenge))
                .hasMessage("second factor login has been locked for user 'joe@pve'");
        assertThat(ac.tfaConfig().lockInfo("joe@pve")).containsKey("tfa-locked-until");
        // an administrator unlocks
        ac.modifyTfa(t -> t.unlock("joe@pve"));
        assertThat(ac.authenticate("joe@pve", "recovery:" + keys.get(1), null, null, challenge).needTfa()).isFalse();
    }
}
