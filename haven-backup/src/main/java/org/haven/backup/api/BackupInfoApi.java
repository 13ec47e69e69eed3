package org.haven.backup.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.api.ApiException;
import org.haven.api.ApiRegistry;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.backup.jobs.BackupJobs;
import org.haven.backup.jobs.JobGuests;
import org.haven.core.format.PropertyString;
import org.haven.core.schema.Schema;
import org.haven.guest.GuestService;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.cli.BackupConfig;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.storage.ContentType;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.volume.VolumeId;

/**
 * What the GUI's backup pages read: {@code /cluster/backup-info/not-backed-up}, {@code /nodes/{node}/vzdump/defaults}
 * and {@code /nodes/{node}/vzdump/extractconfig}, declared from PVE 8.4's schema.
 */
final class BackupInfoApi {
    private static final SpecMethods SPEC = SpecMethods.load(BackupInfoApi.class, "backup-info-api.json", Map.of(
            "node", "The cluster node name.", "storage", "The storage identifier.", "volume", "Volume identifier", "id", "The job ID."));
    static final Pattern ARCHIVE = Pattern.compile("vzdump-(qemu|lxc|openvz)-(\\d+)-[^/]*\\.(vma|tar|tgz)(\\.(zst|gz|lzo))?");

    private final List<GuestService> guests;
    private final Supplier<StorageManager> storage;
    private final Supplier<Map<String, String>> conf;
    private final BackupJobs jobs;

    BackupInfoApi(List<GuestService> guests, Supplier<StorageManager> storage, Supplier<Map<String, String>> conf, BackupJobs jobs) {
        this.guests = guests;
        this.storage = storage;
        this.conf = conf;
        this.jobs = jobs;
    }

    void register(ApiRegistry reg) {
        SPEC.add(reg, "GET", "/cluster/backup-info", "Index for backup info related endpoints.", (p, rc) -> List.of(Map.of("subdir", "not-backed-up")));
        SPEC.add(reg, "GET", "/cluster/backup-info/not-backed-up", "Shows all guests which are not covered by any backup job.", (p, rc) -> notBackedUp());
        SPEC.add(reg, "GET", "/nodes/{node}/vzdump/defaults", "Get the currently configured vzdump defaults.", (p, rc) -> defaults(p.opt("storage").orElse(null), p.str("node"), rc));
        SPEC.add(reg, "GET", "/cluster/backup/{id}/included_volumes", "Returns included guests and the backup status of their disks.",
                (p, rc) -> includedVolumes(p.str("id")));
        SPEC.add(reg, "GET", "/nodes/{node}/vzdump/extractconfig", "Extract configuration from vzdump backup archive.", (p, rc) -> extractConfig(p.str("volume"), rc));
    }

    /** The guests of the cluster: each one's node and type. */
    private record Guests(Map<Integer, String> nodes, Map<Integer, GuestService> types) {
        Optional<org.haven.guest.config.GuestConfig> config(int vmid) { return types.get(vmid).store().read(nodes.get(vmid), vmid); }

        Optional<String> name(int vmid) { return config(vmid).flatMap(org.haven.backup.Vzdump::guestName); }
    }

    private Guests guests() {
        Map<Integer, String> nodes = new TreeMap<>();
        Map<Integer, GuestService> types = new TreeMap<>();
        for (GuestService g : guests) {
            g.store().list().forEach((vmid, node) -> {
                nodes.put(vmid, node);
                types.put(vmid, g);
            });
        }
        return new Guests(nodes, types);
    }

