package org.haven.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("unit")
class ReplicationConfigTest {
    static final String PVE = """
            local: 100-0
            \ttarget pve1
            \trate 10
            \tschedule */5

            # the second VM
            local: 200-1
            \ttarget pve2
            \tcomment nightly
            \tdisable 1
            \tremove_job local
            \tsource pve1
            \tfuture-key x

            """;

    @Test
    void roundTripIsByteForByte() {
        assertThat(ReplicationConfig.parse(PVE).write()).isEqualTo(PVE);
    }

    @Test
    void jobsCarryGuestJobnumAndDefaults() {
        List<ReplicationConfig.Job> jobs = ReplicationConfig.parse(PVE).jobs();
        assertThat(jobs).extracting(ReplicationConfig.Job::id).containsExactly("100-0", "200-1");
        ReplicationConfig.Job a = jobs.get(0), b = jobs.get(1);
        assertThat(a.guest()).isEqualTo(100);
        assertThat(a.jobnum()).isZero();
        assertThat(a.schedule()).isEqualTo("*/5");
        assertThat(a.rate()).contains(10.0);
        assertThat(a.targetId()).isEqualTo("local/pve1");
        assertThat(a.disabled()).isFalse();
        assertThat(b.schedule()).isEqualTo("*/15");
        assertThat(b.disabled()).isTrue();
        assertThat(b.removeJob()).isEqualTo("local");
        assertThat(b.source()).isEqualTo("pve1");
        assertThat(b.props()).containsEntry("future-key", "x");
    }

    @ParameterizedTest
    @CsvSource({"100-0,100,0", "999999999-123456789,999999999,123456789", "105-12,105,12"})
    void validIds(String id, int guest, int jobnum) {
        assertThat(ReplicationConfig.parseId(id)).containsExactly(guest, jobnum);
    }

    @ParameterizedTest
    @CsvSource({"99-0", "100", "100-", "0100-1", "abc-1", "100-0-1", "1000000000-1"})
    void invalidIds(String id) {
        assertThatThrownBy(() -> ReplicationConfig.parseId(id)).hasMessage("invalid replication job id '" + id + "'");
    }

    @Test
    void createWritesPveOrderAndRefusesASecondJobToTheSameTarget() {
        ReplicationConfig c = ReplicationConfig.parse("");
        c.create("100-0", "local", new java.util.LinkedHashMap<>(Map.of("schedule", "*/5", "rate", "10", "target", "pve1")));
        assertThat(c.write()).isEqualTo("local: 100-0\n\ttarget pve1\n\tschedule */5\n\trate 10\n\n");
        assertThatThrownBy(() -> c.create("100-1", "local", Map.of("target", "pve1")))
                .hasMessage("replication job for guest '100' to target 'local/pve1' already exists");
        assertThatThrownBy(() -> c.create("100-0", "local", Map.of("target", "pve2")))
                .hasMessage("replication job '100-0' already exists");
        assertThatThrownBy(() -> c.create("100-2", "local", Map.of())).hasMessage("missing value for required option 'target'");
        c.create("100-1", "local", Map.of("target", "pve2"));
        assertThat(c.jobsOf(100)).hasSize(2);
    }

    @Test
    void updateSetsAndDeletesButKeepsTheTarget() {
        ReplicationConfig c = ReplicationConfig.parse(PVE);
        c.update("100-0", Map.of("schedule", "*/00", "disable", "1"), List.of("rate"));
        assertThat(c.write()).startsWith("local: 100-0\n\ttarget pve1\n\tschedule */00\n\tdisable 1\n\n");
        assertThatThrownBy(() -> c.update("100-0", Map.of("target", "x"), List.of())).hasMessage("option 'target' cannot be changed");
        assertThatThrownBy(() -> c.update("100-0", Map.of(), List.of("target"))).hasMessage("cannot delete required option 'target'");
        assertThatThrownBy(() -> c.update("300-0", Map.of(), List.of())).hasMessage("replication job '300-0' does not exist");
        assertThat(c.delete("100-0")).isTrue();
        assertThat(c.find("100-0")).isEmpty();
    }

    @Test
    void migrationToTheTargetSwitchesTheDirection() {
        ReplicationConfig c = ReplicationConfig.parse("local: 100-0\n\ttarget b\n\tsource a\n\nlocal: 100-1\n\ttarget c\n\tsource a\n");
        assertThat(c.switchTarget(100, "a", "b")).containsExactly("100-0", "100-1");
        assertThat(c.require("100-0").target()).isEqualTo("a");
        assertThat(c.require("100-0").source()).isEqualTo("b");
        assertThat(c.require("100-1").target()).isEqualTo("c");
        assertThat(c.require("100-1").source()).isEqualTo("b");
    }
}
