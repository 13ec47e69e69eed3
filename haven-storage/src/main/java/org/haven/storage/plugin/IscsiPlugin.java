package org.haven.storage.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
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
import org.haven.storage.volume.VolumeNames;

/**
 * Open-iSCSI initiator: logs in to the target with {@code iscsiadm}; the LUNs are the volumes
 * ({@code <channel>.<id>.<lun>.<by-id name>}); allocation happens on the target, not here.
 */
public class IscsiPlugin implements StoragePlugin {
    protected final PluginContext ctx;
    protected final CommandRunner run;
    /** Root of sysfs/devfs lookups (a test can point it at a fake tree). */
    protected Path sysRoot = Path.of("/");

    public IscsiPlugin(PluginContext ctx) {
        this.ctx = ctx;
        this.run = ctx.runner();
    }

    @Override public StorageType type() { return StorageType.ISCSI; }

    @Override public VolumeName parseVolname(String volname) { return VolumeNames.parseIscsi(volname); }

    public static String portalWithPort(String portal) {
        if (portal.startsWith("[")) return portal.contains("]:") ? portal : portal + ":3260";
        return portal.contains(":") ? portal : portal + ":3260";
    }

    public static List<String> discoveryCommand(String portal) {
        return List.of("iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal", portalWithPort(portal));
    }

    public static List<String> loginCommand(String target, String portal) {
        return List.of("iscsiadm", "--mode", "node", "--targetname", target, "--portal", portalWithPort(portal), "--login");
    }

    public static List<String> logoutCommand(String target, String portal) {
        return List.of("iscsiadm", "--mode", "node", "--targetname", target, "--portal", portalWithPort(portal), "--logout");
    }

    /** Targets from {@code iscsiadm --mode discovery} output ({@code 10.0.0.1:3260,1 iqn.…}): target → portals. */
    public static java.util.Map<String, List<String>> parseDiscovery(String out) {
        java.util.Map<String, List<String>> res = new java.util.TreeMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 2) continue;
            String portal = f[0].replaceFirst(",\\d+$", "");
            res.computeIfAbsent(f[1], k -> new ArrayList<>()).add(portal);
        }
        return res;
    }

    /** True when a session to {@code target} exists ({@code iscsiadm --mode session}). */
    protected boolean hasSession(String target) {
        CommandRunner.Result r = run.run(List.of("iscsiadm", "--mode", "session"));
        if (!r.ok()) return false;
        for (String line : r.stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[3].equals(target)) return true;
        }
        return false;
    }

    @Override
    public void activateStorage(StorageEntry s) {
        String target = s.require("target");
        if (hasSession(target)) return;
        String portal = s.require("portal");
        run.check(discoveryCommand(portal));
        run.check(loginCommand(target, portal));
    }

    @Override
    public void deactivateStorage(StorageEntry s) {
        String target = s.require("target");
        if (hasSession(target)) run.check(logoutCommand(target, s.require("portal")));
    }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        if (snap != null) throw new StorageException("can't snapshot this image format");
        return sysRoot.resolve("dev/disk/by-id").resolve(parseVolname(volname).name()).toString();
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        return new StorageStatus(0, 0, 0, hasSession(s.require("target")));
    }

    /**
     * LUNs of the target: for every SCSI disk under the session's host in sysfs, its {@code host:channel:id:lun}
     * address and its {@code /dev/disk/by-id} name.
     */
    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        if (vmid != null) return out;
        if (content != null && !content.isEmpty() && !content.contains(ContentType.IMAGES)) return out;
        Path byId = sysRoot.resolve("dev/disk/by-id");
        if (!Files.isDirectory(byId)) return out;
        String target = s.require("target");
        try (Stream<Path> l = Files.list(byId)) {
            for (Path link : l.sorted().toList()) {
                String name = link.getFileName().toString();
                if (!name.startsWith("scsi-") && !name.startsWith("wwn-")) continue;
                Path dev = link.toRealPath();
                Path blockDev = sysRoot.resolve("sys/block").resolve(dev.getFileName().toString()).resolve("device");
                if (!Files.exists(blockDev)) continue;
                Path real = blockDev.toRealPath();
                String addr = real.getFileName().toString(); // host:channel:id:lun
                String[] hcil = addr.split(":");
                if (hcil.length != 4) continue;
                if (!real.toString().contains("session")) continue;
                Path targetName = findTargetName(real);
                if (targetName == null || !Files.readString(targetName).strip().equals(target)) continue;
                long size = Long.parseLong(Files.readString(sysRoot.resolve("sys/block").resolve(dev.getFileName().toString()).resolve("size")).strip()) * 512;
                String volname = hcil[1] + "." + hcil[2] + "." + hcil[3] + "." + name;
                out.add(new VolumeInfo(s.id() + ":" + volname, ContentType.IMAGES, "raw", size, size, null, null, 0, false, null));
            }
        } catch (IOException e) {
            throw new StorageException("unable to list LUNs of '" + s.id() + "' - " + e.getMessage(), e);
        }
        return out;
    }

    private static Path findTargetName(Path device) throws IOException {
        for (Path p = device; p != null; p = p.getParent()) {
            Path fn = p.getFileName();
            if (fn != null && fn.toString().startsWith("session")) {
                Path t = p.resolve("iscsi_session").resolve(fn.toString()).resolve("targetname");
                return Files.exists(t) ? t : null;
            }
        }
        return null;
    }

    @Override
    public String alloc(StorageEntry s, int vmid, String format, String name, long size) {
        throw new StorageException("can't allocate space in iscsi storage");
    }

    @Override
    public void free(StorageEntry s, String volname) {
        throw new StorageException("can't free space in iscsi storage");
    }

    @Override
    public long size(StorageEntry s, String volname) {
        String out = run.check(List.of("blockdev", "--getsize64", path(s, volname, null)));
        return Long.parseLong(out.strip());
    }

    @Override
    public void resize(StorageEntry s, String volname, long size, boolean running) {
        throw new StorageException("volume resize is not possible on iscsi device");
    }

    @Override
    public boolean hasFeature(StorageEntry s, Feature feature, String volname, String snap, boolean running) {
        return feature == Feature.COPY && snap == null;
    }
}
