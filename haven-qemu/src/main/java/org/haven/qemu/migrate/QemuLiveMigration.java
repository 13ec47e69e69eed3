package org.haven.qemu.migrate;

import static org.haven.guest.migrate.GuestMigrate.bytes;
import static org.haven.guest.migrate.GuestMigrate.datacenterMigration;
import static org.haven.guest.migrate.GuestMigrate.err;
import static org.haven.guest.migrate.GuestMigrate.info;
import static org.haven.guest.migrate.GuestMigrate.isLocalAddress;
import static org.haven.guest.migrate.GuestMigrate.message;
import static org.haven.guest.migrate.GuestMigrate.sleep;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.GuestException;
import org.haven.guest.migrate.ClusterApi;
import org.haven.guest.migrate.GuestMigrate;
import org.haven.guest.migrate.LiveMigration;
import org.haven.guest.migrate.MigrationNetwork;
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;
import tools.jackson.databind.JsonNode;

/**
 * Live migration of a running VM, the QEMU part of {@link GuestMigrate} ({@code PVE::QemuMigrate}'s phase 2):
 * the target starts QEMU waiting for the state ({@code POST /nodes/<target>/qemu/<vmid>/status/start} with
 * {@code migratedfrom}, {@code migration_type}, {@code machine}, {@code stateuri}, and {@code targetstorage} when
 * local disks move: the target allocates them and exports them writable over NBD). The source mirrors each local
 * disk into its export ({@code blockdev-mirror}) until all mirrors are ready, sets PVE's migration capabilities
 * and parameters, runs QMP {@code migrate} (over TLS with the cluster's certificates when secure, the NBD
 * channel too) and follows {@code query-migrate}; after the switch-over the ready mirrors are cancelled, which
 * copies the rest and leaves the target's disks complete. A failure cancels the migration and the mirrors,
 * keeps the source running on its own disks and stops the target's QEMU.
 */
public final class QemuLiveMigration implements LiveMigration {

    private static final Pattern LISTENS = Pattern.compile("(?<!storage )migration listens on (\\S+)");
    private static final Pattern NBD_LISTENS = Pattern.compile(
            "storage migration listens on nbd:(\\[[^\\]]+\\]|[^:]+):(\\d+):exportname=drive-(\\S+) volume:(\\S+)");

    private final VmManager vms;

    public QemuLiveMigration(VmManager vms) { this.vms = vms; }

    /** Two VMs on one host would use the same tap devices, unless the nodes name their taps per node (embedded mode). */
    @Override public Optional<String> refusal(GuestConfig cfg, String target, String targetAddress) {
        boolean nics = cfg.current().values().keySet().stream().anyMatch(QemuOptions::isNet);
        if (nics && vms.host().tapNode() == null && targetAddress != null && isLocalAddress(targetAddress))
            return Optional.of("can't live migrate VM with network devices to node '" + target
                    + "' on the same host: the tap devices would collide");
        return Optional.empty();
    }

    @Override public boolean paused(int vmid) {
        try {
            String before = vms.qmpCommand(vmid, "query-status", null, Duration.ofSeconds(10)).path("status").asString("");
            return before.equals("paused") || before.equals("prelaunch");
        } catch (RuntimeException e) {
            return false; // phase 2 reports the monitor's failure
        }
    }

    @Override public void stopSource(int vmid) { vms.stopProcess(vmid, Duration.ofSeconds(10), null); }

