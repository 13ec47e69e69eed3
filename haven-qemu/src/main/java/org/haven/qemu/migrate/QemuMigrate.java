package org.haven.qemu.migrate;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.core.cfs.ClusterFs;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;
import org.haven.qemu.run.Proc;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.run.VmManager;
import tools.jackson.databind.JsonNode;

/**
 * VM migration between cluster nodes, in PVE's phases ({@code PVE::QemuMigrate}):
 * <ol>
 * <li>prepare and phase 1, under the config lock: the checks (lock, running without {@code online}, local devices,
 *     local disks, storages on the target), then {@code lock: migrate} in the config;</li>
 * <li>phase 2, for a running VM: the target node starts QEMU in incoming mode through its API
 *     ({@code POST /nodes/<target>/qemu/<vmid>/status/start} with {@code migratedfrom}, {@code migration_type},
 *     {@code machine}, {@code stateuri}); the source sets PVE's migration capabilities and parameters, runs QMP
 *     {@code migrate} and follows {@code query-migrate};</li>
 * <li>phase 3: the config moves to the target's directory (one cfs rename), the target resumes the guest, the
 *     source QEMU quits and the lock is removed.</li>
 * </ol>
 * Until the config has moved, any failure leaves the VM where it was: the target QEMU is stopped, the source keeps
 * running, the lock is removed. Task log lines carry PVE's timestamps.
 */
public final class QemuMigrate {

    /** A migration request (the API's parameters). {@code bwlimit} in KiB/s, null for the config's {@code migrate_speed}. */
    public record Options(String target, boolean online, boolean withLocalDisks, boolean force, String migrationType,
                          String migrationNetwork, Long bwlimit, MigrationChecks.StorageMap targetStorage) {
        public static Options online(String target) {
            return new Options(target, true, false, false, null, null, null, MigrationChecks.StorageMap.IDENTITY);
        }
    }

    private static final Pattern LISTENS = Pattern.compile("migration listens on (\\S+)");
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final Map<Integer, ReentrantLock> MIGRATION_LOCKS = new ConcurrentHashMap<>();

    private final VmManager vms;
    private final GuestConfigStore store;
    private final ClusterApi api;
    private final Function<String, Optional<MigrationChecks.StorageFacts>> storages;

    public QemuMigrate(VmManager vms, ClusterApi api) {
        this.vms = vms;
        this.store = vms.store();
        this.api = api;
        this.storages = storageFacts(vms);
    }

    /** Storage facts from the storage configuration (nothing is known about storages without it). */
    public static Function<String, Optional<MigrationChecks.StorageFacts>> storageFacts(VmManager vms) {
        if (!(vms.volumes() instanceof StorageVolumes sv)) return id -> Optional.empty();
        return id -> sv.storage().config().get(id)
                .map(e -> new MigrationChecks.StorageFacts(e.id(), !e.disabled(), e.shared(), e.nodes()));
    }

    public Function<String, Optional<MigrationChecks.StorageFacts>> storages() { return storages; }

    /** The volumes of a config, for the checks. */
    public static List<MigrationChecks.Volume> volumes(GuestConfig cfg, Function<String, Optional<MigrationChecks.StorageFacts>> storages) {
        Map<String, Map<String, String>> snaps = new LinkedHashMap<>();
        cfg.snapshots().forEach((k, v) -> snaps.put(k, v.values()));
        return MigrationChecks.volumes(cfg.current().values(), cfg.pending().values(), snaps, storages);
    }

    // ---- cluster membership -------------------------------------------------------------------------------

    /** Cluster nodes from {@code .members} (name → online), or the node directories when there is no member list. */
    public static Map<String, Boolean> members(ClusterFs cfs) {
        LinkedHashMap<String, Boolean> out = new LinkedHashMap<>();
        Optional<String> m = cfs.readString(".members");
        if (m.isPresent()) {
            try {
                JsonNode list = tools.jackson.databind.json.JsonMapper.builder().build().readTree(m.get()).path("nodelist");
                for (Map.Entry<String, JsonNode> e : list.properties()) out.put(e.getKey(), e.getValue().path("online").asInt(1) == 1);
            } catch (RuntimeException ignored) { }
        }
        if (out.isEmpty()) {
            for (ClusterFs.Entry e : cfs.list("nodes")) if (e.directory()) out.put(e.name(), true);
            out.put(cfs.nodeName(), true);
        }
        return out;
    }

    // ---- logging ---------------------------------------------------------------------------------------------

