package org.haven.ha.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.ha.Crm;
import org.haven.ha.Group;
import org.haven.ha.HaConfig;
import org.haven.ha.HaEnv;
import org.haven.ha.HaException;
import org.haven.ha.Lrm;
import org.haven.ha.LrmStatus;
import org.haven.ha.ManagerStatus;
import org.haven.ha.ServiceConfig;
import org.haven.ha.Sid;

/**
 * Simulated cluster hardware for the HA stack: nodes with power and network switches, a shared status
 * store standing in for the cluster file system, cluster locks with timeouts, watchdogs, and simulated
 * resources. Runs CRM and LRM of every powered node in rounds, in integer seconds.
 *
 * <p>Resources of type {@code fa} fail on purpose; the digits of {@code fa:abcde} encode: b = failing start
 * tries, c = failing migrate tries, d != 0 = stop fails.
 */
public final class SimHardware {
    public static final long WATCHDOG_TIMEOUT = 60;
    public static final long LOCK_TIMEOUT = 120;
    /** The HA timing of the simulated cluster (PVE's by default, as the regression cases expect). */
    org.haven.cfs.LockTable.HaTiming timing = org.haven.cfs.LockTable.HaTiming.PVE;

    /** Simulates a cluster with another HA timing: lock lifetime, watchdog timeout, rounds and fence delay. */
    public void setTiming(org.haven.cfs.LockTable.HaTiming t) { timing = t.validate(); }

    /** One simulated node. */
    public static final class SimNode {
        final String name;
        String power = "off";
        String network = "off";
        double cpus;
        long memory;
        String shutdown;
        boolean cfsRw = true;
        boolean cfsUpdate = true;
        Crm crm;
        Lrm lrm;
        final SimEnv crmEnv;
        final SimEnv lrmEnv;
        boolean lrmRestart;
        boolean crmStop;
        final TreeSet<String> running = new TreeSet<>();

        SimNode(SimHardware hw, String name) {
            this.name = name;
            this.crmEnv = new SimEnv(hw, name, "crm");
            this.lrmEnv = new SimEnv(hw, name, "lrm");
        }

        public boolean powered() { return power.equals("on"); }
        public boolean online() { return power.equals("on") && network.equals("on"); }
        public Crm crm() { return crm; }
        public Lrm lrm() { return lrm; }
        public long crmEnvTime() { return crmEnv.curTime; }
        public String shutdownTarget() { return shutdown; }
        public java.util.Set<String> runningServices() { return java.util.Collections.unmodifiableSet(running); }
    }

    /** A cluster lock; {@code handedOver} marks a lock its node released to its own successor. */
    private record LockEntry(String node, long time, boolean handedOver) {
        LockEntry(String node, long time) { this(node, time, false); }
    }

    private record Watchdog(String node, long updateTime) {}

    private final TreeMap<String, SimNode> nodes = new TreeMap<>();
    ManagerStatus managerStatus = new ManagerStatus();
    final Map<String, LrmStatus> lrmStatus = new HashMap<>();
    private final TreeMap<String, Map<String, String>> serviceConf = new TreeMap<>();
    private String groupsText = "";
    private Map<String, Group> groupsCache;
    final StringBuilder crmCommands = new StringBuilder();
    HaEnv.Datacenter datacenter = HaEnv.Datacenter.DEFAULT;
    private final Map<String, LockEntry> locks = new HashMap<>();
    private final LinkedHashMap<String, Watchdog> watchdogs = new LinkedHashMap<>();
    private int watchdogCounter;
    private final Map<String, String> serviceLocks = new HashMap<>();
    private final Map<String, HaEnv.Stats> staticServiceStats = new HashMap<>();
    private final Map<String, Integer> faStartTries = new HashMap<>();
    private final Map<String, Integer> faMigrateTries = new HashMap<>();
    private long curTime;
    private long loopCount;
    private int skipCrmRounds;
    private int skipLrmRounds;
    private final Deque<List<String>> cmdlist = new ArrayDeque<>();
    private final StringBuilder log = new StringBuilder();
    private Consumer<String> logListener;
    private Runnable afterIteration;
    int maxWorkers;
    private final Map<String, WorkerQueue> workerQueues = new HashMap<>();

