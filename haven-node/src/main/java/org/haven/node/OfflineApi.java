package org.haven.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.haven.access.AccessControl;
import org.haven.api.ApiModule;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Dispatcher;
import org.haven.api.server.HttpExtensions;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;

/**
 * Builds the complete API tree without a running daemon, with the daemon's modules (they only register, nothing
 * is started), for {@code haven apidump} and generated bash completion. A scratch data directory is used and removed.
 */
public final class OfflineApi {
    private OfflineApi() {}

    /**
     * The API of node {@code services} with access control {@code ac}: the daemon's modules ({@link NodeModules})
     * registered in a new tree, nothing started. A module that fails to register is reported on stderr and left out.
     */
    public static Dispatcher register(NodeServices services, AccessControl ac) {
        Dispatcher dispatcher = new Dispatcher(new ApiTree(), services, new AccessAdapter(ac));
        for (ApiModule m : new NodeModules(services, ac, dispatcher, new HttpExtensions(), List.of()).modules()) {
            try { m.register(dispatcher.tree(), services); } catch (Throwable e) { System.err.println("haven: module " + m.name() + " failed to register: " + e); }
        }
        return dispatcher;
    }

    /** The tree of every method a node serves. */
    public static ApiTree build() throws IOException {
        Path tmp = Files.createTempDirectory("haven-apidump");
        try {
            NodePaths paths = NodePaths.embedded(tmp);
            Files.createDirectories(paths.cfsDir());
            LocalClusterFs cfs = new LocalClusterFs(paths.cfsDir(), "localhost");
            AccessControl ac = new AccessControl(cfs, Clock.SYSTEM);
            try (FileTaskManager tasks = new FileTaskManager(paths.taskDir(), "localhost", Clock.SYSTEM)) {
                return register(new NodeServices("localhost", cfs, tasks, new AccessAdapter(ac), paths, Clock.SYSTEM), ac).tree();
            }
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
