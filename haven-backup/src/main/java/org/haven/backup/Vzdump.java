package org.haven.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.haven.api.task.TaskLog;
import org.haven.backup.vma.Vma;
import org.haven.backup.vma.VmaWriter;
import org.haven.core.time.Clock;
import org.haven.guest.GuestService;
import org.haven.guest.GuestType;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.volume.Volume;
import org.haven.storage.ContentType;
import org.haven.storage.StorageManager;
import org.haven.storage.config.StorageEntry;

/**
 * One vzdump run (PVE's {@code PVE::VZDump}): backs up each selected guest of this node into a VMA archive on
 * the backup storage or dump directory, with PVE's log lines in the task log and in a {@code .log} beside the
 * archive. A guest is stopped ({@code stop}) or paused ({@code suspend}) while its disks are read; in
 * {@code snapshot} mode a running guest keeps running and its type makes point-in-time copies that are read
 * instead. The guest is locked ({@code lock: backup}) throughout. The archive is written under a temporary name and renamed when complete
 * (with {@code stdout}: into the named pipe {@link #STDOUT} of the dump directory, which the {@code vzdump} tool copies to its
 * standard output, without a {@code .log}, notes or retention); a
 * failed backup removes it, unlocks and restarts or resumes the guest. Retention runs after each backup.
 */
public final class Vzdump {
    static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyy_MM_dd-HH_mm_ss");
    public static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    /** The named pipe in the dump directory that a {@code stdout} run writes the archive into. */
    public static final String STDOUT = "stdout";
    /** How long a {@code stdout} run waits for the reader of its pipe before it gives up writing. */
    static final Duration STDOUT_WAIT = Duration.ofSeconds(60);

    private final List<GuestService> guests;
    private final StorageManager storage;
    private final String node;
    private final Clock clock;
    private final ZoneId zone;

    public Vzdump(List<GuestService> guests, StorageManager storage, String node, Clock clock, ZoneId zone) {
        this.guests = List.copyOf(guests);
        this.storage = storage;
        this.node = node;
        this.clock = clock;
        this.zone = zone;
    }

    /**
     * The outcome of one guest's backup, as the job's notification shows it (PVE's guest table): name, whether it
     * succeeded, how long it took (seconds), the archive's size and file ({@code -} for standard output, null when
     * it failed).
     */
    public record GuestResult(int vmid, String name, boolean ok, long seconds, long size, String filename) {}

    /** The guests of this node a run selects, in VMID order, each with its type's service. */
    public Map<Integer, GuestService> select(VzdumpOptions o) {
        Map<Integer, GuestService> out = new java.util.TreeMap<>();
        if (o.pool() != null) {
            var members = org.haven.backup.jobs.JobGuests.poolMembers(guests.isEmpty() ? null : guests.get(0).store().cfs().readString("user.cfg").orElse(null), o.pool());
            for (GuestService g : guests) {
                for (var e : g.store().list().entrySet()) {
                    if (members.contains(e.getKey()) && e.getValue().equals(node) && !o.exclude().contains(e.getKey())) out.put(e.getKey(), g);
                }
            }
            return out;
        }
        if (o.all()) {
            for (GuestService g : guests) {
                for (var e : g.store().list().entrySet()) {
                    if (e.getValue().equals(node) && !o.exclude().contains(e.getKey())) out.put(e.getKey(), g);
                }
            }
            return out;
        }
        for (int vmid : o.vmids()) {
            GuestService g = guests.stream().filter(s -> s.store().owner(vmid).isPresent()).findFirst().orElse(null);
            out.put(vmid, g);
        }
        return out;
    }

    /** Where archives go: the storage's dump directory or {@code --dumpdir}. */
    Path dumpDir(VzdumpOptions o) {
        if (o.dumpdir() != null) return o.dumpdir();
        StorageEntry s = storage.enabledStorage(o.storage());
        if (!s.content().contains(ContentType.BACKUP)) throw new IllegalStateException("storage '" + o.storage() + "' does not support backups");
        return Path.of(storage.path(o.storage() + ":backup/vzdump-qemu-100-2000_01_01-00_00_00.vma")).getParent();
    }

