package org.haven.guest.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.Handler;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;
import org.haven.guest.GuestService;
import org.haven.guest.clone.GuestClone;
import org.haven.guest.config.GuestException;
import org.haven.guest.snapshot.GuestSnapshots;
import org.haven.storage.StorageException;

/**
 * The API methods every guest type exposes the same way below {@code /nodes/{node}/<typeWord>/{vmid}}: pending
 * values, the snapshot tree and templates, declared once over the framework. A type passes its task prefix
 * ({@code qm}, {@code vz}: {@code vzsnapshot}, {@code vzrollback}, …) and adds its own clone method, whose
 * parameters differ between types.
 */
public final class GuestRoutes {
    private static final String VMS = "/vms/{vmid}";

    private final String base;
    private final String taskPrefix;
    private final Supplier<GuestService> guests;
    private final Supplier<GuestSnapshots> snapshots;

    /**
     * @param base       {@code /nodes/{node}/lxc/{vmid}}
     * @param taskPrefix {@code vz} for containers, {@code qm} for VMs
     */
    public GuestRoutes(String base, String taskPrefix, Supplier<GuestService> guests, Supplier<GuestSnapshots> snapshots) {
        this.base = base;
        this.taskPrefix = taskPrefix;
        this.guests = guests;
        this.snapshots = snapshots;
    }

    /** Run {@code h}, turning guest and storage errors into API errors. */
    public static Handler wrap(Handler h) {
        return (p, rc) -> {
            try {
                return h.handle(p, rc);
            } catch (GuestException e) {
                if (!e.errors().isEmpty()) throw new ParamException(e.errors());
                throw new ApiException(e.status(), e.getMessage());
            } catch (StorageException e) {
                if (!e.fieldErrors().isEmpty()) throw new ParamException(e.fieldErrors());
                throw ApiException.error(e.getMessage());
            }
        };
    }

    private static Schema vmid() { return StandardOptions.vmid(); }

    /**
     * The {@code /cluster/resources} entries of one guest type's guests that {@code rc} may audit: the local ones with
     * their {@code status} (the type's status object), the others from their config ({@code nameKey}, else
     * {@code <fallbackName><vmid>}) with status {@code unknown}.
     */
    public static List<Map<String, Object>> resources(RequestContext rc, GuestService guests, Function<Integer, Map<String, Object>> status,
                                                      String nameKey, String fallbackName) {
        List<Map<String, Object>> out = new ArrayList<>();
        var store = guests.store();
        String type = guests.type().typeWord();
        for (var e : store.list().entrySet()) {
            int vmid = e.getKey();
            if (!rc.hasPermission("/vms/" + vmid, false, "VM.Audit")) continue;
            LinkedHashMap<String, Object> r = new LinkedHashMap<>();
            r.put("id", type + "/" + vmid);
            r.put("type", type);
            r.put("node", e.getValue());
            r.put("vmid", vmid);
            try {
                if (e.getValue().equals(store.localNode())) {
                    Map<String, Object> st = status.apply(vmid);
                    for (String k : List.of("name", "status", "maxmem", "mem", "cpu", "uptime", "maxdisk", "netin", "netout", "diskread", "diskwrite"))
                        r.put(k, st.get(k));
                    r.put("disk", st.getOrDefault("disk", 0));
                    r.put("maxcpu", st.get("cpus"));
                    r.put("template", st.containsKey("template") ? 1 : 0);
                    guests.haResource(vmid).ifPresent(ha -> r.put("hastate", ha.getOrDefault("state", "started")));
                    if (st.get("tags") != null) r.put("tags", st.get("tags"));
                    if (st.get("lock") != null) r.put("lock", st.get("lock"));
                } else {
                    var cfg = store.load(e.getValue(), vmid);
                    r.put("name", cfg.get(nameKey).orElse(fallbackName + vmid));
                    r.put("status", "unknown");
                    r.put("template", cfg.isTemplate() ? 1 : 0);
                }
            } catch (RuntimeException ex) {
                continue;
            }
            out.add(r);
        }
        return out;
    }

    private String word() { return guests.get().type().guestWord(); }

    private ApiMethod.Builder at(ApiMethod.Builder b) { return b.param("node", StandardOptions.node()).param("vmid", vmid()); }

