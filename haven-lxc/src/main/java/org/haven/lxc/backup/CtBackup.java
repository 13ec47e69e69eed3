package org.haven.lxc.backup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.haven.guest.GuestBackups;
import org.haven.guest.GuestType;
import org.haven.guest.GuestVolumes;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestException;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.LxcOptions;
import org.haven.lxc.config.MountPoint;
import org.haven.lxc.run.CtRuntime;
import org.haven.lxc.run.CtVolumes;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.Feature;

/**
 * vzdump's container plug-in (PVE's {@code PVE::VZDump::LXC}): the archive is a tar of the container's file tree,
 * the root file system and the volume mount points with {@code backup=1} under their mount paths. {@code stop}
 * archives the stopped container's mounted volumes; {@code suspend} copies the running container's files with
 * {@code rsync}, freezes it, copies again what changed and thaws it; {@code snapshot} takes storage snapshots of
 * the volumes (named {@code vzdump}, the container frozen for that moment) and archives them mounted read-only.
 * A restore allocates the volumes {@link RestorePlan} names and mounts them as one tree to unpack into.
 */
public final class CtBackup implements GuestType.Backup {
    static final String SNAP = "vzdump";

    private final CtRuntime runtime;
    private final java.util.function.BiConsumer<GuestConfig, Boolean> newMacs;

    /** {@code newMacs}: gives the interfaces of a config new MAC addresses (all of them, or those without one). */
    public CtBackup(CtRuntime runtime, java.util.function.BiConsumer<GuestConfig, Boolean> newMacs) {
        this.runtime = runtime;
        this.newMacs = newMacs;
    }

    @Override public GuestType.ArchiveKind archiveKind() { return GuestType.ArchiveKind.TAR; }

    @Override public void prepare(int vmid, String mode, Consumer<String> log) {}

    @Override public void release(int vmid, String mode, Consumer<String> log) {}

    /** PVE's {@code mountpoint_backup_enabled}: the rootfs always, a volume mount point with {@code backup=1}, never a bind or device mount. */
    static GuestType.BackupVolume backupVolume(MountPoint m) {
        if (m.key().equals("rootfs")) return new GuestType.BackupVolume(m.key(), m.volume(), true, "rootfs");
        if (m.kind() != MountPoint.Kind.VOLUME) return new GuestType.BackupVolume(m.key(), m.volume(), false, "not a volume");
        return m.flag("backup") ? new GuestType.BackupVolume(m.key(), m.volume(), true, "enabled")
                : new GuestType.BackupVolume(m.key(), m.volume(), false, "disabled");
    }

    /** The rootfs, then the mount points by index (PVE's {@code foreach_volume} order). */
    @Override public List<GuestType.BackupVolume> backupVolumes(GuestConfig cfg) {
        CtConfig c = CtConfig.of(cfg.current());
        List<GuestType.BackupVolume> out = new ArrayList<>();
        if (c.rootfs() != null) out.add(backupVolume(c.rootfs()));
        c.mountPoints().values().forEach(m -> out.add(backupVolume(m)));
        return out;
    }

    /** The mount points a backup includes, in mount order. */
    static List<MountPoint> included(GuestConfig cfg) {
        return CtConfig.of(cfg.current()).mountsInOrder().stream().filter(m -> backupVolume(m).included()).toList();
    }

    @Override public Map<String, String> volumes(GuestConfig cfg) {
        Map<String, String> out = new LinkedHashMap<>();
        for (MountPoint m : included(cfg)) if (m.kind() == MountPoint.Kind.VOLUME) out.put(m.key(), m.volume());
        return out;
    }

    @Override public boolean canSnapshot(GuestConfig cfg) {
        var sm = runtime.volumes().storage();
        for (MountPoint m : included(cfg)) {
            if (m.kind() != MountPoint.Kind.VOLUME || !sm.hasFeature(Feature.SNAPSHOT, m.volume(), null, true)) return false;
        }
        return true;
    }

    @Override public void makeUnique(GuestConfig cfg) { newMacs.accept(cfg, true); }

    /** The tar sources of the included mount points: {@code ./} and {@code ./<path>} of the others. */
    static List<String> sources(List<MountPoint> included) {
        List<String> out = new ArrayList<>();
        for (MountPoint m : included) out.add(m.key().equals("rootfs") ? "./" : "." + m.mp());
        return out;
    }

