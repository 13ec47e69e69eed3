package org.haven.ha.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.haven.core.format.ConfigDigest;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.SectionConfig;
import org.haven.ha.Group;
import org.haven.ha.HaConfig;
import org.haven.ha.HaJson;
import org.haven.ha.ManagerStatus;
import org.haven.ha.ServiceState;
import org.haven.ha.Sid;
import org.haven.ha.env.ClusterHaEnv;

/**
 * HA configuration and status operations on the cluster file system, shared by the API and by other
 * modules (e.g. {@code qm start} of an HA-managed guest only changes its requested state).
 */
public final class HaResources {
    public static final String LOCK = "ha_domain";

    private final ClusterFs cfs;

    public HaResources(ClusterFs cfs) { this.cfs = cfs; }

    /** Normalizes {@code 100} to {@code vm:100}; rejects other forms. */
    public static String normalizeSid(String sid, String type) {
        Sid s = Sid.parse(sid.trim());
        if (type != null && !type.equals(s.type())) throw new IllegalArgumentException("types does not match");
        if (!s.type().equals("vm") && !s.type().equals("ct")) {
            throw new IllegalArgumentException("unknown resource type '" + s.type() + "'");
        }
        if (!s.name().matches("[1-9][0-9]{2,8}")) throw new IllegalArgumentException("invalid VMID '" + s.name() + "'");
        return s.toString();
    }

    static String digest(String text) {
        return ConfigDigest.of(text);
    }

    String read(String path) { return cfs.readString(path).orElse(""); }

    void write(String path, String text) {
        int slash = path.lastIndexOf('/');
        if (slash > 0) cfs.mkdirs(path.substring(0, slash));
        cfs.writeString(path, text);
    }

    /** Runs {@code body} under the HA domain lock; failures are reported as "{@code what}: reason". */
    <T> T locked(String what, Supplier<T> body) {
        try {
            return cfs.withLock(LOCK, null, body);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException(what + ": " + e.getMessage(), e);
        }
    }

    /** Node of a guest, from its config location; empty when the guest does not exist. */
    public Optional<String> guestNode(String sid) {
        Sid s = Sid.parse(sid);
        String dir = s.type().equals("ct") ? "lxc" : "qemu-server";
        for (ClusterFs.Entry n : cfs.list("nodes")) {
            if (n.directory() && cfs.stat("nodes/" + n.name() + "/" + dir + "/" + s.name() + ".conf").isPresent()) {
                return Optional.of(n.name());
            }
        }
        return Optional.empty();
    }

    public boolean isManaged(String sid) {
        SectionConfig.Document doc = SectionConfig.parse(read(HaConfig.RESOURCES_CFG));
        Sid s = Sid.parse(sid);
        return doc.sections().stream().anyMatch(x -> x.type().equals(s.type()) && x.id().equals(s.name()));
    }

    private static Optional<SectionConfig.Section> find(SectionConfig.Document doc, String sid) {
        Sid s = Sid.parse(sid);
        return doc.sections().stream().filter(x -> x.type().equals(s.type()) && x.id().equals(s.name())).findFirst();
    }

    /** Resources as the API lists them: {@code sid}, {@code type}, the properties and the file digest. */
    public List<Map<String, Object>> listResources(String typeFilter) {
        String text = read(HaConfig.RESOURCES_CFG);
        String digest = digest(text);
        List<Map<String, Object>> out = new ArrayList<>();
        for (SectionConfig.Section sec : SectionConfig.parse(text).sections()) {
            if (typeFilter != null && !typeFilter.equals(sec.type())) continue;
            out.add(resourceRecord(sec, digest));
        }
        out.sort((a, b) -> a.get("sid").toString().compareTo(b.get("sid").toString()));
        return out;
    }

