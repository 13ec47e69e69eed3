package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TotpTest {
    static final byte[] K20 = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
    static final byte[] K32 = "12345678901234567890123456789012".getBytes(StandardCharsets.US_ASCII);
    static final byte[] K64 = "1234567890123456789012345678901234567890123456789012345678901234".getBytes(StandardCharsets.US_ASCII);

    /** RFC 6238 appendix B. */
    @Test
    void rfc6238Vectors() {
        long[] times = {59L, 1111111109L, 1111111111L, 1234567890L, 2000000000L, 20000000000L};
        String[] sha1 = {"94287082", "07081804", "14050471", "89005924", "69279037", "65353130"};
        String[] sha256 = {"46119246", "68084774", "67062674", "91819424", "90698825", "77737706"};
        String[] sha512 = {"90693936", "25091201", "99943326", "93441116", "38618901", "47863826"};
        for (int i = 0; i < times.length; i++) {
            assertThat(new Totp(K20, "SHA1", 8, 30, null, null).code(times[i])).isEqualTo(sha1[i]);
            assertThat(new Totp(K32, "SHA256", 8, 30, null, null).code(times[i])).isEqualTo(sha256[i]);
            assertThat(new Totp(K64, "SHA512", 8, 30, null, null).code(times[i])).isEqualTo(sha512[i]);
        }
    }

    /** RFC 4226 appendix D. */
    @Test
    void rfc4226Vectors() {
        String[] expected = {"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"};
        Totp t = Totp.of(K20);
        for (int i = 0; i < expected.length; i++) assertThat(t.hotp(i)).isEqualTo(expected[i]);
    }

    @Test
    void verifyAllowsOneStepOfSkew() {
        Totp t = Totp.of(K20);
        long now = 1_700_000_000L;
        assertThat(t.verify(t.code(now), now)).isTrue();
        assertThat(t.verify(t.code(now - 30), now)).isTrue();
        assertThat(t.verify(t.code(now + 30), now)).isTrue();
        assertThat(t.verify(t.code(now - 90), now)).isFalse();
        assertThat(t.verify("12345", now)).isFalse();
        assertThat(t.verify(null, now)).isFalse();
    }

    @Test
    void base32AndUri() {
        assertThat(Totp.base32Encode("foobar".getBytes())).isEqualTo("MZXW6YTBOI");
        assertThat(new String(Totp.base32Decode("MZXW6YTBOI======"))).isEqualTo("foobar");
        assertThat(new String(Totp.base32Decode("mzxw6ytboi"))).isEqualTo("foobar");
        assertThatThrownBy(() -> Totp.base32Decode("M1")).hasMessageContaining("invalid base32");
        Random r = new Random(3);
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[r.nextInt(40)];
            r.nextBytes(b);
            assertThat(Totp.base32Decode(Totp.base32Encode(b))).isEqualTo(b);
        }
        Totp t = new Totp(K20, "SHA256", 8, 60, "Haven VE", "joe@pve");
        Totp back = Totp.parseUri(t.toUri());
        assertThat(back.secret()).isEqualTo(K20);
        assertThat(back.algorithm()).isEqualTo("SHA256");
        assertThat(back.digits()).isEqualTo(8);
        assertThat(back.period()).isEqualTo(60);
        assertThat(back.issuer()).isEqualTo("Haven VE");
        assertThat(back.account()).isEqualTo("joe@pve");
        Totp g = Totp.parseUri("otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME");
        assertThat(g.secret()).isEqualTo(K20);
        assertThat(g.digits()).isEqualTo(6);
        assertThatThrownBy(() -> Totp.parseUri("https://x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void legacyKeyForms() {
        assertThat(Totp.parseKey("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).isEqualTo(K20);
        assertThat(Totp.parseKey("3132333435363738393031323334353637383930")).isEqualTo(K20);
        assertThat(Totp.parseKey("v2-0x3132333435363738393031323334353637383930")).isEqualTo(K20);
        assertThat(Totp.parseKey("v2-GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).isEqualTo(K20);
        assertThat(Totp.base32Decode(Totp.generateSecret())).hasSize(20);
        assertThat(Totp.generateSecret()).matches("[A-Z2-7]{32}");
    }
}
