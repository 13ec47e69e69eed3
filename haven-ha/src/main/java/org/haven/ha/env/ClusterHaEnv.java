package org.haven.ha.env;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.haven.cfs.LockTable;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.SectionConfig;
import org.haven.core.time.Clock;
import org.haven.ha.Group;
import org.haven.ha.HaConfig;
import org.haven.ha.HaEnv;
import org.haven.ha.HaException;
import org.haven.ha.HaJson;
import org.haven.ha.LrmStatus;
import org.haven.ha.ManagerStatus;
import org.haven.ha.ServiceConfig;
import org.haven.ha.Sid;
import tools.jackson.databind.JsonNode;

/**
 * The HA environment of a real node: configuration and status files in the cluster file system
 * ({@code ha/resources.cfg}, {@code ha/groups.cfg}, {@code ha/manager_status}, {@code ha/crm_commands},
 * {@code nodes/<node>/lrm_status}), cluster locks and quorum from the cluster file system, the node's
 * watchdog, and guests through a {@link ResourceDriver}. One instance per daemon (CRM or LRM).
 */
public final class ClusterHaEnv implements HaEnv {

    /** Guest operations of this node, provided by the node daemon. */
    public interface ResourceDriver {
        boolean isRunning(Sid sid);

        void start(Sid sid);

        /** Stops the guest; {@code timeout} in seconds, 0 for a hard stop, null for the default. */
        void shutdown(Sid sid, Integer timeout);

        /** Migrates (online) or relocates the guest; true when it now belongs to {@code target}. */
        boolean migrate(Sid sid, String target, boolean online);

        /** Whether the guest, owned by the fenced {@code fencedNode}, can run on {@code node} (see {@link HaEnv#recoveryCheck}). */
        default HaEnv.RecoveryCheck recoveryCheck(Sid sid, String fencedNode, String node) { return HaEnv.RecoveryCheck.OK; }
    }

    /** The node's watchdog (see {@link WatchdogMux}). */
    public interface Watchdog {
        String open();

        void update(String handle);

        void close(String handle);

        /** Opens a client as if updated at {@code at} (epoch seconds). */
        default String open(long at) { return open(); }

        /** Updates a client as of {@code at} (epoch seconds, the start of the lock refresh it confirms). */
        default void update(String handle, long at) { update(handle); }

        /** Applies the cluster's current timing (client and device timeouts). */
        default void configure(LockTable.HaTiming timing) { }
    }

    public static final String MANAGER_STATUS = "ha/manager_status";
    public static final String CRM_COMMANDS = "ha/crm_commands";

    private final ClusterFs cfs;
    private final Clock clock;
    private final ResourceDriver driver;
    private final Watchdog watchdog;
    private final BiConsumer<String, String> logSink;
    private final Supplier<Shutdown> shutdownState;
    private Supplier<Map<String, Stats>> nodeStats;

    public ClusterHaEnv(ClusterFs cfs, Clock clock, ResourceDriver driver, Watchdog watchdog,
                        BiConsumer<String, String> logSink, Supplier<Shutdown> shutdownState) {
        this.cfs = cfs;
        this.clock = clock;
        this.driver = driver;
        this.watchdog = watchdog;
        this.logSink = logSink;
        this.shutdownState = shutdownState;
        this.nodeStats = this::localNodeStats;
    }

    /** Static CPU and memory of the cluster nodes (default: only this node, from the running JVM's host). */
    public ClusterHaEnv withNodeStats(Supplier<Map<String, Stats>> stats) {
        this.nodeStats = stats;
        return this;
    }

