package org.haven.storage.plugin;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.storage.ContentType;
import org.haven.storage.StorageException;
import org.haven.storage.config.StorageEntry;
import org.haven.storage.config.StorageType;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.Feature;
import org.haven.storage.spi.PluginContext;
import org.haven.storage.spi.StoragePlugin;
import org.haven.storage.spi.StorageStatus;
import org.haven.storage.spi.VolumeInfo;
import org.haven.storage.volume.VolumeName;
import org.haven.storage.volume.VolumeNames;
import tools.jackson.databind.JsonNode;

/**
 * Ceph RBD: images in a pool, managed with the {@code rbd} tool; templates have a protected {@code @__base__}
 * snapshot, linked clones are {@code rbd clone}s of it. QEMU opens {@code rbd:<pool>/<image>:…} unless
 * {@code krbd} maps the image to a kernel block device.
 */
public class RbdPlugin implements StoragePlugin {
    private final PluginContext ctx;
    private final CommandRunner run;

    public RbdPlugin(PluginContext ctx) {
        this.ctx = ctx;
        this.run = ctx.runner();
    }

    @Override public StorageType type() { return StorageType.RBD; }

    @Override public VolumeName parseVolname(String volname) { return VolumeNames.parseRbd(volname); }

    static String pool(StorageEntry s) { return s.get("pool").orElse("rbd"); }

    static String user(StorageEntry s) { return s.get("username").orElse("admin"); }

    static String monhost(StorageEntry s) {
        return String.join(",", s.get("monhost").orElse("").trim().split("[,;\\s]+"));
    }

    /** The keyring file for an external cluster, written from {@code priv/ceph/<storage>.keyring}. */
    Optional<String> keyring(StorageEntry s) {
        return ctx.secret(s.id(), "keyring").map(k -> SecretFiles.write(s.id() + ".keyring", k).toString());
    }

