package org.haven.storage.api;

import static org.haven.storage.api.StorageApi.wrap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
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
import org.haven.storage.prune.PruneOptions;
import org.haven.storage.spi.StoragePlugin;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.FileLayout;
import org.haven.storage.volume.VolumeId;
import org.haven.storage.volume.VolumeIdCheck;
import org.haven.storage.volume.VolumeName;

/** The method declarations and handlers of {@link StorageApi}. */
final class StorageApiMethods {
    private final StorageManager sm;

    StorageApiMethods(StorageManager sm) { this.sm = sm; }

    static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("path", "File system path."), Map.entry("content-dirs", "Overrides for default content type directories."),
            Map.entry("nodes", "List of nodes for which the storage configuration applies."),
            Map.entry("shared", "Indicate that this is a single storage with the same contents on all nodes (or all listed in 'nodes')."),
            Map.entry("disable", "Flag to disable the storage."), Map.entry("maxfiles", "Deprecated: use 'prune-backups' instead."),
            Map.entry("prune-backups", "The retention options; keep-all or counts per period."),
            Map.entry("max-protected-backups", "Maximal number of protected backups per guest. Use '-1' for unlimited."),
            Map.entry("content", "Allowed content types."), Map.entry("format", "Default image format."),
            Map.entry("mkdir", "Create the directory if it doesn't exist (deprecated)."),
            Map.entry("create-base-path", "Create the base directory if it doesn't exist."),
            Map.entry("create-subdirs", "Populate the directory with the default structure."),
            Map.entry("is_mountpoint", "Assume the given path is an externally managed mountpoint; 'yes' or a path."),
            Map.entry("bwlimit", "Set I/O bandwidth limit for various operations (in KiB/s)."),
            Map.entry("preallocation", "Preallocation mode for raw and qcow2 images."),
            Map.entry("server", "Server IP or DNS name."), Map.entry("server2", "Backup volfile server IP or DNS name."),
            Map.entry("export", "NFS export path."), Map.entry("options", "NFS/CIFS mount options."),
            Map.entry("share", "CIFS share."), Map.entry("subdir", "Subdir to mount."), Map.entry("username", "RBD Id / user name."),
            Map.entry("password", "Password for accessing the share/datastore."), Map.entry("domain", "CIFS domain."),
            Map.entry("smbversion", "SMB protocol version."), Map.entry("volume", "Glusterfs Volume."),
            Map.entry("transport", "Gluster transport: tcp, rdma or unix."), Map.entry("vgname", "Volume group name."),
            Map.entry("saferemove", "Zero-out data when removing LVs."), Map.entry("saferemove_throughput", "Wipe throughput (cstream -t parameter value)."),
            Map.entry("base", "Base volume. This volume is automatically activated."),
            Map.entry("tagged_only", "Only use logical volumes tagged with 'pve-vm-ID'."), Map.entry("thinpool", "LVM thin pool LV name."),
            Map.entry("nocow", "Set the NOCOW flag on files."), Map.entry("pool", "Pool."), Map.entry("blocksize", "block size"),
            Map.entry("sparse", "Use sparse volumes."), Map.entry("mountpoint", "Mount point of the pool."),
            Map.entry("portal", "iSCSI portal (IP or DNS name with optional port)."), Map.entry("target", "iSCSI target."),
            Map.entry("iscsiprovider", "iSCSI provider of the ZFS host."), Map.entry("nowritecache", "Disable write caching on the target."),
            Map.entry("comstar_hg", "Host group for comstar views."), Map.entry("comstar_tg", "Target group for comstar views."),
            Map.entry("lio_tpg", "Target portal group for Linux LIO targets."), Map.entry("krbd", "Always access rbd through the krbd kernel module."),
            Map.entry("data-pool", "Data Pool (for erasure coding only)."), Map.entry("namespace", "Namespace."),
            Map.entry("monhost", "IP addresses of monitors (for external clusters)."), Map.entry("keyring", "Client keyring contents (for external clusters)."),
            Map.entry("fs-name", "The Ceph filesystem name."), Map.entry("fuse", "Mount CephFS through FUSE."),
            Map.entry("datastore", "Proxmox Backup Server datastore name."), Map.entry("port", "Non-default port."),
            Map.entry("encryption-key", "Encryption key. Use 'autogen' to generate one automatically without passphrase."),
            Map.entry("master-pubkey", "Base64-encoded, PEM-formatted public RSA key."),
            Map.entry("fingerprint", "Certificate SHA 256 fingerprint."));

    /** The API schema of a storage property. */
    static Schema schemaOf(PropertyDef d) {
        Schema s = switch (d.kind()) {
            case BOOLEAN -> Schema.bool();
            case INTEGER -> {
                Schema i = Schema.integer();
                if (d.min() != Long.MIN_VALUE) i.minimum(d.min());
                if (d.max() != Long.MAX_VALUE) i.maximum(d.max());
                yield i;
            }
            case ENUM -> Schema.string().enumValues(d.enumValues());
            case CONTENT_LIST -> Schema.string().format("pve-storage-content-list");
            case NODE_LIST -> Schema.string().format("pve-node-list");
            case PATH -> Schema.string().format("pve-storage-path");
            case PRUNE -> Schema.string().format("prune-backups");
            case VOLUME_ID -> Schema.string().format("pve-volume-id");
            case PORTAL -> Schema.string().format("pve-storage-portal-dns");
            case PORTAL_LIST -> Schema.string().format("pve-storage-portal-dns-list");
            case SERVER -> Schema.string().format("pve-storage-server");
            case VGNAME -> Schema.string().format("pve-storage-vgname");
            case CONFIG_ID -> Schema.string().format("pve-configid");
            case FINGERPRINT -> Schema.string().pattern("([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2}");
            case OPTIONS -> Schema.string().format("pve-storage-options");
            case DIR_OVERRIDES -> Schema.string().format("pve-dir-override-list");
            default -> Schema.string();
        };
        if (d.name().equals("server2")) s.requires("server");
        return s.optional().description(DESCRIPTIONS.getOrDefault(d.name(), d.name()));
    }

    static boolean alwaysFixed(String property) {
        boolean any = false;
        for (StorageType t : StorageType.values()) {
            StorageType.Option o = t.options().get(property);
            if (o == null) continue;
            if (!o.fixed()) return false;
            any = true;
        }
        return any;
    }

    static Schema storageParam() { return StandardOptions.storageId(); }

    static Schema nodeParam() { return StandardOptions.node(); }

    static String typeList() {
        return String.join(", ", Arrays.stream(StorageType.values()).map(StorageType::id).sorted().toList());
    }

    List<ApiMethod> all() {
        List<ApiMethod> m = new ArrayList<>();
        m.addAll(configMethods());
        m.addAll(nodeMethods());
        m.addAll(scanMethods());
        return m;
    }

    // ---- /storage ------------------------------------------------------------------------------------------------

    /** The configuration of one storage as the API returns it. */
    static Map<String, Object> configView(StorageEntry e, String digest) {
        Map<String, Object> out = new TreeMap<>();
        out.put("storage", e.id());
        out.put("type", e.type().id());
        if (digest != null) out.put("digest", digest);
        for (var kv : e.raw().entrySet()) {
            PropertyDef d = StorageType.PROPERTIES.get(kv.getKey());
            if (d == null || d.sensitive()) continue;
            Object v = kv.getValue();
            if (d.kind() == PropertyDef.Kind.BOOLEAN) v = e.flag(kv.getKey(), false) ? 1 : 0;
            else if (d.kind() == PropertyDef.Kind.INTEGER) {
                try { v = Long.parseLong(kv.getValue()); } catch (NumberFormatException ignored) { }
            }
            out.put(kv.getKey(), v);
        }
        out.put("content", contentString(e));
        if (e.type().alwaysShared()) out.put("shared", 1);
        return out;
    }

    static String contentString(StorageEntry e) {
        Set<String> cts = new TreeSet<>();
        for (ContentType c : e.content()) cts.add(c.id());
        return cts.isEmpty() ? "none" : String.join(",", cts);
    }

    /** Parameters as storage.cfg strings (booleans 1/0). */
    static Map<String, String> asStrings(Params p, Set<String> skip) {
        Map<String, String> out = new TreeMap<>();
        for (var e : p.asMap().entrySet()) {
            if (skip.contains(e.getKey()) || e.getValue() == null) continue;
            Object v = e.getValue();
            out.put(e.getKey(), v instanceof Boolean b ? (b ? "1" : "0") : String.valueOf(v));
        }
        return out;
    }

    List<ApiMethod> configMethods() {
        List<ApiMethod> m = new ArrayList<>();
        m.add(ApiMethod.get("/storage").name("index").description("Storage index.")
                .param("type", Schema.string().optional().enumValues(Arrays.stream(StorageType.values()).map(StorageType::id).sorted().toList())
                        .description("Only list storage of specific type"))
                .returns(Schema.array(Schema.object().property("storage", Schema.string())))
                .permissions(Permission.all("Only list entries where you have 'Datastore.Audit' or 'Datastore.AllocateSpace' permissions on '/storage/<storage>'"))
                .handler(wrap((p, rc) -> {
                    StorageConfig cfg = sm.config();
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (StorageEntry e : cfg.entries()) {
                        if (p.has("type") && !e.type().id().equals(p.str("type"))) continue;
                        if (!rc.hasPermission("/storage/" + e.id(), true, "Datastore.Audit", "Datastore.AllocateSpace")) continue;
                        out.add(configView(e, cfg.digest()));
                    }
                    out.sort((a, b) -> ((String) a.get("storage")).compareTo((String) b.get("storage")));
                    return out;
                })).build());

        m.add(ApiMethod.get("/storage/{storage}").name("read").description("Read storage configuration.")
                .param("storage", storageParam())
                .returns(Schema.object())
                .permissions(Permission.perm("/storage/{storage}", "Datastore.Allocate"))
                .handler(wrap((p, rc) -> {
                    StorageConfig cfg = sm.config();
                    return configView(cfg.require(p.str("storage")), cfg.digest());
                })).build());

        ApiMethod.Builder create = ApiMethod.post("/storage").name("create").description("Create a new storage.")
                .param("storage", storageParam())
                .param("type", Schema.string().enumValues(Arrays.stream(StorageType.values()).map(StorageType::id).sorted().toList())
                        .description("Storage type."))
                .returns(Schema.object().property("storage", Schema.string()).property("type", Schema.string())
                        .property("config", Schema.object().optional()))
                .permissions(Permission.perm("/storage", "Datastore.Allocate"))
                .protect();
        for (PropertyDef d : StorageType.PROPERTIES.values()) create.param(d.name(), schemaOf(d));
        m.add(create.handler(wrap(this::create)).build());

        ApiMethod.Builder update = ApiMethod.put("/storage/{storage}").name("update").description("Update storage configuration.")
                .param("storage", storageParam())
                .param("delete", Schema.string().format("pve-configid-list").optional().description("A list of settings you want to delete."))
                .param("digest", StandardOptions.configDigest())
                .returns(Schema.object().property("storage", Schema.string()).property("type", Schema.string()))
                .permissions(Permission.perm("/storage", "Datastore.Allocate"))
                .protect();
        // properties fixed for every type that has them cannot be changed, so they are not parameters of update
        for (PropertyDef d : StorageType.PROPERTIES.values()) if (!alwaysFixed(d.name())) update.param(d.name(), schemaOf(d));
        m.add(update.handler(wrap(this::update)).build());

        m.add(ApiMethod.delete("/storage/{storage}").name("delete").description("Delete storage configuration.")
                .param("storage", storageParam())
                .permissions(Permission.perm("/storage", "Datastore.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> {
                    String id = p.str("storage");
                    sm.modifyConfig(null, cfg -> {
                        cfg.require(id);
                        for (StorageEntry e : cfg.entries()) {
                            String base = e.get("base").orElse("");
                            if (!e.id().equals(id) && base.startsWith(id + ":"))
                                throw new StorageException("can't remove storage - storage is used as base of another storage");
                        }
                        cfg.remove(id);
                        return null;
                    });
                    Map<String, String> drop = new TreeMap<>();
                    for (String k : List.of("password", "keyring", "encryption-key", "master-pubkey")) drop.put(k, null);
                    sm.storeSecrets(id, drop);
                    return null;
                })).build());
        return m;
    }

    private Object create(Params p, RequestContext rc) {
        String id = p.str("storage");
        String type = p.str("type");
        Map<String, String> params = asStrings(p, Set.of("storage", "type"));
        StorageType t = StorageType.of(type).orElse(null);
        if (t != null && (t == StorageType.NFS || t == StorageType.CIFS || t == StorageType.CEPHFS) && !params.containsKey("path"))
            params.put("path", MountedDirPlugin.defaultMountPoint(id));
        Map<String, String> secrets = sm.modifyConfig(null, cfg -> {
            Map<String, String> sec = cfg.create(type, id, params);
            StorageEntry e = cfg.require(id);
            if (!e.disabled() && e.availableOn(sm.nodeName())) {
                try {
                    sm.plugin(e).activateStorage(e);
                } catch (StorageException ex) {
                    throw new StorageException("create storage failed: " + ex.getMessage(), ex);
                }
            }
            return sec;
        });
        sm.storeSecrets(id, secrets);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("storage", id);
        out.put("type", type);
        return out;
    }

    private Object update(Params p, RequestContext rc) {
        String id = p.str("storage");
        Map<String, String> params = asStrings(p, Set.of("storage", "delete", "digest"));
        List<String> delete = p.has("delete") ? List.of(p.str("delete")) : List.of();
        String[] type = new String[1];
        Map<String, String> secrets = sm.modifyConfig(p.str("digest", null), cfg -> {
            type[0] = cfg.require(id).type().id();
            return cfg.update(id, params, delete);
        });
        sm.storeSecrets(id, secrets);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("storage", id);
        out.put("type", type[0]);
        return out;
    }

    // ---- /nodes/{node}/storage ------------------------------------------------------------------------------------

    static Map<String, Object> statusView(StorageEntry e, StorageStatus st, boolean enabled) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("storage", e.id());
        out.put("type", e.type().id());
        out.put("content", contentString(e));
        out.put("shared", e.shared() ? 1 : 0);
        out.put("enabled", enabled ? 1 : 0);
        out.put("active", st.active() ? 1 : 0);
        out.put("total", st.total());
        out.put("used", st.used());
        out.put("avail", st.avail());
        if (st.active() && st.total() > 0) out.put("used_fraction", (double) st.used() / st.total());
        return out;
    }

    StorageEntry checkNode(Params p) {
        String node = p.str("node");
        if (!node.equals(sm.nodeName()) && !node.equals("localhost"))
            throw new ApiException(500, "storage requests must be sent to node '" + node + "'");
        return null;
    }

    List<ApiMethod> nodeMethods() {
        List<ApiMethod> m = new ArrayList<>();
        m.add(ApiMethod.get("/nodes/{node}/storage").name("index").description("Get status for all datastores.")
                .param("node", nodeParam())
                .param("storage", storageParam().optional().description("Only list status for specified storage"))
                .param("content", Schema.string().format("pve-storage-content-list").optional()
                        .description("Only list stores which support this content type."))
                .param("enabled", Schema.bool().optional().defaultValue(0).description("Only list stores which are enabled (not disabled in config)."))
                .param("target", StandardOptions.node().optional().description("If target is different to 'node', we only lists shared storages which content is accessible on this 'node' and the specified 'target' node."))
                .param("format", Schema.bool().optional().defaultValue(0).description("Include information about formats"))
                .returns(Schema.array(Schema.object()
                        .property("storage", StandardOptions.storageId())
                        .property("type", Schema.string().description("Storage type."))
                        .property("content", Schema.string().format("pve-storage-content-list").description("Allowed storage content types."))
                        .property("active", Schema.bool().optional().description("Set when storage is accessible."))
                        .property("enabled", Schema.bool().optional().description("Set when storage is enabled (not disabled)."))
                        .property("shared", Schema.bool().optional().description("Shared flag from storage configuration."))
                        .property("total", Schema.integer().optional().attr("renderer", "bytes").description("Total storage space in bytes."))
                        .property("used", Schema.integer().optional().attr("renderer", "bytes").description("Used storage space in bytes."))
                        .property("avail", Schema.integer().optional().attr("renderer", "bytes").description("Available storage space in bytes."))
                        .property("used_fraction", Schema.number().optional().attr("renderer", "fraction_as_percentage").description("Used fraction (used/total)."))))
                .permissions(Permission.all("Only list entries where you have 'Datastore.Audit' or 'Datastore.AllocateSpace' permissions on '/storage/<storage>'"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    StorageConfig cfg = sm.config();
                    Set<ContentType> want = new TreeSet<>();
                    if (p.has("content")) for (String c : p.str("content").split("[,;\\s]+")) ContentType.of(c).ifPresent(want::add);
                    String target = p.str("target", null);
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (StorageEntry e : cfg.entries()) {
                        if (p.has("storage") && !p.str("storage").equals(e.id())) continue;
                        if (!rc.hasPermission("/storage/" + e.id(), true, "Datastore.Audit", "Datastore.AllocateSpace")) continue;
                        if (!e.availableOn(sm.nodeName())) continue;
                        if (target != null && !target.equals(sm.nodeName()) && (!e.shared() || !e.availableOn(target))) continue;
                        if (!want.isEmpty() && want.stream().noneMatch(e.content()::contains)) continue;
                        boolean enabled = !e.disabled();
                        if (p.bool("enabled", false) && !enabled) continue;
                        StorageStatus st = enabled ? sm.status(e.id()) : StorageStatus.INACTIVE;
                        if (p.bool("enabled", false) && !st.active()) continue;
                        Map<String, Object> row = statusView(e, st, enabled);
                        if (p.bool("format", false) && !e.type().formats().isEmpty()) {
                            Map<String, Object> f = new LinkedHashMap<>();
                            f.put("default", e.format());
                            Map<String, Object> valid = new TreeMap<>();
                            for (String x : e.type().formats()) valid.put(x, 1);
                            f.put("format", List.of(valid, e.format()));
                            row.put("format", f);
                        }
                        out.add(row);
                    }
                    out.sort((a, b) -> ((String) a.get("storage")).compareTo((String) b.get("storage")));
                    return out;
                })).build());

        m.add(ApiMethod.get("/nodes/{node}/storage/{storage}").name("diridx").description("")
                .param("node", nodeParam()).param("storage", storageParam())
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())).attr("links", List.of(Map.of("href", "{subdir}", "rel", "child"))))
                .permissions(Permission.permAny("/storage/{storage}", "Datastore.Audit", "Datastore.AllocateSpace"))
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    sm.storage(p.str("storage"));
                    // PVE's list, also where a storage cannot do all of them
                    return List.of("content", "download-url", "file-restore", "import-metadata", "prunebackups", "rrd", "rrddata",
                            "status", "upload").stream().map(d -> Map.of("subdir", d)).toList();
                })).build());

        m.add(ApiMethod.get("/nodes/{node}/storage/{storage}/status").name("read_status").description("Read storage status.")
                .param("node", nodeParam()).param("storage", storageParam())
                .returns(Schema.object())
                .permissions(Permission.permAny("/storage/{storage}", "Datastore.Audit", "Datastore.AllocateSpace"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    StorageEntry e = sm.storage(p.str("storage"));
                    if (!e.availableOn(sm.nodeName()))
                        throw new StorageException("storage '" + e.id() + "' is not available on node '" + sm.nodeName() + "'");
                    Map<String, Object> v = statusView(e, e.disabled() ? StorageStatus.INACTIVE : sm.status(e.id()), !e.disabled());
                    v.remove("storage");
                    return v;
                })).build());

        m.add(ApiMethod.get("/nodes/{node}/storage/{storage}/content").name("index").description("List storage content.")
                .param("node", nodeParam()).param("storage", storageParam())
                .param("content", Schema.string().format("pve-storage-content").optional().description("Only list content of this type."))
                .param("vmid", StandardOptions.vmid().optional().description("Only list images for this VM"))
                .returns(Schema.array(Schema.object()
                        .property("volid", Schema.string().description("Volume identifier."))
                        .property("format", Schema.string().description("Format identifier ('raw', 'qcow2', 'subvol', 'iso', 'tgz' ...)"))
                        .property("size", Schema.integer().attr("renderer", "bytes").description("Volume size in bytes."))
                        .property("used", Schema.integer().optional().attr("renderer", "bytes").description("Used space. Please note that most storage plugins do not report anything useful here."))
                        .property("vmid", Schema.integer().optional().description("Associated Owner VMID."))
                        .property("parent", Schema.string().optional().description("Volume identifier of parent (for linked cloned)."))
                        .property("ctime", Schema.integer().optional().minimum(0).description("Creation time (seconds since the UNIX Epoch)."))
                        .property("notes", Schema.string().optional().description("Optional notes."))
                        .property("protected", Schema.bool().optional().description("Protection status. Currently only supported for backups."))))
                .permissions(Permission.permAny("/storage/{storage}", "Datastore.Audit", "Datastore.AllocateSpace"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    Integer vmid = p.has("vmid") ? p.integer("vmid") : null;
                    Set<ContentType> cts = p.has("content") ? Set.of(ContentType.of(p.str("content")).orElseThrow()) : Set.of();
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (VolumeInfo v : sm.list(p.str("storage"), vmid, cts)) {
                        // the listing already knows each volume's type and owner
                        VolumeName listed = new VolumeName(v.content(), v.volid(), v.vmid(), null, null, false, v.format());
                        if (!VolumeIdCheck.mayAccess(rc.authid(), rc::hasPermission, id -> listed, null, v.volid())) continue;
                        out.add(contentView(v));
                    }
                    return out;
                })).build());

        m.add(ApiMethod.post("/nodes/{node}/storage/{storage}/content").name("create").description("Allocate disk images.")
                .param("node", nodeParam()).param("storage", storageParam())
                .param("filename", Schema.string().description("The name of the file to create."))
                .param("size", Schema.string().pattern("\\d+[MG]?").description("Size in kilobyte (1024 bytes). Optional suffixes 'M' (megabyte, 1024K) and 'G' (gigabyte, 1024M)"))
                .param("vmid", StandardOptions.vmid().description("Specify owner VM"))
                .param("format", Schema.string().enumValues("raw", "qcow2", "subvol", "vmdk").optional())
                .returns(Schema.string().description("Volume identifier"))
                .permissions(Permission.perm("/storage/{storage}", "Datastore.AllocateSpace"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    String sizeStr = p.str("size");
                    long kib;
                    var mm = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)([MG]?)").matcher(sizeStr);
                    if (!mm.matches()) throw ParamException.of("size", "unable to parse size '" + sizeStr + "'");
                    double n = Double.parseDouble(mm.group(1));
                    kib = switch (mm.group(2)) {
                        case "M" -> (long) (n * 1024);
                        case "G" -> (long) (n * 1024 * 1024);
                        default -> (long) n;
                    };
                    String name = p.str("filename");
                    String format = p.str("format", null);
                    var fm = java.util.regex.Pattern.compile(".*\\.(raw|qcow2|vmdk)").matcher(name);
                    if (fm.matches()) {
                        if (format != null && !format.equals(fm.group(1)))
                            throw ParamException.of("format", "different storage formats (" + format + " != " + fm.group(1) + ")");
                        format = fm.group(1);
                    }
                    return sm.alloc(p.str("storage"), p.integer("vmid"), format, name.isEmpty() ? null : name, kib * 1024);
                })).build());

        m.add(ApiMethod.get("/nodes/{node}/storage/{storage}/content/{volume}").name("info").description("Get volume attributes")
                .param("node", nodeParam()).param("storage", storageParam().optional())
                .param("volume", Schema.string().description("Volume identifier"))
                .returns(Schema.object())
                .permissions(Permission.all("You need read access for the volume."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    String volid = volid(p);
                    checkVolumeAccess(rc, volid);
                    VolumeInfo info = sm.attributes(volid);
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("path", sm.path(volid));
                    out.put("size", info.size());
                    out.put("used", used(volid, info));
                    out.put("format", info.format());
                    if (info.notes() != null) out.put("notes", info.notes());
                    out.put("protected", info.isProtected() ? 1 : 0);
                    return out;
                })).build());

        m.add(ApiMethod.put("/nodes/{node}/storage/{storage}/content/{volume}").name("updateattributes").description("Update volume attributes")
                .param("node", nodeParam()).param("storage", storageParam().optional())
                .param("volume", Schema.string().description("Volume identifier"))
                .param("notes", Schema.string().optional().description("The new notes."))
                .param("protected", Schema.bool().optional().description("Protection status. Currently only supported for backups."))
                .permissions(Permission.all("You need read access for the volume."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    String volid = volid(p);
                    checkVolumeAccess(rc, volid);
                    if (p.bool("protected", false)) checkProtectedLimit(rc, volid);
                    sm.updateAttributes(volid, p.has("protected") ? p.bool("protected", false) : null, p.str("notes", null));
                    return null;
                })).build());

        m.add(ApiMethod.post("/nodes/{node}/storage/{storage}/content/{volume}").name("copy").description("Copy a volume.")
                .param("node", nodeParam()).param("storage", storageParam().optional())
                .param("volume", Schema.string().description("Source volume identifier"))
                .param("target", Schema.string().description("Target volume identifier"))
                .param("target_node", StandardOptions.node().optional().description("Target node. Default is local node."))
                .returns(Schema.string())
                .permissions(Permission.rootOnly())
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    String src = volid(p);
                    String target = p.str("target");
                    String tn = p.str("target_node", sm.nodeName());
                    if (!tn.equals(sm.nodeName())) throw new StorageException("copying volumes to another node is not supported (target node '" + tn + "')");
                    String srcStore = VolumeId.parse(src).storage();
                    String dstStore = VolumeId.isVolumeId(target) ? VolumeId.parse(target).storage() : target;
                    StorageConfig.checkId(dstStore);
                    if (!rc.hasPermission("/storage/" + srcStore, false, "Datastore.Allocate")
                            || !rc.hasPermission("/storage/" + dstStore, false, "Datastore.AllocateSpace")) throw ApiException.forbidden();
                    VolumeName vn = sm.parseVolname(src);
                    sm.enabledStorage(dstStore);
                    return rc.startTask("imgcopy", null, log -> {
                        String result = VolumeId.isVolumeId(target) ? sm.copyVolume(src, target, false)
                                : sm.copyVolume(src, dstStore, vn.vmid() == null ? 0 : vn.vmid());
                        log.log("copied '" + src + "' to '" + result + "'");
                    });
                })).build());

        m.add(ApiMethod.delete("/nodes/{node}/storage/{storage}/content/{volume}").name("delete").description("Delete volume")
                .param("node", nodeParam()).param("storage", storageParam().optional())
                .param("volume", Schema.string().description("Volume identifier"))
                .param("delay", Schema.integer().minimum(1).maximum(30).optional().description("Time to wait for the task to finish. We return 'null' if the task finish within that time."))
                .returns(Schema.string().optional())
                .permissions(Permission.all("You need 'Datastore.Allocate' privilege on the storage (or 'Datastore.AllocateSpace' for backup volumes if you have VM.Backup privilege on the VM)."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    String volid = volid(p);
                    VolumeName vn = sm.parseVolname(volid);
                    String storeid = VolumeId.parse(volid).storage();
                    boolean ok = rc.hasPermission("/storage/" + storeid, false, "Datastore.Allocate")
                            || (vn.vtype() == ContentType.BACKUP && vn.vmid() != null
                            && rc.hasPermission("/storage/" + storeid, false, "Datastore.AllocateSpace")
                            && rc.hasPermission("/vms/" + vn.vmid(), false, "VM.Backup"));
                    if (!ok) throw ApiException.forbidden();
                    checkDeletable(volid, vn);
                    String id = (vn.vmid() != null ? vn.vmid() + "@" : "") + storeid;
                    String upid = rc.startTask("imgdel", id, log -> {
                        sm.free(volid);
                        log.log("Removed volume '" + volid + "'");
                    });
                    if (p.has("delay")) return waitTask(rc, upid, p.integer("delay")) ? null : upid;
                    return upid;
                })).build());

        m.add(ApiMethod.post("/nodes/{node}/storage/{storage}/upload").name("upload").description("Upload templates, ISO images and OVAs.")
                .param("node", nodeParam()).param("storage", storageParam())
                .param("content", Schema.string().format("pve-storage-content").enumValues("iso", "vztmpl", "import").description("Content type."))
                .param("filename", Schema.string().maxLength(255).description("The name of the file to create."))
                .param("checksum", Schema.string().optional().requires("checksum-algorithm").description("The expected checksum of the file."))
                .param("checksum-algorithm", Schema.string().optional().requires("checksum")
                        .enumValues("md5", "sha1", "sha224", "sha256", "sha384", "sha512").description("The algorithm to calculate the checksum of the file."))
                .param("tmpfilename", Schema.string().optional().pattern("/var/tmp/pveupload-[0-9a-f]+|.*/pveupload-[0-9a-f]+")
                        .description("The source file name, set by the HTTP server after receiving the upload."))
                .returns(Schema.string().description("The task ID."))
                .permissions(Permission.perm("/storage/{storage}", "Datastore.AllocateTemplate"))
                .protect()
                .handler(wrap(this::upload)).build());

        m.add(ApiMethod.post("/nodes/{node}/storage/{storage}/download-url").name("download_url")
                .description("Download templates, ISO images and OVAs by using an URL.")
                .param("node", nodeParam()).param("storage", storageParam())
                .param("url", Schema.string().pattern("https?://.*").description("The URL to download the file from."))
                .param("content", Schema.string().format("pve-storage-content").enumValues("iso", "vztmpl", "import").description("Content type."))
                .param("filename", Schema.string().maxLength(255).description("The name of the file to create. Caution: This will be normalized!"))
                .param("checksum", Schema.string().optional().requires("checksum-algorithm").description("The expected checksum of the file."))
                .param("checksum-algorithm", Schema.string().optional().requires("checksum")
                        .enumValues("md5", "sha1", "sha224", "sha256", "sha384", "sha512").description("The algorithm to calculate the checksum of the file."))
                .param("compression", Schema.string().optional().description("Decompress the downloaded file using the specified compression algorithm."))
                .param("verify-certificates", Schema.bool().optional().defaultValue(1).description("If false, no SSL/TLS certificates will be verified."))
                .returns(Schema.string().description("The task ID."))
                .permissions(Permission.check("and", List.of("perm", "/storage/{storage}", List.of("Datastore.AllocateTemplate")),
                        List.of("or", List.of("perm", "/", List.of("Sys.Audit", "Sys.Modify")), List.of("perm", "/nodes/{node}", List.of("Sys.AccessNetwork"))))
                        .withDescription("Requires allocation access on the storage and, as it lets the caller probe the host's network, Sys.Modify on / or Sys.AccessNetwork on the node."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> { checkNode(p); return downloadUrl(p, rc); })).build());

        Schema pruneVmid = StandardOptions.vmid().optional().description("Only consider backups for this guest.");
        Schema pruneType = Schema.string().enumValues("qemu", "lxc").optional().description("Either 'qemu' or 'lxc'. Only consider backups for guests of this type.");
        Schema pruneOpts = Schema.string().format("prune-backups").optional()
                .description("Use these retention options instead of those from the storage configuration.");
        m.add(ApiMethod.get("/nodes/{node}/storage/{storage}/prunebackups").name("dryrun").description("Get prune information for backups.")
                .param("node", nodeParam()).param("storage", storageParam())
                .param("prune-backups", pruneOpts).param("type", pruneType).param("vmid", pruneVmid)
                .returns(Schema.array(Schema.object().property("volid", Schema.string())))
                .permissions(Permission.permAny("/storage/{storage}", "Datastore.Audit", "Datastore.AllocateSpace"))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    return pruneView(sm.pruneBackups(p.str("storage"), pruneOptions(p), p.str("type", null),
                            p.has("vmid") ? p.integer("vmid") : null, true));
                })).build());
        m.add(ApiMethod.delete("/nodes/{node}/storage/{storage}/prunebackups").name("delete").description("Prune backups. Only those using the standard naming scheme are considered.")
                .param("node", nodeParam()).param("storage", storageParam())
                .param("prune-backups", pruneOpts).param("type", pruneType).param("vmid", pruneVmid)
                .returns(Schema.string())
                .permissions(Permission.all("You need the 'Datastore.Allocate' privilege on the storage (or if a VM ID is specified, 'Datastore.AllocateSpace' and 'VM.Backup' for the VM)."))
                .proxyto("node").protect()
                .handler(wrap((p, rc) -> {
                    checkNode(p);
                    String storeid = p.str("storage");
                    Integer vmid = p.has("vmid") ? p.integer("vmid") : null;
                    boolean ok = rc.hasPermission("/storage/" + storeid, false, "Datastore.Allocate")
                            || (vmid != null && rc.hasPermission("/storage/" + storeid, false, "Datastore.AllocateSpace")
                            && rc.hasPermission("/vms/" + vmid, false, "VM.Backup"));
                    if (!ok) throw ApiException.forbidden();
                    PruneOptions opts = pruneOptions(p);
                    String type = p.str("type", null);
                    sm.pruneBackups(storeid, opts, type, vmid, true); // validate before starting the task
                    return rc.startTask("prunebackups", (vmid != null ? vmid + "@" : "") + storeid, log -> {
                        for (StorageManager.PruneEntry e : sm.pruneBackups(storeid, opts, type, vmid, false)) {
                            if (e.mark().equals("remove")) log.log("removed '" + e.volid() + "'");
                        }
                    });
                })).build());
        return m;
    }

    static PruneOptions pruneOptions(Params p) {
        return p.has("prune-backups") ? PruneOptions.parse(p.str("prune-backups")) : null;
    }

    static List<Map<String, Object>> pruneView(List<StorageManager.PruneEntry> entries) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StorageManager.PruneEntry e : entries) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("volid", e.volid());
            row.put("ctime", e.ctime());
            row.put("mark", e.mark());
            if (e.type() != null) row.put("type", e.type());
            if (e.vmid() != null) row.put("vmid", e.vmid());
            out.add(row);
        }
        return out;
    }

    static Map<String, Object> contentView(VolumeInfo v) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("volid", v.volid());
        out.put("content", v.content().id());
        out.put("format", v.format());
        out.put("size", v.size());
        if (v.used() >= 0) out.put("used", v.used());
        if (v.vmid() != null) out.put("vmid", v.vmid());
        if (v.parent() != null) out.put("parent", v.parent());
        if (v.ctime() > 0) out.put("ctime", v.ctime());
        if (v.notes() != null) out.put("notes", v.notes());
        if (v.content() == ContentType.BACKUP) out.put("protected", v.isProtected() ? 1 : 0);
        return out;
    }

    private long used(String volid, VolumeInfo info) {
        try {
            String path = sm.path(volid);
            Path f = Path.of(path);
            if (Files.isRegularFile(f)) return Files.size(f);
        } catch (RuntimeException | IOException ignored) {
            // not a local file
        }
        return info.size();
    }

    /** The volume ID from the {@code volume} parameter, which may be a full volid or a name on {@code storage}. */
    String volid(Params p) {
        String volume = p.str("volume");
        String storage = p.str("storage", null);
        VolumeIdCheck.checkSegments("volume", volume);
        if (VolumeId.isVolumeId(volume)) {
            VolumeId v = VolumeId.parse(volume);
            if (storage != null && !storage.equals(v.storage()))
                throw ParamException.of("volume", "storage ID mismatch (" + v.storage() + " != " + storage + ")");
            return volume;
        }
        if (storage == null) throw ParamException.of("storage", "storage ID missing");
        return storage + ":" + volume;
    }

    /** PVE's check_volume_access: "You need read access for the volume." */
    void checkVolumeAccess(RequestContext rc, String volid) {
        VolumeIdCheck.checkAccess("volume", rc.authid(), rc::hasPermission, sm::parseVolname, null, volid);
    }

    /**
     * PVE's {@code max-protected-backups}: a guest may have at most that many protected backups on a storage
     * (default: unlimited with Datastore.Allocate on the storage, else 5; -1 = unlimited).
     */
    void checkProtectedLimit(RequestContext rc, String volid) {
        VolumeName vn = sm.parseVolname(volid);
        if (vn.vtype() != ContentType.BACKUP || vn.vmid() == null) return;
        String storeid = VolumeId.parse(volid).storage();
        StorageEntry s = sm.storage(storeid);
        long limit = s.get("max-protected-backups").map(Long::parseLong)
                .orElse(rc.hasPermission("/storage/" + storeid, false, "Datastore.Allocate") ? -1L : 5L);
        if (limit < 0) return;
        long count = 0;
        for (VolumeInfo v : sm.list(storeid, vn.vmid(), Set.of(ContentType.BACKUP))) {
            if (v.isProtected() && !v.volid().equals(volid)) count++;
        }
        if (count >= limit)
            throw new StorageException("cannot protect backup - number of protected backups per guest would exceed the limit of " + limit);
    }

    void checkDeletable(String volid, VolumeName vn) {
        Optional<Integer> ref = sm.referencedBy(volid);
        if (ref.isPresent())
            throw new StorageException("unable to delete volume '" + volid + "' - still referenced by guest " + ref.get());
        StorageEntry s = sm.enabledStorage(VolumeId.parse(volid).storage());
        StoragePlugin plugin = sm.plugin(s);
        if (plugin instanceof org.haven.storage.plugin.DirPlugin d && d.isProtected(s, VolumeId.parse(volid).volname()))
            throw new StorageException("volume '" + volid + "' is protected");
    }

    static boolean waitTask(RequestContext rc, String upid, int seconds) {
        try {
            var info = rc.node().tasks().await(upid, seconds * 1000L);
            return info != null && !info.running() && "OK".equals(info.status());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Target file of an upload/download: checks content type, storage and extension; returns the destination path. */
    private Path templateTarget(String storeid, String content, String filename) {
        StorageEntry s = sm.enabledStorage(storeid);
        ContentType ct = ContentType.of(content).orElseThrow();
        if (!s.content().contains(ct)) throw new StorageException("storage '" + storeid + "' does not support '" + content + "' content");
        if (!s.type().isFileBased()) throw new StorageException("storage '" + storeid + "' does not support uploads");
        String name = filename.replaceAll("[^\\w\\-.]", "_");
        String ext = switch (ct) {
            case ISO -> org.haven.storage.volume.VolumeNames.ISO_EXT;
            case VZTMPL -> org.haven.storage.volume.VolumeNames.VZTMPL_EXT;
            default -> org.haven.storage.volume.VolumeNames.IMPORT_EXT;
        };
        if (!name.matches("[^/]+" + ext)) throw ParamException.of("filename", "wrong file extension");
        sm.activateStorage(storeid);
        String prefix = switch (ct) { case ISO -> "iso/"; case VZTMPL -> "vztmpl/"; default -> "import/"; };
        return Path.of(sm.path(storeid + ":" + prefix + name));
    }

    /** Verify the checksum of {@code tmp} (when given) and move it into place atomically. */
    static void finishImport(org.haven.api.task.TaskLog log, Path tmp, Path dest, String algo, String expected) throws Exception {
        if (algo != null) {
            String jname = switch (algo) {
                case "md5" -> "MD5"; case "sha1" -> "SHA-1"; case "sha224" -> "SHA-224"; case "sha256" -> "SHA-256";
                case "sha384" -> "SHA-384"; default -> "SHA-512";
            };
            MessageDigest md = MessageDigest.getInstance(jname);
            try (var in = Files.newInputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            }
            String got = HexFormat.of().formatHex(md.digest());
            if (!got.equalsIgnoreCase(expected)) throw new StorageException("checksum mismatch: got '" + got + "' != expect '" + expected + "'");
            log.log("calculating checksum...OK, checksum verified");
        }
        log.log("target file: " + dest);
        log.log("file size is: " + Files.size(tmp));
        Files.createDirectories(dest.getParent());
        Path part = dest.resolveSibling(dest.getFileName() + ".tmp." + ProcessHandle.current().pid());
        Files.copy(tmp, part, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private Object upload(Params p, RequestContext rc) {
        String storeid = p.str("storage");
        if (!p.has("tmpfilename")) throw ParamException.of("tmpfilename", "missing upload data (the request must be multipart/form-data)");
        Path tmp = Path.of(p.str("tmpfilename"));
        Path dest;
        try {
            dest = templateTarget(storeid, p.str("content"), p.str("filename"));
        } catch (RuntimeException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
            throw e;
        }
        String algo = p.str("checksum-algorithm", null);
        String expected = p.str("checksum", null);
        return rc.startTask("imgcopy", null, log -> {
            try {
                log.log("target node: " + sm.nodeName());
                finishImport(log, tmp, dest, algo, expected);
                log.log("finished file import successfully");
            } finally {
                Files.deleteIfExists(tmp);
            }
        });
    }

    private Object downloadUrl(Params p, RequestContext rc) throws Exception {
        String storeid = p.str("storage");
        Path dest = templateTarget(storeid, p.str("content"), p.str("filename"));
        java.net.URI uri = java.net.URI.create(p.str("url"));
        boolean verify = p.bool("verify-certificates", true);
        String compression = p.str("compression", null);
        if (compression != null && !List.of("gz", "lzo", "zst", "bz2").contains(compression))
            throw ParamException.of("compression", "value '" + compression + "' does not have a value in the enumeration 'bz2, gz, lzo, zst'");
        if (compression != null && !p.str("content").equals("iso"))
            throw ParamException.of("compression", "decompression is only supported for ISO images");
        String algo = p.str("checksum-algorithm", null);
        String expected = p.str("checksum", null);
        return rc.startTask("download", dest.getFileName().toString(), log -> {
            Path tmp = dest.resolveSibling(".download-" + java.util.UUID.randomUUID());
            Path raw = compression == null ? tmp : dest.resolveSibling(".download-" + java.util.UUID.randomUUID() + "." + compression);
            try {
                java.net.http.HttpClient.Builder cb = java.net.http.HttpClient.newBuilder()
                        .followRedirects(java.net.http.HttpClient.Redirect.NORMAL).connectTimeout(java.time.Duration.ofSeconds(30));
                if (!verify) cb.sslContext(trustAll());
                try (java.net.http.HttpClient client = cb.build()) {
                    log.log("downloading " + uri + " to " + dest);
                    var resp = client.send(java.net.http.HttpRequest.newBuilder(uri).GET().build(),
                            java.net.http.HttpResponse.BodyHandlers.ofFile(raw));
                    if (resp.statusCode() != 200) throw new StorageException("download failed: HTTP " + resp.statusCode());
                }
                log.log("downloaded " + Files.size(raw) + " bytes");
                if (compression != null) {
                    // the checksum covers the downloaded (compressed) file, as PVE verifies before decompressing
                    if (algo != null) finishImport(log, raw, raw.resolveSibling(raw.getFileName() + ".verified"), algo, expected);
                    Files.deleteIfExists(raw.resolveSibling(raw.getFileName() + ".verified"));
                    log.log("decompressing " + compression);
                    List<String> cmd = switch (compression) {
                        case "gz" -> List.of("gzip", "-d", "-c", raw.toString());
                        case "lzo" -> List.of("lzop", "-d", "-c", raw.toString());
                        case "bz2" -> List.of("bzip2", "-d", "-c", raw.toString());
                        default -> List.of("zstd", "-q", "-d", "-c", raw.toString());
                    };
                    try (var out = Files.newOutputStream(tmp)) {
                        var r = sm.runner().stream(cmd, Map.of(), null, out);
                        if (!r.ok()) throw new StorageException("decompression failed: " + r.stderr().strip());
                    }
                    finishImport(log, tmp, dest, null, null);
                } else {
                    finishImport(log, tmp, dest, algo, expected);
                }
                log.log("download of '" + uri + "' to '" + dest + "' finished");
            } finally {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(raw);
            }
        });
    }

    static javax.net.ssl.SSLContext trustAll() throws Exception {
        javax.net.ssl.TrustManager[] tm = {new javax.net.ssl.X509TrustManager() {
            @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }};
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tm, new java.security.SecureRandom());
        return ctx;
    }

    // ---- scans ------------------------------------------------------------------------------------------------------

    List<ApiMethod> scanMethods() {
        List<ApiMethod> m = new ArrayList<>();
        Permission alloc = Permission.perm("/storage", "Datastore.Allocate");
        m.add(ApiMethod.get("/nodes/{node}/scan").name("index").description("Index of available scan methods")
                .param("node", nodeParam()).permissions(Permission.all())
                .returns(Schema.array(Schema.object().property("method", Schema.string())))
                .handler((p, rc) -> {
                    List<Map<String, Object>> out = new ArrayList<>();
                    for (String s : List.of("cifs", "glusterfs", "iscsi", "lvm", "lvmthin", "nfs", "zfs")) out.add(Map.of("method", s));
                    return out;
                }).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/nfs").name("nfsscan").description("Scan remote NFS server.")
                .param("node", nodeParam()).param("server", Schema.string().format("pve-storage-server").description("The server address (name or IP)."))
                .returns(Schema.array(Schema.object().property("path", Schema.string()).property("options", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().nfs(p.str("server")))).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/cifs").name("cifsscan").description("Scan remote CIFS server.")
                .param("node", nodeParam()).param("server", Schema.string().format("pve-storage-server").description("The server address (name or IP)."))
                .param("username", Schema.string().optional().description("User name.")).param("password", Schema.string().optional().description("User password."))
                .param("domain", Schema.string().optional().description("SMB domain (Workgroup)."))
                .returns(Schema.array(Schema.object().property("share", Schema.string()).property("description", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().cifs(p.str("server"), p.str("username", null), p.str("password", null), p.str("domain", null)))).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/glusterfs").name("glusterfsscan").description("Scan remote GlusterFS server.")
                .param("node", nodeParam()).param("server", Schema.string().format("pve-storage-server").description("The server address (name or IP)."))
                .returns(Schema.array(Schema.object().property("volname", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().glusterfs(p.str("server")))).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/iscsi").name("iscsiscan").description("Scan remote iSCSI server.")
                .param("node", nodeParam()).param("portal", Schema.string().format("pve-storage-portal-dns").description("The iSCSI portal (IP or DNS name with optional port)."))
                .returns(Schema.array(Schema.object().property("target", Schema.string()).property("portal", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().iscsi(p.str("portal")))).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/lvm").name("lvmscan").description("List local LVM volume groups.")
                .param("node", nodeParam())
                .returns(Schema.array(Schema.object().property("vg", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().lvm())).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/lvmthin").name("lvmthinscan").description("List local LVM Thin Pools.")
                .param("node", nodeParam()).param("vg", Schema.string().pattern("[a-zA-Z0-9.+_][a-zA-Z0-9.+_\\-]+").maxLength(100))
                .returns(Schema.array(Schema.object().property("lv", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().lvmthin(p.str("vg")))).build());
        m.add(ApiMethod.get("/nodes/{node}/scan/zfs").name("zfsscan").description("Scan zfs pool list on local node.")
                .param("node", nodeParam())
                .returns(Schema.array(Schema.object().property("pool", Schema.string())))
                .permissions(alloc).proxyto("node").protect()
                .handler(wrap((p, rc) -> sm.scanner().zfs())).build());
        return m;
    }
}
