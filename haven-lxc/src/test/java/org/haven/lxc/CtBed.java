package org.haven.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.time.Clock;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.VmidRegistry;
import org.haven.lxc.template.BusyboxTemplate;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ProcessCommandRunner;

/**
 * A node's container service for real tests: an in-memory cluster file system, a {@code dir} storage
 * {@code local} (rootdir, vztmpl) holding the busybox template, and an lxcpath, all below one directory. Closing
 * it stops the containers and unmounts what is left.
 */
public final class CtBed implements AutoCloseable {
    public final Path dir;
    public final MemoryClusterFs cfs = new MemoryClusterFs("n1");
    public final CommandRunner run = new ProcessCommandRunner();
    public final StorageManager sm;
    public final LxcService service;
    public final Path template;
    public final List<Runnable> cleanups = new ArrayList<>();

    public CtBed(Path dir, String extraStorage) throws IOException {
        this.dir = dir;
        Path local = dir.resolve("local");
        Files.createDirectories(local.resolve("template/cache"));
        cfs.writeString("storage.cfg", "dir: local\n\tpath " + local + "\n\tcontent rootdir,vztmpl,images\n" + extraStorage);
        sm = new StorageManager(cfs, "n1", local, run);
        GuestConfigStore store = new GuestConfigStore(cfs, "lxc", "CT", new VmidRegistry(cfs));
        service = LxcService.create(store, sm, dir.resolve("lxc"), Clock.SYSTEM, List.of());
        template = BusyboxTemplate.build(run, local.resolve("template/cache"));
    }

    /**
     * A btrfs file system of {@code size} (e.g. {@code 320M}) in a loop-mounted image below the bed's directory,
     * mounted at {@code dir/<name>} with quotas on (for subvolume sizes) and unmounted by the bed's cleanup; returns
     * the mount point.
     */
    public Path btrfs(String name, String size) throws IOException {
        Path img = dir.resolve(name + ".img");
        Path mnt = dir.resolve(name);
        Files.createDirectories(mnt);
        sh("truncate", "-s", size, img.toString());
        sh("mkfs.btrfs", "-q", "-f", img.toString());
        sh("mount", "-o", "loop", img.toString(), mnt.toString());
        cleanups.add(() -> run.run(List.of("umount", mnt.toString())));
        sh("btrfs", "quota", "enable", mnt.toString());
        return mnt;
    }

    /** Run a host command, failing on a non-zero exit. */
    public String sh(String... cmd) {
        CommandRunner.Result r = run.run(List.of(cmd));
        if (!r.ok()) throw new IllegalStateException(String.join(" ", cmd) + ": " + r.stderr());
        return r.stdout();
    }

    @Override
    public void close() {
        for (int vmid : service.store().list().keySet()) {
            try {
                service.type().stop(vmid, java.time.Duration.ZERO, null);
            } catch (RuntimeException ignored) {
                // gone already
            }
            service.runtime().cleanup(vmid);
        }
        for (Runnable r : cleanups.reversed()) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // best effort: the next cleanup still runs
            }
        }
    }
}