    /**
     * Runs the whole job in the caller's task; fails (status "job errors") when a guest's backup failed. With a
     * hook script: {@code job-init} before the storage is activated, {@code job-start} before the first guest,
     * {@code job-end} after the last; a failing job phase aborts the job ({@code job-abort}).
     */
    public void run(VzdumpOptions o, TaskLog log) throws Exception { run(o, log, r -> {}); }

    /** As {@link #run(VzdumpOptions, TaskLog)}, telling {@code results} the outcome of each guest. */
    public void run(VzdumpOptions o, TaskLog log, Consumer<GuestResult> results) throws Exception {
        log.log("INFO: starting new backup job: " + o.commandLine(node));
        Path dir = dumpDir(o);
        HookScript hook = o.script() == null ? null : new HookScript(o.script(), o.storage(), dir);
        Consumer<String> info = l -> log.log("INFO: " + l);
        int errors = 0;
        try {
            if (hook != null) {
                hook.check();
                hook.run("job-init", null, info);
            }
            Map<Integer, GuestService> selected = select(o);
            if (o.dumpdir() == null) storage.activate(storage.enabledStorage(o.storage()));
            Files.createDirectories(dir);
            if (hook != null) hook.run("job-start", null, info);
            for (var e : selected.entrySet()) {
                long t0 = clock.epochSeconds();
                String name = e.getValue() == null ? "" : nameOf(e.getValue(), e.getKey());
                try {
                    Path archive = backup(e.getKey(), e.getValue(), o, dir, hook, log);
                    boolean file = !o.stdout() && Files.isRegularFile(archive);
                    results.accept(new GuestResult(e.getKey(), name, true, clock.epochSeconds() - t0, file ? Files.size(archive) : 0,
                            file ? archive.toString() : "-"));
                } catch (Exception ex) {
                    errors++; // logged by backup()
                    results.accept(new GuestResult(e.getKey(), name, false, clock.epochSeconds() - t0, 0, null));
                }
            }
            if (hook != null) hook.run("job-end", null, info);
        } catch (Exception e) {
            String err = message(e);
            if (hook != null) {
                try {
                    hook.run("job-abort", null, info);
                } catch (RuntimeException abort) {
                    err += "\n" + message(abort);
                }
            }
            log.log("ERROR: Backup job failed - " + err);
            throw e;
        }
        if (errors > 0) {
            log.log("INFO: Backup job finished with errors");
            throw new IllegalStateException("job errors");
        }
        log.log("INFO: Backup job finished successfully");
    }

    static String message(Throwable t) {
        String m = t.getMessage();
        return (m == null ? t.toString() : m).strip();
    }

    /** The log of one guest: the task log (with {@code INFO: }) and the {@code .log} file (with time stamps). */
    private final class GuestLog implements Consumer<String> {
        final TaskLog task;
        final StringBuilder file = new StringBuilder();

        GuestLog(TaskLog task) { this.task = task; }

        @Override public void accept(String line) { info(line); }

        void info(String line) { add("INFO: " + line); }

        void add(String line) {
            task.log(line);
            file.append(LocalDateTime.ofInstant(Instant.ofEpochSecond(clock.epochSeconds()), zone).format(LOG_TIME)).append(' ').append(line).append('\n');
        }
    }

    /** The archive's file name: {@code vzdump-<type>-<vmid>-<YYYY_MM_DD-HH_MM_SS>.{vma,tar}[.zst|.gz|.lzo]}. */
    static String archiveName(String typeWord, int vmid, LocalDateTime start, GuestType.ArchiveKind kind, Compression c) {
        return baseName(typeWord, vmid, start) + (kind == GuestType.ArchiveKind.TAR ? ".tar" : ".vma") + c.suffix;
    }

