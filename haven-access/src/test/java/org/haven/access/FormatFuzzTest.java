package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.haven.core.format.HostileText;
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

    /** Everything user.cfg holds, in a form independent of the writer ("" and null are the same: an empty field). */
    static String model(UserConfig c) {
        StringBuilder sb = new StringBuilder();
        c.users.forEach((id, u) -> {
            sb.append(List.of(id, u.enable, u.expire, opt(u.firstname), opt(u.lastname), opt(u.email), opt(u.comment), opt(u.keys), u.groups)).append('\n');
            u.tokens.forEach((t, v) -> sb.append(List.of(t, v.privsep, v.expire, opt(v.comment))).append('\n'));
        });
        c.groups.forEach((g, v) -> sb.append(List.of(g, v.users, opt(v.comment))).append('\n'));
        c.pools.forEach((p, v) -> sb.append(List.of(p, v.vms, v.storage, opt(v.comment))).append('\n'));
        c.roles.forEach((r, v) -> sb.append(List.of(r, v)).append('\n'));
        c.acl.forEach((p, v) -> sb.append(List.of(p, v.users, v.groups, v.tokens)).append('\n'));
        return sb.toString();
    }

    static String opt(String v) { return v == null ? "" : v; }

    @Test
    void randomUserConfigsAreRefusedOrReadBackExactly() {
        Random r = new Random(17);
        int written = 0, refused = 0;
        for (int n = 0; n < 3000; n++) {
            UserConfig c = new UserConfig();
            boolean onlyFreeText = r.nextInt(4) == 0;
            String user = onlyFreeText || r.nextBoolean() ? "u" + n + "@pve" : HostileText.random(r, 6) + "@pve";
            UserConfig.User u = new UserConfig.User();
            u.firstname = HostileText.random(r, 8);
            u.lastname = HostileText.random(r, 8);
            u.comment = HostileText.random(r, 12);
            if (!onlyFreeText) {
                u.email = r.nextBoolean() ? null : HostileText.random(r, 8);
                u.keys = r.nextBoolean() ? null : HostileText.random(r, 8);
            }
            c.users.put(user, u);
            if (!onlyFreeText && r.nextBoolean()) u.tokens.put(r.nextBoolean() ? "t1" : HostileText.random(r, 4), new UserConfig.Token());
            String group = onlyFreeText || r.nextBoolean() ? "g" : HostileText.random(r, 5);
            UserConfig.Group g = new UserConfig.Group();
            g.comment = HostileText.random(r, 8);
            g.users.add(user);
            u.groups.add(group);
            c.groups.put(group, g);
            UserConfig.Pool pool = new UserConfig.Pool();
            pool.comment = HostileText.random(r, 8);
            if (!onlyFreeText) { pool.vms.add(r.nextBoolean() ? "100" : HostileText.random(r, 3)); pool.storage.add(r.nextBoolean() ? "local" : HostileText.random(r, 5)); }
            c.pools.put(onlyFreeText || r.nextBoolean() ? "p" : HostileText.random(r, 5), pool);
            String role = onlyFreeText || r.nextBoolean() ? "R" : HostileText.random(r, 4);
            c.roles.put(role, new java.util.TreeSet<>(List.of(onlyFreeText || r.nextBoolean() ? "VM.Audit" : HostileText.random(r, 6))));
            String path = onlyFreeText || r.nextBoolean() ? "/vms" : "/" + HostileText.random(r, 6);
            c.aclNode(path).users.computeIfAbsent(user, k -> new java.util.TreeMap<>()).put(role, true);
            String text;
            try {
                text = c.write();
            } catch (org.haven.core.format.ConfigText.UnwritableValueException e) {
                assertThat(onlyFreeText).as("free text is encoded, never refused: %s", e.errors()).isFalse();
                refused++;
                continue;
            }
            written++;
            UserConfig back = UserConfig.parse(text);
            assertThat(back.warnings()).as(text).isEmpty();
            assertThat(model(back)).as(text).isEqualTo(model(c));
        }
        assertThat(written).isGreaterThan(800);
        assertThat(refused).isGreaterThan(800);
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
