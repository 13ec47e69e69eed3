package org.haven.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HaJsonTest {
    private static String word(Random r) {
        return "n" + r.nextInt(5);
    }

    @Test
    void randomManagerStatusRoundTrips() {
        Random r = new Random(7);
        String[] states = Manager.SERVICE_STATES.toArray(String[]::new);
        java.util.Arrays.sort(states);
        for (int i = 0; i < 3000; i++) {
            ManagerStatus ms = new ManagerStatus();
            if (r.nextBoolean()) ms.masterNode = word(r);
            ms.timestamp = r.nextInt(100000);
            for (int k = r.nextInt(4); k > 0; k--) ms.nodeStatus.put(word(r), List.of("online", "unknown", "fence", "maintenance").get(r.nextInt(4)));
            for (int k = r.nextInt(5); k > 0; k--) {
                ServiceState s = new ServiceState(states[r.nextInt(states.length)], word(r), "uid" + r.nextInt(1000));
                if (r.nextBoolean()) s.target = word(r);
                if (r.nextInt(4) == 0) s.cmd = new ArrayList<>(List.of("migrate", word(r)));
                if (r.nextInt(4) == 0) s.failedNodes = new ArrayList<>(List.of(word(r), word(r)));
                if (r.nextInt(4) == 0) s.maintenanceNode = word(r);
                s.running = r.nextBoolean();
                if (r.nextInt(4) == 0) s.timeout = String.valueOf(r.nextInt(100));
                ms.serviceStatus.put("vm:" + (100 + k), s);
            }
            if (r.nextBoolean()) ms.nodeRequest.put(word(r), new TreeMap<>(java.util.Map.of("maintenance", 1L)));
            String json = HaJson.write(HaJson.toJson(ms));
            ManagerStatus back = HaJson.managerStatus(HaJson.parse(json));
            assertThat(back.masterNode).isEqualTo(ms.masterNode);
            assertThat(back.timestamp).isEqualTo(ms.timestamp);
            assertThat(back.nodeStatus).isEqualTo(ms.nodeStatus);
            assertThat(back.serviceStatus).isEqualTo(ms.serviceStatus);
            assertThat(back.nodeRequest.keySet()).isEqualTo(ms.nodeRequest.keySet());
            for (String n : ms.nodeRequest.keySet()) assertThat(back.maintenanceRequested(n)).isTrue();
            assertThat(HaJson.write(HaJson.toJson(back))).isEqualTo(json);
        }
    }

    @Test
    void lrmStatusRoundTrips() {
        LrmStatus st = new LrmStatus();
        st.state = "active";
        st.mode = "maintenance";
        st.timestamp = 1234;
        st.results.put("abc", new LrmResult("vm:100", "started", 0));
        st.results.put("def", new LrmResult("ct:101", "migrate", 1));
        LrmStatus back = HaJson.lrmStatus(HaJson.parse(HaJson.write(HaJson.toJson(st))));
        assertThat(back.state).isEqualTo("active");
        assertThat(back.mode).isEqualTo("maintenance");
        assertThat(back.timestamp).isEqualTo(1234);
        assertThat(back.results).isEqualTo(st.results);
    }

    @Test
    void readsPveManagerStatus() {
        String pve = "{\"master_node\":\"pve1\",\"node_status\":{\"pve1\":\"online\",\"pve2\":\"fence\"},"
            + "\"service_status\":{\"vm:100\":{\"node\":\"pve1\",\"running\":1,\"state\":\"started\",\"uid\":\"x/y+z\"}},"
            + "\"timestamp\":1700000000,\"relocate_tried_nodes\":{}}";
        ManagerStatus ms = HaJson.managerStatus(HaJson.parse(pve));
        assertThat(ms.masterNode).isEqualTo("pve1");
        assertThat(ms.nodeStatus).containsEntry("pve2", "fence");
        ServiceState s = ms.serviceStatus.get("vm:100");
        assertThat(s.state).isEqualTo("started");
        assertThat(s.running).isTrue();
        assertThat(s.uid).isEqualTo("x/y+z");
        assertThat(ms.timestamp).isEqualTo(1700000000L);
    }
}