    /** The name of the archive, the {@code .log} and the {@code .notes} without extension. */
    static String baseName(String typeWord, int vmid, LocalDateTime start) {
        return "vzdump-" + typeWord + "-" + vmid + "-" + start.format(NAME_TIME);
    }

    /** Backs up one guest; returns the archive's path. */
    Path backup(int vmid, GuestService g, VzdumpOptions o, Path dir, HookScript hook, TaskLog task) throws Exception {
        if (g == null) {
            task.log("ERROR: Backup of VM " + vmid + " failed - unable to find VM " + vmid);
            throw new IllegalStateException("unable to find VM " + vmid);
        }
        GuestType type = g.type();
        GuestLog log = new GuestLog(task);
        long start = clock.epochSeconds();
        LocalDateTime startTime = LocalDateTime.ofInstant(Instant.ofEpochSecond(start), zone);
        GuestType.Backup hooks = type.backup().orElse(null);
        GuestType.ArchiveKind kind = hooks == null ? GuestType.ArchiveKind.VMA : hooks.archiveKind();
        boolean tar = kind == GuestType.ArchiveKind.TAR;
        Path logFile = dir.resolve(baseName(type.typeWord(), vmid, startTime) + ".log");
        boolean stdout = o.stdout();
        Path archive = dir.resolve(stdout ? STDOUT : archiveName(type.typeWord(), vmid, startTime, kind, o.compression()));
        Path tmp = stdout ? archive : dir.resolve(archive.getFileName() + ".dat");
        Thread reader = stdout ? pipeWatchdog(archive) : null;
        Path work = (o.tmpdir() != null ? o.tmpdir() : dir).resolve("vzdumptmp" + ProcessHandle.current().pid() + "_" + vmid);
        log.info("Starting Backup of VM " + vmid + " (" + type.typeWord() + ")");
        log.info("Backup started at " + startTime.format(LOG_TIME));
        Phases phases = new Phases(hook, type.typeWord(), vmid, stdout ? null : archive, stdout ? null : logFile, log);
        try {
            if (!g.store().owner(vmid).map(node::equals).orElse(false))
                throw new IllegalStateException("unable to find VM " + vmid + " on node '" + node + "'");
            if (hooks == null) throw new IllegalStateException("backup of a " + type.guestWord() + " is not implemented");
            GuestConfig cfg = g.store().load(vmid);
            g.store().checkLock(cfg);
            boolean running = type.isRunning(vmid);
            log.info("status = " + (running ? "running" : "stopped"));
            String mode = running ? o.mode() : "stop";
            if (tar && mode.equals("snapshot") && !hooks.canSnapshot(cfg)) {
                log.info("mode failure - some volumes do not support snapshots");
                log.info("trying 'suspend' mode instead");
                mode = "suspend";
            }
            log.info("backup mode: " + mode);
            phases.mode = mode;
            phases.hostname = guestName(cfg).orElse(null);
            log.info("ionice priority: " + o.ionice());
            guestName(cfg).ifPresent(n -> log.info((tar ? "CT" : "VM") + " Name: " + n));
            Map<String, String> disks = new LinkedHashMap<>();
            Map<String, Long> sizes = new LinkedHashMap<>();
            for (GuestType.BackupVolume v : tar ? List.<GuestType.BackupVolume>of() : hooks.backupVolumes(cfg)) {
                if (!v.included()) {
                    log.info("exclude disk '" + v.key() + "' '" + v.name() + "' (" + v.reason() + ")");
                    continue;
                }
                long size = size(g, v.name());
                disks.put(v.key(), v.name());
                sizes.put(v.key(), size);
                log.info("include disk '" + v.key() + "' '" + v.name() + "' " + Units.sizeShort(size));
            }
            phases.run("backup-start");
            boolean stopped = false;
            if (mode.equals("stop") && running) {
                log.info("stopping virtual guest");
                phases.run("pre-stop");
                type.shutdown(vmid, Duration.ofMinutes(o.stopwaitMinutes()), true, log);
                stopped = true;
            }
            String archivedConfig;
            try {
                archivedConfig = g.store().update(vmid, c -> {
                    g.store().checkLock(c);
                    c.set("lock", "backup");
                    return archiveConfig(c, disks);
                });
                try {
                    if (tar) backupFiles(g, vmid, cfg, mode, running, archivedConfig, work, o, archive, tmp, phases, log);
                    else backupImages(g, vmid, cfg, mode, running, archivedConfig, disks, sizes, o, dir, archive, tmp, phases, log);
                } finally {
                    unlock(g, vmid);
                }
            } finally {
                if (stopped) {
                    phases.run("pre-restart");
                    log.info("restarting vm");
                    type.start(vmid, log);
                    phases.run("post-restart");
                }
            }
            if (!stdout) {
                Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
                log.info("archive file size: " + Units.sizeShort(Files.size(archive)));
            }
            if (o.storage() != null && !stdout) {
                String volid = o.storage() + ":backup/" + archive.getFileName();
                if (o.notesTemplate() != null) {
                    log.info("adding notes to backup");
                    storage.updateAttributes(volid, null, notes(o.notesTemplate(), cfg, vmid));
                }
                if (o.isProtected()) {
                    log.info("marking backup as protected");
                    storage.updateAttributes(volid, true, null);
                }
                if (o.remove()) prune(o, type.typeWord(), vmid, log);
            }
            long secs = clock.epochSeconds() - start;
            log.info(String.format("Finished Backup of VM %d (%02d:%02d:%02d)", vmid, secs / 3600, secs / 60 % 60, secs % 60));
            log.info("Backup finished at " + LocalDateTime.ofInstant(Instant.ofEpochSecond(clock.epochSeconds()), zone).format(LOG_TIME));
            phases.run("backup-end");
            return archive;
        } catch (Exception | Error e) {
            if (!stdout) Files.deleteIfExists(tmp);
            String err = message(e);
            try {
                phases.run("backup-abort");
            } catch (RuntimeException abort) {
                err += "\n" + message(abort);
            }
            log.add("ERROR: Backup of VM " + vmid + " failed - " + err);
            throw e;
        } finally {
            if (reader != null) releasePipe(archive, reader);
            try {
                if (!stdout) Files.writeString(logFile, log.file.toString());
            } catch (IOException e) {
                task.warn("unable to write the log file " + logFile + " - " + e.getMessage());
            }
            try {
                phases.run("log-end");
            } catch (RuntimeException e) {
                task.log("ERROR: " + message(e));
            }
        }
    }