    /**
     * Background workers of a simulated LRM: tasks are queued when started and run while the LRM sleeps,
     * so several commands are in flight at once. Records the highest number in flight.
     */
    public static final class WorkerQueue implements java.util.concurrent.Executor {
        private final java.util.ArrayDeque<Runnable> pending = new java.util.ArrayDeque<>();
        private int maxInFlight;

        @Override public void execute(Runnable r) {
            pending.add(r);
            maxInFlight = Math.max(maxInFlight, pending.size());
        }

        void runPending() {
            while (!pending.isEmpty()) pending.poll().run();
        }

        public int maxInFlight() { return maxInFlight; }
    }

    private boolean hardwareFencing;

    /** Simulated fence devices: fencing a node powers it off at once (off by default, as in PVE's tests). */
    public void setHardwareFencing(boolean on) { hardwareFencing = on; }

    /** Service → node → what recovery there means (see {@link HaEnv#recoveryCheck}); nodes not listed can run it. */
    private final Map<String, Map<String, HaEnv.RecoveryCheck>> recoveryChecks = new java.util.concurrent.ConcurrentHashMap<>();

    /** Where {@code sid} can be recovered: {@code reason} null means it can run on {@code node} without a note. */
    public void setRecoveryCheck(String sid, String node, boolean possible, String reason) {
        recoveryChecks.computeIfAbsent(sid, k -> new java.util.concurrent.ConcurrentHashMap<>()).put(node, new HaEnv.RecoveryCheck(possible, reason));
    }

    HaEnv.RecoveryCheck recoveryCheck(String sid, String node) {
        return recoveryChecks.getOrDefault(sid, Map.of()).getOrDefault(node, HaEnv.RecoveryCheck.OK);
    }

    boolean hasFenceDevice() { return hardwareFencing; }

    Boolean hardwareFence(SimEnv env, String node) {
        if (!hardwareFencing) return null;
        SimNode d = node(node);
        if (d.powered()) command("power " + node + " off", "fence");
        return true;
    }

    /** Number of parallel LRM workers (0, the default, runs resource commands inline). */
    public void setMaxWorkers(int n) { maxWorkers = n; }

    public WorkerQueue workerQueue(String node) { return workerQueues.computeIfAbsent(node, k -> new WorkerQueue()); }

    public SimHardware(List<String> nodeNames) {
        for (String n : nodeNames) nodes.put(n, new SimNode(this, n));
        groupsText = defaultGroups(nodeNames);
    }

    static String defaultGroups(List<String> nodeNames) {
        StringBuilder sb = new StringBuilder();
        for (String n : new TreeSet<>(nodeNames)) {
            if (sb.length() > 0) sb.append('\n');
            sb.append("group: prefer_").append(n).append("\n\tnodes ").append(n).append('\n');
        }
        return sb.toString();
    }

    // --- setup -----------------------------------------------------------------------------------------

    public SimNode node(String name) {
        SimNode n = nodes.get(name);
        if (n == null) throw new IllegalArgumentException("sim_hardware_cmd: no such node '" + name + "'");
        return n;
    }

    public Map<String, SimNode> nodes() { return nodes; }

    public void setNodeHardware(String name, String power, String network, double cpus, long memory) {
        SimNode n = node(name);
        n.power = power;
        n.network = network;
        n.cpus = cpus;
        n.memory = memory;
    }

    public void setManagerStatus(ManagerStatus ms) { managerStatus = ms.copy(); }

    /** Presets a node's {@code lrm_status} (as left by an earlier LRM). */
    public void setLrmStatus(String node, LrmStatus st) { lrmStatus.put(node, st.copy()); }

    /** Marks a resource as running on a node (hardware state, e.g. left over from before the simulation). */
    public void setRunning(String node, String sid) { node(node).running.add(sid); }

    public ManagerStatus managerStatus() { return managerStatus.copy(); }

    /** Adds or replaces a resource; props as in the case format (node, state, group, max_restart, ...). */
    public void putService(String sid, Map<String, String> props) {
        serviceConf.put(Sid.parse(sid).toString(), new LinkedHashMap<>(props));
        serviceConfigCache = null;
    }

    public void setGroups(String text) {
        groupsText = text;
        groupsCache = null;
    }

