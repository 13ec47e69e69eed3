package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the access-control file parsers: arbitrary (mutated) input never makes them fail with anything
 * but their documented errors, and what they write is a fixed point (parse ∘ write is the identity on canonical text).
 */
class FormatFuzzTest {
    static final String[] USER_SEEDS = {
            "user:joe@pve:1:0:Joe:Doe:joe@example.com:a%3Acomment:x:\n",
            "token:joe@pve!ci:0:1:CI:\n",
            "group:admins:joe@pve,ann@pam:Admins:\n",
            "pool:dev:Dev:100,101:local:\n",
            "role:R:VM.Audit,Sys.Audit:\n",
            "acl:1:/vms/100:joe@pve,@admins,joe@pve!ci:PVEAdmin,R:\n",
            "acl:0:/:ann@pam:NoAccess:\n",
    };
    static final String ALPHABET = "abcxyz019:@!,;/ %.-_\t\nAZéPVE";

    static String mutate(Random r, String s) {
        StringBuilder sb = new StringBuilder(s);
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits; i++) {
            int op = r.nextInt(3);
            int pos = sb.isEmpty() ? 0 : r.nextInt(sb.length());
            char c = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
            if (op == 0 || sb.isEmpty()) sb.insert(pos, c);
            else if (op == 1) sb.deleteCharAt(pos);
            else sb.setCharAt(pos, c);
        }
        return sb.toString();
    }

    @Test
    void userCfgParserIsTotalAndWriteIsAFixedPoint() {
        Random r = new Random(1234);
        for (int n = 0; n < 2000; n++) {
            StringBuilder text = new StringBuilder();
            int lines = 1 + r.nextInt(8);
            for (int i = 0; i < lines; i++) {
                String seed = USER_SEEDS[r.nextInt(USER_SEEDS.length)];
                text.append(r.nextInt(3) == 0 ? mutate(r, seed) : seed);
            }
            UserConfig cfg = UserConfig.parse(text.toString());
            String once = cfg.write();
            UserConfig again = UserConfig.parse(once);
            assertThat(again.write()).as(text.toString()).isEqualTo(once);
            // the evaluator copes with whatever survived parsing
            Permissions p = new Permissions(again);
            for (String who : new String[]{"joe@pve", "ann@pam", "joe@pve!ci", "root@pam"}) p.effective(who);
        }
    }

    @Test
    void shadowAndTokenFilesAreTotalAndStable() {
        Random r = new Random(99);
        String[] shadowSeeds = {"joe:$6$abcdefgh$xyz:\n", "ann:$5$salt$hash:\n", "bad line\n"};
        String[] tokenSeeds = {"joe@pve!ci 5b1f6a2e-8c4d-4e8a-9f0e-0123456789ab\n", "ann@pam!t2 x\n", "junk\n"};
        for (int n = 0; n < 3000; n++) {
            StringBuilder s = new StringBuilder(), t = new StringBuilder();
            for (int i = 0; i < 1 + r.nextInt(5); i++) {
                String a = shadowSeeds[r.nextInt(shadowSeeds.length)], b = tokenSeeds[r.nextInt(tokenSeeds.length)];
                s.append(r.nextBoolean() ? mutate(r, a) : a);
                t.append(r.nextBoolean() ? mutate(r, b) : b);
            }
            String sw = Shadow.parse(s.toString()).write();
            assertThat(Shadow.parse(sw).write()).isEqualTo(sw);
            assertThat(Shadow.parse(sw).warnings()).isEmpty();
            String tw = TokenSecrets.parse(t.toString()).write();
            assertThat(TokenSecrets.parse(tw).write()).isEqualTo(tw);
            assertThat(TokenSecrets.parse(tw).warnings()).isEmpty();
        }
    }

    @Test
    void domainsAlwaysHaveTheBuiltinRealmsAndRoundTrip() {
        Random r = new Random(5);
        String base = "pve: pve\n\tcomment Proxmox VE authentication server\n\tdefault 1\n\npam: pam\n\tcomment Linux PAM standard authentication\n\n"
                + "ldap: corp\n\tbase_dn dc=example,dc=com\n\tserver1 ldap.example.com\n\tuser_attr uid\n\n";
        assertThat(Domains.parse(base).write()).isEqualTo(base);
        int parsed = 0;
        for (int n = 0; n < 2000; n++) {
            String text = mutate(r, base);
            Domains d;
            try {
                d = Domains.parse(text);
            } catch (IllegalArgumentException e) {
                continue; // a syntax error is reported, never anything else
            }
            parsed++;
            assertThat(d.type("pve")).contains("pve");
            assertThat(d.type("pam")).contains("pam");
            String w = d.write();
            assertThat(Domains.parse(w).write()).isEqualTo(w);
        }
        assertThat(parsed).isGreaterThan(500);
    }

    @Test
    void tfaConfigRoundTripsWhatItWrites() {
        Random r = new Random(8);
        for (int n = 0; n < 300; n++) {
            TfaConfig t = TfaConfig.parse(null);
            int users = r.nextInt(4);
            for (int u = 0; u < users; u++) {
                String id = "u" + u + "@pve";
                for (int k = 0; k < r.nextInt(3); k++) {
                    byte[] secret = new byte[10 + r.nextInt(20)];
                    r.nextBytes(secret);
                    t.addTotp(id, Totp.of(secret), "d" + k, 1000 + k);
                }
                if (r.nextBoolean()) t.addRecovery(id, 2000);
                if (r.nextInt(4) == 0) t.lockTotp(id);
            }
            String w = t.write();
            TfaConfig back = TfaConfig.parse(w);
            assertThat(back.write()).isEqualTo(w);
            for (String id : t.userIds()) {
                assertThat(back.entries(id)).isEqualTo(t.entries(id));
                for (TfaConfig.Entry e : t.entries(id))
                    if (e.type().equals("totp")) assertThat(back.totp(id, e.id()).secret()).isEqualTo(t.totp(id, e.id()).secret());
            }
        }
    }
}
