package org.haven.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeStatusTest {
    @Test
    void lifecycle() {
        StubEnv env = new StubEnv();
        NodeStatus ns = new NodeStatus(env, Map.of());
        env.time = 10;
        ns.update(Map.of("a", true, "b", true), Map.of());
        assertThat(ns.status()).containsEntry("a", "online").containsEntry("b", "online");
        env.time = 30;
        ns.update(Map.of("a", true, "b", false), Map.of());
        assertThat(ns.getNodeState("b")).isEqualTo("unknown");
        env.time = 60;
        assertThat(ns.nodeIsOfflineDelayed("b")).isFalse();
        env.time = 70;
        // last seen online at 10, 60 s before
        assertThat(ns.nodeIsOfflineDelayed("b")).isTrue();
        env.agentLockAvailable = false;
        assertThat(ns.fenceNode("b")).isFalse();
        assertThat(ns.getNodeState("b")).isEqualTo("fence");
        assertThat(env.log).contains("email: FENCE: Try to fence node 'b'");
        // a fenced node coming back does not change state until fencing succeeds
        ns.update(Map.of("a", true, "b", true), Map.of());
        assertThat(ns.getNodeState("b")).isEqualTo("fence");
        env.agentLockAvailable = true;
        assertThat(ns.fenceNode("b")).isTrue();
        assertThat(ns.getNodeState("b")).isEqualTo("unknown");
        assertThat(env.log).contains("email: SUCCEED: fencing: acknowledged - got agent lock for node 'b'");
        ns.update(Map.of("a", true, "b", true), Map.of("b", "maintenance"));
        assertThat(ns.getNodeState("b")).isEqualTo("maintenance");
        // in maintenance an unreachable node is not suspicious as long as its LRM reports maintenance
        ns.update(Map.of("a", true, "b", false), Map.of("b", "maintenance"));
        assertThat(ns.getNodeState("b")).isEqualTo("maintenance");
        ns.update(Map.of("a", true, "b", true), Map.of("b", "active"));
        assertThat(ns.getNodeState("b")).isEqualTo("online");
        assertThat(ns.listOnlineNodes()).containsExactly("a", "b");
    }

    @Test
    void aNodeWithAFencingDeviceIsFencedWithoutTheFenceDelay() {
        StubEnv env = new StubEnv() {
            @Override public boolean hasFenceDevice(String node) { return node.equals("b"); }
        };
        NodeStatus ns = new NodeStatus(env, Map.of());
        env.time = 10;
        ns.update(Map.of("a", true, "b", true, "c", true), Map.of());
        env.time = 12;
        ns.update(Map.of("a", true, "b", false, "c", false), Map.of());
        assertThat(ns.nodeIsOfflineDelayed("b")).isTrue();
        assertThat(ns.nodeIsOfflineDelayed("c")).isFalse();
        env.time = 70;
        assertThat(ns.nodeIsOfflineDelayed("c")).isTrue();
        // in maintenance but still a member: no fencing, device or not
        ns.update(Map.of("a", true, "b", true, "c", true), Map.of("b", "maintenance"));
        assertThat(ns.getNodeState("b")).isEqualTo("maintenance");
        assertThat(ns.nodeIsOfflineDelayed("b")).isFalse();
    }

    @Test
    void hardwareFencingAcknowledgesWithoutWaitingForTheLock() {
        StubEnv env = new StubEnv() {
            @Override public Boolean hardwareFence(String node) { return node.equals("b") ? Boolean.TRUE : Boolean.FALSE; }
        };
        env.agentLockAvailable = false;
        NodeStatus ns = new NodeStatus(env, Map.of("a", "online", "b", "unknown", "c", "unknown"));
        assertThat(ns.fenceNode("b")).isTrue();
        assertThat(ns.getNodeState("b")).isEqualTo("unknown");
        assertThat(env.log).contains("info: fencing: acknowledged - hardware fencing of node 'b' succeeded");
        // a failed hardware fence falls back to the agent lock (the node's watchdog still guarantees the reset)
        assertThat(ns.fenceNode("c")).isFalse();
        assertThat(env.log).contains("err: hardware fencing of node 'c' failed, waiting for its agent lock");
        env.agentLockAvailable = true;
        assertThat(ns.fenceNode("c")).isTrue();
    }

    @Test
    void nodesLeavingTheClusterAreDropped() {
        StubEnv env = new StubEnv();
        NodeStatus ns = new NodeStatus(env, Map.of("a", "online", "old", "unknown"));
        env.time = 100;
        ns.update(Map.of("a", true), Map.of());
        assertThat(ns.getNodeState("old")).isEqualTo("gone");
        env.time = 200;
        ns.update(Map.of("a", true), Map.of());
        env.time = 200 + NodeStatus.DELETE_DELAY;
        ns.update(Map.of("a", true), Map.of());
        assertThat(ns.status()).doesNotContainKey("old");
    }
}