    private static Map<String, Object> resourceRecord(SectionConfig.Section sec, String digest) {
        Map<String, Object> r = new TreeMap<>();
        r.put("sid", sec.type() + ":" + sec.id());
        r.put("type", sec.type());
        r.put("digest", digest);
        sec.properties().forEach((k, v) -> {
            if (k.equals("max_restart") || k.equals("max_relocate")) {
                try {
                    r.put(k, Integer.parseInt(v));
                    return;
                } catch (NumberFormatException ignored) { }
            }
            r.put(k, v);
        });
        if (!r.containsKey("state")) r.put("state", "started");
        return r;
    }

    public Map<String, Object> readResource(String sid) {
        String text = read(HaConfig.RESOURCES_CFG);
        SectionConfig.Section sec = find(SectionConfig.parse(text), sid)
            .orElseThrow(() -> new IllegalStateException("no such resource '" + sid + "'"));
        return resourceRecord(sec, digest(text));
    }

    private static final List<String> RESOURCE_KEYS = List.of("comment", "group", "max_relocate", "max_restart", "state");

    public void createResource(String sid, Map<String, String> props) {
        if (guestNode(sid).isEmpty()) throw new IllegalStateException("resource '" + sid + "' does not exist in cluster");
        locked("create resource failed", () -> {
            SectionConfig.Document doc = SectionConfig.parse(read(HaConfig.RESOURCES_CFG));
            if (find(doc, sid).isPresent()) throw new IllegalStateException("resource ID '" + sid + "' already defined");
            checkGroup(props.get("group"));
            Sid s = Sid.parse(sid);
            SectionConfig.Section sec = new SectionConfig.Section(s.type(), s.name());
            for (String k : RESOURCE_KEYS) if (props.get(k) != null) sec.set(k, props.get(k));
            doc.add(sec);
            write(HaConfig.RESOURCES_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    private void checkGroup(String group) {
        if (group == null) return;
        if (!HaConfig.parseGroups(read(HaConfig.GROUPS_CFG)).containsKey(group)) {
            throw new IllegalStateException("group '" + group + "' does not exist");
        }
    }

    public void updateResource(String sid, Map<String, String> props, List<String> delete, String digest) {
        locked("update resource failed", () -> {
            String text = read(HaConfig.RESOURCES_CFG);
            if (digest != null && !digest.equals(digest(text))) {
                throw new IllegalStateException("detected modified configuration - file changed by other user? Try again.");
            }
            SectionConfig.Document doc = SectionConfig.parse(text);
            SectionConfig.Section sec = find(doc, sid).orElseThrow(() -> new IllegalStateException("no such resource '" + sid + "'"));
            checkGroup(props.get("group"));
            for (String k : delete) sec.remove(k);
            for (String k : RESOURCE_KEYS) if (props.get(k) != null) sec.set(k, props.get(k));
            write(HaConfig.RESOURCES_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    /** Sets the requested state of a managed resource (what {@code qm start/stop} do for HA guests). */
    public void setRequestedState(String sid, String state) {
        updateResource(sid, Map.of("state", state), List.of(), null);
    }

    public void deleteResource(String sid) {
        if (!isManaged(sid)) throw new IllegalStateException("cannot delete service '" + sid + "', not HA managed!");
        locked("delete resource failed", () -> {
            SectionConfig.Document doc = SectionConfig.parse(read(HaConfig.RESOURCES_CFG));
            Sid s = Sid.parse(sid);
            doc.sections().removeIf(x -> x.type().equals(s.type()) && x.id().equals(s.name()));
            write(HaConfig.RESOURCES_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    public void queueCrmCommand(String cmd) {
        cfs.withLock("ha_crm_commands", null, () -> {
            write(ClusterHaEnv.CRM_COMMANDS, read(ClusterHaEnv.CRM_COMMANDS) + cmd + "\n");
            return null;
        });
    }

    /** Queues PVE's {@code stop SID TIMEOUT} command: the manager stops the service, waiting up to the timeout. */
    public void requestStop(String sid, long timeout) {
        if (!isManaged(sid)) throw new IllegalStateException("service '" + sid + "' is not HA managed");
        queueCrmCommand("stop " + sid + " " + timeout);
    }

    /** Queues {@code enable-node-maintenance NODE} or {@code disable-node-maintenance NODE} for the manager. */
    public void nodeMaintenance(String node, boolean enable) {
        if (cfs.stat("nodes/" + node).isEmpty()) throw new IllegalStateException("no such cluster node '" + node + "'");
        queueCrmCommand((enable ? "enable" : "disable") + "-node-maintenance " + node);
    }

    /** Queues a migrate/relocate request for the manager. */
    public void moveResource(String sid, String cmd, String node) {
        if (!isManaged(sid)) throw new IllegalStateException("service '" + sid + "' is not HA managed");
        ServiceState sd = managerStatus().serviceStatus.get(sid);
        if (sd != null && "error".equals(sd.state)) {
            throw new IllegalStateException("service '" + sid + "' in error state, must be disabled and fixed first");
        }
        queueCrmCommand(cmd + " " + sid + " " + node);
    }

    // --- groups ----------------------------------------------------------------------------------------

    public List<Map<String, Object>> listGroups() {
        String text = read(HaConfig.GROUPS_CFG);
        String digest = digest(text);
        List<Map<String, Object>> out = new ArrayList<>();
        for (SectionConfig.Section sec : SectionConfig.parse(text).sections()) {
            if (sec.type().equals("group")) out.add(groupRecord(sec, digest));
        }
        out.sort((a, b) -> a.get("group").toString().compareTo(b.get("group").toString()));
        return out;
    }

    private static Map<String, Object> groupRecord(SectionConfig.Section sec, String digest) {
        Map<String, Object> r = new TreeMap<>();
        r.put("group", sec.id());
        r.put("type", "group");
        r.put("digest", digest);
        sec.properties().forEach((k, v) -> {
            if (k.equals("restricted") || k.equals("nofailback")) r.put(k, v.equals("0") || v.isEmpty() ? 0 : 1);
            else r.put(k, v);
        });
        return r;
    }

    public Map<String, Object> readGroup(String group) {
        String text = read(HaConfig.GROUPS_CFG);
        SectionConfig.Section sec = SectionConfig.parse(text).sections().stream()
            .filter(s -> s.type().equals("group") && s.id().equals(group)).findFirst()
            .orElseThrow(() -> new IllegalStateException("no such ha group '" + group + "'"));
        return groupRecord(sec, digest(text));
    }

    private static final List<String> GROUP_KEYS = List.of("comment", "nodes", "nofailback", "restricted");

    public void createGroup(String group, Map<String, String> props) {
        locked("create ha group failed", () -> {
            SectionConfig.Document doc = SectionConfig.parse(read(HaConfig.GROUPS_CFG));
            if (doc.sections().stream().anyMatch(s -> s.id().equals(group))) {
                throw new IllegalStateException("ha group ID '" + group + "' already defined");
            }
            SectionConfig.Section sec = new SectionConfig.Section("group", group);
            for (String k : GROUP_KEYS) if (props.get(k) != null) sec.set(k, props.get(k));
            doc.add(sec);
            write(HaConfig.GROUPS_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    public void updateGroup(String group, Map<String, String> props, List<String> delete, String digest) {
        locked("update ha group failed", () -> {
            String text = read(HaConfig.GROUPS_CFG);
            if (digest != null && !digest.equals(digest(text))) {
                throw new IllegalStateException("detected modified configuration - file changed by other user? Try again.");
            }
            SectionConfig.Document doc = SectionConfig.parse(text);
            SectionConfig.Section sec = doc.sections().stream().filter(s -> s.type().equals("group") && s.id().equals(group))
                .findFirst().orElseThrow(() -> new IllegalStateException("no such ha group '" + group + "'"));
            for (String k : delete) sec.remove(k);
            for (String k : GROUP_KEYS) if (props.get(k) != null) sec.set(k, props.get(k));
            write(HaConfig.GROUPS_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    public void deleteGroup(String group) {
        locked("delete ha group failed", () -> {
            for (SectionConfig.Section r : SectionConfig.parse(read(HaConfig.RESOURCES_CFG)).sections()) {
                if (group.equals(r.properties().get("group"))) {
                    throw new IllegalStateException("ha group is used by service '" + r.type() + ":" + r.id() + "'");
                }
            }
            SectionConfig.Document doc = SectionConfig.parse(read(HaConfig.GROUPS_CFG));
            if (!doc.sections().removeIf(s -> s.type().equals("group") && s.id().equals(group))) {
                throw new IllegalStateException("no such ha group '" + group + "'");
            }
            write(HaConfig.GROUPS_CFG, SectionConfig.write(doc));
            return null;
        });
    }

    // --- status ----------------------------------------------------------------------------------------

    public ManagerStatus managerStatus() {
        String t = read(ClusterHaEnv.MANAGER_STATUS);
        return t.isBlank() ? new ManagerStatus() : HaJson.managerStatus(HaJson.parse(t));
    }

    public Optional<String> lrmStatusText(String node) { return cfs.readString("nodes/" + node + "/lrm_status"); }

    /**
     * PVE's reading of a status timestamp. PVE calls an agent dead after 30 s, three of its 10 s rounds; here it
     * is three rounds of the cluster's configured timing.
     */
    static String timestampToStatus(long now, long ts, long round) {
        long d = now - ts;
        if (d > 3 * round) return "old timestamp - dead?";
        if (d < -2) return "detected time drift!";
        return "active";
    }

    /** Verbose state as {@code ha-manager status} shows it. */
    static String verboseState(ServiceState sd, Map<String, String> conf) {
        if (conf == null) return "deleting";
        String req = conf.getOrDefault("state", "started");
        if (req.equals("enabled")) req = "started";
        if (req.equals("ignored")) return "ignored";
        if (sd == null) return "queued";
        String cur = sd.state;
        if (cur.equals("started") && (req.equals("stopped") || req.equals("disabled"))) return "stopping";
        if (cur.equals("stopped") && req.equals("started")) return "starting";
        if (cur.equals("started") && !sd.running) return "starting";
        return cur;
    }

    public static String localtime(long ts) {
        return java.time.format.DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", java.util.Locale.ENGLISH)
            .format(java.time.Instant.ofEpochSecond(ts).atZone(java.time.ZoneId.systemDefault()));
    }

    /** Entries of {@code GET /cluster/ha/status/current}. */
    public List<Map<String, Object>> currentStatus(long now) {
        long round = ClusterHaEnv.readTiming(cfs).round();
        List<Map<String, Object>> res = new ArrayList<>();
        String node = cfs.nodeName();
        boolean quorate = cfs.isQuorate();
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("id", "quorum");
        q.put("type", "quorum");
        q.put("node", node);
        q.put("status", quorate ? "OK" : "No quorum on node '" + node + "'!");
        q.put("quorate", quorate ? 1 : 0);
        res.add(q);
        ManagerStatus ms = managerStatus();
        Map<String, Map<String, String>> conf = new TreeMap<>();
        for (SectionConfig.Section sec : SectionConfig.parse(read(HaConfig.RESOURCES_CFG)).sections()) {
            conf.put(sec.type() + ":" + sec.id(), sec.properties());
        }
        if (ms.masterNode != null && ms.timestamp != 0) {
            String st = timestampToStatus(now, ms.timestamp, round);
            if (st.equals("active") && conf.isEmpty()) st = "idle";
            String extra = "";
            String crs = datacenterCrsHa();
            if (crs != null && !crs.equals("basic")) extra = " - " + crs + " load CRS";
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", "master");
            m.put("type", "master");
            m.put("node", ms.masterNode);
            m.put("status", ms.masterNode + " (" + st + ", " + localtime(ms.timestamp) + ")" + extra);
            m.put("timestamp", ms.timestamp);
            res.add(m);
        }
        Map<String, Integer> active = new TreeMap<>();
        ms.serviceStatus.forEach((sid, sd) -> {
            if (sd.node == null) return;
            active.putIfAbsent(sd.node, 0);
            if (sd.state == null || sd.state.equals("stopped") || sd.state.equals("freeze")) return;
            active.merge(sd.node, 1, Integer::sum);
        });
        for (String n : ms.nodeStatus.keySet()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", "lrm:" + n);
            e.put("type", "lrm");
            e.put("node", n);
            Optional<String> text = lrmStatusText(n);
            var lrm = text.filter(t -> !t.isBlank()).map(t -> HaJson.lrmStatus(HaJson.parse(t))).orElse(null);
            if (lrm == null || lrm.timestamp == 0) {
                e.put("status", n + " (unable to read lrm status)");
            } else {
                String st = timestampToStatus(now, lrm.timestamp, round);
                String mode = lrm.mode;
                if (st.equals("active")) {
                    if (mode == null || mode.isEmpty()) mode = "active";
                    String lstate = lrm.state == null ? "unknown" : lrm.state;
                    if (!mode.equals("active")) st = mode + " mode";
                    else if (lstate.equals("wait_for_agent_lock") && active.getOrDefault(n, 0) == 0) st = "idle";
                    else st = lstate;
                } else if ("maintenance".equals(mode)) {
                    st = mode + " mode";
                }
                e.put("status", n + " (" + st + ", " + localtime(lrm.timestamp) + ")");
                e.put("timestamp", lrm.timestamp);
            }
            res.add(e);
        }
        ms.serviceStatus.forEach((sid, sd) -> {
            Map<String, String> c = conf.get(sid);
            Map<String, Object> d = serviceEntry(sid, c);
            String n = sd.node == null ? "" : sd.node;
            d.put("node", n);
            d.put("crm_state", sd.state);
            d.put("state", verboseState(sd, c));
            d.put("status", sid + " (" + n + ", " + d.get("state") + ")");
            res.add(d);
        });
        conf.forEach((sid, c) -> {
            if (ms.serviceStatus.containsKey(sid)) return;
            Map<String, Object> d = serviceEntry(sid, c);
            String n = guestNode(sid).orElse("");
            d.put("node", n);
            String st = verboseState(null, c);
            d.put("state", st);
            d.put("status", sid + " (" + n + ", " + st + ")");
            res.add(d);
        });
        return res;
    }

    private static Map<String, Object> serviceEntry(String sid, Map<String, String> c) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", "service:" + sid);
        d.put("type", "service");
        d.put("sid", sid);
        if (c != null) {
            String req = c.getOrDefault("state", "started");
            d.put("request_state", req.equals("enabled") ? "started" : req);
            d.put("max_restart", Integer.parseInt(c.getOrDefault("max_restart", "1")));
            d.put("max_relocate", Integer.parseInt(c.getOrDefault("max_relocate", "1")));
            if (c.get("group") != null) d.put("group", c.get("group"));
            if (c.get("comment") != null) d.put("comment", c.get("comment"));
        }
        return d;
    }

    private String datacenterCrsHa() {
        for (String line : read("datacenter.cfg").split("\n")) {
            if (!line.startsWith("crs:")) continue;
            for (String p : line.substring(4).strip().split(",")) {
                if (p.startsWith("ha=")) return p.substring(3);
            }
        }
        return null;
    }

    public Map<String, Object> managerStatusData() {
        Map<String, Object> data = new LinkedHashMap<>();
        ManagerStatus ms = managerStatus();
        data.put("manager_status", HaJson.toJson(ms));
        data.put("quorum", Map.of("node", cfs.nodeName(), "quorate", cfs.isQuorate() ? 1 : 0));
        Map<String, Object> lrm = new TreeMap<>();
        for (String n : ms.nodeStatus.keySet()) {
            lrm.put(n, lrmStatusText(n).filter(t -> !t.isBlank()).map(HaJson::parse).orElse(HaJson.MAPPER.createObjectNode()));
        }
        data.put("lrm_status", lrm);
        return data;
    }

    /** The groups.cfg node list check: {@code node[:priority]} entries. */
    public static void checkNodeList(String list) {
        for (Map.Entry<String, Integer> e : Group.parseNodes(list).entrySet()) {
            if (!e.getKey().matches("[a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?")) {
                throw new IllegalArgumentException("invalid node name '" + e.getKey() + "'");
            }
        }
    }
}
