package org.haven.storage.plugin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.PluginContext;

/** NFS: a directory storage on {@code server:export}, mounted with {@code mount -t nfs}. */
public class NfsPlugin extends MountedDirPlugin {

    public NfsPlugin(PluginContext ctx) { super(ctx, StorageType.NFS); }

    @Override
    protected String mountSource(StorageEntry s) {
        return bracketIpv6(s.require("server")) + ":" + s.require("export");
    }

    @Override
    protected List<String> mountCommand(StorageEntry s, Path mp) {
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "nfs", mountSource(s), mp.toString()));
        s.get("options").filter(o -> !o.isEmpty()).ifPresent(o -> { cmd.add("-o"); cmd.add(o); });
        return cmd;
    }

    @Override
    protected void checkConnection(StorageEntry s) {
        String opts = s.get("options").orElse("");
        boolean v4 = opts.matches("(^|.*,)vers=4.*");
        List<String> cmd = v4 ? List.of("ping", "-c", "1", "-W", "2", s.require("server"))
                : List.of("rpcinfo", "-T", "tcp", s.require("server"), "nfs");
        if (!run.run(cmd).ok()) throw new StorageException("storage '" + s.id() + "' is not online");
    }
}
