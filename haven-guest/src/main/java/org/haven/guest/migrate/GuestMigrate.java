package org.haven.guest.migrate;

import java.net.InetAddress;
import java.net.NetworkInterface;
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

import org.haven.core.cfs.ClusterFs;
import org.haven.guest.GuestService;
import org.haven.guest.GuestType;
import org.haven.guest.GuestVolumes;
import org.haven.guest.VolumeKeys;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.volume.StorageVolumes;
import org.haven.guest.volume.VolumeAccess;
import tools.jackson.databind.JsonNode;

/**
 * Guest migration between cluster nodes, in PVE's phases ({@code PVE::AbstractMigrate} with the steps both
 * guest types share):
 * <ol>
 * <li>prepare and phase 1, under the config lock: the checks (lock, running without {@code online}, local devices,
 *     local volumes, storages on the target, and the type's own live checks), then {@code lock: migrate};</li>
 * <li>offline: local volumes are copied to the target through its storage API (export stream into
 *     {@code import}), then the config moves; in restart mode (containers) a running guest is shut down first and
 *     started on the target at the end, or again here when the migration fails;</li>
 * <li>live: unused local volumes are copied as offline; the guest type's {@link LiveMigration} starts the guest on
 *     the target (with new volumes for its local disks, mirrored while it runs) and sends its state (phase 2);</li>
 * <li>phase 3: the config moves to the target's directory (one cfs rename), the target resumes the guest, the
 *     source ends and the lock is removed.</li>
 * </ol>
 * Until the config has moved, any failure leaves the guest where it was: the live part is cleaned up by the type,
 * copied volumes are removed from the target, the lock is removed. After a move the source's local volumes are freed. Task log lines carry PVE's timestamps.
 */
public final class GuestMigrate {


    /**
     * A migration request (the API's parameters). {@code bwlimit} in KiB/s, null for none requested; {@code rights}
     * tell which configured bandwidth limits the requesting user may exceed ({@link BandwidthLimit}).
     * {@code restart} asks for restart mode (containers): a running guest is shut down within this time, moved
     * offline and started on the target; null for none.
     */
    public record Options(String target, boolean online, boolean withLocalDisks, boolean force, String migrationType,
                          String migrationNetwork, Long bwlimit, MigrationChecks.StorageMap targetStorage, BandwidthLimit.Rights rights,
                          Duration restart) {
        public Options(String target, boolean online, boolean withLocalDisks, boolean force, String migrationType,
                       String migrationNetwork, Long bwlimit, MigrationChecks.StorageMap targetStorage, BandwidthLimit.Rights rights) {
            this(target, online, withLocalDisks, force, migrationType, migrationNetwork, bwlimit, targetStorage, rights, null);
        }

        public static Options online(String target) {
            return new Options(target, true, false, false, null, null, null, MigrationChecks.StorageMap.IDENTITY, BandwidthLimit.Rights.ROOT);
        }
    }

    /** The bandwidth limit of this migration over {@code storages} (KiB/s, null for none), by PVE's rules. */
    public Long bandwidthLimit(Options o, List<String> storages) {
        Function<String, String> storageLimit = id -> volumes instanceof StorageVolumes sv
                ? sv.storage().config().get(id).flatMap(e -> e.get("bwlimit")).orElse(null) : null;
        return BandwidthLimit.resolve("migration", storages, o.bwlimit(), storageLimit,
                BandwidthLimit.datacenter(store.cfs().readString("datacenter.cfg").orElse(null)), o.rights());
    }

    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final Map<Integer, ReentrantLock> MIGRATION_LOCKS = new ConcurrentHashMap<>();

    private final GuestType type;
    private final VolumeKeys keys;
    private final GuestConfigStore store;
    private final VolumeAccess volumes;
    private final ClusterApi api;
    private final LiveMigration liveMigration;
    private final String word;
    private final Function<String, Optional<MigrationChecks.StorageFacts>> storages;
    private final java.util.function.Supplier<Optional<GuestReplication>> replication;

    /** @param live how the guest type moves a running guest */
    public GuestMigrate(GuestService guests, ClusterApi api, LiveMigration live) {
        this(guests, api, live, java.util.Optional::empty);
    }

    /** @param replication storage replication on this node, when its module runs */
    public GuestMigrate(GuestService guests, ClusterApi api, LiveMigration live, java.util.function.Supplier<Optional<GuestReplication>> replication) {
        this.replication = replication;
        this.type = guests.type();
        this.keys = type.volumeKeys();
        this.store = guests.store();
        this.volumes = guests.volumes();
        this.api = api;
        this.liveMigration = live;
        this.word = type.guestWord();
        this.storages = storageFacts(volumes);
    }

