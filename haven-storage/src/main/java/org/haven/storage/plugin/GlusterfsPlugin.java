package org.haven.storage.plugin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.haven.storage.ContentType;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.volume.VolumeName;

/**
 * GlusterFS: the volume is mounted at {@code /mnt/pve/<storage>} for files; QEMU opens images directly with
 * {@code gluster://server/volume/images/<vmid>/<name>} URLs.
 */
public class GlusterfsPlugin extends MountedDirPlugin {

    public GlusterfsPlugin(PluginContext ctx) { super(ctx, StorageType.GLUSTERFS); }

    @Override
    protected Path base(StorageEntry s) { return Path.of(defaultMountPoint(s.id())); }

    private static String server(StorageEntry s) { return s.get("server").orElse("localhost"); }

    @Override
    protected String mountSource(StorageEntry s) { return bracketIpv6(server(s)) + ":" + s.require("volume"); }

    @Override
    protected List<String> mountCommand(StorageEntry s, Path mp) {
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "glusterfs", mountSource(s), mp.toString()));
        s.get("server2").ifPresent(b -> { cmd.add("-o"); cmd.add("backupvolfile-server=" + b); });
        return cmd;
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        if (vn.vtype() != ContentType.IMAGES) return super.path(s, volname, snap);
        String transport = s.get("transport").orElse(null);
        String proto = transport == null || transport.equals("tcp") ? "gluster" : "gluster+" + transport;
        String host = transport != null && transport.equals("unix") ? "" : bracketIpv6(server(s));
        return proto + "://" + host + "/" + s.require("volume") + "/images/" + vn.vmid() + "/" + vn.name();
    }
}