    private static void info(Consumer<String> log, String msg) {
        if (log != null) log.accept(LocalDateTime.now().format(TS) + " " + msg);
    }

    private static void err(Consumer<String> log, String msg) {
        if (log != null) for (String l : msg.split("\n")) log.accept(LocalDateTime.now().format(TS) + " ERROR: " + l);
    }

    static String duration(long startNanos) {
        long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
        return String.format("%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    /** PVE's render_bytes with one decimal ({@code 113.6 MiB}). */
    static String bytes(double v) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        int u = 0;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    // ---- the migration ---------------------------------------------------------------------------------------

    /**
     * Migrate {@code vmid} from this node to {@code o.target()}. Failures end with PVE's task errors:
     * {@code migration aborted} (nothing changed) or {@code migration problems}.
     */
    public void migrate(int vmid, Options o, Consumer<String> log) {
        ReentrantLock lock = MIGRATION_LOCKS.computeIfAbsent(vmid, k -> new ReentrantLock());
        try {
            if (!lock.tryLock(10, TimeUnit.SECONDS))
                throw new GuestException(500, "can't lock file '/var/lock/pve-manager/pve-migrate-" + vmid + "' - got timeout");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(500, "interrupted");
        }
        try {
            doMigrate(vmid, o, log);
        } finally {
            lock.unlock();
        }
    }

    private void doMigrate(int vmid, Options o, Consumer<String> log) {
        long start = System.nanoTime();
        String source = store.localNode();
        String target = o.target();
        String addr = api.address(target);
        info(log, "starting migration of VM " + vmid + " to node '" + target + "' (" + (addr == null ? "unknown" : addr) + ")");
        boolean running;
        try {
            running = prepare(vmid, o, addr);
        } catch (RuntimeException e) {
            err(log, "migration aborted (duration " + duration(start) + "): " + message(e));
            throw new GuestException(500, "migration aborted");
        }
        boolean live = running && o.online();
        if (!live) {
            List<MigrationChecks.Volume> copies = List.of();
            Map<String, String> copied = new LinkedHashMap<>();
            Map<String, String> renamed = new LinkedHashMap<>();
            try {
                copies = MigrationChecks.copies(volumes(store.load(vmid), storages));
                for (MigrationChecks.Volume v : copies) info(log, "found local disk '" + v.volid() + "' (" + where(v.ref()) + ")");
                if (!copies.isEmpty()) info(log, "copying local disk images");
                for (MigrationChecks.Volume v : copies) {
                    String nv = copyVolume(v.volid(), target, o.targetStorage().map(v.storage()));
                    copied.put(v.volid(), nv);
                    if (!nv.equals(v.volid())) renamed.put(v.volid(), nv);
                    info(log, "volume '" + v.volid() + "' is '" + nv + "' on the target");
                }
                moveConfig(vmid, source, target, renamed);
            } catch (RuntimeException e) {
                for (String nv : copied.values()) {
                    try {
                        api.call("DELETE", "/nodes/" + target + "/storage/" + nv.substring(0, nv.indexOf(':')) + "/content/" + nv, Map.of());
                    } catch (RuntimeException ex) {
                        err(log, "unable to remove copied volume '" + nv + "' on node '" + target + "' - " + message(ex));
                    }
                }
                unlock(source, vmid);
                err(log, "migration aborted (duration " + duration(start) + "): " + message(e));
                throw new GuestException(500, "migration aborted");
            }
            boolean problems = false;
            try {
                unlock(target, vmid);
            } catch (RuntimeException e) {
                err(log, "failed to clear migrate lock - " + message(e));
                problems = true;
            }
            for (String volid : copied.keySet()) {
                try {
                    vms.volumes().free(volid);
                } catch (RuntimeException e) {
                    err(log, "unable to remove the local copy of '" + volid + "' - " + message(e));
                    problems = true;
                }
            }
            if (problems) {
                err(log, "migration finished with problems (duration " + duration(start) + ")");
                throw new GuestException(500, "migration problems");
            }
            info(log, "migration finished successfully (duration " + duration(start) + ")");
            return;
        }
        // a guest paused before the migration stays paused on the target (PVE's vm_was_paused)
        boolean wasPaused = false;
        try {
            String before = vms.qmpCommand(vmid, "query-status", null, Duration.ofSeconds(10)).path("status").asString("");
            wasPaused = before.equals("paused") || before.equals("prelaunch");
        } catch (RuntimeException e) {
            // phase 2 reports the monitor's failure
        }
        try {
            phase2(vmid, o, source, target, log);
            moveConfig(vmid, source, target);
        } catch (RuntimeException e) {
            err(log, "online migrate failure - " + message(e));
            info(log, "aborting phase 2 - cleanup resources");
            phase2Cleanup(vmid, source, target, log, wasPaused);
            err(log, "migration finished with problems (duration " + duration(start) + ")");
            throw new GuestException(500, "migration problems");
        }
        boolean problems = false;
        if (!wasPaused) {
            try {
                awaitTask(target, api.call("POST", "/nodes/" + target + "/qemu/" + vmid + "/status/resume",
                        Map.of("skiplock", 1, "nocheck", 1)).asString(), Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                err(log, "unable to resume the VM on node '" + target + "' - " + message(e));
                problems = true;
            }
        }
        try {
            vms.stopProcess(vmid, Duration.ofSeconds(10), null);
        } catch (RuntimeException e) {
            err(log, "unable to stop the source VM - " + message(e));
            problems = true;
        }
        try {
            unlock(target, vmid);
        } catch (RuntimeException e) {
            err(log, "failed to clear migrate lock - " + message(e));
            problems = true;
        }
        if (problems) {
            err(log, "migration finished with problems (duration " + duration(start) + ")");
            throw new GuestException(500, "migration problems");
        }
        info(log, "migration finished successfully (duration " + duration(start) + ")");
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.toString() : m.strip();
    }

    /** Prepare and phase 1: the checks, then {@code lock: migrate}. Returns whether the VM runs. */
    private boolean prepare(int vmid, Options o, String targetAddress) {
        String target = o.target();
        if (target.equals(store.localNode())) throw new GuestException(500, "target is local node.");
        Boolean online = members(store.cfs()).get(target);
        if (online == null) throw new GuestException(500, "no such cluster node '" + target + "'");
        if (!online || !api.reachable(target)) throw new GuestException(500, "target node '" + target + "' is not online");
        return store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            boolean running = vms.isRunning(vmid);
            if (running && !o.online()) throw new GuestException(500, "can't migrate running VM without --online");
            List<MigrationChecks.Volume> vols = volumes(cfg, storages);
            MigrationChecks.Request req = new MigrationChecks.Request(running, o.online(), o.withLocalDisks(), o.force());
            Optional<String> refusal = MigrationChecks.refusal(req, cfg.current().values(), vols, target, storages, o.targetStorage());
            if (refusal.isPresent()) throw new GuestException(500, refusal.get());
            if (running && o.online()) {
                boolean nics = cfg.current().values().keySet().stream().anyMatch(QemuOptions::isNet);
                if (nics && targetAddress != null && isLocalAddress(targetAddress))
                    throw new GuestException(500, "can't live migrate VM with network devices to node '" + target
                            + "' on the same host: the tap devices would collide");
            }
            cfg.set("lock", "migrate");
            store.write(vmid, cfg);
            return running;
        });
    }

    static boolean isLocalAddress(String address) {
        try {
            InetAddress a = InetAddress.getByName(address);
            return a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null;
        } catch (Exception e) {
            return false;
        }
    }

    private static String where(MigrationChecks.Ref ref) {
        return switch (ref) {
            case CONFIG -> "attached";
            case PENDING -> "in pending changes";
            case SNAPSHOT -> "referenced by snapshot(s)";
            case UNUSED -> "unused";
        };
    }

    /** Copy a local volume to the same storage on {@code target} (export stream into the target's import); returns the new volume ID. */
    private String copyVolume(String volid, String target, String targetStorage) {
        if (!(vms.volumes() instanceof StorageVolumes sv)) throw new GuestException(500, "can't copy volume '" + volid + "' without storage");
        var sm = sv.storage();
        String fmt = sm.parseVolname(volid).format();
        boolean withSnapshots = "qcow2".equals(fmt) || "vmdk".equals(fmt);
        var formats = sm.exportFormats(volid, null, null, withSnapshots);
        if (formats.isEmpty()) throw new GuestException(500, "no export format for volume '" + volid + "'");
        var f = formats.get(0);
        int colon = volid.indexOf(':');
        String source = volid.substring(0, colon);
        String into = volid;
        if (!targetStorage.equals(source)) {
            // volume names are per storage type: a copy keeps its name on a storage of the same type
            if (sm.storage(source).type() != sm.storage(targetStorage).type())
                throw new GuestException(500, "can't map storage '" + source + "' to '" + targetStorage + "': storages of different types");
            into = targetStorage + volid.substring(colon);
        }
        return api.importVolume(target, into, f.id(), withSnapshots, out -> sm.exportVolume(volid, f, null, null, withSnapshots, out));
    }

    /** {@code volid} → new volume ID in every section of the config (drives, unused disks, vmstate). */
    static void replaceVolids(GuestConfig cfg, Map<String, String> renamed) {
        if (renamed.isEmpty()) return;
        List<GuestConfig.Section> sections = new ArrayList<>(List.of(cfg.current(), cfg.pending()));
        sections.addAll(cfg.snapshots().values());
        for (GuestConfig.Section sec : sections) {
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(sec.values()).entrySet()) {
                String key = e.getKey();
                if (key.equals("vmstate")) {
                    if (renamed.containsKey(e.getValue())) sec.set(key, renamed.get(e.getValue()));
                    continue;
                }
                if (!QemuOptions.isDisk(key) && !key.matches("unused\\d+")) continue;
                LinkedHashMap<String, String> d = QemuOptions.props(key, e.getValue());
                String nv = renamed.get(d.get("file"));
                if (nv == null) continue;
                d.put("file", nv);
                sec.set(key, QemuOptions.print(key, d));
            }
        }
    }