    public ClusterApi api() { return api; }
    public GuestConfigStore store() { return store; }

    /** Storage facts from the storage configuration (nothing is known about storages without it). */
    public static Function<String, Optional<MigrationChecks.StorageFacts>> storageFacts(VolumeAccess volumes) {
        if (!(volumes instanceof StorageVolumes sv)) return id -> Optional.empty();
        return id -> sv.storage().config().get(id)
                .map(e -> new MigrationChecks.StorageFacts(e.id(), !e.disabled(), e.shared(), e.nodes()));
    }

    public Function<String, Optional<MigrationChecks.StorageFacts>> storages() { return storages; }

    /** The volumes of a config, for the checks. */
    public static List<MigrationChecks.Volume> volumes(VolumeKeys keys, GuestConfig cfg, Function<String, Optional<MigrationChecks.StorageFacts>> storages) {
        Map<String, Map<String, String>> snaps = new LinkedHashMap<>();
        cfg.snapshots().forEach((k, v) -> snaps.put(k, v.values()));
        return MigrationChecks.volumes(keys, cfg.current().values(), cfg.pending().values(), snaps, storages);
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

    /** A task log line with PVE's timestamp. */
    public static void info(Consumer<String> log, String msg) {
        if (log != null) log.accept(LocalDateTime.now().format(TS) + " " + msg);
    }

    public static void err(Consumer<String> log, String msg) {
        if (log != null) for (String l : msg.split("\n")) log.accept(LocalDateTime.now().format(TS) + " ERROR: " + l);
    }

    static String duration(long startNanos) {
        long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
        return String.format("%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    /** PVE's render_bytes with one decimal ({@code 113.6 MiB}). */
    public static String bytes(double v) {
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
        info(log, "starting migration of " + word + " " + vmid + " to node '" + target + "' (" + (addr == null ? "unknown" : addr) + ")");
        boolean running;
        try {
            running = prepare(vmid, o, addr);
        } catch (RuntimeException e) {
            err(log, "migration aborted (duration " + duration(start) + "): " + message(e));
            throw new GuestException(500, "migration aborted");
        }
        boolean live = running && o.online();
        if (!live) {
            // restart mode: the running guest is shut down here and started again on the target
            boolean restart = running;
            if (restart) {
                try {
                    info(log, "shutdown " + word + " " + vmid);
                    type.shutdown(vmid, o.restart(), true, log);
                } catch (RuntimeException e) {
                    unlock(source, vmid);
                    err(log, "migration aborted (duration " + duration(start) + "): " + message(e));
                    throw new GuestException(500, "migration aborted");
                }
            }
            List<MigrationChecks.Volume> copies = List.of();
            Map<String, String> copied = new LinkedHashMap<>();
            Map<String, String> renamed = new LinkedHashMap<>();
            Optional<GuestReplication> repl = replication.get();
            try {
                // a replication job to the target sends the last delta: its volumes are there already
                java.util.Set<String> replicated = repl.map(r -> r.syncBeforeMigration(vmid, target, m -> info(log, m))).orElse(java.util.Set.of());
                copies = MigrationChecks.copies(volumes(keys, store.load(vmid), storages));
                for (MigrationChecks.Volume v : copies) info(log, "found local disk '" + v.volid() + "' (" + where(v.ref()) + ")");
                if (!copies.isEmpty()) info(log, "copying local disk images");
                for (MigrationChecks.Volume v : copies) {
                    if (replicated.contains(v.volid()) && o.targetStorage().map(v.storage()).equals(v.storage())) {
                        info(log, "volume '" + v.volid() + "' is already replicated to node '" + target + "'");
                        continue;
                    }
                    String nv = copyVolume(v.volid(), target, o.targetStorage().map(v.storage()));
                    copied.put(v.volid(), nv);
                    if (!nv.equals(v.volid())) renamed.put(v.volid(), nv);
                    info(log, "volume '" + v.volid() + "' is '" + nv + "' on the target");
                }
                moveConfig(vmid, source, target, renamed);
            } catch (RuntimeException e) {
                removeOnTarget(target, copied.values(), log);
                unlock(source, vmid);
                err(log, "migration aborted (duration " + duration(start) + "): " + message(e));
                if (restart) restartOnSource(vmid, log);
                throw new GuestException(500, "migration aborted");
            }
            boolean problems = false;
            try {
                unlock(target, vmid);
            } catch (RuntimeException e) {
                err(log, "failed to clear migrate lock - " + message(e));
                problems = true;
            }
            problems |= !freeLocal(copied.keySet(), log);
            try {
                type.cleanupFiles(vmid); // the stopped guest left this node: its runtime files (a container's directory) go
            } catch (RuntimeException e) {
                err(log, "unable to remove the runtime files of " + word + " " + vmid + " - " + message(e));
            }
            if (repl.isPresent()) {
                try {
                    repl.get().afterMigration(vmid, source, target, m -> info(log, m));
                } catch (RuntimeException e) {
                    err(log, "switching the replication jobs to node '" + target + "' failed - " + message(e));
                    problems = true;
                }
            }
            if (restart) {
                info(log, "start container on target node");
                try {
                    awaitUnlocked(target, vmid, Duration.ofSeconds(30));
                    awaitTask(target, api.call("POST", "/nodes/" + target + "/" + type.typeWord() + "/" + vmid + "/status/start", Map.of()).asString(),
                            Duration.ofSeconds(120));
                } catch (RuntimeException e) {
                    err(log, "unable to start the " + word + " on node '" + target + "' - " + message(e));
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
        boolean wasPaused = liveMigration.paused(vmid);
        // source volume → its copy on the target: unused local volumes copied here, attached ones placed by the type
        Map<String, String> copied = new LinkedHashMap<>();
        Map<String, String> placed = new LinkedHashMap<>();
        try {
            for (MigrationChecks.Volume v : MigrationChecks.liveCopies(volumes(keys, store.load(vmid), storages))) {
                info(log, "found local disk '" + v.volid() + "' (" + where(v.ref()) + ")");
                String nv = copyVolume(v.volid(), target, o.targetStorage().map(v.storage()));
                copied.put(v.volid(), nv);
                info(log, "volume '" + v.volid() + "' is '" + nv + "' on the target");
            }
            placed.putAll(copied);
            liveMigration.phase2(this, vmid, o, source, target, placed, log);
            Map<String, String> renamed = new LinkedHashMap<>();
            placed.forEach((from, to) -> { if (!from.equals(to)) renamed.put(from, to); });
            moveConfig(vmid, source, target, renamed);
        } catch (RuntimeException e) {
            err(log, "online migrate failure - " + message(e));
            info(log, "aborting phase 2 - cleanup resources");
            liveMigration.phase2Cleanup(this, vmid, source, target, log, wasPaused);
            removeOnTarget(target, copied.values(), log);
            try {
                unlock(source, vmid);
            } catch (RuntimeException ex) {
                err(log, "failed to clear migrate lock - " + message(ex));
            }
            err(log, "migration finished with problems (duration " + duration(start) + ")");
            throw new GuestException(500, "migration problems");
        }
        boolean problems = false;
        if (!wasPaused) {
            try {
                awaitTask(target, api.call("POST", "/nodes/" + target + "/" + type.typeWord() + "/" + vmid + "/status/resume",
                        Map.of("skiplock", 1, "nocheck", 1)).asString(), Duration.ofSeconds(60));
            } catch (RuntimeException e) {
                err(log, "unable to resume the " + word + " on node '" + target + "' - " + message(e));
                problems = true;
            }
        }
        try {
            liveMigration.stopSource(vmid);
            problems |= !freeLocal(placed.keySet(), log);
        } catch (RuntimeException e) {
            err(log, "unable to stop the source " + word + " - " + message(e));
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

    /** Wait until {@code node} sees the guest's config without its lock (the cluster file system may reach it a little later). */
    private void awaitUnlocked(String node, int vmid, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        String path = "/nodes/" + node + "/" + type.typeWord() + "/" + vmid + "/config";
        while (api.call(node, "GET", path, Map.of("current", 1)).has("lock")) {
            if (System.nanoTime() > deadline) throw new GuestException(500, word + " " + vmid + " is still locked on node '" + node + "'");
            sleep(200);
        }
    }

    /** After a failed restart migration the guest runs again where it was. */
    private void restartOnSource(int vmid, Consumer<String> log) {
        info(log, "start " + word + " " + vmid + " again on the source node");
        try {
            type.start(vmid, log);
        } catch (RuntimeException e) {
            err(log, "unable to start the " + word + " again - " + message(e));
        }
    }

    /** Remove volumes copied to {@code target} by a migration that failed (errors are logged). */
    private void removeOnTarget(String target, java.util.Collection<String> volids, Consumer<String> log) {
        for (String nv : volids) {
            try {
                api.call("DELETE", "/nodes/" + target + "/storage/" + nv.substring(0, nv.indexOf(':')) + "/content/" + nv, Map.of());
            } catch (RuntimeException ex) {
                err(log, "unable to remove copied volume '" + nv + "' on node '" + target + "' - " + message(ex));
            }
        }
    }

    /** Free the source volumes whose copies now serve the guest on the target; false when one could not be freed. */
    private boolean freeLocal(java.util.Collection<String> volids, Consumer<String> log) {
        boolean ok = true;
        for (String volid : volids) {
            try {
                volumes.free(volid);
            } catch (RuntimeException e) {
                err(log, "unable to remove the local copy of '" + volid + "' - " + message(e));
                ok = false;
            }
        }
        return ok;
    }

    public static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.toString() : m.strip();
    }

    /** Prepare and phase 1: the checks, then {@code lock: migrate}. Returns whether the guest runs. */
    private boolean prepare(int vmid, Options o, String targetAddress) {
        String target = o.target();
        if (target.equals(store.localNode())) throw new GuestException(500, "target is local node.");
        Boolean online = members(store.cfs()).get(target);
        if (online == null) throw new GuestException(500, "no such cluster node '" + target + "'");
        if (!online || !api.reachable(target)) throw new GuestException(500, "target node '" + target + "' is not online");
        return store.locked(vmid, () -> {
            GuestConfig cfg = store.load(vmid);
            store.checkLock(cfg);
            boolean running = type.isRunning(vmid);
            if (running && o.online() && !liveMigration.available())
                throw new GuestException(500, liveMigration.refusal(cfg, target, targetAddress).orElse("live migration is not supported"));
            if (running && !o.online() && o.restart() == null) throw new GuestException(500, "can't migrate running " + word + " without --online");
            List<MigrationChecks.Volume> vols = volumes(keys, cfg, storages);
            MigrationChecks.Request req = new MigrationChecks.Request(running, o.online(), o.withLocalDisks(), o.force());
            Optional<String> refusal = MigrationChecks.refusal(req, cfg.current().values(), vols, target, storages, o.targetStorage());
            if (refusal.isPresent()) throw new GuestException(500, refusal.get());
            if (running && o.online()) {
                Optional<String> liveRefusal = liveMigration.refusal(cfg, target, targetAddress);
                if (liveRefusal.isPresent()) throw new GuestException(500, liveRefusal.get());
            }
            cfg.set("lock", "migrate");
            store.write(vmid, cfg);
            return running;
        });
    }

    /** Whether {@code address} belongs to this host. */
    public static boolean isLocalAddress(String address) {
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
        if (!(volumes instanceof StorageVolumes sv)) throw new GuestException(500, "can't copy volume '" + volid + "' without storage");
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
    public static void replaceVolids(VolumeKeys keys, GuestConfig cfg, Map<String, String> renamed) {
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
                if (key.matches("unused\\d+")) {
                    String nv = renamed.get(GuestVolumes.unusedVolume(e.getValue()));
                    if (nv != null) sec.set(key, nv);
                    continue;
                }
                if (!keys.isVolumeKey(key)) continue;
                LinkedHashMap<String, String> d = keys.parse(key, e.getValue());
                String nv = renamed.get(d.get(keys.volumeProperty()));
                if (nv == null) continue;
                d.put(keys.volumeProperty(), nv);
                sec.set(key, keys.print(key, d));
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
                replaceVolids(keys, cfg, renamed);
                store.write(source, vmid, cfg);
            }
            store.cfs().mkdirs("nodes/" + target + "/" + store.dir());
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

    // ---- tasks on other nodes ---------------------------------------------------------------------------------

    /** Wait until a task on {@code node} ends; fails with its exit status unless it is OK. */
    public void awaitTask(String node, String upid, Duration max) {
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

    /** The log lines of a task on {@code node}. */
    public List<String> taskLog(String node, String upid) {
        String path = "/nodes/" + node + "/tasks/" + java.net.URLEncoder.encode(upid, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20") + "/log";
        List<String> out = new ArrayList<>();
        for (JsonNode l : api.call(node, "GET", path, Map.of("start", 0, "limit", 1000))) out.add(l.path("t").asString(""));
        return out;
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(500, "interrupted");
        }
    }
}
