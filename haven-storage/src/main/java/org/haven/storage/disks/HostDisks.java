package org.haven.storage.disks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.haven.storage.StorageException;
import org.haven.storage.spi.CommandRunner;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The host's block devices as the disk API sees them: {@code lsblk}, {@code pvs}, {@code zpool} and {@code smartctl},
 * and PVE's checks that a device given to the API is a disk it manages ({@code verify_blockdev_path}) and is not in use
 * ({@code assert_disk_unused}). Loop devices count as disks only when {@code includeLoop} (tests on loop devices).
 */
public final class HostDisks {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final String LSBLK_COLUMNS = "NAME,PATH,SIZE,TYPE,PKNAME,FSTYPE,MOUNTPOINT,MODEL,SERIAL,VENDOR,WWN,ROTA,TRAN,PTTYPE";

    private final CommandRunner run;
    private final boolean includeLoop;
    private final Path sysBlock;

    public HostDisks(CommandRunner run, boolean includeLoop) {
        this(run, includeLoop, Path.of("/sys/class/block"));
    }

    HostDisks(CommandRunner run, boolean includeLoop, Path sysBlock) {
        this.run = run;
        this.includeLoop = includeLoop;
        this.sysBlock = sysBlock;
    }

    public CommandRunner runner() { return run; }

    public boolean includeLoop() { return includeLoop; }

    /** The block devices of {@code lsblk}, one per line (partitions and holders name their parent). */
    public List<DiskList.Device> devices() {
        List<DiskList.Device> out = new ArrayList<>();
        for (DiskList.Device d : parseLsblk(run.check(List.of("lsblk", "--json", "--bytes", "--list", "--output", LSBLK_COLUMNS)))) {
            // without udev lsblk knows no signatures: probe them
            if (d.fstype() == null && d.pttype() == null && d.size() > 0) {
                var r = run.run(List.of("blkid", "--probe", "--output", "export", d.path()));
                if (r.ok()) d = DiskList.withSignatures(d, r.stdout());
            }
            out.add(d);
        }
        return out;
    }

    /** {@code lsblk --json --bytes --list} output as devices. */
    public static List<DiskList.Device> parseLsblk(String json) {
        List<DiskList.Device> out = new ArrayList<>();
        for (JsonNode d : JSON.readTree(json).path("blockdevices")) {
            JsonNode rota = d.path("rota");
            boolean rotational = rota.isBoolean() ? rota.asBoolean() : "1".equals(rota.asString(""));
            out.add(new DiskList.Device(str(d, "name"), str(d, "path"), d.path("size").asLong(0), str(d, "type"), str(d, "pkname"),
                    str(d, "fstype"), str(d, "mountpoint"), str(d, "model"), str(d, "serial"), str(d, "vendor"), str(d, "wwn"),
                    rotational, str(d, "tran"), str(d, "pttype")));
        }
        return out;
    }

    private static String str(JsonNode d, String k) {
        JsonNode v = d.get(k);
        return v == null || v.isNull() ? null : v.asString().strip();
    }

    /** PVs, ZFS pool members and (unless {@code skipSmart}) the SMART health of the listed disks. */
    public DiskList.Usage usage(List<DiskList.Device> devices, boolean skipSmart) {
        Map<String, String> pvs = new HashMap<>();
        var r = run.run(List.of("pvs", "--noheadings", "--separator", ":", "-o", "pv_name,vg_name"));
        if (r.ok()) for (String[] f : DiskPlans.rows(r.stdout(), 2)) pvs.put(f[0], f[1]);
        Set<String> zfs = new HashSet<>(zpoolDevices(null));
        Map<String, String> health = new HashMap<>();
        if (!skipSmart) {
            for (DiskList.Device d : devices) {
                if (d.parent() != null || !DiskList.isListedDisk(d.name(), includeLoop)) continue;
                try {
                    health.put(d.path(), (String) smart(d.path(), true).get("health"));
                } catch (StorageException e) {
                    health.put(d.path(), "UNKNOWN"); // as PVE's list, which ignores SMART errors
                }
            }
        }
        return new DiskList.Usage(pvs, zfs, health);
    }