    public void setDatacenter(HaEnv.Datacenter dc) { datacenter = dc; }

    public void setStaticServiceStats(String sid, double maxcpu, long maxmem) {
        staticServiceStats.put(sid, new HaEnv.Stats(maxcpu, maxmem));
    }

    public void addCommandBatch(List<String> batch) { cmdlist.add(new ArrayList<>(batch)); }

    public void setLogListener(Consumer<String> l) { logListener = l; }

    /** Called after every single CRM or LRM iteration (for invariant checks). */
    public void setAfterIteration(Runnable r) { afterIteration = r; }

    public String log() { return log.toString(); }

    public long time() { return curTime; }

    // --- logging ---------------------------------------------------------------------------------------

    void logLine(String level, long time, String who, String message) {
        String lvl = level.length() > 4 ? level.substring(0, 4) : level;
        String msg = message;
        while (msg.endsWith("\n")) msg = msg.substring(0, msg.length() - 1);
        String t = Long.toString(time);
        StringBuilder sb = new StringBuilder(32 + msg.length());
        sb.append(lvl);
        for (int i = lvl.length(); i < 5; i++) sb.append(' ');
        sb.append(' ');
        for (int i = t.length(); i < 5; i++) sb.append(' ');
        sb.append(t).append(' ');
        for (int i = who.length(); i < 12; i++) sb.append(' ');
        sb.append(who).append(": ").append(msg);
        String line = sb.toString();
        log.append(line).append('\n');
        if (logListener != null) logListener.accept(line);
    }

    private void hwLog(String level, String message, String id) {
        logLine(level, curTime, id, message);
    }

    // --- state used by the environments ----------------------------------------------------------------

    boolean cfsState(String node, String what) {
        SimNode n = node(node);
        return what.equals("rw") ? n.cfsRw : n.cfsUpdate;
    }

    HaEnv.NodeInfo nodeInfo() {
        TreeMap<String, Boolean> online = new TreeMap<>();
        int count = 0;
        for (SimNode n : nodes.values()) {
            boolean on = n.online();
            online.put(n.name, on);
            if (on) count++;
        }
        return new HaEnv.NodeInfo(online, count > nodes.size() / 2);
    }

    boolean lock(SimEnv env, String name, boolean unlock) {
        if (!env.quorate()) return false;
        String node = env.nodename();
        long now = env.getTime();
        LockEntry d = locks.get(name);
        if (unlock) {
            if (d == null) return false;
            long tdiff = now - d.time;
            if (tdiff > timing.lockLifetime()) return true;
            if (d.node.equals(node)) {
                locks.remove(name);
                return true;
            }
            return false;
        }
        if (d != null) {
            long tdiff = now - d.time;
            if (tdiff <= timing.lockLifetime()) {
                if (d.node.equals(node)) {
                    if (d.handedOver) env.log("info", "got lock '" + name + "'");
                    locks.put(name, new LockEntry(node, now));
                    return true;
                }
                return false;
            }
        }
        env.log("info", "got lock '" + name + "'");
        locks.put(name, new LockEntry(node, now));
        return true;
    }

    void handOverLock(SimEnv env, String name) {
        LockEntry d = locks.get(name);
        long now = env.getTime();
        if (d != null && d.node.equals(env.nodename()) && now - d.time <= timing.lockLifetime()) {
            locks.put(name, new LockEntry(d.node, d.time, true));
        } else if (d == null && env.quorate()) {
            locks.put(name, new LockEntry(env.nodename(), now, true));
        }
    }

    boolean renewHandedOverLock(SimEnv env, String name) {
        if (!env.quorate()) return false;
        LockEntry d = locks.get(name);
        long now = env.getTime();
        if (d == null || now - d.time > timing.lockLifetime()) {
            locks.put(name, new LockEntry(env.nodename(), now, true));
            return true;
        }
        if (!d.node.equals(env.nodename())) return false;
        locks.put(name, new LockEntry(d.node, now, d.handedOver));
        return true;
    }

    /** Current holder of a cluster lock, or null when free or expired. */
    public String lockHolder(String name, long now) {
        LockEntry d = locks.get(name);
        if (d == null || now - d.time > timing.lockLifetime()) return null;
        return d.node;
    }

