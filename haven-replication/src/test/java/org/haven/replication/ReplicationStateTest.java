package org.haven.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ReplicationStateTest {
    @Test
    void readsPvesFileAndWritesItBack() {
        String pve = "{\"100\":{\"100-0\":{\"duration\":1.523,\"fail_count\":0,\"last_iteration\":1500000000,\"last_node\":\"pve1\","
                + "\"last_sync\":1500000000,\"last_try\":1500000000,\"storeid_list\":[\"local-zfs\"]}}}";
        ReplicationState s = ReplicationState.parse(pve);
        ReplicationState.Job j = s.get(100, "100-0");
        assertThat(j.lastSync()).isEqualTo(1500000000L);
        assertThat(j.duration()).isEqualTo(1.523);
        assertThat(j.storeids()).containsExactly("local-zfs");
        assertThat(s.write()).isEqualTo(pve);
    }

    @Test
    void emptyOrDamagedFilesAreEmptyStates() {
        assertThat(ReplicationState.parse("").write()).isEqualTo("{}");
        assertThat(ReplicationState.parse("{not json").write()).isEqualTo("{}");
        assertThat(ReplicationState.parse("{}").get(100, "100-0")).isEqualTo(ReplicationState.Job.NEW);
    }

    @Test
    void failuresCountUpAndASuccessClearsThem() {
        ReplicationState.Job ok = ReplicationState.Job.NEW.succeeded(1000, 2.5, "a", List.of("s"));
        ReplicationState.Job f1 = ok.failed(1900, 0.1234567, "a", "no route to host");
        ReplicationState.Job f2 = f1.failed(2200, 0.2, "a", "no route to host");
        assertThat(f2.failCount()).isEqualTo(2);
        assertThat(f2.lastSync()).isEqualTo(1000);
        assertThat(f2.lastTry()).isEqualTo(2200);
        assertThat(f1.duration()).isEqualTo(0.123457);
        assertThat(f2.error()).isEqualTo("no route to host");
        ReplicationState.Job ok2 = f2.succeeded(2500, 1, "a", List.of("s"));
        assertThat(ok2.failCount()).isZero();
        assertThat(ok2.error()).isNull();
        assertThat(ok2.lastSync()).isEqualTo(2500);
        ReplicationState s = ReplicationState.empty();
        s.put(100, "100-0", f2);
        assertThat(s.write()).isEqualTo("{\"100\":{\"100-0\":{\"duration\":0.2,\"error\":\"no route to host\",\"fail_count\":2,"
                + "\"last_iteration\":2200,\"last_node\":\"a\",\"last_sync\":1000,\"last_try\":2200,\"storeid_list\":[\"s\"]}}}");
        assertThat(f2.scheduledNow().lastTry()).isZero();
        assertThat(f2.scheduledNow().failCount()).isZero();
        s.putGuest(100, ReplicationState.parseGuest("{\"100-0\":{\"last_sync\":5,\"last_try\":6,\"fail_count\":0}}"));
        assertThat(s.get(100, "100-0").lastSync()).isEqualTo(5);
    }
}