    private Map<String, Stats> localNodeStats() {
        long mem = 0;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            mem = os.getTotalMemorySize();
        }
        return Map.of(nodename(), new Stats(Runtime.getRuntime().availableProcessors(), mem));
    }

    // --- basics ----------------------------------------------------------------------------------------

    @Override public String nodename() { return cfs.nodeName(); }

    @Override public void log(String level, String message) {
        String m = message;
        while (m.endsWith("\n")) m = m.substring(0, m.length() - 1);
        logSink.accept(level, m);
    }

    @Override public void sendmail(String subject, String text) { log("email", subject); }

    @Override public long getTime() { return clock.epochSeconds(); }

    private java.util.function.LongConsumer sleeper = seconds -> {
        try {
            Thread.sleep(Duration.ofSeconds(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    };

    /** Replaces the real sleep (tests drive time themselves). */
    public ClusterHaEnv withSleeper(java.util.function.LongConsumer s) {
        this.sleeper = s;
        return this;
    }

    @Override public void sleep(long seconds) { sleeper.accept(seconds); }

    @Override public void sleepUntil(long time) {
        long now = getTime();
        if (time > now) sleep(time - now);
    }

    @Override public void loopStartHook() { }

    @Override public void loopEndHook() { }

    @Override public boolean clusterStateUpdate() { return true; }

    @Override public boolean quorate() { return cfs.isQuorate(); }

    @Override public NodeInfo getNodeInfo() {
        TreeMap<String, Boolean> online = new TreeMap<>();
        Optional<String> members = readOpt(".members");
        if (members.isPresent()) {
            JsonNode n = HaJson.parse(members.get());
            JsonNode list = n.get("nodelist");
            if (list != null && list.isObject()) {
                for (Map.Entry<String, JsonNode> e : list.properties()) {
                    online.put(e.getKey(), e.getValue().path("online").asInt(0) == 1);
                }
            }
        }
        if (online.isEmpty()) online.put(nodename(), true);
        return new NodeInfo(online, cfs.isQuorate());
    }

    // --- locks -----------------------------------------------------------------------------------------

    /** Time (epoch seconds) before the last lock request: the watchdog update that follows counts from it. */
    private volatile long lockRequestedAt;

    @Override public boolean getHaManagerLock() {
        lockRequestedAt = clock.epochSeconds();
        return cfs.tryLock("ha_manager_lock");
    }

    @Override public boolean releaseHaManagerLock() {
        cfs.unlock("ha_manager_lock");
        return true;
    }

    @Override public boolean getHaAgentLock(String node) {
        lockRequestedAt = clock.epochSeconds();
        return cfs.tryLock("ha_agent_" + (node == null ? nodename() : node) + "_lock");
    }

    @Override public boolean releaseHaAgentLock() {
        cfs.unlock("ha_agent_" + nodename() + "_lock");
        return true;
    }

    /** The lock stays with this node: a restarted LRM renews it, other nodes wait for its timeout. */
    @Override public void handOverHaAgentLock() { }

    // --- files -----------------------------------------------------------------------------------------

    private Optional<String> readOpt(String path) {
        try {
            return cfs.readString(path);
        } catch (RuntimeException e) {
            throw new HaException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private void write(String path, String text) {
        try {
            int slash = path.lastIndexOf('/');
            if (slash > 0) cfs.mkdirs(path.substring(0, slash));
            cfs.writeString(path, text);
        } catch (RuntimeException e) {
            throw new HaException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    @Override public ManagerStatus readManagerStatus() {
        return readOpt(MANAGER_STATUS).filter(s -> !s.isBlank()).map(s -> HaJson.managerStatus(HaJson.parse(s)))
            .orElseGet(ManagerStatus::new);
    }

    @Override public void writeManagerStatus(ManagerStatus status) {
        write(MANAGER_STATUS, HaJson.write(HaJson.toJson(status)));
    }

    @Override public LrmStatus readLrmStatus(String node) {
        return readOpt("nodes/" + node + "/lrm_status").filter(s -> !s.isBlank())
            .map(s -> HaJson.lrmStatus(HaJson.parse(s))).orElseGet(() -> {
                LrmStatus st = new LrmStatus();
                st.mode = "unknown";
                return st;
            });
    }

    @Override public void writeLrmStatus(LrmStatus status) {
        write("nodes/" + nodename() + "/lrm_status", HaJson.write(HaJson.toJson(status)));
    }

    /** Node of each guest: {@code .vmlist} when the file system provides it, else the config locations. */
    private Map<String, String> guestNodes() {
        Map<String, String> out = new TreeMap<>();
        Optional<String> vmlist = readOpt(".vmlist");
        if (vmlist.isPresent() && !vmlist.get().isBlank()) {
            JsonNode ids = HaJson.parse(vmlist.get()).get("ids");
            if (ids != null && ids.isObject()) {
                for (Map.Entry<String, JsonNode> e : ids.properties()) {
                    String type = e.getValue().path("type").asString("qemu").equals("lxc") ? "ct" : "vm";
                    out.put(type + ":" + e.getKey(), e.getValue().path("node").asString(null));
                }
                return out;
            }
        }
        for (ClusterFs.Entry node : cfs.list("nodes")) {
            if (!node.directory()) continue;
            for (String[] kind : new String[][] {{"qemu-server", "vm"}, {"lxc", "ct"}}) {
                for (ClusterFs.Entry f : cfs.list("nodes/" + node.name() + "/" + kind[0])) {
                    if (f.name().endsWith(".conf")) {
                        out.put(kind[1] + ":" + f.name().substring(0, f.name().length() - 5), node.name());
                    }
                }
            }
        }
        return out;
    }

    @Override public Map<String, ServiceConfig> readServiceConfig() {
        String text = readOpt(HaConfig.RESOURCES_CFG).orElse("");
        Map<String, String> nodes = guestNodes();
        Map<String, ServiceConfig> all = HaConfig.parseResources(text, nodes::get, w -> log("warning", w));
        // resources without a guest config cannot be managed
        TreeMap<String, ServiceConfig> out = new TreeMap<>();
        all.forEach((sid, c) -> { if (c.node() != null) out.put(sid, c); });
        return out;
    }

    @Override public void updateServiceConfig(String sid, Map<String, String> changes) {
        cfs.withLock("ha_resources_cfg", null, () -> {
            SectionConfig.Document doc = SectionConfig.parse(readOpt(HaConfig.RESOURCES_CFG).orElse(""));
            changes.forEach((k, v) -> HaConfig.setResourceProperty(doc, sid, k, v));
            write(HaConfig.RESOURCES_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    @Override public Map<String, Group> readGroupConfig() {
        return HaConfig.parseGroups(readOpt(HaConfig.GROUPS_CFG).orElse(""));
    }

    @Override public String readCrmCommands() {
        return cfs.withLock("ha_crm_commands", null, () -> {
            String c = readOpt(CRM_COMMANDS).orElse("");
            if (!c.isEmpty()) write(CRM_COMMANDS, "");
            return c;
        });
    }

    @Override public String peekCrmCommands() { return readOpt(CRM_COMMANDS).orElse(""); }

    @Override public void queueCrmCommands(String command) {
        cfs.withLock("ha_crm_commands", null, () -> {
            write(CRM_COMMANDS, readOpt(CRM_COMMANDS).orElse("") + command.strip() + "\n");
            return null;
        });
    }

    /** {@code datacenter.cfg} lines {@code key: value}. */
    private Map<String, String> datacenterCfg() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : readOpt("datacenter.cfg").orElse("").split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            int c = l.indexOf(':');
            if (c > 0) out.put(l.substring(0, c).strip(), l.substring(c + 1).strip());
        }
        return out;
    }

    private static Map<String, String> props(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value == null) return out;
        for (String part : value.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) out.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        return out;
    }

    @Override public Datacenter getDatacenterSettings() {
        Map<String, String> dc = datacenterCfg();
        Map<String, String> ha = props(dc.get("ha"));
        Map<String, String> crs = props(dc.get("crs"));
        String rebalance = crs.get("ha-rebalance-on-start");
        return new Datacenter(ha.get("shutdown_policy"), crs.get("ha"), rebalance != null && !rebalance.equals("0"));
    }

    @Override public Shutdown isNodeShutdown() { return shutdownState.get(); }

    @Override public int getMaxWorkers() {
        String v = datacenterCfg().get("max_workers");
        try {
            return v == null ? 4 : Math.max(1, Integer.parseInt(v));
        } catch (NumberFormatException e) {
            return 4;
        }
    }

    @Override public String watchdogOpen() {
        watchdog.configure(timing());
        return watchdog.open(lockRequestedAt == 0 ? clock.epochSeconds() : lockRequestedAt);
    }

    @Override public void watchdogUpdate(String handle) {
        watchdog.configure(timing());
        watchdog.update(handle, lockRequestedAt == 0 ? clock.epochSeconds() : lockRequestedAt);
    }

    private volatile String lastTimingText;
    private volatile LockTable.HaTiming lastTiming = LockTable.HaTiming.PVE;

    /**
     * The cluster's HA timing from {@value LockTable#HA_TIMING_FILE}: PVE's when the file is missing, and also
     * when it is not valid and safe (logged once per content), exactly as the lock table of the cfs decides.
     */
    @Override public LockTable.HaTiming timing() {
        String text;
        try {
            text = cfs.readString(LockTable.HA_TIMING_FILE).orElse(null);
        } catch (RuntimeException e) {
            return lastTiming;
        }
        if (java.util.Objects.equals(text, lastTimingText)) return lastTiming;
        LockTable.HaTiming t = LockTable.HaTiming.PVE;
        if (text != null) {
            try {
                t = LockTable.HaTiming.parse(text).validate();
            } catch (IllegalArgumentException e) {
                log("err", "ignoring " + LockTable.HA_TIMING_FILE + " (using PVE's timing) - " + e.getMessage());
            }
        }
        if (!t.equals(lastTiming)) log("info", "HA timing: " + describe(t));
        lastTiming = t;
        lastTimingText = text;
        return t;
    }

    public static String describe(LockTable.HaTiming t) {
        return "round " + t.round() + " s, watchdog " + t.watchdogTimeout() + " s, device " + t.deviceTimeout()
            + " s, lock lifetime " + t.lockLifetime() + " s, fence delay " + t.fenceDelay() + " s";
    }

    /** The timing a node starts with (no logging). */
    public static LockTable.HaTiming readTiming(ClusterFs cfs) {
        return LockTable.HaTiming.effective(cfs.readString(LockTable.HA_TIMING_FILE).orElse(null));
    }

    @Override public void watchdogClose(String handle) { watchdog.close(handle); }

    static String configDir(String type) {
        return switch (type) {
            case "vm" -> "qemu-server";
            case "ct" -> "lxc";
            default -> throw new HaException("unknown resource type '" + type + "'");
        };
    }

    static String configPath(Sid sid, String node) {
        return "nodes/" + node + "/" + configDir(sid.type()) + "/" + sid.name() + ".conf";
    }

    @Override public void stealService(String sid, String currentNode, String newNode) {
        Sid s = Sid.parse(sid);
        String from = configPath(s, currentNode);
        String to = configPath(s, newNode);
        try {
            cfs.mkdirs("nodes/" + newNode + "/" + configDir(s.type()));
            cfs.rename(from, to);
        } catch (RuntimeException e) {
            throw new HaException("rename '" + from + "' to '" + to + "' failed - " + e.getMessage(), e);
        }
    }

    @Override public RecoveryCheck recoveryCheck(String sid, String fencedNode, String node) {
        try {
            return driver.recoveryCheck(Sid.parse(sid), fencedNode, node);
        } catch (RuntimeException e) {
            // the agent cannot tell (its module is not up yet): as PVE, any node will do
            log("warning", "unable to check where '" + sid + "' can be recovered - " + e.getMessage());
            return RecoveryCheck.OK;
        }
    }

    @Override public Map<String, Stats> getStaticNodeStats() { return nodeStats.get(); }

    public static final String FENCE_CFG = "ha/fence.cfg";

    /** The fencing configuration; empty without {@code ha/fence.cfg}, null (logged) when it does not parse. */
    private org.haven.ha.FenceConfig fenceConfig() {
        Optional<String> text = readOpt(FENCE_CFG);
        if (text.isEmpty() || text.get().isBlank()) return new org.haven.ha.FenceConfig();
        try {
            return org.haven.ha.FenceConfig.parse(text.get());
        } catch (IllegalArgumentException e) {
            log("err", "unable to parse " + FENCE_CFG + " - " + e.getMessage());
            return null;
        }
    }

    @Override public boolean hasFenceDevice(String node) {
        org.haven.ha.FenceConfig cfg = fenceConfig();
        return cfg != null && !cfg.commandsFor(node).isEmpty();
    }

    /** Runs the fence agents configured for {@code node}: the first device whose connections all succeed wins. */
    @Override public Boolean hardwareFence(String node) {
        org.haven.ha.FenceConfig cfg = fenceConfig();
        if (cfg == null) return false;
        List<List<List<String>>> ways = cfg.commandsFor(node);
        if (ways.isEmpty()) return null;
        for (List<List<String>> device : ways) {
            boolean ok = true;
            for (List<String> argv : device) {
                if (!runAgent(argv)) {
                    ok = false;
                    break;
                }
            }
            if (ok) return true;
        }
        return false;
    }

    private boolean runAgent(List<String> argv) {
        String shown = argv.get(0) + " " + String.join(" ", argv.subList(1, argv.size()).stream()
            .map(a -> a.startsWith("--password") || a.startsWith("--passwd") ? a.replaceAll("=.*", "=*****") : a).toList());
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
                } catch (java.io.IOException e) {
                    return "";
                }
            }, r -> Thread.ofVirtual().start(r));
            if (!p.waitFor(agentTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                log("err", "fence agent timed out: " + shown);
                return false;
            }
            String out;
            try {
                out = output.get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                out = "";
            }
            if (p.exitValue() != 0) {
                log("err", "fence agent failed (exit code " + p.exitValue() + "): " + shown + (out.isEmpty() ? "" : " - " + out));
                return false;
            }
            log("info", "fence agent succeeded: " + shown);
            return true;
        } catch (java.io.IOException e) {
            log("err", "unable to run fence agent " + argv.get(0) + " - " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Duration agentTimeout = Duration.ofSeconds(60);

    public ClusterHaEnv withFenceAgentTimeout(Duration d) {
        this.agentTimeout = d;
        return this;
    }

    // --- resources -------------------------------------------------------------------------------------

    @Override public boolean resourceTypeKnown(String type) { return type.equals("vm") || type.equals("ct"); }

    @Override public boolean checkRunning(String sid) { return driver.isRunning(Sid.parse(sid)); }

    @Override public void startService(String sid) { driver.start(Sid.parse(sid)); }

    @Override public void shutdownService(String sid, String timeout) {
        Integer t = null;
        if (timeout != null) {
            try {
                t = (int) Double.parseDouble(timeout);
            } catch (NumberFormatException ignored) { }
        }
        driver.shutdown(Sid.parse(sid), t);
    }

    @Override public boolean migrateService(String sid, String target, boolean online) {
        return driver.migrate(Sid.parse(sid), target, online);
    }

    /** Main section (before the first snapshot/pending section) of a guest config. */
    private static int mainSectionEnd(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("[")) return i;
        return lines.size();
    }

    @Override public String removeLocks(String sid, List<String> locks, String node) {
        Sid s = Sid.parse(sid);
        String path = configPath(s, node);
        Optional<String> conf = readOpt(path);
        if (conf.isEmpty()) return null;
        List<String> lines = new ArrayList<>(List.of(conf.get().split("\n", -1)));
        int end = mainSectionEnd(lines);
        for (int i = 0; i < end; i++) {
            String l = lines.get(i);
            if (!l.startsWith("lock:")) continue;
            String lock = l.substring(5).strip();
            if (!locks.contains(lock)) return null;
            lines.remove(i);
            write(path, String.join("\n", lines));
            return lock;
        }
        return null;
    }

    @Override public Stats staticServiceStats(String sid, String node) {
        Sid s = Sid.parse(sid);
        String conf = readOpt(configPath(s, node)).orElseThrow(() -> new HaException("no config for '" + sid + "' on '" + node + "'"));
        Map<String, String> kv = new LinkedHashMap<>();
        List<String> lines = List.of(conf.split("\n"));
        for (int i = 0; i < mainSectionEnd(lines); i++) {
            String l = lines.get(i);
            int c = l.indexOf(':');
            if (c > 0 && !l.startsWith("#")) kv.put(l.substring(0, c).strip(), l.substring(c + 1).strip());
        }
        long memMiB = parseLong(kv.get("memory"), 512);
        double cpu;
        if (s.type().equals("vm")) {
            double vcpus = parseDouble(kv.get("vcpus"), 0);
            cpu = vcpus > 0 ? vcpus : parseDouble(kv.get("sockets"), 1) * parseDouble(kv.get("cores"), 1);
        } else {
            double limit = parseDouble(kv.get("cpulimit"), 0);
            cpu = limit > 0 ? limit : parseDouble(kv.get("cores"), 0);
        }
        double limit = parseDouble(kv.get("cpulimit"), 0);
        if (s.type().equals("vm") && limit > 0) cpu = Math.min(cpu, limit);
        return new Stats(cpu, memMiB * 1024 * 1024);
    }

    private static long parseLong(String v, long dflt) {
        if (v != null && v.contains("current=")) v = v.substring(v.indexOf("current=") + 8);
        try {
            return v == null ? dflt : Long.parseLong(v.split(",")[0].replaceAll("\\D.*", ""));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static double parseDouble(String v, double dflt) {
        try {
            return v == null ? dflt : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