    String watchdogOpen(String node) {
        String id = "wd" + (++watchdogCounter);
        watchdogs.put(id, new Watchdog(node, curTime));
        return id;
    }

    void watchdogUpdate(String handle) {
        Watchdog wd = watchdogs.get(handle);
        if (wd == null) throw new HaException("no such watchdog handle '" + handle + "'");
        // an expired watchdog has already reset its node; it is powered off at the next check
        if (curTime - wd.updateTime > timing.watchdogTimeout()) return;
        watchdogs.put(handle, new Watchdog(wd.node, curTime));
    }

    void watchdogClose(String handle) { watchdogs.remove(handle); }

    private boolean watchdogCheck(String node) {
        boolean expired = false;
        for (var it = watchdogs.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Watchdog wd = e.getValue();
            if (!wd.node.equals(node)) continue;
            if (curTime - wd.updateTime > timing.watchdogTimeout()) {
                expired = true;
                it.remove();
            }
        }
        return !expired;
    }

    public boolean hasWatchdog(String node) {
        return watchdogs.values().stream().anyMatch(w -> w.node.equals(node));
    }

    private Map<String, ServiceConfig> serviceConfigCache;

    Map<String, ServiceConfig> serviceConfig() {
        if (serviceConfigCache != null) return serviceConfigCache;
        TreeMap<String, ServiceConfig> out = new TreeMap<>();
        serviceConf.forEach((sid, p) -> {
            String node = p.get("node");
            if (node == null) throw new HaException("service '" + sid + "' without assigned node!");
            Map<String, String> props = new HashMap<>(p);
            String st = props.get("state");
            props.put("state", st == null || st.isEmpty() ? "disabled" : st);
            out.put(sid, HaConfig.serviceConfig(sid, node, props));
        });
        serviceConfigCache = java.util.Collections.unmodifiableMap(out);
        return serviceConfigCache;
    }

    public Map<String, ServiceConfig> serviceConfigView() { return serviceConfig(); }

    void updateServiceConfig(String sid, Map<String, String> changes) {
        Map<String, String> p = serviceConf.get(sid);
        if (p == null) throw new HaException("no such service '" + sid + "'");
        p.putAll(changes);
        serviceConfigCache = null;
    }

    Map<String, Group> groups() {
        if (groupsCache == null) groupsCache = HaConfig.parseGroups(groupsText);
        return groupsCache;
    }

    void changeServiceLocation(String sid, String current, String target) {
        Map<String, String> p = serviceConf.get(sid);
        if (p == null) throw new HaException("no such service '" + sid + "'");
        if (!current.equals(p.get("node"))) {
            throw new HaException("current_node for '" + sid + "' does not match (" + current + " != " + p.get("node") + ")");
        }
        p.put("node", target);
        serviceConfigCache = null;
    }

    Map<String, HaEnv.Stats> staticNodeStats() {
        Map<String, HaEnv.Stats> out = new TreeMap<>();
        nodes.forEach((k, n) -> out.put(k, new HaEnv.Stats(n.cpus, n.memory)));
        return out;
    }

    private static final Pattern AUTO_STATS = Pattern.compile("^(\\d)(\\d\\d)");

    HaEnv.Stats staticServiceStats(String sid) {
        HaEnv.Stats s = staticServiceStats.get(sid);
        if (s != null) return s;
        Matcher m = AUTO_STATS.matcher(Sid.parse(sid).name());
        if (m.find()) {
            // derived from the id for convenience: first digit -> cpus, next two -> memory
            return new HaEnv.Stats(Integer.parseInt(m.group(1)) + 1, (long) (Integer.parseInt(m.group(2)) + 1) << 29);
        }
        return new HaEnv.Stats(0, 0);
    }

    boolean isRunning(String node, String sid) { return node(node).running.contains(sid); }

    /** Nodes on which the simulated resource is running. */
    public List<String> runningOn(String sid) {
        List<String> out = new ArrayList<>();
        nodes.forEach((k, n) -> { if (n.running.contains(sid)) out.add(k); });
        return out;
    }

