package org.haven.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.haven.backup.vma.Vma;
import org.haven.backup.vma.VmaReader;
import org.haven.guest.GuestBackups;
import org.haven.guest.GuestService;
import org.haven.guest.GuestType;
import org.haven.guest.config.GuestConfig;
import org.haven.storage.StorageManager;

/**
 * Restore of a VMA archive into a guest (PVE's {@code qmrestore}): the archive is read once to check it (header
 * and extent checksums, every cluster) before anything is touched, then each disk gets a new raw volume on the
 * chosen storage (or the one the archive's map names) and the archive is read again into them. The config comes
 * from the archive with the new volumes, new MACs with {@code unique}. An existing guest is replaced only with
 * {@code force}; a failed restore frees what it allocated and removes the config it created.
 */
public final class Restore {
    private final StorageManager storage;
    private final ZoneId zone;

    public Restore(StorageManager storage, ZoneId zone) {
        this.storage = storage;
        this.zone = zone;
    }

    /** A disk of the archive: the config key, the storage and format it came from ({@code #qmdump#map} line). */
    record MapEntry(String key, String storage, String format) {}

    /** Splits the archived config into the {@code #qmdump#map} entries (by device name) and the config text. */
    static Map<String, MapEntry> deviceMap(String conf, StringBuilder rest) {
        Map<String, MapEntry> map = new LinkedHashMap<>();
        for (String line : conf.split("\n", -1)) {
            if (line.startsWith("#qmdump#map:")) {
                String[] f = line.substring("#qmdump#map:".length()).split(":", -1);
                if (f.length >= 4) map.put(f[1], new MapEntry(f[0], f[2], f[3]));
            } else {
                rest.append(line).append('\n');
            }
        }
        return map;
    }

    /** The archive's kind from its name ({@code .vma}, {@code .tar}, {@code .tgz}, compressed or not), null when neither. */
    static GuestType.ArchiveKind kindOf(String fileName) {
        if (fileName.matches(".*\\.vma(\\.(zst|gz|lzo))?")) return GuestType.ArchiveKind.VMA;
        if (fileName.matches(".*\\.(tar(\\.(zst|gz|lzo))?|tgz)")) return GuestType.ArchiveKind.TAR;
        return null;
    }

    Path archivePath(String archive) {
        Path p = archive.startsWith("/") ? Path.of(archive) : Path.of(storage.path(archive));
        if (!Files.isRegularFile(p)) throw new IllegalStateException("can't find archive file '" + archive + "'");
        return p;
    }

    public void restore(GuestService g, String archive, int vmid, GuestBackups.RestoreOptions opt, Consumer<String> log) throws IOException {
        GuestType type = g.type();
        String word = type.guestWord();
        Path file = archivePath(archive);
        GuestType.Backup hooks = type.backup().orElseThrow(() -> new IllegalStateException("restore of a " + word + " is not implemented"));
        GuestType.ArchiveKind kind = kindOf(file.getFileName().toString());
        if (kind == null) throw new IllegalStateException("unable to restore '" + archive + "' - unknown archive format");
        if (kind != hooks.archiveKind())
            throw new IllegalStateException("unable to restore " + word + " " + vmid + " - '" + file.getFileName() + "' is a "
                    + (kind == GuestType.ArchiveKind.TAR ? "container backup, use 'pct restore'" : "VM backup, use 'qmrestore'"));
        boolean exists = g.store().exists(vmid);
        if (exists && !opt.force())
            throw new IllegalStateException("unable to restore " + word + " " + vmid + " - " + word + " " + vmid + " already exists on node '" + g.store().owner(vmid).orElse("") + "'");
        if (exists) {
            if (!g.store().owner(vmid).map(g.store().localNode()::equals).orElse(false))
                throw new IllegalStateException("unable to restore " + word + " " + vmid + " - " + word + " " + vmid + " is not on this node");
            if (type.isRunning(vmid)) throw new IllegalStateException("unable to restore " + word + " " + vmid + " - " + word + " is running");
        }
        if (kind == GuestType.ArchiveKind.TAR) restoreFiles(g, hooks, archive, file, vmid, exists, opt, log);
        else restoreImages(g, hooks, file, vmid, exists, opt, log);
    }

    /**
     * The restore's bandwidth limit in KiB/s (null for none): the requested one, the {@code restore} (or
     * {@code default}) limits of the target storages and of {@code datacenter.cfg}, by PVE's rules (shared with
     * migration). Logged when there is one.
     */
    Long bandwidthLimit(GuestService g, java.util.Collection<String> storages, GuestBackups.RestoreOptions opt, Consumer<String> log) {
        Long limit = org.haven.guest.migrate.BandwidthLimit.resolve("restore", new ArrayList<>(new java.util.TreeSet<>(storages)), opt.bwlimit(),
                id -> storage.config().get(id).flatMap(e -> e.get("bwlimit")).orElse(null),
                org.haven.guest.migrate.BandwidthLimit.datacenter(g.store().cfs().readString("datacenter.cfg").orElse(null)), opt.rights());
        if (limit != null && limit > 0) log.accept("restore bandwidth limited to " + limit + " KiB/s");
        return limit;
    }