    private void moveConfig(int vmid, String source, String target) { moveConfig(vmid, source, target, Map.of()); }

    /** The config moves to the target's directory in one cfs rename, under the config lock (volume IDs rewritten first when copies got new names). */
    private void moveConfig(int vmid, String source, String target, Map<String, String> renamed) {
        store.locked(vmid, () -> {
            String from = store.path(source, vmid), to = store.path(target, vmid);
            if (store.cfs().stat(from).isEmpty()) throw new GuestException(500, "Configuration file '" + from + "' does not exist");
            GuestConfig original = null;
            if (!renamed.isEmpty()) {
                original = store.load(source, vmid);
                GuestConfig cfg = GuestConfig.parse(original.writeBytes());
                replaceVolids(cfg, renamed);
                store.write(source, vmid, cfg);
            }
            store.cfs().mkdirs("nodes/" + target + "/qemu-server");
            try {
                store.cfs().rename(from, to);
            } catch (RuntimeException e) {
                if (original != null) store.write(source, vmid, original);
                throw new GuestException(500, "Failed to move config to node '" + target + "' - rename failed: " + message(e));
            }
            return null;
        });
    }

    /** Remove {@code lock: migrate} from the config on {@code node}. */
    private void unlock(String node, int vmid) {
        store.locked(vmid, () -> {
            Optional<GuestConfig> cfg = store.read(node, vmid);
            if (cfg.isPresent() && "migrate".equals(cfg.get().lock().orElse(null))) {
                cfg.get().remove("lock");
                store.write(node, vmid, cfg.get());
            }
            return null;
        });
    }

