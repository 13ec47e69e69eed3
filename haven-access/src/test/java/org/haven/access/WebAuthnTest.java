package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.core.cfs.MemoryClusterFs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** WebAuthn registration and login with a software authenticator (ES256 and Ed25519 keys, CBOR built here). */
class WebAuthnTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String ORIGIN = "https://pve.example:8006";
    MemoryClusterFs fs;
    AtomicLong now = new AtomicLong(1_750_000_000L);
    AccessControl ac;
    AccessAdmin admin;

    @BeforeEach
    void setUp() {
        fs = new MemoryClusterFs("node1");
        ac = new AccessControl(fs, now::get, (s, u, p, r) -> { throw new AuthenticationException("no PAM"); }, "other");
        admin = new AccessAdmin(ac);
        fs.put("datacenter.cfg", "keyboard: en-us\nwebauthn: id=pve.example,origin=" + ORIGIN + ",rp=Haven\n");
        fs.put("user.cfg", "user:joe@pve:1:0:::::\n");
        fs.put("priv/shadow.cfg", "joe:" + ShaCrypt.hash512("joepass") + ":\n");
    }

    // ---- a minimal CBOR encoder and software authenticator ---------------------------------------------

    static void head(ByteArrayOutputStream o, int major, long v) {
        if (v < 24) o.write((major << 5) | (int) v);
        else if (v < 256) { o.write((major << 5) | 24); o.write((int) v); }
        else { o.write((major << 5) | 25); o.write((int) (v >> 8)); o.write((int) v); }
    }

    static void cbor(ByteArrayOutputStream o, Object x) {
        if (x instanceof Long l) { if (l >= 0) head(o, 0, l); else head(o, 1, -1 - l); }
        else if (x instanceof Integer i) cbor(o, (long) i);
        else if (x instanceof byte[] b) { head(o, 2, b.length); o.writeBytes(b); }
        else if (x instanceof String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); head(o, 3, b.length); o.writeBytes(b); }
        else if (x instanceof Map<?, ?> m) { head(o, 5, m.size()); m.forEach((k, v) -> { cbor(o, k); cbor(o, v); }); }
        else throw new IllegalArgumentException(String.valueOf(x));
    }

    static byte[] cbor(Object x) { ByteArrayOutputStream o = new ByteArrayOutputStream(); cbor(o, x); return o.toByteArray(); }

    static String b64(byte[] b) { return Base64.getUrlEncoder().withoutPadding().encodeToString(b); }

    static byte[] sha256(byte[] b) throws Exception { return MessageDigest.getInstance("SHA-256").digest(b); }

    static byte[] unsigned32(java.math.BigInteger v) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[32];
        System.arraycopy(b, Math.max(0, b.length - 32), out, Math.max(0, 32 - b.length), Math.min(32, b.length));
        return out;
    }

    final class Authenticator {
        final KeyPair key;
        final boolean ed25519;
        final byte[] credId = new byte[16];
        int counter;
        String origin = ORIGIN;

        Authenticator(boolean ed25519) throws Exception {
            this.ed25519 = ed25519;
            if (ed25519) key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            else {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                key = g.generateKeyPair();
            }
            new java.util.Random(ed25519 ? 1 : 2).nextBytes(credId);
        }

        byte[] coseKey() {
            Map<Object, Object> m = new LinkedHashMap<>();
            if (ed25519) {
                byte[] der = key.getPublic().getEncoded();
                m.put(1L, 1L); m.put(3L, -8L); m.put(-1L, 6L); m.put(-2L, Arrays.copyOfRange(der, der.length - 32, der.length));
            } else {
                ECPublicKey p = (ECPublicKey) key.getPublic();
                m.put(1L, 2L); m.put(3L, -7L); m.put(-1L, 1L); m.put(-2L, unsigned32(p.getW().getAffineX())); m.put(-3L, unsigned32(p.getW().getAffineY()));
            }
            return cbor(m);
        }

        String create(String optionsJson) throws Exception {
            JsonNode o = JSON.readTree(optionsJson).path("publicKey");
            byte[] clientData = ("{\"type\":\"webauthn.create\",\"challenge\":\"" + o.path("challenge").asString() + "\",\"origin\":\"" + origin + "\"}").getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream auth = new ByteArrayOutputStream();
            auth.writeBytes(sha256(o.path("rp").path("id").asString().getBytes(StandardCharsets.UTF_8)));
            auth.write(0x41);
            auth.writeBytes(ByteBuffer.allocate(4).putInt(counter).array());
            auth.writeBytes(new byte[16]);
            auth.write(0);
            auth.write(credId.length);
            auth.writeBytes(credId);
            auth.writeBytes(coseKey());
            Map<Object, Object> att = new LinkedHashMap<>();
            att.put("fmt", "none");
            att.put("attStmt", Map.of());
            att.put("authData", auth.toByteArray());
            return "{\"id\":\"" + b64(credId) + "\",\"rawId\":\"" + b64(credId) + "\",\"type\":\"public-key\",\"response\":{\"attestationObject\":\""
                    + b64(cbor(att)) + "\",\"clientDataJSON\":\"" + b64(clientData) + "\"}}";
        }

        String get(String challenge, String rpId) throws Exception {
            counter++;
            byte[] clientData = ("{\"type\":\"webauthn.get\",\"challenge\":\"" + challenge + "\",\"origin\":\"" + origin + "\"}").getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream auth = new ByteArrayOutputStream();
            auth.writeBytes(sha256(rpId.getBytes(StandardCharsets.UTF_8)));
            auth.write(0x01);
            auth.writeBytes(ByteBuffer.allocate(4).putInt(counter).array());
            byte[] a = auth.toByteArray();
            Signature s = Signature.getInstance(ed25519 ? "Ed25519" : "SHA256withECDSA");
            s.initSign(key.getPrivate());
            s.update(a);
            s.update(sha256(clientData));
            return "{\"id\":\"" + b64(credId) + "\",\"rawId\":\"" + b64(credId) + "\",\"type\":\"public-key\",\"response\":{\"authenticatorData\":\""
                    + b64(a) + "\",\"clientDataJSON\":\"" + b64(clientData) + "\",\"signature\":\"" + b64(s.sign()) + "\"}}";
        }
    }

    String register(Authenticator a) throws Exception {
        Map<String, Object> first = admin.addTfa("root@pam", "joe@pve", Map.of("type", "webauthn"));
        String options = (String) first.get("challenge");
        assertThat(JSON.readTree(options).path("publicKey").path("rp").path("id").asString()).isEqualTo("pve.example");
        Map<String, Object> second = admin.addTfa("root@pam", "joe@pve", Map.of("type", "webauthn", "challenge", options, "value", a.create(options), "description", "key"));
        return (String) second.get("id");
    }

    static String challengeOf(String partialTicket) {
        String data = partialTicket.substring(9, partialTicket.indexOf(':', 9));
        return JSON.readTree(URLDecoder.decode(data, StandardCharsets.UTF_8)).path("webauthn").path("publicKey").path("challenge").asString();
    }

    @Test
    void registerAndLogInWithEs256AndEd25519() throws Exception {
        for (boolean ed : List.of(false, true)) {
            Authenticator a = new Authenticator(ed);
            String id = register(a);
            assertThat(id).startsWith("webauthn-");
            AccessControl.LoginResult first = ac.authenticate("joe@pve", "joepass", null, null, null);
            assertThat(first.needTfa()).isTrue();
            String challenge = challengeOf(first.ticket());
            AccessControl.LoginResult done = ac.authenticate("joe@pve", "webauthn:" + a.get(challenge, "pve.example"), null, null, first.ticket());
            assertThat(done.needTfa()).isFalse();
            assertThat(ac.verifyTicket(done.ticket())).isEqualTo("joe@pve");
            ac.modifyTfa(t -> t.delete("joe@pve", id));
        }
    }

    @Test
    void forgedAndReplayedAssertionsAreRefused() throws Exception {
        Authenticator a = new Authenticator(false);
        register(a);
        AccessControl.LoginResult first = ac.authenticate("joe@pve", "joepass", null, null, null);
        String challenge = challengeOf(first.ticket());
        String good = a.get(challenge, "pve.example");
        // wrong relying party, wrong challenge, wrong origin, tampered signature
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "webauthn:" + a.get(challenge, "evil.example"), null, null, first.ticket()))
                .hasMessage("webauthn: relying party mismatch");
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "webauthn:" + a.get(WebAuthn.newChallenge(), "pve.example"), null, null, first.ticket()))
                .hasMessage("webauthn: challenge mismatch");
        a.origin = "https://evil.example";
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "webauthn:" + a.get(challenge, "pve.example"), null, null, first.ticket()))
                .hasMessage("webauthn: origin mismatch");
        a.origin = ORIGIN;
        JsonNode g = JSON.readTree(good);
        String sig = g.path("response").path("signature").asString();
        String tampered = good.replace(sig, sig.substring(0, 10) + (sig.charAt(10) == 'A' ? 'B' : 'A') + sig.substring(11));
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "webauthn:" + tampered, null, null, first.ticket())).hasMessageStartingWith("webauthn:");
        // the genuine one works once; replaying its counter fails
        assertThat(ac.authenticate("joe@pve", "webauthn:" + good, null, null, first.ticket()).needTfa()).isFalse();
        assertThatThrownBy(() -> ac.authenticate("joe@pve", "webauthn:" + good, null, null, first.ticket()))
                .hasMessageContaining("signature counter did not increase");
    }

    @Test
    void registrationChallengesCannotBeForgedOrReused() throws Exception {
        Authenticator a = new Authenticator(false);
        String forged = WebAuthn.creationOptions(WebAuthn.Config.parse("id=pve.example,origin=" + ORIGIN), "joe@pve", WebAuthn.newChallenge(), List.of());
        assertThatThrownBy(() -> admin.addTfa("root@pam", "joe@pve", Map.of("type", "webauthn", "challenge", forged, "value", a.create(forged))))
                .hasMessage("webauthn: invalid or expired registration challenge");
        Map<String, Object> first = admin.addTfa("root@pam", "joe@pve", Map.of("type", "webauthn"));
        String options = (String) first.get("challenge");
        now.addAndGet(301);
        assertThatThrownBy(() -> admin.addTfa("root@pam", "joe@pve", Map.of("type", "webauthn", "challenge", options, "value", a.create(options))))
                .hasMessage("webauthn: invalid or expired registration challenge");
        // another user's challenge does not fit
        fs.put("user.cfg", "user:joe@pve:1:0:::::\nuser:ann@pve:1:0:::::\n");
        Map<String, Object> forAnn = admin.addTfa("root@pam", "ann@pve", Map.of("type", "webauthn"));
        String annOptions = (String) forAnn.get("challenge");
        assertThatThrownBy(() -> admin.addTfa("root@pam", "joe@pve", Map.of("type", "webauthn", "challenge", annOptions, "value", a.create(annOptions))))
                .hasMessage("webauthn: invalid or expired registration challenge");
    }

    @Test
    void cborDecoderRejectsGarbage() {
        java.util.Random r = new java.util.Random(42);
        for (int i = 0; i < 5000; i++) {
            byte[] b = new byte[r.nextInt(40)];
            r.nextBytes(b);
            try {
                Cbor.decode(b);
            } catch (IllegalArgumentException expected) {
                // the only failure mode
            }
        }
        assertThat(Cbor.decode(cbor(Map.of("a", 1L)))).isEqualTo(Map.of("a", 1L));
    }
}
