package org.haven.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.haven.access.AccessControl;
import org.haven.api.ApiModule;
import org.haven.api.server.ApiTree;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.metrics.MetricSender;
import org.haven.metrics.MetricsModule;
import org.haven.node.api.AccessApi;
import org.haven.node.api.NodeApi;
import org.haven.node.rrd.NodeMetricsSource;

/**
 * Builds the complete API tree without a running daemon (modules only register, nothing is started), for
 * {@code haven apidump} and generated bash completion. A scratch data directory is used and removed.
 */
public final class OfflineApi {
    private OfflineApi() {}

    /**
     * Registers the node's own modules and every {@link ApiModule} on the class path in a new tree, with the services
     * the modules look up published in {@code services}. A module that cannot be loaded or registered is reported on
     * stderr and left out.
     */
    public static ApiTree register(NodeServices services, AccessControl ac) {
        ApiTree tree = new ApiTree();
        services.publish(ApiTree.class, tree);
        services.publish(AccessControl.class, ac);
        services.publish(org.haven.core.cfs.ClusterFs.class, services.cfs());
        services.publish(org.haven.api.server.HttpExtensions.class, new org.haven.api.server.HttpExtensions());
        List<ApiModule> modules = builtInModules();
        modules.addAll(ApiModule.discover(e -> System.err.println("haven: cannot load an API module: " + e)));
        for (ApiModule m : modules) {
            try { m.register(tree, services); } catch (Throwable e) { System.err.println("haven: module " + m.name() + " failed to register: " + e); }
        }
        return tree;
    }

    /** How often a node sends its statistics to the metric servers (pvestatd's update interval). */
    static final java.time.Duration METRICS_INTERVAL = java.time.Duration.ofSeconds(10);

    /**
     * The modules of the node itself, registered before the discovered ones: by the daemon and by this offline
     * tree alike, so that {@code haven apidump} lists every method a node serves.
     */
    public static List<ApiModule> builtInModules() {
        return new ArrayList<>(List.of(new NodeApi(), new AccessApi(), new org.haven.node.rrd.RrdModule(),
                new org.haven.node.admin.NodeAdminApi(), new org.haven.node.guests.GuestsPowerApi(), new MetricsModule(NodeMetricsSource::new, METRICS_INTERVAL, new MetricSender())));
    }

    /** Registers the node's own modules and every {@link ApiModule} on the class path. */
    public static ApiTree build() throws IOException {
        Path tmp = Files.createTempDirectory("haven-apidump");
        try {
            NodePaths paths = NodePaths.embedded(tmp);
            Files.createDirectories(paths.cfsDir());
            LocalClusterFs cfs = new LocalClusterFs(paths.cfsDir(), "localhost");
            AccessControl ac = new AccessControl(cfs, Clock.SYSTEM);
            try (FileTaskManager tasks = new FileTaskManager(paths.taskDir(), "localhost", Clock.SYSTEM)) {
                return register(new NodeServices("localhost", cfs, tasks, new AccessAdapter(ac), paths, Clock.SYSTEM), ac);
            }
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
