package org.haven.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.haven.api.AccessChecker;
import org.haven.api.NodeContext;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiTree;
import org.haven.api.task.FileTaskManager;
import org.haven.api.task.TaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node module publishes this node's task list to the cfs status plane while it runs. */
class TaskListPublisherTest {

    @Test
    void publishesRunningAndFinishedTasks(@TempDir Path tmp) throws Exception {
        LocalClusterFs cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        try (FileTaskManager tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM)) {
            NodeContext ctx = context(tmp, cfs, tasks);
            NodeApi api = new NodeApi(new ApiTree());
            api.start(ctx);
            CountDownLatch release = new CountDownLatch(1);
            try {
                String upid = tasks.start("qmstart", "100", "root@pam", log -> release.await());
                TaskManager.TaskInfo running = awaitPublished(cfs, upid);
                assertTrue(running.running());
                release.countDown();
                tasks.await(upid, 30_000);
                TaskManager.TaskInfo done = awaitPublished(cfs, upid, "OK");
                assertEquals("qmstart", done.type());
                assertEquals("100", done.id());
                assertEquals("n1", done.node());
            } finally {
                release.countDown();
                api.stop();
            }
        }
    }

    private static TaskManager.TaskInfo awaitPublished(ClusterFs cfs, String upid) throws InterruptedException {
        return awaitPublished(cfs, upid, null);
    }

    /** Waits (up to a generous bound) until the published list has {@code upid} with the given status. */
    private static TaskManager.TaskInfo awaitPublished(ClusterFs cfs, String upid, String status) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            Optional<byte[]> data = cfs.nodeStatus("n1", ClusterTaskList.KEY);
            if (data.isPresent()) {
                for (TaskManager.TaskInfo t : ClusterTaskList.decode(data.get()))
                    if (t.upid().equals(upid) && java.util.Objects.equals(t.status(), status)) return t;
            }
            Thread.sleep(100);
        }
        fail("task " + upid + " with status " + status + " never published");
        return null;
    }

    private static NodeContext context(Path tmp, ClusterFs cfs, TaskManager tasks) {
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) { return true; }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        return new TestNodeContext(cfs, tasks, access, tmp, Clock.SYSTEM);
    }

}
