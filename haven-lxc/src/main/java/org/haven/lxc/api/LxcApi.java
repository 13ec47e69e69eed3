package org.haven.lxc.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
import org.haven.guest.GuestBackups;
import org.haven.guest.GuestWiring;
import org.haven.guest.access.OptionAccess;
import org.haven.guest.access.RequestOptionAccess;
import org.haven.guest.api.GuestRoutes;
import org.haven.guest.api.HaRequests;
import org.haven.guest.clone.GuestClone;
import org.haven.guest.config.GuestConfigStore;
import org.haven.lxc.LxcService;
import org.haven.lxc.run.Interfaces;
import org.haven.lxc.config.LxcOptions;
import org.haven.storage.StorageManager;
import org.haven.storage.volume.VolumeIdCheck;

import static org.haven.guest.api.GuestRoutes.wrap;

/**
 * The container API ({@code /nodes/{node}/lxc/...}): list, create from a template ({@code vzcreate}), destroy,
 * config (GET/PUT), pending, status (current, start, stop, shutdown, reboot, suspend, resume), snapshots,
 * template and clone, and the containers of {@code /cluster/resources}. Long operations run as tasks and return
 * their UPID.
 */
public final class LxcApi implements ApiModule {
    private static final String VMS = "/vms/{vmid}";
    static final String BASE = "/nodes/{node}/lxc";
    static final String CT = BASE + "/{vmid}";

    private volatile LxcService service;
    private NodeContext ctx;
    private final GuestWiring wiring;
    private final LxcConsoleApi console;
    private final LxcMigrateApi migrate;

    /** The container module of a node, with what the node hands to its guest types. */
    public LxcApi(GuestWiring wiring) {
        this.wiring = wiring;
        this.console = new LxcConsoleApi(this::service, () -> ctx, wiring.tickets());
        this.migrate = new LxcMigrateApi(this::service, () -> java.util.Optional.ofNullable(wiring.cluster()), wiring::replication);
    }

    /** A module serving {@code service} (for tests that build the service themselves). */
    public LxcApi(LxcService service, GuestWiring wiring) {
        this(wiring);
        this.service = service;
    }

    @Override public String name() { return "lxc"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        reg.addAll(methods());
        console.install(wiring.http());
        reg.addResources(this::resources);
    }

    @Override
    public void start(NodeContext ctx) {
        service().setMigrator(migrate::migrator);
        service().setReplication(wiring::replication);
        wiring.backups().ifPresent(b -> b.register(service().guests()));
    }

    /** The daemon's one container service (for the HA agent, replication), created on first use. */
    public LxcService service() {
        LxcService s = service;
        if (s != null) return s;
        synchronized (this) {
            if (service == null) {
                Path lxcpath = ctx.embedded() ? ctx.dataDir().resolve("lxc") : Path.of("/var/lib/lxc");
                service = LxcService.create(GuestConfigStore.lxc(ctx.cfs()), wiring.storage(), lxcpath, ctx.clock(), List.of());
            }
            return service;
        }
    }

    private static Schema vmid() { return StandardOptions.vmid(); }

    private static List<String> mountKeys() { return LxcOptions.all().keySet().stream().filter(LxcOptions::isMountKey).sorted().toList(); }

    /** Mount point keys and {@code unusedN}, as move_volume names them. */
    private static List<String> volumeKeys() {
        List<String> out = new ArrayList<>(mountKeys());
        for (int i = 0; i < 256; i++) out.add("unused" + i);
        return out;
    }

    private static ApiMethod.Builder at(ApiMethod.Builder b) { return b.param("node", StandardOptions.node()).param("vmid", vmid()); }

    private static void options(ApiMethod.Builder b) { LxcOptions.all().forEach(b::param); }

    /** The config options among the request parameters, as strings (booleans as 1/0). */
    static Map<String, String> configParams(Params p) {
        Map<String, String> out = new LinkedHashMap<>();
        p.asMap().forEach((k, v) -> {
            if (v != null && LxcOptions.option(k) != null) out.put(k, org.haven.core.schema.Validator.text(v));
        });
        return out;
    }