    /** Phase 2: the target QEMU waits for the state (and its new local disks), the source mirrors the disks and sends the state. */
    @Override public void phase2(GuestMigrate m, int vmid, GuestMigrate.Options o, String source, String target,
                                 Map<String, String> placed, Consumer<String> log) {
        ClusterApi api = m.api();
        GuestConfigStore store = m.store();
        String machine = runningMachine(vmid);
        Map<String, String> dc = datacenterMigration(store.cfs());
        String type = MigrationNetwork.type(o.migrationType(), dc);
        String network = MigrationNetwork.network(o.migrationNetwork(), dc);
        LinkedHashMap<String, Object> params = new LinkedHashMap<>();
        params.put("skiplock", 1);
        params.put("migratedfrom", source);
        params.put("migration_type", type);
        params.put("stateuri", "tcp");
        if (machine != null) params.put("machine", machine);
        if (network != null) params.put("migration_network", network);
        if (o.withLocalDisks()) params.put("targetstorage", o.targetStorage().print());
        info(log, "starting VM " + vmid + " on remote node '" + target + "'");
        String upid = api.call("POST", "/nodes/" + target + "/qemu/" + vmid + "/status/start", params).asString();
        try {
            m.awaitTask(target, upid, Duration.ofMinutes(5));
        } catch (GuestException e) {
            // the target's output tells why (PVE prints the remote command's output)
            try {
                for (String line : m.taskLog(target, upid)) info(log, "[" + target + "] " + line);
            } catch (RuntimeException ignored) {
                // the log is gone with the node
            }
            throw e;
        }
        String uri = null;
        List<Mirror> mirrors = new ArrayList<>();
        GuestConfig cfg = store.load(vmid);
        Map<String, String> conf = cfg.current().values();
        for (String line : m.taskLog(target, upid)) {
            Matcher l = LISTENS.matcher(line);
            if (l.find()) uri = l.group(1);
            Matcher n = NBD_LISTENS.matcher(line);
            if (n.find()) {
                String key = n.group(3);
                String host = n.group(1).startsWith("[") ? n.group(1).substring(1, n.group(1).length() - 1) : n.group(1);
                mirrors.add(new Mirror(key, host, Integer.parseInt(n.group(2)), n.group(4)));
                placed.put(QemuOptions.props(key, conf.get(key)).get("file"), n.group(4));
            }
        }
        if (uri == null) throw new GuestException(500, "unable to detect remote migration address");
        Path tlsDir = vms.paths().dir().resolve(vmid + ".migrate-tls-client");
        try (QmpClient q = vms.qmp(vmid)) {
            Duration t = Duration.ofSeconds(10);
            // a VM that came here by a secure migration still has the server credentials of its incoming side
            q.execute("migrate-set-parameters", Map.of("tls-creds", "", "tls-hostname", ""), t);
            try { q.execute("object-del", Map.of("id", "migration-tls"), t); } catch (QmpException ignored) { }
            boolean secure = type.equals("secure");
            if (secure) {
                VmManager.MigrationTls tls = vms.migrationTls();
                if (tls == null) throw new GuestException(500, "secure migration is not available on this node");
                tls.writeClient(tlsDir);
                q.execute("object-add", Map.of("qom-type", "tls-creds-x509", "id", "migration-tls", "dir", tlsDir.toString(),
                        "endpoint", "client", "verify-peer", true), t);
            }
            List<String> storages = new ArrayList<>();
            if (!mirrors.isEmpty()) {
                info(log, "starting storage migration");
                for (Mirror mi : mirrors) {
                    String from = storageOf(QemuOptions.props(mi.key(), conf.get(mi.key())).get("file")), to = storageOf(mi.volid());
                    storages.add(from);
                    storages.add(to);
                    Long limit = m.bandwidthLimit(o, List.of(from, to));
                    startMirror(q, mi, secure ? target : null, limit == null ? 0 : limit, log);
                }
                awaitReady(q, mirrors, log);
            }
            info(log, "starting online/live migration on " + uri);
            info(log, "set migration capabilities");
            java.util.Set<String> supported = new java.util.HashSet<>();
            for (JsonNode c : q.execute("query-migrate-capabilities", null, t)) supported.add(c.path("capability").asString());
            List<Map<String, Object>> caps = new ArrayList<>();
            for (String c : MigrationParams.CAPABILITIES) if (supported.contains(c)) caps.add(Map.of("capability", c, "state", true));
            if (!caps.isEmpty()) q.execute("migrate-set-capabilities", Map.of("capabilities", caps), t);
            MigrationParams p = MigrationParams.of(conf, m.bandwidthLimit(o, storages));
            info(log, "migration downtime limit: " + p.downtimeMs() + " ms");
            info(log, "migration cachesize: " + bytes(p.cacheSize()));
            if (p.maxBandwidth() > 0) info(log, "migration speed limit: " + bytes(p.maxBandwidth()) + "/s");
            info(log, "set migration parameters");
            q.execute("migrate-set-parameters", p.qmpArguments(), t);
            if (secure) q.execute("migrate-set-parameters", Map.of("tls-creds", "migration-tls", "tls-hostname", target), t);
            info(log, "start migrate command to " + uri);
            q.execute("migrate", Map.of("uri", uri), t);
            follow(q, log);
            // the guest is stopped: the mirrors copy what is left and end, the target's disks are complete
            if (!mirrors.isEmpty()) completeMirrors(q, mirrors, log);
        } catch (QmpException e) {
            throw new GuestException(500, "VM " + vmid + " qmp command '" + e.command() + "' failed - " + e.getMessage());
        } finally {
            deleteTree(tlsDir);
        }
    }

