package org.haven.storage.disks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * PVE's disk list ({@code PVE::Diskmanage::get_disks}) from what the host reports, without I/O: the block devices of
 * {@code lsblk}, the physical volumes of {@code pvs}, the devices of ZFS pools and the SMART health of each disk.
 */
public final class DiskList {
    /** The whole disks PVE manages: SCSI/SATA, virtio, Xen, NVMe namespaces and cciss; never loop, ram or dm. */
    static final Pattern PVE_DISK = Pattern.compile("(h|s|x?v)d[a-z]+|nvme\\d+n\\d+|cciss!c\\d+d\\d+");
    static final Pattern LOOP = Pattern.compile("loop\\d+");

    private DiskList() {}

    /** One line of {@code lsblk -J -b -l}: a disk ({@code type} disk/loop) or a partition or a holder with its parent name. */
    public record Device(String name, String path, long size, String type, String parent, String fstype, String mountpoint,
                         String model, String serial, String vendor, String wwn, boolean rotational, String transport, String pttype) {}

    /** What else the host knows: PV device to VG, ZFS pool member devices, SMART health by device path. */
    public record Usage(Map<String, String> lvmPvs, Set<String> zfsDevices, Map<String, String> health) {}

    /** {@code d} with the file system and partition table type of {@code blkid --probe --output export}. */
    public static Device withSignatures(Device d, String blkidExport) {
        String fstype = null, pttype = null;
        for (String line : blkidExport.split("\n")) {
            if (line.startsWith("TYPE=")) fstype = line.substring(5).strip();
            if (line.startsWith("PTTYPE=")) pttype = line.substring(7).strip();
        }
        return new Device(d.name(), d.path(), d.size(), d.type(), d.parent(), fstype, d.mountpoint(), d.model(), d.serial(),
                d.vendor(), d.wwn(), d.rotational(), d.transport(), pttype);
    }

    /** True when {@code name} (a kernel block device name) is a disk PVE lists; loop devices only when {@code includeLoop}. */
    public static boolean isListedDisk(String name, boolean includeLoop) {
        return PVE_DISK.matcher(name).matches() || includeLoop && LOOP.matcher(name).matches();
    }

    /**
     * The entries of {@code GET /nodes/{node}/disks/list}, sorted by device path. {@code type} is null, {@code unused}
     * or {@code journal_disks}; partitions are listed with their {@code parent} when {@code includePartitions}.
     */
    public static List<Map<String, Object>> entries(List<Device> devices, Usage usage, boolean includeLoop,
                                                    boolean includePartitions, String type) {
        Map<String, List<Device>> children = new TreeMap<>();
        for (Device d : devices) if (d.parent() != null) children.computeIfAbsent(d.parent(), k -> new ArrayList<>()).add(d);
        Map<String, Map<String, Object>> out = new TreeMap<>();
        for (Device d : devices) {
            if (d.parent() != null || !isListedDisk(d.name(), includeLoop)) continue;
            List<Device> kids = children.getOrDefault(d.name(), List.of());
            List<Device> parts = kids.stream().filter(k -> k.type().equals("part")).toList();
            boolean held = kids.stream().anyMatch(k -> !k.type().equals("part"));
            boolean mounted = d.mountpoint() != null || parts.stream().anyMatch(p -> p.mountpoint() != null);
            String used = used(d, usage, held);
            if (used == null && !parts.isEmpty()) used = "partitions";
            if (used == null && d.fstype() != null) used = d.fstype();
            boolean gpt = "gpt".equals(d.pttype());
            if ("unused".equals(type) && used != null) continue;
            if ("journal_disks".equals(type) && used != null && !gpt) continue;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("devpath", d.path());
            e.put("size", d.size());
            e.put("type", diskType(d));
            e.put("rpm", d.name().startsWith("nvme") || !d.rotational() ? 0 : -1);
            e.put("gpt", gpt ? 1 : 0);
            e.put("mounted", mounted ? 1 : 0);
            if (used != null) e.put("used", used);
            e.put("health", usage.health().getOrDefault(d.path(), "UNKNOWN"));
            e.put("wearout", "N/A");
            e.put("osdid", -1);
            e.put("osdid-list", null);
            e.put("by_id_link", null);
            putIf(e, "model", d.model());
            putIf(e, "serial", d.serial());
            putIf(e, "vendor", d.vendor());
            putIf(e, "wwn", d.wwn());
            out.put(d.path(), e);
            if (!includePartitions || type != null) continue;
            for (Device p : parts) {
                Map<String, Object> pe = new LinkedHashMap<>();
                String pused = used(p, usage, children.getOrDefault(p.name(), List.of()).stream().anyMatch(k -> !k.type().equals("part")));
                if (pused == null && p.fstype() != null) pused = p.fstype();
                pe.put("devpath", p.path());
                pe.put("parent", d.path());
                pe.put("size", p.size());
                pe.put("type", "partition");
                pe.put("gpt", gpt ? 1 : 0);
                pe.put("mounted", p.mountpoint() != null ? 1 : 0);
                pe.put("used", pused == null ? "partition" : pused);
                pe.put("health", e.get("health"));
                pe.put("wearout", "N/A");
                pe.put("osdid", -1);
                pe.put("osdid-list", null);
                out.put(p.path(), pe);
            }
        }
        return new ArrayList<>(out.values());
    }

    /** PVE's usage of one device, in its order of precedence: ZFS, Device Mapper (a holder), mounted, LVM. */
    static String used(Device d, Usage usage, boolean held) {
        if (usage.zfsDevices().contains(d.path())) return "ZFS";
        if (held) return "Device Mapper";
        if (d.mountpoint() != null) return "mounted";
        if (usage.lvmPvs().containsKey(d.path()) || "LVM2_member".equals(d.fstype())) return "LVM";
        if ("zfs_member".equals(d.fstype())) return "ZFS";
        return null;
    }

    /** nvme, usb, ssd (not rotational) or hdd, as PVE derives it. */
    static String diskType(Device d) {
        if (d.name().startsWith("nvme")) return "nvme";
        if ("usb".equals(d.transport())) return "usb";
        return d.rotational() ? "hdd" : "ssd";
    }

    /** True when the disk or partition {@code path} is used: mounted, held, a PV, a ZFS member, or a disk with partitions. */
    public static String usage(List<Device> devices, Usage usage, String path) {
        for (Device d : devices) {
            if (!d.path().equals(path)) continue;
            List<Device> kids = devices.stream().filter(k -> d.name().equals(k.parent())).toList();
            String u = used(d, usage, kids.stream().anyMatch(k -> !k.type().equals("part")));
            if (u == null && kids.stream().anyMatch(k -> k.mountpoint() != null)) u = "mounted";
            if (u == null && !kids.isEmpty()) u = "partitions";
            return u;
        }
        return null;
    }

    private static void putIf(Map<String, Object> m, String k, String v) {
        if (v != null && !v.isBlank()) m.put(k, v.strip());
    }
}
