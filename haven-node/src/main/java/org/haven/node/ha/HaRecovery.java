package org.haven.node.ha;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.haven.guest.GuestService;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.GuestReplication;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.ha.HaEnv;

/**
 * Where the HA manager may recover a guest of a fenced node. Recovery moves only the config (PVE's steal): the
 * guest can run on a node that sees its volumes, on shared storage or as the replica a replication job keeps there
 * ({@link MigrationChecks#recoveryRefusal}). A guest started from its replica has lost what it wrote since the last
 * sync, which the manager's log says.
 */
final class HaRecovery {
    private final Supplier<Optional<GuestReplication>> replication;

    HaRecovery(Supplier<Optional<GuestReplication>> replication) { this.replication = replication; }

    HaEnv.RecoveryCheck check(GuestService guests, int vmid, String fencedNode, String node) {
        Optional<GuestConfig> cfg = guests.store().read(fencedNode, vmid);
        if (cfg.isEmpty()) return HaEnv.RecoveryCheck.OK;
        var storages = GuestMigrate.storageFacts(guests.volumes());
        var volumes = GuestMigrate.volumes(guests.type().volumeKeys(), cfg.get(), storages);
        Optional<GuestReplication.Replica> replica = replication.get().flatMap(r -> r.replica(vmid, node));
        Set<String> replicated = replica.map(GuestReplication.Replica::volumes).orElse(Set.of());
        Optional<String> refusal = MigrationChecks.recoveryRefusal(volumes, node, storages, replicated);
        if (refusal.isPresent()) return new HaEnv.RecoveryCheck(false, refusal.get());
        boolean fromReplica = volumes.stream().anyMatch(v -> v.ref() == MigrationChecks.Ref.CONFIG && v.local() && replicated.contains(v.volid()));
        if (!fromReplica) return HaEnv.RecoveryCheck.OK;
        return new HaEnv.RecoveryCheck(true, "its local volumes are the replica of job " + replica.get().job()
                + ": what was written since its last sync is lost");
    }
}
