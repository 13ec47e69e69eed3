package org.haven.node.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;
import org.junit.jupiter.api.Test;

/** The HA agents by resource type: each call reaches the driver of the service's type, unknown types are refused. */
class GuestResourceDriversTest {

    /** Records the calls it gets; guests named "up" run. */
    record Recording(String type, List<String> calls) implements ClusterHaEnv.ResourceDriver {
        @Override public boolean isRunning(Sid sid) { calls.add(type + " running " + sid.name()); return sid.name().equals("up"); }
        @Override public void start(Sid sid) { calls.add(type + " start " + sid.name()); }
        @Override public void shutdown(Sid sid, Integer timeout) { calls.add(type + " shutdown " + sid.name() + " " + timeout); }
        @Override public boolean migrate(Sid sid, String target, boolean online) { calls.add(type + " migrate " + sid.name() + " " + target + " " + online); return online; }
    }

    @Test
    void callsGoToTheDriverOfTheResourceType() {
        List<String> calls = new ArrayList<>();
        var drivers = new GuestResourceDrivers(Map.of("vm", new Recording("vm", calls), "ct", new Recording("ct", calls)));
        assertThat(drivers.isRunning(new Sid("vm", "up"))).isTrue();
        assertThat(drivers.isRunning(new Sid("ct", "100"))).isFalse();
        drivers.start(new Sid("ct", "101"));
        drivers.shutdown(new Sid("vm", "102"), 0);
        assertThat(drivers.migrate(new Sid("ct", "103"), "node2", true)).isTrue();
        assertThat(calls).containsExactly("vm running up", "ct running 100", "ct start 101", "vm shutdown 102 0", "ct migrate 103 node2 true");

        assertThat(drivers.isRunning(new Sid("fence", "1"))).isFalse();
        assertThatThrownBy(() -> drivers.start(new Sid("fence", "1"))).hasMessage("resource type 'fence' is not supported on this node");
    }
}
