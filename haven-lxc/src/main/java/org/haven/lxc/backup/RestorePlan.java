package org.haven.lxc.backup;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.haven.guest.GuestVolumes;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestException;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.LxcOptions;
import org.haven.lxc.config.MountPoint;

/**
 * What a container restore creates, as PVE's {@code pct restore} decides it (pure: the archived config and the
 * given options in, the mount points to create and the new config out). Without {@code rootfs} among the given
 * options ("simple" mode) every archived volume mount point gets a new volume of its archived size on
 * {@code storage} with its other options kept, and bind and device mount points stay as they were; with
 * {@code rootfs} ("advanced" mode) exactly the given {@code rootfs} and {@code mpN} are created. The other options
 * are the archived ones, each given option taking the place of the archived one; unused volumes, the parent
 * snapshot, the lock and the template flag are not restored.
 */
public record RestorePlan(LinkedHashMap<String, String> mounts, GuestConfig config) {

    /** Archived keys a restore never takes over. */
    static final List<String> DROPPED = List.of("digest", "lock", "parent", "template", "snaptime");

    public static RestorePlan of(GuestConfig archived, Map<String, String> given, String storage) {
        Map<String, String> archivedValues = archived.current().values();
        LinkedHashMap<String, String> mounts = new LinkedHashMap<>();
        if (given.containsKey("rootfs")) {
            given.forEach((k, v) -> { if (LxcOptions.isMountKey(k)) mounts.put(k, v); });
        } else {
            for (String k : given.keySet()) {
                if (LxcOptions.isMountKey(k))
                    throw new GuestException(400, "mount point '" + k + "' given without 'rootfs': give the root file system too to restore to other mount points");
            }
            for (MountPoint m : CtConfig.of(archivedValues).mountsInOrder()) mounts.put(m.key(), simpleMount(m, storage));
        }
        GuestConfig cfg = new GuestConfig();
        cfg.current().description(archived.current().description());
        archivedValues.forEach((k, v) -> {
            if (LxcOptions.isMountKey(k) || k.startsWith("unused") || DROPPED.contains(k) || given.containsKey(k)) return;
            cfg.set(k, v);
        });
        cfg.current().rawLxc().addAll(archived.current().rawLxc());
        given.forEach((k, v) -> { if (!LxcOptions.isMountKey(k) && !k.equals("description")) cfg.set(k, v); });
        if (given.containsKey("description")) cfg.current().description(given.get("description"));
        return new RestorePlan(mounts, cfg);
    }

    /** An archived mount point in simple mode: a volume becomes a new one of its size on {@code storage}. */
    static String simpleMount(MountPoint m, String storage) {
        if (m.kind() != MountPoint.Kind.VOLUME) {
            if (m.key().equals("rootfs"))
                throw new GuestException(400, "restoring rootfs to " + m.kind().name().toLowerCase() + " mount is only possible by specifying -rootfs manually!");
            return m.print();
        }
        String size = m.props().get("size");
        if (size == null) throw new GuestException(400, "unable to detect disk size - please specify " + m.key() + " (size)");
        LinkedHashMap<String, String> p = new LinkedHashMap<>(m.props());
        p.remove("size");
        p.put("volume", storage + ":" + gib(GuestVolumes.parseSize(size)));
        return new MountPoint(m.key(), p).print();
    }

    /** Bytes as the GiB of a new volume ({@code STORAGE:SIZE}), exactly. */
    static String gib(long bytes) {
        return new BigDecimal(bytes).divide(BigDecimal.valueOf(1L << 30)).stripTrailingZeros().toPlainString();
    }
}
