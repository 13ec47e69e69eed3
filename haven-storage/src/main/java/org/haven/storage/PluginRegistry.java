package org.haven.storage;

import java.util.EnumMap;
import java.util.Map;
import org.haven.storage.config.StorageType;
import org.haven.storage.plugin.BtrfsPlugin;
import org.haven.storage.plugin.CephFsPlugin;
import org.haven.storage.plugin.CifsPlugin;
import org.haven.storage.plugin.DirPlugin;
import org.haven.storage.plugin.GlusterfsPlugin;
import org.haven.storage.plugin.IscsiDirectPlugin;
import org.haven.storage.plugin.IscsiPlugin;
import org.haven.storage.plugin.LvmPlugin;
import org.haven.storage.plugin.LvmThinPlugin;
import org.haven.storage.plugin.NfsPlugin;
import org.haven.storage.plugin.PbsPlugin;
import org.haven.storage.plugin.RbdPlugin;
import org.haven.storage.plugin.ZfsIscsiPlugin;
import org.haven.storage.plugin.ZfsPoolPlugin;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StoragePlugin;

/** The plugin of every storage type, sharing one {@link PluginContext}. */
public final class PluginRegistry {
    private final Map<StorageType, StoragePlugin> plugins = new EnumMap<>(StorageType.class);

    public PluginRegistry(PluginContext ctx) {
        register(new DirPlugin(ctx));
        register(new NfsPlugin(ctx));
        register(new CifsPlugin(ctx));
        register(new GlusterfsPlugin(ctx));
        register(new CephFsPlugin(ctx));
        register(new BtrfsPlugin(ctx));
        register(new LvmPlugin(ctx));
        register(new LvmThinPlugin(ctx));
        register(new ZfsPoolPlugin(ctx));
        register(new ZfsIscsiPlugin(ctx));
        register(new IscsiPlugin(ctx));
        register(new IscsiDirectPlugin(ctx));
        register(new RbdPlugin(ctx));
        register(new PbsPlugin(ctx));
    }

    public void register(StoragePlugin p) { plugins.put(p.type(), p); }

    public StoragePlugin get(StorageType t) {
        StoragePlugin p = plugins.get(t);
        if (p == null) throw new StorageException("storage type '" + t.id() + "' is not supported");
        return p;
    }
}