    private static String storageOf(String volid) {
        int c = volid.indexOf(':');
        return c < 0 ? null : volid.substring(0, c);
    }

    /** A local disk mirrored to the target's NBD export of its new volume. */
    record Mirror(String key, String host, int port, String volid) {
        String drive() { return "drive-" + key; }
        String job() { return "mirror-" + key; }
        String node() { return "migrate-" + key; }
    }

    /** Attach the target's export as a block node and mirror the drive into it (PVE's {@code qemu_drive_mirror} to NBD). */
    private static void startMirror(QmpClient q, Mirror mi, String tlsHostname, long limitKiB, Consumer<String> log) {
        Duration t = Duration.ofSeconds(30);
        info(log, mi.key() + ": start migration to nbd:" + mi.host() + ":" + mi.port() + ":exportname=" + mi.drive());
        LinkedHashMap<String, Object> nbd = new LinkedHashMap<>();
        nbd.put("driver", "nbd");
        nbd.put("node-name", mi.node());
        nbd.put("server", Map.of("type", "inet", "host", mi.host(), "port", Integer.toString(mi.port())));
        nbd.put("export", mi.drive());
        if (tlsHostname != null) {
            nbd.put("tls-creds", "migration-tls");
            nbd.put("tls-hostname", tlsHostname);
        }
        q.execute("blockdev-add", nbd, t);
        LinkedHashMap<String, Object> job = new LinkedHashMap<>();
        job.put("job-id", mi.job());
        job.put("device", mi.drive());
        job.put("target", mi.node());
        job.put("sync", "full");
        job.put("auto-dismiss", false);
        if (limitKiB > 0) job.put("speed", limitKiB * 1024);
        q.execute("blockdev-mirror", job, t);
        info(log, "drive mirror is starting for " + mi.drive() + (limitKiB > 0 ? " with bandwidth limit: " + limitKiB + " KB/s" : ""));
    }

    /** Poll the mirror jobs until all are ready, logging progress as PVE's {@code qemu_drive_mirror_monitor}. */
    private static void awaitReady(QmpClient q, List<Mirror> mirrors, Consumer<String> log) {
        long start = System.nanoTime();
        while (true) {
            Map<String, JsonNode> jobs = jobs(q);
            boolean all = true;
            long secs = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            for (Mirror mi : mirrors) {
                JsonNode j = jobs.get(mi.job());
                if (j == null) throw new GuestException(500, mi.drive() + ": mirroring has been cancelled");
                if (j.path("status").asString("").equals("concluded") || j.has("error"))
                    throw new GuestException(500, mi.drive() + ": mirroring failed - " + j.path("error").asString("job ended"));
                boolean ready = j.path("ready").asBoolean(false);
                all &= ready;
                info(log, mirrorProgress(mi.drive(), j.path("offset").asLong(), j.path("len").asLong(), secs, ready));
            }
            if (all) {
                info(log, "all 'mirror' jobs are ready");
                return;
            }
            sleep(1000);
        }
    }

    /** PVE's progress line of a mirror ({@code drive-scsi0: transferred 1.2 GiB of 4.0 GiB (30.00%) in 5s}). Pure. */
    static String mirrorProgress(String drive, long offset, long len, long secs, boolean ready) {
        double pct = len > 0 ? offset * 100.0 / len : 100.0;
        return drive + ": transferred " + bytes(offset) + " of " + bytes(len) + " (" + String.format(java.util.Locale.ROOT, "%.2f", pct)
                + "%) in " + duration(secs) + (ready ? ", ready" : "");
    }