    private void requireCt(int vmid) { service().store().load(vmid); }

    /** PVE's check_ct_modify_config_perm: per-option privileges, root-only keys, volume access. */
    private void checkAccess(RequestContext rc, int vmid, Map<String, String> set, List<String> removed, org.haven.guest.config.GuestConfig cfg) {
        OptionAccess.check(OptionAccess.LXC, new RequestOptionAccess(rc, service().guests().volumes(), vmid, cfg,
                (key, value) -> LxcOptions.format(key) == null ? Map.of() : LxcOptions.props(key, value)), set, removed);
    }

    private static String id(int vmid) { return Integer.toString(vmid); }

    List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        m.add(ApiMethod.get(BASE).name("vmlist").description("LXC container index (per node).")
                .param("node", StandardOptions.node())
                .returns(Schema.array(Schema.object().property("vmid", vmid()).property("status", Schema.string().enumValues("stopped", "running"))))
                .permissions(Permission.all("Only list CTs where you have VM.Audit permissons on /vms/<vmid>."))
                .proxyto("node")
                .handler(wrap((p, rc) -> service().list().stream().filter(d -> rc.hasPermission("/vms/" + d.get("vmid"), false, "VM.Audit")).toList()))
                .build());

        ApiMethod.Builder create = ApiMethod.post(BASE).name("create_vm").description("Create or restore a container.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("ostemplate", Schema.string().maxLength(255).description("The OS template or backup file."))
                .param("password", Schema.string().optional().minLength(5).description("Sets root password inside container."))
                .param("ssh-public-keys", Schema.string().optional().description("Setup public SSH keys (one key per line, OpenSSH format)."))
                .param("storage", StandardOptions.storageId().optional().defaultValue("local").description("Default Storage."))
                .param("start", Schema.bool().optional().defaultValue(0).description("Start the CT after its creation finished successfully."))
                .param("pool", Schema.string().optional().format("pve-poolid").description("Add the VM to the specified pool."))
                .param("unique", Schema.bool().optional().requires("restore").description("Assign a unique random ethernet address."))
                .param("restore", Schema.bool().optional().description("Mark this as restore task."))
                .param("force", Schema.bool().optional().description("Allow to overwrite existing container."))
                .param("ignore-unpack-errors", Schema.bool().optional().description("Ignore errors when extracting the template."))
                .param("bwlimit", Schema.number().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string())
                .permissions(Permission.all("You need 'VM.Allocate' permission on /vms/{vmid} or on the VM pool /pool/{pool}. You also need 'Datastore.AllocateSpace' permissions on the storage."))
                .proxyto("node").protect();
        options(create);
        m.add(create.handler(wrap((p, rc) -> {
            int vmid = p.integer("vmid");
            if (!rc.hasPermission("/vms/" + vmid, false, "VM.Allocate")
                    && !(p.has("pool") && rc.hasPermission("/pool/" + p.str("pool"), false, "VM.Allocate")))
                throw ApiException.forbidden("Permission check failed (/vms/" + vmid + ", VM.Allocate)");
            Map<String, String> opts = configParams(p);
            if (p.bool("restore", false)) return restore(p, rc, vmid, opts);
            service().store().checkUnused(vmid);
            checkAccess(rc, vmid, opts, List.of(), null);
            String storage = p.str("storage", "local");
            Path template = templatePath(p.str("ostemplate"));
            var co = new LxcService.CreateOptions(template, storage, p.str("password", null), p.str("ssh-public-keys", null));
            boolean start = p.bool("start", false);
            return rc.startTask("vzcreate", id(vmid), log -> {
                service().create(vmid, opts, co, log::log);
                if (start) service().start(vmid, log::log);
            });
        })).build());

        m.add(at(ApiMethod.get(CT).name("vmdiridx").description("Directory index"))
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())))
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> {
                    requireCt(p.integer("vmid"));
                    return List.of("config", "pending", "status", "vncproxy", "termproxy", "vncwebsocket", "spiceproxy", "migrate", "clone",
                            "rrd", "firewall", "snapshot", "resize").stream().map(s -> Map.of("subdir", s)).toList();
                })).build());

        m.add(at(ApiMethod.delete(CT).name("destroy_vm").description("Destroy the container (also delete all uses files)."))
                .param("force", Schema.bool().optional().defaultValue(0).description("Force destroy, even if running."))
                .param("purge", Schema.bool().optional().defaultValue(0).description("Remove container from all related configurations."))
                .param("destroy-unreferenced-disks", Schema.bool().optional().description("Also destroy disks not referenced in the config."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Allocate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    var cfg = service().store().load(vmid);
                    service().store().checkLock(cfg);
                    boolean force = p.bool("force", false);
                    if (!force) service().checkNotRunning(vmid);
                    boolean purge = p.bool("purge", false);
                    if (!purge && service().guests().haResource(vmid).isPresent())
                        throw ApiException.error("unable to remove CT " + vmid + " - used in HA resources and purge parameter not set.");
                    return rc.startTask("vzdestroy", id(vmid), log -> {
                        if (force && service().type().isRunning(vmid)) service().type().stop(vmid, java.time.Duration.ZERO, log::log);
                        service().destroy(vmid, purge, log::log);
                    });
                })).build());

        m.add(at(ApiMethod.get(CT + "/config").name("vm_config").description("Get container configuration."))
                .param("current", Schema.bool().optional().defaultValue(0).description("Get current values (instead of pending values)."))
                .param("snapshot", Schema.string().optional().format("pve-configid").maxLength(40).description("Fetch config values from given snapshot."))
                .returns(Schema.object().property("digest", Schema.string()))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    if (p.has("snapshot") && p.bool("current", false))
                        throw new ParamException(Map.of("snapshot", "cannot use 'snapshot' parameter with 'current'", "current", "cannot use 'snapshot' parameter with 'current'"));
                    Map<String, Object> out = service().guests().config(p.integer("vmid"), p.bool("current", false), p.opt("snapshot").orElse(null));
                    // the raw lxc.* keys, as PVE lists them under "lxc"
                    var raw = service().store().load(p.integer("vmid")).current().rawLxc();
                    if (!raw.isEmpty() && !p.has("snapshot")) out.put("lxc", raw.stream().map(e -> List.of(e.getKey(), e.getValue())).toList());
                    return out;
                })).build());

        ApiMethod.Builder put = at(ApiMethod.put(CT + "/config").name("update_vm").description("Set container options."))
                .param("delete", Schema.string().optional().format("pve-configid-list").description("A list of settings you want to delete."))
                .param("revert", Schema.string().optional().format("pve-configid-list").description("Revert a pending change."))
                .param("digest", Schema.string().optional().maxLength(40).description("Prevent changes if current configuration file has a different digest."))
                .returns(Schema.nullType())
                .permissions(Permission.permAny(VMS, "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options"))
                .proxyto("node").protect();
        options(put);
        m.add(put.handler(wrap((p, rc) -> {
            int vmid = p.integer("vmid");
            requireCt(vmid);
            Map<String, String> set = configParams(p);
            List<String> delete = Formats.splitList(p.str("delete", ""));
            List<String> revert = Formats.splitList(p.str("revert", ""));
            if (set.isEmpty() && delete.isEmpty() && revert.isEmpty()) throw ApiException.error("no options specified");
            List<String> removed = new ArrayList<>(delete);
            removed.addAll(revert);
            checkAccess(rc, vmid, set, removed, service().store().load(vmid));
            service().update(vmid, set, delete, revert, p.str("digest", null), null);
            return null;
        })).build());

        // ---- status ----
        m.add(at(ApiMethod.get(CT + "/status").name("vmcmdidx").description("Directory index"))
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())))
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> {
                    requireCt(p.integer("vmid"));
                    return List.of("current", "start", "stop", "shutdown", "suspend", "resume", "reboot").stream().map(s -> Map.of("subdir", s)).toList();
                })).build());
        m.add(at(ApiMethod.get(CT + "/status/current").name("vm_status").description("Get virtual machine status."))
                .returns(Schema.object().property("status", Schema.string().enumValues("stopped", "running")))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    Map<String, Object> st = new LinkedHashMap<>(service().runtime().status(vmid));
                    st.put("ha", service().guests().haStatus(vmid));
                    return st;
                })).build());
        m.add(power("start", "vm_start", "Start the container.")
                .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                .param("debug", Schema.bool().optional().defaultValue(0).description("If set, enables very verbose debug log-level on start."))
                .handler(ha("start", wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    if (service().type().isRunning(vmid)) throw ApiException.error("CT " + vmid + " already running");
                    return rc.startTask("vzstart", id(vmid), log -> service().start(vmid, log::log));
                }))).build());
        m.add(power("stop", "vm_stop", "Stop the container. This will abruptly stop all processes running in the container.")
                .param("skiplock", Schema.bool().optional().description("Ignore locks - only root is allowed to use this option."))
                .param("overrule-shutdown", Schema.bool().optional().defaultValue(0).description("Try to abort active 'vzshutdown' tasks before stopping."))
                .handler(ha("stop", wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    service().checkRunning(vmid);
                    return rc.startTask("vzstop", id(vmid), log -> service().stop(vmid, log::log));
                }))).build());
        m.add(power("shutdown", "vm_shutdown", "Shutdown the container. This will trigger a clean shutdown of the container.")
                .param("timeout", Schema.integer().optional().minimum(0).defaultValue(60).description("Wait maximal timeout seconds."))
                .param("forceStop", Schema.bool().optional().defaultValue(0).description("Make sure the Container stops."))
                .handler(ha("shutdown", wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    service().checkRunning(vmid);
                    long timeout = p.lng("timeout", 60);
                    boolean force = p.bool("forceStop", false);
                    return rc.startTask("vzshutdown", id(vmid), log -> service().shutdown(vmid, timeout, force, log::log));
                }))).build());
        m.add(power("reboot", "vm_reboot", "Reboot the container by shutting it down, and starting it again. Applies pending changes.")
                .param("timeout", Schema.integer().optional().minimum(0).description("Wait maximal timeout seconds for the shutdown."))
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    service().checkRunning(vmid);
                    long timeout = p.lng("timeout", 60);
                    return rc.startTask("vzreboot", id(vmid), log -> {
                        service().shutdown(vmid, timeout, true, log::log);
                        service().start(vmid, log::log);
                    });
                })).build());
        m.add(power("suspend", "vm_suspend", "Suspend the container. This is experimental.")
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    service().checkRunning(vmid);
                    return rc.startTask("vzsuspend", id(vmid), log -> service().suspend(vmid));
                })).build());
        m.add(power("resume", "vm_resume", "Resume the container.")
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    service().checkRunning(vmid);
                    return rc.startTask("vzresume", id(vmid), log -> service().resume(vmid));
                })).build());

        m.add(at(ApiMethod.get(CT + "/interfaces").name("ip").description("Get IP addresses of the specified container interface."))
                .returns(Schema.array(Schema.object().property("name", Schema.string()).property("hwaddr", Schema.string())))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    var r = service().runtime().exec(vmid, List.of("ip", "addr"), null);
                    if (!r.ok()) throw ApiException.error("unable to read the interfaces of CT " + vmid + ": " + r.stderr().strip());
                    return Interfaces.parse(r.stdout());
                })).build());
        m.add(GuestRoutes.feature(CT, () -> service().guests()));

        m.add(at(ApiMethod.put(CT + "/resize").name("resize_vm").description("Resize a container mount point."))
                .param("disk", Schema.string().enumValues(mountKeys()).description("The disk you want to resize."))
                .param("size", Schema.string().pattern("\\+?\\d+(\\.\\d+)?[KMGT]?").description("The new size."))
                .param("digest", Schema.string().optional().maxLength(40).description("Prevent changes if current configuration file has a different digest."))
                .returns(Schema.string())
                .permissions(Permission.permAny(VMS, "VM.Config.Disk"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    String disk = p.str("disk"), size = p.str("size"), digest = p.str("digest", null);
                    return rc.startTask("resize", id(vmid), log -> service().resize(vmid, disk, size, digest, log::log, log::warn));
                })).build());

        m.add(at(ApiMethod.post(CT + "/move_volume").name("move_volume").description("Move a rootfs-/mp-volume to a different storage or to a different container."))
                .param("volume", Schema.string().enumValues(volumeKeys()).description("Volume which will be moved."))
                .param("storage", StandardOptions.storageId().optional().description("Target Storage."))
                .param("delete", Schema.bool().optional().defaultValue(0).description("Delete the original volume after successful copy. By default the original is kept as an unused volume entry."))
                .param("digest", Schema.string().optional().maxLength(40).description("Prevent changes if current configuration file has different SHA1 digest. This can be used to prevent concurrent modifications."))
                .param("target-vmid", vmid().optional().description("The (unique) ID of the VM."))
                .param("target-volume", Schema.string().optional().enumValues(volumeKeys()).description("The config key the volume will be moved to. Default is the source volume key."))
                .param("target-digest", Schema.string().optional().maxLength(40).description("Prevent changes if current configuration file of the target container has a different SHA1 digest. This can be used to prevent concurrent modifications."))
                .param("bwlimit", Schema.number().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Config.Disk").withDescription("You need 'VM.Config.Disk' permissions on /vms/{vmid}, and 'Datastore.AllocateSpace' permissions on the storage. To move a volume to another container, you need the permissions on the target container as well."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    requireCt(vmid);
                    String volume = p.str("volume"), digest = p.str("digest", null);
                    if (p.has("target-vmid")) {
                        int target = p.integer("target-vmid");
                        String targetKey = p.str("target-volume", volume), targetDigest = p.str("target-digest", null);
                        if (!rc.userid().equals("root@pam")) rc.requirePermission("/vms/" + target, "VM.Config.Disk");
                        if (target == vmid) throw ApiException.error("Moving a volume to the same container is not possible. Did you mean to move the volume to a different storage?");
                        var mp = service().checkReassign(vmid, volume, target, targetKey, digest, targetDigest);
                        rc.requirePermission("/storage/" + mp.volume().substring(0, mp.volume().indexOf(':')), "Datastore.AllocateSpace");
                        return rc.startTask("move_volume", vmid + "-" + volume + ">" + target + "-" + targetKey,
                                log -> service().reassignVolume(vmid, volume, target, targetKey, digest, targetDigest, log::log));
                    }
                    if (!p.has("storage")) throw ApiException.error("Provide either a 'storage' to move the mount point to a different storage or "
                            + "'target-vmid' and 'target-mp' to move the mount point to another container");
                    String storage = p.str("storage");
                    VolumeIdCheck.checkAllocate(rc.authid(), rc::hasPermission, storage);
                    boolean delete = p.bool("delete", false);
                    return rc.startTask("move_volume", id(vmid), log -> service().moveVolume(vmid, volume, storage, delete, digest, log::log));
                })).build());

        m.addAll(new GuestRoutes(CT, "vz", () -> service().guests(), () -> service().snapshots()).methods());
        m.addAll(localTools());
        m.addAll(console.methods());
        m.addAll(migrate.methods());

        m.add(at(ApiMethod.post(CT + "/clone").name("clone_vm").description("Create a container clone/copy"))
                .param("newid", vmid().description("VMID for the clone."))
                .param("hostname", Schema.string().optional().format("dns-name").description("Set a hostname for the new CT."))
                .param("description", Schema.string().optional().description("Description for the new CT."))
                .param("full", Schema.bool().optional().description("Create a full copy of all disks."))
                .param("storage", StandardOptions.storageId().optional().description("Target storage for full clone."))
                .param("snapname", Schema.string().optional().format("pve-configid").maxLength(40).description("The name of the snapshot."))
                .param("target", StandardOptions.node().optional().description("Target node."))
                .param("pool", Schema.string().optional().format("pve-poolid").description("Add the new CT to the specified pool."))
                .param("bwlimit", Schema.number().optional().minimum(0).description("Override I/O bandwidth limit (in KiB/s)."))
                .returns(Schema.string())
                .permissions(Permission.and(Permission.perm(VMS, "VM.Clone"), Permission.or(Permission.perm("/vms/{newid}", "VM.Allocate"),
                        Permission.check("perm", "/pool/{pool}", List.of("VM.Allocate"), "require_param", "pool"))))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    int newid = p.integer("newid");
                    var cfg = service().store().load(vmid);
                    service().store().checkUnused(newid);
                    boolean full = p.has("full") ? p.bool("full", false) : !cfg.isTemplate();
                    if (!full && !cfg.isTemplate()) throw ApiException.param("full", "linked clone feature for non-template is not available");
                    String name = p.str("hostname", null), desc = p.str("description", null), storage = p.str("storage", null), snap = p.str("snapname", null);
                    String target = p.str("target", null);
                    GuestClone clone = new GuestClone(service().guests());
                    clone.checkTargetNode(vmid, snap, storage, target);
                    return rc.startTask("vzclone", id(vmid), log -> clone.clone(vmid, newid, name, desc, full, storage, null, snap, target, log::log));
                })).build());
        return m;
    }

    /**
     * Haven's additions for what {@code pct} runs on the node itself in PVE ({@code unlock}, {@code mount},
     * {@code unmount}, {@code df}, {@code fsck}, {@code cpusets}): root only, on the container's node.
     */
    List<ApiMethod> localTools() {
        List<ApiMethod> m = new ArrayList<>();
        m.add(local(ApiMethod.post(CT + "/unlock").name("unlock").description("Unlock the container (pct unlock)."), Schema.nullType()).protect()
                .handler(wrap((p, rc) -> { service().removeLock(p.integer("vmid"), null); return null; })).build());
        m.add(local(ApiMethod.post(CT + "/mount").name("mount").description("Mount the container's file systems on the host (pct mount)."), Schema.string()).protect()
                .handler(wrap((p, rc) -> "mounted CT " + p.integer("vmid") + " in '" + service().mount(p.integer("vmid")) + "'")).build());
        m.add(local(ApiMethod.post(CT + "/unmount").name("unmount").description("Unmount the container's file systems (pct unmount)."), Schema.nullType()).protect()
                .handler(wrap((p, rc) -> { service().unmount(p.integer("vmid")); return null; })).build());
        m.add(local(ApiMethod.get(CT + "/df").name("df").description("Disk usage of the container's mount points (pct df)."),
                Schema.array(Schema.object().property("mp", Schema.string()).property("volume", Schema.string()).property("path", Schema.string())
                        .property("total", Schema.integer()).property("used", Schema.integer()).property("avail", Schema.integer())))
                .handler(wrap((p, rc) -> service().df(p.integer("vmid")))).build());
        m.add(local(ApiMethod.post(CT + "/fstrim").name("fstrim").description("Run fstrim on the container and its mount points, excluding bind mounts (pct fstrim)."),
                Schema.array(Schema.string())).protect()
                .param("ignore-mountpoints", Schema.bool().optional().description("Skip all mountpoints, only do fstrim on the container root."))
                .handler(wrap((p, rc) -> service().fstrim(p.integer("vmid"), p.bool("ignore-mountpoints", false)))).build());
        m.add(local(ApiMethod.post(CT + "/fsck").name("fsck").description("Run a file system check on a container volume (pct fsck)."), Schema.string()).protect()
                .param("device", Schema.string().optional().enumValues(mountKeys()).defaultValue("rootfs").description("A volume on which to run the file system check"))
                .param("force", Schema.bool().optional().defaultValue(0).description("Force checking, even if the filesystem seems clean"))
                .handler(wrap((p, rc) -> service().fsck(p.integer("vmid"), p.str("device", "rootfs"), p.bool("force", false)))).build());
        m.add(ApiMethod.post(BASE + "/rescan").name("rescan").description("Rescan all storages and update disk sizes and unused disk images (pct rescan).")
                .param("node", StandardOptions.node())
                .param("vmid", vmid().optional().description("Only rescan this container."))
                .param("dryrun", Schema.bool().optional().defaultValue(0).description("Do not actually write changes out to container configs."))
                .returns(Schema.array(Schema.string()))
                .permissions(Permission.rootOnly()).proxyto("node").protect()
                .handler(wrap((p, rc) -> service().rescan(p.has("vmid") ? p.integer("vmid") : null, p.bool("dryrun", false)))).build());
        m.add(ApiMethod.get(BASE + "/cpusets").name("cpusets").description("The CPUs assigned to the running containers (pct cpusets).")
                .param("node", StandardOptions.node())
                .returns(Schema.array(Schema.object().property("vmid", Schema.integer()).property("cpus", Schema.array(Schema.integer()))))
                .permissions(Permission.rootOnly()).proxyto("node")
                .handler(wrap((p, rc) -> service().cpusets().entrySet().stream()
                        .map(e -> Map.<String, Object>of("vmid", e.getKey(), "cpus", List.copyOf(e.getValue()))).toList())).build());
        return m;
    }

    private static ApiMethod.Builder local(ApiMethod.Builder b, Schema returns) {
        return at(b).returns(returns).permissions(Permission.rootOnly()).proxyto("node");
    }

    /** Power action {@code action} of a container, asking HA first whether it manages the container. */
    private Handler ha(String action, Handler handler) { return HaRequests.routed(wiring.ha(), "ct", action, handler); }

    private static ApiMethod.Builder power(String action, String name, String description) {
        return at(ApiMethod.post(CT + "/status/" + action).name(name).description(description))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.PowerMgmt"))
                .proxyto("node").protect();
    }

    /**
     * {@code restore=1}: the backup archive {@code ostemplate} restored as container {@code vmid} in a
     * {@code vzrestore} task, the given options over the archived config; an existing container is replaced only
     * with {@code force}.
     */
    private String restore(Params p, RequestContext rc, int vmid, Map<String, String> opts) {
        GuestBackups backups = wiring.backups()
                .orElseThrow(() -> new ApiException(501, "restore from a backup archive is not available"));
        String archive = p.str("ostemplate");
        boolean force = p.bool("force", false);
        if (!force) service().store().checkUnused(vmid);
        checkAccess(rc, vmid, opts, List.of(), null);
        if (!archive.startsWith("/")) {
            StorageManager sm = service().runtime().volumes().storage();
            if (sm.parseVolname(archive).vtype() != org.haven.storage.ContentType.BACKUP)
                throw ApiException.param("ostemplate", "volume '" + archive + "' is not a backup archive");
            rc.requirePermission("/storage/" + archive.substring(0, archive.indexOf(':')), "Datastore.AllocateSpace");
        } else if (!rc.userid().equals("root@pam") && !rc.viaCli()) {
            throw ApiException.forbidden("Only root can pass arbitrary filesystem paths.");
        }
        var options = new GuestBackups.RestoreOptions(p.str("storage", null), p.bool("unique", false), force, opts,
                p.has("bwlimit") ? Math.round(p.dbl("bwlimit", 0)) : null, org.haven.guest.migrate.BandwidthLimit.Rights.of(rc));
        boolean start = p.bool("start", false);
        return rc.startTask("vzrestore", id(vmid), log -> {
            backups.restore(service().guests(), archive, vmid, options, log::log);
            if (start) service().start(vmid, log::log);
        });
    }

    /** An {@code ostemplate}: a {@code vztmpl} volume ({@code local:vztmpl/x.tar.zst}) or an absolute path. */
    private Path templatePath(String ostemplate) {
        if (ostemplate.startsWith("/")) return Path.of(ostemplate);
        StorageManager sm = service().runtime().volumes().storage();
        if (sm.parseVolname(ostemplate).vtype() != org.haven.storage.ContentType.VZTMPL)
            throw ApiException.param("ostemplate", "volume '" + ostemplate + "' is not a container template");
        return Path.of(sm.path(ostemplate));
    }

    // ---- cluster resources ----------------------------------------------------------------------------

    List<Map<String, Object>> resources(RequestContext rc) {
        return GuestRoutes.resources(rc, service().guests(), service().runtime()::status, "hostname", "CT");
    }
}