    /**
     * The cluster-wide migration settings of {@code datacenter.cfg} ({@code migration: [type=]<secure|insecure>[,network=<CIDR>]}),
     * as key → value; empty when not set.
     */
    public static Map<String, String> datacenterMigration(ClusterFs cfs) {
        Optional<String> dc = cfs.readString("datacenter.cfg");
        if (dc.isEmpty()) return Map.of();
        for (String line : dc.get().split("\n")) {
            if (!line.startsWith("migration:")) continue;
            try {
                return org.haven.core.format.PropertyString.parse(line.substring("migration:".length()).trim(), "type");
            } catch (RuntimeException e) {
                return Map.of();
            }
        }
        return Map.of();
    }

    /** Phase 2: the target QEMU waits for the state, the source sends it. */
    private void phase2(int vmid, Options o, String source, String target, Consumer<String> log) {
        String machine = runningMachine(vmid);
        Map<String, String> dc = datacenterMigration(store.cfs());
        String type = o.migrationType() != null ? o.migrationType() : dc.getOrDefault("type", "secure");
        String network = o.migrationNetwork() != null ? o.migrationNetwork() : dc.get("network");
        LinkedHashMap<String, Object> params = new LinkedHashMap<>();
        params.put("skiplock", 1);
        params.put("migratedfrom", source);
        params.put("migration_type", type);
        params.put("stateuri", "tcp");
        if (machine != null) params.put("machine", machine);
        if (network != null) params.put("migration_network", network);
        info(log, "starting VM " + vmid + " on remote node '" + target + "'");
        String upid = api.call("POST", "/nodes/" + target + "/qemu/" + vmid + "/status/start", params).asString();
        awaitTask(target, upid, Duration.ofMinutes(5));
        String uri = null;
        for (String line : taskLog(target, upid)) {
            Matcher m = LISTENS.matcher(line);
            if (m.find()) uri = m.group(1);
        }
        if (uri == null) throw new GuestException(500, "unable to detect remote migration address");
        GuestConfig cfg = store.load(vmid);
        Map<String, String> conf = cfg.current().values();
        info(log, "starting online/live migration on " + uri);
        Path tlsDir = vms.paths().dir().resolve(vmid + ".migrate-tls-client");
        try (QmpClient q = vms.qmp(vmid)) {
            Duration t = Duration.ofSeconds(10);
            info(log, "set migration capabilities");
            java.util.Set<String> supported = new java.util.HashSet<>();
            for (JsonNode c : q.execute("query-migrate-capabilities", null, t)) supported.add(c.path("capability").asString());
            List<Map<String, Object>> caps = new ArrayList<>();
            for (String c : MigrationParams.CAPABILITIES) if (supported.contains(c)) caps.add(Map.of("capability", c, "state", true));
            if (!caps.isEmpty()) q.execute("migrate-set-capabilities", Map.of("capabilities", caps), t);
            MigrationParams p = MigrationParams.of(conf, o.bwlimit());
            info(log, "migration downtime limit: " + p.downtimeMs() + " ms");
            info(log, "migration cachesize: " + bytes(p.cacheSize()));
            if (p.maxBandwidth() > 0) info(log, "migration speed limit: " + bytes(p.maxBandwidth()) + "/s");
            info(log, "set migration parameters");
            q.execute("migrate-set-parameters", p.qmpArguments(), t);
            // a VM that came here by a secure migration still has the server credentials of its incoming side
            q.execute("migrate-set-parameters", Map.of("tls-creds", "", "tls-hostname", ""), t);
            try { q.execute("object-del", Map.of("id", "migration-tls"), t); } catch (QmpException ignored) { }
            if (type.equals("secure")) {
                VmManager.MigrationTls tls = vms.migrationTls();
                if (tls == null) throw new GuestException(500, "secure migration is not available on this node");
                tls.writeClient(tlsDir);
                q.execute("object-add", Map.of("qom-type", "tls-creds-x509", "id", "migration-tls", "dir", tlsDir.toString(),
                        "endpoint", "client", "verify-peer", true), t);
                q.execute("migrate-set-parameters", Map.of("tls-creds", "migration-tls", "tls-hostname", target), t);
            }
            info(log, "start migrate command to " + uri);
            q.execute("migrate", Map.of("uri", uri), t);
            follow(q, log);
        } catch (QmpException e) {
            throw new GuestException(500, "VM " + vmid + " qmp command '" + e.command() + "' failed - " + e.getMessage());
        } finally {
            deleteTree(tlsDir);
        }
    }

