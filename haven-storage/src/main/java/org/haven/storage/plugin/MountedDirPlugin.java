package org.haven.storage.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.PluginContext;

/**
 * A directory storage on a network file system that the plugin mounts itself (nfs, cifs, glusterfs, cephfs).
 * The mount point is the storage's {@code path}, by default {@code /mnt/pve/<storage>}.
 */
public abstract class MountedDirPlugin extends DirPlugin {

    protected MountedDirPlugin(PluginContext ctx, StorageType type) { super(ctx, type); }

    /** Default mount point of a storage, as PVE sets it when {@code path} is not given. */
    public static String defaultMountPoint(String storeid) { return "/mnt/pve/" + storeid; }

    @Override
    protected Path base(StorageEntry s) {
        return Path.of(s.get("path").filter(p -> !p.isEmpty()).orElse(defaultMountPoint(s.id())));
    }

    /** The device/source string as it appears in /proc/mounts. */
    protected abstract String mountSource(StorageEntry s);

    /** The full mount command. */
    protected abstract List<String> mountCommand(StorageEntry s, Path mountpoint);

    /** True when {@code source} is mounted at {@code mountpoint}. */
    protected boolean mounted(String source, Path mountpoint) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[1].replace("\\040", " ").equals(mountpoint.toString())
                        && (source == null || f[0].equals(source) || f[0].replace("\\040", " ").equals(source))) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    @Override
    public void activateStorage(StorageEntry s) {
        Path mp = base(s);
        if (!mounted(mountSource(s), mp)) {
            if (!Files.isDirectory(mp)) {
                if (!s.flag("create-base-path", s.flag("mkdir", true)))
                    throw new StorageException("unable to activate storage '" + s.id() + "' - directory '" + mp + "' does not exist");
                mkdirs(mp);
            }
            checkConnection(s);
            List<String> cmd = mountCommand(s, mp);
            CommandRunner.Result r = run.run(cmd, java.util.Map.of(), null);
            if (!r.ok()) throw new StorageException("mount error: " + r.stderr().strip());
        }
        if (s.flag("create-subdirs", s.flag("mkdir", true))) createSubdirs(s, mp);
    }

    /** Fails with "storage '…' is not online" when the server does not answer. Default: no check. */
    protected void checkConnection(StorageEntry s) {}

    @Override
    public void deactivateStorage(StorageEntry s) {
        Path mp = base(s);
        if (mounted(mountSource(s), mp)) run.check(List.of("umount", mp.toString()));
    }

    @Override
    public org.haven.storage.spi.StorageStatus status(StorageEntry s) {
        if (!mounted(mountSource(s), base(s))) return org.haven.storage.spi.StorageStatus.INACTIVE;
        return super.status(s);
    }

    /** {@code host} in brackets when it is an IPv6 address. */
    static String bracketIpv6(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