    /** {@code rbd -p <pool> [--namespace …] [-m … --auth_supported cephx -n client.<user> --keyring …] <args>}. */
    public List<String> rbdCommand(StorageEntry s, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("rbd", "-p", pool(s)));
        s.get("namespace").ifPresent(ns -> { cmd.add("--namespace"); cmd.add(ns); });
        if (!monhost(s).isEmpty()) {
            cmd.addAll(List.of("-m", monhost(s), "--auth_supported", "cephx", "-n", "client." + user(s)));
            keyring(s).ifPresent(k -> { cmd.add("--keyring"); cmd.add(k); });
        } else {
            cmd.addAll(List.of("-c", ctx.cephConf().toString()));
        }
        cmd.addAll(args);
        return cmd;
    }

    private String rbd(StorageEntry s, String... args) { return run.check(rbdCommand(s, List.of(args))); }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        VolumeName vn = parseVolname(volname);
        String name = vn.name() + (snap == null ? "" : "@" + snap);
        String ns = s.get("namespace").map(n -> n + "/").orElse("");
        if (s.flag("krbd", false)) return "/dev/rbd/" + pool(s) + "/" + ns + name;
        StringBuilder p = new StringBuilder("rbd:" + pool(s) + "/" + ns + name);
        if (!monhost(s).isEmpty()) {
            p.append(":mon_host=").append(monhost(s).replace(",", ";").replace(":", "\\:"));
            p.append(":auth_supported=cephx:id=").append(user(s));
            keyring(s).ifPresent(k -> p.append(":keyring=").append(k));
        } else {
            p.append(":conf=").append(ctx.cephConf());
        }
        return p.toString();
    }

    @Override
    public void activateVolume(StorageEntry s, String volname, String snap) {
        if (!s.flag("krbd", false)) return;
        VolumeName vn = parseVolname(volname);
        run.check(rbdCommand(s, List.of("map", vn.name() + (snap == null ? "" : "@" + snap))));
    }

    @Override
    public void deactivateVolume(StorageEntry s, String volname, String snap) {
        if (!s.flag("krbd", false)) return;
        run.run(List.of("rbd", "unmap", path(s, volname, snap)));
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        List<String> cmd = new ArrayList<>(List.of("ceph"));
        if (!monhost(s).isEmpty()) {
            cmd.addAll(List.of("-m", monhost(s), "--auth_supported", "cephx", "-n", "client." + user(s)));
            keyring(s).ifPresent(k -> { cmd.add("--keyring"); cmd.add(k); });
        } else {
            cmd.addAll(List.of("-c", ctx.cephConf().toString()));
        }
        cmd.addAll(List.of("df", "--format", "json"));
        CommandRunner.Result r = run.run(cmd);
        if (!r.ok()) return StorageStatus.INACTIVE;
        return parseDf(r.stdout(), s.get("data-pool").orElse(pool(s)));
    }

    /** Pool usage from {@code ceph df --format json}: total = used + max_avail. */
    public static StorageStatus parseDf(String json, String pool) {
        JsonNode n = DirPlugin.JSON.readTree(json);
        for (JsonNode p : n.path("pools")) {
            if (!p.path("name").asString().equals(pool)) continue;
            long used = p.path("stats").path("stored").asLong(p.path("stats").path("bytes_used").asLong());
            long avail = p.path("stats").path("max_avail").asLong();
            return new StorageStatus(used + avail, used, avail, true);
        }
        return StorageStatus.INACTIVE;
    }

    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        JsonNode arr = DirPlugin.JSON.readTree(rbd(s, "ls", "-l", "--format", "json"));
        Pattern p = Pattern.compile("(vm|base)-(\\d{1,9})-\\S+");
        for (JsonNode img : arr) {
            if (img.has("snapshot")) continue;
            String name = img.path("image").asString();
            Matcher m = p.matcher(name);
            if (!m.matches()) continue;
            int owner = Integer.parseInt(m.group(2));
            if (vmid != null && owner != vmid) continue;
            String volname = name;
            String parent = null;
            if (img.has("parent")) {
                parent = img.path("parent").path("image").asString();
                volname = parent + "/" + name;
            }
            out.add(new VolumeInfo(s.id() + ":" + volname, ContentType.IMAGES, "raw", img.path("size").asLong(), -1, owner,
                    parent, 0, false, null));
        }
        return out;
    }

    private String findFreeDiskname(StorageEntry s, int vmid) {
        Set<Integer> used = new HashSet<>();
        Pattern p = Pattern.compile("vm-" + vmid + "-disk-(\\d{1,9})");
        for (JsonNode img : DirPlugin.JSON.readTree(rbd(s, "ls", "--format", "json"))) {
            Matcher m = p.matcher(img.asString());
            if (m.matches()) used.add(Integer.parseInt(m.group(1)));
        }
        for (int i = 0; i < 1000; i++) if (!used.contains(i)) return VolumeNames.diskName(vmid, i, "raw", false);
        throw new StorageException("unable to allocate an image name for VM " + vmid + " in storage '" + s.id() + "'");
    }

    static String mib(long bytes) { return String.valueOf((bytes + 1024L * 1024 - 1) / (1024L * 1024)); }

    @Override
    public String alloc(StorageEntry s, int vmid, String fmt, String name, long size) {
        if (fmt != null && !fmt.equals("raw")) throw new StorageException("unsupported format '" + fmt + "'");
        if (name != null && !name.startsWith("vm-" + vmid + "-"))
            throw new StorageException("illegal name '" + name + "' - should be 'vm-" + vmid + "-*'");
        if (name == null) name = findFreeDiskname(s, vmid);
        List<String> args = new ArrayList<>(List.of("create", "--image-format", "2", "--size", mib(size)));
        s.get("data-pool").ifPresent(d -> { args.add("--data-pool"); args.add(d); });
        args.add(name);
        run.check(rbdCommand(s, args));
        return name;
    }

    @Override
    public void free(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (vn.isBase()) run.run(rbdCommand(s, List.of("snap", "unprotect", vn.name() + "@__base__")));
        rbd(s, "snap", "purge", vn.name());
        rbd(s, "rm", vn.name());
    }

    @Override
    public long size(StorageEntry s, String volname) {
        JsonNode n = DirPlugin.JSON.readTree(rbd(s, "info", "--format", "json", parseVolname(volname).name()));
        return n.path("size").asLong();
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        rbd(s, "resize", "--size", mib(size), "--allow-shrink", parseVolname(volname).name());
    }

    @Override
    public void snapshot(StorageEntry s, String volname, String snap) {
        rbd(s, "snap", "create", parseVolname(volname).name() + "@" + snap);
    }

    @Override
    public void rollback(StorageEntry s, String volname, String snap) {
        rbd(s, "snap", "rollback", parseVolname(volname).name() + "@" + snap);
    }

    @Override
    public void deleteSnapshot(StorageEntry s, String volname, String snap, boolean running) {
        String name = parseVolname(volname).name();
        run.run(rbdCommand(s, List.of("snap", "unprotect", name + "@" + snap)));
        rbd(s, "snap", "rm", name + "@" + snap);
    }

    @Override
    public List<String> snapshots(StorageEntry s, String volname) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : DirPlugin.JSON.readTree(rbd(s, "snap", "ls", "--format", "json", parseVolname(volname).name()))) {
            String name = n.path("name").asString();
            if (!name.equals("__base__")) out.add(name);
        }
        return out;
    }

    @Override
    public String createBase(StorageEntry s, String volname) {
        VolumeName vn = parseVolname(volname);
        if (vn.isBase()) throw new StorageException("create_base not possible with base image");
        String newName = vn.name().replaceFirst("^vm-", "base-");
        rbd(s, "rename", vn.name(), newName);
        rbd(s, "snap", "create", newName + "@__base__");
        rbd(s, "snap", "protect", newName + "@__base__");
        return vn.isLinkedClone() ? vn.baseName() + "/" + newName : newName;
    }

    @Override
    public String cloneImage(StorageEntry s, String volname, int vmid, String snap) {
        VolumeName vn = parseVolname(volname);
        if (snap == null) {
            if (!vn.isBase()) throw new StorageException("clone_image only works on base images");
            snap = "__base__";
        } else {
            rbd(s, "snap", "protect", vn.name() + "@" + snap);
        }
        String name = findFreeDiskname(s, vmid);
        List<String> args = new ArrayList<>(List.of("clone", pool(s) + "/" + vn.name() + "@" + snap, pool(s) + "/" + name));
        s.get("data-pool").ifPresent(d -> { args.add("--data-pool"); args.add(d); });
        run.check(rbdCommand(s, args));
        return vn.name() + "/" + name;
    }

    @Override
    public String rename(StorageEntry s, String volname, int targetVmid, String targetName) {
        VolumeName vn = parseVolname(volname);
        if (targetName == null) targetName = findFreeDiskname(s, targetVmid);
        rbd(s, "rename", vn.name(), targetName);
        return vn.isLinkedClone() ? vn.baseName() + "/" + targetName : targetName;
    }

    @Override
    public List<ExportFormat> exportFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        if (baseSnap != null || withSnapshots) return List.of();
        return List.of(ExportFormat.RAW_SIZE);
    }

    @Override
    public List<ExportFormat> importFormats(StorageEntry s, String volname, String snap, String baseSnap, boolean withSnapshots) {
        return exportFormats(s, volname, snap, baseSnap, withSnapshots);
    }

    @Override
    public void exportVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                             boolean withSnapshots, OutputStream out) {
        if (format != ExportFormat.RAW_SIZE) throw new StorageException("volume export format " + format + " not available for rbd");
        Sizes.writeHeader(out, size(s, volname));
        DirPlugin.flush(out);
        VolumeName vn = parseVolname(volname);
        List<String> cmd = rbdCommand(s, List.of("export", "--export-format", "1", vn.name() + (snap == null ? "" : "@" + snap), "-"));
        CommandRunner.Result r = run.stream(cmd, Map.of(), null, out);
        if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
    }

    @Override
    public String importVolume(StorageEntry s, String volname, ExportFormat format, String snap, String baseSnap,
                               boolean withSnapshots, boolean allowRename, InputStream in) {
        if (format != ExportFormat.RAW_SIZE) throw new StorageException("volume import format '" + format + "' not available for rbd");
        VolumeName vn = parseVolname(volname);
        String name = vn.name();
        boolean exists = run.run(rbdCommand(s, List.of("info", name))).ok();
        if (exists) {
            if (!allowRename) throw new StorageException("volume '" + name + "' already exists");
            name = findFreeDiskname(s, vn.vmid());
        }
        Sizes.readHeader(in);
        List<String> cmd = rbdCommand(s, List.of("import", "--image-format", "2", "-", name));
        CommandRunner.Result r = run.stream(cmd, Map.of(), in, null);
        if (!r.ok()) throw new org.haven.storage.spi.CommandFailedException(cmd, r);
        return name;
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        VolumeName vn = parseVolname(volname);
        String key = snap != null ? "snap" : vn.isBase() ? "base" : "current";
        return switch (feature) {
            case SNAPSHOT -> key.equals("current") || key.equals("snap");
            case CLONE -> key.equals("base") || key.equals("snap");
            case TEMPLATE -> key.equals("current");
            case COPY -> true;
            case SPARSEINIT -> !key.equals("snap");
            case RENAME -> key.equals("current");
            case SNAPSHOT_ROLLBACK_TO_OLDER -> true;
        };
    }
}