    private static int[] decodeFa(String name) {
        int[] r = {0, 0, 0, 1};
        Matcher m = Pattern.compile("^\\d(\\d)(\\d)(\\d)?(\\d)?").matcher(name);
        if (m.find()) {
            r[0] = Integer.parseInt(m.group(1));
            r[1] = Integer.parseInt(m.group(2));
            if (m.group(3) != null) r[2] = Integer.parseInt(m.group(3));
            if (m.group(4) != null) r[3] = Integer.parseInt(m.group(4));
        }
        return r;
    }

    void resourceStart(SimEnv env, String sid) {
        Sid s = Sid.parse(sid);
        if (s.type().equals("fa")) {
            int fails = decodeFa(s.name())[0];
            int tries = faStartTries.merge(s.name(), 1, Integer::sum);
            if (fails >= tries) return;
            faStartTries.put(s.name(), 0);
        }
        String lock = serviceLocks.get(sid);
        if (lock != null) {
            env.log("err", "service '" + sid + "' locked (" + lock + "), unable to start!");
            return;
        }
        env.sleep(2);
        node(env.nodename()).running.add(sid);
    }

    void resourceShutdown(SimEnv env, String sid) {
        Sid s = Sid.parse(sid);
        if (s.type().equals("fa") && decodeFa(s.name())[2] != 0) return;
        String lock = serviceLocks.get(sid);
        if (lock != null) {
            env.log("err", "service '" + sid + "' locked (" + lock + "), unable to shutdown!");
            return;
        }
        env.sleep(2);
        node(env.nodename()).running.remove(sid);
    }

    boolean resourceMigrate(SimEnv env, String sid, String target, boolean online) {
        Sid s = Sid.parse(sid);
        if (s.type().equals("fa")) {
            int fails = decodeFa(s.name())[1];
            int tries = faMigrateTries.merge(s.name(), 1, Integer::sum);
            if (fails >= tries) return false;
            faMigrateTries.put(s.name(), 0);
        }
        String node = env.nodename();
        String cmd = online ? "migrate" : "relocate";
        env.log("info", "service " + sid + " - start " + cmd + " to node '" + target + "'");
        if (!online && isRunning(node, sid)) {
            env.log("info", "stopping service " + sid + " (relocate)");
            resourceShutdown(env, sid);
            env.log("info", "service status " + sid + " stopped");
        } else {
            env.sleep(2);
        }
        changeServiceLocation(sid, node, target);
        env.log("info", "service " + sid + " - end " + cmd + " to node '" + target + "'");
        node(node).running.remove(sid);
        return true;
    }

    String unlockService(String sid, String lock) {
        String cur = serviceLocks.get(sid);
        if (cur == null) return null;
        if (lock != null && !lock.equals(cur)) return null;
        serviceLocks.remove(sid);
        return cur;
    }

    // --- commands --------------------------------------------------------------------------------------

