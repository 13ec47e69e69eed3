package org.haven.ha;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.ha.usage.BasicUsage;
import org.haven.ha.usage.StaticUsage;
import org.haven.ha.usage.Usage;

/**
 * The cluster resource manager's decision logic, run by the CRM that holds the manager lock. Each call of
 * {@link #manage()} reads node and LRM state, advances every service's state machine and writes
 * {@code manager_status}.
 */
public final class Manager {
    public static final Set<String> SERVICE_STATES = Set.of("request_start", "request_start_balance", "started",
        "request_stop", "stopped", "migrate", "relocate", "fence", "recovery", "freeze", "error");

    private static final List<String> REMOVABLE_LOCKS = List.of("backup", "mounted", "migrate", "clone",
        "rollback", "snapshot", "snapshot-delete", "suspending", "suspended");

    private static final AtomicLong UID_COUNTER = new AtomicLong();

    private final HaEnv env;
    private final NodeStatus ns;
    private final TreeMap<String, ServiceState> ss;
    private final ManagerStatus ms;
    private String crsScheduler;
    private boolean rebalanceOnRequestStart;
    private Map<String, Group> groups = Map.of();
    private Usage onlineNodeUsage;

    public Manager(HaEnv env) {
        this.env = env;
        ManagerStatus old = env.readManagerStatus();
        this.ns = new NodeStatus(env, old.nodeStatus);
        this.ss = new TreeMap<>();
        old.serviceStatus.forEach((k, v) -> ss.put(k, v.copy()));
        this.ms = new ManagerStatus();
        ms.masterNode = env.nodename();
        // keep node requests so a node in manual maintenance stays there when the master changes
        old.nodeRequest.forEach((k, v) -> ms.nodeRequest.put(k, new TreeMap<>(v)));
        updateCrsSchedulerMode();
    }

    public NodeStatus nodeStatus() { return ns; }

    public Map<String, ServiceState> serviceStatus() { return ss; }

    public void cleanup() { }

    private static final long UID_SALT = new java.security.SecureRandom().nextLong();

    /** A new unique id for a service request; LRM results are matched to requests by it. */
    static String computeNewUuid(String state) {
        long n = UID_COUNTER.incrementAndGet();
        byte[] b = java.nio.ByteBuffer.allocate(16).putLong(UID_SALT ^ state.hashCode()).putLong(n).array();
        return Base64.getEncoder().withoutPadding().encodeToString(b);
    }

    private void updateCrsSchedulerMode() {
        HaEnv.Datacenter dc = env.getDatacenterSettings();
        rebalanceOnRequestStart = dc.rebalanceOnStart();
        String old = crsScheduler;
        String mode = dc.crsHa() == null || dc.crsHa().isEmpty() ? "basic" : dc.crsHa();
        if (old == null) {
            if (!mode.equals("basic")) env.log("info", "using scheduler mode '" + mode + "'");
        } else if (mode.equals(old)) {
            return;
        } else {
            env.log("info", "switching scheduler mode from '" + old + "' to '" + mode + "'");
        }
        crsScheduler = mode;
    }

    private void recomputeOnlineNodeUsage() {
        List<String> online = ns.listOnlineNodes();
        Usage usage = null;
        if (crsScheduler != null) {
            if (crsScheduler.equals("static")) {
                try {
                    StaticUsage s = new StaticUsage(env);
                    for (String n : online) s.addNode(n);
                    usage = s;
                } catch (RuntimeException e) {
                    env.log("warning", "fallback to 'basic' scheduler mode, init for 'static' failed - " + e.getMessage());
                }
            } else if (!crsScheduler.equals("basic")) {
                env.log("warning", "got unknown scheduler mode '" + crsScheduler + "', using 'basic'");
            }
        }
        if (usage == null) {
            usage = new BasicUsage(env);
            for (String n : online) usage.addNode(n);
        }
        for (Map.Entry<String, ServiceState> e : ss.entrySet()) {
            String sid = e.getKey();
            ServiceState sd = e.getValue();
            String state = sd.state;
            String target = sd.target;
            if (usage.containsNode(sd.node)) {
                switch (state) {
                    case "started", "request_stop", "fence", "freeze", "error", "recovery" ->
                        usage.addServiceUsageToNode(sd.node, sid, sd.node, null);
                    case "migrate", "relocate", "request_start_balance" -> {
                        if (!state.equals("request_start_balance")) {
                            usage.addServiceUsageToNode(sd.node, sid, sd.node, target);
                        }
                        usage.addServiceUsageToNode(target, sid, sd.node, target);
                    }
                    case "stopped", "request_start" -> { }
                    default -> throw new IllegalStateException("should not be reached (sid = '" + sid + "', state = '" + state + "')");
                }
            } else if (target != null && usage.containsNode(target)) {
                if (state.equals("migrate") || state.equals("relocate")) {
                    usage.addServiceUsageToNode(target, sid, sd.node, target);
                }
            }
        }
        onlineNodeUsage = usage;
    }

