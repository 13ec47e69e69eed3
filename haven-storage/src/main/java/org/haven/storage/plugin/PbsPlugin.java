package org.haven.storage.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StoragePlugin;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.VolumeName;
import tools.jackson.databind.JsonNode;

/**
 * Proxmox Backup Server: backups only, managed with {@code proxmox-backup-client}. Volume names are
 * {@code backup/<type>/<id>/<time>} snapshots of the datastore.
 */
public class PbsPlugin implements StoragePlugin {
    private final PluginContext ctx;
    private final CommandRunner run;

    public PbsPlugin(PluginContext ctx) {
        this.ctx = ctx;
        this.run = ctx.runner();
    }

    @Override public StorageType type() { return StorageType.PBS; }

    @Override
    public VolumeName parseVolname(String volname) {
        var m = java.util.regex.Pattern.compile("backup/(vm|ct|host)/(\\d+|[^/]+)/(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ)").matcher(volname);
        if (!m.matches()) throw new StorageException("unable to parse PBS volume name '" + volname + "'");
        Integer vmid = m.group(2).matches("\\d{1,9}") ? Integer.valueOf(m.group(2)) : null;
        return new VolumeName(ContentType.BACKUP, volname.substring(7), vmid, null, null, false, m.group(1).equals("vm") ? "pbs-vm" : "pbs-ct");
    }

    public static String repository(StorageEntry s) {
        String user = s.get("username").orElse("root@pam");
        String server = s.require("server");
        if (server.contains(":")) server = "[" + server + "]";
        String port = s.get("port").map(p -> ":" + p).orElse("");
        return user + "@" + server + port + ":" + s.require("datastore");
    }

    Map<String, String> env(StorageEntry s) {
        Map<String, String> env = new java.util.HashMap<>();
        ctx.secret(s.id(), "password").ifPresent(p -> env.put("PBS_PASSWORD", p));
        s.get("fingerprint").ifPresent(f -> env.put("PBS_FINGERPRINT", f));
        return env;
    }

    List<String> client(StorageEntry s, String... args) {
        List<String> cmd = new ArrayList<>(List.of("proxmox-backup-client"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--repository", repository(s)));
        s.get("namespace").ifPresent(ns -> { cmd.add("--ns"); cmd.add(ns); });
        return cmd;
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        return repository(s) + ":" + vn.name();
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        CommandRunner.Result r = run.run(client(s, "status", "--output-format", "json"), env(s), null);
        if (!r.ok()) return StorageStatus.INACTIVE;
        JsonNode n = DirPlugin.JSON.readTree(r.stdout());
        long total = n.path("total").asLong();
        long used = n.path("used").asLong();
        return new StorageStatus(total, used, n.path("avail").asLong(total - used), true);
    }

    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        if (content != null && !content.isEmpty() && !content.contains(ContentType.BACKUP)) return out;
        CommandRunner.Result r = run.run(client(s, "snapshot", "list", "--output-format", "json"), env(s), null);
        if (!r.ok()) throw new StorageException("proxmox-backup-client failed: " + r.stderr().strip());
        for (JsonNode n : DirPlugin.JSON.readTree(r.stdout())) {
            String btype = n.path("backup-type").asString();
            String bid = n.path("backup-id").asString();
            long time = n.path("backup-time").asLong();
            if (vmid != null && !bid.equals(String.valueOf(vmid))) continue;
            String ts = java.time.Instant.ofEpochSecond(time).toString();
            String volname = "backup/" + btype + "/" + bid + "/" + ts;
            long size = n.path("size").asLong();
            Integer owner = bid.matches("\\d{1,9}") ? Integer.valueOf(bid) : null;
            out.add(new VolumeInfo(s.id() + ":" + volname, ContentType.BACKUP, "pbs-" + btype, size, size, owner, null, time,
                    n.path("protected").asBoolean(false), n.has("comment") ? n.path("comment").asString() : null));
        }
        return out;
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String format, String name, long size) {
        throw new StorageException("unsupported");
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        run.check(client(s, "snapshot", "forget", vn.name()), env(s));
    }

    @Override
    public long size(StorageEntry s, String volname) {
        for (VolumeInfo v : list(s, null, Set.of(ContentType.BACKUP))) if (v.volid().equals(s.id() + ":" + volname)) return v.size();
        throw new StorageException("volume '" + volname + "' does not exist");
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        throw new StorageException("volume resize is not possible on PBS storage");
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) { return false; }
}