    private static void deleteTree(Path dir) {
        if (!java.nio.file.Files.exists(dir)) return;
        try (var w = java.nio.file.Files.walk(dir)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException ignored) { }
    }

    /** Poll {@code query-migrate} until the migration completes; progress lines as PVE logs them. */
    private static void follow(QmpClient q, Consumer<String> log) {
        long lastLog = 0;
        long setupDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long lastTransferred = 0, lastTime = System.nanoTime();
        while (true) {
            sleep(500);
            JsonNode m = q.execute("query-migrate", null, Duration.ofSeconds(10));
            String st = m.path("status").asString("");
            switch (st) {
                case "setup", "" -> {
                    if (System.nanoTime() > setupDeadline) throw new GuestException(500, "migration setup timed out");
                }
                case "completed" -> {
                    JsonNode ram = m.path("ram");
                    long total = ram.path("transferred").asLong();
                    long ms = Math.max(1, m.path("total-time").asLong());
                    info(log, "average migration speed: " + bytes(total * 1000.0 / ms) + "/s - downtime " + m.path("downtime").asLong() + " ms");
                    info(log, "migration status: completed");
                    return;
                }
                case "failed", "cancelled" -> {
                    String desc = m.path("error-desc").asString("");
                    info(log, "migration status error: " + st);
                    throw new GuestException(500, desc.isEmpty() ? "aborting" : desc);
                }
                default -> {
                    long now = System.nanoTime();
                    if (now - lastLog >= TimeUnit.SECONDS.toNanos(1)) {
                        JsonNode ram = m.path("ram");
                        long transferred = ram.path("transferred").asLong();
                        double secs = Math.max(0.001, (now - lastTime) / 1e9);
                        double speed = (transferred - lastTransferred) / secs;
                        info(log, "migration " + st + ", transferred " + bytes(transferred) + " of " + bytes(ram.path("total").asLong())
                                + " VM-state, " + bytes(Math.max(0, speed)) + "/s");
                        JsonNode x = m.path("xbzrle-cache");
                        if (x.path("cache-miss").asLong() > 0) {
                            info(log, "xbzrle: send updates to " + x.path("pages").asLong() + " pages in " + bytes(x.path("bytes").asLong())
                                    + " encoded memory, cache-miss " + x.path("cache-miss").asLong() + ", overflow " + x.path("overflow").asLong());
                        }
                        lastLog = now;
                        lastTransferred = transferred;
                        lastTime = now;
                    }
                }
            }
        }
    }