    /** Adds ({@code sign} 1) or removes (-1) a service's contribution, as {@link #recomputeOnlineNodeUsage} counts it. */
    private static void applyBasicUsage(BasicUsage usage, ServiceState sd, int sign) {
        String state = sd.state;
        String target = sd.target;
        List<String> nodes = new ArrayList<>(2);
        if (usage.containsNode(sd.node)) {
            switch (state) {
                case "started", "request_stop", "fence", "freeze", "error", "recovery" -> nodes.add(sd.node);
                case "migrate", "relocate", "request_start_balance" -> {
                    if (!state.equals("request_start_balance")) nodes.add(sd.node);
                    if (target != null) nodes.add(target);
                }
                default -> { }
            }
        } else if (target != null && usage.containsNode(target) && (state.equals("migrate") || state.equals("relocate"))) {
            nodes.add(target);
        }
        for (String n : nodes) {
            if (sign > 0) {
                if (usage.containsNode(n)) usage.addServiceUsageToNode(n, "", n, null);
            } else {
                usage.removeServiceUsageFromNode(n);
            }
        }
    }

    private void flushMasterStatus() {
        ms.nodeStatus.clear();
        ms.nodeStatus.putAll(ns.status());
        ms.serviceStatus.clear();
        ms.serviceStatus.putAll(ss);
        ms.timestamp = env.getTime();
        env.writeManagerStatus(ms);
    }

    private record LrmInfo(Map<String, LrmResult> results, Map<String, String> modes) {}

    private LrmInfo readLrmStatus() {
        Map<String, LrmResult> results = new HashMap<>();
        Map<String, String> modes = new HashMap<>();
        for (String node : ns.listNodes()) {
            LrmStatus st = env.readLrmStatus(node);
            modes.put(node, st.mode == null || st.mode.isEmpty() ? "active" : st.mode);
            st.results.forEach(results::putIfAbsent);
        }
        return new LrmInfo(results, modes);
    }

