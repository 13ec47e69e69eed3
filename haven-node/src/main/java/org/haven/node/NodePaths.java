package org.haven.node;

import java.nio.file.Path;

/**
 * Where a node keeps its state. System mode (root, no {@code --data-dir}) uses FHS paths; embedded mode puts
 * everything below one data directory, so several nodes can run on one machine.
 *
 * @param dataDir local state ({@code /var/lib/haven} or the data dir)
 * @param cfsDir  the local cluster file system tree (PVE's {@code /etc/pve})
 * @param runDir  sockets and PID file ({@code /run/haven} or {@code <data>/run})
 * @param logDir  daemon log and task logs ({@code /var/log/haven} or {@code <data>/log})
 */
public record NodePaths(boolean embedded, Path dataDir, Path cfsDir, Path runDir, Path logDir) {

    public static NodePaths system() {
        return new NodePaths(false, Path.of("/var/lib/haven"), Path.of("/var/lib/haven/cfs"), Path.of("/run/haven"), Path.of("/var/log/haven"));
    }

    public static NodePaths embedded(Path dataDir) {
        Path d = dataDir.toAbsolutePath().normalize();
        return new NodePaths(true, d, d.resolve("cfs"), d.resolve("run"), d.resolve("log"));
    }

    /** The CLI's socket. */
    public Path socket() { return runDir.resolve("haven.sock"); }

    public Path pidFile() { return runDir.resolve("havend.pid"); }

    public Path taskDir() { return logDir.resolve("tasks"); }

    /** Where uploaded files are received before an API method takes them ({@code /var/tmp} as PVE). */
    public Path uploadDir() { return embedded ? dataDir.resolve("tmp") : Path.of("/var/tmp"); }

    /** Root-only file holding the generated admin@pve password. */
    public Path adminPasswordFile() { return dataDir.resolve("admin-password"); }
}
