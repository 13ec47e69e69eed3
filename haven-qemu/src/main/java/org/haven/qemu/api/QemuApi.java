package org.haven.qemu.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.Handler;
import org.haven.guest.api.HaRequests;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.GuestWiring;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.MigrateAll;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.QemuService;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.migrate.CfsMigrationTls;
import org.haven.qemu.migrate.QemuLiveMigration;
import org.haven.qemu.run.IncomingDisks;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageException;
import org.haven.storage.volume.VolumeIdCheck;

/**
 * The VM API ({@code /nodes/{node}/qemu/...}): list, create, destroy, config (GET/POST/PUT), pending,
 * status (current, start, stop, shutdown, reboot, reset, suspend, resume), showcmd, and the VM entries of
 * {@code /cluster/resources}. Long operations run as tasks and return their UPID.
 */
public final class QemuApi implements ApiModule {

    private static final String VMS = "/vms/{vmid}";
    private volatile QemuService service;
    private volatile org.haven.guest.snapshot.GuestSnapshots snapshots;
    private NodeContext ctx;

    static {
        // nics use key aliases ("virtio=MAC") that the generic validator does not know: check them here
        Formats.register("pve-qm-net", v -> {
            try {
                QemuOptions.check("net0", v);
            } catch (ParamException e) {
                StringBuilder sb = new StringBuilder("format error");
                e.errors().forEach((k, m) -> {
                    String msg = m.replaceFirst("^invalid format - format error\n?", "").trim();
                    if (!msg.isEmpty()) sb.append('\n').append(msg.replace("net0.", "net."));
                });
                throw new Formats.FormatException(sb.toString());
            } catch (IllegalArgumentException e) {
                throw new Formats.FormatException(e.getMessage());
            }
        });
    }

    private final GuestWiring wiring;

    /** The VM module of a node, with what the node hands to its guest types. */
    public QemuApi(GuestWiring wiring) { this.wiring = wiring; }

    /** A module serving {@code service} (for tests that build the service themselves). */
    QemuApi(QemuService service, GuestWiring wiring) {
        this(wiring);
        this.service = service;
    }

    @Override public String name() { return "qemu"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        reg.addAll(methods());
        org.haven.qemu.console.ConsoleApi console = new org.haven.qemu.console.ConsoleApi(this::service, wiring.tickets());
        reg.addAll(console.methods());
        console.install(wiring.http());
        wiring.http().add(new org.haven.guest.migrate.VolumeImportHandler(() -> Optional.of(wiring.storage()), wiring::peers));
        reg.addResources(rc -> resources(rc));
    }

    /** Registers the node's VMs for backups. */
    @Override
    public void start(NodeContext ctx) {
        wiring.backups().ifPresent(b -> b.register(service().guests()));
    }

    /** The daemon's one VM service (for the HA agent, replication and the statistics), created on first use. */
    public QemuService service() {
        QemuService s = service;
        if (s != null) return s;
        synchronized (this) {
            if (service == null) service = createService(ctx, wiring);
            return service;
        }
    }

    public org.haven.guest.snapshot.GuestSnapshots snapshots() {
        org.haven.guest.snapshot.GuestSnapshots s = snapshots;
        if (s != null) return s;
        synchronized (this) {
            if (snapshots == null) snapshots = new org.haven.guest.snapshot.GuestSnapshots(service().guests(), ctx.clock());
            return snapshots;
        }
    }

    static QemuService createService(NodeContext ctx, GuestWiring wiring) {
        Path run = ctx.runDir().resolve("qemu-server");
        VmPaths paths = new VmPaths(run);
        // nodes sharing one host (embedded mode) name their taps per node: a VM migrating between them has two
        HostInfo host = HostInfo.probe(run.resolve("haven-bridge")).withTapNode(org.haven.core.net.GuestPorts.tapNode(ctx.embedded(), ctx.nodeName()));
        VmManager vms = new VmManager(GuestConfigStore.qemu(ctx.cfs()), host, paths, new StorageVolumes(wiring.storage()), ctx.embedded());
        vms.setMigrationTls(new CfsMigrationTls(ctx.cfs(), ctx.nodeName()));
        QemuService service = new QemuService(vms, ctx.clock());
        service.setReplication(wiring::replication);
        service.setMigrator(new GuestMigrate(service.guests(), wiring.cluster(), new QemuLiveMigration(vms), wiring::replication));
        return service;
    }

    // ---- declarations ---------------------------------------------------------------------------------

    static Schema vmid() { return StandardOptions.vmid(); }

    private static Schema optionsSchema(ApiMethod.Builder b) {
        for (var e : QemuOptions.all().entrySet()) {
            Schema s = QemuOptions.isNet(e.getKey()) ? Schema.string().optional().format("pve-qm-net") : e.getValue();
            b.param(e.getKey(), s);
        }
        return null;
    }

    /** Run {@code h}, turning guest and storage errors into API errors. */
    static Handler wrap(Handler h) { return org.haven.guest.api.GuestRoutes.wrap(h); }

    private int vmidOf(Params p) {
        int vmid = p.integer("vmid");
        return vmid;
    }

    /** 500 "Configuration file ... does not exist" for unknown VMs, as PVE answers. */
    private void requireVm(int vmid) {
        service().store().load(vmid);
    }

    List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        String base = "/nodes/{node}/qemu";
        String vm = base + "/{vmid}";