    /** Removes the guest a forced restore replaces. */
    private static void replace(GuestService g, int vmid, boolean exists, Consumer<String> log) {
        if (!exists) return;
        log.accept("destroying existing " + g.type().guestWord() + " " + vmid);
        g.destroy(vmid, false, log);
    }

    /**
     * A tar archive into a new container: the archive is read through once (every header, the compressor's
     * checksums) and its config taken out before anything is touched; then the type allocates and mounts the
     * volumes, the archive is unpacked into them with its owners, and the config is written.
     */
    private void restoreFiles(GuestService g, GuestType.Backup hooks, String archive, Path file, int vmid, boolean exists,
                              GuestBackups.RestoreOptions opt, Consumer<String> log) throws IOException {
        String word = g.type().guestWord();
        Compression comp = Compression.ofFileName(file.getFileName().toString());
        byte[] conf, fw;
        try {
            try (InputStream in = comp.readFrom(file)) {
                TarArchive.verify(in);
            }
            log.accept("recovering backed-up configuration from '" + archive + "'");
            try (InputStream in = comp.readFrom(file)) {
                conf = TarArchive.member(in, TarArchive.CONF);
            }
            if (conf == null) throw new IOException("archive has no " + TarArchive.CONF);
            try (InputStream in = comp.readFrom(file)) {
                fw = TarArchive.member(in, TarArchive.FW);
            }
        } catch (IOException e) {
            throw new IllegalStateException("unable to restore " + word + " " + vmid + " - " + e.getMessage());
        }
        GuestConfig archived = GuestConfig.parse(new String(conf, StandardCharsets.UTF_8));
        replace(g, vmid, exists, log);
        g.store().create(vmid, GuestConfig.parse("lock: create\n"));
        GuestType.RestoreTarget target = null;
        boolean done = false;
        try {
            target = hooks.restoreTarget(vmid, archived, opt, log);
            log.accept("restoring '" + archive + "' now..");
            java.util.Set<String> storages = new java.util.TreeSet<>();
            for (String volid : hooks.volumes(target.config()).values()) if (volid.indexOf(':') > 0 && !volid.startsWith("/")) storages.add(volid.substring(0, volid.indexOf(':')));
            Long limit = bandwidthLimit(g, storages, opt, log);
            log.accept("extracting archive '" + file + "'");
            try (InputStream in = Throttle.of(comp.readFrom(file), limit)) {
                List<String> tar = new ArrayList<>(target.userns());
                tar.addAll(TarArchive.extractCommand(target.root()));
                TarArchive.read(tar, in, log);
            }
            Path vzdump = target.root().resolve("etc/vzdump");
            Files.deleteIfExists(vzdump.resolve("pct.conf"));
            Files.deleteIfExists(vzdump.resolve("pct.fw"));
            try (var left = Files.list(vzdump)) {
                if (left.findAny().isEmpty()) Files.delete(vzdump);
            } catch (java.nio.file.NoSuchFileException ignored) {
                // not there: nothing to tidy
            }
            target.unmount();
            log.accept("merging backed-up and given configuration..");
            GuestConfig cfg = target.config();
            if (opt.unique()) hooks.makeUnique(cfg);
            cfg.remove("lock");
            if (fw != null) g.store().cfs().write("firewall/" + vmid + ".fw", fw);
            g.store().write(vmid, cfg);
            done = true;
        } finally {
            if (!done) {
                if (target != null) {
                    target.unmount();
                    target.free(log);
                }
                g.store().destroy(vmid);
            }
        }
    }