    /** Executes one hardware or admin command; {@code logId} names the source in the log. */
    public void command(String cmdstr, String logId) {
        String[] w = cmdstr.trim().split("\\s+");
        String cmd = w[0];
        String objid = w.length > 1 ? w[1] : null;
        String action = w.length > 2 ? w[2] : null;
        String param = w.length > 3 ? w[3] : null;
        if (objid == null) throw new IllegalArgumentException("sim_hardware_cmd: no node or service for command specified");
        SimNode d = null;
        String sid = null;
        if (cmd.equals("service")) {
            sid = Sid.parse(objid).toString();
        } else if (!cmd.equals("skip-round")) {
            d = node(objid);
        }
        hwLog("info", "execute " + cmdstr, logId);

        switch (cmd) {
            case "power" -> {
                if (!"on".equals(action) && !"off".equals(action)) throw new IllegalArgumentException("sim_hardware_cmd: unknown action '" + action + "'");
                if (!d.power.equals(action)) {
                    if (action.equals("on")) {
                        if (d.crm == null) d.crm = new Crm(d.crmEnv);
                        if (d.lrm == null) d.lrm = new Lrm(d.lrmEnv);
                        d.lrmRestart = false;
                    } else {
                        if (d.crm != null) {
                            d.crmEnv.log("info", "killed by poweroff");
                            d.crm = null;
                        }
                        if (d.lrm != null) {
                            d.lrmEnv.log("info", "killed by poweroff");
                            d.lrm.close();
                            d.lrm = null;
                        }
                        final String nn = d.name;
                        watchdogs.values().removeIf(x -> x.node.equals(nn));
                        d.running.clear();
                    }
                    d.power = action;
                    d.network = action;
                    d.shutdown = null;
                }
            }
            case "network" -> {
                if (!"on".equals(action) && !"off".equals(action)) throw new IllegalArgumentException("sim_hardware_cmd: unknown network action '" + action + "'");
                d.network = action;
            }
            case "cfs" -> {
                if (!"rw".equals(action) && !"update".equals(action)) throw new IllegalArgumentException("sim_hardware_cmd: unknown cfs action '" + action + "'");
                if (!"work".equals(param) && !"fail".equals(param)) throw new IllegalArgumentException("sim_hardware_cmd: unknown cfs command '" + param + "'");
                if (action.equals("rw")) d.cfsRw = param.equals("work"); else d.cfsUpdate = param.equals("work");
            }
            case "reboot", "shutdown" -> {
                d.shutdown = cmd;
                if (d.lrm != null) d.lrm.shutdownRequest();
            }
            case "restart-lrm" -> {
                if (d.lrm != null) {
                    d.lrmRestart = true;
                    d.lrm.shutdownRequest();
                }
            }
            case "crm" -> {
                switch (action == null ? "" : action) {
                    case "stop" -> {
                        if (d.crm != null) {
                            d.crmStop = true;
                            d.crm.shutdownRequest();
                        }
                    }
                    case "start" -> { if (d.crm == null) d.crm = new Crm(d.crmEnv); }
                    case "enable-node-maintenance", "disable-node-maintenance" ->
                        crmCommands.append(action).append(' ').append(d.name).append('\n');
                    default -> throw new IllegalArgumentException("sim_hardware_cmd: unknown action '" + action + "'");
                }
            }
            case "skip-round" -> {
                int count = action == null ? 1 : Integer.parseInt(action);
                if (objid.equals("crm")) skipCrmRounds = count;
                else if (objid.equals("lrm")) skipLrmRounds = count;
                else throw new IllegalArgumentException("sim_hardware_cmd: unknown skip-round target '" + objid + "'");
            }
            case "service" -> serviceCommand(sid, action, param, w);
            default -> throw new IllegalArgumentException("sim_hardware_cmd: unknown command '" + cmd + "'");
        }
    }

    private void serviceCommand(String sid, String action, String param, String[] w) {
        if (action == null) throw new IllegalArgumentException("sim_hardware_cmd: missing service action");
        serviceConfigCache = null;
        switch (action) {
            case "started", "disabled", "stopped", "ignored", "enabled" -> {
                Map<String, String> p = serviceConf.get(sid);
                if (p == null) throw new IllegalArgumentException("no such service '" + sid + "'");
                p.put("state", action);
            }
            case "migrate", "relocate" -> {
                if (param == null) throw new IllegalArgumentException("sim_hardware_cmd: missing target node for '" + action + "' command");
                crmCommands.append(action).append(' ').append(sid).append(' ').append(param).append('\n');
            }
            case "stop" -> {
                if (param == null) throw new IllegalArgumentException("sim_hardware_cmd: missing timeout for '" + action + "' command");
                crmCommands.append("stop ").append(sid).append(' ').append(param).append('\n');
            }
            case "add" -> {
                if (param == null) throw new IllegalArgumentException("sim_hardware_cmd: missing node for 'add' command");
                Map<String, String> p = new LinkedHashMap<>();
                p.put("node", param);
                p.put("state", w.length > 4 ? w[4] : "started");
                serviceConf.put(sid, p);
                if (w.length > 5 && !w[5].equals("0")) node(param).running.add(sid);
            }
            case "delete" -> {
                if (serviceConf.remove(sid) == null) throw new IllegalArgumentException("no such service '" + sid + "'");
            }
            case "lock" -> serviceLocks.put(sid, param == null ? "backup" : param);
            case "unlock" -> unlockService(sid, param);
            default -> throw new IllegalArgumentException("sim_hardware_cmd: unknown service action '" + action + "' - not implemented");
        }
    }

    // --- main loop -------------------------------------------------------------------------------------

    private void afterIteration() {
        if (afterIteration != null) afterIteration.run();
    }

