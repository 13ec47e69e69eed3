package org.haven.lxc.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.Permission;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.migrate.BandwidthLimit;
import org.haven.guest.migrate.ClusterApi;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.GuestReplication;
import org.haven.guest.migrate.LiveMigration;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.lxc.LxcService;

import static org.haven.guest.api.GuestRoutes.wrap;

/**
 * {@code POST /nodes/{node}/lxc/{vmid}/migrate} ({@code vzmigrate}): offline migration through the guest framework's
 * {@link GuestMigrate} (local volumes copied over the node-to-node channel), and restart mode for a running container
 * (shut down within {@code timeout}, moved, started on the target). Containers cannot move while they run: a running
 * container needs {@code restart}, and {@code online} is refused as PVE refuses it. An HA-managed container's
 * migration is a request to the HA manager ({@code hamigrate}).
 */
final class LxcMigrateApi {
    /** PVE's refusal of {@code --online} for a running container. */
    static final LiveMigration NO_LIVE = LiveMigration.unsupported("lxc live migration is currently not implemented");

    private final Supplier<LxcService> service;
    private final Supplier<Optional<ClusterApi>> cluster;
    private final Supplier<Optional<GuestReplication>> replication;
    private volatile GuestMigrate migrate;

    LxcMigrateApi(Supplier<LxcService> service, Supplier<Optional<ClusterApi>> cluster, Supplier<Optional<GuestReplication>> replication) {
        this.service = service;
        this.cluster = cluster;
        this.replication = replication;
    }

    private ClusterApi cluster() {
        return cluster.get().orElseThrow(() -> ApiException.error("migration is not available: no connection to the other nodes"));
    }

    /** The containers' migration (one for the node: the API's and the HA agent's). */
    GuestMigrate migrator() {
        GuestMigrate m = migrate;
        if (m != null) return m;
        synchronized (this) {
            if (migrate == null) migrate = new GuestMigrate(service.get().guests(), cluster(), NO_LIVE, replication);
            return migrate;
        }
    }

    List<ApiMethod> methods() {
        return List.of(ApiMethod.post(LxcApi.CT + "/migrate").name("migrate_vm").description("Migrate the container to another node. Creates a new migration task.")
                .param("node", StandardOptions.node()).param("vmid", StandardOptions.vmid())
                .param("target", StandardOptions.node().description("Target node."))
                .param("online", Schema.bool().optional().description("Use online/live migration."))
                .param("restart", Schema.bool().optional().description("Use restart migration"))
                .param("timeout", Schema.integer().optional().defaultValue(180).description("Timeout in seconds for shutdown for restart migration"))
                .param("target-storage", Schema.string().optional().format("storage-pair-list").description("Mapping from source to target storages. Providing only a single storage ID maps all source storages to that storage. Providing the special value '1' will map each source storage to itself."))
                .param("bwlimit", Schema.number().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string().description("the task ID."))
                .permissions(Permission.perm("/vms/{vmid}", "VM.Migrate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    LxcService ct = service.get();
                    var store = ct.store();
                    String target = p.str("target");
                    if (target.equals(store.localNode())) throw ApiException.param("target", "target is local node.");
                    Map<String, Boolean> members = GuestMigrate.members(store.cfs());
                    if (!members.containsKey(target)) throw ApiException.error("no such cluster node '" + target + "'");
                    var cfg = store.load(vmid);
                    store.checkLock(cfg);
                    boolean running = ct.type().isRunning(vmid);
                    boolean online = p.bool("online", false), restart = p.bool("restart", false);
                    if (running && !online && !restart) throw ApiException.error("can't migrate running container without --online or --restart");
                    MigrationChecks.StorageMap storageMap;
                    try {
                        storageMap = MigrationChecks.StorageMap.parse(p.str("target-storage", null));
                    } catch (IllegalArgumentException e) {
                        throw ApiException.param("target-storage", e.getMessage());
                    }
                    GuestMigrate m = migrator();
                    var storageProblem = MigrationChecks.storageProblem(GuestMigrate.volumes(ct.type().volumeKeys(), cfg, m.storages()), target, m.storages(), storageMap);
                    if (storageProblem.isPresent()) throw ApiException.error(storageProblem.get());
                    if (!members.get(target)) throw ApiException.error("target node '" + target + "' is not online");
                    String id = Integer.toString(vmid);
                    if (ct.guests().haResource(vmid).isPresent()) {
                        ClusterApi api = cluster();
                        return rc.startTask("hamigrate", id, log -> {
                            log.log("Requesting HA migration for CT " + vmid + " to node " + target);
                            api.call(store.localNode(), "POST", "/cluster/ha/resources/ct:" + vmid + "/migrate", Map.of("node", target));
                        });
                    }
                    Long bwlimit = p.has("bwlimit") ? Math.round(p.dbl("bwlimit", 0)) : null;
                    var opts = new GuestMigrate.Options(target, online && running, false, false, null, null, bwlimit, storageMap,
                            BandwidthLimit.Rights.of(rc), restart ? Duration.ofSeconds(p.lng("timeout", 180)) : null);
                    return rc.startTask("vzmigrate", id, log -> m.migrate(vmid, opts, log::log));
                })).build());
    }
}
