package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.haven.core.testing.RealTest;
import org.junit.jupiter.api.Test;

class ShaCryptTest {

    @Test
    void drepperVectors() {
        assertThat(ShaCrypt.crypt("Hello world!", "$5$saltstring")).isEqualTo("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5");
        assertThat(ShaCrypt.crypt("Hello world!", "$6$saltstring"))
                .isEqualTo("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1");
        assertThat(ShaCrypt.crypt("Hello world!", "$6$rounds=10000$saltstringsaltstring"))
                .isEqualTo("$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.");
        assertThat(ShaCrypt.crypt("Hello world!", "$5$rounds=10000$saltstringsaltstring"))
                .isEqualTo("$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA");
        assertThat(ShaCrypt.crypt("This is just a test", "$6$rounds=5000$toolongsaltstring"))
                .isEqualTo("$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0");
    }

    @Test
    void verifyAcceptsOnlyTheRightPassword() {
        String h = ShaCrypt.hash512("secret pass");
        assertThat(h).startsWith("$6$").hasSize(3 + 16 + 1 + 86);
        assertThat(ShaCrypt.verify("secret pass", h)).isTrue();
        assertThat(ShaCrypt.verify("secret pasS", h)).isFalse();
        assertThat(ShaCrypt.verify("secret pass", "plain")).isFalse();
        assertThat(ShaCrypt.verify("x", null)).isFalse();
    }

    /** Differential test against libxcrypt through {@code openssl passwd} for random passwords and salts. */
    @RealTest
    @Test
    void matchesOpensslForRandomInputs() throws Exception {
        Random r = new Random(20261122);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#%&*+-./:;<=>?@[]^_{|}~äö€";
        for (int i = 0; i < 12; i++) {
            int len = r.nextInt(i < 2 ? 1 : 90);
            StringBuilder pw = new StringBuilder();
            for (int k = 0; k < len; k++) pw.append(alphabet.charAt(r.nextInt(alphabet.length())));
            if (pw.isEmpty()) pw.append('x');
            String salt = ShaCrypt.randomSalt(1 + r.nextInt(16)).replace('.', 'a').replace('/', 'b');
            boolean six = r.nextBoolean();
            Process p = new ProcessBuilder("openssl", "passwd", six ? "-6" : "-5", "-salt", salt, "-stdin").start();
            p.getOutputStream().write((pw + "\n").getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String expected = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(p.waitFor()).isZero();
            assertThat(ShaCrypt.crypt(pw.toString(), (six ? "$6$" : "$5$") + salt)).as("password %s salt %s", pw, salt).isEqualTo(expected);
            assertThat(ShaCrypt.verify(pw.toString(), expected)).isTrue();
        }
    }
}