    /** After a failed phase 2: cancel on the source, stop the target's QEMU, keep the source running, remove the lock. */
    private void phase2Cleanup(int vmid, String source, String target, Consumer<String> log, boolean wasPaused) {
        info(log, "migrate_cancel");
        if (vms.isRunning(vmid)) {
            try (QmpClient q = vms.qmp(vmid)) {
                try { q.execute("migrate_cancel", null, Duration.ofSeconds(10)); } catch (QmpException e) { err(log, "migrate_cancel failed - " + e.getMessage()); }
                try { q.execute("object-del", Map.of("id", "migration-tls"), Duration.ofSeconds(5)); } catch (QmpException ignored) { }
                // a VM paused by the switch-over runs again
                for (int i = 0; i < 20; i++) {
                    String st = q.execute("query-status", null, Duration.ofSeconds(5)).path("status").asString("");
                    if (st.equals("running")) break;
                    if (wasPaused && st.equals("paused")) break;
                    if (st.equals("postmigrate") || st.equals("paused") || st.equals("finish-migrate")) {
                        try { q.execute("cont", null, Duration.ofSeconds(5)); } catch (QmpException ignored) { }
                    }
                    sleep(250);
                }
            } catch (RuntimeException e) {
                err(log, "unable to resume the source VM - " + message(e));
            }
        }
        try {
            String upid = api.call("POST", "/nodes/" + target + "/qemu/" + vmid + "/status/stop",
                    Map.of("skiplock", 1, "migratedfrom", source)).asString();
            awaitTask(target, upid, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            err(log, "stopping the VM on node '" + target + "' failed - " + message(e));
        }
        try {
            unlock(source, vmid);
        } catch (RuntimeException e) {
            err(log, "failed to clear migrate lock - " + message(e));
        }
    }

    /** The machine type the running QEMU was started with ({@code -machine type=...}). */
    private String runningMachine(int vmid) {
        Optional<Long> pid = vms.pid(vmid);
        if (pid.isEmpty()) throw new GuestException(500, "VM " + vmid + " not running");
        List<String> cmd = Proc.cmdline(pid.get());
        int i = cmd.lastIndexOf("-machine");
        if (i < 0 || i + 1 >= cmd.size()) return null;
        for (String part : cmd.get(i + 1).split(",")) {
            if (part.startsWith("type=")) return part.substring(5);
        }
        return null;
    }

    // ---- tasks on other nodes ---------------------------------------------------------------------------------

    /** Wait until a task on {@code node} ends; fails with its exit status unless it is OK. */
    void awaitTask(String node, String upid, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        String path = "/nodes/" + node + "/tasks/" + java.net.URLEncoder.encode(upid, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/status";
        while (true) {
            JsonNode st = api.call(node, "GET", path, Map.of());
            if ("stopped".equals(st.path("status").asString())) {
                String exit = st.path("exitstatus").asString("");
                if (!exit.equals("OK")) throw new GuestException(500, exit);
                return;
            }
            if (System.nanoTime() > deadline) throw new GuestException(500, "timeout waiting for task " + upid);
            sleep(200);
        }
    }

    List<String> taskLog(String node, String upid) {
        String path = "/nodes/" + node + "/tasks/" + java.net.URLEncoder.encode(upid, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/log";
        List<String> out = new ArrayList<>();
        for (JsonNode l : api.call(node, "GET", path, Map.of("start", 0, "limit", 1000))) out.add(l.path("t").asString(""));
        return out;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(500, "interrupted");
        }
    }
}