    /** The mount paths of the mount points the backup leaves out. */
    static List<String> excluded(GuestConfig cfg) {
        return CtConfig.of(cfg.current()).mountsInOrder().stream().filter(m -> !backupVolume(m).included()).map(MountPoint::mp).toList();
    }

    @Override
    public GuestType.FileTree files(int vmid, GuestConfig cfg, String mode, Path tmpdir, Consumer<String> log) {
        CtConfig c = CtConfig.of(cfg.current());
        for (MountPoint m : c.mountsInOrder()) {
            GuestType.BackupVolume b = backupVolume(m);
            if (b.included()) log.accept("including mount point " + m.key() + " ('" + m.mp() + "') in backup");
            else log.accept("excluding " + m.kind().name().toLowerCase() + " mount point " + m.key() + " ('" + m.mp() + "') from backup");
        }
        List<MountPoint> included = included(cfg);
        List<String> sources = sources(included);
        List<String> excludes = excluded(cfg);
        CtVolumes volumes = runtime.volumes();
        Path mnt = runtime.lxc().dir(vmid).resolve("vzdump");
        GuestType.FileTree tree = switch (mode) {
            case "stop" -> {
                volumes.umount(mnt);
                volumes.mountTree(included, mnt, null);
                yield new GuestType.FileTree(mnt, sources, excludes, () -> volumes.umount(mnt));
            }
            case "snapshot" -> snapshot(vmid, included, mnt, sources, excludes, log);
            case "suspend" -> suspend(vmid, included, excludes, tmpdir.resolve("copy"), log);
            default -> throw new GuestException(500, "unknown backup mode '" + mode + "'");
        };
        List<String> userns = runtime.idMap(c).usernsexec();
        if (userns.isEmpty()) return tree;
        // the mapped root cannot read a file system's lost+found, as PVE's vzdump leaves it out
        List<String> excludes2 = new ArrayList<>(tree.excludes());
        excludes2.add("lost+found");
        return new GuestType.FileTree(tree.root(), tree.sources(), excludes2, tree.release(), userns);
    }

