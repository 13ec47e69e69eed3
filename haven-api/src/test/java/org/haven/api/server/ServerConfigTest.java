package org.haven.api.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    @Test
    void failedAuthenticationWaitsThreeSecondsAsInPve() {
        HttpApiServer.Config c = new HttpApiServer.Config("127.0.0.1", 8006, null, null, null);
        assertThat(c.authFailureDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.withAuthFailureDelay(Duration.ofMillis(50)).authFailureDelay()).isEqualTo(Duration.ofMillis(50));
        assertThat(c.maxBody()).isEqualTo(1 << 20);
    }
}