    /** Devices of all ZFS pools, or of {@code pool}; none where ZFS is not installed. */
    public List<String> zpoolDevices(String pool) {
        if (!installed("zpool")) return List.of();
        List<String> cmd = new ArrayList<>(List.of("zpool", "status", "-P"));
        if (pool != null) cmd.add(pool);
        var r = run.run(cmd);
        return r.ok() ? DiskPlans.zpoolDevices(r.stdout()) : List.of();
    }

    /** SMART data of {@code dev} through {@code smartctl}. */
    public Map<String, Object> smart(String dev, boolean healthonly) {
        if (!installed("smartctl")) return new HashMap<>(Map.of("health", "UNKNOWN"));
        var r = run.run(List.of("smartctl", healthonly ? "-H" : "-a", dev));
        // a device smartctl cannot talk to (a loop device, a virtual disk) has no SMART
        if (r.stdout().contains("Unable to detect device type")) return new HashMap<>(Map.of("health", "UNKNOWN"));
        try {
            return DiskPlans.smart(r.stdout(), r.exitCode(), healthonly);
        } catch (IllegalArgumentException e) {
            throw new StorageException(e.getMessage());
        }
    }

    /** True when the system directories have {@code cmd}. */
    static boolean installed(String cmd) {
        for (String d : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin"))
            if (Files.isExecutable(Path.of(d, cmd))) return true;
        return false;
    }

    /**
     * PVE's {@code verify_blockdev_path}: {@code path} resolved below /dev to a block device that is a listed disk or
     * a partition of one. Anything else (a file, a loop device outside tests, a device-mapper node) is refused.
     */
    public String verifyBlockdev(String path) {
        Path real;
        try {
            real = Path.of(path).toRealPath();
        } catch (IOException | RuntimeException e) {
            throw new StorageException("failed to get absolute path to " + path);
        }
        String abs = real.toString();
        if (!abs.matches("/dev/[^/]+")) throw new StorageException("got unusual device path '" + abs + "'");
        String name = real.getFileName().toString();
        Path sys = sysBlock.resolve(name);
        if (!Files.isDirectory(sys)) throw new StorageException("not a valid block device");
        String disk = name;
        if (Files.exists(sys.resolve("partition"))) {
            try {
                disk = sys.toRealPath().getParent().getFileName().toString();
            } catch (IOException e) {
                throw new StorageException("not a valid block device");
            }
        }
        if (!DiskList.isListedDisk(disk, includeLoop)) throw new StorageException("not a valid block device");
        return abs;
    }

    /** True when {@code dev} is a partition. */
    public boolean isPartition(String dev) {
        return Files.exists(sysBlock.resolve(Path.of(dev).getFileName().toString()).resolve("partition"));
    }

    /** How {@code dev} is used ({@code mounted}, {@code LVM}, {@code partitions}, …), if it is. */
    public Optional<String> usedBy(String dev) {
        List<DiskList.Device> devices = devices();
        return Optional.ofNullable(DiskList.usage(devices, usage(devices, true), dev));
    }

    /** PVE's {@code assert_disk_unused}. */
    public void assertUnused(String dev) {
        if (usedBy(dev).isPresent()) throw new StorageException("device '" + dev + "' is already in use");
    }

    /** Size in bytes and partitions of {@code dev} as lsblk reports them. */
    public DiskList.Device device(String dev) {
        return devices().stream().filter(d -> d.path().equals(dev)).findFirst()
                .orElseThrow(() -> new StorageException("not a valid block device"));
    }

    public List<String> partitions(String dev) {
        List<DiskList.Device> all = devices();
        String name = device(dev).name();
        return all.stream().filter(d -> name.equals(d.parent()) && d.type().equals("part")).map(DiskList.Device::path).toList();
    }
}
