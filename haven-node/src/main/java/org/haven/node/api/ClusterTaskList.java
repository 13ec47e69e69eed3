package org.haven.node.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.haven.api.server.Json;
import org.haven.api.task.TaskManager;
import org.haven.core.Upid;
import tools.jackson.databind.JsonNode;

/**
 * The cluster-wide task list (PVE's {@code broadcast_tasklist} / {@code get_tasklist}): every node publishes its
 * running tasks and its most recent finished ones under the node status key {@value #KEY}, as a JSON array of
 * task entries; {@code /cluster/tasks} merges the lists of all members, newest first.
 */
public final class ClusterTaskList {
    /** Node status key of the published list. */
    public static final String KEY = "tasklist";
    /** Finished tasks published per node (all running tasks are published in addition). */
    public static final int KEEP_FINISHED = 50;

    private ClusterTaskList() {}

    /** One task as listed by {@code /cluster/tasks} and {@code /nodes/{node}/tasks}. */
    public static Map<String, Object> entry(TaskManager.TaskInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("upid", t.upid());
        m.put("node", t.node());
        m.put("pid", t.pid());
        m.put("pstart", t.pstart());
        m.put("starttime", t.starttime());
        m.put("type", t.type());
        m.put("id", t.id());
        m.put("user", t.user());
        if (!t.running()) {
            m.put("endtime", t.endtime());
            m.put("status", t.status());
        }
        return m;
    }

    /** The tasks a node publishes: all running ones and the newest {@link #KEEP_FINISHED} finished ones, newest first. */
    public static List<TaskManager.TaskInfo> select(List<TaskManager.TaskInfo> tasks) {
        List<TaskManager.TaskInfo> sorted = new ArrayList<>(tasks);
        sorted.sort(NEWEST_FIRST);
        List<TaskManager.TaskInfo> out = new ArrayList<>();
        int finished = 0;
        for (TaskManager.TaskInfo t : sorted) {
            if (t.running()) out.add(t);
            else if (finished < KEEP_FINISHED) {
                out.add(t);
                finished++;
            }
        }
        return out;
    }

    /** The published form of a node's task list. */
    public static byte[] encode(List<TaskManager.TaskInfo> tasks) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (TaskManager.TaskInfo t : select(tasks)) list.add(entry(t));
        return Json.MAPPER.writeValueAsString(list).getBytes(StandardCharsets.UTF_8);
    }

    /** Parse a published list; entries without a valid UPID are skipped, a malformed list yields nothing. */
    public static List<TaskManager.TaskInfo> decode(byte[] data) {
        List<TaskManager.TaskInfo> out = new ArrayList<>();
        JsonNode arr;
        try {
            arr = Json.MAPPER.readTree(new String(data, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return out;
        }
        if (arr == null || !arr.isArray()) return out;
        for (JsonNode n : arr) {
            String upid = n.path("upid").asString("");
            if (!Upid.isValid(upid)) continue;
            Upid u = Upid.parse(upid);
            JsonNode st = n.get("status");
            String status = st == null || st.isNull() ? null : st.asString();
            out.add(new TaskManager.TaskInfo(upid, u.node(), u.pid(), u.pstart(), u.starttime(), u.type(), u.id(), u.user(),
                    status == null ? 0 : n.path("endtime").asLong(0), status));
        }
        return out;
    }

    /**
     * Merge the task lists of {@code nodes}: the local node's live list ({@code local}) and the published lists of
     * the others ({@code published}, node name to its list, empty when the node published none). Newest first;
     * a UPID listed twice is kept once.
     */
    public static List<TaskManager.TaskInfo> merge(List<String> nodes, String localNode, List<TaskManager.TaskInfo> local,
                                                   Function<String, Optional<byte[]>> published) {
        Map<String, TaskManager.TaskInfo> byUpid = new LinkedHashMap<>();
        for (TaskManager.TaskInfo t : select(local)) byUpid.putIfAbsent(t.upid(), t);
        for (String node : nodes) {
            if (node.equals(localNode)) continue;
            Optional<byte[]> data;
            try {
                data = published.apply(node);
            } catch (UnsupportedOperationException e) {
                data = Optional.empty();
            }
            if (data.isEmpty()) continue;
            for (TaskManager.TaskInfo t : decode(data.get())) byUpid.putIfAbsent(t.upid(), t);
        }
        List<TaskManager.TaskInfo> out = new ArrayList<>(byUpid.values());
        out.sort(NEWEST_FIRST);
        return out;
    }

    /** Newest start first; ties by UPID (descending) so the order is stable. */
    static final Comparator<TaskManager.TaskInfo> NEWEST_FIRST =
            Comparator.comparingLong(TaskManager.TaskInfo::starttime).reversed()
                    .thenComparing(TaskManager.TaskInfo::upid, Comparator.reverseOrder());
}
