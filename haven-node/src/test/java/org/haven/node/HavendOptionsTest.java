package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.UUID;
import org.haven.cfs.CfsNode;
import org.junit.jupiter.api.Test;

/** havend's command line, in particular {@code --witness}, and its configuration of the HTTPS server. */
class HavendOptionsTest {
    static final String G = "0f2d3c4b-1a2b-4c5d-8e9f-001122334455";

    @Test
    void nodeOptions() {
        Havend.Options o = Havend.Options.parse(new String[] {"--data-dir", "/tmp/d", "--node=n1", "--port", "9006", "--cfs-port=5405", "--foreground"});
        assertThat(o.dataDir()).isEqualTo(Path.of("/tmp/d"));
        assertThat(o.node()).isEqualTo("n1");
        assertThat(o.port()).isEqualTo(9006);
        assertThat(o.cfsPort()).isEqualTo(5405);
        assertThat(o.foreground()).isTrue();
        assertThat(o.witness()).isNull();
    }

    @Test
    void failedAuthenticationWaitsThreeSecondsUnlessShortenedForTests() {
        assertThat(System.getProperty("haven.auth.failDelayMs")).isNull();
        assertThat(Havend.authFailureDelay()).isEqualTo(java.time.Duration.ofSeconds(3));
    }

    @Test
    void witnessOptions() {
        Havend.Options o = Havend.Options.parse(new String[] {"--witness", "--data-dir", "/tmp/w", "--cfs-port", "5406", "--bind", "10.0.0.9",
                "--cluster", "duo", "--group=" + G, "--peers", "n1:1:10.0.0.1:5405,n2:2:10.0.0.2:5405"});
        assertThat(o.cfsPort()).isEqualTo(5406);
        assertThat(o.bind()).isEqualTo("10.0.0.9");
        assertThat(o.witness()).isNotNull();
        assertThat(o.witness().cluster()).isEqualTo("duo");
        assertThat(o.witness().group()).isEqualTo(UUID.fromString(G));
        assertThat(o.witness().generation()).isZero();
        assertThat(o.witness().peers()).containsExactly(new CfsNode("n1", 1, "10.0.0.1", 5405), new CfsNode("n2", 2, "10.0.0.2", 5405));
        assertThat(Havend.Options.parse(new String[] {"--witness", "--cfs-port", "1", "--cluster", "c", "--group", G, "--generation", "3",
                "--peers", "a:1:h:2"}).witness().generation()).isEqualTo(3);
    }

    @Test
    void witnessErrors() {
        String[][] bad = {
                {"--witness", "--cluster", "c", "--group", G, "--peers", "a:1:h:2"},
                {"--witness", "--cfs-port", "1", "--group", G, "--peers", "a:1:h:2"},
                {"--witness", "--cfs-port", "1", "--cluster", "c", "--peers", "a:1:h:2"},
                {"--witness", "--cfs-port", "1", "--cluster", "c", "--group", G},
                {"--witness", "--cfs-port", "1", "--cluster", "c", "--group", "nope", "--peers", "a:1:h:2"},
                {"--witness", "--cfs-port", "1", "--cluster", "c", "--group", G, "--peers", "a:1:h"},
                {"--witness", "--cfs-port", "1", "--cluster", "c", "--group", G, "--peers", "a:x:h:2"},
                {"--witness", "--cfs-port", "1", "--cluster", "c", "--group", G, "--peers", ","},
                {"--cluster", "c"},
                {"--bogus"},
        };
        for (String[] a : bad) assertThatThrownBy(() -> Havend.Options.parse(a)).as(String.join(" ", a)).isInstanceOf(IllegalArgumentException.class);
    }
}
