package org.haven.qemu.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

import org.haven.guest.GuestVolumes;
import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.MigrationChecks;
import org.haven.qemu.config.QemuOptions;

/**
 * Which disks the target of a live migration with local disks allocates anew (PVE's
 * {@code vm_migrate_alloc_nbd_disks}): every attached drive on a storage that is not shared, on the storage the
 * {@code targetstorage} map names, in the source's format when that storage holds it and in its default format
 * otherwise (the mirror converts), with the size the config records. Pure: storages come in through a lookup.
 */
public final class IncomingDisks {
    private IncomingDisks() {}

    /** What the plan needs to know about a storage. */
    public record StorageFacts(boolean shared, List<String> formats, String defaultFormat) {}

    /** A disk to allocate on the target: drive key, the source's volume, the target storage and format, the size in bytes. */
    public record Disk(String key, String sourceVolid, String storage, String format, long sizeBytes) {}

    /**
     * The disks of {@code conf} to allocate; {@code formatOf} gives a source volume's format. Fails with PVE-style
     * messages for a local disk that cannot be mirrored.
     */
    public static List<Disk> plan(Map<String, String> conf, MigrationChecks.StorageMap map,
                                  Function<String, Optional<StorageFacts>> storages, Function<String, String> formatOf) {
        List<Disk> out = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(conf).entrySet()) {
            String key = e.getKey();
            if (!QemuOptions.isDisk(key)) continue;
            Map<String, String> d = QemuOptions.props(key, e.getValue());
            String volid = d.get("file");
            if (volid == null || volid.equals("none") || volid.equals("cdrom") || volid.startsWith("/")) continue;
            if ("cdrom".equals(d.get("media"))) continue;
            int colon = volid.indexOf(':');
            if (colon < 0) continue;
            String source = volid.substring(0, colon);
            StorageFacts src = storages.apply(source).orElseThrow(() -> new GuestException(500, "storage '" + source + "' does not exist"));
            if (src.shared()) continue;
            if (key.equals("tpmstate0")) throw new GuestException(500, "can't live migrate local TPM state '" + volid + "' - use a shared storage or migrate offline");
            String to = map.map(source);
            StorageFacts dst = storages.apply(to).orElseThrow(() -> new GuestException(500, "storage '" + to + "' does not exist"));
            long size = GuestVolumes.parseSize(d.get("size"));
            if (size <= 0) throw new GuestException(500, "unable to migrate local disk '" + key + "': the config has no size of '" + volid + "'");
            String fmt = d.getOrDefault("format", formatOf.apply(volid));
            if (fmt == null || !dst.formats().contains(fmt)) fmt = dst.defaultFormat();
            out.add(new Disk(key, volid, to, fmt, size));
        }
        return out;
    }
}
