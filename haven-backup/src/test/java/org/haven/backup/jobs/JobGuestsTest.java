package org.haven.backup.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobGuestsTest {
    static final Map<Integer, String> CLUSTER = Map.of(100, "a", 101, "b", 102, "a", 200, "b");
    static final String USER_CFG = "user:root@pam:1:0:::root@localhost:::\n\npool:prod:Production:100,200,999:local:\n\npool:empty::::\n";

    @Test
    void selectionTable() {
        Object[][] cases = {
                {Map.of("vmid", "100,101"), Map.of("a", List.of(100), "b", List.of(101))},
                {Map.of("vmid", "100,999"), Map.of("a", List.of(100))},
                {Map.of("all", "1"), Map.of("a", List.of(100, 102), "b", List.of(101, 200))},
                {Map.of("all", "1", "exclude", "102,200"), Map.of("a", List.of(100), "b", List.of(101))},
                {Map.of("all", "1", "node", "b"), Map.of("b", List.of(101, 200))},
                {Map.of("vmid", "100,101", "node", "b"), Map.of("b", List.of(101))},
                {Map.of("all", "0"), Map.of()},
                // a pool: its members that exist, as user.cfg holds them when the job runs; exclude applies
                {Map.of("pool", "prod"), Map.of("a", List.of(100), "b", List.of(200))},
                {Map.of("pool", "prod", "exclude", "200"), Map.of("a", List.of(100))},
                {Map.of("pool", "prod", "node", "b"), Map.of("b", List.of(200))},
                {Map.of("pool", "empty"), Map.of()},
                {Map.of("pool", "missing"), Map.of()},
                {Map.of(), Map.of()},
        };
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked") Map<String, String> job = (Map<String, String>) c[0];
            assertThat(JobGuests.included(job, CLUSTER, USER_CFG)).as(job.toString()).isEqualTo(c[1]);
        }
    }

    @Test
    void guestsNoJobCovers() {
        assertThat(JobGuests.notCovered(List.of(), CLUSTER, null)).containsExactly(100, 101, 102, 200);
        assertThat(JobGuests.notCovered(List.of(Map.of("vmid", "101"), Map.of("all", "1", "node", "a", "exclude", "102")), CLUSTER, null))
                .containsExactly(102, 200);
        assertThat(JobGuests.notCovered(List.of(Map.of("all", "1")), CLUSTER, null)).isEmpty();
    }
}
