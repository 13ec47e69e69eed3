package org.haven.node.guests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.haven.node.guests.StartStopPlan.Guest;
import org.haven.node.guests.StartStopPlan.Step;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StartStopPlanTest {

    static Guest vm(int vmid, boolean onboot, String startup) { return new Guest(vmid, "qemu", onboot, startup, false); }

    static Guest ct(int vmid, boolean onboot, String startup) { return new Guest(vmid, "lxc", onboot, startup, false); }

    static final List<Guest> NODE = List.of(
            vm(100, true, "order=2,up=10"),
            ct(101, true, "1"),
            vm(102, false, "order=1,down=30"),
            ct(103, true, null),
            vm(104, true, null),
            new Guest(105, "qemu", true, "order=1", true),
            ct(106, true, "order=2,up=5,down=7"),
            vm(107, true, "order=x"));

    static String plan(List<Step> steps) {
        return String.join(" ", steps.stream().map(s -> s.guest().vmid() + "+" + s.upDelay()).toList());
    }

    static Stream<Arguments> starts() {
        return Stream.of(
                // onboot only, ascending order, guests without order last (by vmid); HA-managed 105 skipped;
                // a VM waits 3 s without 'up', a container none
                Arguments.of(false, Set.of(), "101+0 100+10 106+5 103+0 104+3 107+3"),
                // forced: 102 without onboot too
                Arguments.of(true, Set.of(), "101+0 102+3 100+10 106+5 103+0 104+3 107+3"),
                Arguments.of(false, Set.of(104, 102, 101), "101+0 104+3"),
                Arguments.of(true, Set.of(104, 102, 105), "102+3 104+3"),
                Arguments.of(false, Set.of(999), ""));
    }

    @ParameterizedTest
    @MethodSource("starts")
    void startOrder(boolean force, Set<Integer> vms, String expected) {
        assertThat(plan(StartStopPlan.start(NODE, force, vms))).isEqualTo(expected);
    }

    static String groups(List<List<Step>> groups) {
        return String.join(" | ", groups.stream().map(g -> String.join(" ", g.stream().map(s -> s.guest().vmid() + "/" + s.downTimeout()).toList())).toList());
    }

    static Stream<Arguments> stops() {
        return Stream.of(
                // every guest (onboot or not, HA or not): no order first, then descending; in a group descending vmid;
                // 'down' is the guest's shutdown timeout, else the request's, else 180 s
                Arguments.of(null, Set.of(), "107/180 104/180 103/180 | 106/7 100/180 | 105/180 102/30 101/180"),
                Arguments.of(60L, Set.of(), "107/60 104/60 103/60 | 106/7 100/60 | 105/60 102/30 101/60"),
                Arguments.of(5L, Set.of(101, 106), "106/7 | 101/5"));
    }

    @ParameterizedTest
    @MethodSource("stops")
    void stopOrder(Long timeout, Set<Integer> vms, String expected) {
        assertThat(groups(StartStopPlan.stop(NODE, timeout, vms))).isEqualTo(expected);
    }
}
