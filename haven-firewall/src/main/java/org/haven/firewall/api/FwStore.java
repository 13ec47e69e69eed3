package org.haven.firewall.api;

import java.time.Duration;
import java.util.function.Function;
import org.haven.api.ApiException;
import org.haven.core.cfs.ClusterFs;
import org.haven.firewall.config.FwFile;

/** Reads and changes the firewall files in the cluster file system, each change under the file's cluster lock. */
final class FwStore {

    /** One firewall file: its path, kind and the cluster lock PVE takes to change it. */
    record Target(String path, FwFile.Kind kind, String lock, Integer vmid) {
        static Target cluster() { return new Target("firewall/cluster.fw", FwFile.Kind.CLUSTER, "firewall-cluster", null); }

        static Target host(String node) { return new Target("nodes/" + node + "/host.fw", FwFile.Kind.HOST, "firewall-host-" + node, null); }

        static Target guest(int vmid) { return new Target("firewall/" + vmid + ".fw", FwFile.Kind.GUEST, "firewall-" + vmid, vmid); }

        static Target vnet(String vnet) { return new Target("sdn/firewall/" + vnet + ".fw", FwFile.Kind.VNET, "firewall-vnet-" + vnet, null); }
    }

    private final ClusterFs cfs;

    FwStore(ClusterFs cfs) { this.cfs = cfs; }

    FwFile load(Target t) {
        return FwFile.parse(t.kind(), cfs.readString(t.path()).orElse(""));
    }

    FwFile cluster() { return load(Target.cluster()); }

    /** Apply {@code change} to the file under its lock and write it when its text changed. */
    <R> R update(Target t, Function<FwFile, R> change) {
        return cfs.withLock(t.lock(), Duration.ZERO, () -> {
            String before = cfs.readString(t.path()).orElse("");
            FwFile f = FwFile.parse(t.kind(), before);
            R r;
            try {
                r = change.apply(f);
            } catch (IllegalArgumentException e) {
                throw ApiException.error(e.getMessage());
            }
            String after = f.write();
            if (!after.equals(before)) {
                int slash = t.path().lastIndexOf('/');
                cfs.mkdirs(t.path().substring(0, slash));
                cfs.writeString(t.path(), after);
            }
            return r;
        });
    }
}
