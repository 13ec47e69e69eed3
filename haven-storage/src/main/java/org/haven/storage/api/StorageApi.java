package org.haven.storage.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.Handler;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.config.PropertyDef;
import org.haven.storage.config.StorageConfig;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.plugin.MountedDirPlugin;
import org.haven.storage.plugin.Sizes;
import org.haven.storage.prune.PruneOptions;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.spi.StoragePlugin;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.VolumeId;
import org.haven.storage.volume.VolumeName;

/**
 * The storage API: {@code /storage} (configuration), {@code /nodes/{node}/storage/...} (status, content, upload,
 * prune) and {@code /nodes/{node}/scan/...}, with PVE's paths, parameter names and permissions. Publishes the
 * node's {@link StorageManager}.
 */
public final class StorageApi implements ApiModule {

    static {
        registerFormats();
    }

    /** PVE's storage formats, checked with the storage module's validators. */
    static void registerFormats() {
        Formats.register("pve-storage-content", v -> {
            if (ContentType.of(v).isEmpty()) throw new Formats.FormatException("invalid content type '" + v + "'");
        });
        register("pve-storage-server", "server");
        register("pve-storage-portal-dns", "portal");
        register("pve-storage-vgname", "vgname");
        register("pve-storage-options", "options");
        register("prune-backups", "prune-backups");
        Formats.register("pve-dir-override", v -> {
            String err = StorageType.PROPERTIES.get("content-dirs").check(v);
            if (err != null) throw new Formats.FormatException(err.replaceFirst("^invalid format - ", ""));
        });
        Formats.register("pve-storage-path", v -> {
            if (!v.matches("/[^;()]+")) throw new Formats.FormatException("value does not look like a valid absolute path");
        });
    }

    private static void register(String format, String property) {
        PropertyDef def = StorageType.PROPERTIES.get(property);
        Formats.register(format, v -> {
            String err = def.check(v);
            if (err != null) throw new Formats.FormatException(err.replaceFirst("^invalid format - ", ""));
        });
    }

    private final StorageManager sm;

    /** The storage API over the node's one storage manager ({@link #storageManager}). */
    public StorageApi(StorageManager sm) { this.sm = sm; }

    @Override public String name() { return "storage"; }

    /** The storage manager of the node: {@code local} at {@link #localPath}, tools' secret files below the run directory. */
    public static StorageManager storageManager(NodeContext ctx) {
        // secrets that tools need as files (CIFS credentials, Ceph keyrings) go below the node's run directory
        if (System.getProperty("haven.secret.dir") == null)
            System.setProperty("haven.secret.dir", ctx.runDir().resolve("storage-secrets").toString());
        return new StorageManager(ctx.cfs(), ctx.nodeName(), localPath(ctx), new ProcessCommandRunner(),
                StorageManager.cephEtc(ctx.embedded(), ctx.dataDir()).resolve("ceph.conf"));
    }

    /** Directory of the {@code local} storage for a node: /var/lib/vz, or {@code <data-dir>/storage/local} embedded. */
    public static Path localPath(NodeContext ctx) {
        return ctx.embedded() ? ctx.dataDir().resolve("storage").resolve("local") : StorageManager.SYSTEM_LOCAL_PATH;
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        reg.addAll(methods(sm));
        StatusCache cache = new StatusCache(sm, 10_000);
        reg.addResources(rc -> resources(sm, cache, rc));
    }

    /** Status of this node's storages, refreshed at most every {@code maxAgeMillis} (for /cluster/resources). */
    static final class StatusCache {
        private final StorageManager sm;
        private final long maxAge;
        private Map<String, StorageStatus> last = Map.of();
        private long at;

        StatusCache(StorageManager sm, long maxAgeMillis) {
            this.sm = sm;
            this.maxAge = maxAgeMillis;
        }

        synchronized Map<String, StorageStatus> get(StorageConfig cfg) {
            long now = System.currentTimeMillis();
            if (now - at > maxAge || !last.keySet().equals(cfg.ids())) {
                Map<String, StorageStatus> m = new TreeMap<>();
                for (StorageEntry e : cfg.entries()) m.put(e.id(), sm.status(e.id()));
                last = m;
                at = now;
            }
            return last;
        }
    }

    /** PVE's storage entries of {@code /cluster/resources} for this node. */
    static List<Map<String, Object>> resources(StorageManager sm, StatusCache cache, RequestContext rc) {
        StorageConfig cfg = sm.config();
        Map<String, StorageStatus> status = cache.get(cfg);
        List<Map<String, Object>> out = new ArrayList<>();
        for (StorageEntry e : cfg.entries()) {
            if (!e.availableOn(sm.nodeName())) continue;
            if (!rc.hasPermission("/storage/" + e.id(), true, "Datastore.Audit", "Datastore.AllocateSpace")) continue;
            StorageStatus st = status.getOrDefault(e.id(), StorageStatus.INACTIVE);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", "storage/" + sm.nodeName() + "/" + e.id());
            r.put("type", "storage");
            r.put("storage", e.id());
            r.put("node", sm.nodeName());
            r.put("status", !e.disabled() && st.active() ? "available" : "unknown");
            r.put("disk", st.used());
            r.put("maxdisk", st.total());
            r.put("content", StorageApiMethods.contentString(e));
            r.put("plugintype", e.type().id());
            r.put("shared", e.shared() ? 1 : 0);
            out.add(r);
        }
        return out;
    }

    /** All methods, bound to {@code sm} (used by tests with their own manager). */
    public static List<ApiMethod> methods(StorageManager sm) {
        return new StorageApiMethods(sm).all();
    }

    /** Turn storage errors into PVE's API errors (400 with field errors, else 500 with the message). */
    public static Handler wrap(Handler h) {
        return (p, rc) -> {
            try {
                return h.handle(p, rc);
            } catch (StorageException e) {
                if (!e.fieldErrors().isEmpty()) throw new ParamException(e.fieldErrors());
                throw ApiException.error(e.getMessage());
            }
        };
    }
}