    List<Map<String, Object>> notBackedUp() {
        Guests all = guests();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int vmid : JobGuests.notCovered(jobs.list().values(), all.nodes(), jobs.userCfg())) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("vmid", vmid);
            e.put("type", all.types().get(vmid).type().typeWord());
            all.name(vmid).ifPresent(n -> e.put("name", n));
            out.add(e);
        }
        return out;
    }

    /**
     * PVE's tree of a job's guests (in VMID order) with their volumes: each volume with whether backups include it
     * and why, as the guest's type says.
     */
    Map<String, Object> includedVolumes(String id) {
        Map<String, String> job = jobs.list().get(id);
        if (job == null) throw ApiException.notFound("Job '" + id + "' does not exist");
        Guests all = guests();
        java.util.SortedSet<Integer> vmids = new java.util.TreeSet<>();
        JobGuests.included(job, all.nodes(), jobs.userCfg()).values().forEach(vmids::addAll);
        List<Map<String, Object>> children = new ArrayList<>();
        for (int vmid : vmids) {
            GuestService g = all.types().get(vmid);
            List<Map<String, Object>> volumes = new ArrayList<>();
            var cfg = all.config(vmid);
            var hooks = g.type().backup();
            if (cfg.isPresent() && hooks.isPresent()) {
                for (var v : hooks.get().backupVolumes(cfg.get())) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("id", v.key());
                    e.put("name", v.name());
                    e.put("included", v.included() ? 1 : 0);
                    e.put("reason", v.reason());
                    e.put("leaf", 1);
                    volumes.add(e);
                }
            }
            Map<String, Object> guest = new LinkedHashMap<>();
            guest.put("id", vmid);
            guest.put("type", g.type().typeWord());
            all.name(vmid).ifPresent(n -> guest.put("name", n));
            guest.put("children", volumes);
            guest.put("leaf", volumes.isEmpty() ? 1 : 0);
            children.add(guest);
        }
        return Map.of("children", children);
    }

    /** PVE's defaults: the method's schema defaults, {@code vzdump.conf}, then the storage's dump directory and retention. */
    Map<String, Object> defaults(String storageId, String node, RequestContext rc) {
        Map<String, Object> res = new TreeMap<>();
        Map<String, Schema> props = SPEC.returns("GET", "/nodes/{node}/vzdump/defaults").properties();
        props.forEach((k, s) -> {
            if (s.defaultValue() != null) res.put(k, s.defaultValue());
        });
        conf.get().forEach((k, v) -> res.put(k, typed(props.get(k), v)));
        if (storageId != null) res.put("storage", storageId);
        if (res.get("dumpdir") == null && res.get("storage") == null) res.put("storage", "local");
        if (res.get("storage") != null) {
            String id = res.get("storage").toString();
            rc.requireAnyPermission("/storage/" + id, "Datastore.Audit", "Datastore.AllocateSpace");
            StorageEntry s = storage.get().storage(id);
            if (!s.content().contains(ContentType.BACKUP)) throw ApiException.param("storage", "storage '" + id + "' does not support backups");
            if (s.path().isPresent()) res.put("dumpdir", Path.of(storage.get().path(id + ":backup/vzdump-qemu-100-2000_01_01-00_00_00.vma")).getParent().toString());
            Map<String, String> prune = s.pruneBackups();
            if (!prune.isEmpty()) res.put("prune-backups", PropertyString.print(prune, null));
        }
        if (!rc.hasPermission("/nodes/" + node, false, "Sys.Audit")) List.of("mailto", "tmpdir", "dumpdir", "script", "ionice").forEach(res::remove);
        return res;
    }

    private static Object typed(Schema s, String v) {
        if (s == null) return v;
        if ("integer".equals(s.type()) || "boolean".equals(s.type())) {
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                return v;
            }
        }
        return v;
    }

    /** The guest config inside a backup archive, as {@code pvesm extractconfig} reads it. */
    String extractConfig(String volume, RequestContext rc) throws IOException {
        VolumeId vid;
        try {
            vid = VolumeId.parse(volume);
        } catch (IllegalArgumentException e) {
            throw ApiException.param("volume", "unable to parse volume ID '" + volume + "'");
        }
        Matcher m = ARCHIVE.matcher(Path.of(vid.volname()).getFileName().toString());
        if (!m.matches()) throw ApiException.error("cannot determine backup guest type for backup archive '" + volume + "'");
        rc.requirePermission("/vms/" + m.group(2), "VM.Backup");
        rc.requirePermission("/storage/" + vid.storage(), "Datastore.AllocateSpace");
        Path file = Path.of(storage.get().path(volume));
        if (!Files.isRegularFile(file)) throw ApiException.error("volume '" + volume + "' does not exist");
        try {
            return BackupConfig.extract(file, new ProcessCommandRunner());
        } catch (StorageException e) {
            throw ApiException.error(e.getMessage());
        }
    }

}