        m.add(ApiMethod.get(base).name("vmlist").description("Virtual machine index (per node).")
                .param("node", StandardOptions.node())
                .param("full", Schema.bool().optional().description("Determine the full status of active VMs."))
                .returns(Schema.array(Schema.object().property("vmid", vmid()).property("status", Schema.string().enumValues("stopped", "running"))))
                .permissions(Permission.all("Only list VMs where you have VM.Audit permissons on /vms/<vmid>."))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (Map<String, Object> d : service().list(p.bool("full", false))) {
                        if (rc.hasPermission("/vms/" + d.get("vmid"), false, "VM.Audit")) out.add(d);
                    }
                    return out;
                })).build());

        m.add(ApiMethod.post("/nodes/{node}/migrateall").name("migrateall").description("Migrate all VMs and Containers.")
                .param("node", StandardOptions.node())
                .param("target", StandardOptions.node().description("Target node."))
                .param("maxworkers", Schema.integer().optional().minimum(1).description("Maximal number of parallel migration job. If not set, uses 'max_workers' from datacenter.cfg. One of both must be set!"))
                .param("vms", StandardOptions.vmidList().optional().description("Only consider Guests with these IDs."))
                .param("with-local-disks", Schema.bool().optional().description("Enable live storage migration for local disk"))
                .returns(Schema.string())
                .permissions(Permission.all("The 'VM.Migrate' permission is required on '/' or on '/vms/<ID>' for each ID passed via the 'vms' parameter."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    var store = service().store();
                    java.util.TreeSet<Integer> only = new java.util.TreeSet<>();
                    for (String v : p.str("vms", "").split("[,;\\s]+")) if (!v.isEmpty()) only.add(Integer.parseInt(v));
                    if (!rc.hasPermission("/", false, "VM.Migrate")) {
                        if (only.isEmpty()) throw ApiException.forbidden("/, VM.Migrate");
                        for (int v : only) rc.requirePermission("/vms/" + v, "VM.Migrate");
                    }
                    String node = store.localNode(), target = p.str("target");
                    if (target.equals(node)) throw ApiException.param("target", "target is local node.");
                    if (!GuestMigrate.members(store.cfs()).containsKey(target)) throw ApiException.error("no such cluster node '" + target + "'");
                    int workers = MigrateAll.maxWorkers(p.has("maxworkers") ? p.lng("maxworkers") : null,
                            store.cfs().readString("datacenter.cfg").orElse(null));
                    List<MigrateAll.Guest> guests = MigrateAll.guests(store.cfs(), node, only);
                    Boolean localDisks = p.has("with-local-disks") ? p.bool("with-local-disks", false) : null;
                    return rc.startTask("migrateall", null, log -> MigrateAll.run(wiring.cluster(), node, target, guests, workers, localDisks, log::log));
                })).build());

        ApiMethod.Builder create = ApiMethod.post(base).name("create_vm").description("Create or restore a virtual machine.")
                .param("node", StandardOptions.node())
                .param("vmid", vmid())
                .param("start", Schema.bool().optional().defaultValue(0).description("Start VM after it was created successfully."))
                .param("pool", Schema.string().optional().format("pve-poolid").description("Add the VM to the specified pool."))
                .param("storage", StandardOptions.storageId().optional().description("Default storage."))
                .param("unique", Schema.bool().optional().description("Assign a unique random ethernet address."))
                .param("force", Schema.bool().optional().description("Allow to overwrite existing VM."))
                .param("archive", Schema.string().optional().maxLength(255).description("The backup archive."))
                .param("bwlimit", Schema.integer().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Allocate"))
                .proxyto("node").protect();
        optionsSchema(create);
        m.add(create.handler(wrap((p, rc) -> {
            int vmid = vmidOf(p);
            if (p.has("archive")) {
                var backups = wiring.backups()
                        .orElseThrow(() -> new ApiException(501, "restore from a backup archive is not available"));
                var opts = new org.haven.guest.GuestBackups.RestoreOptions(p.str("storage", null), p.bool("unique", false), p.bool("force", false),
                        Map.of(), p.has("bwlimit") ? p.lng("bwlimit") : null, org.haven.guest.migrate.BandwidthLimit.Rights.of(rc));
                return rc.startTask("qmrestore", Integer.toString(vmid), log -> backups.restore(service().guests(), p.str("archive"), vmid, opts, log::log));
            }
            Map<String, String> opts = configParams(p);
            service().store().checkUnused(vmid);
            QemuConfigAccess.check(rc, service().vms().volumes(), vmid, opts, List.of(), null);
            boolean start = p.bool("start", false);
            return rc.startTask("qmcreate", Integer.toString(vmid), log -> {
                service().create(vmid, opts, log::log);
                if (start) service().vms().start(vmid, VmManager.StartOptions.DEFAULT, log::log);
            });
        })).build());

        m.add(ApiMethod.get(vm).name("vmdiridx").description("Directory index")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())))
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> {
                    requireVm(vmidOf(p));
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (String s : List.of("config", "pending", "status", "unlink", "vncproxy", "termproxy", "migrate", "resize",
                            "move", "rrd", "rrddata", "monitor", "agent", "snapshot", "spiceproxy", "sendkey", "firewall", "mtunnel",
                            "remote_migrate", "showcmd"))
                        out.add(Map.of("subdir", s));
                    return out;
                })).build());

        m.add(ApiMethod.delete(vm).name("destroy_vm").description("Destroy the VM and all used/owned volumes.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                .param("purge", Schema.bool().optional().description("Remove VMID from configurations, like backup & replication jobs and HA."))
                .param("destroy-unreferenced-disks", Schema.bool().optional().defaultValue(0).description("Also destroy disks not referenced in the config."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Allocate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    var cfg = service().store().load(vmid);
                    boolean skiplock = skiplock(p, rc);
                    if (!skiplock) service().store().checkLock(cfg);
                    if (service().vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " is running - destroy failed");
                    boolean purge = p.bool("purge", false);
                    if (!purge && service().guests().haResource(vmid).isPresent())
                        throw ApiException.error("unable to remove VM " + vmid + " - used in HA resources and purge parameter not set.");
                    return rc.startTask("qmdestroy", Integer.toString(vmid), log -> service().guests().destroy(vmid, skiplock, purge, log::log));
                })).build());

        m.add(ApiMethod.get(vm + "/config").name("vm_config").description("Get the virtual machine configuration with pending configuration changes applied.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("current", Schema.bool().optional().defaultValue(0).description("Get current values (instead of pending values)."))
                .param("snapshot", Schema.string().optional().format("pve-configid").maxLength(40).description("Fetch config values from given snapshot."))
                .returns(Schema.object().property("digest", Schema.string()))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    if (p.has("snapshot") && p.bool("current", false))
                        throw new ParamException(Map.of("snapshot", "cannot use 'snapshot' parameter with 'current'", "current", "cannot use 'snapshot' parameter with 'current'"));
                    return service().config(vmidOf(p), p.bool("current", false), p.opt("snapshot").orElse(null));
                })).build());

        for (boolean async : new boolean[]{true, false}) {
            ApiMethod.Builder b = (async ? ApiMethod.post(vm + "/config").name("update_vm_async")
                    .description("Set virtual machine options (asynchronous API).").returns(Schema.string().optional())
                    : ApiMethod.put(vm + "/config").name("update_vm").description("Set virtual machine options (synchronous API).").returns(Schema.nullType()))
                    .param("node", StandardOptions.node()).param("vmid", vmid())
                    .param("delete", Schema.string().optional().format("pve-configid-list").description("A list of settings you want to delete."))
                    .param("revert", Schema.string().optional().format("pve-configid-list").description("Revert a pending change."))
                    .param("digest", Schema.string().optional().maxLength(40).description("Prevent changes if current configuration file has a different digest."))
                    .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                    .param("force", Schema.bool().optional().requires("delete").description("Force physical removal."))
                    .permissions(Permission.permAny(VMS, "VM.Config.Disk", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Memory",
                            "VM.Config.Network", "VM.Config.HWType", "VM.Config.Options", "VM.Config.Cloudinit"))
                    .proxyto("node").protect();
            if (async) b.param("background_delay", Schema.integer().optional().minimum(1).maximum(30).description("Time to wait for the task to finish."));
            optionsSchema(b);
            m.add(b.handler(wrap((p, rc) -> {
                int vmid = vmidOf(p);
                requireVm(vmid);
                Map<String, String> set = configParams(p);
                List<String> delete = Formats.splitList(p.str("delete", ""));
                List<String> revert = Formats.splitList(p.str("revert", ""));
                if (set.isEmpty() && delete.isEmpty() && revert.isEmpty()) throw ApiException.error("no options specified");
                List<String> removed = new ArrayList<>(delete);
                removed.addAll(revert);
                QemuConfigAccess.check(rc, service().vms().volumes(), vmid, set, removed, service().store().load(vmid));
                boolean skiplock = skiplock(p, rc);
                boolean force = p.bool("force", false);
                String digest = p.str("digest", null);
                if (!async) {
                    service().update(vmid, set, delete, revert, digest, skiplock, force, null);
                    return null;
                }
                String upid = rc.startTask("qmconfig", Integer.toString(vmid),
                        log -> service().update(vmid, set, delete, revert, digest, skiplock, force, log::log));
                if (p.has("background_delay")) {
                    var info = rc.node().tasks().await(upid, p.lng("background_delay") * 1000);
                    if (info != null && !info.running()) {
                        if (!"OK".equals(info.status())) throw ApiException.error(info.status());
                        return null;
                    }
                }
                return upid;
            })).build());
        }

        m.add(ApiMethod.get(vm + "/pending").name("vm_pending").description("Get the virtual machine configuration with both current and pending values.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.array(Schema.object().property("key", Schema.string())))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> service().guests().pending(vmidOf(p)))).build());
        m.add(org.haven.guest.api.GuestRoutes.feature(vm, () -> service().guests()));

        m.add(ApiMethod.get(vm + "/cloudinit").name("cloudinit_pending").description("Get the cloudinit configuration with both current and pending values.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.array(Schema.object().property("key", Schema.string()).property("value", Schema.string().optional())
                        .property("pending", Schema.string().optional()).property("delete", Schema.integer().optional().minimum(0).maximum(1))))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    var cfg = service().store().load(vmidOf(p));
                    var made = cfg.special().get("cloudinit");
                    return org.haven.qemu.config.CloudInit.pending(cfg.current().values(), made == null ? null : made.values());
                })).build());
        m.add(ApiMethod.put(vm + "/cloudinit").name("cloudinit_update").description("Regenerate and change cloudinit config drive.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Config.Cloudinit"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    service().store().locked(vmid, () -> {
                        var cfg = service().store().load(vmid);
                        service().store().checkLock(cfg);
                        service().prepareCloudInit(vmid, cfg.current().values());
                        return null;
                    });
                    return null;
                })).build());
        m.add(ApiMethod.get(vm + "/cloudinit/dump").name("cloudinit_generated_config_dump").description("Get automatically generated cloudinit config.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("type", Schema.string().enumValues("user", "network", "meta").description("Config type."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    return org.haven.qemu.config.CloudInit.dump(vmid, service().store().load(vmid).current().values(), p.str("type"));
                })).build());

        m.add(ApiMethod.get(vm + "/showcmd").name("showcmd").description("Show the QEMU command line of the VM (qm showcmd).")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("pretty", Schema.bool().optional().defaultValue(0).description("Puts each option on a new line."))
                .param("snapshot", Schema.string().optional().format("pve-configid").description("Fetch config values from given snapshot."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> service().showcmd(vmidOf(p), p.bool("pretty", false), p.opt("snapshot").orElse(null)))).build());

        // ---- status ----
        m.add(ApiMethod.get(vm + "/status").name("vmcmdidx").description("Directory index")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())))
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> {
                    requireVm(vmidOf(p));
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (String s : List.of("current", "start", "stop", "reset", "shutdown", "suspend", "reboot")) out.add(Map.of("subdir", s));
                    return out;
                })).build());

        m.add(ApiMethod.get(vm + "/status/current").name("vm_status").description("Get virtual machine status.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.object().property("status", Schema.string().enumValues("stopped", "running")))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    LinkedHashMap<String, Object> st = service().vms().status(vmid, true);
                    var cfg = service().store().load(vmid);
                    st.put("ha", service().guests().haStatus(vmid));
                    cfg.get("agent").ifPresent(a -> st.put("agent", Integer.parseInt(QemuOptions.props("agent", a).getOrDefault("enabled", "0"))));
                    if (!st.containsKey("qmpstatus")) st.put("qmpstatus", st.get("status"));
                    return st;
                })).build());

        m.add(power(vm, "start", "vm_start", "qmstart", "Start virtual machine.")
                .param("timeout", Schema.integer().optional().minimum(0).maximum(86400).description("Wait maximal timeout seconds."))
                .param("machine", Schema.string().optional().maxLength(40).description("The QEMU machine type."))
                .param("migratedfrom", StandardOptions.node().optional().description("The cluster node name."))
                .param("migration_network", Schema.string().optional().format("CIDR").description("CIDR of the (sub) network that is used for migration."))
                .param("migration_type", Schema.string().optional().enumValues("secure", "insecure").description("Migration traffic is encrypted (TLS with the cluster's certificates) by default. On secure, completely private networks this can be disabled to increase performance."))
                .param("stateuri", Schema.string().optional().maxLength(128).description("Some command save/restore state from this location."))
                .param("targetstorage", Schema.string().optional().format("storage-pair-list").description("Mapping from source to target storages."))
                .param("force-cpu", Schema.string().optional().description("Override QEMU's -cpu argument with the given string."))
                .handler(ha("start", wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    for (String k : List.of("migratedfrom", "migration_network", "migration_type", "stateuri", "targetstorage", "force-cpu"))
                        if (p.has(k) && !"root@pam".equals(rc.authid())) throw ApiException.param(k, "Only root may use this option.");
                    if (p.has("migratedfrom")) return startIncoming(p, rc, vmid);
                    var cfg = service().store().load(vmid);
                    boolean skiplock = skiplock(p, rc);
                    boolean hibernated = "suspended".equals(cfg.lock().orElse(null)) && cfg.get("vmstate").isPresent();
                    if (!skiplock && !hibernated) service().store().checkLock(cfg);
                    if (service().vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " already running");
                    // PVE's default: max(30, memory in GiB)
                    long memMb = Long.parseLong(QemuOptions.props("memory", cfg.get("memory").orElse("512")).getOrDefault("current", "512"));
                    Duration timeout = Duration.ofSeconds(p.lng("timeout", Math.max(30, memMb / 1024)));
                    return rc.startTask("qmstart", Integer.toString(vmid), log ->
                            service().vms().start(vmid, new VmManager.StartOptions(skiplock, false, timeout), log::log));
                }))).build());

        m.add(power(vm, "stop", "vm_stop", "qmstop", "Stop virtual machine. The qemu process will exit immediately.")
                .param("timeout", Schema.integer().optional().minimum(0).description("Wait maximal timeout seconds."))
                .param("keepActive", Schema.bool().optional().defaultValue(0).description("Do not deactivate storage volumes."))
                .param("overrule-shutdown", Schema.bool().optional().defaultValue(0).description("Try to abort active 'qmshutdown' tasks before stopping."))
                .param("migratedfrom", StandardOptions.node().optional().description("The cluster node name."))
                .handler(ha("stop", wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    boolean skiplock = skiplock(p, rc);
                    Duration timeout = Duration.ofSeconds(p.lng("timeout", 5));
                    if (p.has("migratedfrom")) {
                        // the target of a failed migration: the config is still on the source node
                        if (!"root@pam".equals(rc.authid())) throw ApiException.param("migratedfrom", "Only root may use this option.");
                        service().store().load(p.str("migratedfrom"), vmid);
                        return rc.startTask("qmstop", Integer.toString(vmid), log -> service().vms().stopIncoming(vmid, timeout, log::log));
                    }
                    requireVm(vmid);
                    return rc.startTask("qmstop", Integer.toString(vmid), log -> service().vms().stop(vmid, skiplock, timeout, log::log));
                }))).build());

        m.add(power(vm, "shutdown", "vm_shutdown", "qmshutdown", "Shutdown virtual machine. This is similar to pressing the power button on a physical machine.")
                .param("timeout", Schema.integer().optional().minimum(0).description("Wait maximal timeout seconds."))
                .param("forceStop", Schema.bool().optional().defaultValue(0).description("Make sure the VM stops."))
                .param("keepActive", Schema.bool().optional().defaultValue(0).description("Do not deactivate storage volumes."))
                .handler(ha("shutdown", wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    requireVm(vmid);
                    boolean skiplock = skiplock(p, rc);
                    Duration timeout = Duration.ofSeconds(p.lng("timeout", 600));
                    boolean force = p.bool("forceStop", false);
                    return rc.startTask("qmshutdown", Integer.toString(vmid), log -> service().vms().shutdown(vmid, skiplock, timeout, force, log::log));
                }))).build());

        m.add(ApiMethod.post(vm + "/status/reboot").name("vm_reboot").description("Reboot the VM by shutting it down, and starting it again. Applies pending changes.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("timeout", Schema.integer().optional().minimum(0).description("Wait maximal timeout seconds for the shutdown."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.PowerMgmt"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    requireVm(vmid);
                    if (!service().vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " not running");
                    Duration timeout = Duration.ofSeconds(p.lng("timeout", 600));
                    return rc.startTask("qmreboot", Integer.toString(vmid), log -> service().vms().reboot(vmid, timeout, log::log));
                })).build());

        m.add(power(vm, "reset", "vm_reset", "qmreset", "Reset virtual machine.")
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    boolean skiplock = skiplock(p, rc);
                    requireRunning(vmid);
                    return rc.startTask("qmreset", Integer.toString(vmid), log -> service().vms().reset(vmid, skiplock));
                })).build());

        m.add(power(vm, "suspend", "vm_suspend", "qmsuspend", "Suspend virtual machine.")
                .permissions(Permission.perm(VMS, "VM.PowerMgmt").withDescription("You need 'VM.PowerMgmt' on /vms/{vmid}, and if you have set 'todisk', you need also 'VM.Config.Disk' on /vms/{vmid} and 'Datastore.AllocateSpace' on the storage for the vmstate."))
                .param("todisk", Schema.bool().optional().defaultValue(0).description("If set, suspends the VM to disk. Will be resumed on next VM start."))
                .param("statestorage", StandardOptions.storageId().optional().description("The storage for the VM state"))
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    boolean skiplock = skiplock(p, rc);
                    String storage = p.str("statestorage", null);
                    if (p.bool("todisk", false)) {
                        // the state lands on a storage: disk and space privileges first, as PVE checks them early
                        rc.requirePermission("/vms/" + vmid, "VM.Config.Disk");
                        String target = QemuService.stateStorage(service().store().load(vmid), storage);
                        if (target != null) VolumeIdCheck.checkAllocate(rc.authid(), rc::hasPermission, target);
                    }
                    requireRunning(vmid);
                    if (p.bool("todisk", false)) {
                        return rc.startTask("qmsuspend", Integer.toString(vmid), log -> service().hibernate(vmid, storage, skiplock, log::log));
                    }
                    return rc.startTask("qmsuspend", Integer.toString(vmid), log -> service().vms().suspend(vmid, skiplock));
                })).build());

        m.add(power(vm, "resume", "vm_resume", "qmresume", "Resume virtual machine.")
                .param("nocheck", Schema.bool().optional())
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    boolean skiplock = skiplock(p, rc);
                    if (p.bool("nocheck", false)) {
                        // the target of a live migration resumes right after the config moved here
                        if (!"root@pam".equals(rc.authid())) throw ApiException.param("nocheck", "Only root may use this option.");
                        if (!service().vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " not running");
                        return rc.startTask("qmresume", Integer.toString(vmid), log -> service().vms().resumeMigrated(vmid));
                    }
                    var cfg = service().store().load(vmid);
                    if ("suspended".equals(cfg.lock().orElse(null)) && cfg.get("vmstate").isPresent() && !service().vms().isRunning(vmid))
                        return rc.startTask("qmresume", Integer.toString(vmid), log -> service().vms().start(vmid, VmManager.StartOptions.DEFAULT, log::log));
                    requireRunning(vmid);
                    return rc.startTask("qmresume", Integer.toString(vmid), log -> service().vms().resume(vmid, skiplock));
                })).build());
        migrateMethods(m, vm);
        snapshotMethods(m, vm);
        cloneMethods(m, vm);
        agentMethods(m, vm);
        diskMethods(m, vm);
        return m;
    }

    /** The target side of a live migration: QEMU waits for the state (PVE's vm_start with migratedfrom). */
    private Object startIncoming(Params p, RequestContext rc, int vmid) {
        String from = p.str("migratedfrom");
        if (from.equals(service().store().localNode())) throw ApiException.param("migratedfrom", "VM " + vmid + " cannot be migrated from this node to itself");
        var cfg = service().store().load(from, vmid);
        if (service().vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " already running");
        List<IncomingDisks.Disk> disks = List.of();
        if (p.has("targetstorage")) {
            MigrationChecks.StorageMap map;
            try {
                map = MigrationChecks.StorageMap.parse(p.str("targetstorage"));
            } catch (IllegalArgumentException e) {
                throw ApiException.param("targetstorage", e.getMessage());
            }
            disks = incomingDisks(cfg.current().values(), map);
        }
        boolean secure = !"insecure".equals(p.str("migration_type", "secure"));
        String address = migrationAddress(p.str("migration_network", null));
        String machine = p.has("machine") ? QemuOptions.props("machine", p.str("machine")).get("type") : null;
        long memMb = Long.parseLong(QemuOptions.props("memory", cfg.get("memory").orElse("512")).getOrDefault("current", "512"));
        Duration timeout = Duration.ofSeconds(p.lng("timeout", Math.max(30, memMb / 1024)));
        List<IncomingDisks.Disk> plan = disks;
        return rc.startTask("qmstart", Integer.toString(vmid), log -> service().vms().startIncoming(vmid,
                new VmManager.Incoming(from, secure, address, machine, timeout, plan), log::log));
    }

    /** The local disks the target of a live migration allocates, with this node's view of the storages. */
    private List<IncomingDisks.Disk> incomingDisks(Map<String, String> conf, MigrationChecks.StorageMap map) {
        if (!(service().vms().volumes() instanceof org.haven.guest.volume.StorageVolumes sv)) throw ApiException.error("no storage configured on this node");
        var sm = sv.storage();
        return IncomingDisks.plan(conf, map, id -> sm.config().get(id).map(e ->
                        new IncomingDisks.StorageFacts(e.shared(), e.type().formats(), e.format())),
                volid -> {
                    try {
                        return sm.parseVolname(volid).format();
                    } catch (RuntimeException e) {
                        return null;
                    }
                });
    }

    /** The local address migration traffic comes to: one in {@code network} (CIDR), else this node's cluster address. */
    private String migrationAddress(String network) {
        if (network != null) {
            String a = org.haven.guest.migrate.MigrationNetwork.addressIn(network, org.haven.guest.migrate.MigrationNetwork.localAddresses());
            if (a == null) throw ApiException.error("could not get migration ip: no IP address configured on local node for network '" + network + "'");
            return a;
        }
        String a = wiring.cluster().address(ctx.nodeName());
        return a == null || a.equals("0.0.0.0") || a.equals("::") ? "127.0.0.1" : a;
    }

    private void migrateMethods(List<ApiMethod> m, String vm) {
        m.add(ApiMethod.get(vm + "/migrate").name("migrate_vm_precondition").description("Get preconditions for migration.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("target", StandardOptions.node().optional().description("Target node."))
                .returns(Schema.object().property("running", Schema.bool()))
                .permissions(Permission.perm(VMS, "VM.Migrate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    var store = service().store();
                    var cfg = store.load(vmid);
                    var migrate = service().migrator();
                    boolean running = service().vms().isRunning(vmid);
                    var vols = GuestMigrate.volumes(service().type().volumeKeys(), cfg, migrate.storages());
                    LinkedHashMap<String, Object> res = new LinkedHashMap<>();
                    res.put("running", running);
                    var volumes = service().vms().volumes();
                    res.put("local_disks", MigrationChecks.localDisks(vols, volid -> {
                        try { return volumes.size(volid); } catch (RuntimeException e) { return 0L; }
                    }));
                    res.put("local_resources", MigrationChecks.localResources(cfg.current().values()));
                    res.put("mapped-resources", List.of());
                    res.put("mapped-resource-info", Map.of());
                    if (!running) {
                        var considered = vols.stream().filter(v -> v.ref() == MigrationChecks.Ref.CONFIG || v.ref() == MigrationChecks.Ref.UNUSED).toList();
                        List<String> allowed = new ArrayList<>();
                        java.util.TreeMap<String, Object> notAllowed = new java.util.TreeMap<>();
                        for (String node : GuestMigrate.members(store.cfs()).keySet()) {
                            if (node.equals(store.localNode())) continue;
                            List<String> unavailable = MigrationChecks.unavailableStorages(considered, node, migrate.storages());
                            if (unavailable.isEmpty()) allowed.add(node);
                            else notAllowed.put(node, Map.of("unavailable_storages", unavailable));
                        }
                        java.util.Collections.sort(allowed);
                        res.put("allowed_nodes", allowed);
                        res.put("not_allowed_nodes", notAllowed);
                    }
                    return res;
                })).build());

        m.add(ApiMethod.post(vm + "/migrate").name("migrate_vm").description("Migrate virtual machine. Creates a new migration task.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("target", StandardOptions.node().description("Target node."))
                .param("online", Schema.bool().optional().description("Use online/live migration if VM is running. Ignored if VM is stopped."))
                .param("force", Schema.bool().optional().description("Allow to migrate VMs which use local devices. Only root may use this option."))
                .param("migration_type", Schema.string().optional().enumValues("secure", "insecure").description("Migration traffic is encrypted (TLS with the cluster's certificates) by default. On secure, completely private networks this can be disabled to increase performance."))
                .param("migration_network", Schema.string().optional().format("CIDR").description("CIDR of the (sub) network that is used for migration."))
                .param("targetstorage", Schema.string().optional().format("storage-pair-list").description("Mapping from source to target storages. Providing only a single storage ID maps all source storages to that storage. Providing the special value '1' will map each source storage to itself."))
                .param("with-local-disks", Schema.bool().optional().description("Enable live storage migration for local disk"))
                .param("bwlimit", Schema.integer().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string().description("the task ID."))
                .permissions(Permission.perm(VMS, "VM.Migrate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    var store = service().store();
                    String target = p.str("target");
                    if (target.equals(store.localNode())) throw ApiException.param("target", "target is local node.");
                    Map<String, Boolean> members = GuestMigrate.members(store.cfs());
                    if (!members.containsKey(target)) throw ApiException.error("no such cluster node '" + target + "'");
                    for (String k : List.of("force", "migration_type", "migration_network"))
                        if (p.has(k) && !"root@pam".equals(rc.authid())) throw ApiException.param(k, "Only root may use this option.");
                    var cfg = store.load(vmid);
                    store.checkLock(cfg);
                    var migrate = service().migrator();
                    boolean running = service().vms().isRunning(vmid);
                    boolean online = p.bool("online", false);
                    if (running && !online) throw ApiException.error("can't migrate running VM without --online");
                    boolean offlineInstead = !running && online;
                    var storageProblem = MigrationChecks.storageProblem(GuestMigrate.volumes(service().type().volumeKeys(), cfg, migrate.storages()), target, migrate.storages());
                    if (storageProblem.isPresent()) throw ApiException.error(storageProblem.get());
                    if (!members.get(target)) throw ApiException.error("target node '" + target + "' is not online");
                    if (service().guests().haResource(vmid).isPresent()) {
                        return rc.startTask("hamigrate", Integer.toString(vmid), log -> {
                            log.log("Requesting HA migration for VM " + vmid + " to node " + target);
                            wiring.cluster().call(store.localNode(), "POST", "/cluster/ha/resources/vm:" + vmid + "/migrate", Map.of("node", target));
                        });
                    }
                    MigrationChecks.StorageMap storageMap;
                    try {
                        storageMap = MigrationChecks.StorageMap.parse(p.str("targetstorage", null));
                    } catch (IllegalArgumentException e) {
                        throw ApiException.param("targetstorage", e.getMessage());
                    }
                    var opts = new GuestMigrate.Options(target, online && running, p.bool("with-local-disks", false), p.bool("force", false),
                            p.str("migration_type", null), p.str("migration_network", null), p.has("bwlimit") ? p.lng("bwlimit") : null, storageMap,
                            org.haven.guest.migrate.BandwidthLimit.Rights.of(rc));
                    return rc.startTask("qmigrate", Integer.toString(vmid), log -> {
                        if (offlineInstead) log.log("VM isn't running. Doing offline migration instead.");
                        migrate.migrate(vmid, opts, log::log);
                    });
                })).build());
    }

    private void snapshotMethods(List<ApiMethod> m, String vm) {
        Schema snapname = Schema.string().format("pve-configid").maxLength(40).description("The name of the snapshot.");
        m.add(ApiMethod.get(vm + "/snapshot").name("snapshot_list").description("List all snapshots.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.array(Schema.object().property("name", Schema.string())))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> snapshots().list(vmidOf(p)))).build());
        m.add(ApiMethod.post(vm + "/snapshot").name("snapshot").description("Snapshot a VM.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("snapname", snapname)
                .param("vmstate", Schema.bool().optional().description("Save the vmstate"))
                .param("description", Schema.string().optional().description("A textual description or comment."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Snapshot"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    String name = p.str("snapname");
                    var cfg = service().store().load(vmid);
                    if (name.equals("current")) throw ApiException.param("snapname", "invalid snapshot name");
                    if (cfg.snapshots().containsKey(name)) throw ApiException.error("snapshot name '" + name + "' already used");
                    boolean vmstate = p.bool("vmstate", false);
                    String description = p.str("description", null);
                    return rc.startTask("qmsnapshot", Integer.toString(vmid), log -> snapshots().create(vmid, name, vmstate, description, log::log));
                })).build());
        m.add(ApiMethod.get(vm + "/snapshot/{snapname}").name("snapshot_cmd_idx").description("")
                .param("node", StandardOptions.node()).param("vmid", vmid()).param("snapname", snapname)
                .returns(Schema.array(Schema.object()))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .handler(wrap((p, rc) -> List.of(Map.of("cmd", "rollback"), Map.of("cmd", "config")))).build());
        m.add(ApiMethod.delete(vm + "/snapshot/{snapname}").name("delsnapshot").description("Delete a VM snapshot.")
                .param("node", StandardOptions.node()).param("vmid", vmid()).param("snapname", snapname)
                .param("force", Schema.bool().optional().description("For removal from config file, even if removing disk snapshots fails."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Snapshot"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    String name = p.str("snapname");
                    if (!service().store().load(vmid).snapshots().containsKey(name)) throw ApiException.error("snapshot '" + name + "' does not exist");
                    boolean force = p.bool("force", false);
                    return rc.startTask("qmdelsnapshot", Integer.toString(vmid), log -> snapshots().delete(vmid, name, force, log::log));
                })).build());
        m.add(ApiMethod.get(vm + "/snapshot/{snapname}/config").name("get_snapshot_config").description("Get snapshot configuration")
                .param("node", StandardOptions.node()).param("vmid", vmid()).param("snapname", snapname)
                .returns(Schema.object())
                .permissions(Permission.permAny(VMS, "VM.Snapshot", "VM.Snapshot.Rollback", "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> snapshots().config(vmidOf(p), p.str("snapname")))).build());
        m.add(ApiMethod.put(vm + "/snapshot/{snapname}/config").name("update_snapshot_config").description("Update snapshot metadata.")
                .param("node", StandardOptions.node()).param("vmid", vmid()).param("snapname", snapname)
                .param("description", Schema.string().optional().description("A textual description or comment."))
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Snapshot"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    if (p.has("description")) snapshots().setDescription(vmidOf(p), p.str("snapname"), p.str("description"));
                    return null;
                })).build());
        m.add(ApiMethod.post(vm + "/snapshot/{snapname}/rollback").name("rollback").description("Rollback VM state to specified snapshot.")
                .param("node", StandardOptions.node()).param("vmid", vmid()).param("snapname", snapname)
                .param("start", Schema.bool().optional().defaultValue(0).description("Whether the VM should get started after rolling back successfully."))
                .returns(Schema.string())
                .permissions(Permission.permAny(VMS, "VM.Snapshot", "VM.Snapshot.Rollback"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    String name = p.str("snapname");
                    if (!service().store().load(vmid).snapshots().containsKey(name)) throw ApiException.error("snapshot '" + name + "' does not exist");
                    boolean start = p.bool("start", false);
                    return rc.startTask("qmrollback", Integer.toString(vmid), log -> snapshots().rollback(vmid, name, start, log::log));
                })).build());
    }

    private void cloneMethods(List<ApiMethod> m, String vm) {
        m.add(ApiMethod.post(vm + "/template").name("template").description("Create a Template.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("disk", Schema.string().optional().description("If you want to convert only 1 disk to base image."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Allocate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    var cfg = service().store().load(vmid);
                    service().store().checkLock(cfg);
                    if (cfg.isTemplate()) throw ApiException.error("VM " + vmid + " is already a template");
                    if (service().vms().isRunning(vmid)) throw ApiException.error("you can't convert a running VM to a template");
                    return rc.startTask("qmtemplate", Integer.toString(vmid), log -> new org.haven.guest.clone.GuestClone(service().guests()).template(vmid, log::log));
                })).build());
        m.add(ApiMethod.post(vm + "/clone").name("clone_vm").description("Create a copy of virtual machine/template.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("newid", vmid().description("VMID for the clone."))
                .param("name", Schema.string().optional().format("dns-name").description("Set a name for the new VM."))
                .param("description", Schema.string().optional().description("Description for the new VM."))
                .param("full", Schema.bool().optional().description("Create a full copy of all disks."))
                .param("storage", StandardOptions.storageId().optional().description("Target storage for full clone."))
                .param("format", Schema.string().optional().enumValues("raw", "qcow2", "vmdk").description("Target format for file storage."))
                .param("snapname", Schema.string().optional().format("pve-configid").maxLength(40).description("The name of the snapshot."))
                .param("target", StandardOptions.node().optional().description("Target node."))
                .param("pool", Schema.string().optional().format("pve-poolid").description("Add the new VM to the specified pool."))
                .param("bwlimit", Schema.integer().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Clone").withDescription("You need 'VM.Clone' permissions on /vms/{vmid}, and 'VM.Allocate' permissions on /vms/{newid}. You also need 'Datastore.AllocateSpace' on any used storage."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    int newid = p.integer("newid");
                    var cfg = service().store().load(vmid);
                    service().store().checkUnused(newid);
                    boolean full = p.has("full") ? p.bool("full", false) : !cfg.isTemplate();
                    String name = p.str("name", null), desc = p.str("description", null), storage = p.str("storage", null),
                            format = p.str("format", null), snap = p.str("snapname", null), target = p.str("target", null);
                    var source = snap == null ? cfg.current() : cfg.snapshots().get(snap);
                    QemuConfigAccess.checkClone(rc, service().vms().volumes(), newid, source == null ? Map.of() : source.values(), storage);
                    var clone = new org.haven.guest.clone.GuestClone(service().guests());
                    clone.checkTargetNode(vmid, snap, storage, target);
                    return rc.startTask("qmclone", Integer.toString(vmid), log -> clone.clone(vmid, newid, name, desc, full, storage, format, snap, target, log::log));
                })).build());
    }

    static final List<String> AGENT_GET = List.of("get-fsinfo", "get-host-name", "get-memory-block-info", "get-memory-blocks",
            "get-osinfo", "get-time", "get-timezone", "get-users", "get-vcpus", "info", "network-get-interfaces");
    static final List<String> AGENT_POST = List.of("fsfreeze-freeze", "fsfreeze-status", "fsfreeze-thaw", "fstrim", "ping", "shutdown",
            "suspend-disk", "suspend-hybrid", "suspend-ram");

    private Object agent(int vmid, String command) {
        String qga = command.equals("fsinfo") ? "guest-get-fsinfo" : "guest-" + command;
        var r = service().vms().agentCommand(vmid, qga, null, Duration.ofSeconds(command.equals("fstrim") ? 600 : 10));
        return Map.of("result", r == null ? Map.of() : r);
    }

    /** PVE's {@code agent_cmd}: an agent command whose failure names what was being done. */
    private tools.jackson.databind.JsonNode agentCmd(int vmid, String command, Map<String, ?> args, String what) {
        try {
            return service().vms().agentCommand(vmid, command, args, Duration.ofSeconds(10));
        } catch (GuestException e) {
            throw new GuestException(e.status(), what + ": " + e.getMessage());
        }
    }

    static final int AGENT_READ_MAX = 16 * 1024 * 1024;

    /** The file's content read in 1 MiB pieces through the agent, at most 16 MiB (then marked truncated). */
    private Map<String, Object> fileRead(int vmid, String file) {
        long handle = agentCmd(vmid, "guest-file-open", Map.of("path", file), "can't open file").asLong();
        java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
        boolean eof = false;
        try {
            while (content.size() < AGENT_READ_MAX && !eof) {
                var r = agentCmd(vmid, "guest-file-read", Map.of("handle", handle, "count", 1024 * 1024), "can't read from file");
                content.writeBytes(java.util.Base64.getDecoder().decode(r.path("buf-b64").asString("")));
                eof = r.path("eof").asBoolean(false);
                if (r.path("count").asLong(0) == 0 && !eof) break;
            }
        } finally {
            agentCmd(vmid, "guest-file-close", Map.of("handle", handle), "can't close file");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("content", content.toString(java.nio.charset.StandardCharsets.UTF_8));
        out.put("bytes-read", content.size());
        if (!eof) out.put("truncated", 1);
        return out;
    }

    private void agentMethods(List<ApiMethod> m, String vm) {
        List<String> all = new ArrayList<>(AGENT_GET);
        all.addAll(AGENT_POST);
        java.util.Collections.sort(all);
        m.add(ApiMethod.get(vm + "/agent").name("index").description("QEMU Guest Agent command index.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .returns(Schema.array(Schema.object()))
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (String c : all) out.add(Map.of("name", c));
                    for (String c : List.of("exec", "exec-status", "file-read", "file-write", "set-user-password")) out.add(Map.of("name", c));
                    return out;
                })).build());
        m.add(ApiMethod.post(vm + "/agent").name("agent").description("Execute QEMU Guest Agent commands.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("command", Schema.string().enumValues(all).description("The QGA command."))
                .returns(Schema.object())
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node")
                .handler(wrap((p, rc) -> agent(vmidOf(p), p.str("command")))).build());
        for (String c : AGENT_GET) {
            m.add(ApiMethod.get(vm + "/agent/" + c).name(c).description("Execute " + c + ".")
                    .param("node", StandardOptions.node()).param("vmid", vmid())
                    .returns(Schema.object()).permissions(Permission.perm(VMS, "VM.Monitor")).proxyto("node")
                    .handler(wrap((p, rc) -> agent(vmidOf(p), c))).build());
        }
        for (String c : AGENT_POST) {
            m.add(ApiMethod.post(vm + "/agent/" + c).name(c).description("Execute " + c + ".")
                    .param("node", StandardOptions.node()).param("vmid", vmid())
                    .returns(Schema.object()).permissions(Permission.perm(VMS, "VM.Monitor")).proxyto("node")
                    .handler(wrap((p, rc) -> agent(vmidOf(p), c))).build());
        }
        m.add(ApiMethod.post(vm + "/agent/exec").name("exec").description("Executes the given command in the vm via the guest-agent and returns an object with the pid.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("command", Schema.array(Schema.string()).description("The command as a list of program + arguments."))
                .param("input-data", Schema.string().optional().maxLength(65536).description("Data to pass as 'input-data' to the guest."))
                .returns(Schema.object().property("pid", Schema.integer()))
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    List<String> cmd = new ArrayList<>();
                    for (Object o : p.list("command")) cmd.add(String.valueOf(o));
                    if (cmd.isEmpty()) throw ApiException.param("command", "no command specified");
                    LinkedHashMap<String, Object> args = new LinkedHashMap<>();
                    args.put("path", cmd.get(0));
                    args.put("arg", cmd.subList(1, cmd.size()));
                    args.put("capture-output", true);
                    if (p.has("input-data")) args.put("input-data", java.util.Base64.getEncoder().encodeToString(p.str("input-data").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    var r = service().vms().agentCommand(vmidOf(p), "guest-exec", args, Duration.ofSeconds(10));
                    return Map.of("pid", r.path("pid").asLong());
                })).build());
        m.add(ApiMethod.get(vm + "/agent/file-read").name("file-read").description("Reads the given file via guest agent. Is limited to 16777216 bytes.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("file", Schema.string().description("The path to the file"))
                .returns(Schema.object().property("content", Schema.string().description("The content of the file, maximum 16777216"))
                        .property("truncated", Schema.bool().optional().description("If set to 1, the output is truncated and not complete")))
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> fileRead(vmidOf(p), p.str("file")))).build());
        m.add(ApiMethod.post(vm + "/agent/file-write").name("file-write").description("Writes the given file via guest agent.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("file", Schema.string().description("The path to the file."))
                .param("content", Schema.string().maxLength(61440).description("The content to write into the file."))
                .param("encode", Schema.bool().optional().attr("default", 1)
                        .description("If set, the content will be encoded as base64 (required by QEMU). Otherwise the content needs to be encoded beforehand - defaults to true."))
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    String buf = p.bool("encode", true)
                            ? java.util.Base64.getEncoder().encodeToString(p.str("content").getBytes(java.nio.charset.StandardCharsets.UTF_8))
                            : p.str("content");
                    int vmid = vmidOf(p);
                    long handle = agentCmd(vmid, "guest-file-open", Map.of("path", p.str("file"), "mode", "wb"), "can't open file").asLong();
                    try {
                        agentCmd(vmid, "guest-file-write", Map.of("handle", handle, "buf-b64", buf), "can't write to file");
                    } finally {
                        agentCmd(vmid, "guest-file-close", Map.of("handle", handle), "can't close file");
                    }
                    return null;
                })).build());
        m.add(ApiMethod.post(vm + "/agent/set-user-password").name("set-user-password").description("Sets the password for the given user to the given password")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("username", Schema.string().description("The user to set the password for."))
                .param("password", Schema.string().minLength(5).maxLength(1024).description("The new password."))
                .param("crypted", Schema.bool().optional().attr("default", 0).description("set to 1 if the password has already been passed through crypt()"))
                .returns(Schema.object().description("Returns an object with a single `result` property."))
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    Map<String, Object> args = new LinkedHashMap<>();
                    args.put("username", p.str("username"));
                    args.put("password", java.util.Base64.getEncoder().encodeToString(p.str("password").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                    args.put("crypted", p.bool("crypted", false));
                    var r = agentCmd(vmidOf(p), "guest-set-user-password", args, "Could not set user password");
                    return Map.of("result", r == null ? Map.of() : r);
                })).build());
        m.add(ApiMethod.get(vm + "/agent/exec-status").name("exec-status").description("Gets the status of the given pid started by the guest-agent")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("pid", Schema.integer().description("The PID to query"))
                .returns(Schema.object().property("exited", Schema.bool()))
                .permissions(Permission.perm(VMS, "VM.Monitor"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    var r = service().vms().agentCommand(vmidOf(p), "guest-exec-status", Map.of("pid", p.lng("pid")), Duration.ofSeconds(10));
                    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
                    out.put("exited", r.path("exited").asBoolean() ? 1 : 0);
                    if (r.has("exitcode")) out.put("exitcode", r.path("exitcode").asLong());
                    if (r.has("signal")) out.put("signal", r.path("signal").asLong());
                    for (String k : List.of("out-data", "err-data")) {
                        if (r.has(k)) out.put(k, new String(java.util.Base64.getDecoder().decode(r.path(k).asString()), java.nio.charset.StandardCharsets.UTF_8));
                    }
                    if (r.has("out-truncated")) out.put("out-truncated", r.path("out-truncated").asBoolean() ? 1 : 0);
                    if (r.has("err-truncated")) out.put("err-truncated", r.path("err-truncated").asBoolean() ? 1 : 0);
                    return out;
                })).build());
    }

    private void diskMethods(List<ApiMethod> m, String vm) {
        List<String> disks = new ArrayList<>();
        for (String bus : List.of("ide", "scsi", "virtio", "sata")) for (int i = 0; i < QemuOptions.COUNTS.get(bus); i++) disks.add(bus + i);
        disks.add("efidisk0");
        disks.add("tpmstate0");
        List<String> movable = new ArrayList<>(disks);
        for (int i = 0; i < 256; i++) movable.add("unused" + i);
        m.add(ApiMethod.put(vm + "/resize").name("resize_vm").description("Extend volume size.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("disk", Schema.string().enumValues(disks).description("The disk you want to resize."))
                .param("size", Schema.string().pattern("\\+?\\d+(\\.\\d+)?[KMGT]?").description("The new size."))
                .param("digest", Schema.string().optional().maxLength(40).description("Prevent changes if current configuration file has different SHA1 digest."))
                .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Config.Disk"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    requireVm(vmid);
                    boolean skiplock = skiplock(p, rc);
                    String disk = p.str("disk"), size = p.str("size"), digest = p.str("digest", null);
                    return rc.startTask("resize", Integer.toString(vmid), log -> service().resize(vmid, disk, size, digest, skiplock, log::log));
                })).build());
        m.add(ApiMethod.post(vm + "/move_disk").name("move_vm_disk").description("Move volume to different storage or to a different VM.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("disk", Schema.string().enumValues(movable).description("The disk you want to move."))
                .param("storage", StandardOptions.storageId().optional().description("Target storage."))
                .param("format", Schema.string().optional().enumValues("raw", "qcow2", "vmdk").description("Target Format."))
                .param("delete", Schema.bool().optional().defaultValue(0).description("Delete the original disk after successful copy."))
                .param("digest", Schema.string().optional().maxLength(40).description("Prevent changes if the current config file has a different SHA1 digest."))
                .param("target-vmid", vmid().optional().description("The (unique) ID of the VM."))
                .param("target-disk", Schema.string().optional().enumValues(movable).description("The config key the disk will be moved to on the target VM."))
                .param("target-digest", Schema.string().optional().maxLength(40).description("Prevent changes if the target config file has a different digest."))
                .param("bwlimit", Schema.integer().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Config.Disk").withDescription("You need 'VM.Config.Disk' permissions on /vms/{vmid}, and 'Datastore.AllocateSpace' permissions on the storage."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    requireVm(vmid);
                    String disk = p.str("disk"), digest = p.str("digest", null);
                    if (p.has("target-vmid") && p.has("storage")) {
                        String msg = "either set 'storage' or 'target-vmid', but not both";
                        throw new ParamException(Map.of("target-vmid", msg, "storage", msg));
                    }
                    if (p.has("target-vmid")) {
                        int target = p.integer("target-vmid");
                        String targetDisk = p.str("target-disk", disk), targetDigest = p.str("target-digest", null);
                        rc.requirePermission("/vms/" + target, "VM.Config.Disk");
                        if (target == vmid) throw ApiException.param("target-vmid", "must be different than source VMID to reassign disk");
                        String volid = service().checkReassign(vmid, disk, target, targetDisk, digest, targetDigest).get("file");
                        VolumeIdCheck.checkAllocate(rc.authid(), rc::hasPermission, volid.substring(0, volid.indexOf(':')));
                        return rc.startTask("qmmove", vmid + "-" + disk + ">" + target + "-" + targetDisk,
                                log -> service().reassignDisk(vmid, disk, target, targetDisk, digest, targetDigest, log::log));
                    }
                    if (!p.has("storage")) {
                        String msg = "both 'storage' and 'target-vmid' missing, either needs to be set";
                        throw new ParamException(Map.of("target-vmid", msg, "storage", msg));
                    }
                    String storage = p.str("storage"), format = p.str("format", null);
                    VolumeIdCheck.checkAllocate(rc.authid(), rc::hasPermission, storage);
                    boolean delete = p.bool("delete", false);
                    return rc.startTask("qmmove", Integer.toString(vmid), log -> service().moveDisk(vmid, disk, storage, format, delete, digest, log::log));
                })).build());
        m.add(ApiMethod.put(vm + "/unlink").name("unlink").description("Unlink/delete disk images.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("idlist", Schema.string().format("pve-configid-list").description("A list of disk IDs you want to delete."))
                .param("force", Schema.bool().optional().description("Force physical removal. Without this, we simple remove the disk from the config file and create an additional configuration entry called 'unused[n]', which contains the volume ID."))
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Config.Disk"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    service().unlink(vmidOf(p), Formats.splitList(p.str("idlist")), p.bool("force", false), null);
                    return null;
                })).build());
        m.add(ApiMethod.post("/nodes/{node}/qemu/rescan").name("rescan").description("Rescan all storages and update disk sizes and unused disk images (qm rescan).")
                .param("node", StandardOptions.node())
                .param("vmid", vmid().optional().description("Only rescan this VM."))
                .param("dryrun", Schema.bool().optional().defaultValue(0).description("Do not actually write changes out to VM config(s)."))
                .returns(Schema.array(Schema.string()))
                .permissions(Permission.rootOnly())
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> service().rescan(p.has("vmid") ? p.integer("vmid") : null, p.bool("dryrun", false)))).build());
        m.add(ApiMethod.post(vm + "/importdisk").name("importdisk").description("Import an external disk image as an unused disk or as the given disk (qm disk import).")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("source", Schema.string().description("Path or volume ID of the image to import."))
                .param("storage", StandardOptions.storageId().description("Target storage ID"))
                .param("format", Schema.string().optional().enumValues("raw", "qcow2", "vmdk").description("Target format"))
                .param("target-disk", Schema.string().optional().description("The disk name where the volume will be attached to."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Config.Disk"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    requireVm(vmid);
                    String source = p.str("source"), storage = p.str("storage"), format = p.str("format", null), target = p.str("target-disk", null);
                    if (!source.startsWith("/") && source.indexOf(':') < 0) throw ApiException.param("source", "source must be an absolute path or a volume ID");
                    QemuConfigAccess.checkImport(rc, service().vms().volumes(), vmid, source, storage);
                    return rc.startTask("qmimport", Integer.toString(vmid), log -> service().importDisk(vmid, source, storage, format, target, log::log));
                })).build());
        m.add(ApiMethod.post("/nodes/{node}/qemu/importovf").name("importovf").description("Create a new VM using parameters read from an OVF manifest (qm importovf).")
                .param("node", StandardOptions.node())
                .param("vmid", vmid())
                .param("manifest", Schema.string().description("path to the ovf file"))
                .param("storage", StandardOptions.storageId().description("Target storage ID"))
                .param("format", Schema.string().optional().enumValues("raw", "qcow2", "vmdk").description("Target format"))
                .param("dryrun", Schema.bool().optional().description("Print a parsed representation of the extracted OVF parameters, but do not create a VM"))
                .returns(Schema.object())
                .permissions(Permission.rootOnly())
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    java.nio.file.Path manifest = java.nio.file.Path.of(p.str("manifest"));
                    if (!manifest.isAbsolute() || !java.nio.file.Files.exists(manifest)) throw ApiException.param("manifest", "manifest '" + manifest + "' does not exist");
                    var ovf = service().importOvf(vmid, manifest, p.str("storage"), p.str("format", null), p.bool("dryrun", false), null);
                    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
                    out.put("qm", Map.of("name", ovf.name() == null ? "" : ovf.name(), "cores", ovf.cores(), "memory", ovf.memoryMb()));
                    out.put("disks", ovf.disks());
                    return out;
                })).build());
        m.add(ApiMethod.post(vm + "/monitor").name("monitor").description("Execute QEMU monitor commands.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("command", Schema.string().description("The monitor command."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Monitor").withDescription("Sys.Modify is required for (sub)commands which are not read-only ('info *' and 'help')"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    // a monitor command can reach the host (migrate to exec:, files, devices): only 'info' and 'help' are read-only
                    if (!p.str("command").matches("(?s)\\s*info(\\s.*)?|\\s*help\\s*") && !rc.hasPermission("/", false, "Sys.Modify"))
                        throw ApiException.forbidden("/, Sys.Modify");
                    requireRunning(vmid);
                    return service().monitor(vmid, p.str("command"));
                })).build());
        m.add(ApiMethod.put(vm + "/sendkey").name("vm_sendkey").description("Send key event to virtual machine.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("key", Schema.string().description("The key (qemu monitor encoding)."))
                .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Console"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = vmidOf(p);
                    requireRunning(vmid);
                    service().monitor(vmid, "sendkey " + p.str("key"));
                    return null;
                })).build());
    }

    private void requireRunning(int vmid) {
        requireVm(vmid);
        if (!service().vms().isRunning(vmid)) throw ApiException.error("VM " + vmid + " not running");
    }

    /** Power action {@code action} of a VM, asking HA first whether it manages the VM. */
    private Handler ha(String action, Handler handler) { return HaRequests.routed(wiring.ha(), "vm", action, handler); }

    private static ApiMethod.Builder power(String vm, String action, String name, String type, String description) {
        return ApiMethod.post(vm + "/status/" + action).name(name).description(description)
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.PowerMgmt"))
                .proxyto("node").protect();
    }

    /** skiplock is for root only, as in PVE. */
    private static boolean skiplock(Params p, RequestContext rc) {
        boolean s = p.bool("skiplock", false);
        if (s && !"root@pam".equals(rc.authid())) throw ApiException.forbidden("Only root may use this option.");
        return s;
    }

    /** The config options among the request parameters, as strings (booleans as 1/0). */
    static Map<String, String> configParams(Params p) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : p.asMap().entrySet()) {
            String k = e.getKey();
            if (e.getValue() == null || QemuOptions.option(k) == null) continue;
            Object v = e.getValue();
            out.put(k, v instanceof Boolean b ? (b ? "1" : "0") : String.valueOf(v));
        }
        return out;
    }

    // ---- cluster resources ----------------------------------------------------------------------------

    List<Map<String, Object>> resources(RequestContext rc) {
        QemuService s = service();
        return org.haven.guest.api.GuestRoutes.resources(rc, s.guests(), vmid -> s.vms().status(vmid, false), "name", "VM ");
    }
}