    /** Runs one round: CRM then LRM of every node in sorted order, then advances the clock. */
    public void round() {
        long start = curTime;
        long looptime = Math.max(2 * timing.round(), 2L * nodes.size());
        boolean skipCrm = false;
        boolean skipLrm = false;
        if (skipCrmRounds > 0) {
            hwLog("info", "skipping CRM round", "run-loop");
            skipCrmRounds--;
            skipCrm = true;
        }
        if (skipLrmRounds > 0) {
            hwLog("info", "skipping LRM round", "run-loop");
            skipLrmRounds--;
            skipLrm = true;
        }
        for (SimNode d : nodes.values()) {
            if (d.crm != null && !skipCrm) {
                d.crmEnv.startAt(curTime);
                boolean exit = !d.crm.doOneIteration();
                curTime = Math.max(curTime, d.crmEnv.curTime);
                afterIteration();
                if (exit) {
                    d.crmEnv.log("info", "exit (loop end)");
                    d.crm = null;
                    String sd = d.shutdown == null ? "" : d.shutdown;
                    if (sd.equals("reboot")) {
                        command("power " + d.name + " off", "reboot");
                        command("power " + d.name + " on", "reboot");
                    } else if (sd.equals("shutdown")) {
                        command("power " + d.name + " off", "shutdown");
                    } else if (!d.crmStop) {
                        throw new IllegalStateException("unexpected CRM exit - not implemented");
                    }
                    d.crmStop = false;
                }
            }
            if (d.lrm != null && !skipLrm) {
                d.lrmEnv.startAt(curTime);
                boolean exit = !d.lrm.doOneIteration();
                curTime = Math.max(curTime, d.lrmEnv.curTime);
                afterIteration();
                if (exit) {
                    d.lrmEnv.log("info", "exit (loop end)");
                    d.lrm.close();
                    d.lrm = null;
                    String sd = d.shutdown == null ? "" : d.shutdown;
                    if (d.lrmRestart && sd.isEmpty()) {
                        d.lrmRestart = false;
                        d.lrm = new Lrm(d.lrmEnv);
                    } else if (sd.equals("reboot") || sd.equals("shutdown")) {
                        // a restart requested while the node goes down ends with the node
                        d.lrmRestart = false;
                        if (d.crm != null) {
                            command("crm " + d.name + " stop", sd);
                        } else {
                            // no CRM left to wait for: the node goes down right away
                            command("power " + d.name + " off", sd);
                        }
                    } else {
                        throw new IllegalStateException("unexpected LRM exit - not implemented");
                    }
                }
            }
            for (SimNode n : nodes.values()) {
                if (!watchdogCheck(n.name)) {
                    command("power " + n.name + " off", "watchdog");
                    hwLog("info", "server '" + n.name + "' stopped by poweroff (watchdog)", "hardware");
                    n.crm = null;
                    n.lrm = null;
                }
            }
        }
        if (curTime - start < looptime) curTime = start + looptime;
        for (SimNode d : nodes.values()) {
            d.lrmEnv.startAt(curTime);
            d.crmEnv.startAt(curTime);
        }
    }

    /**
     * Runs the command list: the first batch after the first round (t=20), each further batch five rounds
     * later ({@code delay N} postpones), until 500 s after the last command.
     */
    public void run(long maxTime) {
        logLine("info", curTime, "hardware", "starting simulation");
        long lastCommandTime = 0;
        long nextCmdAt = 0;
        for (;;) {
            round();
            if (curTime > maxTime) throw new IllegalStateException("simulation end");
            if (curTime < nextCmdAt) continue;
            if (loopCount % 5 == 0) {
                List<String> list = cmdlist.poll();
                if (list == null) {
                    if (curTime - lastCommandTime > 500) break;
                } else {
                    for (String c : list) {
                        lastCommandTime = curTime;
                        Matcher m = Pattern.compile("^delay\\s+(\\d+)\\s*$").matcher(c);
                        if (m.matches()) {
                            hwLog("info", "execute " + c, "cmdlist");
                            nextCmdAt = curTime + Long.parseLong(m.group(1));
                        } else {
                            command(c, "cmdlist");
                        }
                    }
                }
            }
            loopCount++;
        }
        logLine("info", curTime, "hardware", "exit simulation - done");
    }
}
