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
import org.haven.qemu.config.QemuOptions;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.qmp.QmpException;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;
import tools.jackson.databind.JsonNode;

/**
 * Live migration of a running VM, the QEMU part of {@link GuestMigrate} ({@code PVE::QemuMigrate}'s phase 2):
 * the target starts QEMU waiting for the state ({@code POST /nodes/<target>/qemu/<vmid>/status/start} with
 * {@code migratedfrom}, {@code migration_type}, {@code machine}, {@code stateuri}); the source sets PVE's
 * migration capabilities and parameters, runs QMP {@code migrate} (over TLS with the cluster's certificates
 * when secure) and follows {@code query-migrate}. A failure cancels the migration, keeps the source running and
 * stops the target's QEMU.
 */
public final class QemuLiveMigration implements LiveMigration {

    private static final Pattern LISTENS = Pattern.compile("migration listens on (\\S+)");

    private final VmManager vms;

    public QemuLiveMigration(VmManager vms) { this.vms = vms; }

    /** Two VMs on one host would use the same tap devices. */
    @Override public Optional<String> refusal(GuestConfig cfg, String target, String targetAddress) {
        boolean nics = cfg.current().values().keySet().stream().anyMatch(QemuOptions::isNet);
        if (nics && targetAddress != null && isLocalAddress(targetAddress))
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

    /** Phase 2: the target QEMU waits for the state, the source sends it. */
    @Override public void phase2(GuestMigrate m, int vmid, GuestMigrate.Options o, String source, String target, Consumer<String> log) {
        ClusterApi api = m.api();
        GuestConfigStore store = m.store();
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
        m.awaitTask(target, upid, Duration.ofMinutes(5));
        String uri = null;
        for (String line : m.taskLog(target, upid)) {
            Matcher l = LISTENS.matcher(line);
            if (l.find()) uri = l.group(1);
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

    /** After a failed phase 2: cancel on the source, stop the target's QEMU, keep the source running. */
    @Override public void phase2Cleanup(GuestMigrate m, int vmid, String source, String target, Consumer<String> log, boolean wasPaused) {
        ClusterApi api = m.api();
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