    /** A VMA archive into a VM: checked completely first, then each disk into a new raw volume. */
    private void restoreImages(GuestService g, GuestType.Backup hooks, Path file, int vmid, boolean exists, GuestBackups.RestoreOptions opt,
                               Consumer<String> log) throws IOException {
        GuestType type = g.type();
        String word = type.guestWord();
        Compression comp = Compression.ofFileName(file.getFileName().toString());
        log.accept("restore vma archive: " + (comp == Compression.NONE ? "" : String.join(" ", comp.decompressCommand()) + " ") + file);
        VmaReader.Header header;
        try (InputStream in = comp.readFrom(file)) {
            header = VmaReader.read(new java.io.BufferedInputStream(in, 1 << 20), null);
        } catch (IOException e) {
            throw new IllegalStateException("unable to restore " + word + " " + vmid + " - " + e.getMessage());
        }
        for (Vma.Config c : header.configs()) log.accept("CFG: size: " + c.data().length + " name: " + c.name());
        for (Vma.Device d : header.devices()) log.accept("DEV: dev_id=" + d.id() + " size: " + d.size() + " devname: " + d.name());
        log.accept("CTIME: " + LocalDateTime.ofInstant(Instant.ofEpochSecond(header.ctime()), zone).format(Vzdump.LOG_TIME));
        Vma.Config conf = header.config(type.configDir() + ".conf");
        if (conf == null) throw new IllegalStateException("unable to restore " + word + " " + vmid + " - archive has no " + type.configDir() + ".conf");
        StringBuilder text = new StringBuilder();
        Map<String, MapEntry> map = deviceMap(new String(conf.data(), StandardCharsets.UTF_8), text);
        GuestConfig cfg = GuestConfig.parse(text.toString());
        replace(g, vmid, exists, log);
        g.store().create(vmid, GuestConfig.parse("lock: create\n"));
        Map<Integer, String> volids = new HashMap<>();
        Map<Integer, Path> paths = new HashMap<>();
        Map<Integer, Boolean> sparse = new HashMap<>();
        java.util.Set<String> storages = new java.util.TreeSet<>();
        boolean done = false;
        try {
            for (Vma.Device d : header.devices()) {
                if (d.name().equals("vmstate")) {
                    log.accept("skipping the saved VM state in the archive");
                    continue;
                }
                MapEntry m = map.getOrDefault(d.name(), new MapEntry(d.name().replaceFirst("^drive-", ""), null, "raw"));
                String target = opt.storage() != null ? opt.storage() : m.storage();
                if (target == null || target.isEmpty()) throw new IllegalStateException("no storage for device '" + d.name() + "' - use the storage option");
                storages.add(target);
                String volid = g.volumes().alloc(target, vmid, "raw", d.size());
                volids.put(d.id(), volid);
                log.accept("new volume ID is '" + volid + "'");
                Path p = Path.of(g.volumes().resolve(volid).path());
                paths.put(d.id(), p);
                sparse.put(d.id(), Files.isRegularFile(p));
                log.accept("map '" + d.name() + "' to '" + p + "' (write zeros = " + (Files.isRegularFile(p) ? 0 : 1) + ")");
            }
            extract(file, comp, header, paths, sparse, bandwidthLimit(g, storages, opt, log), log);
            for (Vma.Device d : header.devices()) {
                String volid = volids.get(d.id());
                if (volid == null) continue;
                MapEntry m = map.getOrDefault(d.name(), new MapEntry(d.name().replaceFirst("^drive-", ""), null, "raw"));
                String value = cfg.get(m.key()).orElse(null);
                if (value == null) {
                    cfg.set(m.key(), volid);
                    continue;
                }
                String old = type.volumeKeys().volume(m.key(), value);
                cfg.set(m.key(), old == null ? volid + "," + value : value.replace(old, volid));
            }
            for (String k : new ArrayList<>(cfg.current().values().keySet())) if (k.startsWith("unused")) cfg.remove(k);
            if (opt.unique()) hooks.makeUnique(cfg);
            cfg.remove("lock");
            Vma.Config fw = header.config(type.configDir() + ".fw");
            if (fw != null) g.store().cfs().write("firewall/" + vmid + ".fw", fw.data());
            g.store().write(vmid, cfg);
            done = true;
        } finally {
            if (!done) {
                for (String v : volids.values()) {
                    try {
                        log.accept("freeing volume '" + v + "'");
                        g.volumes().free(v);
                    } catch (RuntimeException e) {
                        log.accept("unable to free '" + v + "' - " + e.getMessage());
                    }
                }
                g.store().destroy(vmid);
            }
        }
    }

    private static void extract(Path file, Compression comp, VmaReader.Header header, Map<Integer, Path> paths, Map<Integer, Boolean> sparse,
                                Long limit, Consumer<String> log) throws IOException {
        Map<Integer, FileChannel> out = new HashMap<>();
        long total = header.devices().stream().filter(d -> paths.containsKey(d.id())).mapToLong(Vma.Device::size).sum();
        long[] read = {0}, zeros = {0};
        int[] last = {-1};
        long t0 = System.nanoTime();
        try (InputStream in = Throttle.of(comp.readFrom(file), limit)) {
            for (var e : paths.entrySet()) out.put(e.getKey(), FileChannel.open(e.getValue(), StandardOpenOption.WRITE));
            VmaReader.read(new java.io.BufferedInputStream(in, 1 << 20), (dev, off, buf, len, zero) -> {
                FileChannel ch = out.get(dev.id());
                if (ch == null) return;
                if (zero) zeros[0] += len;
                if (!zero || !sparse.get(dev.id())) {
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
                    long pos = off;
                    while (b.hasRemaining()) pos += ch.write(b, pos);
                }
                read[0] += len;
                int pct = total == 0 ? 100 : (int) (read[0] * 100 / total);
                if (pct / 10 != last[0] / 10) {
                    last[0] = pct;
                    log.accept("progress " + pct + "% (read " + read[0] + " bytes, duration " + (System.nanoTime() - t0) / 1_000_000_000L + " sec)");
                }
            });
            for (FileChannel ch : out.values()) ch.force(false);
        } finally {
            for (FileChannel ch : out.values()) ch.close();
        }
        log.accept(String.format(java.util.Locale.ROOT, "total bytes read %d, sparse bytes %d (%.3g%%)", read[0], zeros[0], total == 0 ? 0.0 : zeros[0] * 100.0 / total));
    }
}