    /** pending, the snapshot methods and template. */
    public List<ApiMethod> methods() {
        List<ApiMethod> m = new ArrayList<>();
        m.add(at(ApiMethod.get(base + "/pending").name("vm_pending").description("Get the configuration with both current and pending values."))
                .returns(Schema.array(Schema.object().property("key", Schema.string())))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> guests.get().pending(p.integer("vmid")))).build());
        snapshotMethods(m);
        m.add(at(ApiMethod.post(base + "/template").name("template").description("Create a Template."))
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Allocate"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    GuestService g = guests.get();
                    var cfg = g.store().load(vmid);
                    g.store().checkLock(cfg);
                    if (cfg.isTemplate()) throw ApiException.error(word() + " " + vmid + " is already a template");
                    if (g.type().isRunning(vmid)) throw ApiException.error("you can't convert a running " + word() + " to a template");
                    rc.startTask(taskPrefix + "template", Integer.toString(vmid), log -> new GuestClone(g).template(vmid, log::log));
                    return null;
                })).build());
        return m;
    }

    /**
     * {@code GET <base>/feature}: whether every volume of the guest (or of one of its snapshots) supports snapshots,
     * clones or copies, as PVE's {@code vm_feature}.
     */
    public static ApiMethod feature(String base, Supplier<GuestService> guests) {
        return ApiMethod.get(base + "/feature").name("vm_feature").description("Check if feature for virtual machine is available.")
                .param("node", StandardOptions.node()).param("vmid", vmid())
                .param("feature", Schema.string().enumValues("snapshot", "clone", "copy").description("Feature to check."))
                .param("snapname", Schema.string().optional().format("pve-configid").maxLength(40).description("The name of the snapshot."))
                .returns(Schema.object().property("hasFeature", Schema.bool()).property("nodes", Schema.array(Schema.string())))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> {
                    GuestService g = guests.get();
                    int vmid = p.integer("vmid");
                    var cfg = g.store().load(vmid);
                    String snap = p.str("snapname", null);
                    var section = snap == null ? cfg.current() : cfg.snapshots().get(snap);
                    if (section == null) throw ApiException.error("snapshot '" + snap + "' does not exist");
                    org.haven.storage.spi.Feature f = org.haven.storage.spi.Feature.valueOf(p.str("feature").toUpperCase(java.util.Locale.ROOT));
                    boolean running = g.type().isRunning(vmid);
                    boolean has = org.haven.guest.GuestVolumes.disks(g.type().volumeKeys(), section).values().stream()
                            .allMatch(v -> g.volumes().hasFeature(f, v, snap, running));
                    return Map.of("hasFeature", has ? 1 : 0, "nodes", List.of());
                })).build();
    }

    private void snapshotMethods(List<ApiMethod> m) {
        Schema snapname = Schema.string().format("pve-configid").maxLength(40).description("The name of the snapshot.");
        String snap = base + "/snapshot";
        m.add(at(ApiMethod.get(snap).name("list").description("List all snapshots."))
                .returns(Schema.array(Schema.object().property("name", Schema.string())))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> snapshots.get().list(p.integer("vmid")))).build());
        m.add(at(ApiMethod.post(snap).name("snapshot").description("Snapshot a guest."))
                .param("snapname", snapname)
                .param("description", Schema.string().optional().description("A textual description or comment."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Snapshot"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    String name = p.str("snapname");
                    var cfg = guests.get().store().load(vmid);
                    if (name.equals("current")) throw ApiException.param("snapname", "invalid snapshot name");
                    if (cfg.snapshots().containsKey(name)) throw ApiException.error("snapshot name '" + name + "' already used");
                    String description = p.str("description", null);
                    return rc.startTask(taskPrefix + "snapshot", Integer.toString(vmid), log -> snapshots.get().create(vmid, name, false, description, log::log));
                })).build());
        m.add(at(ApiMethod.get(snap + "/{snapname}").name("snapshot_cmd_idx").description("")).param("snapname", snapname)
                .returns(Schema.array(Schema.object()))
                .permissions(Permission.perm(VMS, "VM.Audit"))
                .handler(wrap((p, rc) -> List.of(Map.of("cmd", "rollback"), Map.of("cmd", "config")))).build());
        m.add(at(ApiMethod.delete(snap + "/{snapname}").name("delsnapshot").description("Delete a snapshot.")).param("snapname", snapname)
                .param("force", Schema.bool().optional().description("For removal from config file, even if removing disk snapshots fails."))
                .returns(Schema.string())
                .permissions(Permission.perm(VMS, "VM.Snapshot"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    String name = p.str("snapname");
                    requireSnapshot(vmid, name);
                    boolean force = p.bool("force", false);
                    return rc.startTask(taskPrefix + "delsnapshot", Integer.toString(vmid), log -> snapshots.get().delete(vmid, name, force, log::log));
                })).build());
        m.add(at(ApiMethod.get(snap + "/{snapname}/config").name("get_snapshot_config").description("Get snapshot configuration")).param("snapname", snapname)
                .returns(Schema.object())
                .permissions(Permission.permAny(VMS, "VM.Snapshot", "VM.Snapshot.Rollback", "VM.Audit"))
                .proxyto("node")
                .handler(wrap((p, rc) -> snapshots.get().config(p.integer("vmid"), p.str("snapname")))).build());
        m.add(at(ApiMethod.put(snap + "/{snapname}/config").name("update_snapshot_config").description("Update snapshot metadata.")).param("snapname", snapname)
                .param("description", Schema.string().optional().description("A textual description or comment."))
                .returns(Schema.nullType())
                .permissions(Permission.perm(VMS, "VM.Snapshot"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    if (p.has("description")) snapshots.get().setDescription(p.integer("vmid"), p.str("snapname"), p.str("description"));
                    return null;
                })).build());
        m.add(at(ApiMethod.post(snap + "/{snapname}/rollback").name("rollback").description("Rollback to a snapshot.")).param("snapname", snapname)
                .param("start", Schema.bool().optional().defaultValue(0).description("Whether the guest should get started after rolling back successfully."))
                .returns(Schema.string())
                .permissions(Permission.permAny(VMS, "VM.Snapshot", "VM.Snapshot.Rollback"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    int vmid = p.integer("vmid");
                    String name = p.str("snapname");
                    requireSnapshot(vmid, name);
                    boolean start = p.bool("start", false);
                    return rc.startTask(taskPrefix + "rollback", Integer.toString(vmid), log -> snapshots.get().rollback(vmid, name, start, log::log));
                })).build());
    }

    private void requireSnapshot(int vmid, String name) {
        if (!guests.get().store().load(vmid).snapshots().containsKey(name)) throw ApiException.error("snapshot '" + name + "' does not exist");
    }
}
