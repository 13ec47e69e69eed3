package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import org.haven.core.testing.RealTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TicketsTest {
    static KeyPair kp;

    @BeforeAll
    static void keys() { kp = Tickets.generateRsa(2048); }

    @Test
    void ticketFormatAndVerification() {
        long t = 0x6550A0B1L;
        String ticket = Tickets.assemble(kp.getPrivate(), "PVE", "root@pam", null, t);
        assertThat(ticket).matches("PVE:root@pam:6550A0B1::[A-Za-z0-9+/]+=*");
        assertThat(Base64.getDecoder().decode(ticket.substring(ticket.indexOf("::") + 2))).hasSize(256);
        var v = Tickets.verify(kp.getPublic(), "PVE", ticket, null, t + 10, -300, 7200).orElseThrow();
        assertThat(v.data()).isEqualTo("root@pam");
        assertThat(v.age()).isEqualTo(10);
        // lifetime window: 5 minutes of skew backwards, two hours forward
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, null, t + 7200, -300, 7200)).isPresent();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, null, t + 7201, -300, 7200)).isEmpty();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, null, t - 300, -300, 7200)).isPresent();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, null, t - 301, -300, 7200)).isEmpty();
    }

    @Test
    void tamperedOrForeignTicketsFail() {
        long t = 1_700_000_000L;
        String ticket = Tickets.assemble(kp.getPrivate(), "PVE", "joe@pve", null, t);
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket.replace("joe@pve", "root@pam"), null, t, -300, 7200)).isEmpty();
        assertThat(Tickets.verify(kp.getPublic(), "PVEVNC", ticket, null, t, -300, 7200)).isEmpty();
        assertThat(Tickets.verify(Tickets.generateRsa(2048).getPublic(), "PVE", ticket, null, t, -300, 7200)).isEmpty();
        String hexPlusOne = Tickets.hexTime(t + 1);
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket.replace(Tickets.hexTime(t), hexPlusOne), null, t, -300, 7200)).isEmpty();
        for (String junk : new String[]{"", "PVE:", "PVE:joe@pve:XYZ::abc", "garbage", "PVE:joe@pve:6550A0B1::!!!"})
            assertThat(Tickets.verify(kp.getPublic(), "PVE", junk, null, t, -300, 7200)).isEmpty();
    }

    /**
     * Every one-character change of a valid ticket is refused: each position is replaced by every other
     * character of the base64 alphabet (plus padding and a few separators). The last characters before the
     * padding carry unused bits that a lenient decoder ignores; those changes must fail too.
     */
    @Test
    void everyOneCharacterChangeIsRefused() {
        long t = 1_700_000_000L;
        String ticket = Tickets.assemble(kp.getPrivate(), "PVE", "joe@pve", null, t);
        assertThat(ticket).endsWith("==");
        String base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        int sig = ticket.indexOf("::") + 2;
        int tried = 0;
        for (int i = 0; i < ticket.length(); i++) {
            // the signed text is covered by the signature as a whole: a few replacements per position suffice
            String replacements = i >= sig ? base64 + ":!-_ " : "A0a:=@+";
            for (char c : replacements.toCharArray()) {
                if (c == ticket.charAt(i)) continue;
                String forged = ticket.substring(0, i) + c + ticket.substring(i + 1);
                assertThat(Tickets.verify(kp.getPublic(), "PVE", forged, null, t, -300, 7200)).as("changed position %d to '%c'", i, c).isEmpty();
                tried++;
            }
        }
        assertThat(tried).isGreaterThan((ticket.length() - sig) * 64);
        // dropping or adding padding keeps the decoded bytes, and must not make a second valid spelling either
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket.substring(0, ticket.length() - 2), null, t, -300, 7200)).isEmpty();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket + "=", null, t, -300, 7200)).isEmpty();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, null, t, -300, 7200)).isPresent();
    }

    @Test
    void onlyTheCanonicalBase64SpellingDecodes() {
        // "QQ==" is 'A'; "QR==" .. "QZ==" carry the same byte in their used bits and differ only in ignored ones
        assertThat(Base64.getDecoder().decode("QR==")).isEqualTo(Base64.getDecoder().decode("QQ=="));
        assertThat(Tickets.canonicalBase64("QQ==")).isEqualTo(new byte[]{'A'});
        assertThat(Tickets.canonicalBase64("QR==")).isNull();
        assertThat(Tickets.canonicalBase64("QQ")).isNull();
        assertThat(Tickets.canonicalBase64("Q!==")).isNull();
    }

    @Test
    void secretDataIsBoundToTheSignature() {
        long t = 1_700_000_000L;
        String ticket = Tickets.assemble(kp.getPrivate(), "PVE", "!tfa!abc", "joe@pve", t);
        assertThat(ticket).startsWith("PVE:!tfa!abc:" + Tickets.hexTime(t) + "::");
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, "joe@pve", t, -300, 120)).isPresent();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, "ann@pve", t, -300, 120)).isEmpty();
        assertThat(Tickets.verify(kp.getPublic(), "PVE", ticket, null, t, -300, 120)).isEmpty();
    }

    @Test
    void csrfToken() {
        byte[] secret = "-----BEGIN PRIVATE KEY-----\nabc\n".getBytes(StandardCharsets.UTF_8);
        long t = 0x5F5E1000L;
        String tok = Tickets.csrfToken(secret, "root@pam", t);
        assertThat(tok).matches("5F5E1000:[A-Za-z0-9+/]{43}");
        assertThat(Tickets.verifyCsrfToken(secret, "root@pam", tok, t + 100, 7200)).isTrue();
        assertThat(Tickets.verifyCsrfToken(secret, "joe@pve", tok, t + 100, 7200)).isFalse();
        assertThat(Tickets.verifyCsrfToken(secret, "root@pam", tok, t + 7201, 7200)).isFalse();
        assertThat(Tickets.verifyCsrfToken("other".getBytes(), "root@pam", tok, t, 7200)).isFalse();
        assertThat(Tickets.verifyCsrfToken(secret, "root@pam", null, t, 7200)).isFalse();
    }

    /** Keys written by openssl (as PVE creates them) are readable, PKCS#8 and traditional PKCS#1 alike. */
    @RealTest
    @Test
    void readsOpensslKeys(@TempDir Path dir) throws Exception {
        for (String variant : new String[]{"pkcs8", "traditional"}) {
            Path key = dir.resolve(variant + ".key"), pub = dir.resolve(variant + ".pub"), pub1 = dir.resolve(variant + ".rsapub");
            run(variant.equals("pkcs8") ? new String[]{"openssl", "genrsa", "-out", key.toString(), "2048"}
                    : new String[]{"openssl", "genrsa", "-traditional", "-out", key.toString(), "2048"});
            run("openssl", "rsa", "-in", key.toString(), "-pubout", "-out", pub.toString());
            run("openssl", "rsa", "-in", key.toString(), "-RSAPublicKey_out", "-out", pub1.toString());
            PrivateKey priv = Tickets.readPrivate(Files.readString(key));
            PublicKey p = Tickets.readPublic(Files.readString(pub));
            PublicKey p1 = Tickets.readPublic(Files.readString(pub1));
            String ticket = Tickets.assemble(priv, "PVE", "root@pam", null, 1000);
            assertThat(Tickets.verify(p, "PVE", ticket, null, 1000, -300, 7200)).isPresent();
            assertThat(Tickets.verify(p1, "PVE", ticket, null, 1000, -300, 7200)).isPresent();
            // and openssl verifies our signature over the plain part
            Path data = dir.resolve(variant + ".data"), sig = dir.resolve(variant + ".sig");
            Files.writeString(data, ticket.substring(0, ticket.indexOf("::")));
            Files.write(sig, Base64.getDecoder().decode(ticket.substring(ticket.indexOf("::") + 2)));
            assertThat(run("openssl", "dgst", "-sha256", "-verify", pub.toString(), "-signature", sig.toString(), data.toString()))
                    .contains("Verified OK");
        }
        // our PEM output is readable by openssl
        Path ours = dir.resolve("ours.key");
        Files.writeString(ours, Tickets.privatePem(kp.getPrivate()));
        assertThat(run("openssl", "rsa", "-in", ours.toString(), "-check", "-noout")).contains("RSA key ok");
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }
}
