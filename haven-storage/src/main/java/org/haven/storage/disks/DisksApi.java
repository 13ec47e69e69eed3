package org.haven.storage.disks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.haven.api.ApiException;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.Handler;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.api.task.TaskLog;
import org.haven.api.task.TaskWorker;
import org.haven.core.cfs.ClusterFs;
import org.haven.storage.StorageException;
import org.haven.storage.StorageManager;
import org.haven.storage.api.StorageApi;
import org.haven.storage.spi.CommandFailedException;
import org.haven.storage.spi.ProcessCommandRunner;

/**
 * {@code /nodes/{node}/disks}: PVE's disk management of a node (list, SMART, GPT, wipe) and the storages made from
 * disks (LVM volume groups, LVM thin pools, directories on a mounted file system, ZFS pools), each creation and removal
 * a task. Devices are checked as PVE does: a block device below /dev that the list shows, and not in use.
 */
public final class DisksApi implements ApiModule {
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("node", "The cluster node name."), Map.entry("disk", "Block device name"),
            Map.entry("device", "The block device to use."), Map.entry("devices", "The block devices to create the zpool on."),
            Map.entry("name", "The storage identifier."), Map.entry("add_storage", "Configure a storage on the result."),
            Map.entry("cleanup-config", "Take this node out of the storages on it (remove those for this node only)."),
            Map.entry("cleanup-disks", "Also wipe the disks so they can be used again."),
            Map.entry("filesystem", "The file system to create."), Map.entry("healthonly", "Return only the health status."),
            Map.entry("include-partitions", "Also list partitions."), Map.entry("skipsmart", "Skip the SMART checks."),
            Map.entry("type", "Only list disks of this kind."), Map.entry("uuid", "UUID of the GPT."),
            Map.entry("volume-group", "The volume group of the thin pool."), Map.entry("ashift", "Sector size exponent of the pool."),
            Map.entry("compression", "Compression algorithm of the pool."), Map.entry("raidlevel", "RAID level of the pool."),
            Map.entry("draid-config", "dRAID data devices per redundancy group and spares."));
    private static final SpecMethods SPEC = SpecMethods.load(DisksApi.class, "disks-api.json", DESCRIPTIONS);
    private static final String BASE = "/nodes/{node}/disks";
    /** PVE's disk lock: one disk change at a time on a node. */
    private static final ReentrantLock LOCK = new ReentrantLock();

    private final StorageManager sm;
    private final boolean includeLoop;
    private NodeContext ctx;
    private HostDisks host;

    /** The module as the node loads it: PVE's disks only; new storages are added to {@code sm}. */
    public DisksApi(StorageManager sm) { this(sm, false); }

    /** {@code includeLoop}: loop devices count as disks (for tests on loop devices they create). */
    public DisksApi(StorageManager sm, boolean includeLoop) {
        this.sm = sm;
        this.includeLoop = includeLoop;
    }

    @Override public String name() { return "disks"; }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        this.host = new HostDisks(new ProcessCommandRunner(), includeLoop);
        add(reg, "GET", "", "Node index.", (p, rc) -> Stream.of("directory", "initgpt", "list", "lvm", "lvmthin", "smart", "wipedisk", "zfs")
                .map(n -> Map.of("name", n)).toList());
        add(reg, "GET", "/list", "List local disks.", (p, rc) -> {
            var devices = host.devices();
            return DiskList.entries(devices, host.usage(devices, p.bool("skipsmart", false)), includeLoop,
                    p.bool("include-partitions", false), p.opt("type").orElse(null));
        });
        add(reg, "GET", "/smart", "Get the SMART health of a disk.", (p, rc) ->
                host.smart(host.verifyBlockdev(p.str("disk")), p.bool("healthonly", false)));
        add(reg, "POST", "/initgpt", "Initialize a disk with GPT.", this::initGpt);
        add(reg, "PUT", "/wipedisk", "Wipe a disk or partition.", this::wipeDisk);
        add(reg, "GET", "/lvm", "List LVM volume groups.", (p, rc) -> DiskPlans.lvmTree(
                lvm("vgs", "vg_name,vg_size,vg_free"), lvm("pvs", "pv_name,pv_size,pv_free,vg_name")));
        add(reg, "POST", "/lvm", "Create an LVM volume group.", (p, rc) -> createLvm(p, rc, false));
        add(reg, "DELETE", "/lvm/{name}", "Remove an LVM volume group.", this::removeLvm);
        add(reg, "GET", "/lvmthin", "List LVM thin pools.", (p, rc) -> DiskPlans.thinPools(
                lvm("lvs", "vg_name,lv_name,lv_size,data_percent,lv_metadata_size,metadata_percent,segtype")));
        add(reg, "POST", "/lvmthin", "Create an LVM thin pool.", (p, rc) -> createLvm(p, rc, true));
        add(reg, "DELETE", "/lvmthin/{name}", "Remove an LVM thin pool.", this::removeThin);
        add(reg, "GET", "/directory", "Directory storages on disks of this node (their mount units).", (p, rc) -> directories());
        add(reg, "POST", "/directory", "Create a file system on an unused disk and mount it below the mount directory.", this::createDirectory);
        add(reg, "DELETE", "/directory/{name}", "Unmount a directory storage and remove its mount unit.", this::removeDirectory);
        add(reg, "GET", "/zfs", "List ZFS pools.", (p, rc) -> zfsInstalled()
                ? DiskPlans.zpools(host.runner().check(List.of("zpool", "list", "-HpPLo", "name,size,alloc,free,frag,dedup,health"))) : List.of());
        add(reg, "GET", "/zfs/{name}", "Details of a ZFS pool.", (p, rc) -> {
            requireZfs();
            var r = host.runner().run(List.of("zpool", "status", "-P", p.str("name")));
            if (!r.ok()) throw ApiException.notFound("zpool '" + p.str("name") + "' not found");
            return DiskPlans.zpoolStatus(r.stdout());
        });
        add(reg, "POST", "/zfs", "Create a ZFS pool.", this::createZfs);
        add(reg, "DELETE", "/zfs/{name}", "Destroy a ZFS pool.", this::removeZfs);
    }

    /**
     * Without systemd (an embedded node, a host without it) nothing mounts the directory storages at boot: the node
     * mounts those of its units that are not mounted when it starts (by file system UUID, which needs no udev).
     */
    @Override
    public void start(NodeContext ctx) throws IOException {
        if (systemd()) return;
        for (Map<String, Object> d : directories()) {
            String what = (String) d.get("device"), where = (String) d.get("path");
            if (what == null || where == null || isMounted(Path.of(where))) continue;
            String source = what.startsWith("/dev/disk/by-uuid/") ? "UUID=" + what.substring("/dev/disk/by-uuid/".length()) : what;
            Files.createDirectories(Path.of(where));
            var r = host.runner().run(List.of("mount", "-t", String.valueOf(d.get("type")), source, where));
            if (!r.ok()) System.getLogger(DisksApi.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot mount " + what + " on " + where + ": " + r.stderr().strip());
        }
    }

    private static void add(ApiRegistry reg, String method, String sub, String description, Handler h) {
        SPEC.add(reg, method, BASE + sub, description, StorageApi.wrap(h));
    }

    private StorageManager sm() { return sm; }

    /** Where directory storages are mounted: /mnt/pve, or below the data directory of an embedded node. */
    Path mountBase() { return ctx.embedded() ? ctx.dataDir().resolve("mnt").resolve("pve") : Path.of("/mnt/pve"); }

    /** Where their mount units live: /etc/systemd/system, or below the data directory of an embedded node. */
    Path unitDir() { return ctx.embedded() ? ctx.dataDir().resolve("disks").resolve("systemd") : Path.of("/etc/systemd/system"); }

    /** Mount units go through systemd on a node in system mode on a host that runs systemd. */
    private boolean systemd() { return !ctx.embedded() && Files.isDirectory(Path.of("/run/systemd/system")); }

    private String lvm(String tool, String fields) {
        var r = host.runner().run(List.of(tool, "--noheadings", "--units", "b", "--nosuffix", "--separator", ":", "-o", fields));
        return r.ok() ? r.stdout() : "";
    }

    /** A disk-changing task: runs {@code body} under the node's disk lock. */
    private String task(RequestContext rc, String type, String id, TaskWorker body) {
        return ctx.tasks().start(type, id, rc.authid(), log -> {
            LOCK.lock();
            try {
                body.run(log);
            } finally {
                LOCK.unlock();
            }
        });
    }

    private String exec(TaskLog log, List<String> cmd) {
        log.log(String.join(" ", cmd));
        try {
            String out = host.runner().check(cmd);
            for (String l : out.split("\n")) if (!l.isBlank()) log.log(l);
            return out;
        } catch (CommandFailedException e) {
            throw new StorageException("command '" + String.join(" ", cmd) + "' failed: " + e.getMessage());
        }
    }

    private static String base(String dev) { return Path.of(dev).getFileName().toString(); }

    // ---- initgpt, wipedisk ---------------------------------------------------------------------------------------

    private Object initGpt(Params p, RequestContext rc) {
        String disk = host.verifyBlockdev(p.str("disk"));
        if (host.isPartition(disk)) throw new StorageException(disk + " is a partition");
        checkDiskUnused(disk);
        String uuid = p.opt("uuid").orElse(null);
        return task(rc, "diskinit", base(disk), log -> {
            checkDiskUnused(disk);
            exec(log, DiskPlans.initGpt(disk, uuid));
        });
    }

    private void checkDiskUnused(String disk) {
        if (host.usedBy(disk).isPresent()) throw new StorageException("disk '" + disk + "' is already in use");
    }

    private Object wipeDisk(Params p, RequestContext rc) {
        String disk = host.verifyBlockdev(p.str("disk"));
        checkWipeable(disk);
        return task(rc, "wipedisk", base(disk), log -> {
            checkWipeable(disk);
            wipe(log, disk);
        });
    }

    /** PVE's refusal to wipe a disk or partition that is mounted or held (by device mapper), itself or a partition of it. */
    private void checkWipeable(String disk) {
        var devices = host.devices();
        DiskList.Device d = devices.stream().filter(x -> x.path().equals(disk)).findFirst()
                .orElseThrow(() -> new StorageException("not a valid block device"));
        for (DiskList.Device x : devices) {
            boolean self = x == d, part = d.name().equals(x.parent()) && x.type().equals("part");
            if ((self || part) && x.mountpoint() != null) throw new StorageException("disk/partition '" + x.path() + "' is mounted");
            if (self || part) for (DiskList.Device h : devices)
                if (x.name().equals(h.parent()) && !h.type().equals("part")) throw new StorageException("disk/partition '" + x.path() + "' has a holder");
        }
        if (host.zpoolDevices(null).contains(disk)) throw new StorageException("disk/partition '" + disk + "' is used by ZFS");
    }

    private void wipe(TaskLog log, String dev) {
        DiskList.Device d = host.device(dev);
        for (List<String> cmd : DiskPlans.wipe(dev, host.partitions(dev), d.size())) exec(log, cmd);
        if (!host.isPartition(dev) && !host.runner().run(List.of("blockdev", "--rereadpt", dev)).ok()) {
            // a device the kernel does not scan (a loop device without partscan) keeps its partitions until told
            var r = host.runner().run(List.of("partx", "--delete", dev));
            if (!r.ok()) log.log("dropping the partitions of " + dev + " failed: " + r.stderr().strip());
        }
    }

    // ---- storages on disks ---------------------------------------------------------------------------------------

    private void checkAddStorage(Params p, RequestContext rc) {
        if (!p.bool("add_storage", false)) return;
        rc.requirePermission("/storage", "Datastore.Allocate");
        String id = p.str("name");
        if (sm().config().get(id).isPresent()) throw new StorageException("storage ID '" + id + "' already defined");
    }

    private void checkCleanupConfig(Params p, RequestContext rc) {
        if (p.bool("cleanup-config", false)) rc.requirePermission("/storage", "Datastore.Allocate");
    }

    private void addStorage(TaskLog log, String type, String id, String key, Map<String, String> params) {
        sm().modifyConfig(null, cfg -> {
            DiskStorages.addForNode(cfg, ctx.nodeName(), type, id, key, params);
            return null;
        });
        log.log("added storage '" + id + "' (" + type + ") for node " + ctx.nodeName());
    }

    private void cleanupConfig(Params p, TaskLog log, String type, String key, String value) {
        if (!p.bool("cleanup-config", false)) return;
        Set<String> nodes = new TreeSet<>();
        for (ClusterFs.Entry e : ctx.cfs().list("nodes")) if (e.directory()) nodes.add(e.name());
        nodes.add(ctx.nodeName());
        sm().modifyConfig(null, cfg -> {
            DiskStorages.cleanupForNode(cfg, ctx.nodeName(), nodes, type, key, value);
            return null;
        });
        log.log("removed node " + ctx.nodeName() + " from the " + type + " storages with " + key + " " + value);
    }

    private Object createLvm(Params p, RequestContext rc, boolean thin) {
        String name = p.str("name");
        String dev = host.verifyBlockdev(p.str("device"));
        host.assertUnused(dev);
        checkAddStorage(p, rc);
        checkVgFree(name);
        return task(rc, thin ? "lvmthincreate" : "lvmcreate", name, log -> {
            host.assertUnused(dev);
            checkVgFree(name);
            for (List<String> cmd : DiskPlans.lvmCreate(dev, name)) exec(log, cmd);
            if (thin) {
                String kib = exec(log, List.of("pvs", "--noheadings", "--units", "k", "--nosuffix", "-o", "pv_size", dev)).strip();
                try {
                    exec(log, DiskPlans.lvmThinCreate(name, DiskPlans.num(kib)));
                } catch (IllegalArgumentException e) {
                    throw new StorageException(e.getMessage());
                }
            }
            if (!p.bool("add_storage", false)) return;
            if (thin) addStorage(log, "lvmthin", name, "thinpool", Map.of("vgname", name, "thinpool", name, "content", "rootdir,images"));
            else addStorage(log, "lvm", name, "vgname", Map.of("vgname", name, "content", "rootdir,images", "shared", "0"));
        });
    }

    private boolean vgExists(String vg) {
        return DiskPlans.rows(lvm("vgs", "vg_name"), 1).stream().anyMatch(f -> f[0].equals(vg));
    }

    private void checkVgFree(String name) {
        if (vgExists(name)) throw new StorageException("volume group with name '" + name + "' already exists on node '" + ctx.nodeName() + "'");
    }

    private void requireVg(String vg) {
        if (!vgExists(vg)) throw new StorageException("no such volume group '" + vg + "'");
    }

    /** The PVs of volume group {@code vg}. */
    private List<String> pvsOf(String vg) {
        List<String> out = new ArrayList<>();
        for (String[] f : DiskPlans.rows(lvm("pvs", "pv_name,vg_name"), 2)) if (f[1].equals(vg)) out.add(f[0]);
        return out;
    }

    private Object removeLvm(Params p, RequestContext rc) {
        String name = p.str("name");
        requireVg(name);
        checkCleanupConfig(p, rc);
        return task(rc, "lvmremove", name, log -> {
            List<String> pvs = pvsOf(name);
            exec(log, List.of("vgremove", "-y", name));
            cleanupConfig(p, log, "lvm", "vgname", name);
            if (p.bool("cleanup-disks", false)) wipePvs(log, pvs);
        });
    }

    private void wipePvs(TaskLog log, List<String> pvs) {
        for (String pv : pvs) {
            exec(log, List.of("pvremove", "-y", pv));
            wipe(log, host.verifyBlockdev(pv));
        }
    }

    private Object removeThin(Params p, RequestContext rc) {
        String name = p.str("name"), vg = p.str("volume-group");
        requireVg(vg);
        if (DiskPlans.thinPools(lvm("lvs", "vg_name,lv_name,lv_size,data_percent,lv_metadata_size,metadata_percent,segtype")).stream()
                .noneMatch(t -> t.get("vg").equals(vg) && t.get("lv").equals(name)))
            throw new StorageException("no such thin pool " + vg + "/" + name);
        checkCleanupConfig(p, rc);
        return task(rc, "lvmthinremove", name, log -> {
            exec(log, List.of("lvremove", "-y", vg + "/" + name));
            cleanupConfig(p, log, "lvmthin", "thinpool", name);
            if (!p.bool("cleanup-disks", false)) return;
            if (!DiskPlans.rows(lvm("lvs", "vg_name,lv_name"), 2).stream().filter(f -> f[0].equals(vg)).toList().isEmpty())
                throw new StorageException("volume group '" + vg + "' still in use");
            List<String> pvs = pvsOf(vg);
            exec(log, List.of("vgremove", "-y", vg));
            wipePvs(log, pvs);
        });
    }

    // ---- directory -----------------------------------------------------------------------------------------------

    private List<Map<String, Object>> directories() throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        Path dir = unitDir();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.sorted().toList()) {
                String n = f.getFileName().toString();
                if (!n.startsWith("mnt-pve-") || !n.endsWith(".mount")) continue;
                out.add(DiskPlans.directoryEntry(f.toString(), Files.readString(f)));
            }
        }
        return out;
    }

    private Path unitFile(String name) {
        // systemd's name for /mnt/pve/<name>, also for the units an embedded node keeps below its data directory
        return unitDir().resolve(DiskPlans.mountUnitName("/mnt/pve/" + name));
    }

    private boolean isMounted(Path where) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts")))
                if (line.split(" ")[1].equals(where.toString())) return true;
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Object createDirectory(Params p, RequestContext rc) {
        String name = p.str("name");
        String fs = p.str("filesystem", "ext4");
        String dev = host.verifyBlockdev(p.str("device"));
        Path where = mountBase().resolve(name);
        Path unit = unitFile(name);
        Runnable checks = () -> {
            host.assertUnused(dev);
            if (Files.exists(unit)) throw new StorageException("a systemd mount unit already exists: " + unit);
            if (isMounted(where)) throw new StorageException("the path for '" + name + "' is already mounted: " + where);
        };
        checks.run();
        checkAddStorage(p, rc);
        return task(rc, "dircreate", name, log -> {
            checks.run();
            String part = dev;
            if (!host.isPartition(dev)) {
                exec(log, List.of("sgdisk", "-n1", "-t1:8300", dev));
                List<String> parts = host.partitions(dev);
                if (parts.isEmpty()) { // a kernel without the GPT parser learns the partition from partx
                    exec(log, List.of("partx", "--update", dev));
                    parts = host.partitions(dev);
                }
                if (parts.isEmpty()) throw new StorageException("the new partition of " + dev + " did not appear");
                part = parts.getFirst();
            }
            exec(log, List.of("mkfs", "-t", fs, part));
            String uuid = exec(log, List.of("blkid", "-p", "-o", "value", "-s", "UUID", part)).strip();
            Files.createDirectories(where);
            Files.createDirectories(unit.getParent());
            Files.writeString(unit, DiskPlans.mountUnit(name, "/dev/disk/by-uuid/" + uuid, where.toString(), fs));
            log.log("wrote " + unit);
            if (systemd()) {
                exec(log, List.of("systemctl", "daemon-reload"));
                exec(log, List.of("systemctl", "enable", unit.getFileName().toString()));
                exec(log, List.of("systemctl", "start", unit.getFileName().toString()));
            } else {
                exec(log, List.of("mount", "-t", fs, part, where.toString()));
            }
            if (p.bool("add_storage", false))
                addStorage(log, "dir", name, "path", Map.of("path", where.toString(), "is_mountpoint", "yes",
                        "content", "rootdir,images,iso,backup,vztmpl,snippets"));
        });
    }

    private Object removeDirectory(Params p, RequestContext rc) {
        String name = p.str("name");
        Path unit = unitFile(name);
        if (!Files.exists(unit)) throw new StorageException("mount unit '" + unit + "' does not exist");
        checkCleanupConfig(p, rc);
        return task(rc, "dirremove", name, log -> {
            Map<String, Object> e = DiskPlans.directoryEntry(unit.toString(), Files.readString(unit));
            String where = (String) e.get("path");
            String what = (String) e.get("device");
            String dev = null;
            if (what != null && what.startsWith("/dev/disk/by-uuid/")) {
                var r = host.runner().run(List.of("blkid", "-U", what.substring("/dev/disk/by-uuid/".length())));
                if (r.ok()) dev = r.stdout().strip();
            } else dev = what;
            if (systemd()) {
                exec(log, List.of("systemctl", "stop", unit.getFileName().toString()));
                exec(log, List.of("systemctl", "disable", unit.getFileName().toString()));
            } else if (isMounted(Path.of(where))) {
                exec(log, List.of("umount", where));
            }
            Files.delete(unit);
            log.log("removed " + unit);
            if (systemd()) exec(log, List.of("systemctl", "daemon-reload"));
            cleanupConfig(p, log, "dir", "path", where);
            if (p.bool("cleanup-disks", false)) {
                if (dev == null) throw new StorageException("cannot find the device of " + what);
                wipe(log, host.verifyBlockdev(dev));
            }
        });
    }

    // ---- zfs -----------------------------------------------------------------------------------------------------

    private static boolean zfsInstalled() { return HostDisks.installed("zpool"); }

    private static void requireZfs() {
        if (!zfsInstalled()) throw new StorageException("zpool not found: ZFS (zfsutils-linux) is not installed on this node");
    }

    private Object createZfs(Params p, RequestContext rc) {
        String name = p.str("name");
        List<String> devs = new ArrayList<>();
        for (String d : p.str("devices").split("[,;\\s]+")) if (!d.isEmpty()) devs.add(host.verifyBlockdev(d));
        for (String d : devs) host.assertUnused(d);
        List<List<String>> plan;
        try {
            plan = DiskPlans.zfsCreate(name, p.str("raidlevel"), devs, Integer.parseInt(p.str("ashift", "12")), p.str("compression", "on"),
                    p.opt("draid-config").map(DiskPlans.Draid::parse).orElse(null));
        } catch (IllegalArgumentException e) {
            throw new StorageException(e.getMessage());
        }
        requireZfs();
        checkAddStorage(p, rc);
        return task(rc, "zfscreate", name, log -> {
            for (String d : devs) host.assertUnused(d);
            for (List<String> cmd : plan) exec(log, cmd);
            if (systemd()) host.runner().run(List.of("systemctl", "enable", "zfs-import@" + name + ".service"));
            if (p.bool("add_storage", false))
                addStorage(log, "zfspool", name, "pool", Map.of("pool", name, "content", "rootdir,images", "mountpoint", "/" + name));
        });
    }

    private Object removeZfs(Params p, RequestContext rc) {
        String name = p.str("name");
        requireZfs();
        checkCleanupConfig(p, rc);
        return task(rc, "zfsremove", name, log -> {
            List<String> devs = host.zpoolDevices(name);
            exec(log, List.of("zpool", "destroy", name));
            if (systemd()) host.runner().run(List.of("systemctl", "disable", "zfs-import@" + name + ".service"));
            cleanupConfig(p, log, "zfspool", "pool", name);
            if (p.bool("cleanup-disks", false)) for (String d : devs) wipe(log, host.verifyBlockdev(d));
        });
    }
}
