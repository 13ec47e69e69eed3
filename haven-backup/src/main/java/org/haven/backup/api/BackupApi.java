package org.haven.backup.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Permission;
import org.haven.backup.Restore;
import org.haven.backup.Vzdump;
import org.haven.backup.VzdumpOptions;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.GuestBackups;
import org.haven.guest.GuestService;
import org.haven.storage.StorageManager;

/**
 * The backup module: {@code POST /nodes/{node}/vzdump} (one {@code vzdump} task per run) and the restore the
 * guest types' create methods delegate to ({@link GuestBackups}). Defaults come from {@code /etc/vzdump.conf},
 * in embedded mode {@code <data-dir>/etc/vzdump.conf}.
 */
public final class BackupApi implements ApiModule, GuestBackups {
    /** Parameters of PVE's method that this implementation does not carry out: refused instead of ignored. */
    static final List<String> NOT_IMPLEMENTED = List.of("stdout", "script", "pool", "mailto", "fleecing", "exclude-path",
            "performance", "pbs-change-detection-mode", "notification-target", "job-id");

    private final List<GuestService> guests = new CopyOnWriteArrayList<>();
    private NodeContext ctx;

    @Override public String name() { return "backup"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        ctx.publish(GuestBackups.class, this);
        reg.addAll(methods());
    }

    @Override public void register(GuestService g) { guests.add(g); }

    private StorageManager storage() {
        return ctx.findService(StorageManager.class).orElseGet(() -> new StorageManager(ctx.cfs(), ctx.nodeName()));
    }

    /** {@code /etc/vzdump.conf}, or {@code <data-dir>/etc/vzdump.conf} in embedded mode. */
    Path confPath() {
        return ctx.embedded() ? ctx.dataDir().resolve("etc/vzdump.conf") : Path.of("/etc/vzdump.conf");
    }

    Map<String, String> defaults() {
        Path p = confPath();
        try {
            return Files.isRegularFile(p) ? VzdumpOptions.parseConf(Files.readString(p)) : Map.of();
        } catch (IOException e) {
            throw ApiException.error("unable to read " + p + " - " + e.getMessage());
        }
    }