    /** PVE's short duration: {@code 5s}, {@code 1m 5s}, {@code 1h 2m 3s}. */
    static String duration(long secs) {
        long h = secs / 3600, mi = (secs / 60) % 60, s = secs % 60;
        if (h > 0) return h + "h " + mi + "m " + s + "s";
        if (mi > 0) return mi + "m " + s + "s";
        return s + "s";
    }

    private static Map<String, JsonNode> jobs(QmpClient q) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode j : q.execute("query-block-jobs", null, Duration.ofSeconds(10))) out.put(j.path("device").asString(), j);
        return out;
    }

    /** After the switch-over: cancel the ready mirrors (which copies what is left, keeping the source drive), then drop the NBD nodes. */
    private static void completeMirrors(QmpClient q, List<Mirror> mirrors, Consumer<String> log) {
        for (Mirror mi : mirrors) {
            info(log, mi.drive() + ": Cancelling block job");
            q.execute("block-job-cancel", Map.of("device", mi.job()), Duration.ofSeconds(10));
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        for (Mirror mi : mirrors) {
            while (true) {
                JsonNode j = jobs(q).get(mi.job());
                if (j == null || j.path("status").asString("").equals("concluded")) {
                    if (j != null) q.execute("job-dismiss", Map.of("id", mi.job()), Duration.ofSeconds(10));
                    if (j != null && j.has("error")) throw new GuestException(500, mi.drive() + ": mirroring failed - " + j.path("error").asString());
                    break;
                }
                if (System.nanoTime() > deadline) throw new GuestException(500, mi.drive() + ": timeout completing the mirror");
                sleep(100);
            }
            q.execute("blockdev-del", Map.of("node-name", mi.node()), Duration.ofSeconds(10));
            info(log, mi.drive() + ": Done.");
        }
    }

    /** Stop whatever is left of the mirrors of a failed migration; the source drives stay as they are. */
    private static void abortMirrors(QmpClient q) {
        for (Map.Entry<String, JsonNode> e : jobs(q).entrySet()) {
            if (!e.getKey().startsWith("mirror-")) continue;
            try { q.execute("block-job-cancel", Map.of("device", e.getKey(), "force", true), Duration.ofSeconds(10)); } catch (QmpException ignored) { }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            boolean left = false;
            for (Map.Entry<String, JsonNode> e : jobs(q).entrySet()) {
                if (!e.getKey().startsWith("mirror-")) continue;
                if (e.getValue().path("status").asString("").equals("concluded")) {
                    try { q.execute("job-dismiss", Map.of("id", e.getKey()), Duration.ofSeconds(10)); } catch (QmpException ignored) { }
                } else {
                    left = true;
                }
            }
            if (!left) break;
            sleep(100);
        }
        for (JsonNode n : q.execute("query-named-block-nodes", Map.of("flat", true), Duration.ofSeconds(10))) {
            String name = n.path("node-name").asString("");
            if (!name.startsWith("migrate-")) continue;
            try { q.execute("blockdev-del", Map.of("node-name", name), Duration.ofSeconds(10)); } catch (QmpException ignored) { }
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
                        info(log, "migration status: " + st + " (transferred " + transferred + ", remaining " + ram.path("remaining").asLong()
                                + "), total " + ram.path("total").asLong() + ")");
                        info(log, "migration speed: " + bytes(Math.max(0, speed)) + "/s");
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

    /** After a failed phase 2: cancel on the source, stop the target's QEMU, keep the source running. */
    @Override public void phase2Cleanup(GuestMigrate m, int vmid, String source, String target, Consumer<String> log, boolean wasPaused) {
        ClusterApi api = m.api();
        info(log, "migrate_cancel");
        if (vms.isRunning(vmid)) {
            try (QmpClient q = vms.qmp(vmid)) {
                try { q.execute("migrate_cancel", null, Duration.ofSeconds(10)); } catch (QmpException e) { err(log, "migrate_cancel failed - " + e.getMessage()); }
                try { abortMirrors(q); } catch (QmpException e) { err(log, "unable to cancel the disk mirrors - " + e.getMessage()); }
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
            m.awaitTask(target, upid, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            err(log, "stopping the VM on node '" + target + "' failed - " + message(e));
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
}
