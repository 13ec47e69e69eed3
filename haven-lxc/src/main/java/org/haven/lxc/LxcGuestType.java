package org.haven.lxc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import org.haven.guest.GuestType;
import org.haven.guest.VolumeKeys;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestException;
import org.haven.guest.config.MacAddress;
import org.haven.lxc.config.CtConfig;
import org.haven.lxc.config.LxcOptions;
import org.haven.lxc.config.LxcVolumeKeys;
import org.haven.lxc.config.Net;
import org.haven.lxc.run.CtRuntime;
import org.haven.storage.spi.CommandRunner;

/**
 * The container as a {@link GuestType}: {@code lxc} configs, {@code rootfs} and {@code mpN} as volumes, LXC as the
 * runtime. Snapshots are storage snapshots of the volumes, taken with the container frozen while it runs. Clones
 * get new MAC addresses and, when named, the new hostname; full clones copy image files or subvolume trees.
 */
public final class LxcGuestType implements GuestType {
    private final CtRuntime runtime;
    private final SplittableRandom random = new SplittableRandom();

    private final org.haven.lxc.backup.CtBackup backup;

    public LxcGuestType(CtRuntime runtime) {
        this.runtime = runtime;
        this.backup = new org.haven.lxc.backup.CtBackup(runtime, this::newMacs);
    }

    public CtRuntime runtime() { return runtime; }

    @Override public String configDir() { return "lxc"; }
    @Override public String typeWord() { return "lxc"; }
    @Override public String guestWord() { return "CT"; }
    @Override public String haPrefix() { return "ct"; }
    @Override public VolumeKeys volumeKeys() { return LxcVolumeKeys.INSTANCE; }
    @Override public Object typed(String key, String value) { return LxcOptions.typed(key, value); }
    @Override public List<String> consoles() { return List.of("term"); }

    @Override public boolean isRunning(int vmid) { return runtime.lxc().isRunning(vmid); }

    @Override public void start(int vmid, Consumer<String> log) { runtime.start(vmid, log); }

    @Override public void stop(int vmid, Duration timeout, Consumer<String> log) { runtime.stop(vmid, log); }

    @Override public void shutdown(int vmid, Duration timeout, boolean forceStop, Consumer<String> log) {
        runtime.shutdown(vmid, timeout, forceStop, log);
    }

    @Override public Map<String, Object> status(int vmid, boolean full) { return runtime.status(vmid); }

    @Override public void cleanupFiles(int vmid) { runtime.cleanup(vmid); }

    @Override public void freeze(int vmid, Consumer<String> log) {
        if (isRunning(vmid)) {
            runtime.exec(vmid, List.of("/bin/sync"), null);
            runtime.lxc().freeze(vmid);
        }
    }

    @Override public void thaw(int vmid, Consumer<String> log) {
        if (isRunning(vmid)) runtime.lxc().unfreeze(vmid);
    }

    @Override public void prepareClone(GuestConfig clone, GuestConfig.Section from, int vmid, String name) {
        if (name != null) clone.set("hostname", name);
        newMacs(clone, true);
    }

    /** New MAC addresses with the cluster's prefix: for every interface ({@code all}), or for those without one. */
    void newMacs(GuestConfig cfg, boolean all) {
        String prefix = MacAddress.prefix(runtime.store().cfs().readString("datacenter.cfg").orElse(null));
        for (Net n : CtConfig.of(cfg.current()).nets().values()) {
            java.util.LinkedHashMap<String, String> p = new java.util.LinkedHashMap<>(n.props());
            if (all) p.remove("hwaddr");
            cfg.set(n.key(), new Net(n.index(), p).withDefaults(prefix, random).print());
        }
    }

    /** vzdump's container plug-in: tar archives of the file tree. */
    @Override public java.util.Optional<Backup> backup() { return java.util.Optional.of(backup); }

    @Override public org.haven.storage.ContentType volumeContent() { return org.haven.storage.ContentType.ROOTDIR; }

    /** Image files are copied with {@code qemu-img convert}, subvolumes file by file with {@code cp -a}. */
    @Override public void copyVolume(String srcVolid, String dstVolid, String snapname, Consumer<String> log) {
        var sm = runtime.volumes().storage();
        String src = sm.path(srcVolid, snapname);
        String dst = sm.path(dstVolid);
        boolean srcDir = Files.isDirectory(Path.of(src));
        if (srcDir != Files.isDirectory(Path.of(dst)))
            throw new GuestException(500, "unable to copy '" + srcVolid + "' to '" + dstVolid + "': a subvolume and an image file");
        List<String> cmd = srcDir ? List.of("cp", "-a", "--sparse=always", src + "/.", dst)
                : List.of("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src, dst);
        CommandRunner.Result r = runtime.lxc().runner().run(cmd);
        if (!r.ok()) throw new GuestException(500, "clone failed: " + r.stderr().strip());
    }
}
