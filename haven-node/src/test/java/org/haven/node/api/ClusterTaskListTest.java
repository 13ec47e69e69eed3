package org.haven.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.haven.api.task.TaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.Upid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTaskListTest {

    private static TaskManager.TaskInfo task(String node, long start, String type, String id, String status) {
        Upid u = new Upid(node, 1000 + start % 97, 5000 + start, start, type, id, "root@pam");
        return new TaskManager.TaskInfo(u.toString(), node, u.pid(), u.pstart(), start, type, id, "root@pam",
                status == null ? 0 : start + 3, status);
    }

    @Test
    void mergesPublishedListsOfAllNodesThroughTheStatusPlane(@TempDir Path dir) {
        LocalClusterFs a = new LocalClusterFs(dir.resolve("a"), "nodea");
        LocalClusterFs b = new LocalClusterFs(dir.resolve("b"), "nodeb");
        List<TaskManager.TaskInfo> onA = List.of(task("nodea", 300, "qmstart", "100", "OK"), task("nodea", 100, "vzdump", "", "some error"));
        List<TaskManager.TaskInfo> onB = List.of(task("nodeb", 400, "qmigrate", "101", null), task("nodeb", 200, "imgcopy", "", "OK"));
        a.setNodeStatus(ClusterTaskList.KEY, ClusterTaskList.encode(onA));
        b.setNodeStatus(ClusterTaskList.KEY, ClusterTaskList.encode(onB));

        // nodea's view: its own live list plus nodeb's published one; nodec published nothing
        List<TaskManager.TaskInfo> merged = ClusterTaskList.merge(List.of("nodea", "nodeb", "nodec"), "nodea", onA,
                n -> n.equals("nodeb") ? b.nodeStatus(n, ClusterTaskList.KEY) : a.nodeStatus(n, ClusterTaskList.KEY));
        assertEquals(List.of(400L, 300L, 200L, 100L), merged.stream().map(TaskManager.TaskInfo::starttime).toList());
        assertEquals(List.of("nodeb", "nodea", "nodeb", "nodea"), merged.stream().map(TaskManager.TaskInfo::node).toList());
        TaskManager.TaskInfo running = merged.get(0);
        assertTrue(running.running());
        assertEquals(onB.get(0), running);
        assertEquals(onA.get(1), merged.get(3));

        Map<String, Object> e = ClusterTaskList.entry(merged.get(2));
        assertEquals(List.of("upid", "node", "pid", "pstart", "starttime", "type", "id", "user", "endtime", "status"),
                List.copyOf(e.keySet()));
        assertEquals(List.of("upid", "node", "pid", "pstart", "starttime", "type", "id", "user"),
                List.copyOf(ClusterTaskList.entry(running).keySet()));
    }

    @Test
    void publishesAllRunningAndTheNewestFinished() {
        Random rnd = new Random(42);
        for (int round = 0; round < 50; round++) {
            List<TaskManager.TaskInfo> tasks = new ArrayList<>();
            Set<Long> starts = new HashSet<>();
            int n = rnd.nextInt(200);
            while (tasks.size() < n) {
                long start = 1_700_000_000L + rnd.nextInt(1_000_000);
                if (!starts.add(start)) continue;
                tasks.add(task("n1", start, "qmstart", String.valueOf(100 + rnd.nextInt(5)), rnd.nextInt(10) == 0 ? null : "OK"));
            }
            List<TaskManager.TaskInfo> decoded = ClusterTaskList.decode(ClusterTaskList.encode(tasks));
            long running = tasks.stream().filter(TaskManager.TaskInfo::running).count();
            long finished = tasks.size() - running;
            assertEquals(running + Math.min(finished, ClusterTaskList.KEEP_FINISHED), decoded.size());
            assertTrue(tasks.stream().filter(TaskManager.TaskInfo::running).allMatch(decoded::contains));
            List<Long> finishedStarts = tasks.stream().filter(t -> !t.running()).map(TaskManager.TaskInfo::starttime)
                    .sorted((x, y) -> Long.compare(y, x)).limit(ClusterTaskList.KEEP_FINISHED).toList();
            assertEquals(finishedStarts, decoded.stream().filter(t -> !t.running()).map(TaskManager.TaskInfo::starttime).toList());
            for (int i = 1; i < decoded.size(); i++) assertTrue(decoded.get(i - 1).starttime() >= decoded.get(i).starttime());
            assertTrue(tasks.containsAll(decoded));
        }
    }

    @Test
    void malformedPublishedListsAreIgnored() {
        assertEquals(List.of(), ClusterTaskList.decode("not json".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), ClusterTaskList.decode("{\"upid\":1}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), ClusterTaskList.decode("[{\"upid\":\"UPID:bad\"}]".getBytes(StandardCharsets.UTF_8)));
        TaskManager.TaskInfo local = task("n1", 10, "qmstart", "100", "OK");
        assertEquals(List.of(local), ClusterTaskList.merge(List.of("n1", "n2"), "n1", List.of(local),
                n -> Optional.of("[{\"upid\":\"x\"}]".getBytes(StandardCharsets.UTF_8))));
    }
}
