package org.haven.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.haven.access.AccessControl;
import org.haven.api.ApiModule;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Dispatcher;
import org.haven.api.server.HttpExtensions;
import org.haven.backup.api.BackupApi;
import org.haven.backup.notify.NotificationApi;
import org.haven.ceph.CephApi;
import org.haven.cfs.api.ClusterConfigApi;
import org.haven.cfs.api.ClusterOptionsApi;
import org.haven.firewall.api.FirewallApi;
import org.haven.guest.GuestService;
import org.haven.guest.GuestWiring;
import org.haven.guest.console.ConsoleSessions;
import org.haven.guest.migrate.ClusterApi;
import org.haven.guest.migrate.HttpsClusterApi;
import org.haven.guest.migrate.PeerHandler;
import org.haven.ha.api.HaApi;
import org.haven.lxc.api.LxcApi;
import org.haven.metrics.MetricSender;
import org.haven.metrics.MetricsModule;
import org.haven.network.api.NetworkApi;
import org.haven.network.sdn.SdnApi;
import org.haven.node.access.AccessControlApi;
import org.haven.node.admin.NodeAdminApi;
import org.haven.node.api.AccessApi;
import org.haven.node.api.NodeApi;
import org.haven.node.guests.GuestsPowerApi;
import org.haven.node.ha.HaGuestModule;
import org.haven.node.rrd.NodeMetricsSource;
import org.haven.node.rrd.RrdModule;
import org.haven.qemu.api.CapabilitiesApi;
import org.haven.qemu.api.QemuApi;
import org.haven.qemu.console.ConsoleApi;
import org.haven.replication.api.ReplicationApi;
import org.haven.storage.StorageManager;
import org.haven.storage.api.StorageApi;
import org.haven.storage.disks.DisksApi;
import org.haven.web.WebUiModule;

/**
 * The node's object graph, built in this one place for the daemon and for {@code haven apidump}: every service is
 * made once, in dependency order, and handed to the modules that use it through their constructors.
 *
 * <p>The order: the storage manager, the calls to other nodes and the access checks of node-to-node requests; then
 * storage replication (which asks {@link #guests} for the node's guests on each run) and backups; the guest types
 * with both; HA with resource agents over the guest types. {@link #modules} lists the modules in the order they are
 * registered and started.
 */
public final class NodeModules {
    /** How often a node sends its statistics to the metric servers (pvestatd's update interval). */
    static final Duration METRICS_INTERVAL = Duration.ofSeconds(10);

    private final StorageManager storage;
    private final QemuApi qemu;
    private final LxcApi lxc;
    private final List<ApiModule> modules;
    /** Set once HA is built, before the modules serve: the guests' power methods ask it. */
    private volatile HaGuestModule haGuests;

    /**
     * The modules of node {@code ctx} with its access control, the {@code dispatcher} that serves its API (and whose
     * tree the modules fill) and the raw handlers {@code http} of its server; {@code extra} modules come last.
     */
    public NodeModules(NodeServices ctx, AccessControl ac, Dispatcher dispatcher, HttpExtensions http, List<ApiModule> extra) {
        ApiTree tree = dispatcher.tree();
        storage = StorageApi.storageManager(ctx);
        // calls to the other nodes as root@pam (migration, console and guest power on other nodes)
        ClusterApi cluster = new HttpsClusterApi(ctx.cfs(),
                () -> new HttpsClusterApi.Credentials(ac.createTicket("root@pam"), ac.csrfToken("root@pam")));
        Optional<ConsoleSessions.Tickets> tickets = Optional.of(ConsoleApi.tickets(ac));
        PeerHandler.Credentials peers = new PeerHandler.Credentials() {
            @Override public String verifyTicket(String ticket) { return ac.verifyTicket(ticket); }
            @Override public boolean verifyCsrfToken(String user, String token) { return ac.verifyCsrfToken(user, token); }
        };
        // the guests' power methods ask HA, which is built after them (its agents act on the guests): through haGuests
        GuestWiring node = new GuestWiring(storage, cluster, http, Optional.of(peers), tickets, Optional.empty(), Optional.empty(),
                (haType, action, p, rc) -> haGuests.request(haType, action, p, rc));
        ReplicationApi replication = new ReplicationApi(node, this::guests);
        BackupApi backups = new BackupApi(storage);
        GuestWiring guests = node.withReplication(replication.guestReplication()).withBackups(backups);
        qemu = new QemuApi(guests);
        lxc = new LxcApi(guests);
        HaApi ha = new HaApi(Optional.of(HaGuestModule.drivers(ctx, qemu::service, lxc::service, guests.replication())));
        haGuests = new HaGuestModule(ha);
        List<ApiModule> all = new ArrayList<>(List.of(
                new NodeApi(tree), new AccessApi(ac, tree), new RrdModule(storage, this::vms),
                new NodeAdminApi(http, tickets, () -> dispatcher), new GuestsPowerApi(cluster),
                new MetricsModule(c -> new NodeMetricsSource(c, storage, this::vms), METRICS_INTERVAL, new MetricSender()),
                new AccessControlApi(ac), new ClusterConfigApi(), new ClusterOptionsApi(),
                new StorageApi(storage), new DisksApi(storage), new FirewallApi(), new NetworkApi(), new SdnApi(),
                qemu, new CapabilitiesApi(), lxc, backups, new NotificationApi(), replication,
                ha, new CephApi(storage), new WebUiModule(http)));
        all.addAll(extra);
        modules = List.copyOf(all);
    }

    /** The modules, in the order they are registered and started (stopped in reverse). */
    public List<ApiModule> modules() { return modules; }

    /** The node's guests of every type, for storage replication. */
    private List<GuestService> guests() { return List.of(qemu.service().guests(), lxc.service().guests()); }

    /** The node's VMs as {@code qm list} shows them, for the statistics. */
    private List<Map<String, Object>> vms() { return qemu.service().list(false); }
}