    @Override
    public void restore(GuestService g, String archive, int vmid, RestoreOptions options, Consumer<String> log) {
        try {
            new Restore(storage(), ZoneId.systemDefault()).restore(g, archive, vmid, options, log);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        ApiMethod.Builder b = ApiMethod.post("/nodes/{node}/vzdump").name("vzdump").description("Create backup.")
                .param("node", StandardOptions.node().optional().description("Only run if executed on this node."))
                .param("vmid", StandardOptions.vmidList().optional().description("The ID of the guest system you want to backup."))
                .param("all", Schema.bool().optional().defaultValue(0).description("Backup all known guest systems on this host."))
                .param("exclude", StandardOptions.vmidList().optional().description("Exclude specified guest systems (assumes --all)"))
                .param("mode", Schema.string().optional().enumValues("snapshot", "suspend", "stop").defaultValue("snapshot").description("Backup mode."))
                .param("storage", StandardOptions.storageId().optional().description("Store resulting file to this storage."))
                .param("dumpdir", Schema.string().optional().description("Store resulting files to specified directory."))
                .param("tmpdir", Schema.string().optional().description("Store temporary files to specified directory."))
                .param("compress", Schema.string().optional().enumValues("0", "1", "gzip", "lzo", "zstd").defaultValue("0").description("Compress dump file."))
                .param("zstd", Schema.integer().optional().defaultValue(1).description("Zstd threads. N=0 uses half of the available cores."))
                .param("pigz", Schema.integer().optional().defaultValue(0).description("Use pigz instead of gzip when N>0."))
                .param("remove", Schema.bool().optional().defaultValue(1).description("Prune older backups according to 'prune-backups'."))
                .param("prune-backups", Schema.string().optional().description("Use these retention options instead of those from the storage configuration."))
                .param("protected", Schema.bool().optional().requires("storage").description("If true, mark backup(s) as protected."))
                .param("notes-template", Schema.string().optional().maxLength(1024).requires("storage").description("Template string for the backup notes."))
                .param("stopwait", Schema.integer().optional().minimum(0).defaultValue(10).description("Maximal time to wait until a guest system is stopped (minutes)."))
                .param("lockwait", Schema.integer().optional().minimum(0).defaultValue(180).description("Maximal time to wait for the global lock (minutes)."))
                .param("ionice", Schema.integer().optional().minimum(0).maximum(8).defaultValue(7).description("Set IO priority when using the BFQ scheduler."))
                .param("bwlimit", Schema.integer().optional().minimum(0).defaultValue(0).description("Limit I/O bandwidth (in KiB/s)."))
                .param("stdexcludes", Schema.bool().optional().defaultValue(1).description("Exclude temporary files and logs."))
                .param("quiet", Schema.bool().optional().defaultValue(0).description("Be quiet."))
                .param("stop", Schema.bool().optional().defaultValue(0).description("Stop running backup jobs on this host."))
                .param("maxfiles", Schema.integer().optional().minimum(1).description("Deprecated: use 'prune-backups' instead."))
                .param("mailnotification", Schema.string().optional().enumValues("always", "failure").defaultValue("always").description("Deprecated: use notification targets/matchers instead."))
                .param("notification-mode", Schema.string().optional().enumValues("auto", "legacy-sendmail", "notification-system").defaultValue("auto").description("Determine which notification system to use."))
                .param("notification-policy", Schema.string().optional().enumValues("always", "failure", "never").defaultValue("always").description("Deprecated: do not use"));
        for (String k : NOT_IMPLEMENTED) b.param(k, k.equals("stdout") ? Schema.bool().optional() : k.equals("exclude-path") ? Schema.array(Schema.string()).optional() : Schema.string().optional());
        m.add(b.returns(Schema.string())
                .permissions(Permission.all("The user needs 'VM.Backup' permissions on any VM, and 'Datastore.AllocateSpace' on the backup storage. "
                        + "The 'tmpdir' and 'dumpdir' parameters are restricted to the 'root@pam' user."))
                .proxyto("node").protect()
                .handler((p, rc) -> {
                    for (String k : NOT_IMPLEMENTED) if (p.has(k)) throw new ApiException(501, "vzdump option '" + k + "' is not implemented");
                    if (p.lng("bwlimit", 0) > 0) throw new ApiException(501, "vzdump option 'bwlimit' is not implemented");
                    if (p.bool("stop", false)) throw new ApiException(501, "vzdump option 'stop' is not implemented");
                    Map<String, String> params = new LinkedHashMap<>();
                    p.asMap().forEach((k, v) -> { if (v != null) params.put(k, v instanceof Boolean bo ? (bo ? "1" : "0") : v.toString()); });
                    VzdumpOptions o = VzdumpOptions.of(params, defaults());
                    if ((o.dumpdir() != null || o.tmpdir() != null) && !rc.userid().equals("root@pam") && !rc.viaCli())
                        throw ApiException.forbidden("Only root may set 'dumpdir' and 'tmpdir'");
                    if (o.storage() != null) rc.requirePermission("/storage/" + o.storage(), "Datastore.AllocateSpace");
                    Vzdump v = new Vzdump(guests, storage(), ctx.nodeName(), ctx.clock(), ZoneId.systemDefault());
                    var selected = v.select(o);
                    for (int vmid : selected.keySet()) rc.requirePermission("/vms/" + vmid, "VM.Backup");
                    String id = o.vmids().size() == 1 ? Integer.toString(o.vmids().get(0)) : "";
                    return rc.startTask("vzdump", id, log -> v.run(o, log));
                }).build());
        return m;
    }
}
