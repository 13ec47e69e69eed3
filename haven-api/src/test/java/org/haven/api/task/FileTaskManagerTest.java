package org.haven.api.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.haven.core.Upid;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTaskManagerTest {
    @TempDir Path dir;

    @Test
    void logIsReadableWhileRunningAndStatusEndsOk() throws Exception {
        CountDownLatch logged = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (FileTaskManager tm = new FileTaskManager(dir, "n1", Clock.SYSTEM)) {
            String upid = tm.start("qmstart", "100", "root@pam", log -> {
                log.log("starting VM 100");
                logged.countDown();
                release.await();
                log.log("done");
            });
            Upid u = Upid.parse(upid);
            assertThat(u.node()).isEqualTo("n1");
            assertThat(u.type()).isEqualTo("qmstart");
            assertThat(u.id()).isEqualTo("100");
            assertThat(u.user()).isEqualTo("root@pam");
            assertThat(logged.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(tm.info(upid).orElseThrow().running()).isTrue();
            assertThat(tm.log(upid, 0, 50).lines()).containsExactly("starting VM 100");
            assertThat(Files.readString(dir.resolve("active"))).contains(upid);
            release.countDown();
            TaskManager.TaskInfo end = tm.await(upid, 10_000);
            assertThat(end.status()).isEqualTo("OK");
            assertThat(tm.log(upid, 0, 0).lines()).containsExactly("starting VM 100", "done", "TASK OK");
            assertThat(tm.log(upid, 1, 1).lines()).containsExactly("done");
            String hex = String.format("%08X", u.starttime());
            assertThat(dir.resolve(hex.substring(7)).resolve(upid)).exists();
        }
    }

    @Test
    void errorsWarningsAndStop() throws Exception {
        try (FileTaskManager tm = new FileTaskManager(dir, "n1", Clock.SYSTEM)) {
            String failed = tm.start("vzdump", "", "alice@pve", log -> { throw new IllegalStateException("no space left"); });
            assertThat(tm.await(failed, 10_000).status()).isEqualTo("no space left");
            assertThat(tm.log(failed, 0, 0).lines()).last().isEqualTo("TASK ERROR: no space left");

            String warned = tm.start("vzdump", "", "alice@pve", log -> { log.warn("a"); log.warn("b"); });
            assertThat(tm.await(warned, 10_000).status()).isEqualTo("WARNINGS: 2");

            CountDownLatch started = new CountDownLatch(1);
            String stopped = tm.start("long", "1", "root@pam", log -> { started.countDown(); Thread.sleep(60_000); });
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(tm.stop(stopped)).isTrue();
            assertThat(tm.await(stopped, 10_000).status()).isEqualTo("received interrupt");
            assertThat(tm.list()).extracting(TaskManager.TaskInfo::upid).containsExactly(stopped, warned, failed);
        }
    }

    @Test
    void historySurvivesRestartAndVanishedTasksEndUnexpected() throws Exception {
        String done;
        String hanging;
        FileTaskManager tm = new FileTaskManager(dir, "n1", Clock.SYSTEM);
        done = tm.start("a", "1", "root@pam", log -> log.log("x"));
        tm.await(done, 10_000);
        CountDownLatch started = new CountDownLatch(1);
        hanging = tm.start("b", "2", "root@pam", log -> { started.countDown(); Thread.sleep(60_000); });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        // simulate a crash: the index still lists the running task as active
        String active = Files.readString(dir.resolve("active"));
        tm.close();
        Files.writeString(dir.resolve("active"), active);
        Path index = dir.resolve("index");
        Files.writeString(index, String.join("\n", Files.readAllLines(index).stream().filter(l -> !l.startsWith(hanging)).toList()) + "\n");

        try (FileTaskManager again = new FileTaskManager(dir, "n1", Clock.SYSTEM)) {
            assertThat(again.info(done).orElseThrow().status()).isEqualTo("OK");
            assertThat(again.info(hanging).orElseThrow().status()).isEqualTo("unexpected status");
            assertThat(again.list()).hasSize(2);
        }
    }

    @Test
    void upidsAreUniqueWithinOneSecond() throws Exception {
        try (FileTaskManager tm = new FileTaskManager(dir, "n1", () -> 1_700_000_000L)) {
            String a = tm.start("t", "1", "root@pam", log -> { });
            String b = tm.start("t", "1", "root@pam", log -> { });
            assertThat(a).isNotEqualTo(b);
            tm.await(a, 10_000);
            tm.await(b, 10_000);
        }
    }

    @Test
    void indexIsRotatedAndStaysBounded() throws Exception {
        long[] now = {1_700_000_000L};
        try (FileTaskManager tm = new FileTaskManager(dir, "n1", () -> now[0])) {
            String last = null;
            for (int i = 0; i < 2 * FileTaskManager.KEEP + 5; i++) {
                now[0]++;
                last = tm.start("t", Integer.toString(i), "root@pam", log -> { });
                tm.await(last, 10_000);
            }
            assertThat(tm.list()).hasSizeLessThanOrEqualTo(2 * FileTaskManager.KEEP).hasSizeGreaterThanOrEqualTo(FileTaskManager.KEEP);
            assertThat(tm.list().get(0).upid()).isEqualTo(last);
            assertThat(dir.resolve("index.1")).exists();
            long lines = Files.readAllLines(dir.resolve("index")).size();
            assertThat(lines).isEqualTo(tm.list().size());
        }
        try (FileTaskManager again = new FileTaskManager(dir, "n1", Clock.SYSTEM)) {
            assertThat(again.list()).hasSizeLessThanOrEqualTo(2 * FileTaskManager.KEEP);
        }
    }
}
