package org.haven.guest.migrate;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.haven.core.cfs.ClusterFs;
import org.haven.guest.config.GuestException;
import tools.jackson.databind.JsonNode;

/**
 * Migrate all guests of a node ({@code POST /nodes/<node>/migrateall}, PVE's {@code migrateall} task): the guests
 * with a config on the node (VMs and containers, optionally only some IDs) are migrated to the target through
 * their types' migrate API, at most {@code maxworkers} at a time. A VM is checked first (the precondition check
 * of its migrate API): one that runs with local disks without {@code with-local-disks}, or uses local devices, is
 * skipped with the reasons; running VMs migrate live, running containers with a restart. The task fails when no
 * migration could be started.
 */
public final class MigrateAll {
    private MigrateAll() {}

    /** A guest: its ID and API type word ({@code qemu}, {@code lxc}). */
    public record Guest(int vmid, String type) {}

    /** The configuration directories of guest types and their API words. */
    static final Map<String, String> TYPES = Map.of("qemu-server", "qemu", "lxc", "lxc");

    /** The guests with a config on {@code node}, by ID; only those in {@code only} unless it is empty. */
    public static List<Guest> guests(ClusterFs cfs, String node, Set<Integer> only) {
        TreeMap<Integer, Guest> out = new TreeMap<>();
        for (Map.Entry<String, String> t : TYPES.entrySet()) {
            for (ClusterFs.Entry e : cfs.list("nodes/" + node + "/" + t.getKey())) {
                String n = e.name();
                if (e.directory() || !n.matches("\\d+\\.conf")) continue;
                int vmid = Integer.parseInt(n.substring(0, n.length() - 5));
                if (only.isEmpty() || only.contains(vmid)) out.put(vmid, new Guest(vmid, t.getValue()));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The number of parallel migrations: the parameter, else {@code max_workers} of datacenter.cfg; one of both must be set. */
    public static int maxWorkers(Long requested, String datacenterCfg) {
        if (requested != null && requested > 0) return Math.toIntExact(requested);
        if (datacenterCfg != null) {
            for (String line : datacenterCfg.split("\n")) {
                if (!line.startsWith("max_workers:")) continue;
                try {
                    int n = Integer.parseInt(line.substring("max_workers:".length()).strip());
                    if (n > 0) return n;
                } catch (NumberFormatException ignored) {
                    // not a number: as unset
                }
            }
        }
        throw new GuestException(500, "either 'maxworkers' parameter or max_workers in datacenter.cfg must be set!");
    }

    /**
     * Why a VM is skipped, from its precondition check ({@code GET .../migrate?target=}); null when it can go:
     * PVE's {@code Has local disks: …} (running, without {@code with-local-disks}) and {@code Has local resources: …}.
     */
    public static String invalidConditions(JsonNode precondition, boolean withLocalDisks) {
        StringBuilder sb = new StringBuilder();
        boolean running = precondition.path("running").asInt(0) == 1 || precondition.path("running").asBoolean(false);
        List<String> disks = new ArrayList<>();
        for (JsonNode d : precondition.path("local_disks")) disks.add(d.path("volid").asString());
        if (running && !withLocalDisks && !disks.isEmpty()) sb.append("\n  Has local disks: ").append(String.join(", ", disks));
        List<String> res = new ArrayList<>();
        for (JsonNode r : precondition.path("local_resources")) res.add(r.asString());
        if (!res.isEmpty()) sb.append("\n  Has local resources: ").append(String.join(", ", res));
        return sb.isEmpty() ? null : sb.toString();
    }

    /** The migrateall task: start the migrations, keep at most {@code maxWorkers} running, wait for all. */
    public static void run(ClusterApi api, String node, String target, List<Guest> guests, int maxWorkers, Boolean withLocalDisks,
                           Consumer<String> log) {
        if (guests.isEmpty()) {
            log.accept("no virtual guests matched, nothing to do..");
            return;
        }
        List<String> workers = new ArrayList<>();
        int started = 0;
        for (Guest g : guests) {
            String upid;
            try {
                upid = start(api, node, target, g, withLocalDisks, log);
            } catch (RuntimeException e) {
                log.accept(GuestMigrate.message(e));
                continue;
            }
            started++;
            workers.add(upid);
            while (workers.size() >= maxWorkers) reap(api, node, workers);
        }
        while (!workers.isEmpty()) reap(api, node, workers);
        if (started == 0) throw new GuestException(500, "no migrations worker started...");
        log.accept("All jobs finished, used " + started + " workers in total.");
    }

    private static String start(ClusterApi api, String node, String target, Guest g, Boolean withLocalDisks, Consumer<String> log) {
        String base = "/nodes/" + node + "/" + g.type() + "/" + g.vmid();
        LinkedHashMap<String, Object> params = new LinkedHashMap<>();
        params.put("target", target);
        if (g.type().equals("qemu")) {
            JsonNode pre = api.call(node, "GET", base + "/migrate", Map.of("target", target));
            String invalid = invalidConditions(pre, Boolean.TRUE.equals(withLocalDisks));
            if (invalid != null) throw new GuestException(500, "Check VM " + g.vmid() + ": skip VM " + g.vmid() + " - precondition check failed:" + invalid);
            log.accept("Check VM " + g.vmid() + ": precondition check passed");
            log.accept("Migrating VM " + g.vmid());
            // a stopped VM migrates offline
            params.put("online", 1);
            if (withLocalDisks != null) params.put("with-local-disks", withLocalDisks ? 1 : 0);
        } else {
            boolean running = "running".equals(api.call(node, "GET", base + "/status/current", Map.of()).path("status").asString(""));
            log.accept("Migrating CT " + g.vmid());
            params.put("restart", running ? 1 : 0);
        }
        return api.call(node, "POST", base + "/migrate", params).asString();
    }

    /** Wait until one of {@code workers} (UPIDs on {@code node}) has ended, and drop the ended ones. */
    private static void reap(ClusterApi api, String node, List<String> workers) {
        while (true) {
            boolean any = false;
            for (var it = workers.iterator(); it.hasNext(); ) {
                String upid = it.next();
                String path = "/nodes/" + node + "/tasks/" + URLEncoder.encode(upid, StandardCharsets.UTF_8).replace("+", "%20") + "/status";
                if ("stopped".equals(api.call(node, "GET", path, Map.of()).path("status").asString())) {
                    it.remove();
                    any = true;
                }
            }
            if (any) return;
            GuestMigrate.sleep(1000);
        }
    }
}