    private void changeServiceState(String sid, String newState, Map<String, String> params) {
        ServiceState sd = ss.get(sid);
        if (sd == null) throw new IllegalStateException("no such service '" + sid);
        String oldState = sd.state;
        if (oldState.equals(newState)) throw new IllegalStateException("no state change");
        ServiceState usageState = onlineNodeUsage instanceof BasicUsage ? sd.copy() : null;
        if (!SERVICE_STATES.contains(newState)) {
            throw new IllegalStateException("invalid CRM service state '" + newState + "'");
        }
        sd.target = null;
        sd.cmd = null;
        sd.running = false;
        sd.timeout = null;
        sd.state = newState;
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> p : new TreeMap<>(params).entrySet()) {
            if (text.length() > 0) text.append(", ");
            text.append(p.getKey()).append(" = ").append(p.getValue());
            switch (p.getKey()) {
                case "node" -> sd.node = p.getValue();
                case "target" -> sd.target = p.getValue();
                case "timeout" -> sd.timeout = p.getValue();
                default -> throw new IllegalArgumentException("unknown service state parameter " + p.getKey());
            }
        }
        if (onlineNodeUsage instanceof BasicUsage basic && usageState != null) {
            // counting usage is exact when updated incrementally
            applyBasicUsage(basic, usageState, -1);
            applyBasicUsage(basic, sd, 1);
        } else {
            recomputeOnlineNodeUsage();
        }
        sd.uid = computeNewUuid(newState);
        String suffix = text.length() > 0 ? "  (" + text + ")" : "";
        env.log("info", "service '" + sid + "': state changed from '" + oldState + "' to '" + newState + "'" + suffix);
    }

    private void changeServiceState(String sid, String newState) {
        changeServiceState(sid, newState, Map.of());
    }

    private static Map<String, String> params(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    private void fenceRecoveryCleanup(String sid, String fencedNode) {
        String removed = env.removeLocks(sid, REMOVABLE_LOCKS, fencedNode);
        if (removed != null) {
            env.log("warning", "removed leftover lock '" + removed + "' from recovered service '" + sid
                + "' to allow its start.");
        }
    }

    private void updateCrmCommands() {
        String list = env.readCrmCommands();
        if (list == null) return;
        for (String raw : list.split("\n")) {
            String cmd = raw.strip();
            if (cmd.isEmpty()) continue;
            String[] w = cmd.split("\\s+");
            if ((w[0].equals("migrate") || w[0].equals("relocate")) && w.length == 3) {
                String sid = w[1];
                String node = w[2];
                ServiceState sd = ss.get(sid);
                if (sd != null) {
                    if (!ns.nodeIsOnline(node)) {
                        env.log("err", "crm command error - node not online: " + cmd);
                    } else if (node.equals(sd.node)) {
                        env.log("info", "ignore crm command - service already on target node: " + cmd);
                    } else {
                        env.log("info", "got crm command: " + cmd);
                        sd.cmd = new ArrayList<>(List.of(w[0], node));
                    }
                } else {
                    env.log("err", "crm command error - no such service: " + cmd);
                }
            } else if (w[0].equals("stop") && w.length == 3) {
                ServiceState sd = ss.get(w[1]);
                if (sd != null) {
                    env.log("info", "got crm command: " + cmd);
                    sd.cmd = new ArrayList<>(List.of("stop", w[2]));
                } else {
                    env.log("err", "crm command error - no such service: " + cmd);
                }
            } else if (w[0].equals("enable-node-maintenance") && w.length == 2) {
                String node = w[1];
                String state = ns.getNodeState(node);
                if (state.equals("online")) {
                    ms.nodeRequest.computeIfAbsent(node, k -> new TreeMap<>()).put("maintenance", 1);
                } else if (state.equals("maintenance")) {
                    env.log("info", "ignoring crm command - node " + node + " is already in maintenance state");
                } else {
                    env.log("err", "crm command error - node not online: " + cmd);
                }
            } else if (w[0].equals("disable-node-maintenance") && w.length == 2) {
                String node = w[1];
                String state = ns.getNodeState(node);
                if (!state.equals("maintenance")) {
                    env.log("warning", "clearing maintenance of node " + node + " requested, but it's in state " + state);
                }
                TreeMap<String, Object> req = ms.nodeRequest.get(node);
                if (req != null) {
                    req.remove("maintenance");
                    if (req.isEmpty()) ms.nodeRequest.remove(node);
                }
            } else {
                env.log("err", "unable to parse crm command: " + cmd);
            }
        }
    }

    public void manage() {
        HaEnv.NodeInfo nodeInfo = env.getNodeInfo();
        LrmInfo lrm = readLrmStatus();
        ns.update(nodeInfo.online(), lrm.modes());

        if (!ns.nodeIsOperational(env.nodename())) {
            // A master whose own node is still marked for fencing acknowledges that once it gets its own
            // agent lock: the local LRM then holds no lock, so it runs no service (or its watchdog fired).
            if (ns.getNodeState(env.nodename()).equals("fence") && ns.fenceNode(env.nodename())) {
                flushMasterStatus();
                return;
            }
            env.log("info", "master seems offline");
            return;
        }

        updateCrsSchedulerMode();

        Map<String, ServiceConfig> sc = env.readServiceConfig();
        groups = env.readGroupConfig();

        for (Map.Entry<String, ServiceConfig> e : new TreeMap<>(sc).entrySet()) {
            String sid = e.getKey();
            if (ss.containsKey(sid)) continue;
            ServiceConfig cd = e.getValue();
            if (cd.state().equals("ignored")) continue;
            env.log("info", "adding new service '" + sid + "' on node '" + cd.node() + "'");
            // assume the service is running to avoid relocating it when it is added
            String state = cd.state().equals("started") ? "request_start" : "request_stop";
            ss.put(sid, new ServiceState(state, cd.node(), computeNewUuid("started")));
        }

        for (String sid : new ArrayList<>(ss.keySet())) {
            ServiceConfig cd = sc.get(sid);
            if (cd != null && !cd.state().equals("ignored")) continue;
            String reason = cd != null ? "ignored state requested" : "no config";
            env.log("info", "removing stale service '" + sid + "' (" + reason + ")");
            ss.remove(sid);
        }

        updateCrmCommands();

        Map<String, LrmResult> results = lrm.results();
        Map<String, String> modes = lrm.modes();
        for (;;) {
            boolean repeat = false;
            recomputeOnlineNodeUsage();

            // the service states do not change identity during a pass: iterate a snapshot of the entries
            for (Map.Entry<String, ServiceState> entry : new ArrayList<>(ss.entrySet())) {
                String sid = entry.getKey();
                ServiceState sd = entry.getValue();
                ServiceConfig cd = sc.get(sid);
                if (cd == null) cd = ServiceConfig.disabled(sid);
                LrmResult lrmRes = sd.uid != null ? results.get(sd.uid) : null;
                String last = sd.state;
                switch (last) {
                    case "stopped" -> nextStateStopped(sid, cd, sd, lrmRes);
                    case "started" -> nextStateStarted(sid, cd, sd, lrmRes);
                    case "request_start" -> nextStateRequestStart(sid, cd, sd, lrmRes);
                    case "migrate", "relocate", "request_start_balance" -> nextStateMigrateRelocate(sid, cd, sd, lrmRes);
                    case "fence" -> { }
                    case "recovery" -> nextStateRecovery(sid, cd, sd, lrmRes);
                    case "request_stop" -> nextStateRequestStop(sid, cd, sd, lrmRes);
                    case "freeze" -> {
                        String mode = sd.node != null ? modes.get(sd.node) : null;
                        String state = cd.state().equals("started") ? "started" : "request_stop";
                        // only unfreeze while the node is reachable: its restarted LRM has no agent lock yet
                        if ("active".equals(mode) && ns.nodeIsOnline(sd.node)) changeServiceState(sid, state);
                    }
                    case "error" -> nextStateError(sid, cd, sd, lrmRes);
                    default -> throw new IllegalStateException("unknown service state '" + last + "'");
                }
                String mode = sd.node != null ? modes.get(sd.node) : null;
                if ("restart".equals(mode)) {
                    String st = sd.state;
                    if (st.equals("started") || st.equals("stopped") || st.equals("request_stop")) {
                        changeServiceState(sid, "freeze");
                    }
                }
                if (!sd.state.equals(last)) repeat = true;
            }

            Map<String, Boolean> fenced = new HashMap<>();
            for (Map.Entry<String, ServiceState> entry : new ArrayList<>(ss.entrySet())) {
                String sid = entry.getKey();
                ServiceState sd = entry.getValue();
                if (!sd.state.equals("fence")) continue;
                Boolean ok = fenced.get(sd.node);
                if (ok == null) {
                    ok = ns.fenceNode(sd.node);
                    fenced.put(sd.node, ok);
                }
                if (!ok) continue;
                changeServiceState(sid, "recovery");
                repeat = true;
            }

            // a node in fence state without services to fence must not stay there forever
            for (String node : ns.listNodes()) {
                if (fenced.containsKey(node)) continue;
                if (!ns.getNodeState(node).equals("fence")) continue;
                env.log("notice", "node '" + node + "' in fence state but no services to-fence! admin interference?!");
                if (ns.fenceNode(node)) repeat = true;
            }

            if (!repeat) break;
        }

        flushMasterStatus();
    }

    // --- node selection -------------------------------------------------------------------------------

    private static Group serviceGroup(Map<String, Group> groups, Usage usage, ServiceConfig cd) {
        Map<String, Integer> all = new LinkedHashMap<>();
        for (String n : usage.listNodes()) all.put(n, 0);
        Group group = new Group("", all, false, false, null);
        if (cd.group() != null) {
            Group g = groups.get(cd.group());
            if (g != null) group = g;
        }
        return group;
    }

    /**
     * Chooses the node a service should run on: highest-priority online group members first, staying on
     * the current node where allowed, otherwise the least loaded node.
     */
    public static String selectServiceNode(Map<String, Group> groups, Usage usage, String sid, ServiceConfig cd,
                                           String currentNode, boolean tryNext, List<String> triedNodes,
                                           String maintenanceFallback, boolean bestScored) {
        return selectServiceNode(groups, usage, sid, cd, currentNode, tryNext, triedNodes, maintenanceFallback, bestScored, Set.of());
    }

    /** {@link #selectServiceNode} among the online nodes but {@code unusable} (nodes where the service cannot run). */
    public static String selectServiceNode(Map<String, Group> groups, Usage usage, String sid, ServiceConfig cd,
                                           String currentNode, boolean tryNext, List<String> triedNodes,
                                           String maintenanceFallback, boolean bestScored, Set<String> unusable) {
        java.util.function.Predicate<String> usable = n -> usage.containsNode(n) && !unusable.contains(n);
        // without a group every online node has the same priority: an online current node stays
        if (!tryNext && !bestScored && maintenanceFallback == null && usable.test(currentNode)
            && (cd.group() == null || !groups.containsKey(cd.group()))) {
            return currentNode;
        }
        Group group = serviceGroup(groups, usage, cd);
        TreeMap<Integer, TreeMap<String, Boolean>> priGroups = new TreeMap<>();
        Map<String, Integer> members = new HashMap<>();
        for (Map.Entry<String, Integer> e : group.nodes().entrySet()) {
            String node = e.getKey();
            if (!usable.test(node)) continue;
            priGroups.computeIfAbsent(e.getValue(), k -> new TreeMap<>()).put(node, true);
            members.put(node, e.getValue());
        }
        if (!group.restricted()) {
            for (String node : usage.listNodes()) {
                if (members.containsKey(node) || unusable.contains(node)) continue;
                priGroups.computeIfAbsent(-1, k -> new TreeMap<>()).put(node, true);
                members.put(node, -1);
            }
        }
        if (priGroups.isEmpty()) return null;

        if (!tryNext && !bestScored && group.nofailback() && members.containsKey(currentNode)) {
            return currentNode;
        }

        TreeMap<String, Boolean> top = priGroups.get(priGroups.lastKey());
        if (tryNext && triedNodes != null) {
            for (String n : triedNodes) top.remove(n);
        }
        if (maintenanceFallback != null && top.containsKey(maintenanceFallback)) return maintenanceFallback;
        if (!tryNext && !bestScored && currentNode != null && top.containsKey(currentNode)) return currentNode;

        Map<String, Double> scores = usage.scoreNodesToStartService(sid, currentNode);
        List<String> nodes = new ArrayList<>(top.keySet());
        nodes.sort((a, b) -> {
            int c = Double.compare(scores.getOrDefault(a, 0.0), scores.getOrDefault(b, 0.0));
            return c != 0 ? c : a.compareTo(b);
        });
        Integer found = null;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (nodes.get(i).equals(currentNode)) found = i;
        }
        if (nodes.isEmpty()) return null;
        if (tryNext && !bestScored && found != null && found < nodes.size() - 1) return nodes.get(found + 1);
        return nodes.get(0);
    }

    // --- per state transitions ------------------------------------------------------------------------

    private void nextStateRequestStart(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        String current = sd.node;
        if (rebalanceOnRequestStart) {
            String selected = selectServiceNode(groups, onlineNodeUsage, sid, cd, current, false,
                sd.failedNodes, sd.maintenanceNode, true);
            if (selected == null) {
                env.log("warning", "service " + sid + ": cannot find a node for re-balance on startup, keeping current node " + current);
                selected = current;
            }
            String text = !selected.equals(current) ? "new" : "current";
            env.log("info", "service " + sid + ": re-balance selected " + text + " node " + selected + " for startup");
            if (!selected.equals(current)) {
                changeServiceState(sid, "request_start_balance", params("node", current, "target", selected));
                return;
            }
        }
        changeServiceState(sid, "started", params("node", current));
    }

    private void nextStateMigrateRelocate(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        if (lrmRes != null) {
            int ec = lrmRes.exitCode();
            String req = cd.state().equals("started") ? "started" : "request_stop";
            if (ec == ExitCode.SUCCESS) {
                changeServiceState(sid, req, params("node", sd.target));
                return;
            } else if (ec == ExitCode.EWRONG_NODE) {
                env.log("err", "service '" + sid + "' - migration failed: service registered on wrong node!");
                changeServiceState(sid, "error");
            } else if (ec == ExitCode.IGNORED) {
                env.log("info", "service '" + sid + "' - rebalance-on-start request ignored - service already running");
                changeServiceState(sid, req, params("node", sd.node));
            } else {
                env.log("err", "service '" + sid + "' - migration failed (exit code " + ec + ")");
                changeServiceState(sid, req, params("node", sd.node));
                return;
            }
        }
        if (ns.nodeIsOfflineDelayed(sd.node)) {
            changeServiceState(sid, "fence");
        }
    }

    private void nextStateStopped(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        if (cd.node() != null && !cd.node().equals(sd.node)) {
            // happens when a node with active migrations was fenced
            env.log("info", "fixup service '" + sid + "' location (" + sd.node + " => " + cd.node() + ")");
            sd.node = cd.node();
        }
        if (sd.cmd != null && !sd.cmd.isEmpty()) {
            List<String> c = sd.cmd;
            String cmd = c.get(0);
            if (cmd.equals("migrate") || cmd.equals("relocate")) {
                String target = c.size() > 1 ? c.get(1) : null;
                if (!ns.nodeIsOnline(target)) {
                    env.log("err", "ignore service '" + sid + "' " + cmd + " request - node '" + target + "' not online");
                } else if (sd.node.equals(target)) {
                    env.log("info", "ignore service '" + sid + "' " + cmd + " request - service already on node '" + target + "'");
                } else {
                    changeServiceState(sid, cmd, params("node", sd.node, "target", target));
                    return;
                }
            } else if (cmd.equals("stop")) {
                env.log("info", "ignore service '" + sid + "' " + cmd + " request - service already stopped");
            } else {
                env.log("err", "unknown command '" + cmd + "' for service '" + sid + "'");
            }
            sd.cmd = null;
        }

        if (cd.state().equals("disabled")) {
            // the LRM keeps enforcing the stop, even without an active manager
            return;
        }
        if (ns.nodeIsOfflineDelayed(sd.node) && !ns.getNodeState(sd.node).equals("maintenance")) {
            changeServiceState(sid, "fence");
            return;
        }
        if (cd.state().equals("stopped")) {
            return;
        }
        if (cd.state().equals("started")) {
            changeServiceState(sid, "request_start", params("node", sd.node));
            return;
        }
        env.log("err", "service '" + sid + "' - unknown state '" + cd.state() + "' in service configuration");
    }

    private void nextStateRequestStop(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        if (lrmRes != null) {
            int ec = lrmRes.exitCode();
            if (ec == ExitCode.SUCCESS) {
                changeServiceState(sid, "stopped");
            } else {
                env.log("err", "service '" + sid + "' stop failed (exit code " + ec + ")");
                changeServiceState(sid, "error");
            }
            return;
        }
        if (ns.nodeIsOfflineDelayed(sd.node)) {
            changeServiceState(sid, "fence");
        }
    }

    private void recordServiceFailedOnNode(ServiceState sd, String node) {
        if (sd.failedNodes == null) sd.failedNodes = new ArrayList<>();
        sd.failedNodes.add(node);
    }

    private void nextStateStarted(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        if (!ns.nodeIsOnline(sd.node)) {
            if (ns.nodeIsOfflineDelayed(sd.node)) {
                changeServiceState(sid, "fence");
            }
            if (!ns.getNodeState(sd.node).equals("maintenance")) {
                return;
            }
            // remember the node to move back to once it leaves maintenance
            sd.maintenanceNode = sd.node;
        }

        if (cd.state().equals("disabled") || cd.state().equals("stopped")) {
            changeServiceState(sid, "request_stop");
            return;
        }

        if (!cd.state().equals("started")) {
            env.log("err", "service '" + sid + "' - unknown state '" + cd.state() + "' in service configuration");
            return;
        }

        if (sd.cmd != null && !sd.cmd.isEmpty()) {
            List<String> c = sd.cmd;
            String cmd = c.get(0);
            if (cmd.equals("migrate") || cmd.equals("relocate")) {
                String target = c.size() > 1 ? c.get(1) : null;
                if (!ns.nodeIsOnline(target)) {
                    env.log("err", "ignore service '" + sid + "' " + cmd + " request - node '" + target + "' not online");
                } else if (sd.node.equals(target)) {
                    env.log("info", "ignore service '" + sid + "' " + cmd + " request - service already on node '" + target + "'");
                } else {
                    env.log("info", cmd + " service '" + sid + "' to node '" + target + "'");
                    changeServiceState(sid, cmd, params("node", sd.node, "target", target));
                    return;
                }
            } else if (cmd.equals("stop")) {
                String timeout = c.size() > 1 ? c.get(1) : "0";
                if (isZero(timeout)) {
                    env.log("info", "request immediate service hard-stop for service '" + sid + "'");
                } else {
                    env.log("info", "request graceful stop with timeout '" + timeout + "' for service '" + sid + "'");
                }
                changeServiceState(sid, "request_stop", params("timeout", timeout));
                env.updateServiceConfig(sid, Map.of("state", "stopped"));
            } else {
                env.log("err", "unknown command '" + cmd + "' for service '" + sid + "'");
            }
            sd.cmd = null;
            return;
        }

        boolean tryNext = false;
        if (lrmRes != null) {
            int ec = lrmRes.exitCode();
            if (ec == ExitCode.SUCCESS) {
                if (sd.failedNodes != null) {
                    env.log("info", "relocation policy successful for '" + sid + "' on node '" + sd.node
                        + "', failed nodes: " + String.join(", ", sd.failedNodes));
                }
                sd.failedNodes = null;
                sd.running = true;
            } else if (ec == ExitCode.ERROR) {
                sd.running = false;
                recordServiceFailedOnNode(sd, sd.node);
                if (sd.failedNodes.size() <= cd.maxRelocate()) {
                    tryNext = true;
                    env.log("warning", "starting service " + sid + " on node '" + sd.node + "' failed, relocating service.");
                } else {
                    env.log("err", "recovery policy for service " + sid + " failed, entering error state. Failed nodes: "
                        + String.join(", ", sd.failedNodes));
                    changeServiceState(sid, "error");
                    return;
                }
            } else {
                recordServiceFailedOnNode(sd, sd.node);
                env.log("err", "service '" + sid + "' got unrecoverable error (exit code " + ec + "))");
                changeServiceState(sid, "error");
                return;
            }
        }

        String node = selectServiceNode(groups, onlineNodeUsage, sid, cd, sd.node, tryNext, sd.failedNodes,
            sd.maintenanceNode, false);

        if (node != null && !sd.node.equals(node)) {
            onlineNodeUsage.addServiceUsageToNode(node, sid, sd.node, null);
            String fallback = sd.maintenanceNode;
            if (fallback != null) {
                if (node.equals(fallback)) {
                    env.log("info", "moving service '" + sid + "' back to '" + fallback + "', node came back from maintenance.");
                    sd.maintenanceNode = null;
                } else if (!sd.node.equals(fallback)) {
                    env.log("info", "dropping maintenance fallback node '" + fallback + "' for '" + sid + "'");
                    sd.maintenanceNode = null;
                }
            }
            if (cd.type().equals("vm")) {
                env.log("info", "migrate service '" + sid + "' to node '" + node + "' (running)");
                changeServiceState(sid, "migrate", params("node", sd.node, "target", node));
            } else {
                env.log("info", "relocate service '" + sid + "' to node '" + node + "'");
                changeServiceState(sid, "relocate", params("node", sd.node, "target", node));
            }
        } else {
            if (tryNext && node == null) {
                env.log("warning", "Start Error Recovery: Tried all available nodes for service '" + sid
                    + "', retry start on current node. Tried nodes: " + String.join(", ", sd.failedNodes));
            }
            if (sd.maintenanceNode != null && sd.node.equals(sd.maintenanceNode)) {
                if (ns.getNodeState(sd.node).equals("online")) {
                    // the service never moved away while its node was in maintenance (e.g. the whole cluster
                    // was shut down with the migrate policy): the setting is stale
                    env.log("info", "service '" + sid + "': clearing stale maintenance node '" + sd.maintenanceNode
                        + "' setting (is current node)");
                    sd.maintenanceNode = null;
                }
            }
            // make sure a service that went down unexpectedly is started again, without losing LRM results
            if (lrmRes != null) sd.uid = computeNewUuid(sd.state);
        }
    }

    private static boolean isZero(String s) {
        try {
            return Double.parseDouble(s) == 0.0;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private void nextStateError(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        if (cd.state().equals("disabled")) {
            sd.failedNodes = null;
            changeServiceState(sid, "stopped");
        }
    }

    private void nextStateRecovery(String sid, ServiceConfig cd, ServiceState sd, LrmResult lrmRes) {
        String fencedNode = sd.node;
        recomputeOnlineNodeUsage();
        // nodes where the service cannot run (a guest whose local volumes are not there) are no candidates
        TreeMap<String, HaEnv.RecoveryCheck> checks = new TreeMap<>();
        for (String n : onlineNodeUsage.listNodes()) checks.put(n, env.recoveryCheck(sid, fencedNode, n));
        java.util.Set<String> unusable = new java.util.TreeSet<>();
        checks.forEach((n, c) -> { if (!c.possible()) unusable.add(n); });
        String recoveryNode = selectServiceNode(groups, onlineNodeUsage, sid, cd, sd.node, false, null, null, false, unusable);
        if (recoveryNode != null) {
            String msg = "recover service '" + sid + "' from fenced node '" + fencedNode + "' to node '" + recoveryNode + "'";
            if (recoveryNode.equals(fencedNode)) {
                msg = "recover service '" + sid + "' to previous failed and fenced node '" + fencedNode + "' again";
            }
            HaEnv.RecoveryCheck check = checks.get(recoveryNode);
            if (check != null && check.reason() != null) msg += " - " + check.reason();
            env.log("info", msg);
            fenceRecoveryCleanup(sid, fencedNode);
            env.stealService(sid, sd.node, recoveryNode);
            onlineNodeUsage.addServiceUsageToNode(recoveryNode, sid, recoveryNode, null);
            sd.node = recoveryNode;
            String newState = cd.state().equals("started") ? "started" : "request_stop";
            changeServiceState(sid, newState, params("node", recoveryNode));
        } else {
            List<String> why = new ArrayList<>();
            checks.forEach((n, c) -> { if (!c.possible()) why.add("node '" + n + "': " + c.reason()); });
            env.log("err", "recovering service '" + sid + "' from fenced node '" + fencedNode
                + "' failed, no recovery node found" + (why.isEmpty() ? "" : " (" + String.join("; ", why) + ")"));
            if (cd.state().equals("disabled")) {
                sd.failedNodes = null;
                changeServiceState(sid, "stopped");
            }
        }
    }
}