    private GuestType.FileTree snapshot(int vmid, List<MountPoint> included, Path mnt, List<String> sources, List<String> excludes, Consumer<String> log) {
        var sm = runtime.volumes().storage();
        List<String> volids = included.stream().map(MountPoint::volume).toList();
        for (String v : volids) {
            if (sm.snapshots(v).contains(SNAP)) {
                log.accept("found old vzdump snapshot (force removal)");
                sm.deleteSnapshot(v, SNAP, false);
            }
        }
        log.accept("create storage snapshot '" + SNAP + "'");
        List<String> taken = new ArrayList<>();
        Runnable release = () -> {
            runtime.volumes().umount(mnt);
            if (!taken.isEmpty()) log.accept("cleanup temporary '" + SNAP + "' snapshot");
            for (String v : taken) {
                try {
                    sm.deleteSnapshot(v, SNAP, false);
                } catch (RuntimeException e) {
                    log.accept("WARN: unable to remove snapshot '" + SNAP + "' of '" + v + "' - " + e.getMessage());
                }
            }
        };
        try {
            runtime.lxc().freeze(vmid);
            try {
                for (String v : volids) {
                    sm.snapshot(v, SNAP);
                    taken.add(v);
                }
            } finally {
                runtime.lxc().unfreeze(vmid);
            }
            runtime.volumes().umount(mnt);
            runtime.volumes().mountTree(included, mnt, SNAP);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new GuestType.FileTree(mnt, sources, excludes, release);
    }

    /** The rsync of a running container's files (as its init sees them) into {@code copy}: a first pass, or the final one. */
    static List<String> rsync(int pid, List<MountPoint> included, List<String> excludes, Path copy, boolean first) {
        List<String> c = new ArrayList<>(List.of("rsync", "--stats", "-h", "-X", "-A", "--numeric-ids", "-aH", "--delete", "--no-whole-file",
                first ? "--sparse" : "--inplace", "--one-file-system", "--relative"));
        for (String e : excludes) c.add("--exclude=" + e);
        String from = "/proc/" + pid + "/root/.";
        for (MountPoint m : included) c.add(m.key().equals("rootfs") ? from + "/" : from + m.mp());
        c.add(copy + "/");
        return c;
    }

    /** The copy is one file system with the mount points inside: archived as one source. */
    private GuestType.FileTree suspend(int vmid, List<MountPoint> included, List<String> excludes, Path copy, Consumer<String> log) {
        Integer pid = runtime.lxc().pid(vmid);
        if (pid == null) throw new GuestException(500, "unable to get the PID of CT " + vmid);
        try {
            java.nio.file.Files.createDirectories(copy);
        } catch (java.io.IOException e) {
            throw new GuestException(500, "unable to create " + copy + ": " + e.getMessage());
        }
        String from = "/proc/" + pid + "/root/";
        log.accept("starting first sync " + from + " to " + copy);
        long t0 = System.nanoTime();
        sync(rsync(pid, included, excludes, copy, true));
        log.accept("first sync finished (" + seconds(t0) + " seconds)");
        log.accept("suspending guest");
        long stopped = System.nanoTime();
        runtime.lxc().freeze(vmid);
        try {
            log.accept("starting final sync " + from + " to " + copy);
            long t1 = System.nanoTime();
            sync(rsync(pid, included, excludes, copy, false));
            log.accept("final sync finished (" + seconds(t1) + " seconds)");
        } finally {
            log.accept("resuming guest");
            runtime.lxc().unfreeze(vmid);
        }
        log.accept("guest is online again after " + seconds(stopped) + " seconds");
        return new GuestType.FileTree(copy, List.of("./"), excludes, () -> {});
    }

    private static long seconds(long since) { return Math.round((System.nanoTime() - since) / 1e9); }

    /** rsync's exit 24 (files that vanished while it ran) is no error, as for PVE. */
    private void sync(List<String> cmd) {
        CommandRunner.Result r = runtime.lxc().runner().run(cmd);
        if (!r.ok() && r.exitCode() != 24)
            throw new GuestException(500, "command '" + String.join(" ", cmd) + "' failed: exit code " + r.exitCode() + " - " + r.stderr().strip());
    }

    @Override
    public GuestType.RestoreTarget restoreTarget(int vmid, GuestConfig archived, GuestBackups.RestoreOptions options, Consumer<String> log) {
        RestorePlan plan = RestorePlan.of(archived, LxcOptions.checkAll(options.config()), options.storage() == null ? "local" : options.storage());
        CtVolumes volumes = runtime.volumes();
        GuestConfig cfg = plan.config();
        List<String> allocated = new ArrayList<>();
        Consumer<Consumer<String>> free = l -> {
            for (String v : allocated) {
                try {
                    l.accept("freeing volume '" + v + "'");
                    volumes.storage().free(v);
                } catch (RuntimeException e) {
                    l.accept("unable to free '" + v + "' - " + e.getMessage());
                }
            }
        };
        Path root = runtime.lxc().rootfs(vmid);
        try {
            for (var e : plan.mounts().entrySet()) {
                MountPoint mp = MountPoint.parse(e.getKey(), e.getValue());
                if (CtVolumes.isNewVolume(mp.volume())) {
                    long bytes = CtVolumes.bytes(mp.volume());
                    String volid = volumes.allocate(vmid, mp.volume(), runtime.idMap(CtConfig.of(cfg.current())));
                    allocated.add(volid);
                    log.accept("allocated " + mp.key() + " volume '" + volid + "'");
                    mp = mp.withVolume(volid).with("size", GuestVolumes.formatSize(bytes));
                }
                cfg.set(mp.key(), mp.print());
            }
            newMacs.accept(cfg, false);
            List<MountPoint> tree = CtConfig.of(cfg.current()).mountsInOrder().stream().filter(m -> m.kind() == MountPoint.Kind.VOLUME).toList();
            volumes.umount(root);
            volumes.mountTree(tree, root, null);
        } catch (RuntimeException e) {
            free.accept(log);
            throw e;
        }
        return new GuestType.RestoreTarget() {
            @Override public Path root() { return root; }
            @Override public GuestConfig config() { return cfg; }
            @Override public void unmount() { volumes.umount(root); }
            @Override public void free(Consumer<String> l) { free.accept(l); }
            @Override public List<String> userns() { return runtime.idMap(CtConfig.of(cfg.current())).usernsexec(); }
        };
    }
}
