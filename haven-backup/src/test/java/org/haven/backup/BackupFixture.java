package org.haven.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.api.task.TaskLog;
import org.haven.backup.vma.ArchiveCheck;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.time.Clock;
import org.haven.guest.GuestBackups;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.QemuService;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;

/**
 * A node for backup tests: a memory cfs, dir storages {@code src} (images), {@code dst} (images) and {@code bk}
 * (backups), the VM service, and a clock the test moves.
 */
public final class BackupFixture implements AutoCloseable {
    final Path dir;
    public final MemoryClusterFs cfs = new MemoryClusterFs("node1");
    public final StorageManager sm;
    public final QemuService qemu;
    final AtomicLong now = new AtomicLong(1_780_000_000L);
    final Clock clock = now::get;
    public final List<Integer> vmids = new ArrayList<>();

    public BackupFixture(Path dir) throws IOException {
        this.dir = dir;
        for (String s : List.of("src", "dst", "bk")) Files.createDirectories(dir.resolve(s));
        cfs.writeString("storage.cfg", "dir: src\n\tpath " + dir.resolve("src") + "\n\tcontent images\n\n"
                + "dir: dst\n\tpath " + dir.resolve("dst") + "\n\tcontent images\n\n"
                + "dir: bk\n\tpath " + dir.resolve("bk") + "\n\tcontent backup\n\tprune-backups keep-all=1\n");
        sm = new StorageManager(cfs, "node1", dir.resolve("local"), new ProcessCommandRunner());
        VmPaths paths = new VmPaths(dir.resolve("run"));
        qemu = new QemuService(new VmManager(org.haven.guest.config.GuestConfigStore.qemu(cfs), HostInfo.probe(paths.dir().resolve("haven-bridge")),
                paths, new StorageVolumes(sm), true), Clock.SYSTEM);
    }

    Vzdump vzdump() { return new Vzdump(List.of(qemu.guests()), sm, "node1", clock, ZoneId.of("UTC")); }

    Restore restore() { return new Restore(sm, ZoneId.of("UTC")); }

    /** Runs vzdump like the API does; returns the task log lines, or throws what the task would end with. */
    public List<String> vzdump(Map<String, String> params, List<String> lines) throws Exception {
        VzdumpOptions o = VzdumpOptions.of(params, Map.of());
        vzdump().run(o, log(lines));
        return lines;
    }

    void restore(String archive, int vmid, GuestBackups.RestoreOptions o, List<String> lines) throws IOException {
        vmids.add(vmid);
        restore().restore(qemu.guests(), archive, vmid, o, lines::add);
    }

    /** A task log that keeps its lines in {@code lines}. */
    public static TaskLog log(List<String> lines) {
        return new TaskLog() {
            @Override public String upid() { return "UPID:node1:0:0:0:vzdump::root@pam:"; }
            @Override public void log(String line) { lines.add(line); }
            @Override public void warn(String line) { lines.add("WARN: " + line); }
            @Override public boolean stopRequested() { return false; }
        };
    }

    /** The archives in the backup storage, by name. */
    List<Path> archives() throws IOException {
        try (var s = Files.list(dir.resolve("bk/dump"))) {
            return s.filter(p -> p.getFileName().toString().matches("vzdump-qemu-\\d+-.*\\.vma(\\.\\w+)?")).sorted().toList();
        }
    }

    /** Reads an archive (decompressed) with the test-side VMA reader. */
    static ArchiveCheck check(Path archive) throws IOException {
        try (InputStream in = Compression.ofFileName(archive.getFileName().toString()).readFrom(archive)) {
            return ArchiveCheck.read(new java.io.BufferedInputStream(in));
        }
    }

    /** The raw content of a volume ({@code qemu-img convert} for qcow2). */
    byte[] content(String volid) throws IOException {
        var v = qemu.guests().volumes().resolve(volid);
        if (v.format().equals("raw")) return Files.readAllBytes(Path.of(v.path()));
        Path t = dir.resolve("content-" + System.nanoTime() + ".raw");
        try {
            Proc.Result r = Proc.run(List.of("qemu-img", "convert", "-U", "-f", v.format(), "-O", "raw", v.path(), t.toString()), Duration.ofMinutes(2));
            if (!r.ok()) throw new IOException(r.output());
            return Files.readAllBytes(t);
        } finally {
            Files.deleteIfExists(t);
        }
    }

    @Override
    public void close() {
        for (int vmid : vmids) {
            qemu.vms().pid(vmid).ifPresent(pid -> { Proc.kill(pid, "KILL"); Proc.waitGone(pid, Duration.ofSeconds(5)); });
            qemu.vms().cleanupFiles(vmid);
        }
    }
}
