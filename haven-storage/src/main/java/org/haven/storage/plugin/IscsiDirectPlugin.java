package org.haven.storage.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

/** User-space iSCSI (libiscsi): no kernel session; LUNs are listed with {@code iscsi-ls} and opened by QEMU via URLs. */
public class IscsiDirectPlugin implements StoragePlugin {
    private final CommandRunner run;

    public IscsiDirectPlugin(PluginContext ctx) { this.run = ctx.runner(); }

    @Override public StorageType type() { return StorageType.ISCSIDIRECT; }

    @Override public VolumeName parseVolname(String volname) { return VolumeNames.parseIscsiDirect(volname); }

    @Override
    public String path(StorageEntry s, String volname, String snap) {
        if (snap != null) throw new StorageException("can't snapshot this image format");
        String lun = parseVolname(volname).name().substring(3);
        return "iscsi://" + s.require("portal") + "/" + s.require("target") + "/" + lun;
    }

    public static List<String> lsCommand(StorageEntry s) {
        return List.of("iscsi-ls", "-s", "iscsi://" + s.require("portal"));
    }

    /** Parse {@code iscsi-ls -s} output: LUN lines of the target, {@code Lun:<n> Type:… (Size:<size>)}. */
    public static List<long[]> parseLs(String out, String target) {
        List<long[]> luns = new ArrayList<>();
        boolean inTarget = false;
        Pattern lun = Pattern.compile("\\s*Lun:(\\d+)\\s+.*\\(Size:([\\d.]+)([kMGT])?\\)");
        for (String line : out.split("\n")) {
            if (line.startsWith("Target:")) {
                inTarget = line.substring(7).trim().split("\\s+")[0].equals(target);
                continue;
            }
            Matcher m = lun.matcher(line);
            if (inTarget && m.matches()) {
                double v = Double.parseDouble(m.group(2));
                long mult = m.group(3) == null ? 1 : switch (m.group(3)) {
                    case "k" -> 1024L;
                    case "M" -> 1024L * 1024;
                    case "G" -> 1024L * 1024 * 1024;
                    default -> 1024L * 1024 * 1024 * 1024;
                };
                luns.add(new long[] {Long.parseLong(m.group(1)), (long) (v * mult)});
            }
        }
        return luns;
    }

    @Override
    public StorageStatus status(StorageEntry s) {
        return new StorageStatus(0, 0, 0, run.run(lsCommand(s)).ok());
    }

    @Override
    public List<VolumeInfo> list(StorageEntry s, Integer vmid, Set<ContentType> content) {
        List<VolumeInfo> out = new ArrayList<>();
        if (vmid != null) return out;
        for (long[] l : parseLs(run.check(lsCommand(s)), s.require("target"))) {
            out.add(new VolumeInfo(s.id() + ":lun" + l[0], ContentType.IMAGES, "raw", l[1], l[1], null, null, 0, false, null));
        }
        return out;
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
        long lun = Long.parseLong(parseVolname(volname).name().substring(3));
        for (long[] l : parseLs(run.check(lsCommand(s)), s.require("target"))) if (l[0] == lun) return l[1];
        throw new StorageException("volume '" + volname + "' does not exist");
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
