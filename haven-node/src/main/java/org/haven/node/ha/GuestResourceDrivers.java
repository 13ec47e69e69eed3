package org.haven.node.ha;

import java.util.Map;
import java.util.TreeMap;

import org.haven.ha.HaException;
import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;

/**
 * The HA resource agents of a node, keyed by the resource type of the service id ({@code vm} for
 * {@code vm:100}, {@code ct} for containers), as PVE's {@code PVE::HA::Resources} registers one plugin per
 * type. The HA environment sees one driver; each call goes to the driver of the service's type.
 */
final class GuestResourceDrivers implements ClusterHaEnv.ResourceDriver {

    private final Map<String, ClusterHaEnv.ResourceDriver> drivers;

    GuestResourceDrivers(Map<String, ClusterHaEnv.ResourceDriver> drivers) {
        this.drivers = new TreeMap<>(drivers);
    }

    private ClusterHaEnv.ResourceDriver driver(Sid sid) {
        ClusterHaEnv.ResourceDriver d = drivers.get(sid.type());
        if (d == null) throw new HaException("resource type '" + sid.type() + "' is not supported on this node");
        return d;
    }

    @Override public boolean isRunning(Sid sid) {
        ClusterHaEnv.ResourceDriver d = drivers.get(sid.type());
        return d != null && d.isRunning(sid);
    }

    @Override public void start(Sid sid) { driver(sid).start(sid); }

    @Override public void shutdown(Sid sid, Integer timeout) { driver(sid).shutdown(sid, timeout); }

    @Override public boolean migrate(Sid sid, String target, boolean online) { return driver(sid).migrate(sid, target, online); }

    @Override public org.haven.ha.HaEnv.RecoveryCheck recoveryCheck(Sid sid, String fencedNode, String node) {
        return driver(sid).recoveryCheck(sid, fencedNode, node);
    }
}