    /**
     * A {@code stdout} run's guard against a reader that went away before the backup opened the pipe: after
     * {@link #STDOUT_WAIT} it opens the pipe for reading and closes it again, so that opening it for writing cannot
     * block forever (writing then fails with a broken pipe when no one else reads). With the tool reading it is
     * harmless: it reads nothing.
     */
    private static Thread pipeWatchdog(Path pipe) {
        return Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(STDOUT_WAIT);
                try (var in = Files.newInputStream(pipe)) {
                    // opened and closed: only to release a writer without a reader
                }
            } catch (InterruptedException | IOException e) {
                // released by the end of the backup, or the pipe is gone
            }
        });
    }

    /** Ends the watchdog; when it is blocked opening the pipe (no writer came), a writer's open and close releases it. */
    private static void releasePipe(Path pipe, Thread watchdog) {
        watchdog.interrupt();
        try {
            watchdog.join(100);
            if (watchdog.isAlive()) {
                try (var out = Files.newOutputStream(pipe, java.nio.file.StandardOpenOption.WRITE)) {
                    // releases the blocked open
                }
            }
            watchdog.join();
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        }
    }

    /** The hook script's phases of one guest's backup (nothing without a script); output and failures go to the guest's log. */
    private static final class Phases {
        final HookScript hook;
        final String vmtype;
        final int vmid;
        final Path target, logFile;
        final GuestLog log;
        String mode, hostname;

        Phases(HookScript hook, String vmtype, int vmid, Path target, Path logFile, GuestLog log) {
            this.hook = hook;
            this.vmtype = vmtype;
            this.vmid = vmid;
            this.target = target;
            this.logFile = logFile;
            this.log = log;
        }

        void run(String phase) {
            if (hook != null) hook.run(phase, new HookScript.Guest(mode, vmid, vmtype, hostname, target, logFile), log);
        }
    }

    /** A VMA archive of the disks: read while the guest is paused ({@code suspend}), from point-in-time copies ({@code snapshot}) or directly. */
    private void backupImages(GuestService g, int vmid, GuestConfig cfg, String mode, boolean running, String archivedConfig, Map<String, String> disks,
                              Map<String, Long> sizes, VzdumpOptions o, Path dir, Path archive, Path tmp, Phases phases, GuestLog log) throws IOException {
        GuestType.Backup hooks = g.type().backup().orElseThrow();
        boolean paused = false;
        Map<String, Path> copies = Map.of();
        try {
            if (mode.equals("suspend") && running) {
                phases.run("pre-stop");
                hooks.prepare(vmid, mode, log);
                paused = true;
            }
            if (mode.equals("snapshot") && running) {
                phases.run("pre-stop");
                copies = hooks.pointInTimeCopies(vmid, cfg, disks, sizes, o.tmpdir() != null ? o.tmpdir() : dir, log);
                phases.run("pre-restart");
                phases.run("post-restart");
            }
            log.info("creating vzdump archive '" + archive + "'");
            writeArchive(g, vmid, archivedConfig, disks, sizes, copies, o, tmp, log);
        } finally {
            for (Path c : copies.values()) Files.deleteIfExists(c);
            if (paused) {
                phases.run("pre-restart");
                hooks.release(vmid, mode, log);
                phases.run("post-restart");
            }
        }
    }

    /** A tar archive of the guest's file tree as its type makes it available for {@code mode}, with the config files first. */
    private void backupFiles(GuestService g, int vmid, GuestConfig cfg, String mode, boolean running, String archivedConfig, Path work, VzdumpOptions o,
                             Path archive, Path tmp, Phases phases, GuestLog log) throws IOException {
        Files.createDirectories(work.getParent());
        Files.createDirectory(work); // this run's own: removed with everything in it at the end
        try {
            Path conf = work.resolve("etc/vzdump");
            Files.createDirectories(conf);
            Files.writeString(conf.resolve("pct.conf"), archivedConfig);
            Optional<String> fw = g.store().cfs().readString("firewall/" + vmid + ".fw");
            if (fw.isPresent()) Files.writeString(conf.resolve("pct.fw"), fw.get());
            if (running && !mode.equals("stop")) phases.run("pre-stop");
            try (GuestType.FileTree files = g.type().backup().orElseThrow().files(vmid, cfg, mode, work, log)) {
                if (running && !mode.equals("stop")) {
                    phases.run("pre-restart");
                    phases.run("post-restart");
                }
                List<String> excludes = new ArrayList<>(TarArchive.excludes(o.excludePath(), o.stdexcludes()));
                excludes.addAll(files.excludes());
                log.info("creating vzdump archive '" + archive + "'");
                long t0 = System.nanoTime();
                try (OutputStream out = o.compression().writeTo(tmp, o.zstd(), o.pigz())) {
                    List<String> tar = new ArrayList<>(files.userns());
                    tar.addAll(TarArchive.createCommand(work, fw.isPresent(), files.root(), excludes, files.sources()));
                    TarArchive.write(tar, out, log, log.task::checkStop);
                }
                log.info(String.format("archive written in %d seconds", Math.round((System.nanoTime() - t0) / 1e9)));
            }
        } finally {
            try {
                deleteTree(work);
            } catch (IOException e) {
                log.task.warn("unable to remove " + work + " - " + e.getMessage());
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static void unlock(GuestService g, int vmid) {
        g.store().update(vmid, c -> {
            if (c.lock().map("backup"::equals).orElse(false)) c.remove("lock");
            return null;
        });
    }

    private long size(GuestService g, String volid) {
        long s = g.volumes().size(volid);
        if (s > 0) return s;
        try {
            return Files.size(Path.of(g.volumes().resolve(volid).path()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The config as the archive keeps it: the current section without the lock, after PVE's
     * {@code #qmdump#map:<key>:<device>:<storage>:<format>:} lines that tell the restore where each disk came from.
     */
    static String archiveConfig(GuestConfig cfg, Map<String, String> disks) {
        GuestConfig c = cfg.copy();
        c.snapshots().clear();
        c.pending().values().clear();
        c.pending().description(null);
        c.special().clear();
        c.remove("lock");
        c.remove("parent");
        StringBuilder sb = new StringBuilder();
        for (var d : disks.entrySet()) {
            String volid = d.getValue();
            String storeid = volid.startsWith("/") ? "" : volid.substring(0, volid.indexOf(':'));
            String fmt = volid.endsWith(".qcow2") ? "qcow2" : volid.endsWith(".vmdk") ? "vmdk" : "raw";
            sb.append("#qmdump#map:").append(d.getKey()).append(":drive-").append(d.getKey()).append(':').append(storeid).append(':').append(fmt).append(":\n");
        }
        return sb.append(c.write()).toString();
    }

    /** Writes the archive; a disk with an entry in {@code copies} is read from that raw point-in-time copy. */
    private void writeArchive(GuestService g, int vmid, String config, Map<String, String> disks, Map<String, Long> sizes,
                              Map<String, Path> copies, VzdumpOptions o, Path tmp, GuestLog log) throws IOException {
        List<Vma.Config> configs = new ArrayList<>();
        configs.add(new Vma.Config(g.type().configDir() + ".conf", config.getBytes(StandardCharsets.UTF_8)));
        Optional<String> fw = g.store().cfs().readString("firewall/" + vmid + ".fw");
        fw.ifPresent(f -> configs.add(new Vma.Config(g.type().configDir() + ".fw", f.getBytes(StandardCharsets.UTF_8))));
        List<Vma.Device> devices = new ArrayList<>();
        int id = 1;
        for (String key : disks.keySet()) devices.add(new Vma.Device(id++, "drive-" + key, sizes.get(key)));
        long total = sizes.values().stream().mapToLong(Long::longValue).sum();
        long t0 = System.nanoTime();
        long[] doneBefore = {0};
        int[] lastPercent = {-1};
        try (OutputStream out = o.compression().writeTo(tmp, o.zstd(), o.pigz())) {
            VmaWriter w = new VmaWriter(new java.io.BufferedOutputStream(out, 1 << 20), UUID.randomUUID(), clock.epochSeconds(), configs, devices);
            for (Vma.Device dev : devices) {
                String key = dev.name().substring("drive-".length());
                Volume source = copies.containsKey(key) ? new Volume(copies.get(key).toString(), "raw") : g.volumes().resolve(disks.get(key));
                try (DiskReader in = DiskReader.open(source, o.tmpdir() != null ? o.tmpdir() : tmp.getParent())) {
                    long base = doneBefore[0];
                    w.writeDevice(dev.id(), in.stream(), n -> {
                        log.task.checkStop();
                        long done = base + n;
                        int pct = total == 0 ? 100 : (int) (done * 100 / total);
                        if (pct / 10 != lastPercent[0] / 10 || done == total) {
                            if (pct != lastPercent[0]) progress(log, pct, done, total, w, t0);
                            lastPercent[0] = pct;
                        }
                    });
                    doneBefore[0] += dev.size();
                }
            }
            w.finish();
            double secs = Math.max(1, (System.nanoTime() - t0) / 1e9);
            if (total > 0 && w.zeroBytes() > 0)
                log.info(String.format("backup is sparse: %s (%d%%) total zero data", Units.sizeLong(w.zeroBytes()), w.zeroBytes() * 100 / total));
            log.info(String.format("transferred %s in %d seconds (%s/s)", Units.sizeLong(total), Math.round(secs), Units.sizeLong((long) (total / secs))));
        }
    }

    private static void progress(GuestLog log, int pct, long done, long total, VmaWriter w, long t0) {
        double secs = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
        log.info(String.format("%3d%% (%s of %s) in %ds, read: %s/s, write: %s/s", pct, Units.sizeLong(done), Units.sizeLong(total),
                Math.round(secs), Units.sizeLong((long) (done / secs)), Units.sizeLong((long) ((w.bytesWritten()) / secs))));
    }

    /** The name of a guest of this node as its config has it, empty when it has none or cannot be read. */
    private static String nameOf(GuestService g, int vmid) {
        try {
            return guestName(g.store().load(vmid)).orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** A guest's name: a VM's {@code name}, a container's {@code hostname}. */
    public static Optional<String> guestName(GuestConfig cfg) { return cfg.get("name").or(() -> cfg.get("hostname")); }

    /** PVE's notes template: {@code {{guestname}}}, {@code {{vmid}}}, {@code {{node}}}, {@code {{cluster}}}; {@code \n} is a new line. */
    String notes(String template, GuestConfig cfg, int vmid) {
        return template.replace("{{guestname}}", guestName(cfg).orElse("VM " + vmid)).replace("{{vmid}}", Integer.toString(vmid))
                .replace("{{node}}", node).replace("{{cluster}}", "").replace("\\n", "\n");
    }

    private void prune(VzdumpOptions o, String typeWord, int vmid, GuestLog log) {
        var keep = o.prune() != null ? o.prune() : org.haven.storage.prune.PruneOptions.of(storage.storage(o.storage()).pruneBackups());
        if (keep.keepsEverything()) return;
        log.info("prune older backups with retention: " + keep.format());
        int removed = 0;
        for (var e : storage.pruneBackups(o.storage(), keep, typeWord, vmid, false)) {
            if (e.mark().equals("remove")) {
                log.info("removing backup '" + e.volid() + "'");
                removed++;
            }
        }
        log.info("pruned " + removed + " backup(s)" + (removed > 0 ? " not covered by keep-retention policy" : ""));
    }

    /** The raw content of a disk: the file itself for raw volumes, a raw copy ({@code qemu-img convert}) of other formats. */
    static final class DiskReader implements AutoCloseable {
        private final InputStream in;
        private final Path temp;

        private DiskReader(InputStream in, Path temp) { this.in = in; this.temp = temp; }

        static DiskReader open(Volume v, Path tmpdir) throws IOException {
            if ("raw".equals(v.format())) return new DiskReader(Files.newInputStream(Path.of(v.path())), null);
            Path t = Files.createTempFile(tmpdir, "vzdumptmp", ".raw");
            try {
                Process p = new ProcessBuilder("qemu-img", "convert", "-U", "-f", v.format(), "-O", "raw", v.path(), t.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (p.waitFor() != 0) throw new IOException("unable to read '" + v.path() + "' - " + out);
                return new DiskReader(Files.newInputStream(t), t);
            } catch (IOException | InterruptedException | RuntimeException e) {
                Files.deleteIfExists(t);
                if (e instanceof InterruptedException) { Thread.currentThread().interrupt(); throw new IOException("interrupted"); }
                throw e instanceof IOException io ? io : new IOException(e);
            }
        }

        InputStream stream() { return in; }

        @Override public void close() throws IOException {
            try {
                in.close();
            } finally {
                if (temp != null) Files.deleteIfExists(temp);
            }
        }
    }
}
